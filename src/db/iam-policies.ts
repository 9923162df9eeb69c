/**
 * SQL of IAM policies: customer-managed policies and their versions, inline policies of users and
 * roles, and attachments of managed policies to users and roles.
 */
import { sql } from 'kysely';
import type { Selectable } from 'kysely';
import type { ControlQuery } from './control-db.js';
import type { IamAttachmentsTable, IamInlinePoliciesTable, IamPoliciesTable, IamPolicyVersionsTable } from './schema.js';
import type { ListWindow } from './iam-principals.js';

export type PolicyRow = Selectable<IamPoliciesTable>;
export type PolicyVersionRow = Selectable<IamPolicyVersionsTable>;
export type InlinePolicyRow = Selectable<IamInlinePoliciesTable>;
export type AttachmentRow = Selectable<IamAttachmentsTable>;

/** A user or a role, as owner of inline policies and attachments. */
export interface Owner {
  readonly kind: 'user' | 'role';
  readonly id: string;
}

// --- managed policies ----------------------------------------------------------------------------

export async function insertPolicy(q: ControlQuery, row: PolicyRow): Promise<void> {
  await q.insertInto('iam_policies').values(row).execute();
}

export function findPolicyByArn(q: ControlQuery, arn: string): Promise<PolicyRow | undefined> {
  return q.selectFrom('iam_policies').selectAll().where('arn', '=', arn).executeTakeFirst();
}

export function findPolicyByName(q: ControlQuery, accountId: string, name: string): Promise<PolicyRow | undefined> {
  return q.selectFrom('iam_policies').selectAll().where('account_id', '=', accountId).where('name_key', '=', name.toLowerCase()).executeTakeFirst();
}

export function listPolicies(q: ControlQuery, accountId: string, w: ListWindow & { onlyAttached: boolean }): Promise<PolicyRow[]> {
  let s = q.selectFrom('iam_policies').selectAll().where('account_id', '=', accountId);
  if (w.pathPrefix !== undefined) s = s.where(sql<boolean>`substr(path, 1, ${w.pathPrefix.length}) = ${w.pathPrefix}`);
  if (w.onlyAttached) s = s.where(({ exists, selectFrom }) => exists(selectFrom('iam_attachments').select('policy_id').whereRef('iam_attachments.policy_id', '=', 'iam_policies.policy_id')));
  if (w.afterKey !== undefined) s = s.where('name_key', '>', w.afterKey);
  return s.orderBy('name_key').limit(w.limit + 1).execute();
}

export function allPolicies(q: ControlQuery): Promise<PolicyRow[]> {
  return q.selectFrom('iam_policies').selectAll().execute();
}

export async function updatePolicyRow(q: ControlQuery, policyId: string, set: Partial<Pick<PolicyRow, 'default_version' | 'next_version' | 'updated_at'>>): Promise<void> {
  await q.updateTable('iam_policies').set(set).where('policy_id', '=', policyId).execute();
}

export async function deletePolicyRow(q: ControlQuery, policyId: string): Promise<void> {
  await q.deleteFrom('iam_policy_versions').where('policy_id', '=', policyId).execute();
  await q.deleteFrom('iam_policies').where('policy_id', '=', policyId).execute();
}

export async function insertPolicyVersion(q: ControlQuery, row: PolicyVersionRow): Promise<void> {
  await q.insertInto('iam_policy_versions').values(row).execute();
}

/** Versions, newest first (v10 after v9: ordered by creation, then by number). */
export function versionsOf(q: ControlQuery, policyId: string): Promise<PolicyVersionRow[]> {
  return q.selectFrom('iam_policy_versions').selectAll().where('policy_id', '=', policyId).execute().then((rows) =>
    rows.sort((a, b) => (a.created_at === b.created_at ? versionNumber(b.version_id) - versionNumber(a.version_id) : a.created_at < b.created_at ? 1 : -1)),
  );
}

const versionNumber = (v: string): number => Number(/^v(\d+)/.exec(v)?.[1] ?? 0);

export function findPolicyVersion(q: ControlQuery, policyId: string, versionId: string): Promise<PolicyVersionRow | undefined> {
  return q.selectFrom('iam_policy_versions').selectAll().where('policy_id', '=', policyId).where('version_id', '=', versionId).executeTakeFirst();
}

export async function deletePolicyVersionRow(q: ControlQuery, policyId: string, versionId: string): Promise<void> {
  await q.deleteFrom('iam_policy_versions').where('policy_id', '=', policyId).where('version_id', '=', versionId).execute();
}

export function defaultDocuments(q: ControlQuery): Promise<{ policy_id: string; document: string }[]> {
  return q
    .selectFrom('iam_policies')
    .innerJoin('iam_policy_versions', (j) => j.onRef('iam_policy_versions.policy_id', '=', 'iam_policies.policy_id').onRef('iam_policy_versions.version_id', '=', 'iam_policies.default_version'))
    .select(['iam_policies.policy_id as policy_id', 'iam_policy_versions.document as document'])
    .execute();
}

// --- inline policies -----------------------------------------------------------------------------

export async function putInlinePolicy(q: ControlQuery, owner: Owner, name: string, document: string): Promise<void> {
  await q
    .insertInto('iam_inline_policies')
    .values({ owner_kind: owner.kind, owner_id: owner.id, name, document })
    .onConflict((oc) => oc.columns(['owner_kind', 'owner_id', 'name']).doUpdateSet({ document }))
    .execute();
}

export function inlinePoliciesOf(q: ControlQuery, owner: Owner): Promise<InlinePolicyRow[]> {
  return q.selectFrom('iam_inline_policies').selectAll().where('owner_kind', '=', owner.kind).where('owner_id', '=', owner.id).orderBy('name').execute();
}

export function findInlinePolicy(q: ControlQuery, owner: Owner, name: string): Promise<InlinePolicyRow | undefined> {
  return q.selectFrom('iam_inline_policies').selectAll().where('owner_kind', '=', owner.kind).where('owner_id', '=', owner.id).where('name', '=', name).executeTakeFirst();
}

export async function deleteInlinePolicyRow(q: ControlQuery, owner: Owner, name: string): Promise<void> {
  await q.deleteFrom('iam_inline_policies').where('owner_kind', '=', owner.kind).where('owner_id', '=', owner.id).where('name', '=', name).execute();
}

export function allInlinePolicies(q: ControlQuery): Promise<InlinePolicyRow[]> {
  return q.selectFrom('iam_inline_policies').selectAll().execute();
}

// --- attachments ---------------------------------------------------------------------------------

export async function insertAttachment(q: ControlQuery, owner: Owner, policyId: string, at: string): Promise<void> {
  await q
    .insertInto('iam_attachments')
    .values({ owner_kind: owner.kind, owner_id: owner.id, policy_id: policyId, attached_at: at })
    .onConflict((oc) => oc.columns(['owner_kind', 'owner_id', 'policy_id']).doNothing())
    .execute();
}

export async function deleteAttachment(q: ControlQuery, owner: Owner, policyId: string): Promise<number> {
  const r = await q.deleteFrom('iam_attachments').where('owner_kind', '=', owner.kind).where('owner_id', '=', owner.id).where('policy_id', '=', policyId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** The managed policies attached to an owner, by name. */
export function attachedPoliciesOf(q: ControlQuery, owner: Owner): Promise<PolicyRow[]> {
  return q
    .selectFrom('iam_attachments')
    .innerJoin('iam_policies', 'iam_policies.policy_id', 'iam_attachments.policy_id')
    .selectAll('iam_policies')
    .where('iam_attachments.owner_kind', '=', owner.kind)
    .where('iam_attachments.owner_id', '=', owner.id)
    .orderBy('iam_policies.name_key')
    .execute();
}

export async function attachmentCount(q: ControlQuery, policyId: string): Promise<number> {
  const r = await q.selectFrom('iam_attachments').select((eb) => eb.fn.countAll<number | string>().as('n')).where('policy_id', '=', policyId).executeTakeFirstOrThrow();
  return Number(r.n);
}

export function allAttachments(q: ControlQuery): Promise<AttachmentRow[]> {
  return q.selectFrom('iam_attachments').selectAll().execute();
}
