/**
 * Completion reports of mixed jobs (some tasks succeed, some fail) by ReportScope (spec §6):
 * FailedTasksOnly writes exactly the failed rows and lists only `failed` files in manifest.json;
 * AllTasks of the same manifest writes both. The manifest is cut into several segments and
 * checkpoints, so the report gathers rows from many result chunks.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createRole, csvJobDefinition, putObject, readReport, startJobsServer, submitJob, waitForStatus, type JobsServer } from './jobs-fixtures.js';

let srv: JobsServer;
let roleArn: string;
const tagging = { kind: 'S3PutObjectTagging', tagSet: [['scope', 'test']] } as const;

const PRESENT = ['a.txt', 'b.txt', 'dir/c d.txt', 'e.txt', 'f.txt', 'g.txt'];
const MANIFEST = ['data,a.txt', 'data,gone-1.txt', 'data,b.txt', 'data,dir/c%20d.txt', 'data,gone%202.txt', 'data,e.txt', 'data,f.txt', 'data,nested/gone-3.txt', 'data,g.txt'].join('\n') + '\n';
const FAILED_ROWS = [
  ['data', 'gone%202.txt', '', 'failed', '404', 'NoSuchKey', 'The specified key does not exist.'],
  ['data', 'gone-1.txt', '', 'failed', '404', 'NoSuchKey', 'The specified key does not exist.'],
  ['data', 'nested/gone-3.txt', '', 'failed', '404', 'NoSuchKey', 'The specified key does not exist.'],
];
const SUCCEEDED_ROWS = ['a.txt', 'b.txt', 'dir/c%20d.txt', 'e.txt', 'f.txt', 'g.txt'].map((k) => ['data', k, '', 'succeeded', '200', '', 'Successful']);

const byKey = (a: string[], b: string[]): number => a[1]!.localeCompare(b[1]!) || a[2]!.localeCompare(b[2]!);

async function bytesOf(bucket: string, key: string): Promise<Buffer> {
  const r = await srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

/** Runs a job to Complete and returns its report root. */
async function runJob(manifestKey: string, scope: 'AllTasks' | 'FailedTasksOnly', prefix: string, fields?: ('Bucket' | 'Key' | 'VersionId')[]): Promise<{ id: string; root: string }> {
  const etag = (await srv.s3.send(new HeadObjectCommand({ Bucket: 'manifests', Key: manifestKey }))).ETag!.replace(/"/g, '');
  const id = await submitJob(srv.app, csvJobDefinition({ operation: tagging, roleArn, manifest: { bucket: 'manifests', key: manifestKey, etag, fields }, report: { bucket: 'reports', prefix, scope } }));
  const job = await waitForStatus(srv.app, id, ['Complete', 'Failed']);
  assert.equal(job.status, 'Complete', JSON.stringify(job.failureReasons));
  return { id, root: `${prefix}/job-${id}` };
}

before(async () => {
  // Segments of 4 rows, a checkpoint every 2 tasks: rows of one report come from many chunks.
  srv = await startJobsServer({ engine: { segmentLines: 4, checkpointTasks: 2 } });
  for (const b of ['data', 'vdata', 'manifests', 'reports']) await srv.s3.send(new CreateBucketCommand({ Bucket: b }));
  await srv.s3.send(new PutBucketVersioningCommand({ Bucket: 'vdata', VersioningConfiguration: { Status: 'Enabled' } }));
  for (const k of PRESENT) await putObject(srv.s3, 'data', k, `body of ${k}`);
  await putObject(srv.s3, 'manifests', 'mixed.csv', MANIFEST);
  roleArn = await createRole(srv.iam, 'batch-scope', ['s3:PutObjectTagging', 's3:PutObjectVersionTagging', 's3:GetObject', 's3:GetObjectVersion', 's3:PutObject']);
});

after(async () => {
  await srv.stop();
});

describe('completion report scope on a mixed job', () => {
  it('FailedTasksOnly: exactly the failed rows, one failed file, manifest.json per §6.3', async () => {
    const { id, root } = await runJob('mixed.csv', 'FailedTasksOnly', 'failed-only');
    const job = (await srv.app.jobs.get(id))!;
    assert.deepEqual([job.progress.totalNumberOfTasks, job.progress.numberOfTasksSucceeded, job.progress.numberOfTasksFailed], [9, 6, 3]);
    // The succeeded tasks did run: they are only left out of the report.
    for (const k of PRESENT) assert.deepEqual((await srv.s3.send(new GetObjectTaggingCommand({ Bucket: 'data', Key: k }))).TagSet, [{ Key: 'scope', Value: 'test' }], k);

    const rep = await readReport(srv.s3, 'reports', root);
    assert.deepEqual(rep.rows.sort(byKey), [...FAILED_ROWS].sort(byKey));
    const m = rep.manifest;
    assert.deepEqual(Object.keys(m), ['Format', 'ReportCreationDate', 'Results', 'ReportSchema']);
    assert.equal(m.Format, 'Report_CSV_20180820');
    assert.match(m.ReportCreationDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Math.abs(Date.parse(m.ReportCreationDate) - Date.now()) < 60_000, m.ReportCreationDate);
    assert.equal(m.ReportSchema, 'Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage');
    assert.equal(m.Results.length, 1, JSON.stringify(m.Results));
    const f = m.Results[0]!;
    assert.deepEqual(Object.keys(f), ['TaskExecutionStatus', 'Bucket', 'MD5Checksum', 'Key']);
    assert.deepEqual([f.TaskExecutionStatus, f.Bucket], ['failed', 'reports']);
    assert.match(f.Key, new RegExp(`^failed-only/job-${id}/results/[0-9a-f]{40}\\.csv$`));
    const body = await bytesOf('reports', f.Key);
    assert.equal(f.MD5Checksum, createHash('md5').update(body).digest('hex'));
    // No header, one line per failed task, `\n` ends.
    assert.equal(body.toString().split('\n').filter((l) => l !== '').length, 3);
    assert.ok(body.toString().endsWith('\n'));
    // Nothing else under the report root: no succeeded file was written.
    assert.deepEqual(rep.keys, [`${root}/manifest.json`, f.Key].sort());
    for (const k of rep.keys) assert.equal((await srv.s3.send(new HeadObjectCommand({ Bucket: 'reports', Key: k }))).ServerSideEncryption, 'AES256', k);
  });

  it('AllTasks of the same manifest: a succeeded file and the same failed rows', async () => {
    const { root } = await runJob('mixed.csv', 'AllTasks', 'all');
    const rep = await readReport(srv.s3, 'reports', root);
    assert.deepEqual(rep.manifest.Results.map((r) => r.TaskExecutionStatus).sort(), ['failed', 'succeeded']);
    assert.deepEqual(rep.rows.sort(byKey), [...FAILED_ROWS, ...SUCCEEDED_ROWS].sort(byKey));
    const failedFile = rep.manifest.Results.find((r) => r.TaskExecutionStatus === 'failed')!;
    const failedRows = (await bytesOf('reports', failedFile.Key)).toString().split('\n').filter((l) => l !== '');
    assert.equal(failedRows.length, 3);
    assert.ok(failedRows.every((l) => l.includes(',failed,404,NoSuchKey,')), failedRows.join('\n'));
    assert.equal(rep.keys.length, 3);
  });

  it('FailedTasksOnly with versions: missing VersionId (400) and unknown version (404) rows, not the succeeded ones', async () => {
    const v1 = (await srv.s3.send(new PutObjectCommand({ Bucket: 'vdata', Key: 'v.txt', Body: 'one' }))).VersionId!;
    const v2 = (await srv.s3.send(new PutObjectCommand({ Bucket: 'vdata', Key: 'v.txt', Body: 'two' }))).VersionId!;
    const other = (await srv.s3.send(new PutObjectCommand({ Bucket: 'vdata', Key: 'w.txt', Body: 'w' }))).VersionId!;
    await srv.s3.send(new PutObjectCommand({ Bucket: 'manifests', Key: 'versions.csv', Body: `vdata,v.txt,${v1}\nvdata,v.txt,\nvdata,v.txt,${v2}\nvdata,w.txt,${v1}\nvdata,w.txt,${other}\n` }));
    const { id, root } = await runJob('versions.csv', 'FailedTasksOnly', 'versions', ['Bucket', 'Key', 'VersionId']);
    const job = (await srv.app.jobs.get(id))!;
    assert.deepEqual([job.progress.numberOfTasksSucceeded, job.progress.numberOfTasksFailed], [3, 2]);
    const rep = await readReport(srv.s3, 'reports', root);
    assert.deepEqual(rep.manifest.Results.map((r) => r.TaskExecutionStatus), ['failed']);
    assert.deepEqual(rep.rows.sort(byKey), [
      ['vdata', 'v.txt', '', 'failed', '400', 'InvalidRequest', 'Task failed due to missing VersionId'],
      ['vdata', 'w.txt', v1, 'failed', '404', 'NoSuchVersion', 'The specified version does not exist.'],
    ]);
  });
});
