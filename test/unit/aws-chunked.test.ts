import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AwsCrc32 } from '@aws-crypto/crc32';
import { AwsCrc32c } from '@aws-crypto/crc32c';
import { S3Client, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { createChunkedDecoder, type ChunkSigning } from '../../src/http/aws-chunked.js';
import { verifySigV4, deriveSigningKey, hmac, sha256Hex, type SigV4Request } from '../../src/http/sigv4.js';
import { S3Error, type ErrorCode } from '../../src/errors.js';

const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Split = 'whole' | 'bytewise' | { random: number; max: number };

function split(body: Buffer, how: Split): Buffer[] {
  if (how === 'whole') return [body];
  if (how === 'bytewise') {
    const out: Buffer[] = [];
    for (let i = 0; i < body.length; i++) out.push(body.subarray(i, i + 1));
    return out;
  }
  const r = rng(how.random);
  const out: Buffer[] = [];
  for (let i = 0; i < body.length;) {
    const n = 1 + Math.floor(r() * how.max);
    out.push(body.subarray(i, i + n));
    i += n;
  }
  return out;
}

interface Decoded { data: Buffer; trailers: Record<string, string>; pieces: number }

async function decode(body: Buffer, opts: Parameters<typeof createChunkedDecoder>[0], how: Split = 'whole'): Promise<Decoded> {
  const decoder = createChunkedDecoder(opts);
  const out: Buffer[] = [];
  await pipeline(Readable.from(split(body, how)), decoder, async (source: AsyncIterable<Buffer>) => {
    for await (const c of source) out.push(c);
  });
  return { data: Buffer.concat(out), trailers: decoder.trailers, pieces: out.length };
}

async function expectReject(p: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof S3Error, `expected S3Error ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

interface Signer { signingKey: Buffer; amzDate: string; scope: string; seedSignature: string }

/** Independent encoder following the AWS docs (validated below against AWS's worked examples). */
function encodeSigned(data: Buffer, chunkSizes: number | number[], s: Signer, trailers?: [string, string][]): Buffer {
  const parts: Buffer[] = [];
  let prev = s.seedSignature;
  const sign = (d: Buffer) => {
    const sts = `AWS4-HMAC-SHA256-PAYLOAD\n${s.amzDate}\n${s.scope}\n${prev}\n${EMPTY}\n${sha256Hex(d)}`;
    prev = hmac(s.signingKey, sts).toString('hex');
    return prev;
  };
  let off = 0;
  let i = 0;
  while (off < data.length) {
    const size = typeof chunkSizes === 'number' ? chunkSizes : chunkSizes[i++ % chunkSizes.length]!;
    const d = data.subarray(off, off + size);
    off += d.length;
    parts.push(Buffer.from(`${d.length.toString(16)};chunk-signature=${sign(d)}\r\n`), d, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`0;chunk-signature=${sign(Buffer.alloc(0))}\r\n`));
  if (trailers) {
    const canonical = trailers.map(([n, v]) => `${n}:${v}\n`).join('');
    const sts = `AWS4-HMAC-SHA256-TRAILER\n${s.amzDate}\n${s.scope}\n${prev}\n${sha256Hex(canonical)}`;
    for (const [n, v] of trailers) parts.push(Buffer.from(`${n}:${v}\r\n`));
    parts.push(Buffer.from(`x-amz-trailer-signature:${hmac(s.signingKey, sts).toString('hex')}\r\n`));
  }
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

/** The unsigned-trailer framing @smithy's getAwsChunkedEncodingStream produces. */
function encodeUnsigned(data: Buffer, chunkSizes: number | number[], trailers: [string, string][] = []): Buffer {
  const parts: Buffer[] = [];
  let off = 0;
  let i = 0;
  while (off < data.length) {
    const size = typeof chunkSizes === 'number' ? chunkSizes : chunkSizes[i++ % chunkSizes.length]!;
    const d = data.subarray(off, off + size);
    off += d.length;
    parts.push(Buffer.from(`${d.length.toString(16)}\r\n`), d, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n'));
  for (const [n, v] of trailers) parts.push(Buffer.from(`${n}:${v}\r\n`));
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

async function crc32b64(data: Buffer): Promise<string> {
  const c = new AwsCrc32();
  c.update(data);
  return Buffer.from(await c.digest()).toString('base64');
}

const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const AWS_KEY = deriveSigningKey(AWS_SECRET, '20130524', 'us-east-1', 's3');
const AWS_SCOPE = '20130524/us-east-1/s3/aws4_request';
const AWS_DATE = '20130524T000000Z';

const TEST_SIGNER: Signer = {
  signingKey: deriveSigningKey('secret+/key', '20240115', 'eu-west-1', 's3'),
  amzDate: '20240115T120000Z',
  scope: '20240115/eu-west-1/s3/aws4_request',
  seedSignature: 'a'.repeat(64),
};

// ---------------------------------------------------------------------------------------------
// AWS worked examples
// ---------------------------------------------------------------------------------------------

describe('AWS documented chunked-upload examples', () => {
  const data = Buffer.alloc(66560, 'a');

  test('STREAMING-AWS4-HMAC-SHA256-PAYLOAD (64 KiB + 1 KiB)', async () => {
    const body = Buffer.concat([
      Buffer.from('10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n'),
      data.subarray(0, 65536),
      Buffer.from('\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n'),
      data.subarray(65536),
      Buffer.from('\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n'),
    ]);
    assert.equal(body.length, 66824); // Content-Length in the AWS example
    const signing: ChunkSigning = {
      signingKey: AWS_KEY,
      amzDate: AWS_DATE,
      scope: AWS_SCOPE,
      seedSignature: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
    };
    // The independent test encoder reproduces the documented body byte for byte.
    assert.ok(encodeSigned(data, 65536, signing).equals(body));

    for (const how of ['whole', 'bytewise', { random: 1, max: 7 }, { random: 2, max: 70000 }] as Split[]) {
      const out = await decode(body, { signing, trailer: false, decodedLength: 66560 }, how);
      assert.ok(out.data.equals(data), JSON.stringify(how));
      assert.deepEqual(out.trailers, {});
    }

    // Bad seed / tampered data / tampered signature.
    await expectReject(decode(body, { signing: { ...signing, seedSignature: 'b'.repeat(64) }, trailer: false }), 'SignatureDoesNotMatch');
    const tampered = Buffer.from(body);
    tampered[1000] = 'b'.charCodeAt(0);
    await expectReject(decode(tampered, { signing, trailer: false }), 'SignatureDoesNotMatch');
    const badFinal = Buffer.from(body.toString('latin1').replace('0;chunk-signature=b6c6', '0;chunk-signature=b6c7'), 'latin1');
    await expectReject(decode(badFinal, { signing, trailer: false }), 'SignatureDoesNotMatch');
  });

  test('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER (x-amz-checksum-crc32c trailer)', async () => {
    const body = Buffer.concat([
      Buffer.from('10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n'),
      data.subarray(0, 65536),
      Buffer.from('\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n'),
      data.subarray(65536),
      Buffer.from('\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n'),
      Buffer.from('x-amz-checksum-crc32c:sOO8/Q==\r\n'),
      Buffer.from('x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n'),
      Buffer.from('\r\n'),
    ]);
    const signing: ChunkSigning = {
      signingKey: AWS_KEY,
      amzDate: AWS_DATE,
      scope: AWS_SCOPE,
      seedSignature: '106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e',
    };
    assert.ok(encodeSigned(data, 65536, signing, [['x-amz-checksum-crc32c', 'sOO8/Q==']]).equals(body));
    for (const how of ['whole', 'bytewise', { random: 3, max: 100 }] as Split[]) {
      const out = await decode(body, { signing, trailer: true, decodedLength: 66560 }, how);
      assert.ok(out.data.equals(data));
      assert.deepEqual(out.trailers, { 'x-amz-checksum-crc32c': 'sOO8/Q==' });
    }
    const crc = new AwsCrc32c();
    crc.update(data);
    assert.equal(Buffer.from(await crc.digest()).toString('base64'), 'sOO8/Q==');

    // A changed trailer value breaks the trailer signature; a missing trailer signature is refused.
    const badTrailer = Buffer.from(body.toString('latin1').replace('sOO8/Q==', 'AAAAAA=='), 'latin1');
    await expectReject(decode(badTrailer, { signing, trailer: true }), 'SignatureDoesNotMatch', /trailer/);
    const noSig = Buffer.from(body.toString('latin1').replace(/x-amz-trailer-signature:\w+\r\n/, ''), 'latin1');
    await expectReject(decode(noSig, { signing, trailer: true }), 'SignatureDoesNotMatch');
  });

  test('end to end: seed signature from verifySigV4 feeds the decoder', async () => {
    const auth = verifySigV4({
      method: 'PUT',
      rawPath: '/examplebucket/chunkObject.txt',
      rawQuery: '',
      headers: {
        host: 's3.amazonaws.com',
        'x-amz-date': AWS_DATE,
        'x-amz-storage-class': 'REDUCED_REDUNDANCY',
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': '66560',
        'content-length': '66824',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
      },
    }, (id) => (id === 'AKIAIOSFODNN7EXAMPLE' ? { secretAccessKey: AWS_SECRET } : undefined), Date.UTC(2013, 4, 24));
    assert.ok(auth);
    const signing: ChunkSigning = { signingKey: auth.signingKey, amzDate: auth.amzDate, scope: auth.scope, seedSignature: auth.signature };
    const body = encodeSigned(data, 65536, signing);
    const out = await decode(body, { signing, trailer: false, decodedLength: 66560 }, { random: 9, max: 5000 });
    assert.ok(out.data.equals(data));
  });
});

// ---------------------------------------------------------------------------------------------
// Generated signed bodies
// ---------------------------------------------------------------------------------------------

describe('signed chunks (generated)', () => {
  test('random data, chunk sizes and input splits', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const r = rng(seed);
      const data = randomBytes(Math.floor(r() * 200_000));
      const sizes = [1 + Math.floor(r() * 70_000), 8192, 1 + Math.floor(r() * 100)];
      const withTrailer = seed % 2 === 0;
      const trailers: [string, string][] = [['x-amz-checksum-crc32', await crc32b64(data)]];
      const body = encodeSigned(data, sizes, TEST_SIGNER, withTrailer ? trailers : undefined);
      const out = await decode(body, { signing: TEST_SIGNER, trailer: withTrailer, decodedLength: data.length }, { random: seed, max: 1 + Math.floor(r() * 20_000) });
      assert.ok(out.data.equals(data), `seed ${seed}`);
      assert.deepEqual(out.trailers, withTrailer ? { 'x-amz-checksum-crc32': trailers[0]![1] } : {});
    }
  });

  test('empty body', async () => {
    const body = encodeSigned(Buffer.alloc(0), 100, TEST_SIGNER);
    assert.equal((await decode(body, { signing: TEST_SIGNER, trailer: false, decodedLength: 0 }, 'bytewise')).data.length, 0);
  });

  test('multiple trailers', async () => {
    const data = randomBytes(1000);
    const trailers: [string, string][] = [['x-amz-checksum-crc32', await crc32b64(data)], ['x-amz-meta-extra', 'v']];
    const body = encodeSigned(data, 300, TEST_SIGNER, trailers);
    const out = await decode(body, { signing: TEST_SIGNER, trailer: true, decodedLength: 1000 }, 'bytewise');
    assert.deepEqual(out.trailers, { 'x-amz-checksum-crc32': trailers[0]![1], 'x-amz-meta-extra': 'v' });
  });

  test('tampering: reordered chunks, flipped bit, dropped chunk', async () => {
    const data = randomBytes(30_000);
    const body = encodeSigned(data, 10_000, TEST_SIGNER);
    const flipped = Buffer.from(body);
    flipped[body.length - 200] = flipped[body.length - 200]! ^ 1;
    await expectReject(decode(flipped, { signing: TEST_SIGNER, trailer: false }), 'SignatureDoesNotMatch');
    // Remove the second chunk entirely: the chain of signatures breaks.
    const s = body.toString('latin1');
    const first = s.indexOf('2710;chunk-signature=');
    const second = s.indexOf('2710;chunk-signature=', first + 1);
    const third = s.indexOf('2710;chunk-signature=', second + 1);
    const dropped = Buffer.from(s.slice(0, second) + s.slice(third), 'latin1');
    await expectReject(decode(dropped, { signing: TEST_SIGNER, trailer: false }), 'SignatureDoesNotMatch');
    // Unsigned framing where signatures are required.
    await expectReject(decode(encodeUnsigned(data, 10_000), { signing: TEST_SIGNER, trailer: false }), 'InvalidArgument', /chunk-signature/);
    // A malformed signature.
    await expectReject(decode(Buffer.from('5;chunk-signature=xyz\r\nhello\r\n'), { signing: TEST_SIGNER, trailer: false }), 'SignatureDoesNotMatch');
  });

  test('trailers sent to a non-trailer decoder are rejected', async () => {
    const data = randomBytes(100);
    const body = encodeSigned(data, 100, TEST_SIGNER, [['x-amz-checksum-crc32', await crc32b64(data)]]);
    await expectReject(decode(body, { signing: TEST_SIGNER, trailer: false }), 'InvalidArgument');
  });
});

// ---------------------------------------------------------------------------------------------
// Unsigned trailer framing and malformed input
// ---------------------------------------------------------------------------------------------

describe('unsigned chunks and framing errors', () => {
  test('STREAMING-UNSIGNED-PAYLOAD-TRAILER, random splits', async () => {
    for (let seed = 1; seed <= 8; seed++) {
      const r = rng(seed * 31);
      const data = randomBytes(Math.floor(r() * 300_000));
      const crc = await crc32b64(data);
      const body = encodeUnsigned(data, [1 + Math.floor(r() * 100_000), 10, 65536], [['x-amz-checksum-crc32', crc]]);
      const out = await decode(body, { trailer: true, decodedLength: data.length }, seed === 1 ? 'bytewise' : { random: seed, max: 1 + Math.floor(r() * 9000) });
      assert.ok(out.data.equals(data));
      assert.deepEqual(out.trailers, { 'x-amz-checksum-crc32': crc });
    }
  });

  test('trailer names are lower-cased, values trimmed; chunk extensions are ignored when unsigned', async () => {
    const body = Buffer.from('3;foo=bar\r\nabc\r\n0\r\nX-Amz-Checksum-CRC32 :  NSRBwg== \r\n\r\n');
    const out = await decode(body, { trailer: true, decodedLength: 3 }, 'bytewise');
    assert.equal(out.data.toString(), 'abc');
    assert.deepEqual(out.trailers, { 'x-amz-checksum-crc32': 'NSRBwg==' });
  });

  test("tolerated endings: '0\\r\\n' then EOF (SDK without checksum), missing final CRLF", async () => {
    assert.equal((await decode(Buffer.from('3\r\nabc\r\n0\r\n'), { trailer: true, decodedLength: 3 })).data.toString(), 'abc');
    assert.equal((await decode(Buffer.from('3\r\nabc\r\n0\r\n\r\n'), { trailer: true })).data.toString(), 'abc');
    assert.equal((await decode(Buffer.from('3\r\nabc\r\n0\r\n'), { trailer: false })).data.toString(), 'abc');
    assert.equal((await decode(Buffer.from('3\r\nabc\r\n0\r\n\r\n'), { trailer: false })).data.toString(), 'abc');
  });

  test('decodedLength mismatch → IncompleteBody', async () => {
    const body = encodeUnsigned(Buffer.from('hello world'), 4);
    await expectReject(decode(body, { trailer: true, decodedLength: 12 }), 'IncompleteBody');
    await expectReject(decode(body, { trailer: true, decodedLength: 10 }), 'IncompleteBody');
    await expectReject(decode(encodeSigned(Buffer.from('hello world'), 4, TEST_SIGNER), { signing: TEST_SIGNER, trailer: false, decodedLength: 5 }), 'IncompleteBody');
  });

  test('truncated bodies → IncompleteBody', async () => {
    const data = randomBytes(5000);
    const body = encodeUnsigned(data, 1000, [['x-amz-checksum-crc32', await crc32b64(data)]]);
    for (const cut of [0, 1, 3, 500, 1006, body.length - 30, body.length - 2, body.length - 1]) {
      await expectReject(decode(body.subarray(0, cut), { trailer: true }, 'bytewise'), 'IncompleteBody', undefined);
    }
    const signed = encodeSigned(data, 1000, TEST_SIGNER, [['x-amz-checksum-crc32', await crc32b64(data)]]);
    for (const cut of [10, 2000, signed.length - 90, signed.length - 2]) {
      await expectReject(decode(signed.subarray(0, cut), { signing: TEST_SIGNER, trailer: true }), 'IncompleteBody');
    }
  });

  test('malformed framing → InvalidArgument', async () => {
    const bad = async (s: string, trailer = true) => expectReject(decode(Buffer.from(s, 'latin1'), { trailer }, { random: 5, max: 4 }), 'InvalidArgument');
    await bad('zz\r\nabc\r\n0\r\n\r\n'); // not hex
    await bad('\r\nabc\r\n0\r\n\r\n'); // empty size
    await bad('-3\r\nabc\r\n0\r\n\r\n'); // sign
    await bad('3\nabc\r\n0\r\n\r\n'); // bare LF
    await bad('3\r\nabcd\r\n0\r\n\r\n'); // data longer than declared
    await bad('3\r\nabc0\r\n\r\n'); // missing CRLF after data
    await bad('3\r\nabc\r\n0\r\n\r\nextra'); // data after the end
    await bad('3\r\nabc\r\n0\r\nno-colon-here\r\n\r\n'); // bad trailer line
    await bad('3\r\nabc\r\n0\r\nfoo\r\n', false); // trailer where none expected
    await bad('3\r\nabc\r\n0\r\n\r\n\r\n'); // extra CRLF
    await bad('f'.repeat(100) + '\r\n'); // absurd size
    await bad('1;' + 'x'.repeat(10_000) + '\r\n'); // overlong line
  });

  test('streams: output is produced before the input ends, as zero-copy slices', async () => {
    const decoder = createChunkedDecoder({ trailer: true });
    const seen: Buffer[] = [];
    decoder.on('data', (c: Buffer) => seen.push(c));
    const big = randomBytes(1 << 20);
    const input = Buffer.concat([Buffer.from(`${big.length.toString(16)}\r\n`), big]);
    decoder.write(input);
    await new Promise((r) => setImmediate(r));
    assert.equal(Buffer.concat(seen).length, big.length);
    assert.equal(seen[0]!.buffer, input.buffer); // a slice of the input, not a copy
    decoder.end(Buffer.from('\r\n0\r\n\r\n'));
    await new Promise((r) => decoder.on('end', r));
  });

  test('throughput: 256 MiB in 1 MiB chunks fed as 64 KiB socket reads', async () => {
    const chunk = randomBytes(1 << 20);
    const header = Buffer.from(`${chunk.length.toString(16)}\r\n`);
    const frame = Buffer.concat([header, chunk, Buffer.from('\r\n')]);
    const reads: Buffer[] = [];
    for (let i = 0; i < frame.length; i += 65536) reads.push(frame.subarray(i, i + 65536));
    const n = 256;
    const decoder = createChunkedDecoder({ trailer: true, decodedLength: n * chunk.length });
    let total = 0;
    const t0 = process.hrtime.bigint();
    await pipeline(
      Readable.from((function* () {
        for (let i = 0; i < n; i++) yield* reads;
        yield Buffer.from('0\r\n\r\n');
      })()),
      decoder,
      async (source: AsyncIterable<Buffer>) => {
        for await (const c of source) total += c.length;
      },
    );
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.equal(total, n * chunk.length);
    // Loose bound so slow CI doesn't flake; typically several GB/s.
    assert.ok(ms < 10_000, `${ms} ms`);
  });
});

// ---------------------------------------------------------------------------------------------
// What @aws-sdk/client-s3 actually sends for a streamed PutObject / UploadPart
// ---------------------------------------------------------------------------------------------

interface Captured { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer }

describe('bodies sent by @aws-sdk/client-s3', () => {
  let server: Server;
  let client: S3Client;
  const captured: Captured[] = [];

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        captured.push({ method: req.method ?? '', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(200, { etag: '"0123456789abcdef0123456789abcdef"', 'content-length': '0' });
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = new S3Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDSDK', secretAccessKey: 'sdk/secret+key' },
      maxAttempts: 1,
    });
  });

  after(async () => {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function verify(c: Captured) {
    const q = c.url.indexOf('?');
    const req: SigV4Request = {
      method: c.method,
      rawPath: q === -1 ? c.url : c.url.slice(0, q),
      rawQuery: q === -1 ? '' : c.url.slice(q + 1),
      headers: c.headers,
    };
    return verifySigV4(req, (id) => (id === 'AKIDSDK' ? { secretAccessKey: 'sdk/secret+key' } : undefined), Date.now());
  }

  for (const [name, size, pieces] of [
    ['empty', 0, 1],
    ['small', 10, 1],
    ['multi-piece', 300_000, 7],
    ['many small pieces', 50_000, 500],
  ] as const) {
    test(`streamed PutObject/UploadPart: ${name}`, async () => {
      const data = randomBytes(size);
      const parts: Buffer[] = [];
      const step = Math.max(1, Math.ceil(size / pieces));
      for (let i = 0; i < size; i += step) parts.push(data.subarray(i, i + step));
      captured.length = 0;
      await client.send(new PutObjectCommand({ Bucket: 'bucket', Key: `streamed ${name}`, Body: Readable.from(parts), ContentLength: size }));
      await client.send(new UploadPartCommand({ Bucket: 'bucket', Key: `streamed ${name}`, UploadId: 'up+id/1', PartNumber: 1, Body: Readable.from(parts), ContentLength: size }));
      assert.equal(captured.length, 2);
      for (const c of captured) {
        const auth = verify(c);
        assert.ok(auth);
        assert.equal(auth.payload, 'STREAMING-UNSIGNED-PAYLOAD-TRAILER');
        assert.equal(c.headers['content-encoding'], 'aws-chunked');
        assert.equal(c.headers['x-amz-trailer'], 'x-amz-checksum-crc32');
        const decodedLength = Number(c.headers['x-amz-decoded-content-length']);
        assert.equal(decodedLength, size);
        for (const how of ['whole', 'bytewise', { random: size, max: 3000 }] as Split[]) {
          if (how === 'bytewise' && c.body.length > 100_000) continue;
          const out = await decode(c.body, { trailer: true, decodedLength }, how);
          assert.ok(out.data.equals(data));
          assert.deepEqual(out.trailers, { 'x-amz-checksum-crc32': await crc32b64(data) });
        }
      }
    });
  }
});
