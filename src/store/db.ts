/**
 * The embedded store's metadata database: SQLite in WAL mode.
 *
 * Durability: with WAL and synchronous=NORMAL a committed transaction survives a crash of the
 * process (kill -9): it is in the OS page cache and the WAL is replayed on open. Only a power loss
 * can drop the last transactions, which FULL would prevent at ~10x the cost per commit on this
 * machine's disk. Object files are fsynced before they become visible (see blobs.ts).
 *
 * Migrations are numbered and applied in order inside one transaction each; `user_version`
 * records the last one applied.
 */
import Database from 'better-sqlite3';

export type Db = Database.Database;

const migrations: readonly string[] = [
  // 1: buckets, versions, blobs, multipart uploads, bucket configurations.
  `
  CREATE TABLE buckets (
    name        TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    region      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    versioning  TEXT NOT NULL DEFAULT '',
    object_lock INTEGER NOT NULL DEFAULT 0,
    acl         TEXT
  ) WITHOUT ROWID;

  -- One row per bucket configuration document (policy, tagging, replication, inventory:<id> …),
  -- stored as the JSON of its parsed form.
  CREATE TABLE bucket_configs (
    bucket TEXT NOT NULL,
    kind   TEXT NOT NULL,
    id     TEXT NOT NULL DEFAULT '',
    value  TEXT NOT NULL,
    PRIMARY KEY (bucket, kind, id)
  ) WITHOUT ROWID;

  -- Object bytes. A blob is either inline (data) or a file named by a random id (file) under
  -- blobs/; never by a bucket name or key. refs counts the extents (in versions and upload parts)
  -- that point at it; a copy adds references and writes no bytes.
  CREATE TABLE blobs (
    id   INTEGER PRIMARY KEY,
    refs INTEGER NOT NULL,
    size INTEGER NOT NULL,
    file TEXT,
    data BLOB
  );

  -- Every version of every object, delete markers included. seq orders versions: newer is larger.
  CREATE TABLE versions (
    seq            INTEGER PRIMARY KEY,
    bucket         TEXT NOT NULL,
    key            TEXT NOT NULL,
    version_id     TEXT NOT NULL,
    latest         INTEGER NOT NULL,
    delete_marker  INTEGER NOT NULL DEFAULT 0,
    size           INTEGER NOT NULL DEFAULT 0,
    etag           TEXT NOT NULL DEFAULT '',
    mtime          INTEGER NOT NULL,
    storage_class  TEXT NOT NULL DEFAULT 'STANDARD',
    owner          TEXT NOT NULL,
    headers        TEXT,
    extents        TEXT,
    parts          TEXT,
    checksum       TEXT,
    tags           TEXT,
    acl            TEXT,
    lock_mode      TEXT,
    lock_until     INTEGER,
    legal_hold     INTEGER NOT NULL DEFAULT 0,
    restore        TEXT,
    replication    TEXT
  );
  CREATE UNIQUE INDEX versions_by_id ON versions(bucket, key, version_id);
  CREATE INDEX versions_by_key ON versions(bucket, key, seq DESC);
  CREATE INDEX versions_current ON versions(bucket, key) WHERE latest = 1 AND delete_marker = 0;

  CREATE TABLE uploads (
    upload_id  TEXT PRIMARY KEY,
    bucket     TEXT NOT NULL,
    key        TEXT NOT NULL,
    initiated  INTEGER NOT NULL,
    owner      TEXT NOT NULL,
    attrs      TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX uploads_by_key ON uploads(bucket, key, initiated);

  CREATE TABLE upload_parts (
    upload_id   TEXT NOT NULL,
    part_number INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    etag        TEXT NOT NULL,
    mtime       INTEGER NOT NULL,
    extents     TEXT NOT NULL,
    checksum    TEXT,
    PRIMARY KEY (upload_id, part_number)
  ) WITHOUT ROWID;
  `,
];

export function openDb(path: string): Db {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Readers never wait for the writer in WAL; a 5 s busy timeout covers a second process (CLI).
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536');
  // Checkpoint every ~16 MiB of WAL instead of SQLite's 4 MiB: hot pages (index leaves, the tail
  // of the blobs table) rewritten by many commits are copied to the database once per checkpoint,
  // and there are a quarter as many checkpoint fsyncs. 1 KiB PUTs at 64 connections: ~5 µs less
  // per PUT on the event loop (the checkpoint runs inside the COMMIT that crosses the limit).
  // Durability is unchanged: a commit is durable once in the WAL, checkpointed or not.
  db.pragma('wal_autocheckpoint = 4000');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
