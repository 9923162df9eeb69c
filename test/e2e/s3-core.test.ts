/**
 * The S3 core driven by the real AWS SDK v3 (@aws-sdk/client-s3) against an in-process server:
 * buckets, objects, conditional and ranged reads, checksums, versioning, listings, copy, batch
 * delete, awkward keys, virtual-host style and absolute-form requests. Expected values are computed
 * here, independently of the server's code.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  type ListObjectVersionsCommandOutput,
} from '@aws-sdk/client-s3';
import { AwsCrc32 } from '@aws-crypto/crc32';
import { AwsCrc32c } from '@aws-crypto/crc32c';
import { Crc64Nvme } from '@aws-sdk/crc64-nvme';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ACCESS_KEY_ID, s3Client, SECRET_ACCESS_KEY, startInProcess, type InProcessServer } from '../helpers/server.js';
import { bodyOf, rejects } from '../helpers/sdk-assert.js';
import { errorCode, rawRequest, rawSocket, signRequest } from '../helpers/signed-request.js';

let server: InProcessServer;
let s3: S3Client;
/** Request headers of the last request the SDK sent. */
let lastRequestHeaders: Record<string, string> = {};

before(async () => {
  server = await startInProcess();
  s3 = s3Client(server.url);
  s3.middlewareStack.add(
    (next) => async (args) => {
      lastRequestHeaders = { ...((args.request as { headers: Record<string, string> }).headers ?? {}) };
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'captureHeaders' },
  );
});

after(async () => {
  s3.destroy();
  await server.stop();
});

async function createBucket(name: string, versioning?: 'Enabled' | 'Suspended'): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  if (versioning) await s3.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: versioning } }));
}

const md5hex = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');
const md5b64 = (b: Buffer | string): string => createHash('md5').update(b).digest('base64');
/** S3's key order: UTF-8 bytes. */
const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

async function crc(kind: 'CRC32' | 'CRC32C' | 'CRC64NVME', data: Buffer): Promise<string> {
  const h = kind === 'CRC32' ? new AwsCrc32() : kind === 'CRC32C' ? new AwsCrc32c() : new Crc64Nvme();
  h.update(data);
  return Buffer.from(await h.digest()).toString('base64');
}

describe('buckets', () => {
  it('create, list, head, location, delete', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'core-b1' }));
    // us-east-1 answers 200 to a second create by the owner (legacy behaviour).
    const again = await s3.send(new CreateBucketCommand({ Bucket: 'core-b1' }));
    assert.equal(again.$metadata.httpStatusCode, 200);
    const list = await s3.send(new ListBucketsCommand({}));
    const b = list.Buckets?.find((x) => x.Name === 'core-b1');
    assert.ok(b, 'core-b1 listed');
    assert.ok(b.CreationDate instanceof Date && Math.abs(b.CreationDate.getTime() - Date.now()) < 60_000);
    assert.equal(b.BucketRegion, 'us-east-1');
    assert.ok(list.Owner?.ID);
    const head = await s3.send(new HeadBucketCommand({ Bucket: 'core-b1' }));
    assert.equal(head.BucketRegion, 'us-east-1');
    const loc = await s3.send(new GetBucketLocationCommand({ Bucket: 'core-b1' }));
    assert.equal(loc.LocationConstraint ?? '', '');
    await s3.send(new DeleteBucketCommand({ Bucket: 'core-b1' }));
    await rejects(s3.send(new HeadBucketCommand({ Bucket: 'core-b1' })), 'NotFound', 404);
    await rejects(s3.send(new GetBucketLocationCommand({ Bucket: 'core-b1' })), 'NoSuchBucket', 404);
    await rejects(s3.send(new DeleteBucketCommand({ Bucket: 'core-b1' })), 'NoSuchBucket', 404);
  });

  it('a bucket in another region: location, region header, BucketAlreadyOwnedByYou', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'core-eu', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    const loc = await s3.send(new GetBucketLocationCommand({ Bucket: 'core-eu' }));
    assert.equal(loc.LocationConstraint, 'eu-west-1');
    const head = await s3.send(new HeadBucketCommand({ Bucket: 'core-eu' }));
    assert.equal(head.BucketRegion, 'eu-west-1');
    const e = await rejects(
      s3.send(new CreateBucketCommand({ Bucket: 'core-eu', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })),
      'BucketAlreadyOwnedByYou',
      409,
    );
    assert.equal(e.message, 'Your previous request to create the named bucket succeeded and you already own it.');
    await s3.send(new DeleteBucketCommand({ Bucket: 'core-eu' }));
  });

  it('BucketNotEmpty until the last object is gone', async () => {
    await createBucket('core-full');
    await s3.send(new PutObjectCommand({ Bucket: 'core-full', Key: 'x', Body: 'x' }));
    const e = await rejects(s3.send(new DeleteBucketCommand({ Bucket: 'core-full' })), 'BucketNotEmpty', 409);
    assert.equal(e.message, 'The bucket you tried to delete is not empty');
    await s3.send(new DeleteObjectCommand({ Bucket: 'core-full', Key: 'x' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'core-full' }));
  });

  it('a versioned bucket with only a delete marker is still not empty', async () => {
    await createBucket('core-full-v', 'Enabled');
    const p = await s3.send(new PutObjectCommand({ Bucket: 'core-full-v', Key: 'x', Body: 'x' }));
    const d = await s3.send(new DeleteObjectCommand({ Bucket: 'core-full-v', Key: 'x' }));
    await rejects(s3.send(new DeleteBucketCommand({ Bucket: 'core-full-v' })), 'BucketNotEmpty', 409);
    await s3.send(new DeleteObjectCommand({ Bucket: 'core-full-v', Key: 'x', VersionId: p.VersionId }));
    await rejects(s3.send(new DeleteBucketCommand({ Bucket: 'core-full-v' })), 'BucketNotEmpty', 409);
    await s3.send(new DeleteObjectCommand({ Bucket: 'core-full-v', Key: 'x', VersionId: d.VersionId }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'core-full-v' }));
  });

  it('InvalidBucketName for names S3 refuses', async () => {
    const bad = ['ab', 'a'.repeat(64), 'Upper-case', 'bad..name', 'under_score', '192.168.5.4', '-dash', 'dash-', '.dot', 'xn--punycode', 'name-s3alias', 'sthree-x'];
    for (const name of bad) {
      const e = await rejects(s3.send(new CreateBucketCommand({ Bucket: name })), 'InvalidBucketName', 400);
      assert.ok(e.message.length > 10, `a message saying what is wrong with ${name}`);
    }
    const names = (await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name) ?? [];
    for (const name of bad) assert.ok(!names.includes(name), `${name} not created`);
    // The longest and shortest valid names work.
    for (const name of ['abc', 'a'.repeat(63), 'a.b-c.1']) {
      await s3.send(new CreateBucketCommand({ Bucket: name }));
      await s3.send(new DeleteBucketCommand({ Bucket: name }));
    }
  });
});

describe('objects: put, get, head', () => {
  const B = 'core-obj';
  const data = Buffer.from('abcdefghijklmnopqrstuvwxyz');
  let etag = '';
  let mtime: Date;

  before(async () => {
    await createBucket(B);
    const r = await s3.send(
      new PutObjectCommand({
        Bucket: B,
        Key: 'letters.txt',
        Body: data,
        ContentType: 'text/plain; charset=utf-8',
        ContentDisposition: 'attachment; filename="letters.txt"',
        ContentEncoding: 'identity',
        ContentLanguage: 'en-GB',
        CacheControl: 'max-age=60',
        Expires: new Date('2030-01-02T03:04:05Z'),
        Metadata: { colour: 'blue', 'two-words': 'hello world' },
      }),
    );
    etag = r.ETag!;
    assert.equal(etag, `"${md5hex(data)}"`);
    assert.equal(r.VersionId, undefined, 'no version id in an unversioned bucket');
    const h = await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'letters.txt' }));
    mtime = h.LastModified!;
  });

  it('GET returns bytes, metadata and content headers as stored', async () => {
    const r = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'letters.txt' }));
    assert.deepEqual(await bodyOf(r), data);
    assert.equal(r.ETag, etag);
    assert.equal(r.ContentLength, 26);
    assert.equal(r.ContentType, 'text/plain; charset=utf-8');
    assert.equal(r.ContentDisposition, 'attachment; filename="letters.txt"');
    assert.equal(r.ContentEncoding, 'identity');
    assert.equal(r.ContentLanguage, 'en-GB');
    assert.equal(r.CacheControl, 'max-age=60');
    assert.equal(r.ExpiresString, 'Wed, 02 Jan 2030 03:04:05 GMT');
    assert.deepEqual(r.Metadata, { colour: 'blue', 'two-words': 'hello world' });
    assert.equal(r.AcceptRanges, 'bytes');
    assert.equal(r.$metadata.httpStatusCode, 200);
    assert.ok(Math.abs(r.LastModified!.getTime() - Date.now()) < 60_000);
  });

  it('HEAD returns the same headers and no body', async () => {
    const h = await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'letters.txt' }));
    assert.equal(h.ContentLength, 26);
    assert.equal(h.ETag, etag);
    assert.equal(h.ContentType, 'text/plain; charset=utf-8');
    assert.deepEqual(h.Metadata, { colour: 'blue', 'two-words': 'hello world' });
    await rejects(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'missing' })), 'NotFound', 404);
    const e = await rejects(s3.send(new GetObjectCommand({ Bucket: B, Key: 'missing' })), 'NoSuchKey', 404);
    assert.equal(e.message, 'The specified key does not exist.');
  });

  it('response-* query parameters override the stored headers', async () => {
    const r = await s3.send(
      new GetObjectCommand({
        Bucket: B,
        Key: 'letters.txt',
        ResponseContentType: 'application/x-override',
        ResponseContentDisposition: 'inline',
        ResponseContentLanguage: 'fr',
        ResponseCacheControl: 'no-store',
        ResponseContentEncoding: 'x-custom',
        ResponseExpires: new Date('2031-05-06T07:08:09Z'),
      }),
    );
    assert.equal(r.ContentType, 'application/x-override');
    assert.equal(r.ContentDisposition, 'inline');
    assert.equal(r.ContentLanguage, 'fr');
    assert.equal(r.CacheControl, 'no-store');
    assert.equal(r.ContentEncoding, 'x-custom');
    assert.equal(r.ExpiresString, 'Tue, 06 May 2031 07:08:09 GMT');
    assert.deepEqual(await bodyOf(r), data);
  });

  it('Range: closed, suffix, open-ended, past the end, unsatisfiable', async () => {
    const get = (Range: string) => s3.send(new GetObjectCommand({ Bucket: B, Key: 'letters.txt', Range }));
    const cases: [string, string, string][] = [
      ['bytes=2-5', 'cdef', 'bytes 2-5/26'],
      ['bytes=-4', 'wxyz', 'bytes 22-25/26'],
      ['bytes=20-', 'uvwxyz', 'bytes 20-25/26'],
      ['bytes=0-0', 'a', 'bytes 0-0/26'],
      ['bytes=24-1000', 'yz', 'bytes 24-25/26'],
      ['bytes=-100', data.toString(), 'bytes 0-25/26'],
    ];
    for (const [range, body, contentRange] of cases) {
      const r = await get(range);
      assert.equal(r.$metadata.httpStatusCode, 206, range);
      assert.equal(r.ContentRange, contentRange, range);
      assert.equal(r.ContentLength, body.length, range);
      assert.equal((await bodyOf(r)).toString(), body, range);
    }
    const e = await rejects(get('bytes=26-'), 'InvalidRange', 416);
    assert.equal(e.message, 'The requested range is not satisfiable');
    await rejects(get('bytes=100-200'), 'InvalidRange', 416);
    // A malformed range is ignored: the whole object, 200.
    const whole = await get('bytes=5-2');
    assert.equal(whole.$metadata.httpStatusCode, 200);
    assert.equal((await bodyOf(whole)).length, 26);
  });

  it('If-Match / If-None-Match / If-Modified-Since / If-Unmodified-Since', async () => {
    const get = (o: Record<string, unknown>) => s3.send(new GetObjectCommand({ Bucket: B, Key: 'letters.txt', ...o }));
    assert.equal((await get({ IfMatch: etag })).$metadata.httpStatusCode, 200);
    assert.equal((await get({ IfMatch: '*' })).$metadata.httpStatusCode, 200);
    const pf = await rejects(get({ IfMatch: '"0123456789abcdef0123456789abcdef"' }), 'PreconditionFailed', 412);
    assert.equal(pf.message, 'At least one of the pre-conditions you specified did not hold');
    // 304 has no body: the SDK cannot name it, the status is what counts.
    await rejects(get({ IfNoneMatch: etag }), 'Unknown', 304);
    await rejects(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'letters.txt', IfNoneMatch: etag })), 'Unknown', 304);
    assert.equal((await get({ IfNoneMatch: '"0123456789abcdef0123456789abcdef"' })).$metadata.httpStatusCode, 200);
    const later = new Date(mtime.getTime() + 3600_000);
    const earlier = new Date(mtime.getTime() - 3600_000);
    await rejects(get({ IfModifiedSince: later }), 'Unknown', 304);
    await rejects(get({ IfModifiedSince: mtime }), 'Unknown', 304);
    assert.equal((await get({ IfModifiedSince: earlier })).$metadata.httpStatusCode, 200);
    await rejects(get({ IfUnmodifiedSince: earlier }), 'PreconditionFailed', 412);
    assert.equal((await get({ IfUnmodifiedSince: later })).$metadata.httpStatusCode, 200);
    // If-Match wins over If-Unmodified-Since; If-None-Match wins over If-Modified-Since (RFC 7232, as S3).
    assert.equal((await get({ IfMatch: etag, IfUnmodifiedSince: earlier })).$metadata.httpStatusCode, 200);
    assert.equal((await get({ IfNoneMatch: '"other"', IfModifiedSince: later })).$metadata.httpStatusCode, 200);
    await rejects(get({ IfMatch: '"other"', IfNoneMatch: etag }), 'PreconditionFailed', 412);
  });

  it('conditional writes: If-None-Match: * and If-Match', async () => {
    const first = await s3.send(new PutObjectCommand({ Bucket: B, Key: 'cond-write', Body: 'first', IfNoneMatch: '*' }));
    await rejects(s3.send(new PutObjectCommand({ Bucket: B, Key: 'cond-write', Body: 'second', IfNoneMatch: '*' })), 'PreconditionFailed', 412);
    await rejects(s3.send(new PutObjectCommand({ Bucket: B, Key: 'cond-write', Body: 'second', IfMatch: '"00000000000000000000000000000000"' })), 'PreconditionFailed', 412);
    await rejects(s3.send(new PutObjectCommand({ Bucket: B, Key: 'cond-missing', Body: 'x', IfMatch: first.ETag })), 'NoSuchKey', 404);
    assert.equal((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: B, Key: 'cond-write' })))).toString(), 'first');
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'cond-write', Body: 'second', IfMatch: first.ETag }));
    assert.equal((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: B, Key: 'cond-write' })))).toString(), 'second');
    await rejects(s3.send(new PutObjectCommand({ Bucket: 'core-no-such-bucket', Key: 'k', Body: 'x' })), 'NoSuchBucket', 404);
  });

  it('an empty object', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'empty', Body: '' }));
    const r = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'empty' }));
    assert.equal(r.ContentLength, 0);
    assert.equal(r.ETag, '"d41d8cd98f00b204e9800998ecf8427e"');
    assert.equal((await bodyOf(r)).length, 0);
    await rejects(s3.send(new GetObjectCommand({ Bucket: B, Key: 'empty', Range: 'bytes=0-1' })), 'InvalidRange', 416);
  });

  it('overwrite replaces the object and frees the old bytes', async () => {
    const big = Buffer.alloc(200 * 1024, 7);
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'over', Body: big }));
    const count = (): number => (server.app.store.ctx.db.prepare('SELECT COUNT(*) AS n FROM blobs').get() as { n: number }).n;
    const before = count();
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'over', Body: 'small now' }));
    assert.equal(count(), before, 'the old blob row went, the new one came');
    assert.equal((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: B, Key: 'over' })))).toString(), 'small now');
  });
});

describe('checksums', () => {
  const B = 'core-sum';
  before(() => createBucket(B));

  it('the SDK default: a CRC32 header on a buffered body, stored and returned with ChecksumMode', async () => {
    const data = Buffer.from('checksum me, please');
    const r = await s3.send(new PutObjectCommand({ Bucket: B, Key: 'default', Body: data }));
    assert.equal(lastRequestHeaders['x-amz-checksum-crc32'], await crc('CRC32', data));
    assert.equal(r.ChecksumCRC32, await crc('CRC32', data));
    assert.equal(r.ChecksumType, 'FULL_OBJECT');
    const g = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'default', ChecksumMode: 'ENABLED' }));
    assert.equal(g.ChecksumCRC32, await crc('CRC32', data));
    assert.equal(g.ChecksumType, 'FULL_OBJECT');
    assert.deepEqual(await bodyOf(g), data);
    const h = await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'default', ChecksumMode: 'ENABLED' }));
    assert.equal(h.ChecksumCRC32, await crc('CRC32', data));
    const plain = await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'default' }));
    assert.equal(plain.ChecksumCRC32, undefined, 'no checksum without ChecksumMode');
  });

  it('a streamed body: aws-chunked with a CRC32 trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER)', async () => {
    const data = Buffer.alloc(300 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 255;
    const r = await s3.send(new PutObjectCommand({ Bucket: B, Key: 'streamed', Body: Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]), ContentLength: data.length }));
    assert.equal(lastRequestHeaders['x-amz-content-sha256'], 'STREAMING-UNSIGNED-PAYLOAD-TRAILER');
    assert.equal(lastRequestHeaders['x-amz-trailer'], 'x-amz-checksum-crc32');
    assert.equal(r.ETag, `"${md5hex(data)}"`);
    assert.equal(r.ChecksumCRC32, await crc('CRC32', data));
    const g = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'streamed', ChecksumMode: 'ENABLED' }));
    assert.equal(g.ContentLength, data.length);
    assert.equal(g.ChecksumCRC32, await crc('CRC32', data));
    assert.equal(g.ContentEncoding, undefined, 'aws-chunked is not stored as a content coding');
    assert.deepEqual(await bodyOf(g), data);
    // Ranges of a file blob, including one that spans the 100 000-byte chunk seam.
    for (const [a, b] of [[99_990, 100_009], [0, 0], [data.length - 5, data.length - 1]] as const) {
      const r = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'streamed', Range: `bytes=${a}-${b}` }));
      assert.deepEqual(await bodyOf(r), data.subarray(a, b + 1));
    }
  });

  for (const alg of ['SHA256', 'CRC32C', 'CRC64NVME'] as const) {
    it(`explicit ChecksumAlgorithm ${alg}`, async () => {
      const data = Buffer.from(`data for ${alg} `.repeat(100));
      const expected = alg === 'SHA256' ? createHash('sha256').update(data).digest('base64') : await crc(alg, data);
      const field = `Checksum${alg}` as const;
      const r = await s3.send(new PutObjectCommand({ Bucket: B, Key: alg, Body: data, ChecksumAlgorithm: alg }));
      assert.equal(r[field], expected);
      const g = await s3.send(new GetObjectCommand({ Bucket: B, Key: alg, ChecksumMode: 'ENABLED' }));
      assert.equal(g[field], expected);
      assert.equal(g.ChecksumCRC32, undefined);
      assert.deepEqual(await bodyOf(g), data);
      const streamed = await s3.send(new PutObjectCommand({ Bucket: B, Key: `${alg}-stream`, Body: Readable.from([data]), ContentLength: data.length, ChecksumAlgorithm: alg }));
      assert.equal(lastRequestHeaders['x-amz-trailer'], `x-amz-checksum-${alg.toLowerCase()}`);
      assert.equal(streamed[field], expected);
    });
  }

  it('a ranged GET with ChecksumMode returns no full-object checksum (the SDK would reject the part)', async () => {
    const data = Buffer.from('0123456789'.repeat(10));
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'ranged', Body: data, ChecksumAlgorithm: 'CRC32C' }));
    const g = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'ranged', Range: 'bytes=10-19', ChecksumMode: 'ENABLED' }));
    assert.equal(g.ChecksumCRC32C, undefined);
    assert.equal((await bodyOf(g)).toString(), '0123456789');
  });

  it('a wrong x-amz-checksum-crc32 → BadDigest, nothing stored', async () => {
    const e = await rejects(s3.send(new PutObjectCommand({ Bucket: B, Key: 'bad-crc', Body: 'some data', ChecksumCRC32: 'AAAAAA==' })), 'BadDigest', 400);
    assert.equal(e.message, 'The CRC32 you specified did not match the calculated checksum.');
    await rejects(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'bad-crc' })), 'NotFound', 404);
  });

  it('a wrong Content-MD5 → BadDigest, nothing stored', async () => {
    const e = await rejects(s3.send(new PutObjectCommand({ Bucket: B, Key: 'bad-md5', Body: 'some data', ContentMD5: md5b64('other data') })), 'BadDigest', 400);
    assert.equal(e.message, 'The Content-MD5 you specified did not match what we received.');
    await rejects(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'bad-md5' })), 'NotFound', 404);
    const ok = await s3.send(new PutObjectCommand({ Bucket: B, Key: 'good-md5', Body: 'some data', ContentMD5: md5b64('some data') }));
    assert.equal(ok.ETag, `"${md5hex('some data')}"`);
    await rejects(s3.send(new PutObjectCommand({ Bucket: B, Key: 'bad-md5', Body: 'x', ContentMD5: 'not base64' })), 'InvalidDigest', 400);
  });
});

describe('versioning', () => {
  const B = 'core-ver';
  const ids: string[] = [];

  before(async () => {
    await createBucket(B, 'Enabled');
    for (const body of ['one', 'two', 'three']) {
      const r = await s3.send(new PutObjectCommand({ Bucket: B, Key: 'doc', Body: body }));
      assert.match(r.VersionId!, /^[A-Za-z0-9._]{32}$/);
      ids.push(r.VersionId!);
    }
  });

  it('each PUT makes a version; GET by versionId reads it', async () => {
    assert.equal(new Set(ids).size, 3);
    const latest = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'doc' }));
    assert.equal((await bodyOf(latest)).toString(), 'three');
    assert.equal(latest.VersionId, ids[2]);
    for (const [i, body] of ['one', 'two', 'three'].entries()) {
      const r = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'doc', VersionId: ids[i] }));
      assert.equal((await bodyOf(r)).toString(), body);
      assert.equal(r.VersionId, ids[i]);
    }
    await rejects(s3.send(new GetObjectCommand({ Bucket: B, Key: 'doc', VersionId: 'A'.repeat(32) })), 'NoSuchVersion', 404);
  });

  it('a delete marker hides the object; deleting the marker brings it back', async () => {
    const d = await s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'doc' }));
    assert.equal(d.DeleteMarker, true);
    assert.match(d.VersionId!, /^[A-Za-z0-9._]{32}$/);
    const e = await rejects(s3.send(new GetObjectCommand({ Bucket: B, Key: 'doc' })), 'NoSuchKey', 404);
    assert.equal(e.$response?.headers['x-amz-delete-marker'], 'true');
    assert.equal(e.$response?.headers['x-amz-version-id'], d.VersionId);
    const h = await rejects(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'doc' })), 'NotFound', 404);
    assert.equal(h.$response?.headers['x-amz-delete-marker'], 'true');
    // The marker addressed by id: 405, as S3.
    const m = await rejects(s3.send(new GetObjectCommand({ Bucket: B, Key: 'doc', VersionId: d.VersionId })), 'MethodNotAllowed', 405);
    assert.equal(m.$response?.headers['x-amz-delete-marker'], 'true');
    // Older versions stay readable by id.
    assert.equal((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: B, Key: 'doc', VersionId: ids[0] })))).toString(), 'one');
    const list = await s3.send(new ListObjectsV2Command({ Bucket: B }));
    assert.equal(list.KeyCount, 0);
    const undo = await s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'doc', VersionId: d.VersionId }));
    assert.equal(undo.DeleteMarker, true);
    assert.equal(undo.VersionId, d.VersionId);
    const back = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'doc' }));
    assert.equal((await bodyOf(back)).toString(), 'three');
    assert.equal(back.VersionId, ids[2]);
  });

  it('deleting the current version by id promotes the previous one', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'promote', Body: 'a' }));
    const v2 = await s3.send(new PutObjectCommand({ Bucket: B, Key: 'promote', Body: 'b' }));
    const d = await s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'promote', VersionId: v2.VersionId }));
    assert.equal(d.VersionId, v2.VersionId);
    assert.equal(d.DeleteMarker, undefined);
    assert.equal((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: B, Key: 'promote' })))).toString(), 'a');
    // A version id that does not exist: 204 with that id, as S3.
    const none = await s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'promote', VersionId: 'B'.repeat(32) }));
    assert.equal(none.$metadata.httpStatusCode, 204);
  });

  it('Suspended: PUT writes the null version and replaces it; older versions stay', async () => {
    await createBucket('core-susp', 'Enabled');
    const v1 = await s3.send(new PutObjectCommand({ Bucket: 'core-susp', Key: 'k', Body: 'v1' }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'core-susp', VersioningConfiguration: { Status: 'Suspended' } }));
    const n1 = await s3.send(new PutObjectCommand({ Bucket: 'core-susp', Key: 'k', Body: 'null-1' }));
    assert.equal(n1.VersionId, 'null');
    const n2 = await s3.send(new PutObjectCommand({ Bucket: 'core-susp', Key: 'k', Body: 'null-2' }));
    assert.equal(n2.VersionId, 'null');
    const list = await s3.send(new ListObjectVersionsCommand({ Bucket: 'core-susp' }));
    assert.deepEqual(
      list.Versions?.map((v) => [v.VersionId, v.IsLatest, v.Size]),
      [
        ['null', true, 6],
        [v1.VersionId, false, 2],
      ],
    );
    assert.equal((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: 'core-susp', Key: 'k', VersionId: 'null' })))).toString(), 'null-2');
    // A DELETE while suspended makes a null delete marker, replacing the null version.
    const d = await s3.send(new DeleteObjectCommand({ Bucket: 'core-susp', Key: 'k' }));
    assert.equal(d.VersionId, 'null');
    assert.equal(d.DeleteMarker, true);
    const after = await s3.send(new ListObjectVersionsCommand({ Bucket: 'core-susp' }));
    assert.deepEqual(after.DeleteMarkers?.map((m) => [m.VersionId, m.IsLatest]), [['null', true]]);
    assert.deepEqual(after.Versions?.map((v) => [v.VersionId, v.IsLatest]), [[v1.VersionId, false]]);
  });

  it('ListObjectVersions pages through many keys and versions exactly', async () => {
    const VB = 'core-vlist';
    await createBucket(VB, 'Enabled');
    // key -> versions oldest first
    const made = new Map<string, { id: string; marker: boolean }[]>();
    const keys = ['a', 'a/b', 'a/c', 'b', 'b c', 'ä', 'z/1', 'z/2', 'é', '日本', 'A', '0', 'a+b', 'a%2Fb'];
    for (const [i, key] of keys.entries()) {
      const vs: { id: string; marker: boolean }[] = [];
      for (let n = 0; n <= i % 3; n++) {
        const r = await s3.send(new PutObjectCommand({ Bucket: VB, Key: key, Body: `${key}#${n}` }));
        vs.push({ id: r.VersionId!, marker: false });
      }
      if (i % 4 === 1) {
        const d = await s3.send(new DeleteObjectCommand({ Bucket: VB, Key: key }));
        vs.push({ id: d.VersionId!, marker: true });
      }
      made.set(key, vs);
    }
    const expected: [string, string, boolean, boolean][] = [];
    for (const key of [...made.keys()].sort(byteOrder)) {
      const vs = [...made.get(key)!].reverse();
      vs.forEach((v, i) => expected.push([key, v.id, i === 0, v.marker]));
    }
    assert.ok(expected.length > 25);

    for (const pageSize of [1, 4, 7, 1000]) {
      const got: [string, string, boolean, boolean][] = [];
      let keyMarker: string | undefined;
      let versionMarker: string | undefined;
      let pages = 0;
      for (;;) {
        const r: ListObjectVersionsCommandOutput = await s3.send(new ListObjectVersionsCommand({ Bucket: VB, MaxKeys: pageSize, KeyMarker: keyMarker, VersionIdMarker: versionMarker }));
        pages++;
        const page: [string, string, boolean, boolean][] = [
          ...(r.Versions ?? []).map((v) => [v.Key!, v.VersionId!, v.IsLatest!, false] as [string, string, boolean, boolean]),
          ...(r.DeleteMarkers ?? []).map((v) => [v.Key!, v.VersionId!, v.IsLatest!, true] as [string, string, boolean, boolean]),
        ];
        assert.ok(page.length <= pageSize);
        // The SDK splits Versions and DeleteMarkers; restore S3's order from the expected list.
        const pos = new Map(expected.map((e, i) => [e[1], i]));
        page.sort((x, y) => pos.get(x[1])! - pos.get(y[1])!);
        got.push(...page);
        if (!r.IsTruncated) break;
        assert.equal(page.length, pageSize, 'a truncated page is full');
        keyMarker = r.NextKeyMarker;
        versionMarker = r.NextVersionIdMarker;
        assert.equal(keyMarker, page[page.length - 1]![0]);
        assert.equal(versionMarker, page[page.length - 1]![1]);
        assert.ok(pages < 200, 'pagination terminates');
      }
      assert.deepEqual(got, expected, `page size ${pageSize}`);
      assert.equal(pages, Math.max(1, Math.ceil(expected.length / pageSize)));
    }

    // S3's own interleaving of <Version> and <DeleteMarker>, checked on the raw XML.
    const raw = await rawRequest(server.port, { method: 'GET', path: `/${VB}`, query: { versions: '' } });
    assert.equal(raw.status, 200);
    const order = [...raw.body.matchAll(/<(Version|DeleteMarker)><Key>([^<]*)<\/Key><VersionId>([^<]*)<\/VersionId>/g)].map((m) => [m[2], m[3], m[1] === 'DeleteMarker']);
    assert.deepEqual(order, expected.map((e) => [e[0], e[1], e[3]]));

    // With a delimiter: keys under a/ and z/ fold into common prefixes, counted once each.
    const folded = await s3.send(new ListObjectVersionsCommand({ Bucket: VB, Delimiter: '/' }));
    assert.deepEqual(folded.CommonPrefixes?.map((p) => p.Prefix), ['a/', 'z/']);
    assert.ok(!(folded.Versions ?? []).some((v) => v.Key!.includes('/')));
    // Prefix filter.
    const onlyZ = await s3.send(new ListObjectVersionsCommand({ Bucket: VB, Prefix: 'z/' }));
    assert.deepEqual(onlyZ.Versions?.map((v) => v.Key), expected.filter((e) => e[0].startsWith('z/') && !e[3]).map((e) => e[0]));
  });
});

describe('listings', () => {
  const B = 'core-list';
  const keys = ['a/1', 'a/2', 'a/b/3', 'b/1', 'c', 'd/x', 'd/y', 'e', 'sp ace/x y', 'uni/日本語', 'plus/a+b', 'pct/100%', 'pct/%2F', 'star*', 'tilde~'];
  const sorted = [...keys].sort(byteOrder);

  before(async () => {
    await createBucket(B);
    for (const k of keys) await s3.send(new PutObjectCommand({ Bucket: B, Key: k, Body: k }));
  });

  it('ListObjectsV2: max-keys pages with continuation tokens', async () => {
    const got: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await s3.send(new ListObjectsV2Command({ Bucket: B, MaxKeys: 4, ContinuationToken: token }));
      pages++;
      assert.equal(r.MaxKeys, 4);
      assert.equal(r.KeyCount, r.Contents?.length ?? 0);
      assert.equal(r.ContinuationToken, token);
      for (const c of r.Contents ?? []) {
        got.push(c.Key!);
        assert.equal(c.Size, Buffer.byteLength(c.Key!));
        assert.equal(c.ETag, `"${md5hex(c.Key!)}"`);
        assert.equal(c.StorageClass, 'STANDARD');
        assert.equal(c.Owner, undefined, 'no owner without fetch-owner');
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
      if (r.IsTruncated) assert.equal(r.KeyCount, 4);
    } while (token);
    assert.deepEqual(got, sorted);
    assert.equal(pages, Math.ceil(keys.length / 4));
    const owned = await s3.send(new ListObjectsV2Command({ Bucket: B, MaxKeys: 1, FetchOwner: true }));
    assert.ok(owned.Contents?.[0]?.Owner?.ID);
  });

  it('ListObjectsV2: delimiter, prefix, start-after', async () => {
    const top = await s3.send(new ListObjectsV2Command({ Bucket: B, Delimiter: '/' }));
    assert.deepEqual(top.Contents?.map((c) => c.Key), ['c', 'e', 'star*', 'tilde~']);
    assert.deepEqual(top.CommonPrefixes?.map((p) => p.Prefix), ['a/', 'b/', 'd/', 'pct/', 'plus/', 'sp ace/', 'uni/']);
    assert.equal(top.KeyCount, 11);
    assert.equal(top.Delimiter, '/');

    const a = await s3.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'a/', Delimiter: '/' }));
    assert.deepEqual(a.Contents?.map((c) => c.Key), ['a/1', 'a/2']);
    assert.deepEqual(a.CommonPrefixes?.map((p) => p.Prefix), ['a/b/']);
    assert.equal(a.Prefix, 'a/');

    // Common prefixes count against max-keys and pages continue after a prefix.
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const r = await s3.send(new ListObjectsV2Command({ Bucket: B, Delimiter: '/', MaxKeys: 3, ContinuationToken: token }));
      const page = [...(r.Contents ?? []).map((c) => c.Key!), ...(r.CommonPrefixes ?? []).map((p) => p.Prefix!)].sort(byteOrder);
      assert.ok(page.length <= 3);
      seen.push(...page);
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    assert.deepEqual(seen, ['a/', 'b/', 'c', 'd/', 'e', 'pct/', 'plus/', 'sp ace/', 'star*', 'tilde~', 'uni/']);

    const after = await s3.send(new ListObjectsV2Command({ Bucket: B, StartAfter: 'd/x' }));
    assert.deepEqual(after.Contents?.map((c) => c.Key), sorted.filter((k) => byteOrder(k, 'd/x') > 0));
    assert.equal(after.StartAfter, 'd/x');
    const none = await s3.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'nothing/' }));
    assert.equal(none.KeyCount, 0);
    assert.equal(none.Contents, undefined);
    assert.equal(none.IsTruncated, false);
    const zero = await s3.send(new ListObjectsV2Command({ Bucket: B, MaxKeys: 0 }));
    assert.equal(zero.KeyCount, 0);
    assert.equal(zero.IsTruncated, false);
  });

  it('ListObjectsV2 with encoding-type=url encodes keys and prefixes as S3 does', async () => {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: B, EncodingType: 'url' }));
    assert.equal(r.EncodingType, 'url');
    // S3 (measured): space → '+', '+' → %2B, '%' → %25, UTF-8 bytes percent-encoded, '/' kept.
    const expected: Record<string, string> = {
      'sp ace/x y': 'sp+ace/x+y',
      'uni/日本語': 'uni/%E6%97%A5%E6%9C%AC%E8%AA%9E',
      'plus/a+b': 'plus/a%2Bb',
      'pct/100%': 'pct/100%25',
      'pct/%2F': 'pct/%252F',
      'star*': 'star*',
      'tilde~': 'tilde%7E',
    };
    const encoded = r.Contents!.map((c) => c.Key!);
    for (const [key, enc] of Object.entries(expected)) assert.ok(encoded.includes(enc), `${key} → ${enc}; got ${encoded.join(' ')}`);
    // Decoding the way SDKs do (+ is space) gives back every key.
    assert.deepEqual(encoded.map((k) => decodeURIComponent(k.replace(/\+/g, ' '))), sorted);
    const d = await s3.send(new ListObjectsV2Command({ Bucket: B, EncodingType: 'url', Delimiter: '/', Prefix: 'sp ace/' }));
    assert.equal(d.Prefix, 'sp+ace/');
    assert.deepEqual(d.Contents?.map((c) => c.Key), ['sp+ace/x+y']);
    const p = await s3.send(new ListObjectsV2Command({ Bucket: B, EncodingType: 'url', Delimiter: '/' }));
    assert.ok(p.CommonPrefixes?.some((x) => x.Prefix === 'sp+ace/'));
  });

  it('ListObjects (v1): marker, NextMarker with a delimiter', async () => {
    const got: string[] = [];
    let marker: string | undefined;
    for (;;) {
      const r = await s3.send(new ListObjectsCommand({ Bucket: B, MaxKeys: 5, Marker: marker }));
      assert.equal(r.Marker ?? '', marker ?? '');
      assert.ok(r.Contents?.[0]?.Owner?.ID, 'v1 lists the owner');
      got.push(...(r.Contents ?? []).map((c) => c.Key!));
      if (!r.IsTruncated) break;
      assert.equal(r.NextMarker, undefined, 'no NextMarker without a delimiter');
      marker = r.Contents![r.Contents!.length - 1]!.Key;
    }
    assert.deepEqual(got, sorted);
    const d = await s3.send(new ListObjectsCommand({ Bucket: B, Delimiter: '/', MaxKeys: 2 }));
    assert.equal(d.IsTruncated, true);
    assert.deepEqual(d.CommonPrefixes?.map((p) => p.Prefix), ['a/', 'b/']);
    assert.equal(d.NextMarker, 'b/');
    const d2 = await s3.send(new ListObjectsCommand({ Bucket: B, Delimiter: '/', MaxKeys: 2, Marker: d.NextMarker }));
    assert.deepEqual(d2.Contents?.map((c) => c.Key), ['c']);
    assert.deepEqual(d2.CommonPrefixes?.map((p) => p.Prefix), ['d/']);
  });

  it('orders keys by UTF-8 bytes, also above U+FFFF (where UTF-16 order differs)', async () => {
    const AB = 'core-astral';
    await createBucket(AB, 'Enabled');
    // U+FF5A sorts before U+1F600 in UTF-8 (EF.. < F0..) but after it in UTF-16 (FF5A > D83D).
    const ks = ['a', '\uFF5A1', '\uFF5A2', '\u{1F600}1', '\u{1F600}2', '\uFF5A/x', '\u{1F600}/y'];
    for (const k of ks) await s3.send(new PutObjectCommand({ Bucket: AB, Key: k, Body: k }));
    const order = [...ks].sort(byteOrder);
    assert.deepEqual((await s3.send(new ListObjectsV2Command({ Bucket: AB }))).Contents?.map((c) => c.Key), order);
    const paged: string[] = [];
    let token: string | undefined;
    do {
      const r = await s3.send(new ListObjectsV2Command({ Bucket: AB, MaxKeys: 1, ContinuationToken: token }));
      paged.push(...(r.Contents ?? []).map((c) => c.Key!));
      token = r.NextContinuationToken;
    } while (token);
    assert.deepEqual(paged, order);
    const after = await s3.send(new ListObjectsV2Command({ Bucket: AB, Prefix: '\u{1F600}', StartAfter: '\uFF5A1' }));
    assert.deepEqual(after.Contents?.map((c) => c.Key), ['\u{1F600}/y', '\u{1F600}1', '\u{1F600}2']);
    const v = await s3.send(new ListObjectVersionsCommand({ Bucket: AB, Delimiter: '/' }));
    assert.deepEqual(v.CommonPrefixes?.map((p) => p.Prefix), ['\uFF5A/', '\u{1F600}/']);
    assert.deepEqual(v.Versions?.map((x) => x.Key), ['a', '\uFF5A1', '\uFF5A2', '\u{1F600}1', '\u{1F600}2']);
    const v2 = await s3.send(new ListObjectVersionsCommand({ Bucket: AB, Delimiter: '/', MaxKeys: 3 }));
    assert.deepEqual([...(v2.Versions ?? []).map((x) => x.Key!), ...(v2.CommonPrefixes ?? []).map((p) => p.Prefix!)].sort(byteOrder), ['a', '\uFF5A/', '\uFF5A1']);
    assert.equal(v2.NextKeyMarker, '\uFF5A1');
  });

  it('listing a missing bucket → NoSuchBucket; bad max-keys → InvalidArgument', async () => {
    await rejects(s3.send(new ListObjectsV2Command({ Bucket: 'core-nope' })), 'NoSuchBucket', 404);
    const raw = await rawRequest(server.port, { method: 'GET', path: `/${B}`, query: { 'list-type': '2', 'max-keys': 'abc' } });
    assert.equal(raw.status, 400);
    assert.equal(errorCode(raw.body), 'InvalidArgument');
    const tok = await rawRequest(server.port, { method: 'GET', path: `/${B}`, query: { 'list-type': '2', 'continuation-token': '!!!' } });
    assert.equal(tok.status, 400);
    assert.equal(errorCode(tok.body), 'InvalidArgument');
  });
});

describe('keys', () => {
  const B = 'core-keys';
  const keys = [
    'with space',
    '  leading and trailing  ',
    'ünïcödé/日本語/😀',
    'plus+sign',
    'literal%2Fslash',
    'percent%',
    '../escape',
    'a/../../b',
    './dot',
    'dir/',
    'double//slash',
    'question?mark=1&x',
    'hash#frag',
    'semi;colon,comma',
    "quote'and\"dquote",
    '<xml>&amp;',
    'tab\there',
    'tilde~star*paren()',
    'back\\slash',
    '/leading-slash',
  ];

  before(() => createBucket(B));

  it('round-trip exactly through PUT, GET, HEAD and List', async () => {
    for (const k of keys) {
      await s3.send(new PutObjectCommand({ Bucket: B, Key: k, Body: `body of ${k}` }));
    }
    for (const k of keys) {
      const r = await s3.send(new GetObjectCommand({ Bucket: B, Key: k }));
      assert.equal((await bodyOf(r)).toString(), `body of ${k}`, k);
      assert.equal((await s3.send(new HeadObjectCommand({ Bucket: B, Key: k }))).ContentLength, Buffer.byteLength(`body of ${k}`), k);
    }
    const listed = (await s3.send(new ListObjectsV2Command({ Bucket: B }))).Contents!.map((c) => c.Key);
    assert.deepEqual(listed, [...keys].sort(byteOrder));
    const enc = (await s3.send(new ListObjectsV2Command({ Bucket: B, EncodingType: 'url' }))).Contents!.map((c) => decodeURIComponent(c.Key!.replace(/\+/g, ' ')));
    assert.deepEqual(enc, [...keys].sort(byteOrder));
    for (const k of keys) await s3.send(new DeleteObjectCommand({ Bucket: B, Key: k }));
    assert.equal((await s3.send(new ListObjectsV2Command({ Bucket: B }))).KeyCount, 0);
  });
});

describe('request forms', () => {
  const B = 'core-forms';
  before(async () => {
    await createBucket(B);
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'dir/file name.txt', Body: 'vhost body' }));
  });

  it('virtual-host style: Host <bucket>.localhost:<port>', async () => {
    const host = `${B}.localhost:${server.port}`;
    const get = await rawRequest(server.port, { method: 'GET', path: '/dir/file%20name.txt', host });
    assert.equal(get.status, 200, get.body);
    assert.equal(get.body, 'vhost body');
    const put = await rawRequest(server.port, { method: 'PUT', path: '/vh%2Bput', host, body: 'put via vhost' });
    assert.equal(put.status, 200, put.body);
    assert.equal((await bodyOf(await s3.send(new GetObjectCommand({ Bucket: B, Key: 'vh+put' })))).toString(), 'put via vhost');
    const list = await rawRequest(server.port, { method: 'GET', path: '/', host, query: { 'list-type': '2', prefix: 'dir/' } });
    assert.equal(list.status, 200);
    assert.match(list.body, /<Name>core-forms<\/Name>/);
    assert.match(list.body, /<Key>dir\/file name.txt<\/Key>/);
    const missing = await rawRequest(server.port, { method: 'GET', path: '/nope', host });
    assert.equal(missing.status, 404);
    assert.equal(errorCode(missing.body), 'NoSuchKey');
  });

  it('virtual-host style through the SDK (forcePathStyle: false)', async () => {
    // *.localhost may not resolve here: send every request to 127.0.0.1, keep the Host header.
    const inner = new NodeHttpHandler();
    const vh = new S3Client({
      endpoint: `http://localhost:${server.port}`,
      region: 'us-east-1',
      forcePathStyle: false,
      credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
      requestHandler: {
        handle: (req: { hostname: string; headers: Record<string, string> }, opts?: unknown) => {
          assert.equal(req.headers.host, `${B}.localhost:${server.port}`);
          req.hostname = '127.0.0.1';
          return inner.handle(req as never, opts as never);
        },
      } as never,
    });
    try {
      const r = await vh.send(new GetObjectCommand({ Bucket: B, Key: 'dir/file name.txt' }));
      assert.equal((await bodyOf(r)).toString(), 'vhost body');
      await vh.send(new PutObjectCommand({ Bucket: B, Key: 'sdk-vh', Body: 'sdk vhost' }));
      const l = await vh.send(new ListObjectsV2Command({ Bucket: B }));
      assert.deepEqual(l.Contents?.map((c) => c.Key), ['dir/file name.txt', 'sdk-vh', 'vh+put']);
    } finally {
      vh.destroy();
    }
  });

  it('absolute-form request target (proxy style)', async () => {
    const headers = await signRequest(server.port, { method: 'GET', path: `/${B}/dir/file%20name.txt` });
    const lines = [`GET http://127.0.0.1:${server.port}/${B}/dir/file%20name.txt HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), 'Connection: close', '', ''];
    const resp = await rawSocket(server.port, lines.join('\r\n'));
    assert.match(resp, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(resp.endsWith('\r\n\r\nvhost body'), resp);
    // Absolute form with a virtual-host authority.
    const vhHeaders = await signRequest(server.port, { method: 'GET', path: '/dir/file%20name.txt', host: `${B}.localhost:${server.port}` });
    const vhLines = [`GET http://${B}.localhost:${server.port}/dir/file%20name.txt HTTP/1.1`, ...Object.entries(vhHeaders).map(([k, v]) => `${k}: ${v}`), 'Connection: close', '', ''];
    const vhResp = await rawSocket(server.port, vhLines.join('\r\n'));
    assert.match(vhResp, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(vhResp.endsWith('vhost body'), vhResp);
  });

  it('error responses keep the connection open when the request had no body', async () => {
    const r = await rawRequest(server.port, { method: 'GET', path: `/${B}/missing` });
    assert.equal(r.status, 404);
    assert.notEqual(r.headers.connection, 'close');
  });
});
