/**
 * The current version of recently read keys, with the bytes of small inline objects: a GET or
 * HEAD of a hot key skips the version SELECT, its JSON columns and the blob SELECT.
 *
 * Exact invalidation, whoever writes: TEMP triggers on the `versions` table (connection-local,
 * like the TEMP table of cached keys they consult: nothing is added to the database file's
 * schema) call back into this module for every row of a cached key updated or deleted, through
 * any statement of any module (objects, multipart, object-attrs, batch …), before the writing
 * statement returns (inserts: see install()). Entries are added only outside
 * transactions, i.e. from committed state; a write inside a transaction drops the key at once,
 * so a rolled-back write leaves at worst a miss, never a stale entry. Blob bytes never change
 * once written (blobs rows are only inserted, re-counted and deleted), and a blob is deleted only
 * after the last version row pointing at it is gone, which drops the entry. Like the bucket cache
 * this assumes one process writes the store (the server; see context.ts `bucketCache`).
 *
 * Measured on the 1 KiB presigned GET bench (docs/benchmarks.md): the two SELECTs plus toVersion
 * were ~15 µs of a request inside the server; a hit costs well under 1 µs. GETs went from 10.1k
 * to 13.5k/s (server CPU per GET ~103 → ~66 µs, on a busy machine). A PUT to a key nobody read
 * pays one lookup in the marker table for the row it replaces (see install()).
 */
import type { Db } from './db.js';
import type { ObjectVersion } from './types.js';

/**
 * Bounds: entries (an ObjectVersion is ~1 KiB of heap) and bytes of cached bodies. 20k hot keys and
 * 32 MiB of bodies keep the cache under ~60 MiB of heap; the GET bench reads 1,000 keys.
 */
const MAX_ENTRIES = 20_000;
const MAX_DATA_BYTES = 32 * 1024 * 1024;
/** Objects larger than this are cached without their bytes (served by readVersion as usual). */
const MAX_CACHED_OBJECT = 64 * 1024;

export interface VersionCache {
  /** The cached current version of bucket/key, if any. Treat it as read-only: it is shared. */
  get(bucket: string, key: string): ObjectVersion | undefined;
  /** Caches `v`, just read outside any transaction as the current version of its key. */
  set(v: ObjectVersion): void;
  /** Adds the whole body of `v` (all of it inline) when `v` is still the cached current version. */
  attachData(v: ObjectVersion, body: Buffer): void;
  /** The cached body of a version returned by `get`, when there is one. */
  dataOf(v: ObjectVersion): Buffer | undefined;
}

interface Entry {
  readonly version: ObjectVersion;
  readonly data: Buffer | undefined;
}

const caches = new WeakMap<Db, VersionCache | null>();
const FORGET = 's3batch_version_written';

function entryKey(bucket: string, key: string): string {
  return bucket + '\u0000' + key;
}

/**
 * The cache of this connection, installing its triggers on first use. Undefined inside a
 * transaction before installation (a trigger created there would vanish with a rollback), and
 * when the connection is read-only or installation failed: callers then read the database.
 */
export function versionCacheOf(db: Db): VersionCache | undefined {
  const known = caches.get(db);
  if (known !== undefined) return known ?? undefined;
  if (db.inTransaction) return undefined;
  let cache: VersionCache | null;
  try {
    cache = install(db);
  } catch {
    cache = null;
  }
  caches.set(db, cache);
  return cache ?? undefined;
}

function install(db: Db): VersionCache {
  const entries = new Map<string, Entry>();
  const data = new WeakMap<ObjectVersion, Buffer>();
  let dataBytes = 0;
  // Keys (bucket, key, bucket, key…) whose entry a write dropped while their marker row stayed:
  // markers change only outside transactions, so they are removed at the next turn of the loop.
  let stale: string[] = [];
  let cleanupScheduled = false;

  const forget = (bucket: unknown, key: unknown): null => {
    const b = String(bucket);
    const kk = String(key);
    const k = entryKey(b, kk);
    const e = entries.get(k);
    if (e) {
      entries.delete(k);
      if (e.data) dataBytes -= e.data.length;
    }
    stale.push(b, kk);
    if (!cleanupScheduled) {
      cleanupScheduled = true;
      setImmediate(cleanup);
    }
    return null;
  };
  db.function(FORGET, { deterministic: false, directOnly: false }, forget);
  // A marker row per cached key lets the triggers call back only for keys that are cached: the
  // SQLite → JavaScript call was ~1.5 µs of every PUT (to keys nobody had read), a lookup in this
  // small table is a fraction of that. Invariant: an entry exists only while its marker does
  // (the marker is added before the entry, and removed only after it).
  //
  // No INSERT trigger: an entry is the key's one `latest = 1` row, and no insert changes what a
  // key's current version is without also demoting (UPDATE) or deleting that row — or the key
  // would have two current versions.
  db.exec(`
    CREATE TEMP TABLE IF NOT EXISTS s3batch_cached_keys (bucket TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (bucket, key)) WITHOUT ROWID;
    CREATE TEMP TRIGGER IF NOT EXISTS s3batch_versions_update AFTER UPDATE ON main.versions
      WHEN EXISTS (SELECT 1 FROM temp.s3batch_cached_keys WHERE bucket = OLD.bucket AND key = OLD.key)
        OR EXISTS (SELECT 1 FROM temp.s3batch_cached_keys WHERE bucket = NEW.bucket AND key = NEW.key)
      BEGIN SELECT ${FORGET}(OLD.bucket, OLD.key), ${FORGET}(NEW.bucket, NEW.key); END;
    CREATE TEMP TRIGGER IF NOT EXISTS s3batch_versions_delete AFTER DELETE ON main.versions
      WHEN EXISTS (SELECT 1 FROM temp.s3batch_cached_keys WHERE bucket = OLD.bucket AND key = OLD.key)
      BEGIN SELECT ${FORGET}(OLD.bucket, OLD.key); END;
  `);
  const mark = db.prepare('INSERT OR IGNORE INTO temp.s3batch_cached_keys (bucket, key) VALUES (?, ?)');
  const unmark = db.prepare('DELETE FROM temp.s3batch_cached_keys WHERE bucket = ? AND key = ?');

  function cleanup(): void {
    cleanupScheduled = false;
    if (!db.open) return;
    if (db.inTransaction) {
      // Not reached from setImmediate (transactions do not span turns of the loop); be safe.
      cleanupScheduled = true;
      setImmediate(cleanup);
      return;
    }
    const list = stale;
    stale = [];
    for (let i = 0; i < list.length; i += 2) {
      // Cached again since: its marker is needed.
      if (!entries.has(entryKey(list[i]!, list[i + 1]!))) unmark.run(list[i], list[i + 1]);
    }
  }

  function evict(): void {
    // Oldest insertion first: a hit does not refresh an entry (re-inserting on every hit costs
    // more than the occasional re-read of a hot key after it ages out). Called outside
    // transactions only (set, attachData).
    for (const [k, e] of entries) {
      if (entries.size <= MAX_ENTRIES && dataBytes <= MAX_DATA_BYTES) return;
      entries.delete(k);
      if (e.data) dataBytes -= e.data.length;
      try {
        unmark.run(e.version.bucket, e.version.key);
      } catch {
        // a marker without an entry only costs a callback per write to the key
      }
    }
  }

  return {
    get(bucket, key) {
      return entries.get(entryKey(bucket, key))?.version;
    },
    set(v) {
      // Only committed state: inside a transaction the row may be a write that rolls back.
      if (db.inTransaction) return;
      const k = entryKey(v.bucket, v.key);
      const old = entries.get(k);
      if (old) {
        if (old.data) dataBytes -= old.data.length;
        entries.delete(k);
      } else {
        // Before the entry: from now on a write to the key calls back. No marker, no entry.
        try {
          mark.run(v.bucket, v.key);
        } catch {
          return;
        }
      }
      entries.set(k, { version: v, data: undefined });
      if (entries.size > MAX_ENTRIES) evict();
    },
    attachData(v, body) {
      if (body.length > MAX_CACHED_OBJECT || db.inTransaction) return;
      const k = entryKey(v.bucket, v.key);
      const e = entries.get(k);
      // The very object cached as current: not replaced or dropped by a write since.
      if (e?.version !== v || e.data) return;
      entries.set(k, { version: v, data: body });
      data.set(v, body);
      dataBytes += body.length;
      if (dataBytes > MAX_DATA_BYTES) evict();
    },
    dataOf(v) {
      return data.get(v);
    },
  };
}
