/**
 * SimulatePrincipalPolicy: how a user's or a role's identity policies decide a list of actions on
 * a list of resources, with the statements that decided. It uses the same compiled policies as the
 * request path (iam-index.ts), so what it says is what the server does.
 */
import { findRoleByName, findUserByName } from '../db/iam-principals.js';
import type { Principal } from './credentials.js';
import { authorizeIam, type IamContext } from './iam-authorize.js';
import { IamError } from './iam-errors.js';
import { identityPolicySources, type PolicySource } from './iam-index.js';
import { tagMap, toRole, toUser } from './iam-rows.js';
import { parseIamArn, type Caller, type OwnerKind } from './iam-types.js';
import type { AuthzRequest } from './policy/types.js';

export const EvalDecision = { Allowed: 'allowed', ExplicitDeny: 'explicitDeny', ImplicitDeny: 'implicitDeny' } as const;
export type EvalDecision = (typeof EvalDecision)[keyof typeof EvalDecision];

export interface MatchedStatement {
  readonly sourcePolicyId: string;
  readonly sourcePolicyType: PolicySource['type'];
}

export interface EvaluationResult {
  readonly action: string;
  readonly resource: string;
  readonly decision: EvalDecision;
  readonly matched: readonly MatchedStatement[];
}

export interface SimulateInput {
  readonly policySourceArn: string;
  readonly actionNames: readonly string[];
  readonly resourceArns?: readonly string[];
  /** Condition keys as given (any case) → values. */
  readonly context?: ReadonlyMap<string, string | readonly string[]>;
}

export async function simulatePrincipalPolicy(ctx: IamContext, caller: Caller, input: SimulateInput): Promise<readonly EvaluationResult[]> {
  const arn = parseIamArn(input.policySourceArn);
  if (arn === undefined || (arn.type !== 'user' && arn.type !== 'role')) {
    throw new IamError('InvalidInput', `Invalid ARN: ${input.policySourceArn}. The PolicySourceArn must be the ARN of a user or a role.`);
  }
  authorizeIam(ctx, caller, 'iam:SimulatePrincipalPolicy', input.policySourceArn);
  const acct = caller.principal.accountId;
  let owner: { kind: OwnerKind; id: string };
  let principal: Principal;
  if (arn.type === 'user') {
    const row = arn.accountId === acct ? await findUserByName(ctx.cdb.db, acct, arn.name) : undefined;
    if (row === undefined || toUser(row).arn !== input.policySourceArn) throw new IamError('NoSuchEntity', `The user with name ${arn.name} cannot be found.`);
    const u = toUser(row);
    owner = { kind: 'user', id: u.userId };
    principal = { kind: 'user', accountId: acct, arn: u.arn, accessKeyId: '', userId: u.userId, username: u.name, tags: tagMap(u.tags) };
  } else {
    const row = arn.accountId === acct ? await findRoleByName(ctx.cdb.db, acct, arn.name) : undefined;
    if (row === undefined || toRole(row).arn !== input.policySourceArn) throw new IamError('NoSuchEntity', `The role with name ${arn.name} cannot be found.`);
    const r = toRole(row);
    owner = { kind: 'role', id: r.roleId };
    // As a session of the role would be seen.
    principal = { kind: 'assumed-role', accountId: acct, arn: r.arn, accessKeyId: '', userId: r.roleId, roleArn: r.arn, tags: tagMap(r.tags) };
  }
  const context = new Map<string, string | readonly string[]>();
  for (const [k, v] of input.context ?? []) context.set(k.toLowerCase(), v);
  const sources = identityPolicySources(ctx.index, owner.kind, owner.id);
  const resources = input.resourceArns !== undefined && input.resourceArns.length > 0 ? input.resourceArns : ['*'];
  const out: EvaluationResult[] = [];
  for (const action of input.actionNames) {
    for (const resource of resources) out.push(evaluateOne(sources, { action, resource, principal, context }));
  }
  return out;
}

function evaluateOne(sources: readonly PolicySource[], req: AuthzRequest): EvaluationResult {
  const allows: MatchedStatement[] = [];
  const denies: MatchedStatement[] = [];
  for (const s of sources) {
    for (const hit of s.policy.explain(req)) {
      (hit.effect === 'Deny' ? denies : allows).push({ sourcePolicyId: s.id, sourcePolicyType: s.type });
    }
  }
  const decision: EvalDecision = denies.length > 0 ? 'explicitDeny' : allows.length > 0 ? 'allowed' : 'implicitDeny';
  return { action: req.action, resource: req.resource, decision, matched: decision === 'explicitDeny' ? denies : decision === 'allowed' ? allows : [] };
}
