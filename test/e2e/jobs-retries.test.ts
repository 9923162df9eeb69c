/**
 * Retries of batch tasks against a remote endpoint that fails (spec §5.4): throttling (503
 * SlowDown, 429), 5xx and network errors are retried with backoff up to EngineOptions.retry's
 * attempts; other 4xx never. Server A runs the job; its storage is server B (a second s3batch)
 * reached through a fault-injecting HTTP proxy written here, which answers chosen
 * PutObjectTagging calls with errors or a reset connection and passes everything else through.
 *
 * The remote StorageClient is the AWS SDK, which retries transient errors itself (3 attempts, its
 * own backoff) inside one engine attempt. The proxy tells the two apart by the SDK's
 * `amz-sdk-invocation-id` header: one id per engine attempt (one `send`), repeated on the SDK's
 * own retries. So faults are keyed by engine attempt ("fail every request of the first N
 * invocations of this key"), and engine attempts are counted as distinct invocation ids.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, GetObjectTaggingCommand } from '@aws-sdk/client-s3';
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { createRole, csvJobDefinition, putObject, readReport, startJobsServer, submitJob, waitForStatus, BATCH_TRUST, type JobsServer } from './jobs-fixtures.js';
import { REGION } from '../helpers/server.js';

/** Engine retries of this test: short backoff so that a task failing every attempt ends quickly. */
const RETRY = { attempts: 3, baseMs: 60, maxMs: 1_000 };

type Fault = { kind: 'error'; status: number; code: string; message: string } | { kind: 'reset' };
const SLOW_DOWN: Fault = { kind: 'error', status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' };
const INTERNAL: Fault = { kind: 'error', status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' };
const TOO_MANY: Fault = { kind: 'error', status: 429, code: 'TooManyRequests', message: 'Too many requests, slow down.' };
const DENIED: Fault = { kind: 'error', status: 403, code: 'AccessDenied', message: 'Access Denied' };
const RESET: Fault = { kind: 'reset' };

/** Per key: the fault for the engine attempt (0-based invocation index), undefined to pass through. */
type Rule = (invocation: number) => Fault | undefined;
const firstN = (n: number, f: Fault): Rule => (i) => (i < n ? f : undefined);
const always = (f: Fault): Rule => () => f;

/** 12 keys that fail their first engine attempt with a 500: the spacing of their second attempt measures the backoff. */
const SPACED = Array.from({ length: 12 }, (_, i) => `spaced-${String(i).padStart(2, '0')}.txt`);
const RULES: Record<string, Rule> = {
  'slow.txt': firstN(2, SLOW_DOWN),
  'internal.txt': firstN(1, INTERNAL),
  'throttled.txt': firstN(1, TOO_MANY),
  'reset.txt': firstN(2, RESET),
  'denied.txt': always(DENIED),
  'always-503.txt': always(SLOW_DOWN),
  ...Object.fromEntries(SPACED.map((k) => [k, firstN(1, INTERNAL)])),
};

interface Seen {
  readonly invocation: string;
  /** `amz-sdk-request: attempt=N; max=M` — the SDK's own attempt within the invocation. */
  readonly sdkAttempt: string;
  readonly fault: string;
  readonly start: number;
  end: number;
}

/** What the proxy saw of PutObjectTagging, per key, in arrival order. */
const seen = new Map<string, Seen[]>();

function invocationsOf(key: string): string[][] {
  const out = new Map<string, string[]>();
  for (const s of seen.get(key) ?? []) out.set(s.invocation, [...(out.get(s.invocation) ?? []), s.fault]);
  return [...out.values()];
}

function errorXml(f: Extract<Fault, { kind: 'error' }>, key: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${f.code}</Code><Message>${f.message}</Message><Resource>/data/${key}</Resource><RequestId>PROXY0001</RequestId></Error>`;
}

function startProxy(upstream: URL): Promise<Server> {
  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    // Host is forwarded as the client sent it: B checks the SigV4 signature over it.
    const up = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const m = /^\/data\/(.+)$/.exec(url.pathname);
    if (req.method !== 'PUT' || !url.searchParams.has('tagging') || !m) return forward(req, res);
    const key = decodeURIComponent(m[1]!);
    const invocation = String(req.headers['amz-sdk-invocation-id'] ?? '');
    const list = seen.get(key) ?? [];
    seen.set(key, list);
    const index = new Set([...list.map((s) => s.invocation), invocation]).size - 1;
    const fault = RULES[key]?.(index);
    const entry: Seen = { invocation, sdkAttempt: String(req.headers['amz-sdk-request'] ?? ''), fault: fault ? (fault.kind === 'reset' ? 'reset' : String(fault.status)) : 'pass', start: Date.now(), end: 0 };
    list.push(entry);
    res.on('close', () => (entry.end = Date.now()));
    if (!fault) return forward(req, res);
    if (fault.kind === 'reset') {
      entry.end = Date.now();
      req.socket.destroy();
      return;
    }
    req.resume();
    req.on('end', () => {
      const body = errorXml(fault, key);
      res.writeHead(fault.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), 'x-amz-request-id': 'PROXY0001' });
      res.end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

let remote: JobsServer; // B: holds the objects
let host: JobsServer; // A: runs the jobs, through the proxy
let proxy: Server;
let roleArn: string;

before(async () => {
  remote = await startJobsServer();
  for (const name of ['data', 'manifests', 'reports']) await remote.s3.send(new CreateBucketCommand({ Bucket: name }));
  for (const k of [...Object.keys(RULES), 'ok.txt']) await putObject(remote.s3, 'data', k, `body of ${k}`);
  await remote.iam.send(new CreateUserCommand({ UserName: 's3batch-a' }));
  await remote.iam.send(new PutUserPolicyCommand({ UserName: 's3batch-a', PolicyName: 'assume', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] }) }));
  const key = (await remote.iam.send(new CreateAccessKeyCommand({ UserName: 's3batch-a' }))).AccessKey!;
  const trustB = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::000000000000:root' }, Action: 'sts:AssumeRole' }] });
  roleArn = await createRole(remote.iam, 'batch-remote', ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:PutObjectTagging'], trustB);
  proxy = await startProxy(new URL(remote.url));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  host = await startJobsServer({
    storage: { kind: 'remote', endpoint: proxyUrl, region: REGION, accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey!, assumeRole: true },
    engine: { retry: RETRY },
  });
  await createRole(host.iam, 'batch-remote', [], BATCH_TRUST);
});

after(async () => {
  await host?.stop();
  proxy?.closeAllConnections();
  await new Promise((r) => proxy?.close(r));
  await remote?.stop();
});

describe('task retries against a failing remote endpoint', () => {
  let rows: string[][];
  let progress: { totalNumberOfTasks: number; numberOfTasksSucceeded: number; numberOfTasksFailed: number };

  before(async () => {
    const keys = [...Object.keys(RULES), 'ok.txt', 'missing.txt'];
    const etag = await putObject(remote.s3, 'manifests', 'm.csv', keys.map((k) => `data,${k}\n`).join(''));
    const id = await submitJob(host.app, csvJobDefinition({ operation: { kind: 'S3PutObjectTagging', tagSet: [['retried', 'yes']] }, roleArn, manifest: { bucket: 'manifests', key: 'm.csv', etag }, report: { bucket: 'reports', prefix: 'r' } }));
    const job = await waitForStatus(host.app, id, ['Complete', 'Failed'], 50_000);
    assert.equal(job.status, 'Complete', JSON.stringify(job.failureReasons));
    progress = job.progress;
    rows = (await readReport(remote.s3, 'reports', `r/job-${id}`)).rows;
  });

  it('counts and report rows: the retried tasks succeeded, AccessDenied, NoSuchKey and the endless 503 failed', () => {
    assert.deepEqual([progress.totalNumberOfTasks, progress.numberOfTasksSucceeded, progress.numberOfTasksFailed], [20, 17, 3]);
    const byKey = new Map(rows.map((r) => [r[1]!, r]));
    assert.equal(byKey.size, 20);
    for (const k of ['slow.txt', 'internal.txt', 'throttled.txt', 'reset.txt', 'ok.txt', ...SPACED]) {
      assert.deepEqual(byKey.get(k), ['data', k, '', 'succeeded', '200', '', 'Successful'], k);
    }
    assert.deepEqual(byKey.get('denied.txt'), ['data', 'denied.txt', '', 'failed', '403', 'AccessDenied', 'Access Denied']);
    assert.deepEqual(byKey.get('missing.txt'), ['data', 'missing.txt', '', 'failed', '404', 'NoSuchKey', 'The specified key does not exist.']);
    assert.deepEqual(byKey.get('always-503.txt'), ['data', 'always-503.txt', '', 'failed', '503', 'SlowDown', 'Please reduce your request rate.']);
  });

  it('the retried tasks reached the remote again after their failed attempts, and their tags are set', async () => {
    // Engine attempts (SDK invocations) per key; every request of a failing attempt failed.
    const attempts = (k: string): string[] => invocationsOf(k).map((inv) => (inv.every((f) => f === 'pass') ? 'pass' : inv.every((f) => f !== 'pass') ? inv[0]! : `mixed:${inv.join('/')}`));
    assert.deepEqual(attempts('slow.txt'), ['503', '503', 'pass']);
    assert.deepEqual(attempts('internal.txt'), ['500', 'pass']);
    assert.deepEqual(attempts('throttled.txt'), ['429', 'pass']);
    assert.deepEqual(attempts('reset.txt'), ['reset', 'reset', 'pass']);
    assert.deepEqual(attempts('ok.txt'), ['pass']);
    for (const k of SPACED) assert.deepEqual(attempts(k), ['500', 'pass'], k);
    for (const k of ['slow.txt', 'reset.txt', 'ok.txt']) {
      const t = await remote.s3.send(new GetObjectTaggingCommand({ Bucket: 'data', Key: k }));
      assert.deepEqual(t.TagSet, [{ Key: 'retried', Value: 'yes' }], k);
    }
  });

  it('AccessDenied is tried once: one engine attempt, one request', async () => {
    assert.equal(seen.get('denied.txt')?.length, 1, JSON.stringify(seen.get('denied.txt')));
    const t = await remote.s3.send(new GetObjectTaggingCommand({ Bucket: 'data', Key: 'denied.txt' }));
    assert.deepEqual(t.TagSet, []);
  });

  it(`an endless 503 SlowDown is given up after the configured ${RETRY.attempts} attempts`, () => {
    const inv = invocationsOf('always-503.txt');
    assert.equal(inv.length, RETRY.attempts, JSON.stringify(seen.get('always-503.txt')));
    assert.ok(inv.every((i) => i.every((f) => f === '503')));
  });

  it('retries wait a backoff: the next attempt starts after a random part of baseMs · 2^attempt', () => {
    const gaps: number[] = [];
    for (const k of SPACED) {
      const list = seen.get(k)!;
      const firstInvocation = list[0]!.invocation;
      const lastFailed = list.filter((s) => s.invocation === firstInvocation).at(-1)!;
      const retry = list.find((s) => s.invocation !== firstInvocation)!;
      gaps.push(retry.start - lastFailed.end);
    }
    assert.ok(gaps.every((g) => g >= 0), JSON.stringify(gaps));
    // Full jitter over [0, 2 · baseMs): the mean of 12 such waits is ≈ baseMs; below baseMs / 4
    // only without a wait (then it is the few ms of the SDK's turn-around).
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    assert.ok(mean >= RETRY.baseMs / 4, `mean gap ${mean.toFixed(1)} ms: ${JSON.stringify(gaps)}`);
    assert.ok(Math.max(...gaps) > 0, JSON.stringify(gaps));
    assert.ok(Math.max(...gaps) < 2 * RETRY.baseMs + 500, JSON.stringify(gaps));
  });
});
