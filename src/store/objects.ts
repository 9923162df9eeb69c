/**
 * Objects: put, get, head, delete (with versioning and delete markers) and copy.
 *
 * A write first stores the bytes (inline or as a file, see blobs.ts), then commits the version in
 * one SQLite transaction; the object becomes visible only at that commit. A copy adds references
 * to the source's blobs and writes no bytes.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { S3Error } from '../errors.js';
import { getBucket, getBucketConfig } from './buckets.js';
import { createHasher, type ChecksumAlgorithm, type Hasher } from './checksums.js';
import { checkConditions, type Conditions } from './conditions.js';
import { addRefs, commitBatched, dropRefs, VERSION_COLUMNS, versionRowOf, isValidVersionId, json, newVersionId, toVersion, writeTx, type StoreContext, type VersionRow } from './context.js';
import type { Acl, Bucket, Checksum, Extent, LockMode, ObjectHeaders, ObjectVersion, PartInfo, StorageClass, Tag } from './types.js';
import { isArchived } from './types.js';

/** What a new version carries besides its bytes. */
export interface VersionFields {
  readonly owner: string;
  readonly headers: ObjectHeaders;
  readonly storageClass: StorageClass;
  readonly tags: readonly Tag[];
  readonly acl: Acl | null;
  readonly lockMode?: LockMode | null;
  readonly lockUntil?: number | null;
  readonly legalHold?: boolean;
}

export interface StoredBody {
  readonly size: number;
  readonly md5: Buffer;
  readonly checksum?: string; // base64 of the requested algorithm
  readonly data?: Buffer;
  readonly file?: string;
}

export interface BodyChecks {
  /** base64 Content-MD5 the client sent. */
  readonly contentMd5?: string;
  readonly checksumAlgorithm?: ChecksumAlgorithm;
  /** The checksum value the client sent; a function when it arrives in a trailer after the body. */
  readonly checksumValue?: string | (() => string | undefined);
}

/** Reads a body into inline data or a blob file, computing MD5 and the requested checksum, and verifies both. */
export async function storeBody(ctx: StoreContext, body: AsyncIterable<Buffer>, checks: BodyChecks, signal?: AbortSignal): Promise<StoredBody> {
  const md5 = createHash('md5');
  const hasher: Hasher | undefined = checks.checksumAlgorithm ? createHasher(checks.checksumAlgorithm) : undefined;
  const ingested = await ctx.blobs.ingest(
    body,
    hasher
      ? (c) => {
          md5.update(c);
          hasher.update(c);
        }
      : (c) => md5.update(c),
    signal,
  );
  const digest = md5.digest();
  const checksum = hasher?.digest();
  try {
    if (checks.contentMd5 !== undefined && digest.toString('base64') !== checks.contentMd5) {
      throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.');
    }
    const expected = typeof checks.checksumValue === 'function' ? checks.checksumValue() : checks.checksumValue;
    if (expected !== undefined && checksum !== expected) {
      throw new S3Error('BadDigest', `The ${checks.checksumAlgorithm} you specified did not match the calculated checksum.`);
    }
  } catch (e) {
    if (ingested.file) ctx.blobs.remove(ingested.file);
    throw e;
  }
  return { size: ingested.size, md5: digest, checksum, data: ingested.data, file: ingested.file };
}

/** Inserts the blob row for a stored body (inside a transaction). Empty bodies have no extent. */
export function insertBlob(ctx: StoreContext, body: StoredBody): Extent[] {
  if (body.size === 0) return [];
  const r = body.file
    ? ctx.sql('INSERT INTO blobs (refs, size, file) VALUES (1, ?, ?)').run(body.size, body.file)
    : ctx.sql('INSERT INTO blobs (refs, size, data) VALUES (1, ?, ?)').run(body.size, body.data);
  return [[Number(r.lastInsertRowid), 0, body.size]];
}

/** Removes a stored body whose version was never committed. */
export function discardBody(ctx: StoreContext, body: StoredBody): void {
  if (body.file) ctx.blobs.remove(body.file);
}

function latestRow(ctx: StoreContext, bucket: string, key: string): VersionRow | undefined {
  return versionRowOf(ctx.rawSql(`SELECT ${VERSION_COLUMNS} FROM versions WHERE bucket = ? AND key = ? AND latest = 1`).get(bucket, key) as unknown[] | undefined);
}

function versionRow(ctx: StoreContext, bucket: string, key: string, versionId: string): VersionRow | undefined {
  return versionRowOf(ctx.rawSql(`SELECT ${VERSION_COLUMNS} FROM versions WHERE bucket = ? AND key = ? AND version_id = ?`).get(bucket, key, versionId) as unknown[] | undefined);
}

export interface NewVersion extends VersionFields {
  readonly size: number;
  readonly etag: string;
  readonly extents: readonly Extent[];
  readonly parts?: readonly PartInfo[] | null;
  readonly checksum?: Checksum | null;
  readonly deleteMarker?: boolean;
}

/** Applies the bucket's default retention when the request set none. */
function withDefaultRetention(ctx: StoreContext, bucket: Bucket, v: NewVersion): NewVersion {
  if (!bucket.objectLock || v.lockMode || v.deleteMarker) return v;
  const cfg = getBucketConfig<{ rule?: { mode: LockMode; days?: number; years?: number } }>(ctx, bucket.name, 'object-lock');
  const rule = cfg?.rule;
  if (!rule) return v;
  const until = new Date(ctx.now());
  if (rule.days) until.setUTCDate(until.getUTCDate() + rule.days);
  if (rule.years) until.setUTCFullYear(until.getUTCFullYear() + rule.years);
  return { ...v, lockMode: rule.mode, lockUntil: until.getTime() };
}

/**
 * Commits a new current version of bucket/key (inside a transaction). In a versioned bucket it gets
 * a fresh id; otherwise it replaces the 'null' version, whose blobs lose a reference.
 */
export function commitVersion(ctx: StoreContext, bucket: Bucket, key: string, input: NewVersion, unlink: string[]): { versionId: string; mtime: number } {
  const v = withDefaultRetention(ctx, bucket, input);
  const versionId = bucket.versioning === 'Enabled' ? newVersionId() : 'null';
  if (versionId === 'null') {
    const old = ctx.sql("DELETE FROM versions WHERE bucket = ? AND key = ? AND version_id = 'null' RETURNING extents").get(bucket.name, key) as { extents: string | null } | undefined;
    if (old?.extents) dropRefs(ctx, JSON.parse(old.extents) as Extent[], unlink);
  }
  // A bucket that never had versioning holds only 'null' versions, just replaced: nothing to demote.
  if (bucket.versioning !== '') ctx.sql('UPDATE versions SET latest = 0 WHERE bucket = ? AND key = ? AND latest = 1').run(bucket.name, key);
  const mtime = ctx.now();
  ctx.sql(
    `INSERT INTO versions (bucket, key, version_id, latest, delete_marker, size, etag, mtime, storage_class, owner, headers, extents, parts, checksum, tags, acl, lock_mode, lock_until, legal_hold)
     VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    bucket.name,
    key,
    versionId,
    v.deleteMarker ? 1 : 0,
    v.size,
    v.etag,
    mtime,
    v.storageClass,
    v.owner,
    v.deleteMarker ? null : JSON.stringify(v.headers),
    json(v.extents),
    json(v.parts ?? null),
    json(v.checksum ?? null),
    json(v.tags),
    json(v.acl),
    v.lockMode ?? null,
    v.lockUntil ?? null,
    v.legalHold ? 1 : 0,
  );
  return { versionId, mtime };
}

export interface PutObjectInput extends VersionFields, BodyChecks {
  readonly bucket: string;
  readonly key: string;
  readonly body: AsyncIterable<Buffer>;
  /** Conditional write: If-None-Match: * or If-Match: etag. */
  readonly ifNoneMatch?: string;
  readonly ifMatch?: string;
  readonly signal?: AbortSignal;
}

export interface PutObjectResult {
  readonly etag: string;
  readonly versionId: string;
  readonly checksum?: string;
  readonly size: number;
}

function checkWriteConditions(ctx: StoreContext, bucket: string, key: string, ifMatch?: string, ifNoneMatch?: string): void {
  if (ifMatch === undefined && ifNoneMatch === undefined) return;
  const cur = latestRow(ctx, bucket, key);
  const exists = cur !== undefined && cur.delete_marker === 0;
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*') throw new S3Error('NotImplemented', 'If-None-Match on writes supports only *');
    if (exists) throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-None-Match' });
  }
  if (ifMatch !== undefined) {
    if (!exists) throw new S3Error('NoSuchKey', undefined, { Key: key });
    checkConditions({ ifMatch }, cur.etag, cur.mtime);
  }
}

export async function putObject(ctx: StoreContext, input: PutObjectInput): Promise<PutObjectResult> {
  getBucket(ctx, input.bucket); // fail before reading the body
  checkWriteConditions(ctx, input.bucket, input.key, input.ifMatch, input.ifNoneMatch);
  const body = await storeBody(ctx, input.body, input, input.signal);
  try {
    const etag = body.md5.toString('hex');
    const checksum: Checksum | null = input.checksumAlgorithm && body.checksum ? { algorithm: input.checksumAlgorithm, value: body.checksum, type: 'FULL_OBJECT' } : null;
    const { versionId } = await commitBatched(ctx, () =>
      writeTx(ctx, (unlink) => {
        const bucket = getBucket(ctx, input.bucket);
        checkWriteConditions(ctx, input.bucket, input.key, input.ifMatch, input.ifNoneMatch);
        const extents = insertBlob(ctx, body);
        return commitVersion(ctx, bucket, input.key, { ...input, size: body.size, etag, extents, checksum }, unlink);
      }),
    );
    return { etag, versionId, checksum: body.checksum, size: body.size };
  } catch (e) {
    discardBody(ctx, body);
    throw e;
  }
}

/**
 * The version a GET/HEAD addresses. A current delete marker answers NoSuchKey, a delete marker
 * addressed by id MethodNotAllowed, both with x-amz-delete-marker: true.
 */
export function getVersion(ctx: StoreContext, bucket: string, key: string, versionId?: string): ObjectVersion {
  if (versionId !== undefined) {
    if (!isValidVersionId(versionId)) throw new S3Error('InvalidArgument', 'Invalid version id specified', { ArgumentName: 'versionId', ArgumentValue: versionId });
    const r = versionRow(ctx, bucket, key, versionId);
    if (!r) {
      getBucket(ctx, bucket);
      throw new S3Error('NoSuchVersion', undefined, { Key: key, VersionId: versionId });
    }
    if (r.delete_marker) {
      throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', { Method: 'GET', ResourceType: 'DeleteMarker' }, { 'x-amz-delete-marker': 'true', 'x-amz-version-id': r.version_id, 'last-modified': new Date(r.mtime).toUTCString() });
    }
    return toVersion(r);
  }
  const r = latestRow(ctx, bucket, key);
  if (!r || r.delete_marker) {
    if (!r) getBucket(ctx, bucket);
    const headers: Record<string, string> = r ? { 'x-amz-delete-marker': 'true', 'x-amz-version-id': r.version_id } : {};
    throw new S3Error('NoSuchKey', undefined, { Key: key }, headers);
  }
  return toVersion(r);
}

/** Archived objects (GLACIER, DEEP_ARCHIVE) are readable only while a restored copy exists. */
export function assertReadable(ctx: StoreContext, v: ObjectVersion): void {
  if (!isArchived(v.storageClass)) return;
  const now = ctx.now();
  if (v.restore && v.restore.readyAt <= now && v.restore.expiresAt > now) return;
  throw new S3Error('InvalidObjectState', 'The operation is not valid for the object\'s storage class', { StorageClass: v.storageClass });
}

/** The bytes [start, end] of a version, as one Buffer when they are all inline, else as a stream. */
export function readVersion(ctx: StoreContext, v: ObjectVersion, start = 0, end = v.size - 1): Buffer | Readable {
  if (end < start) return Buffer.alloc(0);
  const pieces: (Buffer | { file: string; offset: number; length: number })[] = [];
  let pos = 0;
  let allInline = true;
  for (const [blob, off, len] of v.extents) {
    const a = Math.max(start, pos);
    const b = Math.min(end + 1, pos + len);
    if (a < b) {
      const row = ctx.sql('SELECT file, data FROM blobs WHERE id = ?').get(blob) as { file: string | null; data: Buffer | null } | undefined;
      if (!row) throw new S3Error('InternalError', `blob ${blob} of ${v.bucket}/${v.key} is missing`);
      if (row.data) pieces.push(row.data.subarray(off + a - pos, off + b - pos));
      else {
        allInline = false;
        pieces.push({ file: row.file!, offset: off + a - pos, length: b - a });
      }
    }
    pos += len;
    if (pos > end) break;
  }
  if (allInline) return pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces as Buffer[]);
  // Open files now, synchronously with the metadata read, so a concurrent delete cannot unlink a
  // blob before the stream starts.
  const sources = pieces.map((p) => (Buffer.isBuffer(p) ? p : ctx.blobs.read(p.file, p.offset, p.length)));
  return Readable.from(
    (async function* () {
      for (const s of sources) {
        if (Buffer.isBuffer(s)) yield s;
        else for await (const c of s) yield c as Buffer;
      }
    })(),
    { objectMode: false },
  );
}

export interface DeleteObjectInput {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly owner: string;
  /** x-amz-bypass-governance-retention was sent and the caller may use it. */
  readonly bypassGovernance?: boolean;
}

export interface DeleteObjectResult {
  readonly versionId?: string;
  readonly deleteMarker: boolean;
}

/** Throws AccessDenied when object lock protects this version from deletion or overwrite. */
export function assertNotLocked(ctx: StoreContext, v: { lockMode: string | null; lockUntil: number | null; legalHold: boolean }, bypassGovernance: boolean): void {
  if (v.legalHold) throw new S3Error('AccessDenied', 'Access Denied because object protected by object lock.');
  if (v.lockMode && v.lockUntil !== null && v.lockUntil > ctx.now()) {
    if (v.lockMode === 'COMPLIANCE' || !bypassGovernance) throw new S3Error('AccessDenied', 'Access Denied because object protected by object lock.');
  }
}

export function deleteObject(ctx: StoreContext, input: DeleteObjectInput): DeleteObjectResult {
  return writeTx(ctx, (unlink) => {
    const bucket = getBucket(ctx, input.bucket);
    if (input.versionId !== undefined) {
      if (!isValidVersionId(input.versionId)) throw new S3Error('InvalidArgument', 'Invalid version id specified', { ArgumentName: 'versionId', ArgumentValue: input.versionId });
      const r = versionRow(ctx, input.bucket, input.key, input.versionId);
      if (!r) return { versionId: input.versionId, deleteMarker: false };
      if (!r.delete_marker) assertNotLocked(ctx, { lockMode: r.lock_mode, lockUntil: r.lock_until, legalHold: r.legal_hold === 1 }, input.bypassGovernance === true);
      removeVersionRow(ctx, r, unlink);
      return { versionId: r.version_id, deleteMarker: r.delete_marker === 1 };
    }
    if (bucket.versioning === '') {
      const r = latestRow(ctx, input.bucket, input.key);
      if (r) removeVersionRow(ctx, r, unlink);
      return { deleteMarker: false };
    }
    const { versionId } = commitVersion(ctx, bucket, input.key, { owner: input.owner, headers: { meta: {} }, storageClass: 'STANDARD', tags: [], acl: null, size: 0, etag: '', extents: [], deleteMarker: true }, unlink);
    return { versionId, deleteMarker: true };
  });
}

/** Deletes one version row, promotes the next newest to current if needed, and drops blob references. */
export function removeVersionRow(ctx: StoreContext, r: VersionRow, unlink: string[]): void {
  ctx.sql('DELETE FROM versions WHERE seq = ?').run(r.seq);
  if (r.extents) dropRefs(ctx, JSON.parse(r.extents) as Extent[], unlink);
  if (r.latest) {
    ctx.sql('UPDATE versions SET latest = 1 WHERE seq = (SELECT seq FROM versions WHERE bucket = ? AND key = ? ORDER BY seq DESC LIMIT 1)').run(r.bucket, r.key);
  }
}

export interface CopyObjectInput extends VersionFields {
  readonly srcBucket: string;
  readonly srcKey: string;
  readonly srcVersionId?: string;
  readonly bucket: string;
  readonly key: string;
  readonly conditions: Conditions;
  /** The request changes something besides the location (metadata, storage class, …). */
  readonly changesSomething: boolean;
  readonly metadataDirective: 'COPY' | 'REPLACE';
  readonly taggingDirective: 'COPY' | 'REPLACE';
}

export interface CopyObjectResult {
  readonly etag: string;
  readonly lastModified: number;
  readonly versionId: string;
  readonly srcVersionId: string;
  readonly checksum: Checksum | null;
}

/** Copies a version inside the store: new metadata, the same blobs (no bytes written). */
export function copyObject(ctx: StoreContext, input: CopyObjectInput): CopyObjectResult {
  return writeTx(ctx, (unlink) => {
    const src = getVersion(ctx, input.srcBucket, input.srcKey, input.srcVersionId);
    const dst = getBucket(ctx, input.bucket);
    checkConditions(input.conditions, src.etag, src.lastModified, true);
    assertReadable(ctx, src);
    if (input.srcBucket === input.bucket && input.srcKey === input.key && !input.changesSomething && input.srcVersionId === undefined) {
      throw new S3Error('InvalidRequest', 'This copy request is illegal because it is trying to copy an object to itself without changing the object\'s metadata, storage class, website redirect location or encryption attributes.');
    }
    addRefs(ctx, src.extents);
    const headers = input.metadataDirective === 'COPY' ? src.headers : input.headers;
    const tags = input.taggingDirective === 'COPY' ? src.tags : input.tags;
    const { versionId, mtime } = commitVersion(
      ctx,
      dst,
      input.key,
      { ...input, headers, tags, size: src.size, etag: src.etag, extents: src.extents, parts: src.parts, checksum: src.checksum },
      unlink,
    );
    return { etag: src.etag, lastModified: mtime, versionId, srcVersionId: src.versionId, checksum: src.checksum };
  });
}
