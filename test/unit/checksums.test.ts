import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { crc32 as refCrc32 } from '@aws-crypto/crc32';
import { crc32c as refCrc32c } from '@aws-crypto/crc32c';
import { Crc64Nvme } from '@aws-sdk/crc64-nvme';
import { S3Error } from '../../src/errors.js';
import {
  ChecksumAlgorithm,
  ChecksumType,
  assertChecksumShape,
  checksumByteLength,
  checksumHeaderName,
  checksumOf,
  combineCrc,
  compositeChecksum,
  createHasher,
  defaultChecksumType,
  parseChecksumAlgorithm,
  parseChecksumType,
  resolveChecksumType,
  supportsChecksumType,
} from '../../src/store/checksums.js';

const ALL = Object.values(ChecksumAlgorithm);
const CRCS = ['CRC32', 'CRC32C', 'CRC64NVME'] as const;

function u32b64(n: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b.toString('base64');
}

async function refCrc64(data: Uint8Array): Promise<string> {
  const h = new Crc64Nvme();
  h.update(data);
  return Buffer.from(await h.digest()).toString('base64');
}

/** Independent reference implementation of every algorithm (packages + node crypto). */
async function reference(alg: ChecksumAlgorithm, data: Buffer): Promise<string> {
  switch (alg) {
    case 'CRC32':
      return u32b64(refCrc32(data));
    case 'CRC32C':
      return u32b64(refCrc32c(data));
    case 'CRC64NVME':
      return refCrc64(data);
    case 'SHA1':
      return createHash('sha1').update(data).digest('base64');
    case 'SHA256':
      return createHash('sha256').update(data).digest('base64');
  }
}

/** Deterministic PRNG so failures are reproducible. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function assertS3Error(fn: () => unknown, code: string, message?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof S3Error, `expected S3Error, got ${String(e)}`);
    assert.equal(e.code, code);
    if (message !== undefined) assert.equal(e.message, message);
    return true;
  });
}

test('known vectors: "hello world"', async () => {
  const hw = Buffer.from('hello world');
  assert.equal(checksumOf('CRC32', hw), 'DUoRhQ==');
  assert.equal(checksumOf('CRC32C', hw), 'yZRlqg==');
  assert.equal(checksumOf('CRC64NVME', hw), await refCrc64(hw));
  assert.equal(checksumOf('CRC64NVME', hw), 'jSnVw/bqjr4=');
  assert.equal(checksumOf('SHA1', hw), createHash('sha1').update(hw).digest('base64'));
  assert.equal(checksumOf('SHA1', hw), 'Kq5sNclPz7QV2+lfQIuc6R7oRu0=');
  assert.equal(checksumOf('SHA256', hw), createHash('sha256').update(hw).digest('base64'));
  assert.equal(checksumOf('SHA256', hw), 'uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=');
});

test('known vectors: CRC catalogue check values of "123456789"', () => {
  const check = Buffer.from('123456789');
  assert.equal(Buffer.from(checksumOf('CRC32', check), 'base64').toString('hex'), 'cbf43926');
  assert.equal(Buffer.from(checksumOf('CRC32C', check), 'base64').toString('hex'), 'e3069283');
  assert.equal(Buffer.from(checksumOf('CRC64NVME', check), 'base64').toString('hex'), 'ae8b14860a799888');
});

test('empty input', async () => {
  const empty = Buffer.alloc(0);
  for (const alg of ALL) assert.equal(checksumOf(alg, empty), await reference(alg, empty), alg);
  assert.equal(checksumOf('CRC32', empty), 'AAAAAA==');
  assert.equal(checksumOf('CRC64NVME', empty), 'AAAAAAAAAAA=');
});

test('matches reference implementations on random data of many lengths', async () => {
  const lengths = [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 63, 64, 65, 255, 256, 1000, 4095, 4096, 65537, 1 << 20];
  for (const len of lengths) {
    const data = randomBytes(len);
    for (const alg of ALL) assert.equal(checksumOf(alg, data), await reference(alg, data), `${alg} len=${len}`);
  }
});

test('works on Buffer views with non-zero byteOffset', async () => {
  const big = randomBytes(10_000);
  const view = big.subarray(3, 9_001);
  for (const alg of ALL) assert.equal(checksumOf(alg, view), await reference(alg, Buffer.from(view)), alg);
});

test('CRC32C / CRC64NVME word-read fast path: every alignment and length around the thresholds', async () => {
  const big = randomBytes(4096);
  for (const off of [0, 1, 2, 3, 4, 5, 6, 7]) {
    for (let len = 0; len <= 100; len++) {
      const view = big.subarray(off, off + len);
      const copy = Buffer.from(view);
      assert.equal(checksumOf('CRC32C', view), u32b64(refCrc32c(copy)), `CRC32C off=${off} len=${len}`);
      assert.equal(checksumOf('CRC64NVME', view), await refCrc64(copy), `CRC64NVME off=${off} len=${len}`);
    }
    const view = big.subarray(off, off + 4000 - off);
    assert.equal(checksumOf('CRC32C', view), u32b64(refCrc32c(Buffer.from(view))), `CRC32C off=${off} long`);
    assert.equal(checksumOf('CRC64NVME', view), await refCrc64(Buffer.from(view)), `CRC64NVME off=${off} long`);
  }
});

test('incremental update equals one-shot', () => {
  const r = rng(1);
  const data = randomBytes(200_003);
  for (const alg of ALL) {
    const expected = checksumOf(alg, data);
    for (let trial = 0; trial < 20; trial++) {
      const h = createHasher(alg);
      let off = 0;
      while (off < data.length) {
        const n = Math.floor(r() * (trial < 10 ? 20 : 40_000)); // includes zero-length chunks
        h.update(data.subarray(off, off + n));
        off += n;
      }
      assert.equal(h.digest(), expected, `${alg} trial ${trial}`);
    }
  }
});

test('digest() is idempotent', () => {
  for (const alg of ALL) {
    const h = createHasher(alg);
    h.update(Buffer.from('abc'));
    const d = h.digest();
    assert.equal(h.digest(), d, alg);
    assert.equal(d, checksumOf(alg, Buffer.from('abc')));
  }
});

test('combineCrc of split data equals the CRC of the whole (many random splits, incl. zero-length parts)', () => {
  const r = rng(42);
  const data = randomBytes(300_000);
  for (const alg of CRCS) {
    for (let trial = 0; trial < 60; trial++) {
      const total = trial === 0 ? 0 : Math.floor(r() * data.length);
      const whole = data.subarray(0, total);
      const nParts = 1 + Math.floor(r() * 12);
      const cuts = Array.from({ length: nParts - 1 }, () => Math.floor(r() * (total + 1))).sort((a, b) => a - b);
      if (trial % 5 === 1 && cuts.length) cuts[0] = 0; // force a leading empty part
      if (trial % 7 === 2 && cuts.length > 1) cuts[1] = cuts[0]!; // force an empty part in the middle
      const bounds = [0, ...cuts, total];
      const parts = [];
      for (let i = 0; i + 1 < bounds.length; i++) {
        const p = whole.subarray(bounds[i]!, bounds[i + 1]!);
        parts.push({ checksum: checksumOf(alg, p), length: p.length });
      }
      assert.equal(combineCrc(alg, parts), checksumOf(alg, whole), `${alg} trial ${trial} bounds ${bounds.join(',')}`);
    }
  }
});

test('combineCrc with equal-size parts (typical multipart) and trailing zero-length part', () => {
  const data = randomBytes(5 * 65536 + 123);
  for (const alg of CRCS) {
    const parts = [];
    for (let off = 0; off < data.length; off += 65536) {
      const p = data.subarray(off, off + 65536);
      parts.push({ checksum: checksumOf(alg, p), length: p.length });
    }
    parts.push({ checksum: checksumOf(alg, Buffer.alloc(0)), length: 0 });
    assert.equal(combineCrc(alg, parts), checksumOf(alg, data), alg);
  }
});

test('combineCrc edge cases', () => {
  for (const alg of CRCS) {
    assert.equal(combineCrc(alg, []), checksumOf(alg, Buffer.alloc(0)), `${alg} no parts`);
    const one = Buffer.from('single part');
    assert.equal(combineCrc(alg, [{ checksum: checksumOf(alg, one), length: one.length }]), checksumOf(alg, one));
    assertS3Error(() => combineCrc(alg, [{ checksum: 'nope', length: 1 }]), 'InvalidRequest');
    assert.throws(() => combineCrc(alg, [{ checksum: checksumOf(alg, one), length: -1 }]), RangeError);
    assert.throws(() => combineCrc(alg, [{ checksum: checksumOf(alg, one), length: 1.5 }]), RangeError);
  }
  // Wrong-width value for the algorithm (CRC64 value given to CRC32).
  assertS3Error(() => combineCrc('CRC32', [{ checksum: 'AAAAAAAAAAA=', length: 0 }]), 'InvalidRequest');
});

test('combineCrc handles very large lengths (no 32-bit overflow): combining with zeros', () => {
  // crc(A ‖ zeros(n)) computed directly vs combined, for n past 2^31 bits.
  const a = Buffer.from('prefix data');
  const n = (1 << 20) * 3 + 5; // 3 MiB + 5 bytes of zeros — 25M+ bits
  const zeros = Buffer.alloc(n);
  for (const alg of CRCS) {
    const combined = combineCrc(alg, [
      { checksum: checksumOf(alg, a), length: a.length },
      { checksum: checksumOf(alg, zeros), length: n },
    ]);
    assert.equal(combined, checksumOf(alg, Buffer.concat([a, zeros])), alg);
  }
  // Lengths > 2^32 are accepted (value not checked against data here, just no throw / no hang).
  for (const alg of CRCS) {
    const v = combineCrc(alg, [
      { checksum: checksumOf(alg, a), length: a.length },
      { checksum: checksumOf(alg, a), length: 5 * 1024 ** 4 },
    ]);
    assertChecksumShape(alg, v);
  }
});

/** zlib's original GF(2) matrix crc_combine, in BigInt — an independent algorithm for the check below. */
function matrixCombine(alg: (typeof CRCS)[number], crc1: bigint, crc2: bigint, len2: bigint): bigint {
  const width = alg === 'CRC64NVME' ? 64 : 32;
  const poly = alg === 'CRC32' ? 0xedb88320n : alg === 'CRC32C' ? 0x82f63b78n : 0x9a6c9329ac4bc9b5n;
  const times = (mat: bigint[], vec: bigint): bigint => {
    let sum = 0n;
    for (let i = 0; vec; i++, vec >>= 1n) if (vec & 1n) sum ^= mat[i]!;
    return sum;
  };
  const square = (mat: bigint[]): bigint[] => mat.map((row) => times(mat, row));
  let odd: bigint[] = [poly];
  for (let n = 1, row = 1n; n < width; n++, row <<= 1n) odd.push(row);
  let even = square(odd);
  odd = square(even);
  while (len2 > 0n) {
    even = square(odd);
    if (len2 & 1n) crc1 = times(even, crc1);
    len2 >>= 1n;
    if (len2 === 0n) break;
    odd = square(even);
    if (len2 & 1n) crc1 = times(odd, crc1);
    len2 >>= 1n;
  }
  return crc1 ^ crc2;
}

test('combineCrc agrees with the zlib matrix method for multi-TiB part lengths', () => {
  const r = rng(7);
  for (const alg of CRCS) {
    for (const len of [0, 1, 8, 0xffffffff, 0x100000001, 5 * 1024 ** 4, 2 ** 53 - 1, Math.floor(r() * 2 ** 45)]) {
      const a = checksumOf(alg, randomBytes(37));
      const b = checksumOf(alg, randomBytes(11)); // stands in for the CRC of a part of length `len`
      const toBig = (s: string) => BigInt(`0x${Buffer.from(s, 'base64').toString('hex')}`);
      const expected = matrixCombine(alg, toBig(a), toBig(b), BigInt(len));
      const got = toBig(combineCrc(alg, [{ checksum: a, length: 37 }, { checksum: b, length: len }]));
      assert.equal(got, expected, `${alg} len=${len}`);
    }
  }
});

test('compositeChecksum matches a hand computation', async () => {
  const partsData = [randomBytes(1000), randomBytes(5000), randomBytes(17)];
  for (const alg of ALL) {
    const partSums = partsData.map((p) => checksumOf(alg, p));
    const concat = Buffer.concat(partSums.map((s) => Buffer.from(s, 'base64')));
    assert.equal(concat.length, checksumByteLength(alg) * 3);
    const expected = `${await reference(alg, concat)}-3`;
    assert.equal(compositeChecksum(alg, partSums), expected, alg);
  }
  // Fully hand-computed for CRC32 on fixed inputs.
  const a = checksumOf('CRC32', Buffer.from('hello ')); // raw 4 bytes
  const b = checksumOf('CRC32', Buffer.from('world'));
  const raw = Buffer.concat([Buffer.from(a, 'base64'), Buffer.from(b, 'base64')]);
  assert.equal(compositeChecksum('CRC32', [a, b]), `${u32b64(refCrc32(raw))}-2`);
  // SHA256 composite of a single part is sha256(sha256(part)), with -1.
  const one = Buffer.from('x');
  const inner = createHash('sha256').update(one).digest();
  assert.equal(
    compositeChecksum('SHA256', [inner.toString('base64')]),
    `${createHash('sha256').update(inner).digest('base64')}-1`,
  );
  assertS3Error(() => compositeChecksum('SHA1', ['DUoRhQ==']), 'InvalidRequest', 'Value for x-amz-checksum-sha1 header is invalid.');
});

test('parseChecksumAlgorithm is case-insensitive and rejects unknowns', () => {
  assert.equal(parseChecksumAlgorithm('crc32'), 'CRC32');
  assert.equal(parseChecksumAlgorithm('Crc32C'), 'CRC32C');
  assert.equal(parseChecksumAlgorithm('crc64nvme'), 'CRC64NVME');
  assert.equal(parseChecksumAlgorithm('sha1'), 'SHA1');
  assert.equal(parseChecksumAlgorithm('SHA256'), 'SHA256');
  for (const bad of ['', 'md5', 'sha-256', 'crc64', ' crc32', 'SHA512', '\u017fha1']) {
    assertS3Error(
      () => parseChecksumAlgorithm(bad),
      'InvalidRequest',
      'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]',
    );
  }
});

test('checksumHeaderName', () => {
  assert.equal(checksumHeaderName('CRC32'), 'x-amz-checksum-crc32');
  assert.equal(checksumHeaderName('CRC32C'), 'x-amz-checksum-crc32c');
  assert.equal(checksumHeaderName('CRC64NVME'), 'x-amz-checksum-crc64nvme');
  assert.equal(checksumHeaderName('SHA1'), 'x-amz-checksum-sha1');
  assert.equal(checksumHeaderName('SHA256'), 'x-amz-checksum-sha256');
});

test('assertChecksumShape accepts real values and rejects malformed ones', () => {
  const d = Buffer.from('data');
  for (const alg of ALL) {
    assertChecksumShape(alg, checksumOf(alg, d));
    const msg = `Value for x-amz-checksum-${alg.toLowerCase()} header is invalid.`;
    const good = checksumOf(alg, d);
    const bads = [
      '',
      'not base64!',
      good.replace(/=+$/, ''), // missing padding
      `${good}=`,
      ` ${good}`,
      `${good}\n`,
      Buffer.alloc(checksumByteLength(alg) + 1).toString('base64'), // too long
      Buffer.alloc(checksumByteLength(alg) - 1).toString('base64'), // too short
      `${good}-2`, // composite suffix is not a header value shape
      good.replace(/\+/g, '-').replace(/\//g, '_') === good ? 'AA-_' : good.replace(/\+/g, '-').replace(/\//g, '_'), // base64url
    ];
    for (const bad of bads) assertS3Error(() => assertChecksumShape(alg, bad), 'InvalidRequest', msg);
  }
  // Non-canonical: non-zero padding bits ('DUoRhQ==' vs 'DUoRhR==').
  assertChecksumShape('CRC32', 'DUoRhQ==');
  assertS3Error(() => assertChecksumShape('CRC32', 'DUoRhR=='), 'InvalidRequest');
  // Width of another algorithm.
  assertS3Error(() => assertChecksumShape('CRC64NVME', 'DUoRhQ=='), 'InvalidRequest');
  assertS3Error(() => assertChecksumShape('SHA256', checksumOf('SHA1', d)), 'InvalidRequest');
});

test('checksum types: AWS support matrix and defaults', () => {
  assert.equal(defaultChecksumType('CRC32'), ChecksumType.COMPOSITE);
  assert.equal(defaultChecksumType('CRC32C'), ChecksumType.COMPOSITE);
  assert.equal(defaultChecksumType('SHA1'), ChecksumType.COMPOSITE);
  assert.equal(defaultChecksumType('SHA256'), ChecksumType.COMPOSITE);
  assert.equal(defaultChecksumType('CRC64NVME'), ChecksumType.FULL_OBJECT);

  const matrix: Record<ChecksumAlgorithm, [boolean, boolean]> = {
    // [FULL_OBJECT, COMPOSITE]
    CRC32: [true, true],
    CRC32C: [true, true],
    CRC64NVME: [true, false],
    SHA1: [false, true],
    SHA256: [false, true],
  };
  for (const alg of ALL) {
    const [full, comp] = matrix[alg];
    assert.equal(supportsChecksumType(alg, 'FULL_OBJECT'), full, alg);
    assert.equal(supportsChecksumType(alg, 'COMPOSITE'), comp, alg);
    assert.equal(resolveChecksumType(alg), defaultChecksumType(alg));
    assert.ok(supportsChecksumType(alg, defaultChecksumType(alg)));
  }
  assert.equal(resolveChecksumType('CRC32', 'FULL_OBJECT'), 'FULL_OBJECT');
  assertS3Error(
    () => resolveChecksumType('SHA256', 'FULL_OBJECT'),
    'InvalidRequest',
    'The FULL_OBJECT checksum type cannot be used with the sha256 checksum algorithm.',
  );
  assertS3Error(
    () => resolveChecksumType('CRC64NVME', 'COMPOSITE'),
    'InvalidRequest',
    'The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.',
  );
  assert.equal(parseChecksumType('full_object'), 'FULL_OBJECT');
  assert.equal(parseChecksumType('COMPOSITE'), 'COMPOSITE');
  assertS3Error(() => parseChecksumType('PARTIAL'), 'InvalidRequest');
});
