/**
 * STS: temporary credentials for roles. AssumeRole checks the role's trust policy for the caller
 * and, where AWS requires it, the caller's own identity policies:
 *
 * - an explicit Deny in the trust policy or in the caller's identity policies refuses;
 * - the trust policy must allow the caller (Principal matched by the policy engine, conditions
 *   with sts:ExternalId, sts:RoleSessionName, aws:RequestTag/…, aws:TagKeys…);
 * - within one account, a trust policy that names the caller itself (its user or role ARN, or "*")
 *   suffices; one that names the account (root) only delegates to the account, and the caller's
 *   identity policies must then allow sts:AssumeRole on the role — as must they always across
 *   accounts.
 *
 * A session's keys (ASIA…) join the key table at once; its token is kept as a SHA-256 digest. The
 * job engine and replication take a role without HTTP through `assumeRoleAsService`.
 */
import { randomBytes } from 'node:crypto';
import { toDbTime } from '../db/control-db.js';
import { findRoleByName, type RoleRow } from '../db/iam-principals.js';
import { deleteSessionsExpiredBefore, insertSession, type SessionRow } from '../db/sts-sessions.js';
import { randomKeyId, randomSecret, sha256Hex, type Principal } from './credentials.js';
import { identityDecision, requestContextOf, type IamContext } from './iam-authorize.js';
import { parseDocument } from './iam-documents.js';
import { IamError } from './iam-errors.js';
import { tagMap, toRole } from './iam-rows.js';
import { assumedRoleArn, parseIamArn, type Caller, type IamRole, type Tag } from './iam-types.js';
import { compilePolicy } from './policy/compile.js';
import { principalMatch } from './policy/evaluate.js';
import type { AuthzRequest, PolicyDocument, RequestPrincipal } from './policy/types.js';

/** Session duration bounds, seconds (AWS). */
export const MIN_SESSION_SECONDS = 900;
export const DEFAULT_SESSION_SECONDS = 3600;
/** A role session assuming another role ("role chaining") gets at most one hour. */
export const CHAINED_SESSION_SECONDS = 3600;

export const ServicePrincipal = { BatchOperations: 'batchoperations.s3.amazonaws.com', S3: 's3.amazonaws.com' } as const;
export type ServicePrincipal = (typeof ServicePrincipal)[keyof typeof ServicePrincipal];

export interface AssumeRoleInput {
  readonly roleArn: string;
  readonly roleSessionName: string;
  readonly durationSeconds?: number;
  readonly externalId?: string;
  readonly sourceIdentity?: string;
  readonly tags?: readonly Tag[];
  readonly transitiveTagKeys?: readonly string[];
}

export interface TemporaryCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** Epoch ms. */
  readonly expiration: number;
}

export interface AssumeRoleResult {
  readonly credentials: TemporaryCredentials;
  readonly assumedRoleId: string;
  readonly arn: string;
  readonly sourceIdentity?: string;
}

function trustRequest(role: IamRole, principal: RequestPrincipal, context: ReadonlyMap<string, string | readonly string[]>, action = 'sts:AssumeRole'): AuthzRequest {
  return { action, resource: role.arn, principal, context };
}

/** Does an Allow statement of the trust policy name the principal itself (not merely its account)? */
function namesDirectly(doc: PolicyDocument, req: AuthzRequest): boolean {
  const direct = doc.Statement.filter(
    (s) => s.Effect === 'Allow' && (s.NotPrincipal !== undefined || (s.Principal !== undefined && principalMatch(s.Principal, req.principal) === 'Match')),
  );
  return direct.length > 0 && compilePolicy({ ...doc, Statement: direct }, 'trust').evaluate(req) === 'Allow';
}

function notAuthorized(p: Principal, role: string): IamError {
  return new IamError('AccessDenied', `User: ${p.arn} is not authorized to perform: sts:AssumeRole on resource: ${role}`);
}

/** Trust policy plus, where required, identity policy, for one action (sts:AssumeRole, sts:TagSession…). */
function allowedToAssume(ctx: IamContext, caller: Caller, role: IamRole, trust: PolicyDocument, action: string, context: ReadonlyMap<string, string | readonly string[]>): boolean {
  const req = trustRequest(role, caller.principal, context, action);
  const compiled = compilePolicy(trust, 'trust');
  if (compiled.evaluate(req) !== 'Allow') return false;
  const extra = Object.fromEntries(context);
  const identity = identityDecision(ctx, caller, action, role.arn, extra);
  if (identity === 'ExplicitDeny') return false;
  if (identity === 'Allow') return true;
  return caller.principal.accountId === role.accountId && namesDirectly(trust, req);
}

export async function assumeRole(ctx: IamContext, caller: Caller, input: AssumeRoleInput): Promise<AssumeRoleResult> {
  const p = caller.principal;
  if (p.kind === 'root') throw new IamError('AccessDenied', 'Roles may not be assumed by root accounts.');
  const arn = parseIamArn(input.roleArn);
  const row = arn !== undefined && arn.type === 'role' && ctx.credentials.accounts.has(arn.accountId) ? await findRoleByName(ctx.cdb.db, arn.accountId, arn.name) : undefined;
  // An unknown role is refused like a forbidden one: callers learn nothing about other accounts.
  if (row === undefined || toRole(row).arn !== input.roleArn) throw notAuthorized(p, input.roleArn);
  const role = toRole(row);
  const trust = parseDocument(role.trustPolicy, 'trust');

  const tags = input.tags ?? [];
  const extra: Record<string, string | readonly string[]> = { 'sts:RoleSessionName': input.roleSessionName };
  if (input.externalId !== undefined) extra['sts:ExternalId'] = input.externalId;
  if (input.sourceIdentity !== undefined) extra['sts:SourceIdentity'] = input.sourceIdentity;
  for (const t of tags) extra[`aws:RequestTag/${t.Key}`] = t.Value;
  if (tags.length > 0) extra['aws:TagKeys'] = tags.map((t) => t.Key);
  if (input.transitiveTagKeys !== undefined) extra['sts:TransitiveTagKeys'] = input.transitiveTagKeys;
  const context = requestContextOf(caller, ctx.now(), extra);

  if (!allowedToAssume(ctx, caller, role, trust, 'sts:AssumeRole', context)) throw notAuthorized(p, input.roleArn);
  if (tags.length > 0 && !allowedToAssume(ctx, caller, role, trust, 'sts:TagSession', context)) {
    throw new IamError('AccessDenied', `User: ${p.arn} is not authorized to perform: sts:TagSession on resource: ${input.roleArn}`);
  }
  if (input.sourceIdentity !== undefined && !allowedToAssume(ctx, caller, role, trust, 'sts:SetSourceIdentity', context)) {
    throw new IamError('AccessDenied', `User: ${p.arn} is not authorized to perform: sts:SetSourceIdentity on resource: ${input.roleArn}`);
  }

  const duration = input.durationSeconds ?? DEFAULT_SESSION_SECONDS;
  if (p.kind === 'assumed-role' && duration > CHAINED_SESSION_SECONDS) {
    throw new IamError('ValidationError', 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
  }
  if (duration > role.maxSessionDuration) throw new IamError('ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');

  return createSession(ctx, row, input.roleSessionName, duration, { tags: { ...tagMap(role.tags), ...tagMap(tags) }, sourceIdentity: input.sourceIdentity, callerArn: p.arn });
}

async function createSession(
  ctx: IamContext,
  row: RoleRow,
  sessionName: string,
  durationSeconds: number,
  opts: { tags: Readonly<Record<string, string>>; sourceIdentity?: string; callerArn: string },
): Promise<AssumeRoleResult> {
  const role = toRole(row);
  const now = ctx.now();
  const expiration = Math.floor(now / 1000) * 1000 + durationSeconds * 1000;
  const accessKeyId = randomKeyId('ASIA');
  const secretAccessKey = randomSecret();
  const sessionToken = randomBytes(96).toString('base64');
  const session: SessionRow = {
    access_key_id: accessKeyId,
    account_id: role.accountId,
    secret: secretAccessKey,
    token_hash: sha256Hex(sessionToken),
    role_id: role.roleId,
    role_arn: role.arn,
    session_name: sessionName,
    source_identity: opts.sourceIdentity ?? null,
    tags: JSON.stringify(opts.tags),
    caller_arn: opts.callerArn,
    created_at: toDbTime(now),
    expires_at: toDbTime(expiration),
  };
  await insertSession(ctx.cdb.db, session);
  ctx.keys.put(accessKeyId, sessionKeyEntry(session, role.name));
  return {
    credentials: { accessKeyId, secretAccessKey, sessionToken, expiration },
    assumedRoleId: `${role.roleId}:${sessionName}`,
    arn: assumedRoleArn(role.accountId, role.name, sessionName),
    sourceIdentity: opts.sourceIdentity,
  };
}

/** The principal of a session. */
export function sessionPrincipal(s: { accountId: string; roleId: string; roleArn: string; roleName: string; sessionName: string; accessKeyId: string; tags: Readonly<Record<string, string>>; sourceIdentity?: string }): Principal {
  return {
    kind: 'assumed-role',
    accountId: s.accountId,
    arn: assumedRoleArn(s.accountId, s.roleName, s.sessionName),
    accessKeyId: s.accessKeyId,
    userId: `${s.roleId}:${s.sessionName}`,
    roleArn: s.roleArn,
    sessionName: s.sessionName,
    sourceIdentity: s.sourceIdentity,
    tags: s.tags,
  };
}

/** A stored session as an entry of the key table. */
export function sessionKeyEntry(r: SessionRow, roleName: string) {
  return {
    secretAccessKey: r.secret,
    principal: sessionPrincipal({
      accountId: r.account_id,
      roleId: r.role_id,
      roleArn: r.role_arn,
      roleName,
      sessionName: r.session_name,
      accessKeyId: r.access_key_id,
      tags: JSON.parse(r.tags) as Record<string, string>,
      sourceIdentity: r.source_identity ?? undefined,
    }),
    session: { tokenSha256: r.token_hash, expiresAt: Date.parse(r.expires_at) },
  };
}

export class AssumeRoleAsServiceError extends Error {
  override name = 'AssumeRoleAsServiceError';
  readonly reason: 'NoSuchRole' | 'NotTrusted';
  constructor(reason: 'NoSuchRole' | 'NotTrusted', message: string) {
    super(message);
    this.reason = reason;
  }
}

/**
 * A role session for an AWS service principal, without HTTP: the job engine runs batch tasks as the
 * job's role for batchoperations.s3.amazonaws.com, replication as s3.amazonaws.com. The role's trust
 * policy must allow that service to call sts:AssumeRole. The session is not registered as an access
 * key: it cannot sign requests, only be authorized.
 */
export async function assumeRoleAsService(ctx: IamContext, roleArnText: string, service: ServicePrincipal, sessionName: string): Promise<Principal> {
  const arn = parseIamArn(roleArnText);
  const row = arn !== undefined && arn.type === 'role' && ctx.credentials.accounts.has(arn.accountId) ? await findRoleByName(ctx.cdb.db, arn.accountId, arn.name) : undefined;
  if (row === undefined || toRole(row).arn !== roleArnText) throw new AssumeRoleAsServiceError('NoSuchRole', `The role ${roleArnText} does not exist.`);
  const role = toRole(row);
  const principal: RequestPrincipal = { kind: 'service', arn: service, accountId: null, userId: service, tags: {} };
  const context = new Map<string, string | readonly string[]>([
    ['aws:currenttime', new Date(ctx.now()).toISOString()],
    ['aws:epochtime', String(Math.floor(ctx.now() / 1000))],
    ['sts:rolesessionname', sessionName],
  ]);
  const trust = parseDocument(role.trustPolicy, 'trust');
  if (compilePolicy(trust, 'trust').evaluate(trustRequest(role, principal, context)) !== 'Allow') {
    throw new AssumeRoleAsServiceError('NotTrusted', `The trust policy of role ${role.arn} does not allow the service principal ${service} to call sts:AssumeRole.`);
  }
  return sessionPrincipal({ accountId: role.accountId, roleId: role.roleId, roleArn: role.arn, roleName: role.name, sessionName, accessKeyId: randomKeyId('ASIA'), tags: tagMap(role.tags) });
}

export interface CallerIdentity {
  readonly userId: string;
  readonly account: string;
  readonly arn: string;
}

/** Needs no permission: AWS answers GetCallerIdentity even when every action is denied. */
export function getCallerIdentity(caller: Caller): CallerIdentity {
  const p = caller.principal;
  return { userId: p.userId, account: p.accountId, arn: p.arn };
}

/** How long an expired session still answers ExpiredToken before its key is forgotten. */
export const EXPIRED_SESSION_GRACE_MS = 60 * 60 * 1000;

/** Forgets sessions expired more than the grace period ago (database and key table). */
export async function sweepExpiredSessions(ctx: IamContext): Promise<number> {
  const ids = await deleteSessionsExpiredBefore(ctx.cdb.db, toDbTime(ctx.now() - EXPIRED_SESSION_GRACE_MS));
  for (const id of ids) ctx.keys.delete(id);
  return ids.length;
}
