/**
 * UploadPartCopy reads its source's bytes (for the part's MD5) before it takes references on the
 * source's blobs. A key deleted and uploaded again meanwhile can come back with the same seq and
 * the same blob id (SQLite reuses the highest rowid), so the copy must pin the ETag too: it
 * either copies the bytes its ETag names or answers NoSuchKey — never a part whose ETag describes
 * other bytes. Driven on the store directly, where the race can be timed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBucket } from '../../src/store/buckets.js';
import { createUpload, uploadPartCopy } from '../../src/store/multipart.js';
import { deleteObject, getVersion, putObject, readVersion } from '../../src/store/objects.js';
import { openStore } from '../../src/store/open.js';

const OWNER = '000000000000';
const SIZE = 48 * 1024 * 1024;

test('a source deleted and uploaded again (same size, same seq) while a part copy reads it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 's3batch-part-race-'));
  const { ctx, close } = openStore(dir, { inlineThreshold: 1024, fsync: false, restoreDelays: { Expedited: 0, Standard: 0, Bulk: 0 } });
  try {
    createBucket(ctx, { name: 'bkt', owner: OWNER, region: 'us-east-1', objectLock: false, acl: null });
    const A = Buffer.alloc(SIZE, 0x61);
    const B = Buffer.alloc(SIZE, 0x62);
    async function* one(b: Buffer): AsyncGenerator<Buffer> {
      yield b;
    }
    const put = (body: Buffer) => putObject(ctx, { bucket: 'bkt', key: 'k', owner: OWNER, headers: { meta: {} }, storageClass: 'STANDARD', tags: [], acl: null, lockMode: null, lockUntil: null, body: one(body) });
    await put(A);
    const before = ctx.db.prepare("SELECT seq, extents FROM versions WHERE key = 'k'").get();
    const up = createUpload(ctx, { bucket: 'bkt', key: 'dst', owner: OWNER, initiator: OWNER, headers: { meta: {} }, storageClass: 'STANDARD', tags: [], acl: null, lockMode: null, lockUntil: null });
    const copying = uploadPartCopy(ctx, { bucket: 'bkt', key: 'dst', uploadId: up.uploadId, partNumber: 1, srcBucket: 'bkt', srcKey: 'k', conditions: {} }).then((r) => r, (e: unknown) => e);
    await new Promise((r) => setTimeout(r, 3));
    deleteObject(ctx, { bucket: 'bkt', key: 'k', owner: OWNER });
    await put(B);
    assert.deepEqual(ctx.db.prepare("SELECT seq, extents FROM versions WHERE key = 'k'").get(), before, 'the race this test is about: same seq, same extents');
    const r = await copying;
    if (r instanceof Error) {
      assert.equal((r as { code?: string }).code, 'NoSuchKey');
      return;
    }
    // Copied: the part's ETag must be the MD5 of the bytes the part references.
    const part = ctx.db.prepare('SELECT etag FROM upload_parts').get() as { etag: string };
    const chunks: Buffer[] = [];
    const body = readVersion(ctx, getVersion(ctx, 'bkt', 'k'));
    if (Buffer.isBuffer(body)) chunks.push(body);
    else for await (const c of body) chunks.push(c as Buffer);
    assert.equal(part.etag, createHash('md5').update(Buffer.concat(chunks)).digest('hex'));
  } finally {
    close();
    rmSync(dir, { recursive: true, force: true });
  }
});
