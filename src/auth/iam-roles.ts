/**
 * IAM roles: trust policies, session limits, descriptions, tags, and their inline policies.
 */
import { toDbTime } from '../db/control-db.js';
import { deleteRoleRow, findRoleById, findRoleByName, insertRole, listRoles as listRoleRows, updateRoleRow, type RoleRow } from '../db/iam-principals.js';
import { attachedPoliciesOf, deleteInlinePolicyRow, findInlinePolicy, inlinePoliciesOf, putInlinePolicy } from '../db/iam-policies.js';
import { authorizeIam, type IamContext } from './iam-authorize.js';
import { parseDocument, parseTrustDocument, policySize, PolicyQuota } from './iam-documents.js';
import { IamError } from './iam-errors.js';
import { putInline, removeInline, removeOwner } from './iam-index.js';
import { limitOf, markerKey, newUniqueId, pageOf, pageOfList, toRole } from './iam-rows.js';
import { roleArn, type Caller, type IamRole, type Page, type PageRequest, type Tag } from './iam-types.js';

/** AWS's bounds of a role's maximum session duration, seconds. */
export const MIN_MAX_SESSION = 3600;
export const MAX_MAX_SESSION = 43200;

export const noSuchRole = (name: string): IamError => new IamError('NoSuchEntity', `The role with name ${name} cannot be found.`);

/** The role an operation addresses, after the caller is authorized on it. */
export async function addressedRole(ctx: IamContext, caller: Caller, action: string, roleName: string): Promise<RoleRow> {
  const acct = caller.principal.accountId;
  const row = await findRoleByName(ctx.cdb.db, acct, roleName);
  authorizeIam(ctx, caller, action, row ? toRole(row).arn : roleArn(acct, '/', roleName));
  if (row === undefined) throw noSuchRole(roleName);
  return row;
}

export interface CreateRoleInput {
  readonly roleName: string;
  readonly path?: string;
  readonly assumeRolePolicyDocument: string;
  readonly description?: string;
  readonly maxSessionDuration?: number;
  readonly tags?: readonly Tag[];
}

export async function createRole(ctx: IamContext, caller: Caller, input: CreateRoleInput): Promise<IamRole> {
  const acct = caller.principal.accountId;
  const path = input.path ?? '/';
  authorizeIam(ctx, caller, 'iam:CreateRole', roleArn(acct, path, input.roleName));
  const row: RoleRow = {
    role_id: newUniqueId('AROA'),
    account_id: acct,
    name: input.roleName,
    name_key: input.roleName.toLowerCase(),
    path,
    description: input.description ?? null,
    max_session_duration: input.maxSessionDuration ?? MIN_MAX_SESSION,
    trust_policy: input.assumeRolePolicyDocument,
    created_at: toDbTime(ctx.now()),
    tags: JSON.stringify(input.tags ?? []),
  };
  const exists = (): IamError => new IamError('EntityAlreadyExists', `Role with name ${input.roleName} already exists.`);
  try {
    await ctx.cdb.transaction(async (tx) => {
      await parseTrustDocument(tx, input.assumeRolePolicyDocument, ctx.credentials.accounts);
      if (await findRoleByName(tx, acct, input.roleName)) throw exists();
      await insertRole(tx, row);
    });
  } catch (e) {
    throw ctx.cdb.isUniqueViolation(e) ? exists() : e;
  }
  return toRole(row);
}

export async function getRole(ctx: IamContext, caller: Caller, roleName: string): Promise<IamRole> {
  return toRole(await addressedRole(ctx, caller, 'iam:GetRole', roleName));
}

export async function listRoles(ctx: IamContext, caller: Caller, input: PageRequest & { pathPrefix?: string }): Promise<Page<IamRole>> {
  const acct = caller.principal.accountId;
  authorizeIam(ctx, caller, 'iam:ListRoles', `arn:aws:iam::${acct}:role${input.pathPrefix ?? '/'}`);
  const limit = limitOf(input);
  const rows = await listRoleRows(ctx.cdb.db, acct, { afterKey: markerKey(input), limit, pathPrefix: input.pathPrefix });
  return pageOf(rows, limit, (r) => r.name_key, toRole);
}

export async function deleteRole(ctx: IamContext, caller: Caller, roleName: string): Promise<void> {
  const target = await addressedRole(ctx, caller, 'iam:DeleteRole', roleName);
  const owner = { kind: 'role', id: target.role_id } as const;
  await ctx.cdb.transaction(async (tx) => {
    if ((await findRoleById(tx, target.role_id)) === undefined) throw noSuchRole(roleName);
    if ((await attachedPoliciesOf(tx, owner)).length > 0) throw new IamError('DeleteConflict', 'Cannot delete entity, must detach all policies first.');
    if ((await inlinePoliciesOf(tx, owner)).length > 0) throw new IamError('DeleteConflict', 'Cannot delete entity, must delete policies first.');
    await deleteRoleRow(tx, target.role_id);
  });
  // Sessions of the role live on until they expire, with no policy left to allow anything.
  removeOwner(ctx.index, 'role', target.role_id);
}

export async function updateAssumeRolePolicy(ctx: IamContext, caller: Caller, input: { roleName: string; policyDocument: string }): Promise<void> {
  const target = await addressedRole(ctx, caller, 'iam:UpdateAssumeRolePolicy', input.roleName);
  await ctx.cdb.transaction(async (tx) => {
    await parseTrustDocument(tx, input.policyDocument, ctx.credentials.accounts);
    if ((await findRoleById(tx, target.role_id)) === undefined) throw noSuchRole(input.roleName);
    await updateRoleRow(tx, target.role_id, { trust_policy: input.policyDocument });
  });
}

export async function updateRole(ctx: IamContext, caller: Caller, input: { roleName: string; description?: string; maxSessionDuration?: number }): Promise<void> {
  const target = await addressedRole(ctx, caller, 'iam:UpdateRole', input.roleName);
  const set: { description?: string; max_session_duration?: number } = {};
  if (input.description !== undefined) set.description = input.description;
  if (input.maxSessionDuration !== undefined) set.max_session_duration = input.maxSessionDuration;
  if (Object.keys(set).length > 0) await updateRoleRow(ctx.cdb.db, target.role_id, set);
}

// --- inline policies -----------------------------------------------------------------------------

export async function putRolePolicy(ctx: IamContext, caller: Caller, input: { roleName: string; policyName: string; policyDocument: string }): Promise<void> {
  const target = await addressedRole(ctx, caller, 'iam:PutRolePolicy', input.roleName);
  const owner = { kind: 'role', id: target.role_id } as const;
  const tooBig = (): IamError => new IamError('LimitExceeded', `Maximum policy size of ${PolicyQuota.RoleInline} bytes exceeded for role ${target.name}`);
  if (policySize(input.policyDocument) > PolicyQuota.RoleInline) throw tooBig();
  const parsed = parseDocument(input.policyDocument, 'identity');
  await ctx.cdb.transaction(async (tx) => {
    if ((await findRoleById(tx, target.role_id)) === undefined) throw noSuchRole(input.roleName);
    let total = policySize(input.policyDocument);
    for (const p of await inlinePoliciesOf(tx, owner)) if (p.name !== input.policyName) total += policySize(p.document);
    if (total > PolicyQuota.RoleInline) throw tooBig();
    await putInlinePolicy(tx, owner, input.policyName, input.policyDocument);
  });
  putInline(ctx.index, 'role', target.role_id, input.policyName, { text: input.policyDocument, doc: parsed });
}

export async function getRolePolicy(ctx: IamContext, caller: Caller, input: { roleName: string; policyName: string }): Promise<{ roleName: string; policyName: string; document: string }> {
  const target = await addressedRole(ctx, caller, 'iam:GetRolePolicy', input.roleName);
  const p = await findInlinePolicy(ctx.cdb.db, { kind: 'role', id: target.role_id }, input.policyName);
  if (p === undefined) throw new IamError('NoSuchEntity', `The role policy with name ${input.policyName} cannot be found.`);
  return { roleName: target.name, policyName: p.name, document: p.document };
}

export async function listRolePolicies(ctx: IamContext, caller: Caller, input: PageRequest & { roleName: string }): Promise<Page<string>> {
  const target = await addressedRole(ctx, caller, 'iam:ListRolePolicies', input.roleName);
  const names = (await inlinePoliciesOf(ctx.cdb.db, { kind: 'role', id: target.role_id })).map((p) => p.name);
  return pageOfList(names, input, (n) => n);
}

export async function deleteRolePolicy(ctx: IamContext, caller: Caller, input: { roleName: string; policyName: string }): Promise<void> {
  const target = await addressedRole(ctx, caller, 'iam:DeleteRolePolicy', input.roleName);
  const owner = { kind: 'role', id: target.role_id } as const;
  await ctx.cdb.transaction(async (tx) => {
    if ((await findInlinePolicy(tx, owner, input.policyName)) === undefined) {
      throw new IamError('NoSuchEntity', `The role policy with name ${input.policyName} cannot be found.`);
    }
    await deleteInlinePolicyRow(tx, owner, input.policyName);
  });
  removeInline(ctx.index, 'role', target.role_id, input.policyName);
}
