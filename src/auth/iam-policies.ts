/**
 * Customer-managed policies: versions (at most five, one of them the default), and their
 * attachment to users and roles (at most ten per principal). A policy can be deleted only once it
 * is detached everywhere and only its default version is left, as in AWS.
 */
import { fromDbTime, toDbTime } from '../db/control-db.js';
import { findRoleByName, findUserByName } from '../db/iam-principals.js';
import {
  attachedPoliciesOf,
  attachmentCount,
  deleteAttachment,
  deletePolicyRow,
  deletePolicyVersionRow,
  findPolicyByArn,
  findPolicyByName,
  findPolicyVersion,
  insertAttachment,
  insertPolicy,
  insertPolicyVersion,
  listPolicies as listPolicyRows,
  updatePolicyRow,
  versionsOf,
  type Owner,
  type PolicyRow,
} from '../db/iam-policies.js';
import { authorizeIam, type IamContext } from './iam-authorize.js';
import { parseManagedDocument } from './iam-documents.js';
import { IamError } from './iam-errors.js';
import { attach, detach, putManaged, removeManaged, storedDocument } from './iam-index.js';
import { limitOf, markerKey, newUniqueId, pageOf, pageOfList, toPolicy, toRole, toUser } from './iam-rows.js';
import { addressedRole, noSuchRole } from './iam-roles.js';
import {
  parseIamArn,
  policyArn,
  roleArn,
  userArn,
  type AttachedPolicy,
  type Caller,
  type ManagedPolicy,
  type OwnerKind,
  type Page,
  type PageRequest,
  type PolicyVersion,
  type Tag,
} from './iam-types.js';

export const MAX_POLICY_VERSIONS = 5;
export const MANAGED_POLICIES_PER_PRINCIPAL = 10;

const notFound = (arn: string): IamError => new IamError('NoSuchEntity', `Policy ${arn} was not found.`);
const notAttachable = (arn: string): IamError => new IamError('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`);
const noSuchVersion = (arn: string, v: string): IamError => new IamError('NoSuchEntity', `Policy ${arn} version ${v} does not exist or is not attachable.`);

/** A policy ARN must at least look like one; AWS-managed policies (account "aws") are not provided here. */
function checkPolicyArn(arn: string): void {
  const p = parseIamArn(arn);
  if (p === undefined || p.type !== 'policy') throw new IamError('InvalidInput', `ARN ${arn} is not valid.`);
}

/** The caller's own customer-managed policy named by `arn`, after authorization. */
async function addressedPolicy(ctx: IamContext, caller: Caller, action: string, arn: string, missing = notFound): Promise<PolicyRow> {
  checkPolicyArn(arn);
  authorizeIam(ctx, caller, action, arn);
  const row = await findPolicyByArn(ctx.cdb.db, arn);
  if (row === undefined || row.account_id !== caller.principal.accountId) throw missing(arn);
  return row;
}

function toVersion(r: { document: string; version_id: string; created_at: string }, defaultVersion: string): PolicyVersion {
  return { document: r.document, versionId: r.version_id, isDefault: r.version_id === defaultVersion, createdAt: fromDbTime(r.created_at) };
}

// --- policies ------------------------------------------------------------------------------------

export interface CreatePolicyInput {
  readonly policyName: string;
  readonly path?: string;
  readonly policyDocument: string;
  readonly description?: string;
  readonly tags?: readonly Tag[];
}

export async function createPolicy(ctx: IamContext, caller: Caller, input: CreatePolicyInput): Promise<ManagedPolicy> {
  const acct = caller.principal.accountId;
  const path = input.path ?? '/';
  const arn = policyArn(acct, path, input.policyName);
  authorizeIam(ctx, caller, 'iam:CreatePolicy', arn);
  const doc = { text: input.policyDocument, doc: parseManagedDocument(input.policyDocument) };
  const now = toDbTime(ctx.now());
  const row: PolicyRow = {
    policy_id: newUniqueId('ANPA'),
    account_id: acct,
    name: input.policyName,
    name_key: input.policyName.toLowerCase(),
    path,
    arn,
    description: input.description ?? null,
    default_version: 'v1',
    next_version: 2,
    created_at: now,
    updated_at: now,
    tags: JSON.stringify(input.tags ?? []),
  };
  const exists = (): IamError => new IamError('EntityAlreadyExists', `A policy called ${input.policyName} already exists. Duplicate names are not allowed.`);
  try {
    await ctx.cdb.transaction(async (tx) => {
      if (await findPolicyByName(tx, acct, input.policyName)) throw exists();
      await insertPolicy(tx, row);
      await insertPolicyVersion(tx, { policy_id: row.policy_id, version_id: 'v1', document: input.policyDocument, created_at: now });
    });
  } catch (e) {
    throw ctx.cdb.isUniqueViolation(e) ? exists() : e;
  }
  putManaged(ctx.index, row.policy_id, row.name, arn, doc);
  return toPolicy(row, 0);
}

export async function getPolicy(ctx: IamContext, caller: Caller, arn: string): Promise<ManagedPolicy> {
  const row = await addressedPolicy(ctx, caller, 'iam:GetPolicy', arn);
  return toPolicy(row, await attachmentCount(ctx.cdb.db, row.policy_id));
}

export interface ListPoliciesInput extends PageRequest {
  readonly scope?: 'All' | 'AWS' | 'Local';
  readonly onlyAttached?: boolean;
  readonly pathPrefix?: string;
}

export async function listPolicies(ctx: IamContext, caller: Caller, input: ListPoliciesInput): Promise<Page<ManagedPolicy>> {
  const acct = caller.principal.accountId;
  authorizeIam(ctx, caller, 'iam:ListPolicies', `arn:aws:iam::${acct}:policy${input.pathPrefix ?? '/'}`);
  if (input.scope === 'AWS') return { items: [] }; // no AWS-managed policies on this server
  const limit = limitOf(input);
  const rows = await listPolicyRows(ctx.cdb.db, acct, { afterKey: markerKey(input), limit, pathPrefix: input.pathPrefix, onlyAttached: input.onlyAttached === true });
  const counts = await Promise.all(rows.map((r) => attachmentCount(ctx.cdb.db, r.policy_id)));
  const withCounts = rows.map((r, i) => ({ r, n: counts[i]! }));
  return pageOf(withCounts, limit, (x) => x.r.name_key, (x) => toPolicy(x.r, x.n));
}

export async function deletePolicy(ctx: IamContext, caller: Caller, arn: string): Promise<void> {
  const row = await addressedPolicy(ctx, caller, 'iam:DeletePolicy', arn);
  await ctx.cdb.transaction(async (tx) => {
    if ((await findPolicyByArn(tx, arn)) === undefined) throw notFound(arn);
    if ((await attachmentCount(tx, row.policy_id)) > 0) throw new IamError('DeleteConflict', 'Cannot delete a policy attached to entities.');
    if ((await versionsOf(tx, row.policy_id)).length > 1) {
      throw new IamError(
        'DeleteConflict',
        "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
      );
    }
    await deletePolicyRow(tx, row.policy_id);
  });
  removeManaged(ctx.index, row.policy_id);
}

// --- versions ------------------------------------------------------------------------------------

export async function createPolicyVersion(ctx: IamContext, caller: Caller, input: { policyArn: string; policyDocument: string; setAsDefault?: boolean }): Promise<PolicyVersion> {
  const row = await addressedPolicy(ctx, caller, 'iam:CreatePolicyVersion', input.policyArn);
  const parsed = parseManagedDocument(input.policyDocument);
  const now = toDbTime(ctx.now());
  let versionId = '';
  await ctx.cdb.transaction(async (tx) => {
    const current = await findPolicyByArn(tx, input.policyArn);
    if (current === undefined) throw notFound(input.policyArn);
    if ((await versionsOf(tx, current.policy_id)).length >= MAX_POLICY_VERSIONS) {
      throw new IamError('LimitExceeded', `A managed policy can have up to ${MAX_POLICY_VERSIONS} versions. Before you create a new version, you must delete an existing version.`);
    }
    versionId = `v${current.next_version}`;
    await insertPolicyVersion(tx, { policy_id: current.policy_id, version_id: versionId, document: input.policyDocument, created_at: now });
    await updatePolicyRow(tx, current.policy_id, {
      next_version: current.next_version + 1,
      updated_at: now,
      ...(input.setAsDefault ? { default_version: versionId } : {}),
    });
  });
  if (input.setAsDefault) putManaged(ctx.index, row.policy_id, row.name, row.arn, { text: input.policyDocument, doc: parsed });
  return { document: input.policyDocument, versionId, isDefault: input.setAsDefault === true, createdAt: Date.parse(now) };
}

export async function getPolicyVersion(ctx: IamContext, caller: Caller, input: { policyArn: string; versionId: string }): Promise<PolicyVersion> {
  const row = await addressedPolicy(ctx, caller, 'iam:GetPolicyVersion', input.policyArn, (arn) => noSuchVersion(arn, input.versionId));
  const v = await findPolicyVersion(ctx.cdb.db, row.policy_id, input.versionId);
  if (v === undefined) throw noSuchVersion(input.policyArn, input.versionId);
  return toVersion(v, row.default_version);
}

export async function listPolicyVersions(ctx: IamContext, caller: Caller, input: PageRequest & { policyArn: string }): Promise<Page<PolicyVersion>> {
  const row = await addressedPolicy(ctx, caller, 'iam:ListPolicyVersions', input.policyArn);
  const versions = (await versionsOf(ctx.cdb.db, row.policy_id)).map((v) => toVersion(v, row.default_version));
  // Newest first, as AWS lists them; the marker is the position in that order.
  const start = input.marker === undefined ? 0 : Number(markerKey(input));
  if (!Number.isInteger(start) || start < 0) throw new IamError('ValidationError', 'Invalid Marker.');
  const limit = limitOf(input);
  const items = versions.slice(start, start + limit);
  const next = start + limit < versions.length ? Buffer.from(String(start + limit), 'utf8').toString('base64url') : undefined;
  return next === undefined ? { items } : { items, marker: next };
}

export async function setDefaultPolicyVersion(ctx: IamContext, caller: Caller, input: { policyArn: string; versionId: string }): Promise<void> {
  const row = await addressedPolicy(ctx, caller, 'iam:SetDefaultPolicyVersion', input.policyArn);
  let document = '';
  await ctx.cdb.transaction(async (tx) => {
    const v = await findPolicyVersion(tx, row.policy_id, input.versionId);
    if (v === undefined) throw noSuchVersion(input.policyArn, input.versionId);
    document = v.document;
    await updatePolicyRow(tx, row.policy_id, { default_version: input.versionId, updated_at: toDbTime(ctx.now()) });
  });
  putManaged(ctx.index, row.policy_id, row.name, row.arn, storedDocument(ctx.index, document, `${row.arn} ${input.versionId}`));
}

export async function deletePolicyVersion(ctx: IamContext, caller: Caller, input: { policyArn: string; versionId: string }): Promise<void> {
  const row = await addressedPolicy(ctx, caller, 'iam:DeletePolicyVersion', input.policyArn);
  await ctx.cdb.transaction(async (tx) => {
    const current = await findPolicyByArn(tx, input.policyArn);
    if (current === undefined) throw notFound(input.policyArn);
    if (current.default_version === input.versionId) throw new IamError('DeleteConflict', 'Cannot delete the default version of a policy.');
    if ((await findPolicyVersion(tx, row.policy_id, input.versionId)) === undefined) throw noSuchVersion(input.policyArn, input.versionId);
    await deletePolicyVersionRow(tx, row.policy_id, input.versionId);
  });
}

// --- attachments ---------------------------------------------------------------------------------

/** The user or role addressed by name, as an attachment owner, after authorization. */
async function addressedOwner(ctx: IamContext, caller: Caller, kind: OwnerKind, action: string, name: string, extra?: Record<string, string>): Promise<Owner & { name: string }> {
  const acct = caller.principal.accountId;
  if (kind === 'role') {
    if (extra === undefined) {
      const r = await addressedRole(ctx, caller, action, name);
      return { kind, id: r.role_id, name: r.name };
    }
    const r = await findRoleByName(ctx.cdb.db, acct, name);
    authorizeIam(ctx, caller, action, r ? toRole(r).arn : roleArn(acct, '/', name), extra);
    if (r === undefined) throw noSuchRole(name);
    return { kind, id: r.role_id, name: r.name };
  }
  const u = await findUserByName(ctx.cdb.db, acct, name);
  authorizeIam(ctx, caller, action, u ? toUser(u).arn : userArn(acct, '/', name), extra);
  if (u === undefined) throw new IamError('NoSuchEntity', `The user with name ${name} cannot be found.`);
  return { kind, id: u.user_id, name: u.name };
}

const attachAction = { user: 'iam:AttachUserPolicy', role: 'iam:AttachRolePolicy' } as const;
const detachAction = { user: 'iam:DetachUserPolicy', role: 'iam:DetachRolePolicy' } as const;
const listAttachedAction = { user: 'iam:ListAttachedUserPolicies', role: 'iam:ListAttachedRolePolicies' } as const;
const quotaName = { user: 'PoliciesPerUser', role: 'PoliciesPerRole' } as const;

export async function attachPolicy(ctx: IamContext, caller: Caller, kind: OwnerKind, name: string, arn: string): Promise<void> {
  checkPolicyArn(arn);
  const owner = await addressedOwner(ctx, caller, kind, attachAction[kind], name, { 'iam:PolicyARN': arn });
  const policy = await findPolicyByArn(ctx.cdb.db, arn);
  if (policy === undefined || policy.account_id !== caller.principal.accountId) throw notAttachable(arn);
  await ctx.cdb.transaction(async (tx) => {
    const attached = await attachedPoliciesOf(tx, owner);
    if (attached.some((p) => p.policy_id === policy.policy_id)) return;
    if (attached.length >= MANAGED_POLICIES_PER_PRINCIPAL) {
      throw new IamError('LimitExceeded', `Cannot exceed quota for ${quotaName[kind]}: ${MANAGED_POLICIES_PER_PRINCIPAL}`);
    }
    if ((await findPolicyByArn(tx, arn)) === undefined) throw notAttachable(arn);
    await insertAttachment(tx, owner, policy.policy_id, toDbTime(ctx.now()));
  });
  attach(ctx.index, kind, owner.id, policy.policy_id);
}

export async function detachPolicy(ctx: IamContext, caller: Caller, kind: OwnerKind, name: string, arn: string): Promise<void> {
  checkPolicyArn(arn);
  const owner = await addressedOwner(ctx, caller, kind, detachAction[kind], name, { 'iam:PolicyARN': arn });
  const policy = await findPolicyByArn(ctx.cdb.db, arn);
  if (policy === undefined) throw notFound(arn);
  const removed = await deleteAttachment(ctx.cdb.db, owner, policy.policy_id);
  if (removed === 0) throw notFound(arn);
  detach(ctx.index, kind, owner.id, policy.policy_id);
}

export async function listAttachedPolicies(ctx: IamContext, caller: Caller, kind: OwnerKind, input: PageRequest & { name: string; pathPrefix?: string }): Promise<Page<AttachedPolicy>> {
  const owner = await addressedOwner(ctx, caller, kind, listAttachedAction[kind], input.name);
  const rows = (await attachedPoliciesOf(ctx.cdb.db, owner)).filter((p) => input.pathPrefix === undefined || p.path.startsWith(input.pathPrefix));
  const page = pageOfList(rows, input, (p) => p.name_key);
  return { ...page, items: page.items.map((p) => ({ policyName: p.name, policyArn: p.arn })) };
}
