/**
 * `GET /_events` on the server's own port, as a client meets it: the request is authenticated by
 * SigV4 like every other request on the port (header or presigned URL; unsigned → 403
 * AccessDenied, a bad signature → 403 SignatureDoesNotMatch) and needs s3:ListJobs, then a job created and run through
 * the S3 Control SDK streams JobCreated and every JobStatusChanged up to Complete, in order, each
 * an EventBridge event with the CloudTrail record of spec §8.3; a reconnect with Last-Event-ID (or
 * `?after=`) resumes after that event.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateJobCommand, S3ControlClient } from '@aws-sdk/client-s3-control';
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY } from '../helpers/server.js';
import { errorCode, presignedUrl, signRequest } from '../helpers/signed-request.js';
import { readEventStream, type SseFrame, type SseStream } from '../helpers/sse.js';
import { ACCOUNT, createRole, putObject, startJobsServer, type JobsServer } from './jobs-fixtures.js';

let srv: JobsServer;
let port: number;
let roleArn: string;
let etag: string;

before(async () => {
  srv = await startJobsServer();
  port = srv.app.port;
  await srv.s3.send(new CreateBucketCommand({ Bucket: 'ev-data' }));
  await putObject(srv.s3, 'ev-data', 'a.txt', 'a');
  await putObject(srv.s3, 'ev-data', 'b.txt', 'b');
  etag = await putObject(srv.s3, 'ev-data', 'manifest.csv', 'ev-data,a.txt\nev-data,b.txt\n');
  roleArn = await createRole(srv.iam, 'batch-events', ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObjectTagging']);
});

after(async () => {
  await srv.stop();
});

/** GETs `target` (a path, or a whole presigned URL) on the server's port and reads the stream until `until` says so. */
function read(target: string, headers: Record<string, string>, until: (frames: readonly SseFrame[]) => boolean, ms = 10_000): Promise<SseStream> {
  return readEventStream(target.startsWith('http') ? target : `http://127.0.0.1:${port}${target}`, headers, until, ms);
}

/** Headers of a SigV4-signed GET /_events (the SDK's own signer). */
function signed(query: Record<string, string> = {}, extra: Record<string, string> = {}, secretAccessKey?: string): Promise<Record<string, string>> {
  return signRequest(port, { method: 'GET', path: '/_events', query, headers: extra, secretAccessKey });
}

const qs = (q: Record<string, string>): string => (Object.keys(q).length ? `?${new URLSearchParams(q).toString()}` : '');

const completed = (jobId: string) => (frames: readonly SseFrame[]): boolean => frames.some((f) => f.data.detail.serviceEventDetails.jobId === jobId && f.data.detail.serviceEventDetails.status === 'Complete');

async function createJob(): Promise<string> {
  const control = new S3ControlClient({ endpoint: srv.url, region: REGION, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }, endpointProvider: () => ({ url: new URL(srv.url) }), maxAttempts: 1 });
  const r = await control.send(
    new CreateJobCommand({
      AccountId: ACCOUNT,
      Operation: { S3PutObjectTagging: { TagSet: [{ Key: 'seen', Value: 'yes' }] } },
      Manifest: { Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key'] }, Location: { ObjectArn: 'arn:aws:s3:::ev-data/manifest.csv', ETag: etag } },
      Report: { Enabled: false },
      Priority: 10,
      RoleArn: roleArn,
      ConfirmationRequired: false,
    }),
  );
  return r.JobId!;
}

describe('GET /_events on the server port', () => {
  it('authenticates like every request on the port: unsigned → AccessDenied, bad signature → SignatureDoesNotMatch; a bad cursor → InvalidArgument', async () => {
    const anonymous = await read('/_events', {}, () => false, 2000);
    assert.equal(anonymous.status, 403);
    assert.equal(errorCode(anonymous.raw), 'AccessDenied');
    assert.equal(anonymous.frames.length, 0);

    const forged = await read('/_events', await signed({}, {}, 'not-the-secret-key-0000000000000000000000'), () => false, 2000);
    assert.equal(forged.status, 403);
    assert.equal(errorCode(forged.raw), 'SignatureDoesNotMatch');

    const bad = await read('/_events?after=x', await signed({ after: 'x' }), () => false, 2000);
    assert.equal(bad.status, 400);
    assert.equal(errorCode(bad.raw), 'InvalidArgument');
  });

  it('needs s3:ListJobs: an IAM user without it gets AccessDenied, one allowed it gets the stream', async () => {
    await srv.iam.send(new CreateUserCommand({ UserName: 'events-reader' }));
    const key = (await srv.iam.send(new CreateAccessKeyCommand({ UserName: 'events-reader' }))).AccessKey!;
    const as = (): Promise<Record<string, string>> => signRequest(port, { method: 'GET', path: '/_events', accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! });
    const denied = await read('/_events', await as(), () => false, 2000);
    assert.equal(denied.status, 403);
    assert.equal(errorCode(denied.raw), 'AccessDenied');
    await srv.iam.send(new PutUserPolicyCommand({
      UserName: 'events-reader', PolicyName: 'list-jobs',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:ListJobs', Resource: '*' }] }),
    }));
    const allowed = await read('/_events', await as(), () => false, 1000);
    assert.equal(allowed.status, 200);
    assert.equal(allowed.type, 'text/event-stream; charset=utf-8');
  });

  it('streams JobCreated and every JobStatusChanged up to Complete, in order, with the CloudTrail record of spec §8.3', async () => {
    // Connected before the job exists: everything arrives live.
    const stream = read('/_events', await signed(), (frames) => frames.some((f) => f.data.detail.serviceEventDetails.status === 'Complete'));
    await new Promise((r) => setTimeout(r, 300));
    const jobId = await createJob();
    const s = await stream;
    assert.equal(s.status, 200);
    assert.equal(s.type, 'text/event-stream; charset=utf-8');
    const mine = s.frames.filter((f) => f.data.detail.serviceEventDetails.jobId === jobId);
    assert.deepEqual(mine.map((f) => f.event), ['JobCreated', 'JobStatusChanged', 'JobStatusChanged', 'JobStatusChanged', 'JobStatusChanged', 'JobStatusChanged']);
    assert.deepEqual(mine.map((f) => f.data.detail.serviceEventDetails.status), ['New', 'Preparing', 'Ready', 'Active', 'Completing', 'Complete']);
    const ids = mine.map((f) => Number(f.id));
    assert.deepEqual([...ids].sort((a, b) => a - b), ids, 'ids increase');
    assert.equal(new Set(ids).size, ids.length);

    const stored = (await srv.app.jobs.readEvents(0, 1000)).filter((e) => e.jobId === jobId);
    assert.deepEqual(ids, stored.map((e) => e.seq));
    for (const [i, f] of mine.entries()) {
      const e = f.data;
      assert.equal(e.source, 'aws.s3');
      assert.equal(e['detail-type'], 'AWS Service Event via CloudTrail');
      assert.equal(e.account, ACCOUNT);
      assert.equal(e.region, REGION);
      const d = e.detail;
      assert.deepEqual(Object.keys(d), [
        'eventVersion', 'userIdentity', 'eventTime', 'eventSource', 'eventName', 'awsRegion', 'sourceIPAddress', 'userAgent',
        'requestParameters', 'responseElements', 'eventID', 'readOnly', 'eventType', 'recipientAccountId', 'serviceEventDetails',
      ]);
      assert.equal(d.eventVersion, '1.05');
      assert.deepEqual(d.userIdentity, { accountId: ACCOUNT, invokedBy: 's3.amazonaws.com' });
      assert.match(d.eventTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal(d.eventSource, 's3.amazonaws.com');
      assert.equal(d.eventName, f.event);
      assert.equal(d.awsRegion, REGION);
      assert.equal(d.sourceIPAddress, 's3.amazonaws.com');
      assert.equal(d.userAgent, 's3.amazonaws.com');
      assert.equal(d.requestParameters, null);
      assert.equal(d.responseElements, null);
      assert.match(d.eventID, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(d.readOnly, false);
      assert.equal(d.eventType, 'AwsServiceEvent');
      assert.equal(d.recipientAccountId, ACCOUNT);
      assert.deepEqual(Object.keys(d.serviceEventDetails), ['jobId', 'jobArn', 'status', 'jobEventId', 'failureCodes', 'statusChangeReason']);
      assert.equal(d.serviceEventDetails.jobArn, `arn:aws:s3:${REGION}:${ACCOUNT}:job/${jobId}`);
      assert.match(d.serviceEventDetails.jobEventId, /^[0-9a-f]{32}$/);
      assert.equal(d.serviceEventDetails.jobEventId, stored[i]!.eventId);
      assert.deepEqual(d.serviceEventDetails.failureCodes, []);
      assert.deepEqual(d.serviceEventDetails.statusChangeReason, []);
    }
  });

  it('resumes after Last-Event-ID (what an EventSource sends when it reconnects) or ?after=; a presigned URL works too', async () => {
    const jobId = await createJob();
    const all = await read('/_events', await signed(), completed(jobId));
    const mine = all.frames.filter((f) => f.data.detail.serviceEventDetails.jobId === jobId);
    assert.equal(mine.length, 6);
    const third = mine[2]!.id;
    const expected = mine.slice(3).map((f) => f.id);

    const resumed = await read('/_events', await signed({}, { 'last-event-id': third }), completed(jobId));
    assert.equal(resumed.status, 200);
    assert.deepEqual(resumed.frames.map((f) => f.id), expected);

    const after = await read(`/_events${qs({ after: third })}`, await signed({ after: third }), completed(jobId));
    assert.deepEqual(after.frames.map((f) => f.id), expected);

    // An EventSource reconnects to the URL it opened, ?after= and all: its Last-Event-ID says where it got to.
    const first = mine[0]!.id;
    const reconnect = await read(`/_events${qs({ after: first })}`, await signed({ after: first }, { 'last-event-id': third }), completed(jobId));
    assert.deepEqual(reconnect.frames.map((f) => f.id), expected);

    // Query-string authentication: the form a browser's EventSource (which sends no headers) can use.
    const url = await presignedUrl(port, { method: 'GET', path: '/_events', expiresIn: 60, query: { after: third } });
    const presigned = await read(url, {}, completed(jobId));
    assert.equal(presigned.status, 200, presigned.raw);
    assert.deepEqual(presigned.frames.map((f) => f.id), expected);
  });
});
