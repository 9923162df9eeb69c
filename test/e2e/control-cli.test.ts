/**
 * The S3 Control jobs API through the unmodified AWS CLI v2 (`aws s3control …`). The CLI prefixes
 * the endpoint's host with the account id (`000000000000.localhost`), which does not resolve here,
 * so it reaches the server as its HTTP proxy (spec §1.2): the server sees absolute-form targets.
 * Served by test/helpers/control-front.ts, whose job store no engine touches.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AWS_CLI, cliEnv, startInProcess, type InProcessServer } from '../helpers/server.js';
import { startControlFront, type ControlFront } from '../helpers/control-front.js';

const run = promisify(execFile);
const ACCOUNT = '000000000000';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/batch-ops`;

let server: InProcessServer;
let front: ControlFront;

async function aws(...args: string[]): Promise<Record<string, unknown>> {
  const env: NodeJS.ProcessEnv = { ...cliEnv(), HTTP_PROXY: front.url, http_proxy: front.url };
  delete env.NO_PROXY;
  delete env.no_proxy;
  const { stdout } = await run(AWS_CLI, ['s3control', ...args, '--account-id', ACCOUNT, '--endpoint-url', `http://localhost:${front.port}`, '--output', 'json'], { env, timeout: 30_000 });
  return stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>);
}

async function awsFails(...args: string[]): Promise<string> {
  try {
    await aws(...args);
  } catch (e) {
    return (e as { stderr: string }).stderr;
  }
  assert.fail('the command should fail');
}

before(async () => {
  server = await startInProcess();
  front = await startControlFront(server.app);
});

after(async () => {
  await front.close();
  await server.stop();
});

const manifest = JSON.stringify({
  Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key'] },
  Location: { ObjectArn: 'arn:aws:s3:::lab-manifests/manifest.csv', ETag: '"60e460c9d1046e73f7dde5043ac3ae85"' },
});
const report = JSON.stringify({ Bucket: 'arn:aws:s3:::lab-reports', Prefix: 'reports', Format: 'Report_CSV_20180820', Enabled: true, ReportScope: 'AllTasks' });
const operation = JSON.stringify({ S3PutObjectTagging: { TagSet: [{ Key: 'replicate', Value: 'yes' }] } });

describe('aws s3control (CLI v2)', () => {
  it('creates, describes, lists, re-prioritises, confirms, cancels and tags jobs', async () => {
    const created = await aws('create-job', '--operation', operation, '--report', report, '--manifest', manifest, '--priority', '10', '--role-arn', ROLE, '--description', 'lab job', '--tags', 'Key=lab,Value=seed');
    const id = created.JobId as string;
    assert.match(id, /^[0-9a-f-]{36}$/);
    // What the CLI sent: an absolute-form target to the account-prefixed host, through the proxy.
    assert.ok(front.seen.some((s) => s === `POST ${ACCOUNT}.localhost:${front.port} http://${ACCOUNT}.localhost:${front.port}/v20180820/jobs`), front.seen.join('\n'));

    const { Job: job } = (await aws('describe-job', '--job-id', id)) as { Job: Record<string, unknown> };
    assert.equal(job.JobId, id);
    assert.equal(job.Status, 'New');
    assert.equal(job.ConfirmationRequired, true, 'the CLI without --no-confirmation-required: the job waits for confirmation');
    assert.equal(job.Description, 'lab job');
    assert.equal(job.Priority, 10);
    assert.equal(job.RoleArn, ROLE);
    assert.deepEqual(job.Operation, JSON.parse(operation));
    assert.deepEqual(job.Manifest, { Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key'] }, Location: { ObjectArn: 'arn:aws:s3:::lab-manifests/manifest.csv', ETag: '60e460c9d1046e73f7dde5043ac3ae85' } });
    assert.deepEqual(job.Report, JSON.parse(report));
    assert.deepEqual(job.ProgressSummary, { TotalNumberOfTasks: 0, NumberOfTasksSucceeded: 0, NumberOfTasksFailed: 0, Timers: { ElapsedTimeInActiveSeconds: 0 } });
    assert.deepEqual(job.FailureReasons, []);
    assert.match(job.CreationTime as string, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/);
    assert.equal(job.JobArn, `arn:aws:s3:us-east-1:${ACCOUNT}:job/${id}`);

    const listed = (await aws('list-jobs', '--job-statuses', 'New')) as { Jobs: Array<Record<string, unknown>> };
    assert.deepEqual(listed.Jobs.map((j) => [j.JobId, j.Operation, j.Status, j.Description]), [[id, 'S3PutObjectTagging', 'New', 'lab job']]);

    assert.deepEqual(await aws('update-job-priority', '--job-id', id, '--priority', '42'), { JobId: id, Priority: 42 });

    // The engine's part, done by hand: prepared, awaiting confirmation.
    for (const [from, to] of [['New', 'Preparing'], ['Preparing', 'Suspended']] as const) assert.equal((await front.jobs.transition(id, [from], to, {}, Date.now())).ok, true);
    assert.deepEqual(await aws('update-job-status', '--job-id', id, '--requested-job-status', 'Ready'), { JobId: id, Status: 'Ready' });
    assert.equal((await front.jobs.transition(id, ['Ready'], 'Active', {}, Date.now())).ok, true);
    assert.deepEqual(await aws('update-job-status', '--job-id', id, '--requested-job-status', 'Cancelled', '--status-update-reason', 'no longer needed'), {
      JobId: id,
      Status: 'Cancelling',
      StatusUpdateReason: 'no longer needed',
    });

    assert.deepEqual(await aws('get-job-tagging', '--job-id', id), { Tags: [{ Key: 'lab', Value: 'seed' }] });
    assert.deepEqual(await aws('put-job-tagging', '--job-id', id, '--tags', 'Key=a,Value=1', 'Key=b,Value=2'), {});
    assert.deepEqual(await aws('get-job-tagging', '--job-id', id), { Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] });
    assert.deepEqual(await aws('delete-job-tagging', '--job-id', id), {});
    assert.deepEqual(await aws('get-job-tagging', '--job-id', id), { Tags: [] });
  });

  it('reports the modeled errors as the CLI names them', async () => {
    const missing = '93735294-df46-44d5-8638-6356f335324e';
    assert.match(await awsFails('describe-job', '--job-id', missing), new RegExp(`An error occurred \\(NotFoundException\\) when calling the DescribeJob operation: The specified job does not exist: ${missing}`));
    assert.match(
      await awsFails('create-job', '--operation', operation, '--report', report, '--manifest', manifest, '--priority', '10', '--role-arn', 'arn:aws:iam::000000000000:user/bob'),
      /An error occurred \(BadRequestException\) when calling the CreateJob operation: The value 'arn:aws:iam::000000000000:user\/bob' of RoleArn is not an IAM role ARN/,
    );
    const { JobId: id } = (await aws('create-job', '--no-confirmation-required', '--operation', operation, '--report', report, '--manifest', manifest, '--priority', '1', '--role-arn', ROLE)) as { JobId: string };
    assert.equal((await front.jobs.get(id))!.confirmationRequired, false);
    assert.match(await awsFails('update-job-status', '--job-id', id, '--requested-job-status', 'Ready'), /\(JobStatusException\) when calling the UpdateJobStatus operation: The job is not awaiting confirmation: it is New/);
  });
});
