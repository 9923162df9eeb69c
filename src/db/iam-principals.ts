/**
 * SQL of IAM users, their access keys, and roles. Functions take the query handle first (the
 * database, or a transaction's handle) and speak rows of schema.ts; names are matched through
 * `name_key` (lower case), as IAM names are unique per account regardless of case.
 */
import { sql } from 'kysely';
import type { Selectable } from 'kysely';
import type { ControlQuery } from './control-db.js';
import type { IamAccessKeysTable, IamRolesTable, IamUsersTable } from './schema.js';

export type UserRow = Selectable<IamUsersTable>;
export type AccessKeyRow = Selectable<IamAccessKeysTable>;
export type RoleRow = Selectable<IamRolesTable>;

/** Rows after `afterKey` (exclusive) in name order, `limit + 1` of them so the caller knows whether more follow. */
export interface ListWindow {
  readonly afterKey?: string;
  readonly limit: number;
  readonly pathPrefix?: string;
}

const pathStartsWith = (prefix: string) => sql<boolean>`substr(path, 1, ${prefix.length}) = ${prefix}`;

// --- users ---------------------------------------------------------------------------------------

export async function insertUser(q: ControlQuery, row: UserRow): Promise<void> {
  await q.insertInto('iam_users').values(row).execute();
}

export function findUserByName(q: ControlQuery, accountId: string, name: string): Promise<UserRow | undefined> {
  return q.selectFrom('iam_users').selectAll().where('account_id', '=', accountId).where('name_key', '=', name.toLowerCase()).executeTakeFirst();
}

export function findUserById(q: ControlQuery, userId: string): Promise<UserRow | undefined> {
  return q.selectFrom('iam_users').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

export function listUsers(q: ControlQuery, accountId: string, w: ListWindow): Promise<UserRow[]> {
  let s = q.selectFrom('iam_users').selectAll().where('account_id', '=', accountId);
  if (w.pathPrefix !== undefined) s = s.where(pathStartsWith(w.pathPrefix));
  if (w.afterKey !== undefined) s = s.where('name_key', '>', w.afterKey);
  return s.orderBy('name_key').limit(w.limit + 1).execute();
}

export function allUsers(q: ControlQuery): Promise<UserRow[]> {
  return q.selectFrom('iam_users').selectAll().execute();
}

export async function deleteUserRow(q: ControlQuery, userId: string): Promise<void> {
  await q.deleteFrom('iam_users').where('user_id', '=', userId).execute();
}

// --- access keys ---------------------------------------------------------------------------------

export async function insertAccessKey(q: ControlQuery, row: AccessKeyRow): Promise<void> {
  await q.insertInto('iam_access_keys').values(row).execute();
}

export function findAccessKey(q: ControlQuery, accessKeyId: string): Promise<AccessKeyRow | undefined> {
  return q.selectFrom('iam_access_keys').selectAll().where('access_key_id', '=', accessKeyId).executeTakeFirst();
}

/** A user's keys in creation order (then id, for keys made within the same millisecond). */
export function accessKeysOf(q: ControlQuery, userId: string): Promise<AccessKeyRow[]> {
  return q.selectFrom('iam_access_keys').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('access_key_id').execute();
}

export function allAccessKeys(q: ControlQuery): Promise<AccessKeyRow[]> {
  return q.selectFrom('iam_access_keys').selectAll().execute();
}

export async function setAccessKeyStatus(q: ControlQuery, accessKeyId: string, status: string): Promise<void> {
  await q.updateTable('iam_access_keys').set({ status }).where('access_key_id', '=', accessKeyId).execute();
}

export async function deleteAccessKeyRow(q: ControlQuery, accessKeyId: string): Promise<void> {
  await q.deleteFrom('iam_access_keys').where('access_key_id', '=', accessKeyId).execute();
}

// --- roles ---------------------------------------------------------------------------------------

export async function insertRole(q: ControlQuery, row: RoleRow): Promise<void> {
  await q.insertInto('iam_roles').values(row).execute();
}

export function findRoleByName(q: ControlQuery, accountId: string, name: string): Promise<RoleRow | undefined> {
  return q.selectFrom('iam_roles').selectAll().where('account_id', '=', accountId).where('name_key', '=', name.toLowerCase()).executeTakeFirst();
}

export function findRoleById(q: ControlQuery, roleId: string): Promise<RoleRow | undefined> {
  return q.selectFrom('iam_roles').selectAll().where('role_id', '=', roleId).executeTakeFirst();
}

export function listRoles(q: ControlQuery, accountId: string, w: ListWindow): Promise<RoleRow[]> {
  let s = q.selectFrom('iam_roles').selectAll().where('account_id', '=', accountId);
  if (w.pathPrefix !== undefined) s = s.where(pathStartsWith(w.pathPrefix));
  if (w.afterKey !== undefined) s = s.where('name_key', '>', w.afterKey);
  return s.orderBy('name_key').limit(w.limit + 1).execute();
}

export function allRoles(q: ControlQuery): Promise<RoleRow[]> {
  return q.selectFrom('iam_roles').selectAll().execute();
}

export async function updateRoleRow(
  q: ControlQuery,
  roleId: string,
  set: Partial<Pick<RoleRow, 'description' | 'max_session_duration' | 'trust_policy' | 'tags'>>,
): Promise<void> {
  await q.updateTable('iam_roles').set(set).where('role_id', '=', roleId).execute();
}

export async function deleteRoleRow(q: ControlQuery, roleId: string): Promise<void> {
  await q.deleteFrom('iam_roles').where('role_id', '=', roleId).execute();
}
