/**
 * What every store function receives as its first argument: the database, the blob files, the
 * clock and the tuning options. Also the row ↔ domain mapping shared by the store's modules.
 */
import { randomBytes } from 'node:crypto';
import type { BlobFiles } from './blobs.js';
import type { Db } from './db.js';
import type { Statement } from 'better-sqlite3';
import type { Acl, Bucket, Checksum, Extent, ObjectHeaders, ObjectVersion, PartInfo, RestoreState, StorageClass, Tag, Versioning, LockMode } from './types.js';
import { emptyHeaders } from './types.js';

export interface StoreOptions {
  readonly inlineThreshold: number;
  readonly fsync: boolean;
  readonly restoreDelays: Readonly<Record<'Expedited' | 'Standard' | 'Bulk', number>>;
}

export interface StoreContext {
  readonly db: Db;
  /** A prepared statement for `text`, compiled once and cached. */
  readonly sql: (text: string) => Statement;
  /** The same for statements that return rows as arrays (see versionRowOf). */
  readonly rawSql: (text: string) => Statement;
  readonly blobs: BlobFiles;
  readonly now: () => number;
  readonly options: StoreOptions;
  /**
   * Buckets by name. Every request reads its bucket two or three times and buckets change rarely
   * (the lookup was 8% of a 1 KiB GET's CPU profile). Every write to the buckets table must call
   * `forgetBucket`. (Only this process writes the embedded store.)
   */
  readonly bucketCache: Map<string, import('./types.js').Bucket>;
  /** Bucket configuration documents by bucket/kind/id (null: known absent); see getBucketConfig. */
  readonly configCache: Map<string, unknown>;
  /** Group commit state (commitBatched). */
  readonly batch: CommitBatch;
}

export interface BucketRow {
  name: string;
  owner: string;
  region: string;
  created_at: number;
  versioning: string;
  object_lock: number;
  acl: string | null;
}

export interface VersionRow {
  seq: number;
  bucket: string;
  key: string;
  version_id: string;
  latest: number;
  delete_marker: number;
  size: number;
  etag: string;
  mtime: number;
  storage_class: string;
  owner: string;
  headers: string | null;
  extents: string | null;
  parts: string | null;
  checksum: string | null;
  tags: string | null;
  acl: string | null;
  lock_mode: string | null;
  lock_until: number | null;
  legal_hold: number;
  restore: string | null;
  replication: string | null;
}

/**
 * Version rows are read in raw (array) mode and built here: better-sqlite3 materialising a 22-column
 * row as an object cost ~7.8 µs against ~4.4 µs raw on this machine, on every GET and HEAD.
 */
export const VERSION_COLUMNS =
  'seq, bucket, key, version_id, latest, delete_marker, size, etag, mtime, storage_class, owner, headers, extents, parts, checksum, tags, acl, lock_mode, lock_until, legal_hold, restore, replication';

export function versionRowOf(a: unknown[] | undefined): VersionRow | undefined {
  if (a === undefined) return undefined;
  return {
    seq: a[0] as number,
    bucket: a[1] as string,
    key: a[2] as string,
    version_id: a[3] as string,
    latest: a[4] as number,
    delete_marker: a[5] as number,
    size: a[6] as number,
    etag: a[7] as string,
    mtime: a[8] as number,
    storage_class: a[9] as string,
    owner: a[10] as string,
    headers: a[11] as string | null,
    extents: a[12] as string | null,
    parts: a[13] as string | null,
    checksum: a[14] as string | null,
    tags: a[15] as string | null,
    acl: a[16] as string | null,
    lock_mode: a[17] as string | null,
    lock_until: a[18] as number | null,
    legal_hold: a[19] as number,
    restore: a[20] as string | null,
    replication: a[21] as string | null,
  };
}

export function toBucket(r: BucketRow): Bucket {
  return {
    name: r.name,
    owner: r.owner,
    region: r.region,
    createdAt: r.created_at,
    versioning: r.versioning as Versioning,
    objectLock: r.object_lock === 1,
    acl: r.acl ? (JSON.parse(r.acl) as Acl) : null,
  };
}

export function toVersion(r: VersionRow): ObjectVersion {
  return {
    seq: r.seq,
    bucket: r.bucket,
    key: r.key,
    versionId: r.version_id,
    isLatest: r.latest === 1,
    isDeleteMarker: r.delete_marker === 1,
    size: r.size,
    etag: r.etag,
    lastModified: r.mtime,
    storageClass: r.storage_class as StorageClass,
    owner: r.owner,
    headers: r.headers ? (JSON.parse(r.headers) as ObjectHeaders) : emptyHeaders,
    extents: r.extents ? (JSON.parse(r.extents) as Extent[]) : [],
    parts: r.parts ? (JSON.parse(r.parts) as PartInfo[]) : null,
    checksum: r.checksum ? (JSON.parse(r.checksum) as Checksum) : null,
    tags: r.tags ? (JSON.parse(r.tags) as Tag[]) : [],
    acl: r.acl ? (JSON.parse(r.acl) as Acl) : null,
    lockMode: r.lock_mode as LockMode | null,
    lockUntil: r.lock_until,
    legalHold: r.legal_hold === 1,
    legalHoldSet: r.legal_hold !== 0,
    restore: r.restore ? (JSON.parse(r.restore) as RestoreState) : null,
    replicationStatus: r.replication,
  };
}

/** JSON for a nullable column: empty collections are stored as NULL. */
export function json(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v) && v.length === 0) return null;
  return JSON.stringify(v);
}

const idAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._';

/** A 32-character version id in the alphabet AWS uses (never the literal 'null'). */
export function newVersionId(): string {
  const b = randomBytes(32);
  let s = '';
  for (let i = 0; i < 32; i++) s += idAlphabet[b[i]! & 63];
  return s;
}

export function isValidVersionId(v: string): boolean {
  return v === 'null' || /^[A-Za-z0-9._+/=-]{1,1024}$/.test(v);
}

/** Adds one reference to each blob an extent list points at. */
export function addRefs(ctx: StoreContext, extents: readonly Extent[]): void {
  const st = ctx.sql('UPDATE OR FAIL blobs SET refs = refs + 1 WHERE id = ?');
  for (const e of extents) st.run(e[0]);
}

/**
 * Drops one reference from each blob; blobs left without references are deleted. Returns the files
 * to unlink once the surrounding transaction has committed.
 *
 * No `RETURNING`, and `OR FAIL` on single-row writes: either makes SQLite keep a statement journal
 * (a copy of every page the statement touches, malloc'd and freed per statement, with glibc
 * growing and trimming the heap each time) whenever the statement is not the first of its
 * transaction — which in a group commit every write is. For a single-row statement FAIL and
 * ABORT undo the same (nothing: the row's constraints are checked before it is written). With
 * those journals a 1 KiB PUT's SQL cost ~60 µs in a 32-write batch; without, ~36 µs.
 */
export function dropRefs(ctx: StoreContext, extents: readonly Extent[], unlink: string[]): void {
  const dropInline = ctx.sql('DELETE FROM blobs WHERE id = ? AND refs <= 1 AND file IS NULL');
  const look = ctx.rawSql('SELECT refs, file FROM blobs WHERE id = ?');
  const dec = ctx.sql('UPDATE OR FAIL blobs SET refs = refs - 1 WHERE id = ?');
  const del = ctx.sql('DELETE FROM blobs WHERE id = ?');
  for (const e of extents) {
    // The common case, an inline blob losing its last reference, in one statement.
    if (dropInline.run(e[0]).changes === 1) continue;
    const r = look.get(e[0]) as [number, string | null] | undefined;
    if (r === undefined) continue;
    if (r[0] > 1) dec.run(e[0]);
    else {
      del.run(e[0]);
      if (r[1]) unlink.push(r[1]);
    }
  }
}

/** Runs `fn` in a write transaction, then unlinks the blob files it released. */
export function writeTx<T>(ctx: StoreContext, fn: (unlink: string[]) => T): T {
  const unlink: string[] = [];
  if (ctx.db.inTransaction) {
    // Nested in a group commit (see commitBatched): a savepoint. Files are released only once the
    // outermost transaction has committed, and only if this savepoint was kept.
    const result = inTransaction(ctx, 'SAVEPOINT w', 'RELEASE w', 'ROLLBACK TO w', () => fn(unlink));
    ctx.batch.unlinkAfterCommit.push(...unlink);
    return result;
  }
  const result = inTransaction(ctx, 'BEGIN IMMEDIATE', 'COMMIT', 'ROLLBACK', () => fn(unlink));
  for (const f of unlink) ctx.blobs.remove(f);
  return result;
}

/**
 * Transactions from cached statements: better-sqlite3's db.transaction() builds a new wrapper per
 * call, which was 5% of a 1 KiB PUT's CPU profile.
 */
function inTransaction<T>(ctx: StoreContext, begin: string, commit: string, rollback: string, fn: () => T): T {
  ctx.sql(begin).run();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    if (ctx.db.inTransaction) {
      ctx.sql(rollback).run();
      if (rollback.startsWith('ROLLBACK TO')) ctx.sql(commit).run(); // a savepoint stays open after ROLLBACK TO
    }
    throw e;
  }
  ctx.sql(commit).run();
  return result;
}

/** A write waiting for the next group commit. */
interface QueuedWrite {
  readonly fn: (unlink: string[]) => unknown;
  /** May run again after a rollback (see commitBatchedRerunnable). */
  readonly rerunnable: boolean;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
}

/** State of the group commit: work waiting for the next batch, and files to free after it. */
export interface CommitBatch {
  queue: QueuedWrite[];
  scheduled: boolean;
  unlinkAfterCommit: string[];
}

export function createCommitBatch(): CommitBatch {
  return { queue: [], scheduled: false, unlinkAfterCommit: [] };
}

function enqueue<T>(ctx: StoreContext, fn: (unlink: string[]) => T, rerunnable: boolean): Promise<T> {
  const b = ctx.batch;
  return new Promise<T>((resolve, reject) => {
    b.queue.push({ fn, rerunnable, resolve: resolve as (v: unknown) => void, reject });
    if (!b.scheduled) {
      b.scheduled = true;
      setImmediate(flushBatch, ctx);
    }
  });
}

/**
 * Group commit: runs `fn` (a synchronous function that makes its writes through writeTx) in a
 * transaction shared
 * with every other write queued in the same turn of the event loop, each in its own savepoint so
 * one failure does not undo the others. The promise settles after the shared COMMIT, so an
 * acknowledged write is durable exactly as with writeTx. With 64 concurrent 1 KiB PUTs the
 * BEGIN/COMMIT pair was a fifth of the server's CPU; batching spreads it over the whole batch.
 */
export function commitBatched<T>(ctx: StoreContext, fn: () => T): Promise<T> {
  return enqueue(ctx, fn, false);
}

/**
 * Group commit for a write that may simply run again after a rollback: it reads everything it
 * needs inside `fn`, changes nothing outside the database, and hands the blob files it releases
 * to `unlink` instead of writing through writeTx. Such writes run first in the shared
 * transaction, all without savepoints; should one of them throw, the transaction is rolled back
 * and each of them runs again in a savepoint of its own (as commitBatched runs every write), so
 * one failure still undoes nothing of the others. A savepoint copies every page a write touches
 * into a statement journal, and its two statements add their own cost: skipping them took the
 * store's CPU for a 1 KiB PUT in 32-write batches from ~26.5 to ~23.5 µs (see putObject).
 */
export function commitBatchedRerunnable<T>(ctx: StoreContext, fn: (unlink: string[]) => T): Promise<T> {
  return enqueue(ctx, fn, true);
}

interface Outcome {
  ok: boolean;
  value: unknown;
}

function flushBatch(ctx: StoreContext): void {
  const b = ctx.batch;
  const items = b.queue;
  b.queue = [];
  b.scheduled = false;
  const results: Outcome[] = new Array<Outcome>(items.length);
  try {
    ctx.sql('BEGIN IMMEDIATE').run();
    try {
      if (!runRerunnables(ctx, items, results)) {
        // One of them failed midway: its writes cannot be told apart from the others'.
        if (ctx.db.inTransaction) ctx.sql('ROLLBACK').run();
        b.unlinkAfterCommit = [];
        ctx.sql('BEGIN IMMEDIATE').run();
        runEach(ctx, items, results, true);
      }
      runEach(ctx, items, results, false);
    } catch (e) {
      if (ctx.db.inTransaction) ctx.sql('ROLLBACK').run();
      throw e;
    }
    ctx.sql('COMMIT').run();
  } catch (e) {
    // The shared commit itself failed: nothing of this batch is durable.
    b.unlinkAfterCommit = [];
    for (const item of items) item.reject(e);
    return;
  }
  const unlink = b.unlinkAfterCommit;
  b.unlinkAfterCommit = [];
  for (const f of unlink) ctx.blobs.remove(f);
  for (let i = 0; i < items.length; i++) {
    const r = results[i]!;
    if (r.ok) items[i]!.resolve(r.value);
    else items[i]!.reject(r.value);
  }
}

/** Runs every rerunnable write without savepoints; false (and nothing recorded) when one threw. */
function runRerunnables(ctx: StoreContext, items: readonly QueuedWrite[], results: Outcome[]): boolean {
  const unlink: string[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (!item.rerunnable) continue;
    try {
      results[i] = { ok: true, value: item.fn(unlink) };
    } catch {
      return false;
    }
    assertStillInTransaction(ctx);
  }
  ctx.batch.unlinkAfterCommit.push(...unlink);
  return true;
}

/** Runs the (rerunnable or other) writes one by one, each isolated in a savepoint (writeTx nests one). */
function runEach(ctx: StoreContext, items: readonly QueuedWrite[], results: Outcome[], rerunnable: boolean): void {
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (item.rerunnable !== rerunnable) continue;
    try {
      results[i] = { ok: true, value: rerunnable ? writeTx(ctx, item.fn) : item.fn([]) };
    } catch (e) {
      results[i] = { ok: false, value: e };
    }
    assertStillInTransaction(ctx);
  }
}

/**
 * After an I/O or out-of-memory error SQLite may roll back the whole transaction by itself; the
 * writes after it would then commit one by one. Fail the batch instead (every write rejected).
 */
function assertStillInTransaction(ctx: StoreContext): void {
  if (!ctx.db.inTransaction) throw new Error('the group-commit transaction was rolled back by SQLite');
}

export function createSqlCache(db: Db): (text: string) => Statement {
  const cache = new Map<string, Statement>();
  return (text) => {
    let st = cache.get(text);
    if (!st) {
      st = db.prepare(text);
      cache.set(text, st);
    }
    return st;
  };
}

/** Raw-mode (array rows) statements, cached like `sql`. */
export function createRawSqlCache(db: Db): (text: string) => Statement {
  const cache = new Map<string, Statement>();
  return (text) => {
    let st = cache.get(text);
    if (!st) {
      st = db.prepare(text).raw(true);
      cache.set(text, st);
    }
    return st;
  };
}
