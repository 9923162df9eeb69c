/**
 * The job engine end to end on the embedded store, jobs stored as the S3 Control front stores
 * them: preparation (role, manifest ETag, bad rows), confirmation, tasks as the role, the
 * completion report in AWS's layout, and the failures a user meets.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CreateBucketCommand, GetObjectTaggingCommand } from '@aws-sdk/client-s3';
import { createRole, csvJobDefinition, getText, putObject, readReport, startJobsServer, submitJob, waitForStatus, type JobsServer } from './jobs-fixtures.js';

let srv: JobsServer;
let roleArn: string;

before(async () => {
  srv = await startJobsServer();
  for (const b of ['data', 'manifests', 'reports']) await srv.s3.send(new CreateBucketCommand({ Bucket: b }));
  for (const k of ['a.txt', 'dir/b c.txt', 'plus+sign.txt']) await putObject(srv.s3, 'data', k, `body of ${k}`);
  roleArn = await createRole(srv.iam, 'batch-tagger', ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:PutObjectTagging', 's3:PutObjectVersionTagging']);
});

after(async () => {
  await srv.stop();
});

async function tagsOf(key: string): Promise<[string, string][]> {
  const r = await srv.s3.send(new GetObjectTaggingCommand({ Bucket: 'data', Key: key }));
  return (r.TagSet ?? []).map((t) => [t.Key!, t.Value!]);
}

const tagging = { kind: 'S3PutObjectTagging' as const, tagSet: [['retention', '7y']] as const };

describe('jobs engine: S3PutObjectTagging on the embedded store', () => {
  it('tags every listed object and writes the report in AWS layout', async () => {
    const csv = 'data,a.txt\ndata,dir/b%20c.txt\ndata,plus%2Bsign.txt\ndata,missing.txt\n';
    const etag = await putObject(srv.s3, 'manifests', 'm1.csv', csv);
    const id = await submitJob(srv.app, csvJobDefinition({ operation: tagging, roleArn, manifest: { bucket: 'manifests', key: 'm1.csv', etag }, report: { bucket: 'reports', prefix: 'run1' } }));
    const job = await waitForStatus(srv.app, id, ['Complete', 'Failed']);
    assert.equal(job.status, 'Complete', JSON.stringify(job.failureReasons));
    assert.equal(job.progress.totalNumberOfTasks, 4);
    assert.equal(job.progress.numberOfTasksSucceeded, 3);
    assert.equal(job.progress.numberOfTasksFailed, 1);
    assert.deepEqual(await tagsOf('a.txt'), [['retention', '7y']]);
    assert.deepEqual(await tagsOf('dir/b c.txt'), [['retention', '7y']]);
    assert.deepEqual(await tagsOf('plus+sign.txt'), [['retention', '7y']]);

    const root = `run1/job-${id}`;
    const rep = await readReport(srv.s3, 'reports', root);
    assert.equal(rep.manifest.Format, 'Report_CSV_20180820');
    assert.equal(rep.manifest.ReportSchema, 'Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage');
    assert.match(rep.manifest.ReportCreationDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(rep.manifest.Results.map((r) => r.TaskExecutionStatus).sort(), ['failed', 'succeeded']);
    for (const f of rep.manifest.Results) {
      assert.equal(f.Bucket, 'reports');
      assert.match(f.Key, new RegExp(`^${root}/results/[0-9a-f]{40}\\.csv$`));
      assert.equal(f.MD5Checksum, createHash('md5').update(await getText(srv.s3, 'reports', f.Key)).digest('hex'));
    }
    assert.deepEqual(rep.keys, [`${root}/manifest.json`, ...rep.manifest.Results.map((r) => r.Key).sort()]);
    assert.deepEqual(
      rep.rows.sort((a, b) => a[1]!.localeCompare(b[1]!)),
      [
        ['data', 'a.txt', '', 'succeeded', '200', '', 'Successful'],
        ['data', 'dir/b%20c.txt', '', 'succeeded', '200', '', 'Successful'],
        ['data', 'missing.txt', '', 'failed', '404', 'NoSuchKey', 'The specified key does not exist.'],
        ['data', 'plus%2Bsign.txt', '', 'succeeded', '200', '', 'Successful'],
      ],
    );
  });

  it('a role without s3:PutObjectTagging fails every task with 403 AccessDenied; the job completes', async () => {
    const weak = await createRole(srv.iam, 'batch-weak', ['s3:GetObject', 's3:PutObject']);
    const etag = await putObject(srv.s3, 'manifests', 'm2.csv', 'data,a.txt\ndata,dir/b%20c.txt\n');
    const id = await submitJob(srv.app, csvJobDefinition({ operation: tagging, roleArn: weak, manifest: { bucket: 'manifests', key: 'm2.csv', etag }, report: { bucket: 'reports', prefix: 'weak', scope: 'FailedTasksOnly' } }));
    const job = await waitForStatus(srv.app, id, ['Complete', 'Failed']);
    assert.equal(job.status, 'Complete');
    assert.equal(job.progress.numberOfTasksFailed, 2);
    const rep = await readReport(srv.s3, 'reports', `weak/job-${id}`);
    assert.deepEqual(rep.manifest.Results.map((r) => r.TaskExecutionStatus), ['failed']);
    assert.equal(rep.rows.length, 2);
    for (const r of rep.rows) {
      assert.deepEqual(r.slice(3, 6), ['failed', '403', 'AccessDenied']);
      assert.match(r[6]!, /^User: arn:aws:sts::000000000000:assumed-role\/batch-weak\/s3batch-job-[0-9a-f-]+ is not authorized to perform: s3:PutObjectTagging on resource: "arn:aws:s3:::data\/.+" because no identity-based policy allows the s3:PutObjectTagging action$/);
    }
  });

  it('waits in Suspended when confirmation is required, runs once confirmed', async () => {
    const etag = await putObject(srv.s3, 'manifests', 'm3.csv', 'data,a.txt\n');
    const id = await submitJob(srv.app, csvJobDefinition({ operation: tagging, roleArn, manifest: { bucket: 'manifests', key: 'm3.csv', etag }, report: false, confirmationRequired: true }));
    const suspended = await waitForStatus(srv.app, id, ['Suspended']);
    assert.equal(suspended.suspendedCause, 'AwaitingConfirmation');
    assert.equal(suspended.progress.totalNumberOfTasks, 1);
    const r = await srv.app.jobs.transition(id, ['Suspended'], 'Ready', {}, Date.now());
    assert.ok(r.ok);
    srv.app.jobEngine.wake();
    const done = await waitForStatus(srv.app, id, ['Complete']);
    assert.equal(done.progress.numberOfTasksSucceeded, 1);
  });
});

describe('jobs engine: failures in Preparing', () => {
  it('a role that does not trust batchoperations.s3.amazonaws.com fails the job and says so', async () => {
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    const untrusting = await createRole(srv.iam, 'replication-only', ['s3:*'], trust);
    const etag = await putObject(srv.s3, 'manifests', 'm4.csv', 'data,a.txt\n');
    const id = await submitJob(srv.app, csvJobDefinition({ operation: tagging, roleArn: untrusting, manifest: { bucket: 'manifests', key: 'm4.csv', etag }, report: { bucket: 'reports' } }));
    const job = await waitForStatus(srv.app, id, ['Failed']);
    assert.deepEqual(job.failureReasons, [
      { failureCode: 'RoleNotTrusted', failureReason: `The trust policy of role ${untrusting} does not allow the service principal batchoperations.s3.amazonaws.com to call sts:AssumeRole.` },
    ]);
    assert.equal(job.progress.totalNumberOfTasks, 0);
  });

  it('a manifest whose ETag differs fails the job', async () => {
    const etag = await putObject(srv.s3, 'manifests', 'm5.csv', 'data,a.txt\n');
    const id = await submitJob(srv.app, csvJobDefinition({ operation: tagging, roleArn, manifest: { bucket: 'manifests', key: 'm5.csv', etag: '0123456789abcdef0123456789abcdef' }, report: { bucket: 'reports' } }));
    const job = await waitForStatus(srv.app, id, ['Failed']);
    assert.deepEqual(job.failureReasons, [
      { failureCode: 'ManifestETagMismatch', failureReason: `The ETag of the manifest object (${etag}) does not match the ETag in the job's manifest location (0123456789abcdef0123456789abcdef).` },
    ]);
  });

  it('a missing manifest fails the job with the read error', async () => {
    const id = await submitJob(srv.app, csvJobDefinition({ operation: tagging, roleArn, manifest: { bucket: 'manifests', key: 'nope.csv', etag: 'x' }, report: { bucket: 'reports' } }));
    const job = await waitForStatus(srv.app, id, ['Failed']);
    assert.deepEqual(job.failureReasons, [{ failureCode: 'ManifestReadFailed', failureReason: 'Reading the manifest failed: NoSuchKey: The specified key does not exist.' }]);
  });

  it('a role that may not read the manifest fails the job: "Reading the manifest is forbidden: AccessDenied"', async () => {
    const blind = await createRole(srv.iam, 'batch-blind', ['s3:PutObjectTagging']);
    const etag = await putObject(srv.s3, 'manifests', 'm6.csv', 'data,a.txt\n');
    const id = await submitJob(srv.app, csvJobDefinition({ operation: tagging, roleArn: blind, manifest: { bucket: 'manifests', key: 'm6.csv', etag }, report: { bucket: 'reports' } }));
    const job = await waitForStatus(srv.app, id, ['Failed']);
    assert.deepEqual(job.failureReasons, [{ failureCode: 'ManifestReadFailed', failureReason: 'Reading the manifest is forbidden: AccessDenied' }]);
  });

  it('bad rows and rows naming another bucket fail the job with their line numbers', async () => {
    const etag = await putObject(srv.s3, 'manifests', 'm7.csv', 'data,a.txt\ndata\ndata,a.txt,extra\nother,x.txt\n,k\n');
    const id = await submitJob(srv.app, csvJobDefinition({ operation: tagging, roleArn, manifest: { bucket: 'manifests', key: 'm7.csv', etag, fields: ['Bucket', 'Key', 'Ignore'] }, report: { bucket: 'reports' } }));
    const job = await waitForStatus(srv.app, id, ['Failed']);
    assert.deepEqual(job.failureReasons, [
      {
        failureCode: 'InvalidManifestContent',
        failureReason: "Invalid manifest content: line 1: expected 3 fields, found 2; line 2: expected 3 fields, found 1; line 4: expected 3 fields, found 2; line 5: expected 3 fields, found 2",
      },
    ]);
  });

  it('rows naming another bucket than the first fail the job', async () => {
    const etag = await putObject(srv.s3, 'manifests', 'm8.csv', 'data,a.txt\nother,x.txt\ndata,b.txt\n');
    const id = await submitJob(srv.app, csvJobDefinition({ operation: tagging, roleArn, manifest: { bucket: 'manifests', key: 'm8.csv', etag }, report: { bucket: 'reports' } }));
    const job = await waitForStatus(srv.app, id, ['Failed']);
    assert.deepEqual(job.failureReasons, [
      { failureCode: 'InvalidManifestContent', failureReason: "Invalid manifest content: line 2: names bucket 'other'; every row must name the same bucket as the first ('data')" },
    ]);
  });

  it('a manifest overwritten between preparation and the run fails the job rather than run other rows', async () => {
    const etag = await putObject(srv.s3, 'manifests', 'm9.csv', 'data,a.txt\n');
    const id = await submitJob(srv.app, csvJobDefinition({ operation: tagging, roleArn, manifest: { bucket: 'manifests', key: 'm9.csv', etag }, report: { bucket: 'reports' }, confirmationRequired: true }));
    await waitForStatus(srv.app, id, ['Suspended']);
    const changed = await putObject(srv.s3, 'manifests', 'm9.csv', 'data,dir/b%20c.txt\n');
    assert.ok((await srv.app.jobs.transition(id, ['Suspended'], 'Ready', {}, Date.now())).ok);
    srv.app.jobEngine.wake();
    const job = await waitForStatus(srv.app, id, ['Failed', 'Complete']);
    assert.equal(job.status, 'Failed');
    assert.deepEqual(job.failureReasons, [
      { failureCode: 'ManifestChanged', failureReason: `The manifest object changed while the job ran: its ETag is now "${changed}", the job was prepared with "${etag}".` },
    ]);
    assert.equal(job.progress.numberOfTasksSucceeded + job.progress.numberOfTasksFailed, 0);
  });
});
