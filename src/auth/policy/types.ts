/**
 * The policy engine's contract: documents (identity, resource, trust), the request an evaluator
 * decides, and the decision. The parser, the compiled evaluator and the authorizer all speak these
 * types; nothing here knows HTTP or SQL.
 */

export const PolicyKind = { Identity: 'identity', Resource: 'resource', Trust: 'trust' } as const;
export type PolicyKind = (typeof PolicyKind)[keyof typeof PolicyKind];

export type Effect = 'Allow' | 'Deny';

/** `"*"`, or principals by type (AWS, Service, Federated, CanonicalUser), values normalised to arrays. */
export type PrincipalBlock = '*' | { readonly [type: string]: readonly string[] };

/** Condition block: operator → key → values (normalised to arrays of strings). */
export type ConditionBlock = { readonly [operator: string]: { readonly [key: string]: readonly string[] } };

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: Effect;
  readonly Principal?: PrincipalBlock;
  readonly NotPrincipal?: PrincipalBlock;
  readonly Action?: readonly string[];
  readonly NotAction?: readonly string[];
  readonly Resource?: readonly string[];
  readonly NotResource?: readonly string[];
  readonly Condition?: ConditionBlock;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17' | '2008-10-17';
  readonly Id?: string;
  readonly Statement: readonly PolicyStatement[];
}

/** Who is asking. */
export interface RequestPrincipal {
  readonly kind: 'root' | 'user' | 'assumed-role' | 'service' | 'anonymous';
  /** arn:aws:iam::<acct>:root | arn:aws:iam::<acct>:user/<path><name> | arn:aws:sts::<acct>:assumed-role/<role>/<session> | the service name | '*' */
  readonly arn: string;
  readonly accountId: string | null;
  /** aws:userid — AIDA… for users, AROA…:<session> for roles, the account id for root. */
  readonly userId: string;
  /** aws:username — users only. */
  readonly username?: string;
  /** For assumed-role sessions: the role's ARN (arn:aws:iam::<acct>:role/<path><name>); a policy Principal naming the role matches its sessions. */
  readonly roleArn?: string;
  /** aws:PrincipalTag/* */
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * One request to decide. Condition keys are looked up case-insensitively: store them lower-cased
 * (e.g. 'aws:sourceip', 's3:prefix', 's3:existingobjecttag/color'). The evaluator derives
 * aws:PrincipalArn, aws:PrincipalAccount, aws:userid, aws:username and aws:PrincipalTag/* from the
 * principal itself; the caller supplies everything else (aws:SourceIp, aws:SecureTransport,
 * aws:CurrentTime, service keys…).
 */
export interface AuthzRequest {
  readonly action: string; // 's3:GetObject'
  readonly resource: string; // ARN
  readonly principal: RequestPrincipal;
  readonly context: ReadonlyMap<string, string | readonly string[]>;
}

/** The result of one policy document for one request. */
export type StatementResult = 'Allow' | 'Deny' | 'NotApplicable';

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

export interface CompiledPolicy {
  readonly kind: PolicyKind;
  /** 'Deny' if any statement denies, else 'Allow' if any allows, else 'NotApplicable'. */
  evaluate(req: AuthzRequest): StatementResult;
  /** The Sids (or indexes) of statements that matched, with their effect — for SimulatePrincipalPolicy. */
  explain(req: AuthzRequest): readonly { readonly sid: string; readonly effect: Effect }[];
}

/** Why a document was refused; the IAM API renders `code` and `message` as AWS does. */
export class PolicyDocumentError extends Error {
  readonly code: 'MalformedPolicyDocument' | 'LimitExceeded';
  constructor(code: 'MalformedPolicyDocument' | 'LimitExceeded', message: string) {
    super(message);
    this.name = 'PolicyDocumentError';
    this.code = code;
  }
}
