/**
 * Crash exactness of a generated manifest kept private (EnableManifestOutput false): a 200 k-object
 * S3PutObjectTagging job whose rows the generator spilled to two gzipped data files under
 * <dataDir>/jobs/<id>/ (100,000 rows each), the server killed with SIGKILL while the job is
 * Active and restarted on the same data directory. The segments resume from those files: exact
 * counts, each object once in the report, and the files gone once the job is Complete.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateJobCommand, DescribeJobCommand, S3ControlClient } from '@aws-sdk/client-s3-control';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { createBucket, getBucket } from '../../src/store/buckets.js';
import { writeTx } from '../../src/store/context.js';
import { commitVersion } from '../../src/store/objects.js';
import { openStore } from '../../src/store/open.js';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, s3Client, startProcess, tempDir, type ProcessServer } from '../helpers/server.js';
import { BATCH_TRUST, readReport } from './jobs-fixtures.js';

const N = 200_000;
/** The engine's default lease (EngineOptions.leaseMs). */
const LEASE_MS = 15_000;
const ACCOUNT = '000000000000';
const keyOf = (i: number): string => `obj/${String(i).padStart(6, '0')}`;

let dir: string;
let server: ProcessServer | undefined;

before(() => {
  dir = tempDir('s3batch-genkill9-');
  // 200 k objects straight into the store before the server starts (PUTting them is not the test).
  const store = openStore(dir, { inlineThreshold: 65536, fsync: false, restoreDelays: { Expedited: 1, Standard: 1, Bulk: 1 } });
  const ctx = store.ctx;
  createBucket(ctx, { name: 'data', owner: ACCOUNT, region: REGION, objectLock: false, acl: null });
  const b = getBucket(ctx, 'data');
  writeTx(ctx, (unlink) => {
    for (let i = 0; i < N; i++) commitVersion(ctx, b, keyOf(i), { owner: ACCOUNT, headers: { meta: {} }, storageClass: 'STANDARD', tags: [], acl: null, size: 0, etag: 'd41d8cd98f00b204e9800998ecf8427e', extents: [] }, unlink);
  });
  store.close();
});

after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function control(url: string): S3ControlClient {
  return new S3ControlClient({ region: REGION, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }, endpointProvider: () => ({ url: new URL(`${url}/`) }), maxAttempts: 1 });
}

async function describe(url: string, id: string) {
  return (await control(url).send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: id }))).Job!;
}

it('kill -9 during a generated 200 k-task job resumes from its private data files, exactly once', { timeout: 180_000 }, async (t) => {
  server = await startProcess({ dataDir: dir, env: { S3BATCH_FSYNC: 'false' } });
  const s3 = s3Client(server.url);
  await s3.send(new CreateBucketCommand({ Bucket: 'manifests' }));
  const iam = new IAMClient({ endpoint: server.url, region: REGION, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY } });
  const role = await iam.send(new CreateRoleCommand({ RoleName: 'tagger', AssumeRolePolicyDocument: BATCH_TRUST }));
  await iam.send(new PutRolePolicyCommand({ RoleName: 'tagger', PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:PutObjectTagging', 's3:GetObject', 's3:PutObject', 's3:ListBucket'], Resource: '*' }] }) }));
  const { JobId } = await control(server.url).send(new CreateJobCommand({
    AccountId: ACCOUNT,
    ConfirmationRequired: false,
    Priority: 10,
    RoleArn: role.Role!.Arn!,
    ClientRequestToken: 'genkill9',
    Operation: { S3PutObjectTagging: { TagSet: [{ Key: 'run', Value: 'kill9' }] } },
    ManifestGenerator: { S3JobManifestGenerator: { SourceBucket: 'arn:aws:s3:::data', EnableManifestOutput: false } },
    Report: { Enabled: true, Bucket: 'arn:aws:s3:::manifests', Format: 'Report_CSV_20180820', Prefix: 'reports', ReportScope: 'AllTasks' },
  }));
  const id = JobId!;

  // Kill while tasks are running: some done, most not.
  for (;;) {
    const j = await describe(server.url, id);
    const done = (j.ProgressSummary?.NumberOfTasksSucceeded ?? 0) + (j.ProgressSummary?.NumberOfTasksFailed ?? 0);
    assert.ok(j.Status === 'Preparing' || j.Status === 'New' || j.Status === 'Ready' || j.Status === 'Active', `job is ${j.Status} before the kill`);
    if (j.Status === 'Active' && done >= 10_000) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  await server.kill9();
  const spill = join(dir, 'jobs', id);
  assert.deepEqual(readdirSync(spill).sort(), ['generated-0.csv.gz', 'generated-1.csv.gz']);

  server = await startProcess({ dataDir: dir, env: { S3BATCH_FSYNC: 'false' } });
  const restarted = Date.now();
  const doneOf = (j: Awaited<ReturnType<typeof describe>>): number => (j.ProgressSummary?.NumberOfTasksSucceeded ?? 0) + (j.ProgressSummary?.NumberOfTasksFailed ?? 0);
  const atRestart = doneOf(await describe(server.url, id));
  let resumeMs: number | undefined;
  let job;
  for (;;) {
    job = await describe(server.url, id);
    if (doneOf(job) > atRestart) {
      resumeMs = Date.now() - restarted;
      break;
    }
    assert.ok(Date.now() - restarted < LEASE_MS, `no progress ${Date.now() - restarted} ms after the restart`);
    await new Promise((r) => setTimeout(r, 20));
  }
  // The default lease is 15 s: waiting for the dead incarnation's leases to expire would show here.
  t.diagnostic(`resumed ${resumeMs} ms after the restart`);
  assert.ok(resumeMs < 5_000, `the job resumed ${resumeMs} ms after the restart`);
  assert.match(server.output(), /jobs: took back \d+ lease\(s\) of a previous run/);
  for (;;) {
    job = await describe(server.url, id);
    if (job.Status === 'Complete' || job.Status === 'Failed') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(job.Status, 'Complete', JSON.stringify(job.FailureReasons));
  assert.equal(job.ProgressSummary!.TotalNumberOfTasks, N);
  assert.equal(job.ProgressSummary!.NumberOfTasksSucceeded, N);
  assert.equal(job.ProgressSummary!.NumberOfTasksFailed, 0);

  const report = await readReport(s3Client(server.url), 'manifests', `reports/job-${id}`);
  assert.equal(report.rows.length, N);
  const seen = new Set<string>();
  for (const r of report.rows) {
    assert.deepEqual(r.slice(3), ['succeeded', '200', '', 'Successful']);
    assert.ok(!seen.has(r[1]!), `row for ${r[1]} appears twice`);
    seen.add(r[1]!);
  }
  for (let i = 0; i < N; i += 997) assert.ok(seen.has(keyOf(i)), `row for ${keyOf(i)} missing`);
  assert.equal(seen.size, N);
  assert.equal(existsSync(spill), false, 'the private data files outlive the job');
});
