/**
 * Crash exactness of a generated manifest kept private (EnableManifestOutput false): the generator
 * spills the 200 k rows to two gzipped data files under <dataDir>/jobs/<id>/ (100,000 rows each);
 * after the kill -9 and restart the segments resume from those files, with exact counts, each
 * object once in the report, and the files gone once the job is Complete (kill9-scenario.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { kill9Scenario } from './kill9-scenario.js';

kill9Scenario({
  title: 'kill -9 during a generated 200 k-task job resumes from its private data files, exactly once',
  manifest: 'generator',
  afterKill: (dir, id) => assert.deepEqual(readdirSync(join(dir, 'jobs', id)).sort(), ['generated-0.csv.gz', 'generated-1.csv.gz']),
  afterComplete: (dir, id) => assert.equal(existsSync(join(dir, 'jobs', id)), false, 'the private data files outlive the job'),
});
