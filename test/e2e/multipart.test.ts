/**
 * Multipart uploads end to end: the AWS SDK v3 and the AWS CLI against an in-process server. Every
 * test ends by checking the blob reference counts against the extents that point at the blobs, so a
 * leaked or over-released part shows up where it happens.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  UploadPartCommand,
  ListObjectVersionsCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { checksumOf, combineCrc, compositeChecksum } from '../../src/store/checksums.js';
import type { StoreContext } from '../../src/store/context.js';
import { AWS_CLI, cliEnv, s3Client, startInProcess, tempDir, type InProcessServer } from '../helpers/server.js';
import { bodyOf } from '../helpers/sdk-assert.js';

const MiB = 1024 * 1024;
const run = promisify(execFile);

let server: InProcessServer;
let s3: S3Client;
let ctx: StoreContext;
let bucketSeq = 0;

before(async () => {
  server = await startInProcess();
  s3 = s3Client(server.url);
  ctx = server.app.store.ctx;
});

after(async () => {
  s3.destroy();
  await server.stop();
});

async function newBucket(): Promise<string> {
  const name = `mp-${++bucketSeq}-${randomBytes(3).toString('hex')}`;
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}

const md5hex = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const sha256hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function multipartEtag(parts: Buffer[]): string {
  return `"${md5hex(Buffer.concat(parts.map((p) => createHash('md5').update(p).digest())))}-${parts.length}"`;
}

/**
 * Every blob's refs equals the number of extents (in versions and upload parts) that name it, no
 * blob is unreferenced, and the blob files on disk are exactly the file blobs' files.
 */
function assertNoLeaks(): void {
  const uses = new Map<number, number>();
  const lists = [
    ...(ctx.db.prepare('SELECT extents FROM versions WHERE extents IS NOT NULL').pluck().all() as string[]),
    ...(ctx.db.prepare('SELECT extents FROM upload_parts').pluck().all() as string[]),
  ];
  for (const l of lists) for (const [id] of JSON.parse(l) as [number, number, number][]) uses.set(id, (uses.get(id) ?? 0) + 1);
  const blobs = ctx.db.prepare('SELECT id, refs, file FROM blobs').all() as { id: number; refs: number; file: string | null }[];
  const counted = new Map(blobs.map((b) => [b.id, b.refs]));
  assert.deepEqual(new Map([...uses].sort((a, b) => a[0] - b[0])), new Map([...counted].sort((a, b) => a[0] - b[0])), 'blob refs must equal the extents that use them');
  const dir = join(server.dataDir, 'store', 'blobs');
  const onDisk = readdirSync(dir).flatMap((sub) => readdirSync(join(dir, sub))).sort();
  assert.deepEqual(onDisk, blobs.filter((b) => b.file).map((b) => b.file!).sort(), 'blob files on disk must be the file blobs');
}

async function createUpload(bucket: string, key: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...extra }));
  assert.match(r.UploadId!, /^[A-Za-z0-9_-]{64}$/);
  return r.UploadId!;
}

async function putPart(bucket: string, key: string, uploadId: string, n: number, body: Buffer, extra: Record<string, unknown> = {}): Promise<CompletedPart> {
  const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: n, Body: body, ...extra }));
  assert.equal(r.ETag, `"${md5hex(body)}"`);
  return { PartNumber: n, ETag: r.ETag };
}

async function complete(bucket: string, key: string, uploadId: string, parts: CompletedPart[], extra: Record<string, unknown> = {}) {
  return s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts }, ...extra }));
}

function s3Error(name: string, status: number, fields: Record<string, unknown> = {}) {
  return (e: unknown): boolean => {
    const err = e as { name: string; $metadata: { httpStatusCode: number } } & Record<string, unknown>;
    assert.equal(err.name, name, String(e));
    assert.equal(err.$metadata.httpStatusCode, status);
    for (const [k, v] of Object.entries(fields)) assert.equal(err[k], v, `error field ${k}`);
    return true;
  };
}

describe('multipart uploads', () => {
  test('three parts: bytes, ETag, GET ?partNumber and a range across a part boundary', async () => {
    const bucket = await newBucket();
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1024)];
    const uploadId = await createUpload(bucket, 'dir/three', { ContentType: 'application/x-three', Metadata: { color: 'blue' } });
    const done: CompletedPart[] = [];
    for (const [i, p] of parts.entries()) done.push(await putPart(bucket, 'dir/three', uploadId, i + 1, p));
    const r = await complete(bucket, 'dir/three', uploadId, done);
    assert.match(r.ETag!, /^"[0-9a-f]{32}-3"$/);
    assert.equal(r.ETag, multipartEtag(parts));
    assert.equal(r.Bucket, bucket);
    assert.equal(r.Key, 'dir/three');
    assert.equal(r.Location, `${server.url}/${bucket}/dir%2Fthree`);
    assert.equal(r.VersionId, undefined);

    const whole = Buffer.concat(parts);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/three' }));
    assert.equal(got.ETag, r.ETag);
    assert.equal(got.ContentType, 'application/x-three');
    assert.deepEqual(got.Metadata, { color: 'blue' });
    assert.equal(got.ContentLength, whole.length);
    assert.ok((await bodyOf(got)).equals(whole));

    const p2 = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/three', PartNumber: 2 }));
    assert.equal(p2.PartsCount, 3);
    assert.equal(p2.ContentRange, `bytes ${5 * MiB}-${10 * MiB - 1}/${whole.length}`);
    assert.ok((await bodyOf(p2)).equals(parts[1]!));

    const from = 10 * MiB - 10;
    const ranged = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/three', Range: `bytes=${from}-${from + 19}` }));
    assert.equal(ranged.ContentRange, `bytes ${from}-${from + 19}/${whole.length}`);
    assert.ok((await bodyOf(ranged)).equals(whole.subarray(from, from + 20)));

    // Gone from the listings once complete.
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    assert.equal(uploads.Uploads, undefined);
    await assert.rejects(s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'dir/three', UploadId: uploadId })), s3Error('NoSuchUpload', 404, { UploadId: uploadId }));
    assertNoLeaks();
  });

  test('CRC32 COMPOSITE: part checksums as the SDK computes them, object checksum of the part checksums', async () => {
    const bucket = await newBucket();
    const parts = [randomBytes(5 * MiB), randomBytes(3000)];
    const c = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'crc32', ChecksumAlgorithm: 'CRC32' }));
    assert.equal(c.ChecksumAlgorithm, 'CRC32');
    assert.equal(c.ChecksumType, 'COMPOSITE');
    const done: CompletedPart[] = [];
    for (const [i, p] of parts.entries()) {
      const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'crc32', UploadId: c.UploadId, PartNumber: i + 1, Body: p, ChecksumAlgorithm: 'CRC32' }));
      assert.equal(r.ChecksumCRC32, checksumOf('CRC32', p));
      done.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC32: r.ChecksumCRC32 });
    }
    const listed = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'crc32', UploadId: c.UploadId }));
    assert.equal(listed.ChecksumAlgorithm, 'CRC32');
    assert.equal(listed.ChecksumType, 'COMPOSITE');
    assert.deepEqual(listed.Parts!.map((p) => p.ChecksumCRC32), parts.map((p) => checksumOf('CRC32', p)));

    // Leaving out a part's checksum is refused while the upload has an algorithm.
    await assert.rejects(
      complete(bucket, 'crc32', c.UploadId!, done.map(({ PartNumber, ETag }) => ({ PartNumber, ETag }))),
      s3Error('InvalidRequest', 400, { message: 'The upload was created using a crc32 checksum. The complete request must include the checksum for each part. It was missing for part 1 in the request.' }),
    );
    // Parts with a checksum algorithm must be numbered 1, 2, 3 … without gaps.
    await assert.rejects(complete(bucket, 'crc32', c.UploadId!, [done[1]!]), s3Error('InvalidPartOrder', 400));
    const expected = compositeChecksum('CRC32', parts.map((p) => checksumOf('CRC32', p)));
    assert.match(expected, /-2$/);
    const r = await complete(bucket, 'crc32', c.UploadId!, done);
    assert.equal(r.ChecksumCRC32, expected);
    assert.equal(r.ChecksumType, 'COMPOSITE');
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'crc32', ChecksumMode: 'ENABLED' }));
    assert.equal(head.ChecksumCRC32, expected);
    assert.equal(head.ChecksumType, 'COMPOSITE');
    assert.ok((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'crc32' })))).equals(Buffer.concat(parts)));
    // The version keeps the parts' sizes and checksums for GetObjectAttributes.
    const attrs = await s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: 'crc32', ObjectAttributes: ['ObjectParts'] }));
    assert.equal(attrs.ObjectParts?.TotalPartsCount, 2);
    assert.deepEqual(attrs.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size, p.ChecksumCRC32]), parts.map((p, i) => [i + 1, p.length, checksumOf('CRC32', p)]));
    assertNoLeaks();
  });

  test('CRC64NVME FULL_OBJECT: the combined part CRCs are the CRC of the whole object', async () => {
    const bucket = await newBucket();
    const parts = [randomBytes(5 * MiB + 7), randomBytes(5 * MiB), randomBytes(12345)];
    const c = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'nvme', ChecksumAlgorithm: 'CRC64NVME' }));
    assert.equal(c.ChecksumType, 'FULL_OBJECT');
    const done: CompletedPart[] = [];
    for (const [i, p] of parts.entries()) {
      const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'nvme', UploadId: c.UploadId, PartNumber: i + 1, Body: p, ChecksumAlgorithm: 'CRC64NVME' }));
      assert.equal(r.ChecksumCRC64NVME, checksumOf('CRC64NVME', p));
      done.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC64NVME: r.ChecksumCRC64NVME });
    }
    const whole = Buffer.concat(parts);
    const expected = checksumOf('CRC64NVME', whole);
    assert.equal(combineCrc('CRC64NVME', parts.map((p) => ({ checksum: checksumOf('CRC64NVME', p), length: p.length }))), expected);
    // A wrong object checksum in the request is refused and leaves the upload as it was.
    await assert.rejects(complete(bucket, 'nvme', c.UploadId!, done, { ChecksumCRC64NVME: checksumOf('CRC64NVME', parts[0]!), ChecksumType: 'FULL_OBJECT' }), s3Error('BadDigest', 400));
    const r = await complete(bucket, 'nvme', c.UploadId!, done, { ChecksumCRC64NVME: expected, ChecksumType: 'FULL_OBJECT' });
    assert.equal(r.ChecksumCRC64NVME, expected);
    assert.equal(r.ChecksumType, 'FULL_OBJECT');
    // The SDK validates the full-object CRC64NVME of the body it reads.
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'nvme', ChecksumMode: 'ENABLED' }));
    assert.equal(got.ChecksumCRC64NVME, expected);
    assert.equal(got.ChecksumType, 'FULL_OBJECT');
    assert.ok((await bodyOf(got)).equals(whole));
    assertNoLeaks();
  });

  test('a part whose checksum algorithm is not the upload\'s is refused', async () => {
    const bucket = await newBucket();
    const uploadId = await createUpload(bucket, 'k', { ChecksumAlgorithm: 'SHA256' });
    await assert.rejects(
      s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'k', UploadId: uploadId, PartNumber: 1, Body: Buffer.from('one'), ChecksumAlgorithm: 'CRC32' })),
      s3Error('InvalidRequest', 400),
    );
    await assert.rejects(
      s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'k', UploadId: uploadId, PartNumber: 1, Body: Buffer.from('one'), ChecksumSHA256: checksumOf('SHA256', Buffer.from('two')) })),
      s3Error('BadDigest', 400),
    );
    const listed = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'k', UploadId: uploadId }));
    assert.equal(listed.Parts, undefined);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'k', UploadId: uploadId }));
    assertNoLeaks();
  });

  test('UploadPartCopy with a range adds references and writes no bytes', async () => {
    const bucket = await newBucket();
    const source = randomBytes(6 * MiB);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'src', Body: source }));
    const blobsBefore = ctx.db.prepare('SELECT COUNT(*) FROM blobs').pluck().get();
    const uploadId = await createUpload(bucket, 'copy');
    const first = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'copy', UploadId: uploadId, PartNumber: 1, CopySource: `${bucket}/src`, CopySourceRange: `bytes=0-${5 * MiB - 1}` }));
    assert.equal(first.CopyPartResult!.ETag, `"${md5hex(source.subarray(0, 5 * MiB))}"`);
    assert.ok(first.CopyPartResult!.LastModified instanceof Date);
    const second = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'copy', UploadId: uploadId, PartNumber: 2, CopySource: `/${bucket}/src`, CopySourceRange: 'bytes=100-1123' }));
    assert.equal(second.CopyPartResult!.ETag, `"${md5hex(source.subarray(100, 1124))}"`);
    assert.equal(ctx.db.prepare('SELECT COUNT(*) FROM blobs').pluck().get(), blobsBefore, 'a copied part writes no blob');
    assert.equal(ctx.db.prepare('SELECT refs FROM blobs ORDER BY id DESC LIMIT 1').pluck().get(), 3, 'the source blob has the object\'s and two parts\' references');

    await assert.rejects(
      s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'copy', UploadId: uploadId, PartNumber: 3, CopySource: `${bucket}/src`, CopySourceRange: `bytes=0-${6 * MiB}` })),
      s3Error('InvalidArgument', 400, { ArgumentName: 'x-amz-copy-source-range' }),
    );
    await assert.rejects(
      s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'copy', UploadId: uploadId, PartNumber: 3, CopySource: `${bucket}/src`, CopySourceRange: 'bytes=5-' })),
      s3Error('InvalidArgument', 400),
    );
    await assert.rejects(
      s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'copy', UploadId: uploadId, PartNumber: 3, CopySource: `${bucket}/src`, CopySourceIfMatch: '"nope"' })),
      s3Error('PreconditionFailed', 412),
    );
    await assert.rejects(
      s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'copy', UploadId: uploadId, PartNumber: 3, CopySource: `${bucket}/missing` })),
      s3Error('NoSuchKey', 404),
    );

    const r = await complete(bucket, 'copy', uploadId, [
      { PartNumber: 1, ETag: first.CopyPartResult!.ETag },
      { PartNumber: 2, ETag: second.CopyPartResult!.ETag },
    ]);
    const expected = Buffer.concat([source.subarray(0, 5 * MiB), source.subarray(100, 1124)]);
    assert.equal(r.ETag, multipartEtag([source.subarray(0, 5 * MiB), source.subarray(100, 1124)]));
    assert.ok((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'copy' })))).equals(expected));
    assertNoLeaks();
    // The blob lives on while either object uses it, and goes with the last one.
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'src' }));
    assert.ok((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'copy' })))).equals(expected));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'copy' }));
    assert.equal(ctx.db.prepare('SELECT COUNT(*) FROM blobs').pluck().get(), (blobsBefore as number) - 1);
    assertNoLeaks();
  });

  test('UploadPartCopy racing an overwrite of its source: the old bytes or NoSuchKey, never a dangling reference', async () => {
    // A bucket that never had versioning overwrites a key's row in place (same seq, new extents):
    // the copy must notice that the version it read is gone, not take references on released blobs.
    const bucket = await newBucket();
    const outcomes = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const source = randomBytes(24 * MiB);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'src', Body: source }));
      const uploadId = await createUpload(bucket, 'copy');
      const [copy] = await Promise.allSettled([
        s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'copy', UploadId: uploadId, PartNumber: 1, CopySource: `${bucket}/src`, CopySourceRange: `bytes=0-${20 * MiB - 1}` })),
        // A small overwrite commits while the copy is still reading 20 MiB for its MD5.
        new Promise((r) => setTimeout(r, 2 * i)).then(() => s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'src', Body: Buffer.from('new') }))),
      ]);
      if (copy.status === 'fulfilled') {
        outcomes.add('copied');
        assert.equal(copy.value.CopyPartResult!.ETag, `"${md5hex(source.subarray(0, 20 * MiB))}"`);
        await complete(bucket, 'copy', uploadId, [{ PartNumber: 1, ETag: copy.value.CopyPartResult!.ETag }]);
        assert.ok((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'copy' })))).equals(source.subarray(0, 20 * MiB)), 'the part holds the bytes its ETag names');
      } else {
        outcomes.add('gone');
        s3Error('NoSuchKey', 404)(copy.reason);
        await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'copy', UploadId: uploadId }));
      }
      assertNoLeaks();
    }
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: 'src' }));
    assert.deepEqual(versions.Versions!.map((v) => [v.VersionId, v.IsLatest]), [['null', true]], 'one null version per key');
    assert.ok(outcomes.size > 0, [...outcomes].join());
  });

  test('CompleteMultipartUpload errors: EntityTooSmall, InvalidPartOrder, InvalidPart; the upload stays usable', async () => {
    const bucket = await newBucket();
    const uploadId = await createUpload(bucket, 'k');
    const small = [randomBytes(1024), randomBytes(1024)];
    const p1 = await putPart(bucket, 'k', uploadId, 1, small[0]!);
    const p2 = await putPart(bucket, 'k', uploadId, 2, small[1]!);

    await assert.rejects(complete(bucket, 'k', uploadId, [p1, p2]), s3Error('EntityTooSmall', 400, { message: 'Your proposed upload is smaller than the minimum allowed size', ProposedSize: '1024', MinSizeAllowed: String(5 * MiB), PartNumber: '1' }));
    await assert.rejects(complete(bucket, 'k', uploadId, [p2, p1]), s3Error('InvalidPartOrder', 400, { message: 'The list of parts was not in ascending order. Parts must be ordered by part number.', UploadId: uploadId }));
    await assert.rejects(complete(bucket, 'k', uploadId, [p1, p1]), s3Error('InvalidPartOrder', 400));
    await assert.rejects(complete(bucket, 'k', uploadId, [{ PartNumber: 1, ETag: p2.ETag }]), s3Error('InvalidPart', 400, { UploadId: uploadId, PartNumber: '1', ETag: md5hex(small[1]!) }));
    await assert.rejects(complete(bucket, 'k', uploadId, [{ PartNumber: 3, ETag: p1.ETag }]), s3Error('InvalidPart', 400));
    await assert.rejects(complete(bucket, 'k', uploadId, [{ PartNumber: 0, ETag: p1.ETag }]), s3Error('InvalidArgument', 400, { ArgumentName: 'PartNumber' }));
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k' })), s3Error('NotFound', 404));

    // The last part alone may be small; part 2 is left out and its blob released.
    const r = await complete(bucket, 'k', uploadId, [{ PartNumber: 1, ETag: md5hex(small[0]!) }]);
    assert.equal(r.ETag, multipartEtag([small[0]!]));
    assert.ok((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' })))).equals(small[0]!));
    assert.equal(ctx.db.prepare('SELECT COUNT(*) FROM upload_parts WHERE upload_id = ?').pluck().get(uploadId), 0);
    assertNoLeaks();
  });

  test('complete with fewer parts than uploaded releases the rest; re-uploading a part replaces it', async () => {
    const bucket = await newBucket();
    const fileBlobs = () => ctx.db.prepare('SELECT COUNT(*) FROM blobs WHERE file IS NOT NULL').pluck().get() as number;
    const before = fileBlobs();
    const uploadId = await createUpload(bucket, 'k');
    const big = randomBytes(5 * MiB);
    await putPart(bucket, 'k', uploadId, 1, randomBytes(5 * MiB)); // replaced below
    const p1 = await putPart(bucket, 'k', uploadId, 1, big);
    await putPart(bucket, 'k', uploadId, 2, randomBytes(200 * 1024));
    const p3 = await putPart(bucket, 'k', uploadId, 3, Buffer.from('tail'));
    await putPart(bucket, 'k', uploadId, 4, randomBytes(300 * 1024));
    assertNoLeaks();
    assert.equal(fileBlobs() - before, 3, 'the replaced part 1 released its file');
    await complete(bucket, 'k', uploadId, [p1, p3]);
    assert.ok((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' })))).equals(Buffer.concat([big, Buffer.from('tail')])));
    assert.equal(fileBlobs() - before, 1, 'parts 2 and 4 released their files');
    assertNoLeaks();
  });

  test('NoSuchUpload: unknown id, another key\'s id, an aborted upload, a completed upload', async () => {
    const bucket = await newBucket();
    const other = await createUpload(bucket, 'other');
    const unknown = randomBytes(48).toString('base64url');
    for (const id of [unknown, other]) {
      await assert.rejects(s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'k', UploadId: id, PartNumber: 1, Body: Buffer.from('x') })), s3Error('NoSuchUpload', 404, { UploadId: id, message: 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.' }));
      await assert.rejects(s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'k', UploadId: id })), s3Error('NoSuchUpload', 404));
      await assert.rejects(complete(bucket, 'k', id, [{ PartNumber: 1, ETag: '"x"' }]), s3Error('NoSuchUpload', 404));
      await assert.rejects(s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'k', UploadId: id })), s3Error('NoSuchUpload', 404));
    }
    const uploadId = await createUpload(bucket, 'k');
    const p = await putPart(bucket, 'k', uploadId, 1, Buffer.from('one'));
    await complete(bucket, 'k', uploadId, [p]);
    await assert.rejects(s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'k', UploadId: uploadId, PartNumber: 2, Body: Buffer.from('x') })), s3Error('NoSuchUpload', 404));
    await assert.rejects(s3.send(new UploadPartCommand({ Bucket: `${bucket}-nope`, Key: 'k', UploadId: uploadId, PartNumber: 2, Body: Buffer.from('x') })), s3Error('NoSuchBucket', 404));
    // Part numbers outside 1..10000.
    await assert.rejects(s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'other', UploadId: other, PartNumber: 10001, Body: Buffer.from('x') })), s3Error('InvalidArgument', 400, { ArgumentName: 'partNumber', ArgumentValue: '10001' }));
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'other', UploadId: other }));
    assertNoLeaks();
  });

  test('AbortMultipartUpload answers 204 and releases every part', async () => {
    const bucket = await newBucket();
    const blobsBefore = ctx.db.prepare('SELECT COUNT(*) FROM blobs').pluck().get();
    const uploadId = await createUpload(bucket, 'k');
    await putPart(bucket, 'k', uploadId, 1, randomBytes(5 * MiB));
    await putPart(bucket, 'k', uploadId, 2, randomBytes(100));
    await putPart(bucket, 'k', uploadId, 3, randomBytes(300 * 1024));
    const r = await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'k', UploadId: uploadId }));
    assert.equal(r.$metadata.httpStatusCode, 204);
    assert.equal(ctx.db.prepare('SELECT COUNT(*) FROM blobs').pluck().get(), blobsBefore);
    assert.equal(ctx.db.prepare('SELECT COUNT(*) FROM upload_parts WHERE upload_id = ?').pluck().get(uploadId), 0);
    await assert.rejects(s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'k', UploadId: uploadId })), s3Error('NoSuchUpload', 404));
    assertNoLeaks();
  });

  test('ListParts pages with max-parts and part-number-marker', async () => {
    const bucket = await newBucket();
    const uploadId = await createUpload(bucket, 'k', { StorageClass: 'STANDARD_IA' });
    for (const n of [8, 1, 5, 3, 2]) await putPart(bucket, 'k', uploadId, n, Buffer.alloc(n, 'x'));
    const page = async (marker: string | undefined, max: number) => s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'k', UploadId: uploadId, MaxParts: max, PartNumberMarker: marker }));
    const p1 = await page(undefined, 2);
    assert.deepEqual(p1.Parts!.map((p) => [p.PartNumber, p.Size, p.ETag]), [[1, 1, `"${md5hex(Buffer.alloc(1, 'x'))}"`], [2, 2, `"${md5hex(Buffer.alloc(2, 'x'))}"`]]);
    assert.equal(p1.IsTruncated, true);
    assert.equal(p1.NextPartNumberMarker, '2');
    assert.equal(p1.MaxParts, 2);
    assert.equal(p1.StorageClass, 'STANDARD_IA');
    assert.ok(p1.Owner?.ID && p1.Initiator?.ID === p1.Owner.ID);
    const p2 = await page(p1.NextPartNumberMarker, 2);
    assert.deepEqual(p2.Parts!.map((p) => p.PartNumber), [3, 5]);
    assert.equal(p2.PartNumberMarker, '2');
    assert.equal(p2.IsTruncated, true);
    const p3 = await page(p2.NextPartNumberMarker, 2);
    assert.deepEqual(p3.Parts!.map((p) => p.PartNumber), [8]);
    assert.equal(p3.IsTruncated, false);
    assert.equal(p3.NextPartNumberMarker, '8');
    const all = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'k', UploadId: uploadId }));
    assert.equal(all.MaxParts, 1000);
    assert.deepEqual(all.Parts!.map((p) => p.PartNumber), [1, 2, 3, 5, 8]);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'k', UploadId: uploadId }));
    assertNoLeaks();
  });

  test('ListMultipartUploads: order, prefix, delimiter, markers, url encoding', async () => {
    const bucket = await newBucket();
    const keys = ['b', 'c d', 'a/2', 'b', 'a/1'];
    const ids: string[] = [];
    for (const k of keys) ids.push(await createUpload(bucket, k));
    const [b1, cd, a2, b2, a1] = ids as [string, string, string, string, string];
    const list = (input: Record<string, unknown> = {}) => s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, ...input }));

    const all = await list();
    assert.deepEqual(all.Uploads!.map((u) => [u.Key, u.UploadId]), [['a/1', a1], ['a/2', a2], ['b', b1], ['b', b2], ['c d', cd]]);
    assert.equal(all.IsTruncated, false);
    assert.equal(all.MaxUploads, 1000);
    assert.ok(all.Uploads![0]!.Initiated instanceof Date);
    assert.equal(all.Uploads![0]!.StorageClass, 'STANDARD');

    const byPrefix = await list({ Prefix: 'a/' });
    assert.deepEqual(byPrefix.Uploads!.map((u) => u.UploadId), [a1, a2]);
    assert.equal(byPrefix.Prefix, 'a/');

    const folded = await list({ Delimiter: '/' });
    assert.deepEqual(folded.CommonPrefixes!.map((p) => p.Prefix), ['a/']);
    assert.deepEqual(folded.Uploads!.map((u) => u.UploadId), [b1, b2, cd]);

    const first = await list({ MaxUploads: 3 });
    assert.deepEqual(first.Uploads!.map((u) => u.UploadId), [a1, a2, b1]);
    assert.equal(first.IsTruncated, true);
    assert.equal(first.NextKeyMarker, 'b');
    assert.equal(first.NextUploadIdMarker, b1);
    const rest = await list({ KeyMarker: first.NextKeyMarker, UploadIdMarker: first.NextUploadIdMarker });
    assert.deepEqual(rest.Uploads!.map((u) => u.UploadId), [b2, cd]);
    assert.equal(rest.IsTruncated, false);
    assert.deepEqual((await list({ KeyMarker: 'b' })).Uploads!.map((u) => u.UploadId), [cd]);

    const onePrefix = await list({ Delimiter: '/', MaxUploads: 1 });
    assert.deepEqual(onePrefix.CommonPrefixes!.map((p) => p.Prefix), ['a/']);
    assert.equal(onePrefix.Uploads, undefined);
    assert.equal(onePrefix.NextKeyMarker, 'a/');
    const afterPrefix = await list({ Delimiter: '/', MaxUploads: 1, KeyMarker: 'a/' });
    assert.deepEqual(afterPrefix.Uploads!.map((u) => u.UploadId), [b1]);
    assert.equal(afterPrefix.CommonPrefixes, undefined);

    // S3 encodes as a form does (space → '+'); the JS SDK hands the encoded values back as they are.
    const encoded = await list({ EncodingType: 'url', Prefix: 'c ' });
    assert.deepEqual(encoded.Uploads!.map((u) => u.Key), ['c+d']);
    assert.equal(encoded.Prefix, 'c+');
    assert.equal(encoded.EncodingType, 'url');
    await assert.rejects(list({ MaxUploads: -1 }), s3Error('InvalidArgument', 400, { ArgumentName: 'max-uploads' }));

    for (const [i, k] of keys.entries()) await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: k, UploadId: ids[i] }));
    assert.equal((await list()).Uploads, undefined);
  });

  test('a versioned bucket gives the object a version id; metadata and tags come from CreateMultipartUpload', async () => {
    const bucket = await newBucket();
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    const uploadId = await createUpload(bucket, 'v', { Tagging: 'a=1&b=2', CacheControl: 'max-age=60' });
    const p = await putPart(bucket, 'v', uploadId, 1, Buffer.from('versioned'));
    const r = await complete(bucket, 'v', uploadId, [p]);
    assert.match(r.VersionId!, /^[A-Za-z0-9._]{32}$/);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'v' }));
    assert.equal(head.VersionId, r.VersionId);
    assert.equal(head.CacheControl, 'max-age=60');
    assert.equal(head.TagCount, 2);
    assertNoLeaks();
  });

  test('CreateMultipartUpload refuses a checksum type without an algorithm, or one the algorithm cannot have', async () => {
    const bucket = await newBucket();
    const refused = [
      [{ ChecksumType: 'COMPOSITE' }, 'The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.'],
      [{ ChecksumAlgorithm: 'SHA256', ChecksumType: 'FULL_OBJECT' }, 'The FULL_OBJECT checksum type cannot be used with the sha256 checksum algorithm.'],
      [{ ChecksumAlgorithm: 'CRC64NVME', ChecksumType: 'COMPOSITE' }, 'The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.'],
    ] as const;
    for (const [extra, message] of refused) {
      await assert.rejects(s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'k', ...extra })), s3Error('InvalidRequest', 400, { message }));
    }
    assert.equal((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads, undefined);
  });

  test('CompleteMultipartUpload honours If-None-Match, If-Match and x-amz-mp-object-size', async () => {
    const bucket = await newBucket();
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'existing' }));
    const uploadId = await createUpload(bucket, 'k');
    const p = await putPart(bucket, 'k', uploadId, 1, Buffer.from('one'));
    await assert.rejects(complete(bucket, 'k', uploadId, [p], { IfNoneMatch: '*' }), s3Error('PreconditionFailed', 412));
    await assert.rejects(complete(bucket, 'k', uploadId, [p], { IfMatch: '"0123"' }), s3Error('PreconditionFailed', 412));
    await assert.rejects(complete(bucket, 'k', uploadId, [p], { MpuObjectSize: 4 }), s3Error('InvalidRequest', 400));
    assert.ok((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' })))).equals(Buffer.from('existing')));
    const r = await complete(bucket, 'k', uploadId, [p], { IfMatch: put.ETag, MpuObjectSize: 3 });
    assert.equal(r.ETag, multipartEtag([Buffer.from('one')]));
    assert.ok((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' })))).equals(Buffer.from('one')));
    assertNoLeaks();
  });

  test('the AWS CLI copies a 50 MiB file up (8 MiB parts) and down unchanged', async () => {
    const bucket = await newBucket();
    const dir = tempDir('s3batch-cli-');
    const src = join(dir, 'big.bin');
    const data = randomBytes(50 * MiB);
    writeFileSync(src, data);
    const endpoint = ['--endpoint-url', server.url];
    await run(AWS_CLI, ['s3', 'cp', src, `s3://${bucket}/big.bin`, ...endpoint], { env: cliEnv() });
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big.bin' }));
    assert.equal(head.ContentLength, data.length);
    const partSize = 8 * MiB;
    const chunks = Array.from({ length: Math.ceil(data.length / partSize) }, (_, i) => data.subarray(i * partSize, (i + 1) * partSize));
    assert.equal(head.ETag, multipartEtag(chunks));
    const out = join(dir, 'back.bin');
    await run(AWS_CLI, ['s3', 'cp', `s3://${bucket}/big.bin`, out, ...endpoint], { env: cliEnv() });
    const hash = createHash('sha256');
    for await (const c of createReadStream(out)) hash.update(c as Buffer);
    assert.equal(hash.digest('hex'), sha256hex(data));
    assertNoLeaks();
  });
});
