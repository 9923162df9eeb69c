// What the bench does to a target besides load: seed objects, write the
// presigned request lists that wrk replays, and check afterwards that the
// load actually did what its 2xx responses claim.
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Presigner } from './presign.js';
import type { RunningTarget } from './targets.js';

export const bucket = 'bench';
export type Op = 'get' | 'put' | 'copy';

const pad = (i: number): string => String(i).padStart(6, '0');
/** Seeded by setup, read by GET, source of COPY. */
export const getKey = (i: number): string => `obj-${pad(i)}`;
/** Written by the PUT load (distinct from the GET set so GETs always hit the seeded bytes). */
export const putKey = (i: number): string => `put-${pad(i)}`;
export const copyKey = (i: number): string => `copy-${pad(i)}`;

/** Deterministic per-object content; must match seeded_body() in bench/lua/presigned.lua. */
export function seededBody(bucketName: string, key: string, size: number): Buffer {
  const unit = `/${bucketName}/${key}|`;
  return Buffer.from(unit.repeat(Math.ceil(size / unit.length)).slice(0, size), 'utf8');
}

export function s3Client(t: RunningTarget): S3Client {
  return new S3Client({
    endpoint: t.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: t.credentials,
    // Plain PUTs with Content-MD5-free bodies: s3rver predates the SDK's default CRC headers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

async function pool(count: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, worker));
}

/** Create the bucket and upload the GET set through the SDK (header-signed, as a normal client would). */
export async function seed(t: RunningTarget, client: S3Client, objects: number, size: number): Promise<void> {
  if (!t.isStore) return;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  await pool(objects, 16, async (i) => {
    const Key = getKey(i);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: seededBody(bucket, Key, size) }));
  });
}

/**
 * Writes one request-list file per op and returns their paths. Every target
 * gets identically shaped URLs (the bare server too), so request sizes match.
 */
export async function writeRequestLists(t: RunningTarget, ops: Op[], objects: number): Promise<{ dir: string; files: Record<Op, string> }> {
  const presigner = new Presigner(t.credentials, t.host);
  const dir = await mkdtemp(join(tmpdir(), 's3batch-bench-urls-'));
  const files = {} as Record<Op, string>;
  for (const op of ops) {
    const lines: string[] = [];
    for (let i = 0; i < objects; i++) lines.push(await requestLine(presigner, op, i));
    files[op] = join(dir, `${op}.txt`);
    await writeFile(files[op], lines.join('\n') + '\n');
  }
  return { dir, files };
}

async function requestLine(p: Presigner, op: Op, i: number): Promise<string> {
  switch (op) {
    case 'get':
      return p.presign({ method: 'GET', bucket, key: getKey(i) });
    case 'put':
      return p.presign({ method: 'PUT', bucket, key: putKey(i) });
    case 'copy': {
      // The copy source travels as a signed header (not hoisted into the query), as SDK clients send it.
      const source = `/${bucket}/${getKey(i)}`;
      const target = await p.presign({ method: 'PUT', bucket, key: copyKey(i), signedHeaders: { 'x-amz-copy-source': source } });
      return `${target}\tx-amz-copy-source: ${source}`;
    }
  }
}

export async function removeLists(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/**
 * One request of each kind through fetch before wrk runs: a target that
 * rejects the URLs fails here with its error body, instead of producing a
 * table of fast 403s.
 */
export async function preflight(t: RunningTarget, ops: Op[], size: number): Promise<void> {
  const presigner = new Presigner(t.credentials, t.host);
  const url = async (method: 'GET' | 'PUT', key: string): Promise<string> =>
    t.endpoint + (await presigner.presign({ method, bucket, key }));
  const expectOk = async (what: string, res: Response): Promise<Buffer> => {
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) throw new Error(`${t.name} preflight ${what}: HTTP ${res.status}\n${body.toString('utf8').slice(0, 800)}`);
    return body;
  };
  if (ops.includes('get')) {
    const body = await expectOk('GET', await fetch(await url('GET', getKey(0))));
    if (t.isStore && !body.equals(seededBody(bucket, getKey(0), size))) throw new Error(`${t.name} preflight GET: wrong bytes`);
  }
  if (ops.includes('put')) {
    // Not one of the PUT-load keys, so the post-load check cannot be satisfied by this request.
    const key = 'preflight-put';
    await expectOk('PUT', await fetch(await url('PUT', key), { method: 'PUT', body: seededBody(bucket, key, size) }));
  }
}

export interface Verification {
  /** Keys whose last write had certainly completed: each must hold exactly its bytes. */
  checked: number;
  failures: string[];
  /** Keys possibly in flight when wrk dropped its connections: old bytes, new bytes or absent are fine. */
  inFlightChecked: number;
  torn: string[];
}

/**
 * Splits the keys a partitioned (PUT/COPY) load touched, using how many
 * requests each wrk thread generated. Thread i walks keys i, i+T, i+2T, ...
 * in order, wrapping. Its last `window` requests may have been in flight
 * when wrk stopped; everything it generated before that had completed,
 * since a connection has one request outstanding and latencies are far
 * below the window (window = several connections' worth). The first
 * generated request is skipped: wrk calls request() once to validate the
 * script, and that request is never sent.
 */
export function splitWrittenKeys(threadsSent: number[], objects: number, window: number): { settled: number[]; inFlight: number[] } {
  const T = threadsSent.length;
  const settled = new Set<number>();
  const inFlight = new Set<number>();
  threadsSent.forEach((sent, id) => {
    const n = Math.ceil((objects - id) / T); // keys this thread owns
    const key = (j: number): number => id + (j % n) * T;
    for (let j = Math.max(0, sent - window); j < sent; j++) inFlight.add(key(j));
    for (let j = 1; j < Math.min(sent - window, n + 1); j++) settled.add(key(j));
  });
  for (const k of inFlight) settled.delete(k);
  return { settled: [...settled].sort((a, b) => a - b), inFlight: [...inFlight].sort((a, b) => a - b) };
}

type ReadBack = { kind: 'ok' } | { kind: 'absent' } | { kind: 'bad'; detail: string };

async function readBack(client: S3Client, key: string, expected: Buffer): Promise<ReadBack> {
  try {
    const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const got = Buffer.from(await res.Body!.transformToByteArray());
    return got.equals(expected) ? { kind: 'ok' } : { kind: 'bad', detail: `${got.length} bytes, content differs` };
  } catch (err) {
    const name = (err as Error).name;
    return name === 'NoSuchKey' ? { kind: 'absent' } : { kind: 'bad', detail: `${name}: ${(err as Error).message}` };
  }
}

/**
 * After the PUT (or COPY) load, read back a spread sample of the settled keys
 * (must match byte for byte: a 200 that did not store the object is caught
 * here) and every in-flight key (must be whole or absent: catches torn
 * overwrites from requests aborted mid-body).
 */
export async function verifyWritten(
  t: RunningTarget, client: S3Client, op: 'put' | 'copy',
  keys: { settled: number[]; inFlight: number[] }, sample: number, size: number,
): Promise<Verification> {
  const v: Verification = { checked: 0, failures: [], inFlightChecked: 0, torn: [] };
  if (!t.isStore) return v;
  const name = (i: number): string => (op === 'put' ? putKey(i) : copyKey(i));
  // A copy must carry the source object's bytes, which were seeded under the source key.
  const expected = (i: number): Buffer => seededBody(bucket, op === 'put' ? putKey(i) : getKey(i), size);
  const n = Math.min(sample, keys.settled.length);
  if (n === 0) v.failures.push('load completed no writes that can be checked');
  for (let s = 0; s < n; s++) {
    const i = keys.settled[Math.floor((s * keys.settled.length) / n)]!;
    const r = await readBack(client, name(i), expected(i));
    v.checked++;
    if (r.kind === 'absent') v.failures.push(`${name(i)}: NoSuchKey after a completed write`);
    if (r.kind === 'bad') v.failures.push(`${name(i)}: ${r.detail}`);
  }
  for (const i of keys.inFlight) {
    const r = await readBack(client, name(i), expected(i));
    v.inFlightChecked++;
    if (r.kind === 'bad') v.torn.push(`${name(i)}: ${r.detail}`);
  }
  return v;
}
