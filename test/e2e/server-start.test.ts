/**
 * `s3batch server` start-up and shutdown as a process: root credentials generated on first start
 * (printed once, kept in <data-dir>/root-credentials.json with mode 0600) and reused after;
 * `--host localhost` on both 127.0.0.1 and [::1]; `GET /_health` 200 as soon as it says it
 * listens; SIGTERM lets an in-flight request finish, then exits 0.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { signRequest } from '../helpers/signed-request.js';
import { ACCESS_KEY_ID, mainJs, REGION, SECRET_ACCESS_KEY, s3Client, tempDir } from '../helpers/server.js';

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  readonly port: number;
  output(): string;
  /** SIGTERM (unless already gone) and the exit code. */
  stop(): Promise<number | null>;
}

/** The environment without any S3BATCH_* variable (root credentials included), plus `extra`. */
function envWith(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('S3BATCH_')) env[k] = v;
  return { ...env, S3BATCH_FSYNC: 'false', ...extra };
}

/** Spawns `s3batch server` (cwd: the data dir, so no stray config is read) and waits for its "listening on" line. */
async function start(dataDir: string, host: string, env: Record<string, string> = {}): Promise<Started> {
  const child = spawn(process.execPath, [mainJs, 'server', '--host', host, '--port', '0', '--data-dir', dataDir], { cwd: dataDir, env: envWith(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 15 s:\n${out}`)), 15_000);
    child.stdout!.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    url,
    port: Number(new URL(url).port),
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

function get(host: string, port: number, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method, family: host.includes(':') ? 6 : 4 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const dirs: string[] = [];
const running: Started[] = [];
after(async () => {
  for (const s of running) await s.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function newDir(): string {
  const d = tempDir('s3batch-start-');
  dirs.push(d);
  return d;
}

describe('root credentials of the default account', () => {
  const dataDir = newDir();
  let printed: { accessKeyId: string; secretAccessKey: string };

  it('first start without S3BATCH_ROOT_*: generated, printed once, kept in root-credentials.json (0600)', async () => {
    const s = await start(dataDir, '127.0.0.1');
    running.push(s);
    const m = /Generated root credentials for account 000000000000 \(kept in (\S+), mode 0600; shown once\):\n {2}AWS_ACCESS_KEY_ID=(\S+)\n {2}AWS_SECRET_ACCESS_KEY=(\S+)\n/.exec(s.output());
    assert.ok(m, s.output());
    const file = join(dataDir, 'root-credentials.json');
    assert.equal(m[1], file);
    printed = { accessKeyId: m[2]!, secretAccessKey: m[3]! };
    assert.match(printed.accessKeyId, /^AKIA[A-Z0-9]{16}$/);
    assert.equal(printed.secretAccessKey.length, 40);
    assert.equal(s.output().split(printed.secretAccessKey).length - 1, 1, 'the secret is printed exactly once');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), printed);
    // The printed keys are the root's: they sign requests the server accepts.
    const s3 = new S3Client({ endpoint: s.url, region: REGION, forcePathStyle: true, credentials: printed, maxAttempts: 1 });
    await s3.send(new CreateBucketCommand({ Bucket: 'first-start' }));
    assert.deepEqual((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name), ['first-start']);
    assert.equal(await s.stop(), 0);
  });

  it('second start: no secret printed, the same keys from the file', async () => {
    const file = join(dataDir, 'root-credentials.json');
    const before = readFileSync(file);
    const s = await start(dataDir, '127.0.0.1');
    running.push(s);
    assert.doesNotMatch(s.output(), /Generated root credentials|AWS_SECRET_ACCESS_KEY/);
    assert.ok(!s.output().includes(printed.secretAccessKey), s.output());
    assert.ok(!s.output().includes(printed.accessKeyId), s.output());
    assert.ok(readFileSync(file).equals(before));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const s3 = new S3Client({ endpoint: s.url, region: REGION, forcePathStyle: true, credentials: printed, maxAttempts: 1 });
    assert.deepEqual((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name), ['first-start']);
    assert.equal(await s.stop(), 0);
  });
});

describe('listening and health', () => {
  it('--host localhost answers on 127.0.0.1 and [::1], on the same port', async () => {
    const s = await start(newDir(), 'localhost', { S3BATCH_ROOT_ACCESS_KEY_ID: ACCESS_KEY_ID, S3BATCH_ROOT_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY });
    running.push(s);
    for (const host of ['127.0.0.1', '::1']) {
      const r = await get(host, s.port, '/_health');
      assert.deepEqual([r.status, r.body], [200, 'ok\n'], host);
    }
    // Both sockets serve the whole API, not only health: an S3 call over IPv6.
    const s3 = s3Client(`http://[::1]:${s.port}`, { maxAttempts: 1 });
    await s3.send(new CreateBucketCommand({ Bucket: 'over-v6' }));
    assert.deepEqual((await s3Client(`http://127.0.0.1:${s.port}`).send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name), ['over-v6']);
    assert.equal(await s.stop(), 0);
  });

  it('a second server on a data directory in use exits 1 with a sentence, not a stack trace', async () => {
    const dir = newDir();
    const s = await start(dir, '127.0.0.1', { S3BATCH_ROOT_ACCESS_KEY_ID: ACCESS_KEY_ID, S3BATCH_ROOT_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY });
    running.push(s);
    await assert.rejects(start(dir, '127.0.0.1', { S3BATCH_ROOT_ACCESS_KEY_ID: ACCESS_KEY_ID, S3BATCH_ROOT_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY }), (e: Error) => {
      assert.match(e.message, /server exited with 1:\ns3batch: the data directory .* is in use by another s3batch server \(pid \d+/);
      assert.doesNotMatch(e.message, /\n\s+at /, 'no stack trace');
      return true;
    });
    assert.equal(await s.stop(), 0);
  });

  it('--host 127.0.0.1 does not listen on [::1]', async () => {
    const s = await start(newDir(), '127.0.0.1', { S3BATCH_ROOT_ACCESS_KEY_ID: ACCESS_KEY_ID, S3BATCH_ROOT_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY });
    running.push(s);
    await assert.rejects(get('::1', s.port, '/_health'), /ECONNREFUSED/);
    assert.equal(await s.stop(), 0);
  });

  it('GET /_health is 200 as soon as the server says it listens; HEAD too, without a body', async () => {
    const s = await start(newDir(), '127.0.0.1', { S3BATCH_ROOT_ACCESS_KEY_ID: ACCESS_KEY_ID, S3BATCH_ROOT_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY });
    running.push(s);
    const r = await get('127.0.0.1', s.port, '/_health');
    assert.deepEqual([r.status, r.body, r.headers['content-type']], [200, 'ok\n', 'text/plain']);
    assert.ok(r.headers['x-amz-request-id'], JSON.stringify(r.headers));
    const h = await get('127.0.0.1', s.port, '/_health', 'HEAD');
    assert.deepEqual([h.status, h.body], [200, '']);
    assert.equal(await s.stop(), 0);
  });
});

describe('SIGTERM', () => {
  it('an upload in flight when SIGTERM arrives completes; then the process exits 0', async () => {
    const s = await start(newDir(), '127.0.0.1', { S3BATCH_ROOT_ACCESS_KEY_ID: ACCESS_KEY_ID, S3BATCH_ROOT_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY });
    running.push(s);
    const s3 = s3Client(s.url, { maxAttempts: 1 });
    await s3.send(new CreateBucketCommand({ Bucket: 'inflight' }));
    const body = Buffer.alloc(256 * 1024, 'x');
    const headers = await signRequest(s.port, { method: 'PUT', path: '/inflight/slow.bin', headers: { 'content-length': String(body.length) }, unsignedPayload: true });
    const exit = { code: undefined as number | null | undefined };
    s.child.once('exit', (code) => (exit.code = code));
    const response = new Promise<{ status: number; etag: unknown }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: s.port, method: 'PUT', path: '/inflight/slow.bin', headers }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, etag: res.headers.etag }));
      });
      req.on('error', reject);
      req.write(body.subarray(0, 1024));
      // The server has the request (its headers and a first part of the body) before the signal.
      setTimeout(() => {
        s.child.kill('SIGTERM');
        setTimeout(() => {
          // Still up, waiting for the rest of the body.
          if (exit.code !== undefined) reject(new Error(`exited with ${exit.code} during the upload:\n${s.output()}`));
          req.end(body.subarray(1024));
        }, 500);
      }, 200);
    });
    const r = await response;
    assert.equal(r.status, 200, s.output());
    assert.equal(r.etag, `"${createHash('md5').update(body).digest('hex')}"`);
    assert.equal(await s.stop(), 0);
    assert.match(s.output(), /SIGTERM: shutting down\n/);
    // The object was stored before the exit: a new process on the same data sees it whole.
    const again = await start(s.child.spawnargs.at(-1)!, '127.0.0.1', { S3BATCH_ROOT_ACCESS_KEY_ID: ACCESS_KEY_ID, S3BATCH_ROOT_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY });
    running.push(again);
    const got = await s3Client(again.url).send(new GetObjectCommand({ Bucket: 'inflight', Key: 'slow.bin' }));
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(body));
    assert.equal(await again.stop(), 0);
  });
});
