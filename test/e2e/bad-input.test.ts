/**
 * Hostile and broken input against a real `s3batch server` process: malformed XML, bad or missing
 * credentials, stale dates, oversized headers, over-long and path-like keys, bad percent-encoding,
 * truncated bodies. Each gets S3's error code, nothing is half-written, nothing lands outside the
 * data directory, and the process keeps answering.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListBucketsCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { s3Client, startProcess, tempDir, type ProcessServer } from '../helpers/server.js';
import { errorCode, presignedUrl, rawRequest, rawSocket, send, signRequest, type RawResponse } from '../helpers/signed-request.js';

let server: ProcessServer;
let s3: S3Client;
let parent: string;
let dataDir: string;
const B = 'bad-input';

before(async () => {
  parent = tempDir('s3batch-bad-');
  dataDir = join(parent, 'data');
  mkdirSync(dataDir);
  server = await startProcess({ dataDir });
  s3 = s3Client(server.url);
  await s3.send(new CreateBucketCommand({ Bucket: B }));
});

after(async () => {
  s3.destroy();
  await server.stop();
  rmSync(parent, { recursive: true, force: true });
});

function assertError(r: RawResponse, status: number, code: string, message?: RegExp | string): void {
  assert.equal(r.status, status, r.body);
  assert.equal(errorCode(r.body), code, r.body);
  assert.match(r.headers['content-type'] as string, /^application\/xml/);
  assert.match(r.body, /<RequestId>[^<]+<\/RequestId>/);
  if (message !== undefined) {
    const m = /<Message>([^<]*)<\/Message>/.exec(r.body)?.[1]?.replace(/&apos;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&');
    if (typeof message === 'string') assert.equal(m, message);
    else assert.match(m ?? '', message);
  }
}

async function sdkError(p: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await p;
  } catch (e) {
    if (e instanceof S3ServiceException) return e;
    throw e;
  }
  assert.fail('expected an error');
}

const md5b64 = (s: string | Buffer): string => createHash('md5').update(s).digest('base64');

describe('malformed XML', () => {
  it('CreateBucket: not well-formed, wrong root → MalformedXML, no bucket', async () => {
    const bodies = ['<CreateBucketConfiguration><LocationConstraint>eu-west-1</CreateBucketConfiguration>', 'not xml at all', '<Other><LocationConstraint>eu-west-1</LocationConstraint></Other>'];
    for (const [i, body] of bodies.entries()) {
      const r = await rawRequest(server.port, { method: 'PUT', path: `/bad-xml-${i}`, body });
      assertError(r, 400, 'MalformedXML');
      assert.match(r.body, /The XML you provided was not well-formed or did not validate against our published schema/);
      const head = await sdkError(s3.send(new HeadBucketCommand({ Bucket: `bad-xml-${i}` })));
      assert.equal(head.$metadata.httpStatusCode, 404, 'no bucket was created');
    }
  });

  it('PutBucketVersioning: malformed → MalformedXML, bad status → IllegalVersioningConfigurationException', async () => {
    const bad = await rawRequest(server.port, { method: 'PUT', path: `/${B}`, query: { versioning: '' }, body: '<VersioningConfiguration><Status>Enabled</Status>' });
    assertError(bad, 400, 'MalformedXML');
    const empty = await rawRequest(server.port, { method: 'PUT', path: `/${B}`, query: { versioning: '' }, body: '' });
    assertError(empty, 400, 'MalformedXML');
    const status = await rawRequest(server.port, { method: 'PUT', path: `/${B}`, query: { versioning: '' }, body: '<VersioningConfiguration><Status>Sometimes</Status></VersioningConfiguration>' });
    assertError(status, 400, 'IllegalVersioningConfigurationException');
    const crc = await rawRequest(server.port, {
      method: 'PUT',
      path: `/${B}`,
      query: { versioning: '' },
      body: '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>',
      headers: { 'x-amz-checksum-crc32': 'AAAAAA==' },
    });
    assertError(crc, 400, 'BadDigest', 'The CRC32 you specified did not match the calculated checksum.');
    const v = await rawRequest(server.port, { method: 'GET', path: `/${B}`, query: { versioning: '' } });
    assert.equal(v.status, 200);
    assert.doesNotMatch(v.body, /<Status>/, 'versioning unchanged');
  });

  it('DeleteObjects: malformed, empty, too many → MalformedXML; nothing deleted', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'keep-me', Body: 'k' }));
    const post = (body: string) => rawRequest(server.port, { method: 'POST', path: `/${B}`, query: { delete: '' }, body, headers: { 'content-md5': md5b64(body) } });
    assertError(await post('<Delete><Object><Key>keep-me</Key></Object>'), 400, 'MalformedXML');
    assertError(await post('<Delete></Delete>'), 400, 'MalformedXML');
    assertError(await post('<Delete><Object><Key>keep-me</Key><Key>x</Key></Object></Delete>'), 400, 'MalformedXML');
    const many = `<Delete>${'<Object><Key>k</Key></Object>'.repeat(1001)}</Delete>`;
    assertError(await post(many), 400, 'MalformedXML');
    const wrongMd5 = await rawRequest(server.port, { method: 'POST', path: `/${B}`, query: { delete: '' }, body: '<Delete><Object><Key>keep-me</Key></Object></Delete>', headers: { 'content-md5': md5b64('other') } });
    assertError(wrongMd5, 400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
    const wrongCrc = await rawRequest(server.port, { method: 'POST', path: `/${B}`, query: { delete: '' }, body: '<Delete><Object><Key>keep-me</Key></Object></Delete>', headers: { 'x-amz-checksum-crc32': 'AAAAAA==' } });
    assertError(wrongCrc, 400, 'BadDigest', 'The CRC32 you specified did not match the calculated checksum.');
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'keep-me' }))).ContentLength, 1);
  });
});

describe('authentication', () => {
  it('a wrong secret → SignatureDoesNotMatch', async () => {
    const r = await rawRequest(server.port, { method: 'GET', path: `/${B}`, secretAccessKey: 'not-the-secret-0000000000000000000000000' });
    assertError(r, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
    // A body tampered with after signing (signed payload hash) is refused too, and not stored.
    const headers = await signRequest(server.port, { method: 'PUT', path: `/${B}/tampered`, body: 'original' });
    const t = await send(server.port, 'PUT', `/${B}/tampered`, { ...headers, 'content-length': '8' }, 'tampered');
    assertError(t, 400, 'XAmzContentSHA256Mismatch');
    assert.equal((await sdkError(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'tampered' })))).$metadata.httpStatusCode, 404);
  });

  it('an unknown access key → InvalidAccessKeyId', async () => {
    const r = await rawRequest(server.port, { method: 'GET', path: '/', accessKeyId: 'AKIANOSUCHKEY0000000' });
    assertError(r, 403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  });

  it('an expired presigned URL → AccessDenied; a fresh one works', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'presigned', Body: 'presigned body' }));
    const old = await presignedUrl(server.port, { method: 'GET', path: `/${B}/presigned`, expiresIn: 60, date: new Date(Date.now() - 3600_000) });
    const r = await send(server.port, 'GET', old.slice(old.indexOf('/', 7)), { host: `127.0.0.1:${server.port}` });
    assertError(r, 403, 'AccessDenied', 'Request has expired');
    const fresh = await presignedUrl(server.port, { method: 'GET', path: `/${B}/presigned`, expiresIn: 60 });
    const ok = await send(server.port, 'GET', fresh.slice(fresh.indexOf('/', 7)), { host: `127.0.0.1:${server.port}` });
    assert.equal(ok.status, 200);
    assert.equal(ok.body, 'presigned body');
  });

  it('a request dated 20 minutes ago → RequestTimeTooSkewed', async () => {
    const r = await rawRequest(server.port, { method: 'GET', path: '/', date: new Date(Date.now() - 20 * 60_000) });
    assertError(r, 403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
    assert.match(r.body, /<MaxAllowedSkewMilliseconds>900000<\/MaxAllowedSkewMilliseconds>/);
    const future = await rawRequest(server.port, { method: 'GET', path: '/', date: new Date(Date.now() + 20 * 60_000) });
    assertError(future, 403, 'RequestTimeTooSkewed');
  });

  it('anonymous requests → AccessDenied, and an anonymous PUT stores nothing', async () => {
    assertError(await rawRequest(server.port, { method: 'GET', path: '/', anonymous: true }), 403, 'AccessDenied');
    assertError(await rawRequest(server.port, { method: 'GET', path: `/${B}/presigned`, anonymous: true }), 403, 'AccessDenied');
    const put = await rawRequest(server.port, { method: 'PUT', path: `/${B}/anon`, anonymous: true, body: 'anonymous', headers: { 'content-length': '9' } });
    assertError(put, 403, 'AccessDenied');
    assert.equal((await sdkError(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'anon' })))).$metadata.httpStatusCode, 404);
  });
});

describe('request shape', () => {
  it('a header section over 16 KiB → 400, and the server answers the next request', async () => {
    const big = 'a'.repeat(20 * 1024);
    const resp = await rawSocket(server.port, `GET /${B}/x HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nX-Big: ${big}\r\n\r\n`);
    assert.match(resp, /^HTTP\/1\.1 400 /);
    assert.match(resp, /<Code>RequestHeaderSectionTooLarge<\/Code>/);
    assert.match(resp, /<Message>Your request header section exceeds the maximum allowed size\.<\/Message>/);
    const health = await send(server.port, 'GET', '/_health', { host: `127.0.0.1:${server.port}` });
    assert.equal(health.status, 200);
    // A request line that is not HTTP at all.
    const junk = await rawSocket(server.port, 'THIS IS NOT HTTP\r\n\r\n');
    assert.match(junk, /^HTTP\/1\.1 400 /);
  });

  it('keys: 1024 bytes OK, 1025 bytes → KeyTooLongError', async () => {
    const ascii = 'k'.repeat(1024);
    const multi = 'é'.repeat(512); // 1024 UTF-8 bytes
    for (const key of [ascii, multi]) {
      await s3.send(new PutObjectCommand({ Bucket: B, Key: key, Body: 'long' }));
      assert.equal((await s3.send(new HeadObjectCommand({ Bucket: B, Key: key }))).ContentLength, 4);
    }
    for (const key of ['k'.repeat(1025), 'é'.repeat(512) + 'x']) {
      const e = await sdkError(s3.send(new PutObjectCommand({ Bucket: B, Key: key, Body: 'too long' })));
      assert.equal(e.name, 'KeyTooLongError');
      assert.equal(e.$metadata.httpStatusCode, 400);
      assert.equal(e.message, 'Your key is too long');
    }
    const listed = (await s3.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'k' }))).Contents?.map((c) => c.Key);
    assert.deepEqual(listed, ['keep-me', ascii]);
  });

  it('path-like and odd keys are stored as keys, never as paths', async () => {
    const keys = ['../../escape-1', '../', '..', 'a/../../../escape-2', '/etc/passwd-escape', '..\\..\\escape-3', 'ünï/日本/😀', 'dot/./x', 'slashes//double'];
    for (const k of keys) {
      await s3.send(new PutObjectCommand({ Bucket: B, Key: k, Body: `body:${k}` }));
      const r = await s3.send(new GetObjectCommand({ Bucket: B, Key: k }));
      assert.equal(await r.Body!.transformToString(), `body:${k}`);
    }
    // Raw targets the SDK would not produce: encoded slashes and dot segments stay in the key.
    const raw = [
      ['/bad-input/..%2F..%2Fescape-4', '../../escape-4'],
      ['/bad-input/%2E%2E/%2E%2E/escape-5', '../../escape-5'],
      ['/bad-input/nul%00byte', 'nul\u0000byte'],
    ];
    for (const [path, key] of raw) {
      const put = await rawRequest(server.port, { method: 'PUT', path: path!, body: 'raw' });
      assert.equal(put.status, 200, `${path}: ${put.body}`);
      const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: key! }));
      assert.equal(head.ContentLength, 3, path);
    }
    const all = (await s3.send(new ListObjectsV2Command({ Bucket: B, EncodingType: 'url' }))).Contents!.map((c) => decodeURIComponent(c.Key!.replace(/\+/g, ' ')));
    for (const k of [...keys, '../../escape-4', '../../escape-5', 'nul\u0000byte']) assert.ok(all.includes(k), `listed: ${JSON.stringify(k)}`);
  });

  it('invalid bucket names → InvalidBucketName', async () => {
    for (const name of ['ab', 'Bad_Bucket', 'UPPER', 'a'.repeat(64), 'bad..dots', '-lead', '10.0.0.1']) {
      const r = await rawRequest(server.port, { method: 'PUT', path: `/${encodeURIComponent(name)}` });
      assertError(r, 400, 'InvalidBucketName');
      assert.match(r.body, new RegExp(`<BucketName>${name.replace(/\./g, '\\.')}</BucketName>`));
    }
    const names = (await s3.send(new ListBucketsCommand({}))).Buckets!.map((b) => b.Name);
    assert.deepEqual(names, [B]);
  });

  it('invalid percent-encoding in the path → InvalidURI', async () => {
    for (const path of [`/${B}/bad%zz`, `/${B}/trunc%4`, `/${B}/notutf8%C3%28`, `/${B}/lone%FF`]) {
      const r = await rawRequest(server.port, { method: 'GET', path });
      assertError(r, 400, 'InvalidURI', "Couldn't parse the specified URI.");
    }
    const put = await rawRequest(server.port, { method: 'PUT', path: `/${B}/bad%zzput`, body: 'x' });
    assertError(put, 400, 'InvalidURI');
  });

  it('a body cut short is not stored; a wrong declared length is refused', async () => {
    const headers = await signRequest(server.port, { method: 'PUT', path: `/${B}/short`, unsignedPayload: true });
    const head = [`PUT /${B}/short HTTP/1.1`, ...Object.entries({ ...headers, 'content-length': '1000' }).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
    // Send 10 of the 1000 bytes, then close: the server must not commit the object.
    await rawSocket(server.port, head + '0123456789', 300);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await sdkError(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'short' })))).$metadata.httpStatusCode, 404);
    // Too much metadata.
    const meta = await sdkError(s3.send(new PutObjectCommand({ Bucket: B, Key: 'meta', Body: 'm', Metadata: { big: 'v'.repeat(2100) } })));
    assert.equal(meta.name, 'MetadataTooLarge');
    assert.equal(meta.$metadata.httpStatusCode, 400);
  });

  it('unknown methods and sub-resources get S3 errors, not crashes', async () => {
    assertError(await rawRequest(server.port, { method: 'PATCH', path: `/${B}` }), 405, 'MethodNotAllowed');
    assertError(await rawRequest(server.port, { method: 'GET', path: `/${B}`, query: { website: '' } }), 501, 'NotImplemented');
    assertError(await rawRequest(server.port, { method: 'GET', path: '/no-such-bucket/key' }), 404, 'NoSuchBucket');
    assertError(await rawRequest(server.port, { method: 'GET', path: `/${B}`, query: { 'list-type': '2', 'encoding-type': 'base64' } }), 400, 'InvalidArgument');
    assertError(await rawRequest(server.port, { method: 'GET', path: `/${B}/keep-me`, query: { versionId: 'bad version id!' } }), 400, 'InvalidArgument');
  });
});

describe('afterwards', () => {
  it('nothing was written outside the data dir, no file is named after a key', () => {
    assert.deepEqual(readdirSync(parent), ['data']);
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        if (statSync(p).isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(dataDir);
    assert.ok(files.length > 0);
    for (const f of files) {
      const rel = relative(dataDir, f);
      assert.ok(!rel.startsWith('..') && !rel.includes(`..${sep}`), f);
      assert.doesNotMatch(rel, /escape|passwd|presigned|keep-me|kkkk|ünï|tampered|nul/, f);
    }
  });

  it('the process is alive and healthy', async () => {
    assert.equal(server.child.exitCode, null);
    const r = await send(server.port, 'GET', '/_health', { host: `127.0.0.1:${server.port}` });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'ok\n');
    assert.deepEqual((await s3.send(new ListBucketsCommand({}))).Buckets!.map((b) => b.Name), [B]);
    assert.doesNotMatch(server.output(), /internal error/i, server.output());
  });
});
