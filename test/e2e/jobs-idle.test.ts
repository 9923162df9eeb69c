/**
 * The engine's idle cost and its wake-ups (engine.ts): idle, only the control loop looks at the
 * store, less and less often, instead of 1 + maxSegments loops every `pollMs`; and with polling
 * slowed to once every 10 s, every local trigger — CreateJob, UpdateJobStatus Ready and
 * Cancelled through the S3 Control API, a prepared job, a segment's end — still gets the work done
 * at once, and a wake puts as many runners to work as there are jobs to run.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateJobCommand, DescribeJobCommand, UpdateJobStatusCommand, type JobDescriptor, type S3ControlClient } from '@aws-sdk/client-s3-control';
import type { JobStore } from '../../src/jobs/store.js';
import { ACCOUNT, controlClient, createRole, putObject, startJobsServer, type JobsServer } from './jobs-fixtures.js';

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:slow';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Counts the engine's looks for work (the same JobStore object the engine calls). */
function countLooks(store: JobStore): { readonly count: number } {
  const counter = { count: 0 };
  const s = store as { leaseSegment: JobStore['leaseSegment']; leaseJob: JobStore['leaseJob'] };
  const leaseSegment = s.leaseSegment;
  const leaseJob = s.leaseJob;
  s.leaseSegment = (...a) => (counter.count++, leaseSegment(...a));
  s.leaseJob = (...a) => (counter.count++, leaseJob(...a));
  return counter;
}

describe('an idle engine', () => {
  let srv: JobsServer;
  before(async () => {
    srv = await startJobsServer({ engine: { pollMs: 20, idlePollMaxMs: 500, maxSegments: 4 } });
  });
  after(() => srv.stop());

  it('looks for work a few times a second at most, from one loop', async (t) => {
    await sleep(300);
    const looks = countLooks(srv.app.jobs);
    await sleep(2000);
    t.diagnostic(`${looks.count} looks in 2 s`);
    // Before: 5 loops × one look every 20 ms = ~500 looks in 2 s. Now: the control loop alone
    // (2 job leases + 1 segment look per poll), backing off to one poll every 500 ms.
    assert.ok(looks.count <= 30, `${looks.count} looks at the store in 2 s of idling`);
  });
});

describe('an engine that polls once every 10 s: every trigger wakes it', () => {
  let srv: JobsServer;
  let control: S3ControlClient;
  let roleArn: string;
  let lambda: Server;

  before(async () => {
    // A slow function: 20 ms a task.
    lambda = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const ev = JSON.parse(body) as { invocationId: string; tasks: { taskId: string }[] };
        setTimeout(() => res.end(JSON.stringify({ invocationSchemaVersion: '1.0', invocationId: ev.invocationId, results: [{ taskId: ev.tasks[0]!.taskId, resultCode: 'Succeeded', resultString: 'ok' }] })), 20);
      });
    });
    await new Promise<void>((r) => lambda.listen(0, '127.0.0.1', r));
    srv = await startJobsServer({
      lambdaFunctions: [{ arn: FUNCTION_ARN, url: `http://127.0.0.1:${(lambda.address() as AddressInfo).port}/` }],
      engine: { pollMs: 10_000, idlePollMaxMs: 10_000, maxSegments: 4, maxSegmentsPerJob: 1, maxTasksPerJob: 8, segmentLines: 20, checkpointTasks: 5, checkpointMs: 50 },
    });
    for (const b of ['data', 'manifests']) await srv.s3.send(new CreateBucketCommand({ Bucket: b }));
    for (let i = 0; i < 4; i++) await putObject(srv.s3, 'data', `k${i}`, 'x');
    roleArn = await createRole(srv.iam, 'batch-idle', ['s3:*', 'lambda:InvokeFunction']);
    control = controlClient(srv.url);
  });
  after(async () => {
    await srv.stop();
    await new Promise<void>((r) => lambda.close(() => r()));
  });

  async function createJob(name: string, op: 'tag' | 'slow', rows: number, confirm = false): Promise<string> {
    let csv = '';
    for (let i = 0; i < rows; i++) csv += op === 'tag' ? `data,k${i % 4}\n` : `data,${name}-${i}\n`;
    const etag = await putObject(srv.s3, 'manifests', `${name}.csv`, csv);
    const r = await control.send(new CreateJobCommand({
      AccountId: ACCOUNT, ConfirmationRequired: confirm, Priority: 10, RoleArn: roleArn, ClientRequestToken: name,
      Operation: op === 'tag' ? { S3PutObjectTagging: { TagSet: [{ Key: 'run', Value: name }] } } : { LambdaInvoke: { FunctionArn: FUNCTION_ARN, InvocationSchemaVersion: '1.0' } },
      Manifest: { Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key'] }, Location: { ObjectArn: `arn:aws:s3:::manifests/${name}.csv`, ETag: etag } },
      Report: { Enabled: false },
    }));
    return r.JobId!;
  }

  async function describeUntil(id: string, statuses: readonly string[], withinMs: number): Promise<JobDescriptor> {
    const until = Date.now() + withinMs;
    for (;;) {
      const job = (await control.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: id }))).Job!;
      if (statuses.includes(job.Status!)) return job;
      if (Date.now() > until) throw new Error(`job ${id} is ${job.Status}, not ${statuses.join('/')}, ${withinMs} ms on (the next poll is 10 s away: a wake was missed)`);
      await sleep(5);
    }
  }

  it('CreateJob: prepared, run and finished without a poll', async () => {
    await sleep(200); // the engine is asleep
    const id = await createJob('now', 'tag', 4);
    const job = await describeUntil(id, ['Complete'], 2000);
    assert.equal(job.ProgressSummary!.NumberOfTasksSucceeded, 4);
  });

  it('UpdateJobStatus Ready runs a confirmed job at once', async () => {
    const id = await createJob('confirmed', 'tag', 4, true);
    await describeUntil(id, ['Suspended'], 2000);
    await sleep(200);
    await control.send(new UpdateJobStatusCommand({ AccountId: ACCOUNT, JobId: id, RequestedJobStatus: 'Ready' }));
    await describeUntil(id, ['Complete'], 2000);
  });

  it('UpdateJobStatus Cancelled ends a running job at once', async () => {
    const id = await createJob('long', 'slow', 2000);
    await describeUntil(id, ['Active'], 2000);
    await control.send(new UpdateJobStatusCommand({ AccountId: ACCOUNT, JobId: id, RequestedJobStatus: 'Cancelled' }));
    const job = await describeUntil(id, ['Cancelled'], 2000);
    assert.ok(job.ProgressSummary!.NumberOfTasksSucceeded! < 2000);
  });

  it('jobs created together run together: a runner that gets work wakes the next', async () => {
    const ids = [await createJob('a', 'slow', 200), await createJob('b', 'slow', 200), await createJob('c', 'slow', 200)];
    // One segment per job at a time (maxSegmentsPerJob 1), 4 runners: all three run at once,
    // long before any of them could finish (200 tasks ≈ 0.5 s).
    const until = Date.now() + 2000;
    for (;;) {
      const jobs = await Promise.all(ids.map(async (id) => (await control.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: id }))).Job!));
      const running = jobs.filter((j) => (j.ProgressSummary!.NumberOfTasksSucceeded ?? 0) > 0 && j.Status === 'Active').length;
      if (running === 3) break;
      assert.ok(jobs.every((j) => j.Status !== 'Complete'), `a job finished before the others started: ${jobs.map((j) => j.Status).join(', ')}`);
      assert.ok(Date.now() < until, `only ${running} of 3 jobs running`);
      await sleep(5);
    }
    for (const id of ids) await describeUntil(id, ['Complete'], 5000);
  });
});
