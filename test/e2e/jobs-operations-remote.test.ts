/**
 * Every Step 3 operation as a job against a remote endpoint: server A runs the jobs, its tasks
 * reach the objects of server B (a second s3batch) through the SDK adapter (the suite:
 * jobs-operations-suite.ts).
 */
import { operationSuite } from './jobs-operations-suite.js';

operationSuite('remote');
