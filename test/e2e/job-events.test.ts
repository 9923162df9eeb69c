/**
 * Job events: JobCreated / JobStatusChanged delivered to a configured webhook (EventBridge JSON,
 * HMAC-signed, retried in order after 500s, cursor persisted across a restart), and the live SSE
 * stream (src/http/events.ts): its handler behind a tiny HTTP server (account scoping, heartbeats
 * at test speed), and `GET /_events` on the server's own port as a client meets it — SigV4 first,
 * then a job created through the SDK streamed from JobCreated to Complete, and Last-Event-ID
 * resume (job-events-port.test.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateJobCommand, S3ControlClient } from '@aws-sdk/client-s3-control';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, startInProcess, tempDir, type InProcessServer } from '../helpers/server.js';
import { readEventStream, type SseStream } from '../helpers/sse.js';
import { handleEventStream } from '../../src/http/events.js';
import type { Principal } from '../../src/auth/credentials.js';
import type { JobEvent } from '../../src/jobs/store.js';
import type { App } from '../../src/app.js';

const ACCOUNT = '000000000000';
const SECRET = 'webhook-secret-0123456789';

interface Received {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** The webhook receiver: answers `failNext` requests with 500 (or every one while `failAll`), the rest 204. */
class Receiver {
  readonly requests: Received[] = [];
  failNext = 0;
  failAll = false;
  private server!: Server;
  url = '';
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        const status = this.failAll || this.failNext > 0 ? 500 : 204;
        if (this.failNext > 0) this.failNext--;
        this.requests.push({ status, headers: req.headers, body });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook?token=abc`;
  }
  delivered(): Received[] {
    return this.requests.filter((r) => r.status === 204);
  }
  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

function control(url: string): S3ControlClient {
  return new S3ControlClient({ endpoint: url, region: REGION, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }, endpointProvider: () => ({ url: new URL(url) }), maxAttempts: 1 });
}

/** A job whose manifest does not exist: the engine takes it New → Preparing → Failing → Failed. */
async function createFailingJob(url: string): Promise<string> {
  const r = await control(url).send(
    new CreateJobCommand({
      AccountId: ACCOUNT,
      Operation: { S3PutObjectTagging: { TagSet: [{ Key: 'a', Value: 'b' }] } },
      Report: { Enabled: false },
      Manifest: { Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key'] }, Location: { ObjectArn: 'arn:aws:s3:::no-such-bucket-events/m.csv', ETag: 'abc' } },
      Priority: 10,
      RoleArn: `arn:aws:iam::${ACCOUNT}:role/none`,
      ConfirmationRequired: false,
    }),
  );
  return r.JobId!;
}

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function terminal(app: App, id: string): Promise<void> {
  await until(`job ${id} terminal`, async () => {
    const j = await app.jobs.get(id);
    return j && ['Complete', 'Failed', 'Cancelled'].includes(j.status) ? true : undefined;
  });
}

async function eventsOf(app: App): Promise<readonly JobEvent[]> {
  return app.jobs.readEvents(0, 10_000);
}

describe('job events to webhooks', () => {
  const receiver = new Receiver();
  const dataDir = tempDir('s3batch-events-');
  let server: InProcessServer | undefined;
  const start = async (): Promise<InProcessServer> => {
    const cfg = join(dataDir, '..', `${dataDir.split('/').pop()}-config.json`);
    writeFileSync(cfg, JSON.stringify({ webhooks: [{ url: receiver.url, secret: SECRET, retryBaseMs: 40, retryMaxMs: 150 }] }));
    return startInProcess({ dataDir, env: { S3BATCH_CONFIG: cfg } });
  };

  before(async () => {
    await receiver.start();
  });
  after(async () => {
    await server?.stop();
    await receiver.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(`${dataDir}-config.json`, { force: true });
  });

  it('delivers JobCreated and every status change, signed, in order, re-sending after 500s', async () => {
    receiver.failNext = 2;
    server = await start();
    const id = await createFailingJob(server.url);
    await terminal(server.app, id);
    const stored = await eventsOf(server.app);
    assert.deepEqual(stored.map((e) => e.status), ['New', 'Preparing', 'Failing', 'Failed']);
    await until('all events delivered', () => (receiver.delivered().length === stored.length ? true : undefined));

    // The first delivery failed twice and was re-sent, identical, before anything else.
    const [a, b, c] = receiver.requests;
    assert.deepEqual([a!.status, b!.status, c!.status], [500, 500, 204]);
    assert.equal(a!.body, c!.body);
    assert.equal(a!.headers['x-s3batch-event-id'], stored[0]!.eventId);
    assert.equal(b!.headers['x-s3batch-event-id'], stored[0]!.eventId);

    const delivered = receiver.delivered();
    assert.deepEqual(delivered.map((r) => r.headers['x-s3batch-event-id']), stored.map((e) => e.eventId));
    for (const r of delivered) {
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers['x-s3batch-signature'], 'sha256=' + createHmac('sha256', SECRET).update(r.body).digest('hex'));
      assert.match(String(r.headers['x-s3batch-timestamp']), /^\d{10}$/);
    }
    const docs = delivered.map((r) => JSON.parse(r.body) as Record<string, any>);
    assert.deepEqual(docs.map((d) => d.detail.eventName), ['JobCreated', 'JobStatusChanged', 'JobStatusChanged', 'JobStatusChanged']);
    const first = docs[0]!;
    assert.equal(first.source, 'aws.s3');
    assert.equal(first['detail-type'], 'AWS Service Event via CloudTrail');
    assert.equal(first.account, ACCOUNT);
    assert.equal(first.region, REGION);
    assert.match(first.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(Object.keys(first.detail), [
      'eventVersion', 'userIdentity', 'eventTime', 'eventSource', 'eventName', 'awsRegion', 'sourceIPAddress', 'userAgent',
      'requestParameters', 'responseElements', 'eventID', 'readOnly', 'eventType', 'recipientAccountId', 'serviceEventDetails',
    ]);
    assert.equal(first.detail.eventVersion, '1.05');
    assert.deepEqual(first.detail.userIdentity, { accountId: ACCOUNT, invokedBy: 's3.amazonaws.com' });
    assert.equal(first.detail.eventType, 'AwsServiceEvent');
    assert.match(first.detail.eventID, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual(first.detail.serviceEventDetails, {
      jobId: id, jobArn: `arn:aws:s3:${REGION}:${ACCOUNT}:job/${id}`, status: 'New', jobEventId: stored[0]!.eventId, failureCodes: [], statusChangeReason: [],
    });
    const failed = docs[3]!.detail.serviceEventDetails;
    assert.equal(failed.status, 'Failed');
    assert.deepEqual(failed.failureCodes, stored[3]!.failureCodes);
    // The cursors file holds no URL and no secret.
    const cursors = readFileSync(join(dataDir, 'webhook-cursors.json'), 'utf8');
    assert.equal(cursors.includes('127.0.0.1') || cursors.includes(SECRET), false);
    assert.deepEqual(Object.values(JSON.parse(cursors)), [stored[3]!.seq]);
  });

  it('resumes from the persisted cursor after a restart: nothing lost, nothing acknowledged re-sent', async () => {
    const before = receiver.delivered().length;
    receiver.failAll = true;
    const id = await createFailingJob(server!.url);
    await terminal(server!.app, id);
    const stored = await eventsOf(server!.app);
    await server!.stop();
    server = undefined;
    assert.equal(receiver.delivered().length, before, 'nothing acknowledged while the webhook fails');

    receiver.failAll = false;
    server = await start();
    await until('events of the second job delivered', () => (receiver.delivered().length === stored.length ? true : undefined));
    await new Promise((r) => setTimeout(r, 300)); // no late duplicates either
    assert.deepEqual(receiver.delivered().map((r) => r.headers['x-s3batch-event-id']), stored.map((e) => e.eventId));
    assert.deepEqual(receiver.delivered().slice(before).map((r) => (JSON.parse(r.body) as any).detail.serviceEventDetails.jobId), [id, id, id, id]);
  });
});

describe('job event stream (SSE)', () => {
  let app: InProcessServer;
  let sse: Server;
  let sseUrl = '';
  let principal: Principal | undefined;

  before(async () => {
    app = await startInProcess();
    sse = createServer((req, res) => {
      const q = (req.url ?? '').split('?')[1] ?? '';
      void handleEventStream(req, res, { jobs: app.app.jobs, region: REGION, principal, requestId: 'REQ1', rawQuery: q, log: () => undefined, pollMs: 20, heartbeatMs: 100 });
    });
    await new Promise<void>((r) => sse.listen(0, '127.0.0.1', r));
    sseUrl = `http://127.0.0.1:${(sse.address() as AddressInfo).port}/_events`;
  });
  after(async () => {
    sse.closeAllConnections();
    await new Promise((r) => sse.close(r));
    await app.stop();
  });

  const root = (accountId: string): Principal => ({ kind: 'root', accountId, arn: `arn:aws:iam::${accountId}:root`, accessKeyId: 'AK', userId: accountId, tags: {} });

  /** Reads the stream until `n` events (or `ms` elapse); returns the frames and the raw text. */
  function read(path: string, n: number, ms = 5000, headers: Record<string, string> = {}): Promise<SseStream> {
    return readEventStream(sseUrl + path, headers, (frames) => frames.length >= n, ms);
  }

  it('refuses an unsigned caller with AccessDenied and a bad cursor with InvalidArgument', async () => {
    principal = undefined;
    const r = await read('', 1, 2000);
    assert.equal(r.status, 403);
    assert.match(r.raw, /<Code>AccessDenied<\/Code>/);
    principal = root(ACCOUNT);
    const bad = await read('?after=-1', 1, 2000);
    assert.equal(bad.status, 400);
    assert.match(bad.raw, /<Code>InvalidArgument<\/Code><Message>after must be a non-negative integer event sequence number, got &apos;-1&apos;\.<\/Message>|<Code>InvalidArgument<\/Code><Message>after must be a non-negative integer event sequence number, got '-1'\.<\/Message>/);
  });

  it('replays after a sequence number, then streams new events live, with heartbeats; other accounts see none', async () => {
    principal = root(ACCOUNT);
    const id = await createFailingJob(app.url);
    await terminal(app.app, id);
    const stored = await eventsOf(app.app);
    assert.equal(stored.length, 4);

    const all = await read('', 4);
    assert.equal(all.status, 200);
    assert.equal(all.type, 'text/event-stream; charset=utf-8');
    assert.deepEqual(all.frames.map((f) => f.id), stored.map((e) => String(e.seq)));
    assert.deepEqual(all.frames.map((f) => f.event), ['JobCreated', 'JobStatusChanged', 'JobStatusChanged', 'JobStatusChanged']);
    assert.equal(all.frames[0]!.data.detail.serviceEventDetails.jobId, id);

    const tail = await read(`?after=${stored[1]!.seq}`, 2);
    assert.deepEqual(tail.frames.map((f) => f.data.detail.serviceEventDetails.status), ['Failing', 'Failed']);
    const resumed = await read('', 1, 5000, { 'last-event-id': String(stored[2]!.seq) });
    assert.deepEqual(resumed.frames.map((f) => f.id), [String(stored[3]!.seq)]);

    // Live: connect at the head, then create a job.
    const live = read(`?after=${stored[3]!.seq}`, 1);
    await new Promise((r) => setTimeout(r, 150));
    const id2 = await createFailingJob(app.url);
    const got = await live;
    assert.equal(got.frames[0]!.event, 'JobCreated');
    assert.equal(got.frames[0]!.data.detail.serviceEventDetails.jobId, id2);
    assert.match(got.raw, /: keep-alive\n\n/);

    principal = root('111111111111');
    const other = await read('', 1, 400);
    assert.equal(other.status, 200);
    assert.deepEqual(other.frames, []);
  });
});
