/**
 * The current-version cache (src/store/version-cache.ts) never serves a stale read: each kind of
 * write that changes a key's current version (or what GET/HEAD/authorization read from it) is
 * followed by a read that must see it, after a read that filled the cache. Driven by the real SDK
 * against an in-process server, plus store-level checks for writes no HTTP call makes (raw SQL
 * from any module, a rolled-back group-commit write).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectTaggingCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketVersioningCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectRetentionCommand,
  PutObjectTaggingCommand,
  RestoreObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { s3Client, startInProcess, tempDir, type InProcessServer } from '../helpers/server.js';
import { openStore } from '../../src/store/open.js';
import { createBucket } from '../../src/store/buckets.js';
import { getVersion, putObject, readVersion } from '../../src/store/objects.js';
import { commitBatchedRerunnable } from '../../src/store/context.js';
import { versionCacheOf } from '../../src/store/version-cache.js';

let server: InProcessServer;
let s3: S3Client;

async function body(bucket: string, key: string): Promise<string> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return r.Body!.transformToString();
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as S3ServiceException).name;
  }
  return 'ok';
}

async function anonymousGet(url: string, bucket: string, key: string): Promise<number> {
  const r = await fetch(`${url}/${bucket}/${key}`);
  await r.arrayBuffer();
  return r.status;
}

describe('version cache: no stale read after a write', () => {
  before(async () => {
    server = await startInProcess({ env: { S3BATCH_RESTORE_EXPEDITED_MS: '0' } });
    s3 = s3Client(server.url);
    await s3.send(new CreateBucketCommand({ Bucket: 'plain' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'versioned' }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'versioned', VersioningConfiguration: { Status: 'Enabled' } }));
    await s3.send(new CreateBucketCommand({ Bucket: 'locked', ObjectLockEnabledForBucket: true }));
  });
  after(async () => {
    s3.destroy();
    await server.stop();
  });

  it('PutObject over a cached key, then DeleteObject', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'k', Body: 'one' }));
    assert.equal(await body('plain', 'k'), 'one');
    assert.equal(await body('plain', 'k'), 'one'); // served from the cache
    await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'k', Body: 'two!', ContentType: 'text/x-two' }));
    const r = await s3.send(new GetObjectCommand({ Bucket: 'plain', Key: 'k' }));
    assert.equal(await r.Body!.transformToString(), 'two!');
    assert.equal(r.ContentType, 'text/x-two');
    assert.equal(r.ContentLength, 4);
    await s3.send(new DeleteObjectCommand({ Bucket: 'plain', Key: 'k' }));
    assert.equal(await code(s3.send(new HeadObjectCommand({ Bucket: 'plain', Key: 'k' }))), 'NotFound');
    assert.equal(await code(s3.send(new GetObjectCommand({ Bucket: 'plain', Key: 'k' }))), 'NoSuchKey');
  });

  it('CopyObject onto a cached key', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'dst', Body: 'old' }));
    await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'src', Body: 'copied' }));
    assert.equal(await body('plain', 'dst'), 'old');
    await s3.send(new CopyObjectCommand({ Bucket: 'plain', Key: 'dst', CopySource: 'plain/src' }));
    assert.equal(await body('plain', 'dst'), 'copied');
  });

  it('CompleteMultipartUpload onto a cached key', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'mp', Body: 'small' }));
    assert.equal(await body('plain', 'mp'), 'small');
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'plain', Key: 'mp' }));
    const part = await s3.send(new UploadPartCommand({ Bucket: 'plain', Key: 'mp', UploadId, PartNumber: 1, Body: 'multipart body' }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'plain', Key: 'mp', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    assert.equal(await body('plain', 'mp'), 'multipart body');
  });

  it('PutObjectTagging and DeleteObjectTagging', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'tagged', Body: 'x' }));
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: 'plain', Key: 'tagged' }))).TagCount, undefined);
    await s3.send(new PutObjectTaggingCommand({ Bucket: 'plain', Key: 'tagged', Tagging: { TagSet: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] } }));
    assert.equal((await s3.send(new GetObjectCommand({ Bucket: 'plain', Key: 'tagged' }))).TagCount, 2);
    await s3.send(new DeleteObjectTaggingCommand({ Bucket: 'plain', Key: 'tagged' }));
    assert.equal((await s3.send(new GetObjectCommand({ Bucket: 'plain', Key: 'tagged' }))).TagCount, undefined);
  });

  it('PutObjectAcl: the object ACL that authorizes an anonymous GET', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'public', Body: 'x', ACL: 'public-read' }));
    assert.equal(await anonymousGet(server.url, 'plain', 'public'), 200);
    await s3.send(new PutObjectAclCommand({ Bucket: 'plain', Key: 'public', ACL: 'private' }));
    assert.equal(await anonymousGet(server.url, 'plain', 'public'), 403);
    await s3.send(new PutObjectAclCommand({ Bucket: 'plain', Key: 'public', ACL: 'public-read' }));
    assert.equal(await anonymousGet(server.url, 'plain', 'public'), 200);
  });

  it('versioned bucket: new version, delete marker, and removing the marker', async () => {
    const v1 = await s3.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'v', Body: 'first' }));
    assert.equal(await body('versioned', 'v'), 'first');
    const v2 = await s3.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'v', Body: 'second' }));
    const r = await s3.send(new GetObjectCommand({ Bucket: 'versioned', Key: 'v' }));
    assert.equal(await r.Body!.transformToString(), 'second');
    assert.equal(r.VersionId, v2.VersionId);
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: 'versioned', Key: 'v' }));
    assert.equal(marker.DeleteMarker, true);
    assert.equal(await code(s3.send(new GetObjectCommand({ Bucket: 'versioned', Key: 'v' }))), 'NoSuchKey');
    await s3.send(new DeleteObjectCommand({ Bucket: 'versioned', Key: 'v', VersionId: marker.VersionId }));
    assert.equal(await body('versioned', 'v'), 'second');
    // Deleting the current version by id promotes the one before it.
    await s3.send(new DeleteObjectCommand({ Bucket: 'versioned', Key: 'v', VersionId: v2.VersionId }));
    const back = await s3.send(new GetObjectCommand({ Bucket: 'versioned', Key: 'v' }));
    assert.equal(await back.Body!.transformToString(), 'first');
    assert.equal(back.VersionId, v1.VersionId);
  });

  it('legal hold and retention', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'locked', Key: 'l', Body: 'x' }));
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: 'locked', Key: 'l' }))).ObjectLockLegalHoldStatus, undefined);
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: 'locked', Key: 'l', LegalHold: { Status: 'ON' } }));
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: 'locked', Key: 'l' }))).ObjectLockLegalHoldStatus, 'ON');
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: 'locked', Key: 'l', LegalHold: { Status: 'OFF' } }));
    // Once a hold was applied, HEAD names its status, OFF included.
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: 'locked', Key: 'l' }))).ObjectLockLegalHoldStatus, 'OFF');
    const until = new Date(Date.now() + 86_400_000);
    until.setUTCMilliseconds(0);
    await s3.send(new PutObjectRetentionCommand({ Bucket: 'locked', Key: 'l', Retention: { Mode: 'GOVERNANCE', RetainUntilDate: until } }));
    const h = await s3.send(new HeadObjectCommand({ Bucket: 'locked', Key: 'l' }));
    assert.equal(h.ObjectLockMode, 'GOVERNANCE');
    assert.equal(h.ObjectLockRetainUntilDate?.getTime(), until.getTime());
  });

  it('RestoreObject', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'cold', Body: 'x', StorageClass: 'GLACIER' }));
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: 'plain', Key: 'cold' }))).Restore, undefined);
    assert.equal(await code(s3.send(new GetObjectCommand({ Bucket: 'plain', Key: 'cold' }))), 'InvalidObjectState');
    await s3.send(new RestoreObjectCommand({ Bucket: 'plain', Key: 'cold', RestoreRequest: { Days: 1, GlacierJobParameters: { Tier: 'Expedited' } } }));
    assert.match((await s3.send(new HeadObjectCommand({ Bucket: 'plain', Key: 'cold' }))).Restore ?? '', /^ongoing-request="false"/);
    assert.equal(await body('plain', 'cold'), 'x');
  });
});

describe('version cache: store-level writers', () => {
  const opts = { inlineThreshold: 65536, fsync: false, restoreDelays: { Expedited: 0, Standard: 0, Bulk: 0 } };

  it('any statement that updates or deletes a current version row drops the entry (whichever module runs it)', async () => {
    const store = openStore(tempDir('s3batch-vcache-'), opts);
    try {
      const ctx = store.ctx;
      createBucket(ctx, { name: 'bkt', owner: '000000000000', region: 'us-east-1', objectLock: false, acl: null });
      await putObject(ctx, { bucket: 'bkt', key: 'k', body: Buffer.from('abc'), owner: '000000000000', headers: { meta: {} }, storageClass: 'STANDARD', tags: [], acl: null });
      const v = getVersion(ctx, 'bkt', 'k');
      assert.equal(String(readVersion(ctx, v)), 'abc');
      const cache = versionCacheOf(ctx.db)!;
      assert.equal(cache.get('bkt', 'k'), v, 'cached after a read');
      assert.equal(cache.dataOf(v)?.toString(), 'abc');
      ctx.db.prepare(`UPDATE versions SET tags = '[["t","1"]]' WHERE bucket = 'bkt' AND key = 'k'`).run();
      assert.equal(cache.get('bkt', 'k'), undefined);
      assert.deepEqual(getVersion(ctx, 'bkt', 'k').tags, [['t', '1']]);
      ctx.db.prepare(`DELETE FROM versions WHERE bucket = 'bkt' AND key = 'k'`).run();
      assert.equal(cache.get('bkt', 'k'), undefined);
      assert.throws(() => getVersion(ctx, 'bkt', 'k'), { code: 'NoSuchKey' });
    } finally {
      store.close();
    }
  });

  it('a write that rolls back leaves no entry it filled inside its transaction', async () => {
    const store = openStore(tempDir('s3batch-vcache-'), opts);
    try {
      const ctx = store.ctx;
      createBucket(ctx, { name: 'bkt', owner: '000000000000', region: 'us-east-1', objectLock: false, acl: null });
      await putObject(ctx, { bucket: 'bkt', key: 'k', body: Buffer.from('committed'), owner: '000000000000', headers: { meta: {} }, storageClass: 'STANDARD', tags: [], acl: null });
      getVersion(ctx, 'bkt', 'k');
      // Inside a group commit: change the row, read it (must not be cached), then fail.
      await assert.rejects(
        commitBatchedRerunnable(ctx, () => {
          ctx.db.prepare(`UPDATE versions SET etag = 'uncommitted' WHERE bucket = 'bkt' AND key = 'k'`).run();
          assert.equal(getVersion(ctx, 'bkt', 'k').etag, 'uncommitted');
          throw new Error('refused');
        }),
        /refused/,
      );
      const after = getVersion(ctx, 'bkt', 'k');
      assert.notEqual(after.etag, 'uncommitted');
      assert.equal(String(readVersion(ctx, after)), 'committed');
    } finally {
      store.close();
    }
  });
});
