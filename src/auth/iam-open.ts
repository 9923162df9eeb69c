/**
 * Opens IAM: the configured accounts and root keys, then every user key, live session and policy
 * of the control database into the in-memory index, so that request-time lookups and identity
 * policies are synchronous. Called once by the composition root.
 */
import type { Config } from '../config.js';
import type { ControlDb } from '../db/control-db.js';
import { fromDbTime, toDbTime } from '../db/control-db.js';
import { allAccessKeys, allRoles, allUsers } from '../db/iam-principals.js';
import { allAttachments, allInlinePolicies, allPolicies, defaultDocuments } from '../db/iam-policies.js';
import { allAccounts, sessionsExpiringAfter, upsertAccount } from '../db/sts-sessions.js';
import { openCredentials, type Credentials } from './credentials.js';
import type { IamContext } from './iam-authorize.js';
import { attach, createIamIndex, identityPoliciesOf, putInline, putManaged, storedDocument } from './iam-index.js';
import { toUser, userPrincipal } from './iam-rows.js';
import type { OwnerKind } from './iam-types.js';
import { EXPIRED_SESSION_GRACE_MS, sessionKeyEntry } from './sts.js';

export interface OpenedIam {
  readonly ctx: IamContext;
  readonly credentials: Credentials;
}

export async function openIam(config: Config, cdb: ControlDb, log: (msg: string) => void, now: () => number = Date.now): Promise<OpenedIam> {
  const index = createIamIndex(log);
  const { credentials, keys, rootKeys } = openCredentials(config, (p) => identityPoliciesOf(index, p));
  const db = cdb.db;

  for (const a of credentials.accounts.values()) await upsertAccount(db, { id: a.id, name: a.name, created_at: toDbTime(now()) });
  const accountCreatedAt = new Map((await allAccounts(db)).map((a) => [a.id, fromDbTime(a.created_at)]));

  const users = new Map((await allUsers(db)).map((r) => [r.user_id, toUser(r)]));
  for (const k of await allAccessKeys(db)) {
    const u = users.get(k.user_id);
    if (u !== undefined && k.status === 'Active') keys.put(k.access_key_id, { secretAccessKey: k.secret, principal: userPrincipal(u, k.access_key_id) });
  }

  const roleNames = new Map((await allRoles(db)).map((r) => [r.role_id, r.name]));
  for (const s of await sessionsExpiringAfter(db, toDbTime(now() - EXPIRED_SESSION_GRACE_MS))) {
    keys.put(s.access_key_id, sessionKeyEntry(s, roleNames.get(s.role_id) ?? s.role_arn.slice(s.role_arn.lastIndexOf('/') + 1)));
  }

  const policies = new Map((await allPolicies(db)).map((p) => [p.policy_id, p]));
  for (const d of await defaultDocuments(db)) {
    const p = policies.get(d.policy_id)!;
    putManaged(index, p.policy_id, p.name, p.arn, storedDocument(index, d.document, p.arn));
  }
  for (const p of await allInlinePolicies(db)) {
    putInline(index, p.owner_kind as OwnerKind, p.owner_id, p.name, storedDocument(index, p.document, `${p.owner_kind} ${p.owner_id} ${p.name}`));
  }
  for (const a of await allAttachments(db)) attach(index, a.owner_kind as OwnerKind, a.owner_id, a.policy_id);

  return { ctx: { cdb, index, keys, credentials, rootKeys, accountCreatedAt, now, log }, credentials };
}
