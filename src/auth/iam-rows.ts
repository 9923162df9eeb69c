/**
 * Row ↔ record mapping for IAM, and the small conventions every IAM operation shares: unique ids,
 * listing pages (Marker / MaxItems / IsTruncated), tags, and the principal a user's key signs as.
 */
import { fromDbTime } from '../db/control-db.js';
import type { AccessKeyRow, RoleRow, UserRow } from '../db/iam-principals.js';
import type { PolicyRow } from '../db/iam-policies.js';
import { randomKeyId, type Principal } from './credentials.js';
import type { AccessKeyMeta, AccessKeyStatus, IamRole, IamUser, ManagedPolicy, Page, PageRequest, Tag } from './iam-types.js';
import { IamError } from './iam-errors.js';

/** AWS unique ids: a four-letter prefix (AIDA users, AROA roles, ANPA policies) and 17 characters. */
export const newUniqueId = (prefix: 'AIDA' | 'AROA' | 'ANPA'): string => randomKeyId(prefix, 17);

export function tagsOf(json: string): readonly Tag[] {
  return JSON.parse(json) as Tag[];
}

export function tagMap(tags: readonly Tag[]): Readonly<Record<string, string>> {
  const m: Record<string, string> = {};
  for (const t of tags) m[t.Key] = t.Value;
  return m;
}

export function toUser(r: UserRow): IamUser {
  return {
    userId: r.user_id,
    accountId: r.account_id,
    name: r.name,
    path: r.path,
    arn: `arn:aws:iam::${r.account_id}:user${r.path}${r.name}`,
    createdAt: fromDbTime(r.created_at),
    tags: tagsOf(r.tags),
  };
}

export function toAccessKey(r: AccessKeyRow, userName: string | undefined): AccessKeyMeta {
  return { userName, accessKeyId: r.access_key_id, status: r.status as AccessKeyStatus, createdAt: fromDbTime(r.created_at) };
}

export function toRole(r: RoleRow): IamRole {
  return {
    roleId: r.role_id,
    accountId: r.account_id,
    name: r.name,
    path: r.path,
    arn: `arn:aws:iam::${r.account_id}:role${r.path}${r.name}`,
    createdAt: fromDbTime(r.created_at),
    trustPolicy: r.trust_policy,
    description: r.description ?? undefined,
    maxSessionDuration: r.max_session_duration,
    tags: tagsOf(r.tags),
  };
}

export function toPolicy(r: PolicyRow, attachmentCount: number): ManagedPolicy {
  return {
    policyId: r.policy_id,
    accountId: r.account_id,
    name: r.name,
    path: r.path,
    arn: r.arn,
    defaultVersionId: r.default_version,
    attachmentCount,
    description: r.description ?? undefined,
    createdAt: fromDbTime(r.created_at),
    updatedAt: fromDbTime(r.updated_at),
    tags: tagsOf(r.tags),
  };
}

/** The principal an IAM user's access key signs as. */
export function userPrincipal(u: IamUser, accessKeyId: string): Principal {
  return { kind: 'user', accountId: u.accountId, arn: u.arn, accessKeyId, userId: u.userId, username: u.name, tags: tagMap(u.tags) };
}

// --- pages ----------------------------------------------------------------------------------------

export const DEFAULT_MAX_ITEMS = 100;

/** Markers are opaque to clients: the sort key of the last item returned, base64url-encoded. */
export function markerKey(p: PageRequest): string | undefined {
  if (p.marker === undefined) return undefined;
  const key = Buffer.from(p.marker, 'base64url').toString('utf8');
  if (key === '' || Buffer.from(key, 'utf8').toString('base64url') !== p.marker) throw new IamError('ValidationError', 'Invalid Marker.');
  return key;
}

export function limitOf(p: PageRequest): number {
  return p.maxItems ?? DEFAULT_MAX_ITEMS;
}

/** `rows` holds up to limit + 1 rows (see ListWindow); the extra one only says that more follow. */
export function pageOf<R, T>(rows: readonly R[], limit: number, keyOf: (r: R) => string, map: (r: R) => T): Page<T> {
  if (rows.length <= limit) return { items: rows.map(map) };
  const kept = rows.slice(0, limit);
  return { items: kept.map(map), marker: Buffer.from(keyOf(kept[kept.length - 1]!), 'utf8').toString('base64url') };
}

/** A page of an in-memory list sorted by `keyOf`. */
export function pageOfList<T>(all: readonly T[], p: PageRequest, keyOf: (t: T) => string): Page<T> {
  const after = markerKey(p);
  const sorted = [...all].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const rest = after === undefined ? sorted : sorted.filter((t) => keyOf(t) > after);
  return pageOf(rest.slice(0, limitOf(p) + 1), limitOf(p), keyOf, (t) => t);
}
