/** Every Step 3 operation as a job on the embedded store (the suite: jobs-operations-suite.ts). */
import { operationSuite } from './jobs-operations-suite.js';

operationSuite('embedded');
