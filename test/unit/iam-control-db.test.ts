/**
 * The control-plane database (SQLite adapter): migrations apply once and are idempotent, the
 * capability flags, unique-violation detection, transactions roll back as a whole.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { sql } from 'kysely';
import { openControlDb } from '../../src/db/open.js';
import { insertUser, findUserByName } from '../../src/db/iam-principals.js';
import { tempDir } from '../helpers/server.js';

const dir = tempDir('s3batch-cdb-');
after(() => rmSync(dir, { recursive: true, force: true }));

const user = (id: string, name: string) => ({ user_id: id, account_id: '000000000000', name, name_key: name.toLowerCase(), path: '/', created_at: '2024-05-01T12:00:00.000Z', tags: '[]' });

describe('control database', () => {
  it('migrates once, reopens without re-applying, runs in WAL mode', async () => {
    const a = await openControlDb(dir);
    assert.deepEqual(a.capabilities, { returning: true, skipLocked: false, transactionalDdl: false, multiProcess: false });
    await insertUser(a.db, user('AIDAONE', 'One'));
    await a.close();
    const b = await openControlDb(dir);
    const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(b.db);
    assert.deepEqual(applied.rows.map((r) => r.name), ['0001_iam', '0002_jobs']);
    assert.equal((await findUserByName(b.db, '000000000000', 'ONE'))?.user_id, 'AIDAONE');
    const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(b.db);
    assert.equal(mode.rows[0]!.journal_mode, 'wal');
    await b.close();
  });

  it('recognises unique violations and rolls a failed transaction back whole', async () => {
    const c = await openControlDb(dir);
    let caught: unknown;
    try {
      await c.transaction(async (tx) => {
        await insertUser(tx, user('AIDATWO', 'Two'));
        await insertUser(tx, user('AIDATHREE', 'one')); // same name as 'One', other case
      });
    } catch (e) {
      caught = e;
    }
    assert.equal(c.isUniqueViolation(caught), true);
    assert.equal(c.isUniqueViolation(new Error('x')), false);
    assert.equal(await findUserByName(c.db, '000000000000', 'Two'), undefined);
    await c.close();
  });
});
