/**
 * Object headers at the edge: request headers → ObjectHeaders / storage class / lock settings /
 * checksum expectations, and an ObjectVersion → GET/HEAD response headers.
 */
import { S3Error } from '../../errors.js';
import { createHash } from 'node:crypto';
import { checksumHeaderName, checksumOf, parseChecksumAlgorithm, assertChecksumShape, ChecksumAlgorithm } from '../../store/checksums.js';
import type { BodyChecks } from '../../store/objects.js';
import { StorageClass, type LockMode, type ObjectHeaders, type ObjectVersion } from '../../store/types.js';
import { header, readSmallBody, type RequestContext } from '../request.js';

const MAX_USER_METADATA = 2048; // bytes of x-amz-meta-* names + values, as AWS counts them

export function objectHeadersFrom(c: RequestContext): ObjectHeaders {
  const meta: Record<string, string> = {};
  let size = 0;
  for (const name in c.headers) {
    if (name.startsWith('x-amz-meta-')) {
      const k = name.slice(11);
      const v = header(c, name)!;
      meta[k] = v;
      size += Buffer.byteLength(k) + Buffer.byteLength(v);
    }
  }
  if (size > MAX_USER_METADATA) throw new S3Error('MetadataTooLarge', undefined, { Size: size, MaxSizeAllowed: MAX_USER_METADATA });
  const sse = header(c, 'x-amz-server-side-encryption');
  if (sse !== undefined && sse !== 'AES256' && sse !== 'aws:kms' && sse !== 'aws:kms:dsse') {
    throw new S3Error('InvalidArgument', 'The encryption method specified is not supported', { ArgumentName: 'x-amz-server-side-encryption', ArgumentValue: sse });
  }
  if (header(c, 'x-amz-server-side-encryption-customer-algorithm') !== undefined) {
    throw new S3Error('NotImplemented', 'Server-side encryption with customer-provided keys (SSE-C) is not supported by s3batch.');
  }
  return {
    contentType: header(c, 'content-type'),
    contentEncoding: stripAwsChunked(header(c, 'content-encoding')),
    contentDisposition: header(c, 'content-disposition'),
    contentLanguage: header(c, 'content-language'),
    cacheControl: header(c, 'cache-control'),
    expires: header(c, 'expires'),
    websiteRedirectLocation: header(c, 'x-amz-website-redirect-location'),
    serverSideEncryption: sse,
    meta,
  };
}

/** aws-chunked is transfer framing, not a content coding of the object: S3 drops it. */
function stripAwsChunked(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const rest = v.split(',').map((s) => s.trim()).filter((s) => s !== '' && s !== 'aws-chunked');
  return rest.length ? rest.join(',') : undefined;
}

export function storageClassFrom(c: RequestContext, fallback: StorageClass = 'STANDARD'): StorageClass {
  const v = header(c, 'x-amz-storage-class');
  if (v === undefined) return fallback;
  if (!(v in StorageClass) || v === 'OUTPOSTS' || v === 'SNOW' || v === 'EXPRESS_ONEZONE') throw new S3Error('InvalidStorageClass', undefined, { StorageClassRequested: v });
  return v as StorageClass;
}

export interface LockHeaders {
  readonly lockMode: LockMode | null;
  readonly lockUntil: number | null;
  /** Undefined when the request named no legal hold: the version records "never set", not OFF. */
  readonly legalHold: boolean | undefined;
}

/** x-amz-object-lock-mode / -retain-until-date / -legal-hold, valid only in a lock-enabled bucket. */
export function lockHeadersFrom(c: RequestContext, bucketHasLock: boolean, now: number): LockHeaders {
  const mode = header(c, 'x-amz-object-lock-mode');
  const until = header(c, 'x-amz-object-lock-retain-until-date');
  const hold = header(c, 'x-amz-object-lock-legal-hold');
  if (mode === undefined && until === undefined && hold === undefined) return { lockMode: null, lockUntil: null, legalHold: undefined };
  if (!bucketHasLock) throw new S3Error('InvalidRequest', 'Bucket is missing Object Lock Configuration');
  if ((mode === undefined) !== (until === undefined)) {
    throw new S3Error('InvalidArgument', 'x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied');
  }
  if (mode !== undefined && mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') throw new S3Error('InvalidArgument', 'Unknown wormMode directive.', { ArgumentName: 'x-amz-object-lock-mode', ArgumentValue: mode });
  let untilMs: number | null = null;
  if (until !== undefined) {
    untilMs = Date.parse(until);
    if (Number.isNaN(untilMs)) throw new S3Error('InvalidArgument', 'The retain until date must be provided in ISO 8601 format', { ArgumentName: 'x-amz-object-lock-retain-until-date', ArgumentValue: until });
    if (untilMs <= now) throw new S3Error('InvalidArgument', 'The retain until date must be in the future!', { ArgumentName: 'x-amz-object-lock-retain-until-date', ArgumentValue: until });
  }
  if (hold !== undefined && hold !== 'ON' && hold !== 'OFF') throw new S3Error('InvalidArgument', 'Legal Hold must be either of \'ON\' or \'OFF\'', { ArgumentName: 'x-amz-object-lock-legal-hold', ArgumentValue: hold });
  return { lockMode: (mode as LockMode | undefined) ?? null, lockUntil: untilMs, legalHold: hold === undefined ? undefined : hold === 'ON' };
}

/** Content-MD5, checked for shape (base64 of 16 bytes). */
export function contentMd5From(c: RequestContext): string | undefined {
  const md5 = header(c, 'content-md5');
  if (md5 !== undefined && !/^[A-Za-z0-9+/]{22}==$/.test(md5)) throw new S3Error('InvalidDigest');
  return md5;
}

/**
 * Whether the request carries any x-amz-* header. Without one, the x-amz-* parsers here (checksums,
 * lock, storage class, tagging, ACL, encryption) have nothing to read: a plain presigned upload
 * skips ~20 header lookups (~1 µs).
 */
export function hasAmzHeaders(c: RequestContext): boolean {
  for (const name in c.headers) if (name.charCodeAt(0) === 120 /* x */ && name.startsWith('x-amz-')) return true;
  return false;
}

/** Every x-amz-checksum-<alg> header name, computed once (this runs on every PUT). */
const checksumHeaders: readonly (readonly [ChecksumAlgorithm, string])[] = Object.values(ChecksumAlgorithm).map((alg) => [alg, checksumHeaderName(alg)] as const);

/**
 * The checksum a request declares: an x-amz-checksum-<alg> header with its value, or
 * x-amz-sdk-checksum-algorithm / x-amz-trailer naming a trailer whose value arrives after the body.
 */
export function bodyChecksFrom(c: RequestContext): BodyChecks {
  const md5 = contentMd5From(c);
  let algorithm: ChecksumAlgorithm | undefined;
  let value: string | (() => string | undefined) | undefined;
  for (const [alg, name] of checksumHeaders) {
    const v = header(c, name);
    if (v !== undefined) {
      if (algorithm) throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
      assertChecksumShape(alg, v);
      algorithm = alg;
      value = v;
    }
  }
  const trailer = header(c, 'x-amz-trailer');
  if (trailer !== undefined && algorithm === undefined) {
    const name = trailer.trim().toLowerCase();
    const alg = Object.values(ChecksumAlgorithm).find((a) => checksumHeaderName(a) === name);
    if (!alg) throw new S3Error('InvalidRequest', `The value specified in the x-amz-trailer header is not supported: ${trailer}`);
    algorithm = alg;
    value = () => {
      const v = c.trailers[name];
      if (v === undefined) throw new S3Error('InvalidRequest', `x-amz-trailer named ${name} but the body carried no such trailer`);
      assertChecksumShape(alg, v);
      return v;
    };
  }
  const sdkAlg = header(c, 'x-amz-sdk-checksum-algorithm') ?? header(c, 'x-amz-checksum-algorithm');
  if (algorithm === undefined && sdkAlg !== undefined) algorithm = parseChecksumAlgorithm(sdkAlg);
  return { contentMd5: md5, checksumAlgorithm: algorithm, checksumValue: value };
}

/**
 * Reads a small request document (XML) whole and verifies the Content-MD5 and x-amz-checksum-*
 * the client declared for it (the SDKs send a CRC32 or MD5 with every such call), as S3 does.
 * Not for CompleteMultipartUpload, whose x-amz-checksum-* describes the object, not the body.
 */
export async function readVerifiedBody(c: RequestContext, limit?: number): Promise<string> {
  const checks = bodyChecksFrom(c);
  const body = await readSmallBody(c, limit);
  if (checks.contentMd5 !== undefined && createHash('md5').update(body).digest('base64') !== checks.contentMd5) {
    throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.');
  }
  const expected = typeof checks.checksumValue === 'function' ? checks.checksumValue() : checks.checksumValue;
  if (checks.checksumAlgorithm !== undefined && expected !== undefined && checksumOf(checks.checksumAlgorithm, body) !== expected) {
    throw new S3Error('BadDigest', `The ${checks.checksumAlgorithm} you specified did not match the calculated checksum.`);
  }
  return body.toString('utf8');
}

/**
 * GET/HEAD headers of a version (not Content-Length/Range: the caller adds those), appended to
 * `out` as name, value, name, value… for one writeHead (request.ts writeS3Head).
 */
export function pushVersionHeaders(out: (string | number)[], v: ObjectVersion, opts: { versioned: boolean; checksumMode: boolean; now: number }): void {
  const h = v.headers;
  out.push('etag', `"${v.etag}"`, 'last-modified', httpDate(v.lastModified), 'accept-ranges', 'bytes', 'content-type', h.contentType ?? 'binary/octet-stream');
  if (h.contentEncoding) out.push('content-encoding', h.contentEncoding);
  if (h.contentDisposition) out.push('content-disposition', h.contentDisposition);
  if (h.contentLanguage) out.push('content-language', h.contentLanguage);
  if (h.cacheControl) out.push('cache-control', h.cacheControl);
  if (h.expires) out.push('expires', h.expires);
  if (h.websiteRedirectLocation) out.push('x-amz-website-redirect-location', h.websiteRedirectLocation);
  if (h.serverSideEncryption) out.push('x-amz-server-side-encryption', h.serverSideEncryption);
  for (const k in h.meta) out.push(`x-amz-meta-${k}`, h.meta[k]!);
  if (opts.versioned) out.push('x-amz-version-id', v.versionId);
  if (v.storageClass !== 'STANDARD') out.push('x-amz-storage-class', v.storageClass);
  if (v.tags.length) out.push('x-amz-tagging-count', v.tags.length);
  if (v.lockMode && v.lockUntil !== null) {
    out.push('x-amz-object-lock-mode', v.lockMode, 'x-amz-object-lock-retain-until-date', new Date(v.lockUntil).toISOString());
  }
  // Named once a hold was ever applied, ON or OFF (HeadObject: "not returned if … never had a legal hold applied").
  if (v.legalHoldSet) out.push('x-amz-object-lock-legal-hold', v.legalHold ? 'ON' : 'OFF');
  if (v.replicationStatus) out.push('x-amz-replication-status', v.replicationStatus);
  if (v.restore) {
    const r = v.restore;
    out.push('x-amz-restore', r.readyAt > opts.now ? 'ongoing-request="true"' : `ongoing-request="false", expiry-date="${new Date(r.expiresAt).toUTCString()}"`);
  }
  if (opts.checksumMode && v.checksum) {
    out.push(checksumHeaderName(v.checksum.algorithm as ChecksumAlgorithm), v.checksum.value, 'x-amz-checksum-type', v.checksum.type);
  }
}

/** Sets `name` in a flat header list (name, value, …): replaces its value where present, else appends. */
export function setFlatHeader(out: (string | number)[], name: string, value: string | number): void {
  for (let i = 0; i < out.length; i += 2) {
    if (out[i] === name) {
      out[i + 1] = value;
      return;
    }
  }
  out.push(name, value);
}

// The HTTP date of the most recent second asked for: objects written in the same second (a bulk
// upload) share it, and Date#toUTCString was ~1 µs.
let lastHttpDateSec = NaN;
let lastHttpDate = '';

function httpDate(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec !== lastHttpDateSec) {
    lastHttpDate = new Date(sec * 1000).toUTCString();
    lastHttpDateSec = sec;
  }
  return lastHttpDate;
}
