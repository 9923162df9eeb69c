/**
 * Object sub-resources stored on a version row: tags, ACL, object lock (retention + legal hold) and
 * the restore state of archived objects. Each write updates the addressed version in place inside
 * one write transaction; none creates a new version (as in S3, where changing tags or a retention
 * does not change an object's version id or Last-Modified).
 *
 * Addressing follows S3: a version id names one version; without it the current version is meant.
 * A delete marker has no sub-resources: reads of a current delete marker answer NoSuchKey (like
 * GET), everything else addressing a delete marker answers MethodNotAllowed 405.
 */
import { S3Error } from '../errors.js';
import { getBucket } from './buckets.js';
import { isValidVersionId, json, toVersion, writeTx, type StoreContext, type VersionRow } from './context.js';
import type { Acl, Bucket, LockMode, ObjectVersion, RestoreState, Tag } from './types.js';
import { isArchived } from './types.js';

/**
 * The `legal_hold` column. S3 tells "never set" (GetObjectLegalHold → NoSuchObjectLockConfiguration)
 * from "set to OFF" (→ Status OFF), so the column has three states; readers elsewhere test `= 1`.
 */
export const LegalHoldColumn = { Unset: 0, On: 1, Off: 2 } as const;

export type RestoreTier = RestoreState['tier'];

const DAY_MS = 86_400_000;

/** What the request does to the version: read it, or change it. Changes to a delete marker are refused even when it is current. */
type Access = { readonly method: string; readonly write: boolean };

export function deleteMarkerError(r: Pick<VersionRow, 'version_id' | 'mtime'>, method: string): S3Error {
  return new S3Error(
    'MethodNotAllowed',
    'The specified method is not allowed against this resource.',
    { Method: method, ResourceType: 'DeleteMarker' },
    { 'x-amz-delete-marker': 'true', 'x-amz-version-id': r.version_id, 'last-modified': new Date(r.mtime).toUTCString() },
  );
}

/** The version row a sub-resource request addresses (inside the caller's transaction when it writes). */
export function addressedRow(ctx: StoreContext, bucket: string, key: string, versionId: string | undefined, access: Access): VersionRow {
  if (versionId !== undefined) {
    if (!isValidVersionId(versionId)) throw new S3Error('InvalidArgument', 'Invalid version id specified', { ArgumentName: 'versionId', ArgumentValue: versionId });
    const r = ctx.sql('SELECT * FROM versions WHERE bucket = ? AND key = ? AND version_id = ?').get(bucket, key, versionId) as VersionRow | undefined;
    if (!r) {
      getBucket(ctx, bucket);
      throw new S3Error('NoSuchVersion', undefined, { Key: key, VersionId: versionId });
    }
    if (r.delete_marker) throw deleteMarkerError(r, access.method);
    return r;
  }
  const r = ctx.sql('SELECT * FROM versions WHERE bucket = ? AND key = ? AND latest = 1').get(bucket, key) as VersionRow | undefined;
  if (!r) {
    getBucket(ctx, bucket);
    throw new S3Error('NoSuchKey', undefined, { Key: key });
  }
  if (r.delete_marker) {
    if (access.write) throw deleteMarkerError(r, access.method);
    throw new S3Error('NoSuchKey', undefined, { Key: key }, { 'x-amz-delete-marker': 'true', 'x-amz-version-id': r.version_id });
  }
  return r;
}

export interface VersionAddress {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
}

/** The addressed version, for sub-resource reads (tags, ACL, retention, legal hold, attributes). */
export function getAddressedVersion(ctx: StoreContext, a: VersionAddress, method = 'GET'): ObjectVersion {
  return toVersion(addressedRow(ctx, a.bucket, a.key, a.versionId, { method, write: false }));
}

/** Runs `change` on the addressed version inside a write transaction; returns the version id changed. */
function updateVersion(ctx: StoreContext, a: VersionAddress, method: string, change: (r: VersionRow, bucket: Bucket) => void): string {
  return writeTx(ctx, () => {
    const bucket = getBucket(ctx, a.bucket);
    const r = addressedRow(ctx, a.bucket, a.key, a.versionId, { method, write: true });
    change(r, bucket);
    return r.version_id;
  });
}

// ---------------------------------------------------------------------------------------------
// Tags and ACL

/** Replaces the tag set (an empty set deletes it). Returns the version id. */
export function putObjectTags(ctx: StoreContext, a: VersionAddress, tags: readonly Tag[], method = 'PUT'): string {
  return updateVersion(ctx, a, method, (r) => {
    ctx.sql('UPDATE versions SET tags = ? WHERE seq = ?').run(json(tags), r.seq);
  });
}

/**
 * Replaces the ACL. `build` receives the version's owner (account id) so the caller can resolve
 * canned ACLs and check the policy's Owner against it; null means the default (owner FULL_CONTROL).
 */
export function putObjectAcl(ctx: StoreContext, a: VersionAddress, build: (ownerAccountId: string) => Acl | null): string {
  return updateVersion(ctx, a, 'PUT', (r) => {
    ctx.sql('UPDATE versions SET acl = ? WHERE seq = ?').run(json(build(r.owner)), r.seq);
  });
}

// ---------------------------------------------------------------------------------------------
// Object lock

function assertBucketLock(bucket: Bucket): void {
  if (!bucket.objectLock) throw new S3Error('InvalidRequest', 'Bucket is missing Object Lock Configuration');
}

export interface LockState {
  readonly version: ObjectVersion;
  /** ON / OFF once a legal hold was ever set on the version, undefined before. */
  readonly legalHold: 'ON' | 'OFF' | undefined;
}

/** Reads of retention and legal hold: the bucket must have Object Lock, then the version is addressed. */
export function getObjectLock(ctx: StoreContext, a: VersionAddress): LockState {
  assertBucketLock(getBucket(ctx, a.bucket));
  const r = addressedRow(ctx, a.bucket, a.key, a.versionId, { method: 'GET', write: false });
  const legalHold = r.legal_hold === LegalHoldColumn.On ? 'ON' : r.legal_hold === LegalHoldColumn.Off ? 'OFF' : undefined;
  return { version: toVersion(r), legalHold };
}

export interface Retention {
  readonly mode: LockMode;
  readonly until: number; // ms
}

const lockDenied = (): S3Error => new S3Error('AccessDenied', 'Access Denied because object protected by object lock.');

/**
 * Sets (or, with null, removes) a version's retention. While a retention is in force:
 * COMPLIANCE can only be kept or lengthened, never shortened, removed or switched to GOVERNANCE;
 * GOVERNANCE can be lengthened freely, and shortened, removed or switched to COMPLIANCE only with
 * `bypassGovernance` (x-amz-bypass-governance-retention: true). An expired retention is replaced freely.
 */
export function putObjectRetention(ctx: StoreContext, a: VersionAddress, retention: Retention | null, bypassGovernance: boolean): string {
  return updateVersion(ctx, a, 'PUT', (r, bucket) => {
    assertBucketLock(bucket);
    const now = ctx.now();
    if (retention && retention.until <= now) {
      throw new S3Error('InvalidArgument', 'The retain until date must be in the future!', { ArgumentName: 'RetainUntilDate', ArgumentValue: new Date(retention.until).toISOString() });
    }
    const inForce = r.lock_mode !== null && r.lock_until !== null && r.lock_until > now;
    if (inForce) {
      const keepsOrLengthens = retention !== null && retention.mode === r.lock_mode && retention.until >= r.lock_until!;
      if (r.lock_mode === 'COMPLIANCE' && !keepsOrLengthens) throw lockDenied();
      if (r.lock_mode === 'GOVERNANCE' && !keepsOrLengthens && !bypassGovernance) throw lockDenied();
    }
    ctx.sql('UPDATE versions SET lock_mode = ?, lock_until = ? WHERE seq = ?').run(retention?.mode ?? null, retention?.until ?? null, r.seq);
  });
}

export function putObjectLegalHold(ctx: StoreContext, a: VersionAddress, on: boolean): string {
  return updateVersion(ctx, a, 'PUT', (r, bucket) => {
    assertBucketLock(bucket);
    ctx.sql('UPDATE versions SET legal_hold = ? WHERE seq = ?').run(on ? LegalHoldColumn.On : LegalHoldColumn.Off, r.seq);
  });
}

// ---------------------------------------------------------------------------------------------
// Restore

export interface RestoreInput {
  readonly days: number;
  readonly tier: RestoreTier;
}

export interface RestoreResult {
  /** 202 when a restore was started, 200 when a restored copy existed and its expiry was moved. */
  readonly status: 200 | 202;
  readonly versionId: string;
  readonly restore: RestoreState;
}

/**
 * Restores an archived (GLACIER / DEEP_ARCHIVE) version for `days` days. The copy becomes readable
 * after the tier's delay (`options.restoreDelays`) and goes away `days` days after that. A request
 * while one is in progress is refused (RestoreAlreadyInProgress); a request while a restored copy
 * exists moves its expiry to `days` days from now, as S3 does.
 */
export function restoreObject(ctx: StoreContext, a: VersionAddress, input: RestoreInput): RestoreResult {
  if (!Number.isInteger(input.days) || input.days < 1) throw new S3Error('InvalidArgument', 'Days must be a positive integer', { ArgumentName: 'Days', ArgumentValue: input.days });
  return writeTx(ctx, () => {
    const r = addressedRow(ctx, a.bucket, a.key, a.versionId, { method: 'POST', write: false });
    const v = toVersion(r);
    if (!isArchived(v.storageClass)) {
      throw new S3Error('InvalidObjectState', 'Restore is not allowed for the object\'s current storage class', { StorageClass: v.storageClass });
    }
    if (input.tier === 'Expedited' && v.storageClass === 'DEEP_ARCHIVE') {
      throw new S3Error('InvalidArgument', 'Expedited retrieval is not available for objects in the DEEP_ARCHIVE storage class; use Standard or Bulk', { ArgumentName: 'Tier', ArgumentValue: input.tier });
    }
    const now = ctx.now();
    const cur = v.restore;
    if (cur && cur.readyAt > now) throw new S3Error('RestoreAlreadyInProgress');
    let status: 200 | 202;
    let next: RestoreState;
    if (cur && cur.expiresAt > now) {
      status = 200;
      next = { ...cur, days: input.days, expiresAt: now + input.days * DAY_MS };
    } else {
      status = 202;
      const readyAt = now + ctx.options.restoreDelays[input.tier];
      next = { tier: input.tier, days: input.days, requestedAt: now, readyAt, expiresAt: readyAt + input.days * DAY_MS };
    }
    ctx.sql('UPDATE versions SET restore = ? WHERE seq = ?').run(JSON.stringify(next), r.seq);
    return { status, versionId: r.version_id, restore: next };
  });
}
