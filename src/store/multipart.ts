/**
 * Multipart uploads: create, upload a part (bytes, or a range of another object), complete, abort,
 * list parts, list uploads.
 *
 * A part is stored like an object body: a blob (inline or file) with one reference per extent. A
 * copied part writes no bytes: its extents are the source version's extents clipped to the range,
 * each with one added reference. Completing concatenates the listed parts' extents into the new
 * version, so their references move to the version and no byte is copied; parts left out of the
 * list drop theirs. Aborting drops every part's references. A re-uploaded part number drops the
 * replaced part's. No blob outlives its last reference, whichever way an upload ends.
 */
import { createHash, randomBytes } from 'node:crypto';
import { S3Error } from '../errors.js';
import { getBucket } from './buckets.js';
import { combineCrc, compositeChecksum, createHasher, type ChecksumAlgorithm, type ChecksumType, type CrcAlgorithm } from './checksums.js';
import { checkConditions, type Conditions } from './conditions.js';
import { addRefs, dropRefs, json, writeTx, type StoreContext } from './context.js';
import { assertReadable, commitVersion, discardBody, getVersion, insertBlob, readVersion, storeBody, type BodyChecks } from './objects.js';
import type { Acl, Checksum, Extent, LockMode, ObjectHeaders, ObjectVersion, PartInfo, StorageClass, Tag } from './types.js';

/** AWS's minimum size of every part but the last. Smaller parts fail CompleteMultipartUpload with EntityTooSmall. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
/** AWS's maximum size of one part. */
export const MAX_PART_SIZE = 5 * 1024 ** 3;
export const MAX_PART_NUMBER = 10_000;
/** AWS's maximum size of the bytes one UploadPartCopy takes from its source. */
export const MAX_COPY_SOURCE_SIZE = 5 * 1024 ** 3;

/** What CreateMultipartUpload records for the object that completing the upload creates. */
export interface UploadAttrs {
  /** ARN of the principal that created the upload (Initiator). */
  readonly initiator: string;
  readonly headers: ObjectHeaders;
  readonly storageClass: StorageClass;
  readonly tags: readonly Tag[];
  readonly acl: Acl | null;
  readonly lockMode: LockMode | null;
  readonly lockUntil: number | null;
  readonly legalHold?: boolean;
  readonly checksumAlgorithm?: ChecksumAlgorithm;
  readonly checksumType?: ChecksumType;
}

export interface Upload extends UploadAttrs {
  readonly uploadId: string;
  readonly bucket: string;
  readonly key: string;
  readonly initiated: number; // ms
  readonly owner: string; // account id
}

export interface PartChecksum {
  readonly algorithm: ChecksumAlgorithm;
  readonly value: string; // base64
}

export interface Part {
  readonly partNumber: number;
  readonly size: number;
  readonly etag: string; // hex MD5, without quotes
  readonly lastModified: number; // ms
  readonly extents: readonly Extent[];
  readonly checksum: PartChecksum | null;
}

interface UploadRow {
  upload_id: string;
  bucket: string;
  key: string;
  initiated: number;
  owner: string;
  attrs: string;
}

interface PartRow {
  upload_id: string;
  part_number: number;
  size: number;
  etag: string;
  mtime: number;
  extents: string;
  checksum: string | null;
}

function toUpload(r: UploadRow): Upload {
  return { ...(JSON.parse(r.attrs) as UploadAttrs), uploadId: r.upload_id, bucket: r.bucket, key: r.key, initiated: r.initiated, owner: r.owner };
}

function toPart(r: PartRow): Part {
  return {
    partNumber: r.part_number,
    size: r.size,
    etag: r.etag,
    lastModified: r.mtime,
    extents: JSON.parse(r.extents) as Extent[],
    checksum: r.checksum ? (JSON.parse(r.checksum) as PartChecksum) : null,
  };
}

function noSuchUpload(uploadId: string): S3Error {
  return new S3Error('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId });
}

function checksumTypeMismatch(expected: ChecksumAlgorithm | undefined, actual: ChecksumAlgorithm | undefined): S3Error {
  return new S3Error('InvalidRequest', `Checksum Type mismatch occurred, expected checksum Type: ${expected?.toLowerCase() ?? 'null'}, actual checksum Type: ${actual?.toLowerCase() ?? 'null'}`);
}

/**
 * 48 random bytes in base64url: 64 URL-safe characters, unguessable (an upload id is the only
 * thing standing between a caller and someone else's parts until IAM arrives).
 */
function newUploadId(): string {
  return randomBytes(48).toString('base64url');
}

/** The upload `uploadId` of bucket/key; NoSuchUpload when it is unknown or belongs to another bucket or key. */
export function getUpload(ctx: StoreContext, bucket: string, key: string, uploadId: string): Upload {
  const r = ctx.sql('SELECT * FROM uploads WHERE upload_id = ?').get(uploadId) as UploadRow | undefined;
  if (!r || r.bucket !== bucket || r.key !== key) {
    getBucket(ctx, bucket);
    throw noSuchUpload(uploadId);
  }
  return toUpload(r);
}

export interface CreateUploadInput extends UploadAttrs {
  readonly bucket: string;
  readonly key: string;
  readonly owner: string;
}

export function createUpload(ctx: StoreContext, input: CreateUploadInput): Upload {
  return writeTx(ctx, () => {
    getBucket(ctx, input.bucket);
    const { bucket, key, owner, ...attrs } = input;
    const upload: Upload = { ...attrs, uploadId: newUploadId(), bucket, key, owner, initiated: ctx.now() };
    ctx.sql('INSERT INTO uploads (upload_id, bucket, key, initiated, owner, attrs) VALUES (?, ?, ?, ?, ?, ?)').run(upload.uploadId, bucket, key, upload.initiated, owner, JSON.stringify(attrs));
    return upload;
  });
}

/** Stores a part (inside a transaction), replacing any part with that number and dropping its references. */
function savePart(ctx: StoreContext, uploadId: string, p: Part, unlink: string[]): void {
  const old = ctx.sql('SELECT extents FROM upload_parts WHERE upload_id = ? AND part_number = ?').get(uploadId, p.partNumber) as { extents: string } | undefined;
  if (old) dropRefs(ctx, JSON.parse(old.extents) as Extent[], unlink);
  ctx.sql('INSERT OR REPLACE INTO upload_parts (upload_id, part_number, size, etag, mtime, extents, checksum) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
    uploadId,
    p.partNumber,
    p.size,
    p.etag,
    p.lastModified,
    JSON.stringify(p.extents),
    p.checksum ? JSON.stringify(p.checksum) : null,
  );
}

/**
 * The algorithm a part's checksum is computed with: the upload's (a part that declares another one
 * is refused, as AWS does), else whatever the request declares.
 */
function partAlgorithm(upload: Upload, requested: ChecksumAlgorithm | undefined): ChecksumAlgorithm | undefined {
  if (!upload.checksumAlgorithm) return requested;
  if (requested !== undefined && requested !== upload.checksumAlgorithm) throw checksumTypeMismatch(upload.checksumAlgorithm, requested);
  return upload.checksumAlgorithm;
}

export interface UploadPartInput extends BodyChecks {
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  readonly partNumber: number;
  readonly body: AsyncIterable<Buffer>;
  readonly signal?: AbortSignal;
}

export interface UploadPartResult {
  readonly upload: Upload;
  readonly etag: string;
  readonly checksum: PartChecksum | null;
}

export async function uploadPart(ctx: StoreContext, input: UploadPartInput): Promise<UploadPartResult> {
  const upload = getUpload(ctx, input.bucket, input.key, input.uploadId); // fail before reading the body
  const algorithm = partAlgorithm(upload, input.checksumAlgorithm);
  const body = await storeBody(ctx, input.body, { ...input, checksumAlgorithm: algorithm }, input.signal);
  try {
    const etag = body.md5.toString('hex');
    const checksum = algorithm && body.checksum ? { algorithm, value: body.checksum } : null;
    writeTx(ctx, (unlink) => {
      // The upload may have been completed or aborted while the body streamed in.
      getUpload(ctx, input.bucket, input.key, input.uploadId);
      const extents = insertBlob(ctx, body);
      savePart(ctx, upload.uploadId, { partNumber: input.partNumber, size: body.size, etag, lastModified: ctx.now(), extents, checksum }, unlink);
    });
    return { upload, etag, checksum };
  } catch (e) {
    discardBody(ctx, body);
    throw e;
  }
}

/** The extents covering bytes [start, end] of an extent list (end < start: none). */
export function clipExtents(extents: readonly Extent[], start: number, end: number): Extent[] {
  const out: Extent[] = [];
  let pos = 0;
  for (const [blob, off, len] of extents) {
    if (pos > end) break;
    const a = Math.max(start, pos);
    const b = Math.min(end + 1, pos + len);
    if (a < b) out.push([blob, off + a - pos, b - a]);
    pos += len;
  }
  return out;
}

const RANGE_FORMAT = 'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy';

/** x-amz-copy-source-range: `bytes=first-last` only (no open ends, no suffixes, no lists), inside the source. */
export function parseCopySourceRange(value: string | undefined, size: number): { start: number; end: number } {
  if (value === undefined) return { start: 0, end: size - 1 };
  const m = /^bytes=(\d+)-(\d+)$/.exec(value);
  const details = { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: value };
  if (!m) throw new S3Error('InvalidArgument', RANGE_FORMAT, details);
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (start > end || end >= size) throw new S3Error('InvalidArgument', `Range specified is not valid for source object of size: ${size}`, details);
  return { start, end };
}

export interface UploadPartCopyInput {
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  readonly partNumber: number;
  readonly srcBucket: string;
  readonly srcKey: string;
  readonly srcVersionId?: string;
  /** The raw x-amz-copy-source-range header. */
  readonly range?: string;
  readonly conditions: Conditions;
  readonly signal?: AbortSignal;
}

export interface UploadPartCopyResult {
  readonly upload: Upload;
  readonly etag: string;
  readonly lastModified: number;
  readonly checksum: PartChecksum | null;
  readonly srcVersionId: string;
}

function sourceVersion(ctx: StoreContext, input: UploadPartCopyInput): ObjectVersion {
  try {
    return getVersion(ctx, input.srcBucket, input.srcKey, input.srcVersionId);
  } catch (e) {
    if (e instanceof S3Error && e.code === 'MethodNotAllowed') {
      throw new S3Error('InvalidRequest', 'The source of a copy request may not specifically refer to a delete marker by version id.');
    }
    throw e;
  }
}

/**
 * The source version still exists with the bytes we read. Its seq alone does not say so: an
 * overwrite in a bucket that never had versioning rewrites the row in place (objects.ts
 * commitVersion), and rowids are reused (no AUTOINCREMENT), so a key deleted and uploaded again
 * can come back with the same seq and even the same blob id. Same extents and same ETag (the MD5
 * of the bytes, or of the parts' MD5s) mean the same bytes.
 */
function sourceStillThere(ctx: StoreContext, src: ObjectVersion): boolean {
  return ctx.sql('SELECT 1 FROM versions WHERE seq = ? AND extents IS ? AND etag = ?').get(src.seq, json(src.extents), src.etag) !== undefined;
}

function sourceGone(input: UploadPartCopyInput): S3Error {
  return input.srcVersionId !== undefined
    ? new S3Error('NoSuchVersion', undefined, { Key: input.srcKey, VersionId: input.srcVersionId })
    : new S3Error('NoSuchKey', undefined, { Key: input.srcKey });
}

/**
 * UploadPartCopy without writing bytes: the part's extents are the source's, clipped to the range,
 * with references added. The bytes are still read once, for the part's MD5 (its ETag) and checksum.
 */
export async function uploadPartCopy(ctx: StoreContext, input: UploadPartCopyInput): Promise<UploadPartCopyResult> {
  const upload = getUpload(ctx, input.bucket, input.key, input.uploadId);
  const src = sourceVersion(ctx, input);
  checkConditions(input.conditions, src.etag, src.lastModified, true);
  assertReadable(ctx, src);
  const { start, end } = parseCopySourceRange(input.range, src.size);
  if (end - start + 1 > MAX_COPY_SOURCE_SIZE) {
    throw new S3Error('InvalidRequest', `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_COPY_SOURCE_SIZE}`);
  }
  const extents = clipExtents(src.extents, start, end);
  const md5 = createHash('md5');
  const hasher = upload.checksumAlgorithm ? createHasher(upload.checksumAlgorithm) : undefined;
  const data = readVersion(ctx, src, start, end);
  try {
    if (Buffer.isBuffer(data)) {
      md5.update(data);
      hasher?.update(data);
    } else {
      for await (const c of data) {
        input.signal?.throwIfAborted();
        md5.update(c as Buffer);
        hasher?.update(c as Buffer);
      }
    }
  } catch (e) {
    // A source deleted while we read it can lose its blob files under us.
    if (!sourceStillThere(ctx, src)) throw sourceGone(input);
    throw e;
  }
  const etag = md5.digest('hex');
  const checksum = upload.checksumAlgorithm && hasher ? { algorithm: upload.checksumAlgorithm, value: hasher.digest() } : null;
  const lastModified = writeTx(ctx, (unlink) => {
    getUpload(ctx, input.bucket, input.key, input.uploadId);
    // The source's references keep its blobs alive only while it exists: take ours in the same
    // transaction that checks it still does.
    if (!sourceStillThere(ctx, src)) throw sourceGone(input);
    addRefs(ctx, extents);
    const mtime = ctx.now();
    savePart(ctx, upload.uploadId, { partNumber: input.partNumber, size: end - start + 1, etag, lastModified: mtime, extents, checksum }, unlink);
    return mtime;
  });
  return { upload, etag, lastModified, checksum, srcVersionId: src.versionId };
}

export interface CompletedPartInput {
  readonly partNumber: number;
  /** As the client sent it: quotes are ignored. */
  readonly etag: string;
  readonly checksums: Readonly<Partial<Record<ChecksumAlgorithm, string>>>;
}

export interface CompleteUploadInput {
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  readonly parts: readonly CompletedPartInput[];
  /** x-amz-checksum-type, which must repeat the upload's. */
  readonly checksumType?: ChecksumType;
  /** x-amz-checksum-<alg>: the checksum the client expects the object to get. */
  readonly checksum?: { readonly algorithm: ChecksumAlgorithm; readonly value: string };
  /** x-amz-mp-object-size */
  readonly objectSize?: number;
  readonly ifMatch?: string;
  readonly ifNoneMatch?: string;
}

export interface CompleteUploadResult {
  readonly upload: Upload;
  readonly etag: string;
  readonly versionId: string;
  readonly checksum: Checksum | null;
}

/** The ETag as sent, without its quotes (S3 takes both forms). */
function unquoted(etag: string): string {
  return etag.trim().replace(/^"|"$/g, '');
}

function invalidPart(uploadId: string, p: CompletedPartInput): S3Error {
  return new S3Error('InvalidPart', undefined, { UploadId: uploadId, PartNumber: p.partNumber, ETag: unquoted(p.etag) });
}

/** If-None-Match: * / If-Match: etag on CompleteMultipartUpload, against the key's current object. */
function checkWriteConditions(ctx: StoreContext, bucket: string, key: string, ifMatch?: string, ifNoneMatch?: string): void {
  if (ifMatch === undefined && ifNoneMatch === undefined) return;
  const cur = ctx.sql('SELECT etag, mtime, delete_marker FROM versions WHERE bucket = ? AND key = ? AND latest = 1').get(bucket, key) as { etag: string; mtime: number; delete_marker: number } | undefined;
  const exists = cur !== undefined && cur.delete_marker === 0;
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*') throw new S3Error('NotImplemented', 'We don\'t accept the provided value of If-None-Match header for this API', { Header: 'If-None-Match' });
    if (exists) throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-None-Match' });
  }
  if (ifMatch !== undefined) {
    if (!exists) throw new S3Error('NoSuchKey', undefined, { Key: key });
    checkConditions({ ifMatch }, cur.etag, cur.mtime);
  }
}

/** Part numbers ascend strictly; with a checksum algorithm they also run 1, 2, 3 … without gaps (AWS's rule). */
function checkPartOrder(upload: Upload, parts: readonly CompletedPartInput[]): void {
  for (let i = 0; i < parts.length; i++) {
    const n = parts[i]!.partNumber;
    const ordered = i === 0 || n > parts[i - 1]!.partNumber;
    const consecutive = !upload.checksumAlgorithm || n === i + 1;
    if (!ordered || !consecutive) throw new S3Error('InvalidPartOrder', undefined, { UploadId: upload.uploadId });
  }
}

/** The checksums a completed-part entry carries must be the stored part's; with an upload algorithm, one is required. */
function checkPartChecksum(upload: Upload, stored: Part, p: CompletedPartInput): void {
  const given = Object.entries(p.checksums) as [ChecksumAlgorithm, string][];
  const alg = upload.checksumAlgorithm;
  if (alg) {
    if (given.length === 0) {
      throw new S3Error('InvalidRequest', `The upload was created using a ${alg.toLowerCase()} checksum. The complete request must include the checksum for each part. It was missing for part ${p.partNumber} in the request.`);
    }
    if (given.length > 1 || p.checksums[alg] !== stored.checksum?.value) throw invalidPart(upload.uploadId, p);
    return;
  }
  for (const [a, v] of given) {
    if (stored.checksum?.algorithm !== a || stored.checksum.value !== v) throw invalidPart(upload.uploadId, p);
  }
}

function objectChecksum(upload: Upload, parts: readonly Part[]): Checksum | null {
  const alg = upload.checksumAlgorithm;
  if (!alg || !upload.checksumType) return null;
  const values = parts.map((p) => p.checksum!.value);
  const value =
    upload.checksumType === 'COMPOSITE'
      ? compositeChecksum(alg, values)
      : combineCrc(alg as CrcAlgorithm, parts.map((p) => ({ checksum: p.checksum!.value, length: p.size })));
  return { algorithm: alg, value, type: upload.checksumType };
}

/** md5 of the concatenated binary part MD5s, then `-N`: S3's multipart ETag. */
function multipartEtag(parts: readonly Part[]): string {
  const md5 = createHash('md5');
  for (const p of parts) md5.update(Buffer.from(p.etag, 'hex'));
  return `${md5.digest('hex')}-${parts.length}`;
}

/**
 * Completes an upload in one transaction: validates the list, commits the version whose extents are
 * the listed parts' (their references move to it), drops the unlisted parts' references and removes
 * the upload. A refused request leaves the upload as it was.
 */
export function completeUpload(ctx: StoreContext, input: CompleteUploadInput): CompleteUploadResult {
  return writeTx(ctx, (unlink) => {
    const upload = getUpload(ctx, input.bucket, input.key, input.uploadId);
    const bucket = getBucket(ctx, input.bucket);
    checkWriteConditions(ctx, input.bucket, input.key, input.ifMatch, input.ifNoneMatch);
    const alg = upload.checksumAlgorithm;
    if (input.checksumType !== undefined && input.checksumType !== upload.checksumType) {
      throw new S3Error('BadDigest', `The upload was created using the ${upload.checksumType ?? 'null'} checksum mode. The complete request must use the same checksum mode.`);
    }
    if (input.checksum && input.checksum.algorithm !== alg) throw checksumTypeMismatch(alg, input.checksum.algorithm);
    checkPartOrder(upload, input.parts);

    const rows = ctx.sql('SELECT * FROM upload_parts WHERE upload_id = ? ORDER BY part_number').all(upload.uploadId) as PartRow[];
    const stored = new Map(rows.map((r) => [r.part_number, toPart(r)]));
    const chosen = input.parts.map((p) => {
      const s = stored.get(p.partNumber);
      if (!s || s.etag !== unquoted(p.etag).toLowerCase()) throw invalidPart(upload.uploadId, p);
      checkPartChecksum(upload, s, p);
      return s;
    });
    for (let i = 0; i < chosen.length - 1; i++) {
      const s = chosen[i]!;
      if (s.size < MIN_PART_SIZE) {
        throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', { ProposedSize: s.size, MinSizeAllowed: MIN_PART_SIZE, PartNumber: s.partNumber, ETag: s.etag });
      }
    }
    const size = chosen.reduce((n, p) => n + p.size, 0);
    if (input.objectSize !== undefined && input.objectSize !== size) {
      throw new S3Error('InvalidRequest', `The provided 'x-amz-mp-object-size' header value ${input.objectSize} does not match what was computed: ${size}`);
    }
    const checksum = objectChecksum(upload, chosen);
    if (input.checksum && checksum && input.checksum.value !== checksum.value && `${input.checksum.value}-${chosen.length}` !== checksum.value) {
      throw new S3Error('BadDigest', `The ${input.checksum.algorithm} you specified did not match the calculated checksum.`);
    }
    const etag = multipartEtag(chosen);
    const parts: PartInfo[] = chosen.map((p) => ({ size: p.size, etag: p.etag, checksum: alg ? p.checksum?.value : undefined }));
    const { versionId } = commitVersion(
      ctx,
      bucket,
      input.key,
      {
        owner: upload.owner,
        headers: upload.headers,
        storageClass: upload.storageClass,
        tags: upload.tags,
        acl: upload.acl,
        lockMode: upload.lockMode,
        lockUntil: upload.lockUntil,
        legalHold: upload.legalHold,
        size,
        etag,
        extents: chosen.flatMap((p) => p.extents),
        parts,
        checksum,
      },
      unlink,
    );
    // S3 dates a multipart object from the start of its upload, not from its completion.
    ctx.sql('UPDATE versions SET mtime = ? WHERE bucket = ? AND key = ? AND version_id = ?').run(upload.initiated, input.bucket, input.key, versionId);
    const used = new Set(chosen.map((p) => p.partNumber));
    for (const p of stored.values()) if (!used.has(p.partNumber)) dropRefs(ctx, p.extents, unlink);
    removeUploadRows(ctx, upload.uploadId);
    return { upload, etag, versionId, checksum };
  });
}

function removeUploadRows(ctx: StoreContext, uploadId: string): void {
  ctx.sql('DELETE FROM upload_parts WHERE upload_id = ?').run(uploadId);
  ctx.sql('DELETE FROM uploads WHERE upload_id = ?').run(uploadId);
}

/** Drops every part's references and removes the upload (inside a transaction). */
function discardUpload(ctx: StoreContext, uploadId: string, unlink: string[]): void {
  const rows = ctx.sql('SELECT extents FROM upload_parts WHERE upload_id = ?').all(uploadId) as { extents: string }[];
  for (const r of rows) dropRefs(ctx, JSON.parse(r.extents) as Extent[], unlink);
  removeUploadRows(ctx, uploadId);
}

export function abortUpload(ctx: StoreContext, bucket: string, key: string, uploadId: string): void {
  writeTx(ctx, (unlink) => {
    getUpload(ctx, bucket, key, uploadId);
    discardUpload(ctx, uploadId, unlink);
  });
}

/**
 * Discards every upload in progress in a bucket (inside a transaction), for DeleteBucket: S3 deletes
 * a bucket that holds no objects even while uploads are in progress, and their parts go with it.
 */
export function discardBucketUploads(ctx: StoreContext, bucket: string, unlink: string[]): void {
  const ids = ctx.sql('SELECT upload_id FROM uploads WHERE bucket = ?').pluck().all(bucket) as string[];
  for (const id of ids) discardUpload(ctx, id, unlink);
}

export interface ListPartsInput {
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  /** Parts after this number. */
  readonly marker: number;
  readonly maxParts: number;
}

export interface ListPartsResult {
  readonly upload: Upload;
  readonly parts: Part[];
  readonly isTruncated: boolean;
}

export function listParts(ctx: StoreContext, input: ListPartsInput): ListPartsResult {
  return ctx.db.transaction(() => {
    const upload = getUpload(ctx, input.bucket, input.key, input.uploadId);
    const rows = ctx.sql('SELECT * FROM upload_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?').all(upload.uploadId, input.marker, input.maxParts + 1) as PartRow[];
    const isTruncated = rows.length > input.maxParts;
    return { upload, parts: rows.slice(0, input.maxParts).map(toPart), isTruncated };
  })();
}

export interface ListUploadsInput {
  readonly bucket: string;
  readonly prefix: string;
  readonly delimiter: string;
  readonly keyMarker: string;
  /** Used only with keyMarker: continue after this upload of that key. */
  readonly uploadIdMarker: string;
  readonly maxUploads: number;
}

export interface ListUploadsResult {
  readonly uploads: Upload[];
  readonly commonPrefixes: string[];
  readonly isTruncated: boolean;
  /** The last key or common prefix returned, and the last upload id (empty after a prefix). */
  readonly nextKeyMarker: string;
  readonly nextUploadIdMarker: string;
}

/** The smallest string greater than every string that starts with `p`. */
function prefixEnd(p: string): string {
  const cps = Array.from(p);
  const last = cps.pop()!.codePointAt(0)!;
  return cps.join('') + String.fromCodePoint(last + 1);
}

const LIST_BATCH = 500;

/**
 * ListMultipartUploads: keys in UTF-8 binary order, each key's uploads oldest first. A common prefix
 * counts as one entry and is skipped with one seek past it; one the key marker lies inside was
 * returned on an earlier page and is skipped.
 */
export function listUploads(ctx: StoreContext, input: ListUploadsInput): ListUploadsResult {
  return ctx.db.transaction(() => {
    getBucket(ctx, input.bucket);
    const uploads: Upload[] = [];
    const prefixes: string[] = [];
    let nextKeyMarker = '';
    let nextUploadIdMarker = '';
    let isTruncated = false;
    if (input.maxUploads === 0) return { uploads, commonPrefixes: prefixes, isTruncated, nextKeyMarker, nextUploadIdMarker };
    // Cursor (key, initiated, upload id): rows strictly after it come next.
    let cursor: [string, number, string] = [input.prefix, -1, ''];
    if (input.keyMarker !== '' && input.keyMarker >= input.prefix) {
      const marker = input.uploadIdMarker !== '' ? (ctx.sql('SELECT initiated FROM uploads WHERE upload_id = ? AND bucket = ? AND key = ?').get(input.uploadIdMarker, input.bucket, input.keyMarker) as { initiated: number } | undefined) : undefined;
      cursor = marker ? [input.keyMarker, marker.initiated, input.uploadIdMarker] : [input.keyMarker, Number.MAX_SAFE_INTEGER, ''];
    }
    const scan = ctx.sql('SELECT * FROM uploads WHERE bucket = ? AND (key, initiated, upload_id) > (?, ?, ?) ORDER BY key, initiated, upload_id LIMIT ?');
    scanning: for (;;) {
      const rows = scan.all(input.bucket, cursor[0], cursor[1], cursor[2], LIST_BATCH) as UploadRow[];
      let reseek = false;
      for (const r of rows) {
        if (!r.key.startsWith(input.prefix)) break scanning; // past the prefix: keys are sorted
        const at = input.delimiter ? r.key.indexOf(input.delimiter, input.prefix.length) : -1;
        if (at >= 0) {
          const cp = r.key.slice(0, at + input.delimiter.length);
          if (!input.keyMarker.startsWith(cp)) {
            if (uploads.length + prefixes.length === input.maxUploads) {
              isTruncated = true;
              break scanning;
            }
            prefixes.push(cp);
            nextKeyMarker = cp;
            nextUploadIdMarker = '';
          }
          cursor = [prefixEnd(cp), -1, ''];
          reseek = true;
          break;
        }
        if (uploads.length + prefixes.length === input.maxUploads) {
          isTruncated = true;
          break scanning;
        }
        uploads.push(toUpload(r));
        nextKeyMarker = r.key;
        nextUploadIdMarker = r.upload_id;
        cursor = [r.key, r.initiated, r.upload_id];
      }
      if (!reseek && rows.length < LIST_BATCH) break;
    }
    return { uploads, commonPrefixes: prefixes, isTruncated, nextKeyMarker, nextUploadIdMarker };
  })();
}
