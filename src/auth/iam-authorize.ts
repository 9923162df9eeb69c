/**
 * What IAM and STS operations receive first (`IamContext`), and the check every IAM call passes:
 * the root user of the account may do anything in it; users and role sessions need an identity
 * policy that allows `iam:<Action>` on the resource, and no explicit deny.
 */
import type { ControlDb } from '../db/control-db.js';
import type { Credentials, KeyTable, Principal } from './credentials.js';
import { IamError } from './iam-errors.js';
import { identityPoliciesOf, type IamIndex } from './iam-index.js';
import type { Caller } from './iam-types.js';
import { decide } from './policy/evaluate.js';
import type { AuthzRequest, Decision } from './policy/types.js';

export interface IamContext {
  readonly cdb: ControlDb;
  readonly index: IamIndex;
  readonly keys: KeyTable;
  readonly credentials: Credentials;
  /** The configured root access key id of each account. */
  readonly rootKeys: ReadonlyMap<string, string>;
  /** When each account was first seen by this server (epoch ms): the root user's CreateDate. */
  readonly accountCreatedAt: ReadonlyMap<string, number>;
  readonly now: () => number;
  readonly log: (msg: string) => void;
}

/** The global condition keys of a request (lower-cased names, as the evaluator wants them). */
export function requestContextOf(caller: Caller, now: number, extra?: Readonly<Record<string, string | readonly string[]>>): Map<string, string | readonly string[]> {
  const m = new Map<string, string | readonly string[]>();
  m.set('aws:currenttime', new Date(now).toISOString());
  m.set('aws:epochtime', String(Math.floor(now / 1000)));
  m.set('aws:securetransport', caller.secureTransport ? 'true' : 'false');
  if (caller.sourceIp !== undefined) m.set('aws:sourceip', caller.sourceIp);
  if (extra) for (const k of Object.keys(extra)) m.set(k.toLowerCase(), extra[k]!);
  return m;
}

export function identityDecision(ctx: IamContext, caller: Caller, action: string, resource: string, extra?: Readonly<Record<string, string | readonly string[]>>): Decision {
  const req: AuthzRequest = { action, resource, principal: caller.principal, context: requestContextOf(caller, ctx.now(), extra) };
  return decide(req, identityPoliciesOf(ctx.index, caller.principal));
}

export function accessDenied(p: Principal, action: string, resource: string, decision: Decision): IamError {
  const why = decision === 'ExplicitDeny' ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${action} action`;
  return new IamError('AccessDenied', `User: ${p.arn} is not authorized to perform: ${action} on resource: ${resource} ${why}`);
}

/** Throws AccessDenied unless the caller may perform `action` on `resource` (in its own account). */
export function authorizeIam(ctx: IamContext, caller: Caller, action: string, resource: string, extra?: Readonly<Record<string, string | readonly string[]>>): void {
  if (caller.principal.kind === 'root') return;
  const d = identityDecision(ctx, caller, action, resource, extra);
  if (d !== 'Allow') throw accessDenied(caller.principal, action, resource, d);
}
