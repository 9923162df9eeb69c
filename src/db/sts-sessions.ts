/** SQL of STS sessions (temporary credentials) and of accounts. */
import type { Selectable } from 'kysely';
import type { ControlQuery } from './control-db.js';
import type { AccountsTable, StsSessionsTable } from './schema.js';

export type SessionRow = Selectable<StsSessionsTable>;
export type AccountRow = Selectable<AccountsTable>;

export async function insertSession(q: ControlQuery, row: SessionRow): Promise<void> {
  await q.insertInto('sts_sessions').values(row).execute();
}

/** Sessions that expire after `since` (ISO time). */
export function sessionsExpiringAfter(q: ControlQuery, since: string): Promise<SessionRow[]> {
  return q.selectFrom('sts_sessions').selectAll().where('expires_at', '>', since).execute();
}

/** Deletes sessions that expired before `before`; returns their access key ids. */
export async function deleteSessionsExpiredBefore(q: ControlQuery, before: string): Promise<string[]> {
  const rows = await q.selectFrom('sts_sessions').select('access_key_id').where('expires_at', '<=', before).execute();
  if (rows.length > 0) await q.deleteFrom('sts_sessions').where('expires_at', '<=', before).execute();
  return rows.map((r) => r.access_key_id);
}

/** Records the configured accounts (names may change between starts; ids never do). */
export async function upsertAccount(q: ControlQuery, row: AccountRow): Promise<void> {
  await q
    .insertInto('accounts')
    .values(row)
    .onConflict((oc) => oc.column('id').doUpdateSet({ name: row.name }))
    .execute();
}

export function allAccounts(q: ControlQuery): Promise<AccountRow[]> {
  return q.selectFrom('accounts').selectAll().execute();
}
