import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { buildQueryString } from '@smithy/core/protocols';
import {
  S3Client,
  PutObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  DeleteObjectCommand,
  HeadObjectCommand,
} from '@aws-sdk/client-s3';
import {
  verifySigV4,
  deriveSigningKey,
  sha256Hex,
  hmac,
  canonicalUri,
  canonicalizeEncoded,
  type SigV4Request,
  type SecretLookup,
} from '../../src/http/sigv4.js';
import { S3Error, type ErrorCode } from '../../src/errors.js';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** node:crypto implementation of the smithy Checksum interface (what @smithy/hash-node does). */
class Sha256 {
  private h: Hash | Hmac;
  private readonly secret: Buffer | undefined;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.secret = secret === undefined ? undefined : toBuf(secret);
    this.h = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
  update(data: Uint8Array | string): void {
    this.h.update(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {
    this.h = this.fresh();
  }
}
function toBuf(d: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof d === 'string') return Buffer.from(d, 'utf8');
  if (ArrayBuffer.isView(d)) return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  return Buffer.from(d);
}

const AKID = 'AKIDEXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const NOW = Date.UTC(2024, 0, 15, 12, 0, 0);
const lookup: SecretLookup = (id) => (id === AKID ? { secretAccessKey: SECRET } : id === 'AKIAIOSFODNN7EXAMPLE' ? { secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' } : undefined);

function signer(sessionToken?: string) {
  return new SignatureV4({
    service: 's3',
    region: 'us-east-1',
    credentials: sessionToken ? { accessKeyId: AKID, secretAccessKey: SECRET, sessionToken } : { accessKeyId: AKID, secretAccessKey: SECRET },
    sha256: Sha256,
    uriEscapePath: false, // what the S3 client does: the path is already encoded once by the serializer
  });
}

/** What the S3 client does to a key: extendedEncodeURIComponent per segment, '/' kept. */
function s3Path(bucket: string, key: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return `/${enc(bucket)}/${key.split('/').map(enc).join('/')}`;
}

interface Spec {
  method?: string;
  path: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
}

interface WireLike { method: string; path: string; query?: Record<string, unknown>; headers: Record<string, string> }

function toWire(r: WireLike): SigV4Request {
  const headers: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(r.headers)) headers[k.toLowerCase()] = v;
  return { method: r.method, rawPath: r.path, rawQuery: buildQueryString((r.query ?? {}) as Record<string, string>), headers };
}

function baseRequest(spec: Spec) {
  return {
    method: spec.method ?? 'GET',
    protocol: 'http:',
    hostname: 'localhost',
    port: 9000,
    path: spec.path,
    query: spec.query ?? {},
    headers: { host: 'localhost:9000', 'x-amz-content-sha256': EMPTY, ...spec.headers } as Record<string, string>,
  };
}

async function signHeader(spec: Spec, signingDate = NOW, sessionToken?: string): Promise<SigV4Request> {
  const signed = await signer(sessionToken).sign(baseRequest(spec), { signingDate: new Date(signingDate) });
  return toWire(signed as WireLike);
}

async function presign(spec: Spec, expiresIn = 3600, signingDate = NOW, sessionToken?: string): Promise<SigV4Request> {
  const req = baseRequest(spec);
  // What @aws-sdk/s3-request-presigner does before presigning: the hash is hoisted into the query.
  delete req.headers['x-amz-content-sha256'];
  req.headers['X-Amz-Content-Sha256'] = 'UNSIGNED-PAYLOAD';
  const signed = await signer(sessionToken).presign(req, { signingDate: new Date(signingDate), expiresIn });
  return toWire(signed as WireLike);
}

function expectS3Error(fn: () => unknown, code: ErrorCode, message?: RegExp): S3Error {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof S3Error, `expected S3Error ${code}, got ${caught === undefined ? 'no error' : String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}

const KEYS = [
  'plain.txt',
  'dir/sub dir/file with spaces.txt',
  'ünïcödé/ключ/日本語.bin',
  'tilde~and_under-score.dot',
  'plus+sign=equals&amp',
  'literal%2Fpercent%20',
  "specials!'()*$@:;,?#[]",
  'emoji😀',
  'a//double//slash/',
  'dots/../and/./dots',
];

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('sigv4 helpers', () => {
  test('deriveSigningKey matches the AWS documented example and is cached', () => {
    // AWS SigV4 docs: secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20120215/us-east-1/iam
    const k = deriveSigningKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20120215', 'us-east-1', 'iam');
    assert.equal(k.toString('hex'), 'f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d');
    assert.equal(deriveSigningKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20120215', 'us-east-1', 'iam'), k);
    assert.notEqual(deriveSigningKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20120216', 'us-east-1', 'iam').toString('hex'), k.toString('hex'));
  });

  test('sha256Hex / hmac', () => {
    assert.equal(sha256Hex(''), EMPTY);
    assert.equal(sha256Hex(Buffer.alloc(0)), EMPTY);
    assert.equal(hmac('key', 'The quick brown fox jumps over the lazy dog').toString('hex'), 'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8');
  });

  test('canonicalUri decodes and re-encodes each segment once', () => {
    assert.equal(canonicalUri(''), '/');
    assert.equal(canonicalUri('/b/k'), '/b/k');
    assert.equal(canonicalUri('/b/a%20b'), '/b/a%20b');
    assert.equal(canonicalUri('/b/a b'), '/b/a%20b');
    assert.equal(canonicalUri('/b/a%2fb'), '/b/a%2Fb');
    assert.equal(canonicalUri('/b/a+b!'), '/b/a%2Bb%21');
    assert.equal(canonicalUri('/b/%7Etilde'), '/b/~tilde');
    assert.equal(canonicalUri('/b/../x/./y'), '/b/../x/./y');
    assert.equal(canonicalUri('/b/%C3%BC'), '/b/%C3%BC');
    assert.equal(canonicalUri('/b/\u00c3\u00bc'), '/b/%C3%BC'); // raw UTF-8 bytes as node gives them (latin1)
    assert.equal(canonicalUri('/b/%zz%'), '/b/%25zz%25'); // a stray '%' is a literal '%'
    assert.equal(canonicalUri('/b/%41%7e%2d'), '/b/A~-'); // needlessly encoded unreserved chars
    assert.equal(canonicalUri('/b/%FF%fe'), '/b/%FF%FE'); // not UTF-8: still just bytes
    assert.equal(canonicalUri('/b/\u65e5\u{1F600}'), '/b/%E6%97%A5%F0%9F%98%80'); // chars above U+00FF → UTF-8
    assert.equal(canonicalizeEncoded('a+b c/d', false), 'a%2Bb%20c%2Fd');
    assert.equal(canonicalizeEncoded('a%2fb', true), 'a%2Fb');
  });
});

describe('AWS documented examples', () => {
  const t0 = Date.UTC(2013, 4, 24, 0, 0, 0);
  const awsLookup: SecretLookup = (id) => (id === 'AKIAIOSFODNN7EXAMPLE' ? { secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' } : undefined);
  const cred = 'Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request';

  test('GET Object with range', () => {
    const auth = verifySigV4({
      method: 'GET',
      rawPath: '/test.txt',
      rawQuery: '',
      headers: {
        host: 'examplebucket.s3.amazonaws.com',
        range: 'bytes=0-9',
        'x-amz-content-sha256': EMPTY,
        'x-amz-date': '20130524T000000Z',
        authorization: `AWS4-HMAC-SHA256 ${cred},SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41`,
      },
    }, awsLookup, t0);
    assert.ok(auth);
    assert.equal(auth.accessKeyId, 'AKIAIOSFODNN7EXAMPLE');
    assert.equal(auth.region, 'us-east-1');
    assert.equal(auth.service, 's3');
    assert.equal(auth.scope, '20130524/us-east-1/s3/aws4_request');
    assert.equal(auth.amzDate, '20130524T000000Z');
    assert.equal(auth.presigned, false);
    assert.equal(auth.payload, 'SHA256');
    assert.equal(auth.payloadSha256, EMPTY);
  });

  for (const rawPath of ['/test%24file.text', '/test$file.text']) {
    test(`PUT Object single chunk (path ${rawPath})`, () => {
      const auth = verifySigV4({
        method: 'PUT',
        rawPath,
        rawQuery: '',
        headers: {
          date: 'Fri, 24 May 2013 00:00:00 GMT',
          host: 'examplebucket.s3.amazonaws.com',
          'x-amz-content-sha256': '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072',
          'x-amz-date': '20130524T000000Z',
          'x-amz-storage-class': 'REDUCED_REDUNDANCY',
          authorization: `AWS4-HMAC-SHA256 ${cred},SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd`,
        },
      }, awsLookup, t0);
      assert.equal(auth?.payloadSha256, sha256Hex('Welcome to Amazon S3.'));
    });
  }

  test('GET Bucket lifecycle (?lifecycle, valueless query param)', () => {
    const auth = verifySigV4({
      method: 'GET',
      rawPath: '/',
      rawQuery: 'lifecycle',
      headers: {
        host: 'examplebucket.s3.amazonaws.com',
        'x-amz-content-sha256': EMPTY,
        'x-amz-date': '20130524T000000Z',
        authorization: `AWS4-HMAC-SHA256 ${cred},SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543`,
      },
    }, awsLookup, t0);
    assert.ok(auth);
  });

  test('GET Bucket (list objects, unsorted query)', () => {
    const auth = verifySigV4({
      method: 'GET',
      rawPath: '/',
      rawQuery: 'prefix=J&max-keys=2',
      headers: {
        host: 'examplebucket.s3.amazonaws.com',
        'x-amz-content-sha256': EMPTY,
        'x-amz-date': '20130524T000000Z',
        authorization: `AWS4-HMAC-SHA256 ${cred},SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7`,
      },
    }, awsLookup, t0);
    assert.ok(auth);
  });

  test('seed signature of the chunked-upload example', () => {
    const auth = verifySigV4({
      method: 'PUT',
      rawPath: '/examplebucket/chunkObject.txt',
      rawQuery: '',
      headers: {
        host: 's3.amazonaws.com',
        'x-amz-date': '20130524T000000Z',
        'x-amz-storage-class': 'REDUCED_REDUNDANCY',
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': '66560',
        'content-length': '66824',
        authorization: `AWS4-HMAC-SHA256 ${cred},SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9`,
      },
    }, awsLookup, t0);
    assert.ok(auth);
    assert.equal(auth.payload, 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD');
    assert.equal(auth.signature, '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9');
    assert.equal(auth.payloadSha256, undefined);
  });

  test('presigned GET', () => {
    const query =
      'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
      '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
      '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
    const req: SigV4Request = { method: 'GET', rawPath: '/test.txt', rawQuery: query, headers: { host: 'examplebucket.s3.amazonaws.com' } };
    const auth = verifySigV4(req, awsLookup, t0 + 1000);
    assert.ok(auth);
    assert.equal(auth.presigned, true);
    assert.equal(auth.payload, 'UNSIGNED-PAYLOAD');
    expectS3Error(() => verifySigV4(req, awsLookup, t0 + 86401_000), 'AccessDenied', /expired/);
  });
});

describe('header auth signed by @smithy/signature-v4', () => {
  test('anonymous request returns undefined', () => {
    assert.equal(verifySigV4({ method: 'GET', rawPath: '/b/k', rawQuery: '', headers: { host: 'x' } }, lookup, NOW), undefined);
    assert.equal(verifySigV4({ method: 'GET', rawPath: '/b/k', rawQuery: 'versionId=1&x-id=GetObject', headers: { host: 'x', authorization: '' } }, lookup, NOW), undefined);
  });

  for (const key of KEYS) {
    test(`key ${JSON.stringify(key)}`, async () => {
      const req = await signHeader({ method: 'PUT', path: s3Path('my-bucket', key), headers: { 'x-amz-meta-a': 'b  c', 'content-type': 'text/plain' } });
      const auth = verifySigV4(req, lookup, NOW);
      assert.ok(auth);
      assert.equal(auth.accessKeyId, AKID);
      assert.equal(auth.payload, 'SHA256');
      assert.equal(auth.signingKey.toString('hex'), deriveSigningKey(SECRET, '20240115', 'us-east-1', 's3').toString('hex'));
      // The same key with the path as a client that encodes differently would send it (lower-case hex).
      const lower = { ...req, rawPath: req.rawPath.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()) };
      assert.ok(verifySigV4(lower, lookup, NOW));
    });
  }

  test('query parameters with special characters, repeated names and valueless params', async () => {
    const req = await signHeader({
      path: '/bucket',
      query: { 'list-type': '2', prefix: 'a b+c&d=é~*!/', delimiter: '/', 'start-after': '', 'x-id': 'ListObjectsV2', z: ['2', '1', '10'] },
    });
    assert.ok(verifySigV4(req, lookup, NOW));
    // Reordering the parameters on the wire doesn't matter.
    const reordered = { ...req, rawQuery: req.rawQuery.split('&').reverse().join('&') };
    assert.ok(verifySigV4(reordered, lookup, NOW));
  });

  test("a literal '+' in the raw query means '+' (not a space)", async () => {
    const req = await signHeader({ path: '/bucket', query: { prefix: 'a+b' } });
    assert.equal(req.rawQuery, 'prefix=a%2Bb');
    assert.ok(verifySigV4({ ...req, rawQuery: 'prefix=a+b' }, lookup, NOW));
    const spaced = await signHeader({ path: '/bucket', query: { prefix: 'a b' } });
    expectS3Error(() => verifySigV4({ ...spaced, rawQuery: 'prefix=a+b' }, lookup, NOW), 'SignatureDoesNotMatch');
  });

  test('raw-path fallback: client signed its path exactly as sent (unencoded sub-delims)', async () => {
    const req = await signHeader({ path: "/bucket/it's(a)*test!" });
    assert.ok(verifySigV4(req, lookup, NOW));
  });

  test('%2F inside a key segment', async () => {
    const req = await signHeader({ path: '/bucket/dir%2Ffile' });
    assert.ok(verifySigV4(req, lookup, NOW));
    // ...is not the same resource as /bucket/dir/file
    expectS3Error(() => verifySigV4({ ...req, rawPath: '/bucket/dir/file' }, lookup, NOW), 'SignatureDoesNotMatch');
  });

  test('session token is returned', async () => {
    const req = await signHeader({ path: '/b/k' }, NOW, 'SESSION/TOKEN+==');
    assert.equal(verifySigV4(req, lookup, NOW)?.sessionToken, 'SESSION/TOKEN+==');
  });

  test('payload modes', async () => {
    for (const mode of ['UNSIGNED-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'] as const) {
      const req = await signHeader({ method: 'PUT', path: '/b/k', headers: { 'x-amz-content-sha256': mode } });
      const auth = verifySigV4(req, lookup, NOW);
      assert.equal(auth?.payload, mode);
      assert.equal(auth?.payloadSha256, undefined);
    }
    const hash = sha256Hex('hello');
    const req = await signHeader({ method: 'PUT', path: '/b/k', headers: { 'x-amz-content-sha256': hash } });
    assert.deepEqual([verifySigV4(req, lookup, NOW)?.payload, verifySigV4(req, lookup, NOW)?.payloadSha256], ['SHA256', hash]);

    const bad = await signHeader({ method: 'PUT', path: '/b/k', headers: { 'x-amz-content-sha256': 'STREAMING-NONSENSE' } });
    expectS3Error(() => verifySigV4(bad, lookup, NOW), 'InvalidArgument', /x-amz-content-sha256/);

    const missing = await signHeader({ path: '/b/k' });
    delete missing.headers['x-amz-content-sha256'];
    expectS3Error(() => verifySigV4(missing, lookup, NOW), 'InvalidRequest', /x-amz-content-sha256/);
  });

  test('missing x-amz-content-sha256 is accepted when the caller supplies the body hash (non-S3 services)', async () => {
    const body = 'Action=ListUsers&Version=2010-05-08';
    const signed = await new SignatureV4({ service: 'iam', region: 'us-east-1', credentials: { accessKeyId: AKID, secretAccessKey: SECRET }, sha256: Sha256, applyChecksum: false })
      .sign({ method: 'POST', protocol: 'http:', hostname: 'localhost', path: '/', query: {}, headers: { host: 'localhost', 'content-type': 'application/x-www-form-urlencoded' }, body }, { signingDate: new Date(NOW) });
    const req = toWire(signed as WireLike);
    assert.equal(req.headers['x-amz-content-sha256'], undefined);
    const auth = verifySigV4({ ...req, payloadSha256: sha256Hex(body) }, lookup, NOW);
    assert.equal(auth?.service, 'iam');
    expectS3Error(() => verifySigV4({ ...req, payloadSha256: sha256Hex(body + 'x') }, lookup, NOW), 'SignatureDoesNotMatch');
  });

  test('tampering → SignatureDoesNotMatch', async () => {
    const req = await signHeader({ method: 'GET', path: '/bucket/key', query: { versionId: 'v1' }, headers: { range: 'bytes=0-9', 'x-amz-meta-x': '1' } });
    assert.ok(verifySigV4(req, lookup, NOW));
    const h = (over: IncomingHttpHeaders) => ({ ...req, headers: { ...req.headers, ...over } });
    const cases: [string, SigV4Request][] = [
      ['method', { ...req, method: 'DELETE' }],
      ['path', { ...req, rawPath: '/bucket/key2' }],
      ['query', { ...req, rawQuery: 'versionId=v2' }],
      ['extra query', { ...req, rawQuery: req.rawQuery + '&acl' }],
      ['signed header', h({ range: 'bytes=0-10' })],
      ['host', h({ host: 'evil:9000' })],
      ['x-amz-meta', h({ 'x-amz-meta-x': '2' })],
      ['x-amz-date', h({ 'x-amz-date': '20240115T120001Z' })],
      ['signature', h({ authorization: String(req.headers.authorization).replace(/Signature=(.)/, (_m, c: string) => `Signature=${c === '0' ? '1' : '0'}`) })],
      ['short signature', h({ authorization: String(req.headers.authorization).replace(/Signature=\w+/, 'Signature=abc') })],
    ];
    for (const [what, r] of cases) {
      const e = expectS3Error(() => verifySigV4(r, lookup, NOW), 'SignatureDoesNotMatch');
      assert.equal(e.status, 403, what);
    }
    const e = expectS3Error(() => verifySigV4(cases[0]![1], lookup, NOW), 'SignatureDoesNotMatch');
    assert.match(String(e.details.CanonicalRequest), /^DELETE\n\/bucket\/key\nversionId=v1\n/);

    const wrongSecret: SecretLookup = () => ({ secretAccessKey: 'not-the-secret' });
    expectS3Error(() => verifySigV4(req, wrongSecret, NOW), 'SignatureDoesNotMatch');
  });

  test('unsigned x-amz-* header → AccessDenied', async () => {
    const req = await signHeader({ method: 'PUT', path: '/bucket/key' });
    const e = expectS3Error(() => verifySigV4({ ...req, headers: { ...req.headers, 'x-amz-acl': 'public-read' } }, lookup, NOW), 'AccessDenied', /not signed/);
    assert.equal(e.details.HeadersNotSigned, 'x-amz-acl');
  });

  test('header values: surrounding and repeated spaces are canonicalised', async () => {
    const req = await signHeader({ path: '/bucket/key', headers: { 'x-amz-meta-s': 'a   b\tc' } });
    assert.ok(verifySigV4({ ...req, headers: { ...req.headers, 'x-amz-meta-s': 'a b c' } }, lookup, NOW));
  });

  test('clock skew', async () => {
    const req = await signHeader({ path: '/b/k' });
    assert.ok(verifySigV4(req, lookup, NOW + 14 * 60_000));
    assert.ok(verifySigV4(req, lookup, NOW - 14 * 60_000));
    const e = expectS3Error(() => verifySigV4(req, lookup, NOW + 16 * 60_000), 'RequestTimeTooSkewed');
    assert.equal(e.status, 403);
    expectS3Error(() => verifySigV4(req, lookup, NOW - 16 * 60_000), 'RequestTimeTooSkewed');
  });

  test('unknown access key → InvalidAccessKeyId', async () => {
    const req = await signHeader({ path: '/b/k' });
    expectS3Error(() => verifySigV4(req, () => undefined, NOW), 'InvalidAccessKeyId');
  });

  test('Authorization header variants SDKs send are tolerated', async () => {
    const req = await signHeader({ path: '/b/k' });
    const m = /^AWS4-HMAC-SHA256 Credential=(\S+), SignedHeaders=(\S+), Signature=(\w+)$/.exec(String(req.headers.authorization));
    assert.ok(m, String(req.headers.authorization));
    const [, c, s, sig] = m;
    for (const authz of [
      `AWS4-HMAC-SHA256 Credential=${c},SignedHeaders=${s},Signature=${sig}`,
      `AWS4-HMAC-SHA256  Credential=${c} ,  SignedHeaders=${s} , Signature=${sig} `,
      `AWS4-HMAC-SHA256 Credential=${c} SignedHeaders=${s} Signature=${sig}`,
      `AWS4-HMAC-SHA256 Signature=${sig.toUpperCase()}, Credential=${c}, SignedHeaders=${s}`,
    ]) {
      assert.ok(verifySigV4({ ...req, headers: { ...req.headers, authorization: authz } }, lookup, NOW), authz);
    }
  });

  test('malformed / unsupported Authorization headers', async () => {
    const req = await signHeader({ path: '/b/k' });
    const a = String(req.headers.authorization);
    const withAuth = (authorization: string) => ({ ...req, headers: { ...req.headers, authorization } });
    expectS3Error(() => verifySigV4(withAuth('AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg='), lookup, NOW), 'AccessDenied', /SigV4/);
    expectS3Error(() => verifySigV4(withAuth(a.replace('AWS4-HMAC-SHA256', 'AWS4-ECDSA-P256-SHA256')), lookup, NOW), 'AccessDenied', /SigV4/);
    expectS3Error(() => verifySigV4(withAuth('Bearer abc'), lookup, NOW), 'InvalidArgument');
    expectS3Error(() => verifySigV4(withAuth('AWS4-HMAC-SHA256'), lookup, NOW), 'AuthorizationHeaderMalformed');
    expectS3Error(() => verifySigV4(withAuth(a.replace(/, SignedHeaders=\S+/, '')), lookup, NOW), 'AuthorizationHeaderMalformed');
    expectS3Error(() => verifySigV4(withAuth(a.replace('/20240115/', '/2024-01-15/')), lookup, NOW), 'AuthorizationHeaderMalformed');
    expectS3Error(() => verifySigV4(withAuth(a.replace('/aws4_request', '/aws5_request')), lookup, NOW), 'AuthorizationHeaderMalformed');
    expectS3Error(() => verifySigV4(withAuth(a.replace('/us-east-1/s3/', '/s3/')), lookup, NOW), 'AuthorizationHeaderMalformed');
    expectS3Error(() => verifySigV4(withAuth(a + ', Foo=bar'), lookup, NOW), 'AuthorizationHeaderMalformed');
    // Credential date differs from x-amz-date
    expectS3Error(() => verifySigV4(withAuth(a.replace('/20240115/', '/20240114/')), lookup, NOW), 'AuthorizationHeaderMalformed', /date/);
    // host not signed
    expectS3Error(() => verifySigV4(withAuth(a.replace('SignedHeaders=host;', 'SignedHeaders=')), lookup, NOW), 'AccessDenied');
    // bad x-amz-date
    expectS3Error(() => verifySigV4({ ...req, headers: { ...req.headers, 'x-amz-date': '2024-01-15T12:00:00Z' } }, lookup, NOW), 'AccessDenied', /Date/);
    // both header and query auth
    expectS3Error(() => verifySigV4({ ...req, rawQuery: 'X-Amz-Algorithm=AWS4-HMAC-SHA256' }, lookup, NOW), 'InvalidArgument', /one auth/);
  });

  test('Date header instead of x-amz-date', () => {
    // Independent computation of a request signed with the HTTP Date header only.
    const httpDate = new Date(NOW).toUTCString();
    const amzDate = '20240115T120000Z';
    const canonical = ['GET', '/b/k', '', `date:${httpDate}`, 'host:localhost', `x-amz-content-sha256:${EMPTY}`, '', 'date;host;x-amz-content-sha256', EMPTY].join('\n');
    const sts = ['AWS4-HMAC-SHA256', amzDate, '20240115/us-east-1/s3/aws4_request', sha256Hex(canonical)].join('\n');
    const sig = hmac(deriveSigningKey(SECRET, '20240115', 'us-east-1', 's3'), sts).toString('hex');
    const req: SigV4Request = {
      method: 'GET', rawPath: '/b/k', rawQuery: '',
      headers: {
        date: httpDate, host: 'localhost', 'x-amz-content-sha256': EMPTY,
        authorization: `AWS4-HMAC-SHA256 Credential=${AKID}/20240115/us-east-1/s3/aws4_request, SignedHeaders=date;host;x-amz-content-sha256, Signature=${sig}`,
      },
    };
    const auth = verifySigV4(req, lookup, NOW + 60_000);
    assert.equal(auth?.amzDate, amzDate);
    expectS3Error(() => verifySigV4(req, lookup, NOW + 20 * 60_000), 'RequestTimeTooSkewed');
    expectS3Error(() => verifySigV4({ ...req, headers: { ...req.headers, date: 'garbage' } }, lookup, NOW), 'AccessDenied', /Date/);
  });
});

describe('presigned URLs signed by @smithy/signature-v4', () => {
  for (const key of KEYS) {
    test(`presigned GET ${JSON.stringify(key)}`, async () => {
      const req = await presign({ path: s3Path('bucket', key), query: { 'response-content-disposition': 'attachment; filename="a b+c.txt"', 'x-id': 'GetObject' } });
      const auth = verifySigV4(req, lookup, NOW + 1000);
      assert.ok(auth);
      assert.equal(auth.presigned, true);
      assert.equal(auth.payload, 'UNSIGNED-PAYLOAD');
      assert.equal(auth.amzDate, '20240115T120000Z');
    });
  }

  test('presigned PUT with hoisted x-amz-* headers and a session token', async () => {
    const req = await presign({ method: 'PUT', path: '/bucket/up load', headers: { 'x-amz-acl': 'private', 'x-amz-meta-tag': 'v' } }, 600, NOW, 'tok/en+');
    assert.match(req.rawQuery, /x-amz-acl=private/);
    const auth = verifySigV4(req, lookup, NOW);
    assert.equal(auth?.sessionToken, 'tok/en+');
    // A header the signer did not sign (e.g. x-amz-copy-source smuggled into a presigned PUT) is refused.
    expectS3Error(() => verifySigV4({ ...req, headers: { ...req.headers, 'x-amz-copy-source': '/other/secret' } }, lookup, NOW), 'AccessDenied');
  });

  test('presigned URL without a payload hash in the query signs UNSIGNED-PAYLOAD', async () => {
    const req = baseRequest({ path: '/bucket/key' });
    delete req.headers['x-amz-content-sha256'];
    // Give the smithy signer UNSIGNED-PAYLOAD without hoisting it (unhoistable), as other SDKs do.
    req.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
    const signed = await signer().presign(req, { signingDate: new Date(NOW), unhoistableHeaders: new Set(['x-amz-content-sha256']), unsignableHeaders: new Set(['x-amz-content-sha256']) });
    const wire = toWire(signed as WireLike);
    delete wire.headers['x-amz-content-sha256'];
    assert.doesNotMatch(wire.rawQuery, /content-sha256/i);
    assert.equal(verifySigV4(wire, lookup, NOW)?.payload, 'UNSIGNED-PAYLOAD');
  });

  test('expiry, not-yet-valid and X-Amz-Expires bounds', async () => {
    const req = await presign({ path: '/bucket/key' }, 3600);
    assert.ok(verifySigV4(req, lookup, NOW + 3600_000));
    const e = expectS3Error(() => verifySigV4(req, lookup, NOW + 3601_000), 'AccessDenied', /^Request has expired$/);
    assert.equal(e.details['X-Amz-Expires'], 3600);
    assert.ok(verifySigV4(req, lookup, NOW - 10 * 60_000));
    expectS3Error(() => verifySigV4(req, lookup, NOW - 20 * 60_000), 'AccessDenied', /not valid yet/);

    const weekly = await presign({ path: '/bucket/key' }, 604800);
    assert.ok(verifySigV4(weekly, lookup, NOW + 604800_000));
    const setExpires = (v: string) => ({ ...req, rawQuery: req.rawQuery.replace(/X-Amz-Expires=\d+/, `X-Amz-Expires=${v}`) });
    expectS3Error(() => verifySigV4(setExpires('604801'), lookup, NOW), 'AuthorizationQueryParametersError');
    expectS3Error(() => verifySigV4(setExpires('0'), lookup, NOW), 'AuthorizationQueryParametersError');
    expectS3Error(() => verifySigV4(setExpires('abc'), lookup, NOW), 'AuthorizationQueryParametersError');
    expectS3Error(() => verifySigV4(setExpires('7200'), lookup, NOW), 'SignatureDoesNotMatch');
  });

  test('tampering and malformed presigned URLs', async () => {
    const req = await presign({ path: '/bucket/key', query: { versionId: 'abc' } });
    assert.ok(verifySigV4(req, lookup, NOW));
    expectS3Error(() => verifySigV4({ ...req, method: 'PUT' }, lookup, NOW), 'SignatureDoesNotMatch');
    expectS3Error(() => verifySigV4({ ...req, rawPath: '/bucket/other' }, lookup, NOW), 'SignatureDoesNotMatch');
    expectS3Error(() => verifySigV4({ ...req, rawQuery: req.rawQuery.replace('versionId=abc', 'versionId=abd') }, lookup, NOW), 'SignatureDoesNotMatch');
    expectS3Error(() => verifySigV4({ ...req, rawQuery: req.rawQuery + '&acl=' }, lookup, NOW), 'SignatureDoesNotMatch');
    expectS3Error(() => verifySigV4({ ...req, headers: { ...req.headers, host: 'other:9000' } }, lookup, NOW), 'SignatureDoesNotMatch');
    expectS3Error(() => verifySigV4({ ...req, rawQuery: req.rawQuery.replace(/X-Amz-Signature=\w/, 'X-Amz-Signature=f') + (/X-Amz-Signature=f/.test(req.rawQuery) ? 'x' : '') }, lookup, NOW), 'SignatureDoesNotMatch');
    expectS3Error(() => verifySigV4(req, () => undefined, NOW), 'InvalidAccessKeyId');
    expectS3Error(() => verifySigV4({ ...req, rawQuery: req.rawQuery.replace(/&?X-Amz-Date=[^&]+/, '') }, lookup, NOW), 'AuthorizationQueryParametersError');
    expectS3Error(() => verifySigV4({ ...req, rawQuery: req.rawQuery.replace(/X-Amz-Date=\d{8}/, 'X-Amz-Date=20240116') }, lookup, NOW), 'AuthorizationQueryParametersError', /date/);
    expectS3Error(() => verifySigV4({ ...req, rawQuery: req.rawQuery.replace(/X-Amz-Credential=[^&]+/, 'X-Amz-Credential=foo') }, lookup, NOW), 'AuthorizationQueryParametersError');
    expectS3Error(() => verifySigV4({ ...req, rawQuery: req.rawQuery.replace('X-Amz-SignedHeaders=host', 'X-Amz-SignedHeaders=range') }, lookup, NOW), 'AccessDenied');
    expectS3Error(() => verifySigV4({ ...req, rawQuery: req.rawQuery.replace('AWS4-HMAC-SHA256', 'AWS4-ECDSA-P256-SHA256') }, lookup, NOW), 'AccessDenied', /SigV4/);
    expectS3Error(() => verifySigV4({ method: 'GET', rawPath: '/b/k', rawQuery: 'AWSAccessKeyId=AKID&Expires=1700000000&Signature=abc', headers: { host: 'h' } }, lookup, NOW), 'AccessDenied', /SigV4/);
  });
});

// ---------------------------------------------------------------------------------------------
// Requests exactly as @aws-sdk/client-s3 sends them, captured by a local HTTP server.
// ---------------------------------------------------------------------------------------------

interface Captured { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer }

describe('requests sent by @aws-sdk/client-s3', () => {
  let server: Server;
  let client: S3Client;
  const captured: Captured[] = [];

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = req.url ?? '/';
        captured.push({ method: req.method ?? '', url, headers: req.headers, body: Buffer.concat(chunks) });
        if (req.method === 'GET' && url.includes('list-type=2')) {
          res.writeHead(200, { 'content-type': 'application/xml' });
          res.end('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>');
          return;
        }
        res.writeHead(req.method === 'DELETE' ? 204 : 200, { etag: '"d41d8cd98f00b204e9800998ecf8427e"', 'content-length': '0' });
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = new S3Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: AKID, secretAccessKey: SECRET },
      maxAttempts: 1,
    });
  });

  after(async () => {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function verifyCaptured(c: Captured) {
    const q = c.url.indexOf('?');
    const req: SigV4Request = {
      method: c.method,
      rawPath: q === -1 ? c.url : c.url.slice(0, q),
      rawQuery: q === -1 ? '' : c.url.slice(q + 1),
      headers: c.headers,
    };
    return verifySigV4(req, lookup, Date.now());
  }

  test('PutObject / GetObject / HeadObject / DeleteObject / ListObjectsV2 with awkward keys', async () => {
    for (const key of KEYS) {
      captured.length = 0;
      const body = `body of ${key}`;
      await client.send(new PutObjectCommand({ Bucket: 'bucket', Key: key, Body: body, Metadata: { m: 'x y' }, ContentType: 'text/plain' }));
      await client.send(new GetObjectCommand({ Bucket: 'bucket', Key: key, Range: 'bytes=0-1', VersionId: 'v+1 /x' }));
      await client.send(new HeadObjectCommand({ Bucket: 'bucket', Key: key }));
      await client.send(new DeleteObjectCommand({ Bucket: 'bucket', Key: key }));
      await client.send(new ListObjectsV2Command({ Bucket: 'bucket', Prefix: key, Delimiter: '/', StartAfter: 'a+b c' }));
      assert.equal(captured.length, 5);
      for (const c of captured) {
        const auth = verifyCaptured(c);
        assert.ok(auth, `${c.method} ${c.url}`);
        if (c.method === 'PUT') {
          assert.equal(auth.payload, 'SHA256');
          assert.equal(auth.payloadSha256, sha256Hex(c.body));
        }
      }
    }
  });
});
