/**
 * IAM users, their access keys and their inline policies. Every operation authorizes the caller
 * first (iam-authorize.ts), writes in one transaction, and updates the in-memory index and key
 * table only after the commit.
 */
import { toDbTime } from '../db/control-db.js';
import {
  accessKeysOf,
  deleteAccessKeyRow,
  deleteUserRow,
  findAccessKey,
  findUserById,
  findUserByName,
  insertAccessKey,
  insertUser,
  listUsers as listUserRows,
  setAccessKeyStatus,
  type UserRow,
} from '../db/iam-principals.js';
import { attachedPoliciesOf, deleteInlinePolicyRow, findInlinePolicy, inlinePoliciesOf, putInlinePolicy } from '../db/iam-policies.js';
import { randomKeyId, randomSecret } from './credentials.js';
import { authorizeIam, type IamContext } from './iam-authorize.js';
import { parseDocument, policySize, PolicyQuota } from './iam-documents.js';
import { IamError } from './iam-errors.js';
import { putInline, removeInline, removeOwner } from './iam-index.js';
import { limitOf, markerKey, newUniqueId, pageOf, pageOfList, toAccessKey, toUser, userPrincipal } from './iam-rows.js';
import { userArn, type AccessKeyMeta, type AccessKeyStatus, type Caller, type IamUser, type Page, type PageRequest, type Tag } from './iam-types.js';

export const ACCESS_KEYS_PER_USER = 2;

const noSuchUser = (name: string): IamError => new IamError('NoSuchEntity', `The user with name ${name} cannot be found.`);
const nonUserCaller = (): IamError => new IamError('ValidationError', 'Must specify userName when calling with non-User credentials');

/**
 * The user an operation addresses, after the caller is authorized on it: by name, or (no name) the
 * calling user itself. Authorization comes first, so a caller without permission learns nothing
 * about whether the user exists.
 */
async function addressedUser(ctx: IamContext, caller: Caller, action: string, userName: string | undefined): Promise<UserRow> {
  const acct = caller.principal.accountId;
  let row: UserRow | undefined;
  let name = userName;
  if (name === undefined) {
    if (caller.principal.kind !== 'user') throw nonUserCaller();
    row = await findUserById(ctx.cdb.db, caller.principal.userId);
    name = caller.principal.username!;
  } else {
    row = await findUserByName(ctx.cdb.db, acct, name);
  }
  authorizeIam(ctx, caller, action, row ? toUser(row).arn : userArn(acct, '/', name));
  if (row === undefined) throw noSuchUser(name);
  return row;
}

// --- users ---------------------------------------------------------------------------------------

export async function createUser(ctx: IamContext, caller: Caller, input: { userName: string; path?: string; tags?: readonly Tag[] }): Promise<IamUser> {
  const acct = caller.principal.accountId;
  const path = input.path ?? '/';
  authorizeIam(ctx, caller, 'iam:CreateUser', userArn(acct, path, input.userName));
  const row: UserRow = {
    user_id: newUniqueId('AIDA'),
    account_id: acct,
    name: input.userName,
    name_key: input.userName.toLowerCase(),
    path,
    created_at: toDbTime(ctx.now()),
    tags: JSON.stringify(input.tags ?? []),
  };
  const exists = (): IamError => new IamError('EntityAlreadyExists', `User with name ${input.userName} already exists.`);
  try {
    await ctx.cdb.transaction(async (tx) => {
      if (await findUserByName(tx, acct, input.userName)) throw exists();
      await insertUser(tx, row);
    });
  } catch (e) {
    throw ctx.cdb.isUniqueViolation(e) ? exists() : e;
  }
  return toUser(row);
}

/** The root user's pseudo-record (GetUser without a name, signed by root). */
export interface RootUser {
  readonly root: true;
  readonly accountId: string;
  readonly arn: string;
  readonly createdAt: number;
}

export async function getUser(ctx: IamContext, caller: Caller, userName: string | undefined): Promise<IamUser | RootUser> {
  if (userName === undefined && caller.principal.kind === 'root') {
    const acct = caller.principal.accountId;
    return { root: true, accountId: acct, arn: caller.principal.arn, createdAt: ctx.accountCreatedAt.get(acct) ?? 0 };
  }
  return toUser(await addressedUser(ctx, caller, 'iam:GetUser', userName));
}

export async function listUsers(ctx: IamContext, caller: Caller, input: PageRequest & { pathPrefix?: string }): Promise<Page<IamUser>> {
  const acct = caller.principal.accountId;
  authorizeIam(ctx, caller, 'iam:ListUsers', `arn:aws:iam::${acct}:user${input.pathPrefix ?? '/'}`);
  const limit = limitOf(input);
  const rows = await listUserRows(ctx.cdb.db, acct, { afterKey: markerKey(input), limit, pathPrefix: input.pathPrefix });
  return pageOf(rows, limit, (r) => r.name_key, toUser);
}

export async function deleteUser(ctx: IamContext, caller: Caller, userName: string): Promise<void> {
  const target = await addressedUser(ctx, caller, 'iam:DeleteUser', userName);
  const owner = { kind: 'user', id: target.user_id } as const;
  await ctx.cdb.transaction(async (tx) => {
    if ((await findUserById(tx, target.user_id)) === undefined) throw noSuchUser(userName);
    if ((await accessKeysOf(tx, target.user_id)).length > 0) throw new IamError('DeleteConflict', 'Cannot delete entity, must delete access keys first.');
    if ((await inlinePoliciesOf(tx, owner)).length > 0) throw new IamError('DeleteConflict', 'Cannot delete entity, must delete policies first.');
    if ((await attachedPoliciesOf(tx, owner)).length > 0) throw new IamError('DeleteConflict', 'Cannot delete entity, must detach all policies first.');
    await deleteUserRow(tx, target.user_id);
  });
  removeOwner(ctx.index, 'user', target.user_id);
}

// --- access keys ---------------------------------------------------------------------------------

export interface NewAccessKey extends AccessKeyMeta {
  readonly secretAccessKey: string;
}

export async function createAccessKey(ctx: IamContext, caller: Caller, userName: string | undefined): Promise<NewAccessKey> {
  const target = await addressedUser(ctx, caller, 'iam:CreateAccessKey', userName);
  const row = {
    access_key_id: randomKeyId('AKIA'),
    account_id: target.account_id,
    user_id: target.user_id,
    secret: randomSecret(),
    status: 'Active',
    created_at: toDbTime(ctx.now()),
  };
  await ctx.cdb.transaction(async (tx) => {
    if ((await findUserById(tx, target.user_id)) === undefined) throw noSuchUser(target.name);
    if ((await accessKeysOf(tx, target.user_id)).length >= ACCESS_KEYS_PER_USER) {
      throw new IamError('LimitExceeded', `Cannot exceed quota for AccessKeysPerUser: ${ACCESS_KEYS_PER_USER}`);
    }
    await insertAccessKey(tx, row);
  });
  ctx.keys.put(row.access_key_id, { secretAccessKey: row.secret, principal: userPrincipal(toUser(target), row.access_key_id) });
  return { ...toAccessKey(row, target.name), secretAccessKey: row.secret };
}

export async function listAccessKeys(ctx: IamContext, caller: Caller, input: PageRequest & { userName?: string }): Promise<Page<AccessKeyMeta>> {
  if (input.userName === undefined && caller.principal.kind === 'root') {
    // The root user's own key, from the configuration.
    const id = ctx.rootKeys.get(caller.principal.accountId);
    const created = ctx.accountCreatedAt.get(caller.principal.accountId) ?? 0;
    const keys: AccessKeyMeta[] = id === undefined ? [] : [{ accessKeyId: id, status: 'Active', createdAt: created }];
    return pageOfList(keys, input, (k) => k.accessKeyId);
  }
  const target = await addressedUser(ctx, caller, 'iam:ListAccessKeys', input.userName);
  const rows = await accessKeysOf(ctx.cdb.db, target.user_id);
  return pageOfList(
    rows.map((r) => toAccessKey(r, target.name)),
    input,
    (k) => k.accessKeyId,
  );
}

/** The key, which must belong to the addressed user. */
async function addressedKey(ctx: IamContext, caller: Caller, action: string, userName: string | undefined, accessKeyId: string): Promise<{ user: UserRow }> {
  const noSuchKey = (): IamError => new IamError('NoSuchEntity', `The Access Key with id ${accessKeyId} cannot be found`);
  if (userName === undefined && caller.principal.kind === 'root') {
    authorizeIam(ctx, caller, action, caller.principal.arn);
    throw noSuchKey(); // the root user's keys come from the configuration and are managed there
  }
  const user = await addressedUser(ctx, caller, action, userName);
  const key = await findAccessKey(ctx.cdb.db, accessKeyId);
  if (key === undefined || key.user_id !== user.user_id) throw noSuchKey();
  return { user };
}

export async function updateAccessKey(ctx: IamContext, caller: Caller, input: { userName?: string; accessKeyId: string; status: AccessKeyStatus }): Promise<void> {
  const { user } = await addressedKey(ctx, caller, 'iam:UpdateAccessKey', input.userName, input.accessKeyId);
  let secret: string | undefined;
  await ctx.cdb.transaction(async (tx) => {
    const key = await findAccessKey(tx, input.accessKeyId);
    if (key === undefined) throw new IamError('NoSuchEntity', `The Access Key with id ${input.accessKeyId} cannot be found`);
    secret = key.secret;
    await setAccessKeyStatus(tx, input.accessKeyId, input.status);
  });
  // An Inactive key is refused like an unknown one (S3: InvalidAccessKeyId; IAM/STS: InvalidClientTokenId).
  if (input.status === 'Active') ctx.keys.put(input.accessKeyId, { secretAccessKey: secret!, principal: userPrincipal(toUser(user), input.accessKeyId) });
  else ctx.keys.delete(input.accessKeyId);
}

export async function deleteAccessKey(ctx: IamContext, caller: Caller, input: { userName?: string; accessKeyId: string }): Promise<void> {
  await addressedKey(ctx, caller, 'iam:DeleteAccessKey', input.userName, input.accessKeyId);
  await deleteAccessKeyRow(ctx.cdb.db, input.accessKeyId);
  ctx.keys.delete(input.accessKeyId);
}

// --- inline policies -----------------------------------------------------------------------------

export async function putUserPolicy(ctx: IamContext, caller: Caller, input: { userName: string; policyName: string; policyDocument: string }): Promise<void> {
  const target = await addressedUser(ctx, caller, 'iam:PutUserPolicy', input.userName);
  const owner = { kind: 'user', id: target.user_id } as const;
  const tooBig = (): IamError => new IamError('LimitExceeded', `Maximum policy size of ${PolicyQuota.UserInline} bytes exceeded for user ${target.name}`);
  if (policySize(input.policyDocument) > PolicyQuota.UserInline) throw tooBig();
  const parsed = parseDocument(input.policyDocument, 'identity');
  await ctx.cdb.transaction(async (tx) => {
    if ((await findUserById(tx, target.user_id)) === undefined) throw noSuchUser(input.userName);
    let total = policySize(input.policyDocument);
    for (const p of await inlinePoliciesOf(tx, owner)) if (p.name !== input.policyName) total += policySize(p.document);
    if (total > PolicyQuota.UserInline) throw tooBig();
    await putInlinePolicy(tx, owner, input.policyName, input.policyDocument);
  });
  putInline(ctx.index, 'user', target.user_id, input.policyName, { text: input.policyDocument, doc: parsed });
}

export async function getUserPolicy(ctx: IamContext, caller: Caller, input: { userName: string; policyName: string }): Promise<{ userName: string; policyName: string; document: string }> {
  const target = await addressedUser(ctx, caller, 'iam:GetUserPolicy', input.userName);
  const p = await findInlinePolicy(ctx.cdb.db, { kind: 'user', id: target.user_id }, input.policyName);
  if (p === undefined) throw new IamError('NoSuchEntity', `The user policy with name ${input.policyName} cannot be found.`);
  return { userName: target.name, policyName: p.name, document: p.document };
}

export async function listUserPolicies(ctx: IamContext, caller: Caller, input: PageRequest & { userName: string }): Promise<Page<string>> {
  const target = await addressedUser(ctx, caller, 'iam:ListUserPolicies', input.userName);
  const names = (await inlinePoliciesOf(ctx.cdb.db, { kind: 'user', id: target.user_id })).map((p) => p.name);
  return pageOfList(names, input, (n) => n);
}

export async function deleteUserPolicy(ctx: IamContext, caller: Caller, input: { userName: string; policyName: string }): Promise<void> {
  const target = await addressedUser(ctx, caller, 'iam:DeleteUserPolicy', input.userName);
  const owner = { kind: 'user', id: target.user_id } as const;
  await ctx.cdb.transaction(async (tx) => {
    if ((await findInlinePolicy(tx, owner, input.policyName)) === undefined) {
      throw new IamError('NoSuchEntity', `The user policy with name ${input.policyName} cannot be found.`);
    }
    await deleteInlinePolicyRow(tx, owner, input.policyName);
  });
  removeInline(ctx.index, 'user', target.user_id, input.policyName);
}

export { addressedUser };
