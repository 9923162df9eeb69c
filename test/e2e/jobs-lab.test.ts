/**
 * The seed lab through the unmodified AWS CLI v2, end to end on one server: a role with the lab's
 * trust and inline policies, a CSV manifest, `aws s3control create-job` with a report to a
 * `reports/` prefix, the job waiting for confirmation, `update-job-status Ready`, completion, and
 * the report read back row by row. The CLI reaches the account-prefixed host through the server
 * as its HTTP proxy (spec §1.2).
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CreateBucketCommand, GetObjectTaggingCommand } from '@aws-sdk/client-s3';
import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AWS_CLI, cliEnv } from '../helpers/server.js';
import { BATCH_TRUST, putObject, readReport, startJobsServer, type JobsServer } from './jobs-fixtures.js';

const run = promisify(execFile);
const ACCOUNT = '000000000000';
let srv: JobsServer;

async function aws(...args: string[]): Promise<Record<string, unknown>> {
  const port = new URL(srv.url).port;
  const env: NodeJS.ProcessEnv = { ...cliEnv(), HTTP_PROXY: srv.url, http_proxy: srv.url };
  delete env.NO_PROXY;
  delete env.no_proxy;
  const { stdout } = await run(AWS_CLI, ['s3control', ...args, '--account-id', ACCOUNT, '--endpoint-url', `http://localhost:${port}`, '--output', 'json'], { env, timeout: 30_000 });
  return stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>);
}

/** The lab's inline policy (its `s3>ListBucket` is the page's rendering of `s3:ListBucket`). */
const LAB_POLICY = {
  Version: '2012-10-17',
  Statement: [
    { Action: ['s3:PutObject', 's3:PutObjectAcl', 's3:PutObjectTagging'], Effect: 'Allow', Resource: 'arn:aws:s3:::destinationbucket7122/*' },
    { Action: ['s3:GetObject', 's3:GetObjectAcl', 's3:GetObjectTagging', 's3:ListBucket'], Effect: 'Allow', Resource: ['arn:aws:s3:::sourcebucket7123', 'arn:aws:s3:::sourcebucket7123/*'] },
    { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: ['arn:aws:s3:::sourcebucket7123/*'] },
    { Effect: 'Allow', Action: ['s3:PutObject'], Resource: ['arn:aws:s3:::sourcebucket7123/*'] },
  ],
};

before(async () => {
  srv = await startJobsServer();
});

after(async () => {
  await srv.stop();
});

it('the seed lab: create-job awaiting confirmation, update-job-status Ready, completes with its report', { timeout: 60_000 }, async () => {
  for (const b of ['sourcebucket7123', 'destinationbucket7122']) await srv.s3.send(new CreateBucketCommand({ Bucket: b }));
  const keys = ['photos/cat.jpg', 'photos/dog 2.jpg', 'notes.txt'];
  for (const k of keys) await putObject(srv.s3, 'destinationbucket7122', k, `content of ${k}`);
  const etag = await putObject(srv.s3, 'sourcebucket7123', 'manifest.csv', 'destinationbucket7122,photos/cat.jpg\ndestinationbucket7122,photos/dog%202.jpg\ndestinationbucket7122,notes.txt\ndestinationbucket7122,gone.txt\n');
  const role = await srv.iam.send(new CreateRoleCommand({ RoleName: 's3crr_role_for_sourcebucket7000', AssumeRolePolicyDocument: BATCH_TRUST }));
  await srv.iam.send(new PutRolePolicyCommand({ RoleName: 's3crr_role_for_sourcebucket7000', PolicyName: 'batch-operations', PolicyDocument: JSON.stringify(LAB_POLICY) }));

  const created = await aws(
    'create-job',
    '--operation', JSON.stringify({ S3PutObjectTagging: { TagSet: [{ Key: 'replicate', Value: 'yes' }] } }),
    '--manifest', JSON.stringify({ Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key'] }, Location: { ObjectArn: 'arn:aws:s3:::sourcebucket7123/manifest.csv', ETag: `"${etag}"` } }),
    '--report', JSON.stringify({ Bucket: 'arn:aws:s3:::sourcebucket7123', Prefix: 'reports', Format: 'Report_CSV_20180820', Enabled: true, ReportScope: 'AllTasks' }),
    '--priority', '10',
    '--role-arn', role.Role!.Arn!,
    '--description', 'seed lab',
  );
  const id = created.JobId as string;
  let job: Record<string, unknown>;
  for (;;) {
    job = (await aws('describe-job', '--job-id', id)).Job as Record<string, unknown>;
    if (job.Status !== 'New' && job.Status !== 'Preparing') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(job.Status, 'Suspended', JSON.stringify(job.FailureReasons));
  assert.equal(job.ConfirmationRequired, true);
  assert.equal((job.ProgressSummary as { TotalNumberOfTasks: number }).TotalNumberOfTasks, 4);

  const updated = await aws('update-job-status', '--job-id', id, '--requested-job-status', 'Ready');
  assert.equal(updated.Status, 'Ready');
  for (;;) {
    job = (await aws('describe-job', '--job-id', id)).Job as Record<string, unknown>;
    if (job.Status === 'Complete' || job.Status === 'Failed') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(job.Status, 'Complete', JSON.stringify(job.FailureReasons));
  const p = job.ProgressSummary as { TotalNumberOfTasks: number; NumberOfTasksSucceeded: number; NumberOfTasksFailed: number };
  assert.deepEqual([p.TotalNumberOfTasks, p.NumberOfTasksSucceeded, p.NumberOfTasksFailed], [4, 3, 1]);
  for (const k of keys) {
    const t = await srv.s3.send(new GetObjectTaggingCommand({ Bucket: 'destinationbucket7122', Key: k }));
    assert.deepEqual(t.TagSet, [{ Key: 'replicate', Value: 'yes' }]);
  }

  const rep = await readReport(srv.s3, 'sourcebucket7123', `reports/job-${id}`);
  assert.deepEqual(rep.manifest.Results.map((r) => r.TaskExecutionStatus).sort(), ['failed', 'succeeded']);
  assert.deepEqual(
    rep.rows.sort((a, b) => a[1]!.localeCompare(b[1]!)),
    [
      ['destinationbucket7122', 'gone.txt', '', 'failed', '404', 'NoSuchKey', 'The specified key does not exist.'],
      ['destinationbucket7122', 'notes.txt', '', 'succeeded', '200', '', 'Successful'],
      ['destinationbucket7122', 'photos/cat.jpg', '', 'succeeded', '200', '', 'Successful'],
      ['destinationbucket7122', 'photos/dog%202.jpg', '', 'succeeded', '200', '', 'Successful'],
    ],
  );
});
