/**
 * Priority pre-emption end to end (spec §5.1, §5.2, §5.5), driven through the S3 Control API with
 * the AWS SDK: with every segment slot taken, a newly created higher-priority job pauses the
 * running lower-priority one (Active → Pausing → Paused, seen by DescribeJob), runs, and the paused
 * job then resumes and completes with exact counters and every manifest row exactly once in its
 * report — no task re-run, since a pre-empted segment lets its tasks in flight finish and commits
 * them. Raising a paused job's priority above the running one swaps them. With a slot free,
 * nothing is paused.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateJobCommand, DescribeJobCommand, UpdateJobPriorityCommand, type JobDescriptor, type S3ControlClient } from '@aws-sdk/client-s3-control';
import type { JobStatus } from '../../src/jobs/model.js';
import { ACCOUNT, controlClient, createRole, putObject, readReport, startJobsServer, type JobsServer } from './jobs-fixtures.js';

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:slow';
const TASK_MS = 20;

let lambda: Server;
/** Invocations per job id and object key. */
const calls = new Map<string, Map<string, number>>();

before(async () => {
  // A slow function (20 ms a task) that counts the invocations of each task.
  lambda = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const ev = JSON.parse(body) as { invocationId: string; job: { id: string }; tasks: { taskId: string; s3Key: string }[] };
      const perJob = calls.get(ev.job.id) ?? new Map<string, number>();
      calls.set(ev.job.id, perJob);
      const key = ev.tasks[0]!.s3Key;
      perJob.set(key, (perJob.get(key) ?? 0) + 1);
      setTimeout(() => res.end(JSON.stringify({ invocationSchemaVersion: '1.0', invocationId: ev.invocationId, results: [{ taskId: ev.tasks[0]!.taskId, resultCode: 'Succeeded', resultString: 'ok' }] })), TASK_MS);
    });
  });
  await new Promise<void>((r) => lambda.listen(0, '127.0.0.1', r));
});

after(async () => {
  await new Promise<void>((r) => lambda.close(() => r()));
});

/** A server whose engine runs `maxSegments` segments of 20 tasks at once, 8 tasks per job in flight. */
async function server(maxSegments: number, maxSegmentsPerJob: number): Promise<{ srv: JobsServer; control: S3ControlClient; roleArn: string }> {
  const srv = await startJobsServer({
    lambdaFunctions: [{ arn: FUNCTION_ARN, url: `http://127.0.0.1:${(lambda.address() as AddressInfo).port}/` }],
    engine: { maxSegments, maxSegmentsPerJob, maxTasksPerJob: 8, maxTasks: 16, segmentLines: 20, checkpointTasks: 5, checkpointMs: 50 },
  });
  for (const b of ['data', 'manifests', 'reports']) await srv.s3.send(new CreateBucketCommand({ Bucket: b }));
  const roleArn = await createRole(srv.iam, 'batch-preempt', ['s3:*', 'lambda:InvokeFunction']);
  return { srv, control: controlClient(srv.url), roleArn };
}

/** CreateJob through the SDK: `rows` tasks of the slow function, report of all tasks. */
async function createJob(s: { srv: JobsServer; control: S3ControlClient; roleArn: string }, name: string, rows: number, priority: number): Promise<string> {
  let csv = '';
  for (let i = 0; i < rows; i++) csv += `data,${name}-${i}\n`;
  const etag = await putObject(s.srv.s3, 'manifests', `${name}.csv`, csv);
  const r = await s.control.send(new CreateJobCommand({
    AccountId: ACCOUNT,
    ConfirmationRequired: false,
    Priority: priority,
    RoleArn: s.roleArn,
    ClientRequestToken: name,
    Operation: { LambdaInvoke: { FunctionArn: FUNCTION_ARN, InvocationSchemaVersion: '1.0' } },
    Manifest: { Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key'] }, Location: { ObjectArn: `arn:aws:s3:::manifests/${name}.csv`, ETag: etag } },
    Report: { Enabled: true, Bucket: 'arn:aws:s3:::reports', Format: 'Report_CSV_20180820', Prefix: name, ReportScope: 'AllTasks' },
  }));
  return r.JobId!;
}

/** Polls DescribeJob until the job is in one of `statuses` (a short status such as Pausing may pass unseen: the events record it). */
async function describeUntil(control: S3ControlClient, id: string, statuses: readonly string[], timeoutMs = 30_000): Promise<JobDescriptor> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const job = (await control.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: id }))).Job!;
    if (statuses.includes(job.Status!)) return job;
    if (Date.now() > until) throw new Error(`job ${id} is ${job.Status}, not ${statuses.join('/')}, after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function statusesOf(srv: JobsServer, id: string): Promise<JobStatus[]> {
  return (await srv.app.jobs.readEvents(0, 100_000)).filter((e) => e.jobId === id && e.type === 'JobStatusChanged').map((e) => e.status);
}

/** Complete, exact counters, each row once in the report, each task invoked exactly once. */
async function assertExact(s: { srv: JobsServer; control: S3ControlClient }, id: string, name: string, rows: number): Promise<void> {
  const job = await describeUntil(s.control, id, ['Complete', 'Failed', 'Cancelled']);
  assert.equal(job.Status, 'Complete', JSON.stringify(job.FailureReasons));
  assert.deepEqual([job.ProgressSummary!.TotalNumberOfTasks, job.ProgressSummary!.NumberOfTasksSucceeded, job.ProgressSummary!.NumberOfTasksFailed], [rows, rows, 0]);
  const report = await readReport(s.srv.s3, 'reports', `${name}/job-${id}`);
  assert.equal(report.rows.length, rows);
  const keys = new Set(report.rows.map((r) => r[1]));
  assert.equal(keys.size, rows, 'a row appears twice in the report');
  for (let i = 0; i < rows; i++) assert.ok(keys.has(`${name}-${i}`), `row ${name}-${i} missing from the report`);
  const invoked = calls.get(id)!;
  assert.equal(invoked.size, rows);
  assert.deepEqual([...new Set(invoked.values())], [1], 'a task ran more than once');
}

describe('pre-emption with one segment slot', () => {
  let s: Awaited<ReturnType<typeof server>>;
  before(async () => {
    s = await server(1, 1);
  });
  after(() => s.srv.stop());

  it('a higher-priority CreateJob pauses the running job, runs, and the paused job resumes and completes exactly', { timeout: 60_000 }, async () => {
    const low = await createJob(s, 'low', 400, 1);
    await describeUntil(s.control, low, ['Active']);
    const high = await createJob(s, 'high', 240, 100);
    await describeUntil(s.control, low, ['Paused']);

    // Paused time is not active time: the timer stands still while the urgent job runs.
    const p1 = (await s.srv.app.jobs.get(low))!;
    await new Promise((r) => setTimeout(r, 150));
    const p2 = (await s.srv.app.jobs.get(low))!;
    assert.deepEqual([p1.status, p2.status], ['Paused', 'Paused']);
    assert.equal(p2.progress.activeSince, undefined);
    assert.equal(p2.progress.activeMs, p1.progress.activeMs);
    assert.ok(p2.progress.numberOfTasksSucceeded < 400);

    const h = await describeUntil(s.control, high, ['Complete']);
    assert.equal(h.ProgressSummary!.NumberOfTasksSucceeded, 240);
    const l = (await s.control.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: low }))).Job!;
    assert.notEqual(l.Status, 'Complete', 'the paused job did not wait for the urgent one');
    await assertExact(s, low, 'low', 400);
    await assertExact(s, high, 'high', 240);
    assert.deepEqual(await statusesOf(s.srv, low), ['Preparing', 'Ready', 'Active', 'Pausing', 'Paused', 'Active', 'Completing', 'Complete']);
    assert.deepEqual(await statusesOf(s.srv, high), ['Preparing', 'Ready', 'Active', 'Completing', 'Complete']);
  });

  it('UpdateJobPriority raising a paused job above the running one resumes it and pauses the other', { timeout: 60_000 }, async () => {
    const first = await createJob(s, 'first', 300, 1);
    await describeUntil(s.control, first, ['Active']);
    const second = await createJob(s, 'second', 300, 50);
    await describeUntil(s.control, first, ['Paused']);
    await describeUntil(s.control, second, ['Active']);

    const r = await s.control.send(new UpdateJobPriorityCommand({ AccountId: ACCOUNT, JobId: first, Priority: 100 }));
    assert.equal(r.Priority, 100);
    await describeUntil(s.control, second, ['Paused']);
    const resumed = await describeUntil(s.control, first, ['Active', 'Completing', 'Complete']);
    assert.equal(resumed.Priority, 100);
    await describeUntil(s.control, first, ['Complete']);
    const other = (await s.control.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: second }))).Job!;
    assert.notEqual(other.Status, 'Complete', 'the raised job ran first');
    await assertExact(s, first, 'first', 300);
    await assertExact(s, second, 'second', 300);
    assert.deepEqual(await statusesOf(s.srv, second), ['Preparing', 'Ready', 'Active', 'Pausing', 'Paused', 'Active', 'Completing', 'Complete']);
  });
});

describe('pre-emption with a free slot', () => {
  let s: Awaited<ReturnType<typeof server>>;
  before(async () => {
    s = await server(2, 1);
  });
  after(() => s.srv.stop());

  it('a higher-priority job takes the free slot: the lower-priority one is not paused', { timeout: 60_000 }, async () => {
    const low = await createJob(s, 'calm', 200, 1);
    await describeUntil(s.control, low, ['Active']);
    const high = await createJob(s, 'urgent', 100, 100);
    await describeUntil(s.control, high, ['Complete']);
    await assertExact(s, low, 'calm', 200);
    await assertExact(s, high, 'urgent', 100);
    assert.deepEqual(await statusesOf(s.srv, low), ['Preparing', 'Ready', 'Active', 'Completing', 'Complete']);
  });
});
