/**
 * Opens the control-plane database and brings its schema up to date. SQLite in the data directory
 * is the only engine today; PostgreSQL joins here as a second adapter behind the same interface.
 */
import { join } from 'node:path';
import { Migrator } from 'kysely/migration';
import type { ControlDb } from './control-db.js';
import { migrations } from './migrations.js';
import { openSqliteControlDb } from './sqlite.js';

export class ControlDbError extends Error {
  override name = 'ControlDbError';
}

/** Applies every migration not applied yet; throws ControlDbError naming the one that failed. */
export async function migrateControlDb(cdb: ControlDb): Promise<void> {
  const migrator = new Migrator({ db: cdb.db, provider: { getMigrations: async () => ({ ...migrations }) } });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new ControlDbError(`control database ${cdb.description}: migration ${failed} failed: ${(error as Error)?.message ?? String(error)}`);
  }
}

export async function openControlDb(dataDir: string): Promise<ControlDb> {
  const cdb = openSqliteControlDb(join(dataDir, 'control.db'));
  try {
    await migrateControlDb(cdb);
  } catch (e) {
    await cdb.close();
    throw e;
  }
  return cdb;
}
