/**
 * Crash exactness: a 200 k-task S3PutObjectTagging job from a CSV manifest, the server killed with
 * SIGKILL while the job is Active and restarted on the same data directory: it resumes at once and
 * finishes with exact counts, each manifest row exactly once in its report (kill9-scenario.ts).
 */
import { kill9Scenario } from './kill9-scenario.js';

kill9Scenario({ title: 'kill -9 during a 200 k-task job loses nothing and doubles nothing, and the job resumes at once', manifest: 'csv' });
