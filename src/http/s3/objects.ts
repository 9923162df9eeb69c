/**
 * Object handlers: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject.
 */
import { S3Error } from '../../errors.js';
import { getBucket } from '../../store/buckets.js';
import { checksumHeaderName, parseChecksumAlgorithm, type ChecksumAlgorithm } from '../../store/checksums.js';
import { checkConditions } from '../../store/conditions.js';
import { assertReadable, copyObjectIn, copyWithChecksum, deleteObject, getVersion, putObject, readVersion, type BodyChecks, type CopyObjectInput } from '../../store/objects.js';
import { commitBatchedRerunnable, isValidVersionId } from '../../store/context.js';
import type { ObjectVersion } from '../../store/types.js';
import { bodyOf, endSoon, header, readPlainBody, s3HeadOf, send, sendXml, writeS3Head } from '../request.js';
import { isoDate, parseXml, renderXml, xmlList, xmlText, escapeXml } from '../xml.js';
import { aclFromHeaders } from './acl.js';
import { bucketOf, keyOf, ownerIdOf, type S3Ctx, type S3Handlers } from './context.js';
import { bodyChecksFrom, contentMd5From, hasAmzHeaders, lockHeadersFrom, objectHeadersFrom, pushVersionHeaders, readVerifiedBody, setFlatHeader, storageClassFrom, type LockHeaders } from './object-headers.js';
import { parseTagHeader } from './tags.js';

const MAX_OBJECT_SIZE = 5 * 1024 ** 3; // 5 GiB for a single PUT, as AWS

function versionedHeader(c: S3Ctx, bucket: string, versionId: string): Record<string, string> {
  return getBucket(c.deps.store, bucket).versioning !== '' ? { 'x-amz-version-id': versionId } : {};
}

function assertContentLength(c: S3Ctx): void {
  const declared = header(c, 'x-amz-decoded-content-length') ?? header(c, 'content-length');
  if (declared === undefined && header(c, 'transfer-encoding') === undefined) throw new S3Error('MissingContentLength');
  if (declared !== undefined && Number(declared) > MAX_OBJECT_SIZE) {
    throw new S3Error('EntityTooLarge', undefined, { ProposedSize: declared, MaxSizeAllowed: MAX_OBJECT_SIZE });
  }
}

const aclHeaderNames = ['x-amz-acl', 'x-amz-grant-read', 'x-amz-grant-write', 'x-amz-grant-read-acp', 'x-amz-grant-write-acp', 'x-amz-grant-full-control'] as const;

/** Whether the request names an ACL at all (else aclFromHeaders is null); ~1 µs less per PUT than asking it. */
function asksForAcl(c: S3Ctx): boolean {
  for (const name of aclHeaderNames) if (c.headers[name] !== undefined) return true;
  return false;
}

const NO_LOCK: LockHeaders = Object.freeze({ lockMode: null, lockUntil: null, legalHold: undefined });

async function putObjectHandler(c: S3Ctx): Promise<void> {
  const bucketName = bucketOf(c);
  const key = keyOf(c);
  const bucket = getBucket(c.deps.store, bucketName);
  assertContentLength(c);
  // Without any x-amz-* header (a plain presigned upload) the x-amz-* parsers below would all
  // answer "none": skip them (the same values, ~1 µs less).
  const amz = hasAmzHeaders(c);
  const checks: BodyChecks = amz ? bodyChecksFrom(c) : { contentMd5: contentMd5From(c), checksumAlgorithm: undefined, checksumValue: undefined };
  const owner = c.principal.accountId;
  const store = c.deps.store;
  const small = readPlainBody(c, store.options.inlineThreshold);
  // putObject awaits it after its checks; a request refused before then must not leave it unhandled.
  small?.catch(() => undefined);
  const headers = objectHeadersFrom(c);
  const storageClass = amz ? storageClassFrom(c) : 'STANDARD';
  const tags = amz ? parseTagHeader(header(c, 'x-amz-tagging')) : [];
  const acl = amz && asksForAcl(c) ? aclFromHeaders(c, ownerIdOf(c), ownerIdOf(c, bucket.owner)) : null;
  const lock = amz ? lockHeadersFrom(c, bucket.objectLock, store.now()) : NO_LOCK;
  // No object spread here: it defined the properties through V8's slow path on every PUT (with
  // putObject's field-by-field input: ~99 → ~79 µs of server CPU per PUT, on a busy machine).
  const r = await putObject(store, {
    bucket: bucketName,
    key,
    body: small ?? bodyOf(c),
    owner,
    headers,
    storageClass,
    tags,
    acl,
    lockMode: lock.lockMode,
    lockUntil: lock.lockUntil,
    legalHold: lock.legalHold,
    contentMd5: checks.contentMd5,
    checksumAlgorithm: checks.checksumAlgorithm,
    checksumValue: checks.checksumValue,
    ifMatch: header(c, 'if-match'),
    ifNoneMatch: header(c, 'if-none-match'),
  });
  const head = s3HeadOf(c);
  head.push('etag', `"${r.etag}"`);
  if (getBucket(store, bucketName).versioning !== '') head.push('x-amz-version-id', r.versionId);
  if (checks.checksumAlgorithm && r.checksum) head.push(checksumHeaderName(checks.checksumAlgorithm), r.checksum, 'x-amz-checksum-type', 'FULL_OBJECT');
  const sse = amz ? header(c, 'x-amz-server-side-encryption') : undefined;
  if (sse) head.push('x-amz-server-side-encryption', sse);
  head.push('content-length', 0);
  writeS3Head(c, 200, head);
  // Not endSoon: the group commit finishes a batch's PUTs together already, and deferring these
  // to the end of the microtask queue measured no better (14.2k vs 14.7k PUT/s).
  c.res.end();
}

interface ByteRange {
  start: number;
  end: number;
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n`. Malformed or multi-range headers are ignored (whole object), as S3 does. */
function parseRange(value: string | undefined, size: number): ByteRange | undefined {
  if (value === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) throw new S3Error('InvalidRange', undefined, { RangeRequested: value, ActualObjectSize: size });
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return undefined;
  }
  if (start >= size) throw new S3Error('InvalidRange', undefined, { RangeRequested: value, ActualObjectSize: size });
  return { start, end };
}

/** The byte range of part `n` of a version (multipart objects), or the whole object as part 1. */
function partRange(v: ObjectVersion, n: number): ByteRange | undefined {
  const count = v.parts?.length ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > 10000) throw new S3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', { ArgumentName: 'partNumber', ArgumentValue: n });
  if (n > count) throw new S3Error('InvalidPartNumber', 'The requested partnumber is not satisfiable', { PartNumberRequested: n, ActualPartCount: count });
  if (!v.parts) return undefined;
  let start = 0;
  for (let i = 0; i < n - 1; i++) start += v.parts[i]!.size;
  return { start, end: start + v.parts[n - 1]!.size - 1 };
}

const responseOverrides: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};

function getOrHead(c: S3Ctx): void {
  const bucket = bucketOf(c);
  const key = keyOf(c);
  // A presigned URL's query names no versionId, partNumber or response-* override: skip parsing it.
  const plain = c.queryIsAuthOnly === true;
  const versionId = plain ? undefined : (c.query.get('versionId') ?? undefined);
  const v = getVersion(c.deps.store, bucket, key, versionId);
  const b = getBucket(c.deps.store, bucket);
  const now = c.deps.store.now();
  checkConditions(
    { ifMatch: header(c, 'if-match'), ifNoneMatch: header(c, 'if-none-match'), ifModifiedSince: header(c, 'if-modified-since'), ifUnmodifiedSince: header(c, 'if-unmodified-since') },
    v.etag,
    v.lastModified,
  );
  if (c.method === 'GET') assertReadable(c.deps.store, v);
  // Validate the range before any header is set: a 416 must not carry the object's headers.
  let range: ByteRange | undefined;
  const partNumber = plain ? null : c.query.get('partNumber');
  if (partNumber !== null) {
    if (header(c, 'range') !== undefined) throw new S3Error('InvalidRequest', 'Cannot specify both Range header and partNumber query parameter');
    range = partRange(v, Number(partNumber));
  } else {
    range = parseRange(header(c, 'range'), v.size);
  }
  // Only a response carrying the whole object gets its full-object checksum: for a range (or one
  // part of a multipart object) it does not describe the bytes sent, and SDKs that validate
  // responses (the JS SDK v3 does by default) would reject the body.
  const checksumMode = header(c, 'x-amz-checksum-mode') === 'ENABLED' && range === undefined;
  const head = s3HeadOf(c);
  pushVersionHeaders(head, v, { versioned: b.versioning !== '', checksumMode, now });
  if (partNumber !== null && v.parts) {
    head.push('x-amz-mp-parts-count', v.parts.length);
    // A part of a COMPOSITE-checksum object has a checksum of its own, which does describe it.
    const part = v.parts[Number(partNumber) - 1];
    if (header(c, 'x-amz-checksum-mode') === 'ENABLED' && part?.checksum && v.checksum?.type === 'COMPOSITE') {
      setFlatHeader(head, checksumHeaderName(v.checksum.algorithm as ChecksumAlgorithm), part.checksum);
      setFlatHeader(head, 'x-amz-checksum-type', 'COMPOSITE');
    }
  }
  if (!plain) {
    for (const q in responseOverrides) {
      const o = c.query.get(q);
      if (o !== null) setFlatHeader(head, responseOverrides[q]!, o);
    }
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? v.size - 1;
  const length = v.size === 0 ? 0 : end - start + 1;
  if (range) head.push('content-range', `bytes ${start}-${end}/${v.size}`);
  head.push('content-length', length);
  const res = c.res;
  if (c.method === 'HEAD' || length === 0) {
    writeS3Head(c, range ? 206 : 200, head);
    endSoon(res);
    return;
  }
  // Read before the head is written: a missing blob must still be answered as an error.
  const body = readVersion(c.deps.store, v, start, end);
  writeS3Head(c, range ? 206 : 200, head);
  if (Buffer.isBuffer(body)) {
    endSoon(res, body);
    return;
  }
  body.on('error', () => res.destroy());
  res.on('close', () => body.destroy());
  body.pipe(res);
}

function bypassGovernance(c: S3Ctx): boolean {
  return (header(c, 'x-amz-bypass-governance-retention') ?? '').toLowerCase() === 'true';
}

function deleteObjectHandler(c: S3Ctx): void {
  const r = deleteObject(c.deps.store, {
    bucket: bucketOf(c),
    key: keyOf(c),
    versionId: c.query.get('versionId') ?? undefined,
    owner: c.principal.accountId,
    bypassGovernance: bypassGovernance(c),
  });
  const headers: Record<string, string> = {};
  if (r.versionId !== undefined) headers['x-amz-version-id'] = r.versionId;
  if (r.deleteMarker) headers['x-amz-delete-marker'] = 'true';
  send(c, 204, null, headers);
}

async function deleteObjectsHandler(c: S3Ctx): Promise<void> {
  const bucket = bucketOf(c);
  getBucket(c.deps.store, bucket);
  const hasDigest = header(c, 'content-md5') !== undefined || Object.keys(c.headers).some((h) => h.startsWith('x-amz-checksum-') && h !== 'x-amz-checksum-algorithm') || header(c, 'x-amz-sdk-checksum-algorithm') !== undefined;
  if (!hasDigest) throw new S3Error('InvalidRequest', 'Missing required header for this request: Content-MD5 OR x-amz-checksum-*');
  const text = await readVerifiedBody(c);
  const doc = parseXml(text, 'Delete');
  const quiet = xmlText(doc, 'Quiet') === 'true';
  const objects = xmlList(doc.Object);
  if (objects.length === 0 || objects.length > 1000) throw new S3Error('MalformedXML', 'The Delete request must name between 1 and 1000 objects');
  const entries = objects.map((o) => {
    const key = xmlText(o, 'Key');
    if (key === undefined || key === '') throw new S3Error('MalformedXML', 'Each Object needs a Key');
    return { key, versionId: xmlText(o, 'VersionId') };
  });
  // One decision per key: a denied key is an <Error> entry, the others proceed (as S3 does).
  const denied = c.authorizeDeleteObjects(entries);
  const deleted: string[] = [];
  const errors: string[] = [];
  for (const [i, { key, versionId }] of entries.entries()) {
    const refused = denied.get(i);
    if (refused) {
      errors.push(`<Error><Key>${escapeXml(key)}</Key>${versionId !== undefined ? `<VersionId>${escapeXml(versionId)}</VersionId>` : ''}<Code>${refused.code}</Code><Message>${escapeXml(refused.message)}</Message></Error>`);
      continue;
    }
    // S3 answers a malformed version id inside a batch with a NoSuchVersion entry (a single
    // DeleteObject answers InvalidArgument).
    if (versionId !== undefined && !isValidVersionId(versionId)) {
      errors.push(`<Error><Key>${escapeXml(key)}</Key><VersionId>${escapeXml(versionId)}</VersionId><Code>NoSuchVersion</Code><Message>The specified version does not exist.</Message></Error>`);
      continue;
    }
    try {
      const r = deleteObject(c.deps.store, { bucket, key, versionId, owner: c.principal.accountId, bypassGovernance: bypassGovernance(c) });
      if (quiet) continue;
      let x = `<Deleted><Key>${escapeXml(key)}</Key>`;
      if (versionId !== undefined) x += `<VersionId>${escapeXml(versionId)}</VersionId>`;
      if (r.deleteMarker) x += `<DeleteMarker>true</DeleteMarker>`;
      // Whether the entry created a delete marker or deleted one by id, S3 names the marker.
      if (r.deleteMarker && r.versionId) x += `<DeleteMarkerVersionId>${escapeXml(r.versionId)}</DeleteMarkerVersionId>`;
      deleted.push(x + '</Deleted>');
    } catch (e) {
      if (!(e instanceof S3Error)) throw e;
      errors.push(`<Error><Key>${escapeXml(key)}</Key>${versionId !== undefined ? `<VersionId>${escapeXml(versionId)}</VersionId>` : ''}<Code>${e.code}</Code><Message>${escapeXml(e.message)}</Message></Error>`);
    }
  }
  sendXml(c, `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${deleted.join('')}${errors.join('')}</DeleteResult>`);
}

/** x-amz-copy-source: `[/]bucket/key[?versionId=id]`, URL-encoded. */
export function parseCopySource(value: string): { bucket: string; key: string; versionId?: string } {
  let v = value;
  let versionId: string | undefined;
  const q = v.indexOf('?');
  if (q >= 0) {
    const params = new URLSearchParams(v.slice(q + 1));
    versionId = params.get('versionId') ?? undefined;
    v = v.slice(0, q);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(v);
  } catch {
    throw new S3Error('InvalidArgument', 'Invalid copy source encoding', { ArgumentName: 'x-amz-copy-source', ArgumentValue: value });
  }
  if (decoded.startsWith('/')) decoded = decoded.slice(1);
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', { ArgumentName: 'x-amz-copy-source', ArgumentValue: value });
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1), versionId };
}

function directive(c: S3Ctx, name: string): 'COPY' | 'REPLACE' {
  const v = header(c, name) ?? 'COPY';
  if (v !== 'COPY' && v !== 'REPLACE') throw new S3Error('InvalidArgument', `Unknown ${name}`, { ArgumentName: name, ArgumentValue: v });
  return v;
}

export function copySourceConditions(c: S3Ctx) {
  return {
    ifMatch: header(c, 'x-amz-copy-source-if-match'),
    ifNoneMatch: header(c, 'x-amz-copy-source-if-none-match'),
    ifModifiedSince: header(c, 'x-amz-copy-source-if-modified-since'),
    ifUnmodifiedSince: header(c, 'x-amz-copy-source-if-unmodified-since'),
  };
}

async function copyObjectHandler(c: S3Ctx): Promise<void> {
  const bucketName = bucketOf(c);
  const key = keyOf(c);
  const src = parseCopySource(header(c, 'x-amz-copy-source')!);
  const bucket = getBucket(c.deps.store, bucketName);
  const srcBucket = getBucket(c.deps.store, src.bucket);
  if (srcBucket.owner !== c.principal.accountId) throw new S3Error('AccessDenied');
  const metadataDirective = directive(c, 'x-amz-metadata-directive');
  const taggingDirective = directive(c, 'x-amz-tagging-directive');
  const checksumAlg = header(c, 'x-amz-checksum-algorithm');
  const alg: ChecksumAlgorithm | undefined = checksumAlg ? parseChecksumAlgorithm(checksumAlg) : undefined;
  const storageClass = header(c, 'x-amz-storage-class');
  const changesSomething = metadataDirective === 'REPLACE' || storageClass !== undefined || header(c, 'x-amz-website-redirect-location') !== undefined || header(c, 'x-amz-server-side-encryption') !== undefined || alg !== undefined;
  const srcVersion = getVersion(c.deps.store, src.bucket, src.key, src.versionId);
  const store = c.deps.store;
  const input: CopyObjectInput = {
    srcBucket: src.bucket,
    srcKey: src.key,
    srcVersionId: src.versionId,
    bucket: bucketName,
    key,
    conditions: copySourceConditions(c),
    changesSomething,
    metadataDirective,
    taggingDirective,
    owner: c.principal.accountId,
    headers: objectHeadersFrom(c),
    storageClass: storageClassFrom(c, srcVersion.storageClass === 'GLACIER' || srcVersion.storageClass === 'DEEP_ARCHIVE' ? 'STANDARD' : srcVersion.storageClass),
    tags: parseTagHeader(header(c, 'x-amz-tagging')),
    acl: aclFromHeaders(c, ownerIdOf(c), ownerIdOf(c, bucket.owner)),
    ...lockHeadersFrom(c, bucket.objectLock, c.deps.store.now()),
  };
  // Group-committed with concurrent PUTs and copies (one COMMIT per batch, not per copy); with the
  // root fast path for CopyObject (authorize-request.ts) 3.7k → 10.6k copies/s.
  const r = await copyWithChecksum(store, src, alg, (newChecksum) => commitBatchedRerunnable(store, (unlink) => copyObjectIn(store, { ...input, newChecksum }, unlink)));
  const headers: Record<string, string> = { ...versionedHeader(c, bucketName, r.versionId) };
  if (srcBucket.versioning !== '') headers['x-amz-copy-source-version-id'] = r.srcVersionId;
  const result: Record<string, string> = { ETag: `"${r.etag}"`, LastModified: isoDate(r.lastModified) };
  if (r.checksum && (alg === undefined || alg === r.checksum.algorithm)) {
    result[`Checksum${r.checksum.algorithm}`] = r.checksum.value;
    result.ChecksumType = r.checksum.type;
  }
  sendXml(c, renderXml('CopyObjectResult', result), 200, headers);
}

export const objectHandlers: S3Handlers = {
  PutObject: putObjectHandler,
  GetObject: getOrHead,
  HeadObject: getOrHead,
  DeleteObject: deleteObjectHandler,
  DeleteObjects: deleteObjectsHandler,
  CopyObject: copyObjectHandler,
};
