/**
 * Durability: kill -9 the server while many uploads are in flight, restart it on the same data
 * directory, and check that every acknowledged object is there byte for byte, that nothing torn
 * or never-sent is visible, and that no orphan blob file is left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { s3Client, startProcess, tempDir } from '../helpers/server.js';

/** Deterministic content for a key: small keys stay inline in SQLite, large ones become files. */
function contentOf(key: string): Buffer {
  const n = Number(key.split('-')[1]);
  const size = n % 3 === 0 ? 300 * 1024 + (n % 1000) : 1024 + (n % 500);
  const seed = createHash('sha256').update(key).digest();
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i += seed.length) seed.copy(out, i);
  return out;
}

async function bodyBytes(body: unknown): Promise<Buffer> {
  return Buffer.from(await (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

test('kill -9 during concurrent uploads loses no acknowledged object and shows no torn one', { timeout: 120_000 }, async () => {
  const dataDir = tempDir('s3batch-durability-');
  try {
    let server = await startProcess({ dataDir });
    const opts = { maxAttempts: 1, requestChecksumCalculation: 'WHEN_REQUIRED' as const };
    let s3 = s3Client(server.url, opts);
    await s3.send(new CreateBucketCommand({ Bucket: 'durable' }));

    const acked = new Set<string>();
    const sent = new Set<string>();
    let next = 0;
    let stop = false;
    const worker = async (): Promise<void> => {
      while (!stop) {
        const key = `obj-${next++}`;
        sent.add(key);
        try {
          await s3.send(new PutObjectCommand({ Bucket: 'durable', Key: key, Body: contentOf(key) }));
          acked.add(key); // a response that arrived is an acknowledgement, whenever it came
        } catch {
          return; // the server died under this request
        }
      }
    };
    const workers = Array.from({ length: 24 }, worker);
    // Let uploads run until a good number are acknowledged, then kill without warning.
    const started = Date.now();
    while (acked.size < 300 && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 20));
    await server.kill9();
    stop = true;
    await Promise.all(workers);
    s3.destroy();
    assert.ok(acked.size >= 300, `only ${acked.size} uploads were acknowledged before the kill`);

    server = await startProcess({ dataDir });
    s3 = s3Client(server.url, opts);
    try {
      const listed: string[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: 'durable', ContinuationToken: token }));
        for (const o of page.Contents ?? []) listed.push(o.Key!);
        token = page.NextContinuationToken;
      } while (token);
      const visible = new Set(listed);
      for (const key of acked) assert.ok(visible.has(key), `acknowledged ${key} is missing after kill -9`);
      for (const key of visible) assert.ok(sent.has(key), `${key} was never sent but is visible`);
      // Every visible object — acknowledged or caught mid-flight — is whole.
      for (const key of visible) {
        const got = await s3.send(new GetObjectCommand({ Bucket: 'durable', Key: key }));
        const bytes = await bodyBytes(got.Body);
        assert.ok(bytes.equals(contentOf(key)), `${key} is torn: ${bytes.length} bytes, expected ${contentOf(key).length}`);
      }
    } finally {
      s3.destroy();
      await server.stop();
    }
    // No orphans: every blob file belongs to a committed blob row, and tmp/ is empty.
    const storeDir = join(dataDir, 'store');
    const db = new Database(join(storeDir, 'meta.db'), { readonly: true });
    const files = new Set(db.prepare('SELECT file FROM blobs WHERE file IS NOT NULL').pluck().all() as string[]);
    const zeroRef = db.prepare('SELECT COUNT(*) FROM blobs WHERE refs <= 0').pluck().get() as number;
    db.close();
    const onDisk: string[] = [];
    for (const sub of readdirSync(join(storeDir, 'blobs'))) for (const f of readdirSync(join(storeDir, 'blobs', sub))) onDisk.push(f);
    for (const f of onDisk) assert.ok(files.has(f), `orphan blob file ${f}`);
    for (const f of files) assert.ok(onDisk.includes(f), `blob row names missing file ${f}`);
    assert.equal(zeroRef, 0, 'blob rows without references');
    assert.ok(!existsSync(join(storeDir, 'tmp')) || readdirSync(join(storeDir, 'tmp')).length === 0, 'temp files left behind');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
