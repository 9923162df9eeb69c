/**
 * Buckets: create, delete, look up, list, versioning, ACL and the generic bucket configuration
 * documents (policy, tagging, replication, inventory, encryption, object lock configuration).
 */
import { S3Error } from '../errors.js';
import { json, toBucket, writeTx, type BucketRow, type StoreContext } from './context.js';
import type { Acl, Bucket, Versioning } from './types.js';

/** AWS's general-purpose bucket naming rules. Returns the reason a name is invalid, or undefined. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'Bucket name must be between 3 and 63 characters long';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) {
    return 'Bucket name can consist only of lowercase letters, numbers, dots (.), and hyphens (-), and must begin and end with a letter or number';
  }
  if (name.includes('..')) return 'Bucket name must not contain two adjacent periods';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'Bucket name must not be formatted as an IP address';
  if (name.startsWith('xn--') || name.startsWith('sthree-') || name.startsWith('amzn-s3-demo-')) return 'Bucket name must not start with a reserved prefix';
  if (name.endsWith('-s3alias') || name.endsWith('--ol-s3') || name.endsWith('.mrap') || name.endsWith('--x-s3')) return 'Bucket name must not end with a reserved suffix';
  return undefined;
}

export function assertBucketName(name: string): void {
  const problem = bucketNameProblem(name);
  if (problem) throw new S3Error('InvalidBucketName', problem, { BucketName: name });
}

export function findBucket(ctx: StoreContext, name: string): Bucket | undefined {
  const cached = ctx.bucketCache.get(name);
  if (cached) return cached;
  const r = ctx.sql('SELECT * FROM buckets WHERE name = ?').get(name) as BucketRow | undefined;
  if (!r) return undefined;
  const b = toBucket(r);
  // Inside a transaction the row may not be committed yet: cache only what is.
  if (!ctx.db.inTransaction) ctx.bucketCache.set(name, b);
  return b;
}

/** Drops a bucket from the cache; called inside every transaction that writes its row. */
function forgetBucket(ctx: StoreContext, name: string): void {
  ctx.bucketCache.delete(name);
}

export function getBucket(ctx: StoreContext, name: string): Bucket {
  const b = findBucket(ctx, name);
  if (!b) throw new S3Error('NoSuchBucket', undefined, { BucketName: name });
  return b;
}

export function listBuckets(ctx: StoreContext, owner: string): Bucket[] {
  return (ctx.sql('SELECT * FROM buckets WHERE owner = ? ORDER BY name').all(owner) as BucketRow[]).map(toBucket);
}

export interface CreateBucketInput {
  readonly name: string;
  readonly owner: string;
  readonly region: string;
  readonly objectLock: boolean;
  readonly acl: Acl | null;
}

export function createBucket(ctx: StoreContext, input: CreateBucketInput): Bucket {
  assertBucketName(input.name);
  return writeTx(ctx, () => {
    const existing = findBucket(ctx, input.name);
    if (existing) {
      if (existing.owner === input.owner) {
        // us-east-1 answers 200 for a bucket you already own there; other regions answer 409.
        if (existing.region === 'us-east-1' && input.region === 'us-east-1') return existing;
        throw new S3Error('BucketAlreadyOwnedByYou', undefined, { BucketName: input.name });
      }
      throw new S3Error('BucketAlreadyExists', undefined, { BucketName: input.name });
    }
    const row: BucketRow = {
      name: input.name,
      owner: input.owner,
      region: input.region,
      created_at: ctx.now(),
      // Object Lock needs versioning: a lock-enabled bucket is created with versioning enabled.
      versioning: input.objectLock ? 'Enabled' : '',
      object_lock: input.objectLock ? 1 : 0,
      acl: json(input.acl),
    };
    ctx.sql('INSERT INTO buckets (name, owner, region, created_at, versioning, object_lock, acl) VALUES (@name, @owner, @region, @created_at, @versioning, @object_lock, @acl)').run(row);
    return toBucket(row);
  });
}

export function deleteBucket(ctx: StoreContext, name: string): void {
  writeTx(ctx, () => {
    getBucket(ctx, name);
    const any = ctx.sql('SELECT 1 FROM versions WHERE bucket = ? LIMIT 1').get(name);
    if (any) throw new S3Error('BucketNotEmpty', undefined, { BucketName: name });
    const upload = ctx.sql('SELECT 1 FROM uploads WHERE bucket = ? LIMIT 1').get(name);
    if (upload) throw new S3Error('BucketNotEmpty', 'The bucket you tried to delete has multipart uploads in progress', { BucketName: name });
    ctx.sql('DELETE FROM bucket_configs WHERE bucket = ?').run(name);
    forgetConfigs(ctx, name);
    ctx.sql('DELETE FROM buckets WHERE name = ?').run(name);
    forgetBucket(ctx, name);
  });
}

export function setBucketVersioning(ctx: StoreContext, name: string, status: Exclude<Versioning, ''>): void {
  writeTx(ctx, () => {
    const b = getBucket(ctx, name);
    if (b.objectLock && status === 'Suspended') {
      throw new S3Error('InvalidBucketState', 'An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.', { BucketName: name });
    }
    ctx.sql('UPDATE buckets SET versioning = ? WHERE name = ?').run(status, name);
    forgetBucket(ctx, name);
  });
}

export function setBucketAcl(ctx: StoreContext, name: string, acl: Acl | null): void {
  writeTx(ctx, () => {
    getBucket(ctx, name);
    ctx.sql('UPDATE buckets SET acl = ? WHERE name = ?').run(json(acl), name);
    forgetBucket(ctx, name);
  });
}

/** Enables Object Lock on an existing versioned bucket (PutObjectLockConfiguration with ObjectLockEnabled). */
export function enableBucketObjectLock(ctx: StoreContext, name: string): void {
  writeTx(ctx, () => {
    const b = getBucket(ctx, name);
    if (b.objectLock) return;
    if (b.versioning !== 'Enabled') {
      throw new S3Error('InvalidBucketState', 'Versioning must be \'Enabled\' on the bucket to apply a Object Lock configuration', { BucketName: name });
    }
    ctx.sql('UPDATE buckets SET object_lock = 1 WHERE name = ?').run(name);
    forgetBucket(ctx, name);
  });
}

/** Bucket configuration documents, stored as JSON of their parsed form. */
/**
 * A bucket configuration document, or undefined. Documents are cached (every request reads the
 * bucket policy): treat the result as read-only.
 */
export function getBucketConfig<T>(ctx: StoreContext, bucket: string, kind: string, id = ''): T | undefined {
  const cacheKey = `${bucket}\u0000${kind}\u0000${id}`;
  const cached = ctx.configCache.get(cacheKey);
  if (cached !== undefined) return (cached === null ? undefined : cached) as T | undefined;
  const r = ctx.sql('SELECT value FROM bucket_configs WHERE bucket = ? AND kind = ? AND id = ?').get(bucket, kind, id) as { value: string } | undefined;
  const value = r ? (JSON.parse(r.value) as T) : undefined;
  if (!ctx.db.inTransaction) ctx.configCache.set(cacheKey, value ?? null);
  return value;
}

function forgetConfigs(ctx: StoreContext, bucket: string): void {
  const prefix = `${bucket}\u0000`;
  for (const k of ctx.configCache.keys()) if (k.startsWith(prefix)) ctx.configCache.delete(k);
}

export function listBucketConfigs<T>(ctx: StoreContext, bucket: string, kind: string): { id: string; value: T }[] {
  const rows = ctx.sql('SELECT id, value FROM bucket_configs WHERE bucket = ? AND kind = ? ORDER BY id').all(bucket, kind) as { id: string; value: string }[];
  return rows.map((r) => ({ id: r.id, value: JSON.parse(r.value) as T }));
}

export function putBucketConfig(ctx: StoreContext, bucket: string, kind: string, value: unknown, id = ''): void {
  writeTx(ctx, () => {
    getBucket(ctx, bucket);
    ctx.sql('INSERT INTO bucket_configs (bucket, kind, id, value) VALUES (?, ?, ?, ?) ON CONFLICT (bucket, kind, id) DO UPDATE SET value = excluded.value').run(bucket, kind, id, JSON.stringify(value));
    forgetConfigs(ctx, bucket);
  });
}

/** Returns whether a document was deleted. */
export function deleteBucketConfig(ctx: StoreContext, bucket: string, kind: string, id = ''): boolean {
  return writeTx(ctx, () => {
    getBucket(ctx, bucket);
    forgetConfigs(ctx, bucket);
    return ctx.sql('DELETE FROM bucket_configs WHERE bucket = ? AND kind = ? AND id = ?').run(bucket, kind, id).changes > 0;
  });
}
