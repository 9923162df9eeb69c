/**
 * The kill -9 scenario both crash-exactness tests run (jobs-kill9.test.ts with a CSV manifest,
 * jobs-generator-kill9.test.ts with a generated one): 200 k objects put straight into the store,
 * an S3PutObjectTagging job through the S3 Control SDK, the server killed with SIGKILL while the
 * job is Active (≥ 10 k tasks done) and restarted on the same data directory. The job must resume
 * at once (the restarted sole process takes the dead one's leases back, not after the 15 s lease),
 * finish with exact counts, and its report must list each object exactly once.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateJobCommand, DescribeJobCommand, type CreateJobCommandInput } from '@aws-sdk/client-s3-control';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { createBucket, getBucket } from '../../src/store/buckets.js';
import { writeTx } from '../../src/store/context.js';
import { commitVersion } from '../../src/store/objects.js';
import { openStore } from '../../src/store/open.js';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, s3Client, startProcess, tempDir, type ProcessServer } from '../helpers/server.js';
import { BATCH_TRUST, controlClient, readReport } from './jobs-fixtures.js';

export interface Kill9Scenario {
  readonly title: string;
  /** Where the job's rows come from. */
  readonly manifest: 'csv' | 'generator';
  /** Checks on the data directory right after the kill, and once the job is Complete. */
  readonly afterKill?: (dir: string, jobId: string) => void;
  readonly afterComplete?: (dir: string, jobId: string) => void;
}

export function kill9Scenario(s: Kill9Scenario): void {
  const N = 200_000;
  /** The engine's default lease (EngineOptions.leaseMs). */
  const LEASE_MS = 15_000;
  const ACCOUNT = '000000000000';
  const keyOf = (i: number): string => `obj/${String(i).padStart(6, '0')}`;

  let dir: string;
  let server: ProcessServer | undefined;

  before(() => {
    dir = tempDir('s3batch-kill9-');
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

  async function describe(url: string, id: string) {
    return (await controlClient(url).send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: id }))).Job!;
  }

  it(s.title, { timeout: 180_000 }, async (t) => {
    server = await startProcess({ dataDir: dir, env: { S3BATCH_FSYNC: 'false' } });
    const s3 = s3Client(server.url);
    await s3.send(new CreateBucketCommand({ Bucket: 'manifests' }));
    let source: Pick<CreateJobCommandInput, 'Manifest' | 'ManifestGenerator'>;
    if (s.manifest === 'csv') {
      let csv = '';
      for (let i = 0; i < N; i++) csv += `data,${keyOf(i)}\n`;
      const put = await s3.send(new PutObjectCommand({ Bucket: 'manifests', Key: 'all.csv', Body: csv }));
      source = { Manifest: { Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key'] }, Location: { ObjectArn: 'arn:aws:s3:::manifests/all.csv', ETag: put.ETag! } } };
    } else {
      source = { ManifestGenerator: { S3JobManifestGenerator: { SourceBucket: 'arn:aws:s3:::data', EnableManifestOutput: false } } };
    }
    const iam = new IAMClient({ endpoint: server.url, region: REGION, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY } });
    const role = await iam.send(new CreateRoleCommand({ RoleName: 'tagger', AssumeRolePolicyDocument: BATCH_TRUST }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'tagger', PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:PutObjectTagging', 's3:GetObject', 's3:PutObject', 's3:ListBucket'], Resource: '*' }] }) }));
    const { JobId } = await controlClient(server.url).send(new CreateJobCommand({
      AccountId: ACCOUNT,
      ConfirmationRequired: false,
      Priority: 10,
      RoleArn: role.Role!.Arn!,
      ClientRequestToken: `kill9-${s.manifest}`,
      Operation: { S3PutObjectTagging: { TagSet: [{ Key: 'run', Value: 'kill9' }] } },
      ...source,
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
    s.afterKill?.(dir, id);

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
    s.afterComplete?.(dir, id);
  });
}
