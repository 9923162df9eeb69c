/**
 * The manifest generator at scale: a job over 30 k objects keeps O(segments) in the job store —
 * each segment names a byte range of a gzipped data file, never its rows — whether the data files
 * are private to the server (<dataDir>/jobs/<id>/, removed when the job ends) or written to the
 * ManifestOutputLocation, and runs every object exactly once. The files of a job that ends
 * without the engine (cancelled while awaiting confirmation) go at the engine's next start.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { JobDefinition } from '../../src/jobs/model.js';
import { createBucket, getBucket } from '../../src/store/buckets.js';
import { writeTx } from '../../src/store/context.js';
import { commitVersion } from '../../src/store/objects.js';
import { openStore } from '../../src/store/open.js';
import { jq } from '../../src/jobs/store-sql-rows.js';
import { REGION, tempDir } from '../helpers/server.js';
import { ACCOUNT, createRole, getText, readReport, startJobsServer, submitJob, waitForStatus, type JobsServer } from './jobs-fixtures.js';

const N = 30_000;
const SEGMENT_LINES = 1_000;
const keyOf = (i: number): string => `obj/${String(i).padStart(6, '0')}`;
/** A segment's source names a file and three offsets: its size does not depend on its rows. */
const MAX_SOURCE_BYTES = 300;

let dir: string;
let srv: JobsServer;
let roleArn: string;

before(async () => {
  dir = tempDir('s3batch-genscale-');
  // The objects go straight into the store before the server starts (PUTting them is not the test).
  const store = openStore(dir, { inlineThreshold: 65536, fsync: false, restoreDelays: { Expedited: 1, Standard: 1, Bulk: 1 } });
  const ctx = store.ctx;
  createBucket(ctx, { name: 'src', owner: ACCOUNT, region: REGION, objectLock: false, acl: null });
  const b = getBucket(ctx, 'src');
  writeTx(ctx, (unlink) => {
    for (let i = 0; i < N; i++) commitVersion(ctx, b, keyOf(i), { owner: ACCOUNT, headers: { meta: {} }, storageClass: 'STANDARD', tags: [], acl: null, size: 0, etag: 'd41d8cd98f00b204e9800998ecf8427e', extents: [] }, unlink);
  });
  store.close();
  srv = await startJobsServer({ engine: { segmentLines: SEGMENT_LINES } }, { dataDir: dir });
  for (const name of ['gen', 'reports']) await srv.s3.send(new CreateBucketCommand({ Bucket: name }));
  roleArn = await createRole(srv.iam, 'batch-genscale', ['s3:*']);
});

after(async () => {
  await srv?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function tagJob(value: string, generator: Partial<NonNullable<JobDefinition['manifestGenerator']>>, confirmationRequired = false): JobDefinition {
  return {
    operation: { kind: 'S3PutObjectTagging', tagSet: [['run', value]] },
    manifestGenerator: { kind: 'S3JobManifestGenerator', sourceBucketArn: 'arn:aws:s3:::src', sourceBucket: 'src', enableManifestOutput: false, ...generator },
    report: { enabled: true, bucket: 'reports', bucketArn: 'arn:aws:s3:::reports', format: 'Report_CSV_20180820', prefix: value, reportScope: 'AllTasks' },
    roleArn,
    confirmationRequired,
  };
}

/** The job's rows of the control database's segment table, as the JobStore keeps them. */
async function storedSegments(id: string): Promise<{ idx: number; source: string | null; line_count: number }[]> {
  return jq(srv.app.controlDb.db).selectFrom('job_segments').select(['idx', 'source', 'line_count']).where('job_id', '=', id).orderBy('idx').execute();
}

function assertSmallSegments(rows: { source: string | null; line_count: number }[]): void {
  assert.equal(rows.length, N / SEGMENT_LINES);
  assert.equal(rows.reduce((n, r) => n + Number(r.line_count), 0), N);
  for (const r of rows) assert.ok(r.source !== null && Buffer.byteLength(r.source) <= MAX_SOURCE_BYTES, `segment source of ${r.source?.length} bytes: ${r.source?.slice(0, 80)}`);
}

/** Every object exactly once in the completion report. */
async function assertReportOnce(value: string, id: string): Promise<void> {
  const report = await readReport(srv.s3, 'reports', `${value}/job-${id}`);
  assert.equal(report.rows.length, N);
  const keys = new Set(report.rows.map((r) => r[1]));
  assert.equal(keys.size, N);
  for (let i = 0; i < N; i += 997) assert.ok(keys.has(keyOf(i)), `no report row for ${keyOf(i)}`);
}

it('without manifest output: private gzipped data files, small segment records, exact counts, files removed at the end', { timeout: 120_000 }, async () => {
  const id = await submitJob(srv.app, tagJob('private', {}, true));
  await waitForStatus(srv.app, id, ['Suspended', 'Failed'], 60_000);
  const prepared = await srv.app.jobs.get(id);
  assert.equal(prepared!.status, 'Suspended', JSON.stringify(prepared!.failureReasons));
  assert.equal(prepared!.progress.totalNumberOfTasks, N);
  assertSmallSegments(await storedSegments(id));

  // The rows wait in the data directory, not in any bucket.
  const spill = join(dir, 'jobs', id);
  assert.deepEqual(readdirSync(spill), ['generated-0.csv.gz']);
  const lines = gunzipSync(readFileSync(join(spill, 'generated-0.csv.gz'))).toString().split('\n');
  assert.equal(lines.length, N + 1);
  assert.equal(lines[0], `"src","${keyOf(0)}"`);
  assert.equal(lines[N - 1], `"src","${keyOf(N - 1)}"`);
  assert.equal((await srv.s3.send(new ListObjectsV2Command({ Bucket: 'gen' }))).KeyCount, 0);

  assert.ok((await srv.app.jobs.transition(id, ['Suspended'], 'Ready', {}, Date.now())).ok);
  srv.app.jobEngine.wake();
  const job = await waitForStatus(srv.app, id, ['Complete', 'Failed'], 60_000);
  assert.equal(job.status, 'Complete', JSON.stringify(job.failureReasons));
  assert.deepEqual([job.progress.totalNumberOfTasks, job.progress.numberOfTasksSucceeded, job.progress.numberOfTasksFailed], [N, N, 0]);
  assert.equal(job.generatedManifestDescriptor, undefined);
  await assertReportOnce('private', id);
  assert.equal(existsSync(spill), false, 'the private data files outlive the job');
});

it('with manifest output: segments are ranges of the written data file, which holds every object', { timeout: 120_000 }, async () => {
  const id = await submitJob(srv.app, tagJob('output', { enableManifestOutput: true, manifestOutputLocation: { bucketArn: 'arn:aws:s3:::gen', bucket: 'gen', manifestPrefix: 'm', manifestFormat: 'S3InventoryReport_CSV_20211130' } }));
  const job = await waitForStatus(srv.app, id, ['Complete', 'Failed'], 60_000);
  assert.equal(job.status, 'Complete', JSON.stringify(job.failureReasons));
  assert.deepEqual([job.progress.totalNumberOfTasks, job.progress.numberOfTasksSucceeded, job.progress.numberOfTasksFailed], [N, N, 0]);
  const segments = await storedSegments(id);
  assertSmallSegments(segments);

  const d = job.generatedManifestDescriptor!;
  const manifest = JSON.parse(await getText(srv.s3, 'gen', d.location.key)) as { files: { key: string }[] };
  assert.equal(manifest.files.length, 1);
  const dataKey = manifest.files[0]!.key;
  for (const s of segments) assert.equal((JSON.parse(s.source!) as { k: string }).k, dataKey);
  const gz = Buffer.from(await (await srv.s3.send(new GetObjectCommand({ Bucket: 'gen', Key: dataKey }))).Body!.transformToByteArray());
  const lines = gunzipSync(gz).toString().split('\n');
  assert.equal(lines.length, N + 1);
  assert.equal(lines[N - 1], `"src","${keyOf(N - 1)}"`);
  await assertReportOnce('output', id);
  assert.equal(existsSync(join(dir, 'jobs', id)), false);
});

it('a job cancelled while awaiting confirmation loses its private data files at the next start', { timeout: 120_000 }, async () => {
  const id = await submitJob(srv.app, tagJob('cancelled', { filter: { keyNameConstraint: { matchAnyPrefix: ['obj/0000'] } } }, true));
  const prepared = await waitForStatus(srv.app, id, ['Suspended', 'Failed'], 60_000);
  assert.equal(prepared.status, 'Suspended', JSON.stringify(prepared.failureReasons));
  assert.equal(prepared.progress.totalNumberOfTasks, 100);
  const spill = join(dir, 'jobs', id);
  assert.ok(existsSync(join(spill, 'generated-0.csv.gz')));
  // UpdateJobStatus Cancelled on a Suspended job: Cancelled at once, finish.ts never sees it.
  assert.ok((await srv.app.jobs.transition(id, ['Suspended'], 'Cancelled', {}, Date.now())).ok);
  await srv.stop();
  srv = await startJobsServer({ engine: { segmentLines: SEGMENT_LINES } }, { dataDir: dir });
  const until = Date.now() + 10_000;
  while (existsSync(spill)) {
    assert.ok(Date.now() < until, 'the cancelled job keeps its private data files');
    await new Promise((r) => setTimeout(r, 20));
  }
});
