/**
 * The engine's side of the job life cycle: the failure threshold (≥ 1,000 tasks run and > 50 %
 * failed → Failing → Failed, report still written), a cancel while tasks run (in-flight tasks
 * finish, the report holds exactly the tasks that ran), and priority (a higher-priority job gets
 * the worker first).
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createRole, csvJobDefinition, putObject, readReport, startJobsServer, submitJob, waitForStatus, type JobsServer } from './jobs-fixtures.js';

let srv: JobsServer;
let roleArn: string;
let lambda: Server;
const order: string[] = [];

before(async () => {
  // A slow function (20 ms a task) that records which job called it.
  lambda = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const ev = JSON.parse(body) as { invocationId: string; job: { id: string }; tasks: { taskId: string }[] };
      order.push(ev.job.id);
      setTimeout(() => res.end(JSON.stringify({ invocationSchemaVersion: '1.0', invocationId: ev.invocationId, results: [{ taskId: ev.tasks[0]!.taskId, resultCode: 'Succeeded', resultString: 'ok' }] })), 20);
    });
  });
  await new Promise<void>((r) => lambda.listen(0, '127.0.0.1', r));
  srv = await startJobsServer({
    lambdaFunctions: [{ arn: 'arn:aws:lambda:us-east-1:000000000000:function:slow', url: `http://127.0.0.1:${(lambda.address() as AddressInfo).port}/` }],
    engine: { maxSegments: 1, maxSegmentsPerJob: 1, maxTasksPerJob: 8, maxTasks: 8, segmentLines: 20, checkpointTasks: 5, checkpointMs: 50 },
  });
  for (const b of ['data', 'manifests', 'reports']) await srv.s3.send(new CreateBucketCommand({ Bucket: b }));
  roleArn = await createRole(srv.iam, 'batch-life', ['s3:*', 'lambda:InvokeFunction']);
});

after(async () => {
  await srv.stop();
  await new Promise<void>((r) => lambda.close(() => r()));
});

const slow = { kind: 'LambdaInvoke' as const, functionArn: 'slow', invocationSchemaVersion: '1.0' as const };

async function manifest(name: string, rows: number): Promise<string> {
  let csv = '';
  for (let i = 0; i < rows; i++) csv += `data,${name}-${i}\n`;
  return putObject(srv.s3, 'manifests', `${name}.csv`, csv);
}

it('more than half of ≥ 1,000 tasks failed: Failing → Failed with the reason, the report is written', { timeout: 60_000 }, async () => {
  const etag = await manifest('missing', 1200);
  const id = await submitJob(srv.app, csvJobDefinition({ operation: { kind: 'S3PutObjectTagging', tagSet: [['a', 'b']] }, roleArn, manifest: { bucket: 'manifests', key: 'missing.csv', etag }, report: { bucket: 'reports', prefix: 'threshold', scope: 'FailedTasksOnly' } }));
  const job = await waitForStatus(srv.app, id, ['Failed', 'Complete'], 40_000);
  assert.equal(job.status, 'Failed');
  assert.equal(job.failureReasons[0]!.failureCode, 'TaskFailureThresholdExceeded');
  const ran = job.progress.numberOfTasksFailed + job.progress.numberOfTasksSucceeded;
  assert.ok(ran >= 1000 && ran <= 1200, `ran ${ran}`);
  const rep = await readReport(srv.s3, 'reports', `threshold/job-${id}`);
  assert.equal(rep.rows.length, job.progress.numberOfTasksFailed);
  assert.ok(rep.rows.every((r) => r[3] === 'failed' && r[5] === 'NoSuchKey'));
});

it('a cancel stops new tasks; the report lists exactly the tasks that ran', { timeout: 60_000 }, async () => {
  const etag = await manifest('cancel', 400);
  const id = await submitJob(srv.app, csvJobDefinition({ operation: slow, roleArn, manifest: { bucket: 'manifests', key: 'cancel.csv', etag }, report: { bucket: 'reports', prefix: 'cancel' } }));
  for (;;) {
    const j = (await srv.app.jobs.get(id))!;
    if (j.progress.numberOfTasksSucceeded >= 20) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const r = await srv.app.jobs.transition(id, ['Active'], 'Cancelling', { statusUpdateReason: 'enough' }, Date.now());
  assert.ok(r.ok);
  const job = await waitForStatus(srv.app, id, ['Cancelled']);
  const ran = job.progress.numberOfTasksSucceeded;
  assert.ok(ran >= 20 && ran < 400, `ran ${ran}`);
  const rep = await readReport(srv.s3, 'reports', `cancel/job-${id}`);
  assert.equal(rep.rows.length, ran);
  assert.equal(new Set(rep.rows.map((x) => x[1])).size, ran);
});

it('a higher-priority job gets the worker first', { timeout: 60_000 }, async () => {
  order.length = 0;
  const lowEtag = await manifest('low', 200);
  const highEtag = await manifest('high', 40);
  const low = await submitJob(srv.app, csvJobDefinition({ operation: slow, roleArn, manifest: { bucket: 'manifests', key: 'low.csv', etag: lowEtag }, report: false }), 1);
  await waitForStatus(srv.app, low, ['Active']);
  const high = await submitJob(srv.app, csvJobDefinition({ operation: slow, roleArn, manifest: { bucket: 'manifests', key: 'high.csv', etag: highEtag }, report: false }), 100);
  await waitForStatus(srv.app, high, ['Complete']);
  const lowJob = (await srv.app.jobs.get(low))!;
  assert.notEqual(lowJob.status, 'Complete', 'the low-priority job finished first');
  // Once the high-priority job had a segment, the low one got none until it was done.
  const firstHigh = order.indexOf(high);
  const lastHigh = order.lastIndexOf(high);
  const lowBetween = order.slice(firstHigh, lastHigh).filter((j) => j === low).length;
  assert.ok(lowBetween <= 8, `low-priority tasks ran among the high-priority ones: ${lowBetween}`);
  await waitForStatus(srv.app, low, ['Complete']);
});
