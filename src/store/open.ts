/**
 * Opens the embedded store under `<dataDir>/store`: metadata database and blob files. At open,
 * crash leftovers are removed: temp files, blob files no committed row knows, and blob rows no
 * version or upload part references any more.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createBlobFiles } from './blobs.js';
import { createCommitBatch, createRawSqlCache, createSqlCache, type StoreContext, type StoreOptions } from './context.js';
import { openDb } from './db.js';

export interface OpenedStore {
  readonly ctx: StoreContext;
  /** How many orphan files were removed at open. */
  readonly orphansRemoved: number;
  close(): void;
}

export function openStore(dataDir: string, options: StoreOptions, now: () => number = Date.now): OpenedStore {
  const dir = join(dataDir, 'store');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const db = openDb(join(dir, 'meta.db'));
  const blobs = createBlobFiles(dir, options);
  const ctx: StoreContext = { db, blobs, now, options, sql: createSqlCache(db), rawSql: createRawSqlCache(db), bucketCache: new Map(), configCache: new Map(), batch: createCommitBatch() };
  const known = new Set((db.prepare('SELECT file FROM blobs WHERE file IS NOT NULL').pluck().all() as string[]));
  const orphansRemoved = blobs.cleanOrphans((f) => known.has(f));
  return {
    ctx,
    orphansRemoved,
    close: () => db.close(),
  };
}
