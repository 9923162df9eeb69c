/**
 * The SQLite adapter of the control-plane database: `<dataDir>/control.db` through better-sqlite3,
 * in WAL mode. Kysely's SQLite driver runs every query on one connection behind a mutex, so a
 * transaction holds the connection until it ends: transactions are serialised, which is what a
 * single writer gives anyway. Durability as the embedded store (src/store/db.ts): synchronous=NORMAL
 * survives kill -9; a power loss may drop the last commits.
 */
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { ControlDb, ControlQuery } from './control-db.js';
import type { ControlSchema } from './schema.js';

export function openSqliteControlDb(file: string): ControlDb {
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  const db: ControlQuery = new Kysely<ControlSchema>({ dialect: new SqliteDialect({ database: sqlite }) });
  const adapter = db.getExecutor().adapter;
  return {
    db,
    description: `sqlite:${file}`,
    capabilities: {
      returning: adapter.supportsReturning === true,
      skipLocked: false,
      transactionalDdl: adapter.supportsTransactionalDdl === true,
      multiProcess: false,
    },
    transaction: (fn) => db.transaction().execute(fn),
    isUniqueViolation: (e) => {
      const code = (e as { code?: unknown } | undefined)?.code;
      return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
    },
    close: () => db.destroy(),
  };
}
