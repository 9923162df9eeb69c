/**
 * CopyObject and DeleteObjects driven by the real AWS SDK v3 against an in-process server:
 * directives, conditions, versions, checksums a copy asks for, batch deletes. Expected values are
 * computed here, independently of the server's code. (Split from s3-core.test.ts.)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { AwsCrc32c } from '@aws-crypto/crc32c';
import { s3Client, startInProcess, type InProcessServer } from '../helpers/server.js';
import { bodyOf, rejects } from '../helpers/sdk-assert.js';

let server: InProcessServer;
let s3: S3Client;

before(async () => {
  server = await startInProcess();
  s3 = s3Client(server.url);
});

after(async () => {
  s3.destroy();
  await server.stop();
});

async function createBucket(name: string, versioning?: 'Enabled' | 'Suspended'): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  if (versioning) await s3.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: versioning } }));
}

const sha256b64 = (b: Buffer | string): string => createHash('sha256').update(b).digest('base64');
const sha1b64 = (b: Buffer | string): string => createHash('sha1').update(b).digest('base64');

async function crc32c(data: Buffer): Promise<string> {
  const h = new AwsCrc32c();
  h.update(data);
  return Buffer.from(await h.digest()).toString('base64');
}

describe('CopyObject', () => {
  const B = 'core-copy';
  const B2 = 'core-copy2';
  const src = Buffer.alloc(150 * 1024, 'q'); // a file blob, not inline
  let srcEtag = '';

  before(async () => {
    await createBucket(B);
    await createBucket(B2);
    const r = await s3.send(new PutObjectCommand({ Bucket: B, Key: 'src', Body: src, ContentType: 'text/x-src', Metadata: { a: '1' }, Tagging: 'k=v' }));
    srcEtag = r.ETag!;
  });

  const blobOf = (bucket: string, key: string): number => {
    const row = server.app.store.ctx.db.prepare('SELECT extents FROM versions WHERE bucket = ? AND key = ? AND latest = 1').get(bucket, key) as { extents: string };
    return (JSON.parse(row.extents) as number[][])[0]![0]!;
  };
  const blobRow = (id: number) => server.app.store.ctx.db.prepare('SELECT refs FROM blobs WHERE id = ?').get(id) as { refs: number } | undefined;
  const blobCount = () => (server.app.store.ctx.db.prepare('SELECT COUNT(*) AS n, MAX(id) AS max FROM blobs').get() as { n: number; max: number });

  it('COPY metadata (default): same bytes, headers, tags; no bytes written', async () => {
    const blob = blobOf(B, 'src');
    assert.equal(blobRow(blob)!.refs, 1);
    const before = blobCount();
    const r = await s3.send(new CopyObjectCommand({ Bucket: B, Key: 'dst', CopySource: `${B}/src` }));
    assert.equal(r.CopyObjectResult?.ETag, srcEtag);
    assert.ok(r.CopyObjectResult?.LastModified instanceof Date);
    assert.deepEqual(blobCount(), before, 'no new blob row');
    assert.equal(blobOf(B, 'dst'), blob, 'the copy points at the same blob');
    assert.equal(blobRow(blob)!.refs, 2);
    const h = await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'dst' }));
    assert.equal(h.ContentType, 'text/x-src');
    assert.deepEqual(h.Metadata, { a: '1' });
    assert.equal(h.TagCount, 1);
    assert.equal(h.ETag, srcEtag);
    assert.deepEqual(await bodyOf(await s3.send(new GetObjectCommand({ Bucket: B, Key: 'dst' }))), src);
    // Deleting the source leaves the copy whole: the blob loses one reference only.
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: 'src-keep', CopySource: `${B}/src` }));
    await s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'dst' }));
    assert.equal(blobRow(blob)!.refs, 2);
  });

  it('REPLACE metadata and tagging directives', async () => {
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: 'replaced', CopySource: `${B}/src`, MetadataDirective: 'REPLACE', ContentType: 'application/json', Metadata: { b: '2' } }));
    const h = await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'replaced' }));
    assert.equal(h.ContentType, 'application/json');
    assert.deepEqual(h.Metadata, { b: '2' });
    assert.equal(h.TagCount, 1, 'tags are copied unless the tagging directive says REPLACE');
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: 'retagged', CopySource: `${B}/src`, TaggingDirective: 'REPLACE', Tagging: 'x=1&y=2' }));
    const t = await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'retagged' }));
    assert.equal(t.TagCount, 2);
    assert.deepEqual(t.Metadata, { a: '1' });
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: 'untagged', CopySource: `${B}/src`, TaggingDirective: 'REPLACE' }));
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'untagged' }))).TagCount, undefined);
    await rejects(s3.send(new CopyObjectCommand({ Bucket: B, Key: 'x', CopySource: `${B}/src`, MetadataDirective: 'MOVE' as 'COPY' })), 'InvalidArgument', 400);
  });

  it('across buckets, and keys that need encoding', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'dir/ü b+c%.txt', Body: 'odd key' }));
    await s3.send(new CopyObjectCommand({ Bucket: B2, Key: 'copied/ü b+c%.txt', CopySource: encodeURIComponent(`${B}/dir/ü b+c%.txt`) }));
    assert.equal((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: B2, Key: 'copied/ü b+c%.txt' })))).toString(), 'odd key');
    await rejects(s3.send(new CopyObjectCommand({ Bucket: B2, Key: 'x', CopySource: `${B}/nope` })), 'NoSuchKey', 404);
    await rejects(s3.send(new CopyObjectCommand({ Bucket: B2, Key: 'x', CopySource: `core-no-bucket/src` })), 'NoSuchBucket', 404);
  });

  it('from a versionId', async () => {
    await createBucket('core-copyv', 'Enabled');
    const v1 = await s3.send(new PutObjectCommand({ Bucket: 'core-copyv', Key: 'k', Body: 'old' }));
    await s3.send(new PutObjectCommand({ Bucket: 'core-copyv', Key: 'k', Body: 'new' }));
    const r = await s3.send(new CopyObjectCommand({ Bucket: B, Key: 'from-v1', CopySource: `core-copyv/k?versionId=${v1.VersionId}` }));
    assert.equal(r.CopySourceVersionId, v1.VersionId);
    assert.equal((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: B, Key: 'from-v1' })))).toString(), 'old');
    // Copying into a versioned bucket answers the new version id.
    const r2 = await s3.send(new CopyObjectCommand({ Bucket: 'core-copyv', Key: 'k2', CopySource: `core-copyv/k?versionId=${v1.VersionId}` }));
    assert.match(r2.VersionId!, /^[A-Za-z0-9._]{32}$/);
    // Restoring an old version over the current one (same key, by version id) is allowed.
    const r3 = await s3.send(new CopyObjectCommand({ Bucket: 'core-copyv', Key: 'k', CopySource: `core-copyv/k?versionId=${v1.VersionId}` }));
    assert.equal((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: 'core-copyv', Key: 'k' })))).toString(), 'old');
    assert.notEqual(r3.VersionId, v1.VersionId);
    await rejects(s3.send(new CopyObjectCommand({ Bucket: B, Key: 'x', CopySource: `core-copyv/k?versionId=${'C'.repeat(32)}` })), 'NoSuchVersion', 404);
  });

  it('x-amz-copy-source-if-* conditions', async () => {
    const h = await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'src' }));
    const later = new Date(h.LastModified!.getTime() + 3600_000);
    const earlier = new Date(h.LastModified!.getTime() - 3600_000);
    const copy = (o: Record<string, unknown>) => s3.send(new CopyObjectCommand({ Bucket: B, Key: 'cond', CopySource: `${B}/src`, ...o }));
    assert.equal((await copy({ CopySourceIfMatch: srcEtag })).CopyObjectResult?.ETag, srcEtag);
    await rejects(copy({ CopySourceIfMatch: '"00000000000000000000000000000000"' }), 'PreconditionFailed', 412);
    await rejects(copy({ CopySourceIfNoneMatch: srcEtag }), 'PreconditionFailed', 412);
    await rejects(copy({ CopySourceIfModifiedSince: later }), 'PreconditionFailed', 412);
    await rejects(copy({ CopySourceIfUnmodifiedSince: earlier }), 'PreconditionFailed', 412);
    assert.equal((await copy({ CopySourceIfModifiedSince: earlier, CopySourceIfUnmodifiedSince: later })).$metadata.httpStatusCode, 200);
  });

  it('copy onto itself without a change → InvalidRequest; with REPLACE → OK', async () => {
    const e = await rejects(s3.send(new CopyObjectCommand({ Bucket: B, Key: 'src', CopySource: `${B}/src` })), 'InvalidRequest', 400);
    assert.match(e.message, /copy an object to itself without changing/);
    const blob = blobOf(B, 'src');
    const refs = blobRow(blob)!.refs;
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: 'src', CopySource: `${B}/src`, MetadataDirective: 'REPLACE', Metadata: { c: '3' } }));
    assert.deepEqual((await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'src' }))).Metadata, { c: '3' });
    assert.equal(blobRow(blob)!.refs, refs, 'the replaced null version gave back the reference the copy took');
    assert.deepEqual(await bodyOf(await s3.send(new GetObjectCommand({ Bucket: B, Key: 'src' }))), src);
  });
});

describe('DeleteObjects', () => {
  it('verbose and quiet, in an unversioned bucket', async () => {
    await createBucket('core-del');
    for (const k of ['a', 'b', 'c', 'd']) await s3.send(new PutObjectCommand({ Bucket: 'core-del', Key: k, Body: k }));
    const r = await s3.send(new DeleteObjectsCommand({ Bucket: 'core-del', Delete: { Objects: [{ Key: 'a' }, { Key: 'b' }, { Key: 'missing' }] } }));
    assert.deepEqual(r.Deleted?.map((d) => d.Key), ['a', 'b', 'missing']);
    assert.equal(r.Errors, undefined);
    const q = await s3.send(new DeleteObjectsCommand({ Bucket: 'core-del', Delete: { Quiet: true, Objects: [{ Key: 'c' }] } }));
    assert.equal(q.Deleted, undefined);
    assert.equal(q.Errors, undefined);
    const left = await s3.send(new ListObjectsV2Command({ Bucket: 'core-del' }));
    assert.deepEqual(left.Contents?.map((c) => c.Key), ['d']);
  });

  it('versioned: delete markers, versions by id, and error entries', async () => {
    await createBucket('core-delv', 'Enabled');
    const x1 = await s3.send(new PutObjectCommand({ Bucket: 'core-delv', Key: 'x', Body: '1' }));
    const x2 = await s3.send(new PutObjectCommand({ Bucket: 'core-delv', Key: 'x', Body: '2' }));
    await s3.send(new PutObjectCommand({ Bucket: 'core-delv', Key: 'y', Body: 'y' }));
    const r = await s3.send(
      new DeleteObjectsCommand({
        Bucket: 'core-delv',
        Delete: { Objects: [{ Key: 'x', VersionId: x1.VersionId }, { Key: 'y' }, { Key: 'x', VersionId: 'not a version id!' }] },
      }),
    );
    assert.equal(r.Deleted?.length, 2);
    assert.deepEqual(r.Deleted?.[0], { Key: 'x', VersionId: x1.VersionId });
    const y = r.Deleted![1]!;
    assert.equal(y.Key, 'y');
    assert.equal(y.DeleteMarker, true);
    assert.match(y.DeleteMarkerVersionId!, /^[A-Za-z0-9._]{32}$/);
    assert.deepEqual(r.Errors, [{ Key: 'x', VersionId: 'not a version id!', Code: 'NoSuchVersion', Message: 'The specified version does not exist.' }]);
    const vs = await s3.send(new ListObjectVersionsCommand({ Bucket: 'core-delv' }));
    assert.deepEqual(vs.Versions?.map((v) => [v.Key, v.VersionId]), [['x', x2.VersionId], ['y', vs.Versions![1]!.VersionId]]);
    assert.deepEqual(vs.DeleteMarkers?.map((m) => [m.Key, m.VersionId, m.IsLatest]), [['y', y.DeleteMarkerVersionId, true]]);
    // Deleting the marker itself by id.
    const undo = await s3.send(new DeleteObjectsCommand({ Bucket: 'core-delv', Delete: { Objects: [{ Key: 'y', VersionId: y.DeleteMarkerVersionId }] } }));
    assert.deepEqual(undo.Deleted, [{ Key: 'y', VersionId: y.DeleteMarkerVersionId, DeleteMarker: true, DeleteMarkerVersionId: y.DeleteMarkerVersionId }]);
    assert.equal((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: 'core-delv', Key: 'y' })))).toString(), 'y');
  });

  it('an object under legal hold is an AccessDenied entry, the rest are deleted', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'core-dellock', ObjectLockEnabledForBucket: true }));
    const held = await s3.send(new PutObjectCommand({ Bucket: 'core-dellock', Key: 'held', Body: 'h', ObjectLockLegalHoldStatus: 'ON' }));
    const free = await s3.send(new PutObjectCommand({ Bucket: 'core-dellock', Key: 'free', Body: 'f' }));
    const r = await s3.send(
      new DeleteObjectsCommand({ Bucket: 'core-dellock', Delete: { Objects: [{ Key: 'free', VersionId: free.VersionId }, { Key: 'held', VersionId: held.VersionId }] } }),
    );
    assert.deepEqual(r.Deleted, [{ Key: 'free', VersionId: free.VersionId }]);
    assert.equal(r.Errors?.length, 1);
    assert.equal(r.Errors![0]!.Key, 'held');
    assert.equal(r.Errors![0]!.VersionId, held.VersionId);
    assert.equal(r.Errors![0]!.Code, 'AccessDenied');
    assert.equal((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: 'core-dellock', Key: 'held' })))).toString(), 'h');
  });
});

describe('CopyObject with a checksum algorithm', () => {
  it('carries the source\'s checksum when it is of that algorithm, else computes one from the bytes', async () => {
    const B = 'copy-checksums';
    await createBucket(B);
    const body = Buffer.from('checksum me, copy me');
    // Uploaded with a CRC32C: that is the checksum the source carries.
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'src', Body: body, ChecksumAlgorithm: 'CRC32C' }));
    const same = await s3.send(new CopyObjectCommand({ Bucket: B, Key: 'same', CopySource: `${B}/src`, ChecksumAlgorithm: 'CRC32C' }));
    assert.equal(same.CopyObjectResult?.ChecksumCRC32C, await crc32c(body));

    const other = await s3.send(new CopyObjectCommand({ Bucket: B, Key: 'sha', CopySource: `${B}/src`, ChecksumAlgorithm: 'SHA256' }));
    assert.equal(other.CopyObjectResult?.ChecksumSHA256, sha256b64(body));
    assert.equal(other.CopyObjectResult?.ChecksumType, 'FULL_OBJECT');
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'sha', ChecksumMode: 'ENABLED' }));
    assert.equal(head.ChecksumSHA256, sha256b64(body));
    assert.equal(head.ChecksumCRC32C, undefined);
    assert.ok((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: B, Key: 'sha' })))).equals(body));
    // The source keeps its own.
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'src', ChecksumMode: 'ENABLED' }))).ChecksumCRC32C, await crc32c(body));
  });

  it('a multipart source (COMPOSITE checksum) copied with another algorithm gets a FULL_OBJECT checksum of all its bytes', async () => {
    const B = 'copy-checksums-mp';
    await createBucket(B);
    const parts = [Buffer.alloc(5 * 1024 * 1024, 'a'), Buffer.from('tail')];
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'mp', ChecksumAlgorithm: 'CRC32C' }));
    const done = [];
    for (const [i, p] of parts.entries()) {
      const r = await s3.send(new UploadPartCommand({ Bucket: B, Key: 'mp', UploadId, PartNumber: i + 1, Body: p, ChecksumAlgorithm: 'CRC32C' }));
      done.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC32C: r.ChecksumCRC32C });
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: 'mp', UploadId, MultipartUpload: { Parts: done } }));
    const r = await s3.send(new CopyObjectCommand({ Bucket: B, Key: 'copy', CopySource: `${B}/mp`, ChecksumAlgorithm: 'SHA1' }));
    assert.equal(r.CopyObjectResult?.ChecksumSHA1, sha1b64(Buffer.concat(parts)));
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'copy', ChecksumMode: 'ENABLED' }));
    assert.equal(head.ChecksumSHA1, sha1b64(Buffer.concat(parts)));
    assert.equal(head.ChecksumType, 'FULL_OBJECT');
  });
});
