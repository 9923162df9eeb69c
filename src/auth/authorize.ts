/**
 * How AWS combines the policies that bear on one permission (one action on one resource), and the
 * AccessDenied message it answers with. The policy engine (`policy/`) decides each document; this
 * module decides between documents.
 *
 * The rules, in the order they are applied, with the AWS documentation they come from:
 *
 * 1. **An explicit Deny in any applicable policy wins** — identity-based or resource-based, over any
 *    Allow anywhere (IAM User Guide, "Policy evaluation logic" → "How AWS enforcement code logic
 *    evaluates requests to allow or deny access": "An explicit deny in any of these policies
 *    overrides the allow"). A bucket-policy Deny that names an account (`"AWS": "111122223333"`)
 *    denies every principal of that account.
 *    One exception: the root user of the bucket owner's account may always call GetBucketPolicy,
 *    PutBucketPolicy and DeleteBucketPolicy, "even if their bucket policy explicitly denies the
 *    root principal's access", so an owner cannot lock itself out (S3 API Reference,
 *    DeleteBucketPolicy → Permissions).
 *
 * 2. **Anonymous requests** have no identity policies: only a resource-based policy whose Principal
 *    is `"*"` (or `{"AWS": "*"}`) or an ACL grant to the AllUsers group can allow them (S3 User
 *    Guide, "How Amazon S3 authorizes a request"; "Access control list (ACL) overview" → Amazon S3
 *    predefined groups).
 *
 * 3. **The root user of the resource's account** is allowed unless a resource policy explicitly
 *    denies it (rule 1): "all requests are implicitly denied with the exception of the AWS account
 *    root user, which has full access" (IAM User Guide, enforcement code logic).
 *
 * 4. **Within one account**, a request is allowed when the principal's identity-based policies
 *    allow it OR the resource-based policy allows it, or an ACL grant does ("If either the
 *    identity-based policy or the resource-based policy within the same account allows the request
 *    and the other doesn't, the request is still allowed" — IAM User Guide, "Policy evaluation for
 *    requests within a single account"). A resource-policy Allow counts on its own only when its
 *    Principal names this principal (its user ARN, its role or role session, or `*`): naming the
 *    account (`arn:aws:iam::111122223333:root` or the bare id) "delegates authority to the
 *    account", whose identity policies must then grant it (IAM User Guide, "AWS JSON policy
 *    elements: Principal" → AWS account principals). For the same reason an ACL grant to the
 *    account's canonical user (every bucket's owner holds FULL_CONTROL) never allows an IAM user
 *    without an identity policy; a grant to AllUsers / AuthenticatedUsers does.
 *
 * 5. **Across accounts**, BOTH sides must allow: the principal's identity-based policies (its own
 *    account's root user is allowed by its account implicitly) AND the resource-based policy or an
 *    ACL grant of the resource's account, by name or through the account (IAM User Guide,
 *    "Cross-account policy evaluation logic"; S3 User Guide, "Example 2: Bucket owner granting
 *    cross-account bucket permissions"). A public (`"*"`) grant is not enough for a signed request
 *    of another account's user that no identity policy allows.
 *
 * 6. **Service principals** (`s3.amazonaws.com`…) have no identity policies: only a resource-based
 *    policy naming the service can allow them.
 *
 * 7. Anything else is an **implicit deny** — a user with no policy at all is denied.
 *
 * Messages (S3 User Guide, "Troubleshoot access denied (403 Forbidden) errors" → Access denied
 * message examples): for requests within the resource owner's account S3 answers
 * `User: <arn> is not authorized to perform: <action> on resource: "<arn>" because no
 * identity-based policy allows the <action> action`, `… with an explicit deny in an identity-based
 * policy`, `… with an explicit deny in a resource-based policy`, `… because no resource-based policy
 * allows the <action> action`; for actions on `*` the `on resource` part is left out. Callers from
 * other accounts and anonymous callers get the bare `Access Denied`: the context is shown only to
 * the resource owner's account. `reason` always carries the detailed form (for logs and
 * SimulatePrincipalPolicy); `message` is what goes on the wire.
 *
 * Out of scope (not modelled by s3batch): SCPs and RCPs, permissions boundaries, session policies,
 * VPC endpoint policies, S3 Block Public Access, Object Ownership, KMS key policies.
 */
import { canonicalIdOf } from './credentials.js';
import { compilePolicy } from './policy/compile.js';
import type { AuthzRequest, CompiledPolicy, Decision, PolicyDocument, PolicyStatement, PrincipalBlock, RequestPrincipal, StatementResult } from './policy/types.js';
import type { Permission as CatalogPermission } from './s3-catalog.js';
import type { PolicyDocument as StoredPolicyDocument, PolicyPrincipal as StoredPrincipal } from '../store/bucket-configs.js';
import type { Acl, Permission as AclPermission } from '../store/types.js';

// ---------------------------------------------------------------------------------------------
// Resource policies

/**
 * A resource-based policy compiled for the authorizer: the whole document, and its Allow
 * statements with the account-level principals (`"111122223333"`, `arn:aws:iam::111122223333:root`,
 * a `CanonicalUser` id) taken out — an Allow of the second says the policy names the principal itself (rule 4).
 */
export interface ResourcePolicy {
  readonly policy: CompiledPolicy;
  readonly direct: CompiledPolicy;
}

const ACCOUNT_PRINCIPAL = /^(?:\d{12}|arn:[^:]*:iam::\d{12}:root)$/;

const notApplicable: CompiledPolicy = Object.freeze({
  kind: 'resource' as const,
  evaluate: (): StatementResult => 'NotApplicable',
  explain: () => [],
});

/** The Allow statements of `doc` whose Principal names principals themselves, not only accounts. */
function directAllows(doc: PolicyDocument): PolicyDocument | null {
  const out: PolicyStatement[] = [];
  for (const s of doc.Statement) {
    if (s.Effect !== 'Allow') continue;
    // NotPrincipal statements and `"*"` name principals directly.
    if (s.Principal === undefined || s.Principal === '*') {
      out.push(s);
      continue;
    }
    const block: Record<string, readonly string[]> = {};
    let named = false;
    for (const type of Object.keys(s.Principal)) {
      const values = s.Principal[type]!;
      // A canonical user id names an account too (policy/principal.ts).
      const kept = type === 'AWS' ? values.filter((v) => !ACCOUNT_PRINCIPAL.test(v)) : type === 'CanonicalUser' ? [] : values;
      if (kept.length > 0) {
        block[type] = kept;
        named = true;
      }
    }
    if (named) out.push({ ...s, Principal: block });
  }
  return out.length > 0 ? { ...doc, Statement: out } : null;
}

/** Compiles a resource-based policy (a bucket policy) for `authorize`. Cache it per bucket, invalidated on Put/DeleteBucketPolicy. */
export function compileResourcePolicy(doc: PolicyDocument): ResourcePolicy {
  const direct = directAllows(doc);
  return { policy: compilePolicy(doc, 'resource'), direct: direct ? compilePolicy(direct, 'resource') : notApplicable };
}

function principalBlock(p: StoredPrincipal): PrincipalBlock {
  if (p === '*') return '*';
  const block: Record<string, readonly string[]> = {};
  for (const [type, values] of Object.entries(p)) if (values !== undefined) block[type] = values;
  return block;
}

/** The policy engine's document for a bucket policy as the store keeps it (parsed and validated by PutBucketPolicy). */
export function fromStoredPolicy(stored: StoredPolicyDocument): PolicyDocument {
  return {
    Version: stored.version,
    ...(stored.id !== undefined ? { Id: stored.id } : {}),
    Statement: stored.statements.map((s): PolicyStatement => {
      const st: { -readonly [K in keyof PolicyStatement]: PolicyStatement[K] } = { Effect: s.effect };
      if (s.sid !== undefined) st.Sid = s.sid;
      if (s.principal !== undefined) st.Principal = principalBlock(s.principal);
      if (s.notPrincipal !== undefined) st.NotPrincipal = principalBlock(s.notPrincipal);
      if (s.action !== undefined) st.Action = s.action;
      if (s.notAction !== undefined) st.NotAction = s.notAction;
      if (s.resource !== undefined) st.Resource = s.resource;
      if (s.notResource !== undefined) st.NotResource = s.notResource;
      if (s.condition !== undefined) st.Condition = s.condition;
      return st;
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// ACLs

/**
 * What an ACL grants the principal for one action: nothing, a grant to the principal's account
 * (its canonical user — needs the account's identity policies too, like an account-level Principal),
 * or a grant to everyone (AllUsers; AuthenticatedUsers for signed requests — like Principal `"*"`).
 */
export type AclAccess = 'none' | 'account' | 'everyone';

export const ALL_USERS_URI = 'http://acs.amazonaws.com/groups/global/AllUsers';
export const AUTHENTICATED_USERS_URI = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';

/**
 * ACL permission → the actions it grants (S3 User Guide, "Access control list (ACL) overview" →
 * "Mapping of ACL permissions and access policy permissions"). FULL_CONTROL grants all of a scope's.
 * Bucket WRITE grants s3:DeleteObjectVersion only when the grantee is the bucket owner.
 */
const bucketAclGrants: Readonly<Record<string, readonly AclPermission[]>> = {
  's3:ListBucket': ['READ'],
  's3:ListBucketVersions': ['READ'],
  's3:ListBucketMultipartUploads': ['READ'],
  's3:PutObject': ['WRITE'],
  's3:DeleteObject': ['WRITE'],
  's3:DeleteObjectVersion': ['WRITE'],
  's3:GetBucketAcl': ['READ_ACP'],
  's3:PutBucketAcl': ['WRITE_ACP'],
};
const objectAclGrants: Readonly<Record<string, readonly AclPermission[]>> = {
  's3:GetObject': ['READ'],
  's3:GetObjectVersion': ['READ'],
  's3:GetObjectAcl': ['READ_ACP'],
  's3:GetObjectVersionAcl': ['READ_ACP'],
  's3:PutObjectAcl': ['WRITE_ACP'],
  's3:PutObjectVersionAcl': ['WRITE_ACP'],
};

/** The ACL S3 keeps for a resource created without one: its owner has FULL_CONTROL. */
export function privateAcl(ownerCanonicalId: string): Acl {
  return { owner: ownerCanonicalId, grants: [{ grantee: { type: 'CanonicalUser', id: ownerCanonicalId }, permission: 'FULL_CONTROL' }] };
}

const canonicalIds = new Map<string, string>();
function canonicalIdOfAccount(accountId: string): string {
  let id = canonicalIds.get(accountId);
  if (id === undefined) {
    id = canonicalIdOf(accountId);
    if (canonicalIds.size > 10_000) canonicalIds.clear();
    canonicalIds.set(accountId, id);
  }
  return id;
}

/**
 * What `acl` (the bucket's ACL for `aclScope: 'bucket'`, the object's for `'object'`; pass
 * `privateAcl(owner)` when the resource has none) grants `principal` for `permission`.
 */
export function aclAllows(acl: Acl, principal: RequestPrincipal, permission: Pick<CatalogPermission, 'action' | 'aclScope'>): AclAccess {
  if (permission.aclScope === undefined) return 'none';
  const needed = (permission.aclScope === 'bucket' ? bucketAclGrants : objectAclGrants)[permission.action];
  if (needed === undefined) return 'none';
  const signed = principal.kind !== 'anonymous';
  const ownId = signed && principal.kind !== 'service' && principal.accountId !== null ? canonicalIdOfAccount(principal.accountId) : undefined;
  let best: AclAccess = 'none';
  for (const g of acl.grants) {
    if (g.permission !== 'FULL_CONTROL' && !needed.includes(g.permission)) continue;
    const ge = g.grantee;
    if (ge.type === 'Group') {
      if (ge.uri === ALL_USERS_URI || (ge.uri === AUTHENTICATED_USERS_URI && signed)) {
        // Bucket WRITE lets only the bucket owner delete any version; a group is never the owner.
        if (permission.action === 's3:DeleteObjectVersion' && g.permission !== 'FULL_CONTROL') continue;
        return 'everyone';
      }
    } else if (ge.type === 'CanonicalUser' && ownId !== undefined && ge.id === ownId) {
      if (permission.action === 's3:DeleteObjectVersion' && g.permission !== 'FULL_CONTROL' && ge.id !== acl.owner) continue;
      best = 'account';
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// The decision

export interface AuthorizeInput {
  readonly principal: RequestPrincipal;
  /** The principal is the root user of the account that owns the resource. */
  readonly isRootOfResourceAccount: boolean;
  /** The principal's identity-based policies (inline and attached); none for root, anonymous and services. */
  readonly identityPolicies: readonly CompiledPolicy[];
  /** The resource's resource-based policy (a bucket policy), from `compileResourcePolicy`. */
  readonly resourcePolicy?: ResourcePolicy;
  /** The account that owns the resource (the bucket's owner; the caller's own account for `*`). */
  readonly resourceAccountId: string;
  /** What the applicable ACL grants (`aclAllows`); 'none' when no ACL applies. */
  readonly aclAllows?: AclAccess;
  readonly request: AuthzRequest;
}

export interface Authorization {
  readonly decision: Decision;
  /** Why, in AWS's AccessDenied wording (always detailed). */
  readonly reason: string;
  /** The AccessDenied message S3 sends: detailed for the resource owner's account, else `Access Denied`. Empty when allowed. */
  readonly message: string;
}

/** The actions the bucket owner's root user may call despite a bucket-policy Deny (lock-out protection). */
const ROOT_LOCKOUT_SAFE: ReadonlySet<string> = new Set(['s3:getbucketpolicy', 's3:putbucketpolicy', 's3:deletebucketpolicy']);

const allowed = (reason: string): Authorization => Object.freeze({ decision: 'Allow', reason, message: '' });
const BY_IDENTITY = allowed('Allowed by an identity-based policy');
const BY_RESOURCE = allowed('Allowed by a resource-based policy');
const BY_ACL = allowed('Allowed by an ACL grant');
const BY_ROOT = allowed('Allowed: the root user of the resource\'s account');
const BY_BOTH = allowed('Allowed by an identity-based policy and by the resource\'s policy or ACL');

type DenyWhy = 'explicit-identity' | 'explicit-resource' | 'no-identity' | 'no-resource';

function denied(input: AuthorizeInput, why: DenyWhy): Authorization {
  const { principal: p, request: r } = input;
  const who = p.kind === 'anonymous' ? 'anonymous' : p.arn;
  const on = r.resource === '*' ? '' : ` on resource: "${r.resource}"`;
  const tail =
    why === 'explicit-identity' ? 'with an explicit deny in an identity-based policy'
    : why === 'explicit-resource' ? 'with an explicit deny in a resource-based policy'
    : why === 'no-identity' ? `because no identity-based policy allows the ${r.action} action`
    : `because no resource-based policy allows the ${r.action} action`;
  const reason = `User: ${who} is not authorized to perform: ${r.action}${on} ${tail}`;
  const sameAccount = p.kind !== 'anonymous' && p.accountId !== null && p.accountId === input.resourceAccountId;
  return { decision: why.startsWith('explicit') ? 'ExplicitDeny' : 'ImplicitDeny', reason, message: sameAccount ? reason : 'Access Denied' };
}

/** Decides one permission for one principal, as AWS combines identity policies, the resource policy and ACLs (rules above). */
export function authorize(input: AuthorizeInput): Authorization {
  const req = input.request;
  const p = input.principal;

  // 1. Explicit denies.
  let identityAllows = false;
  const ids = input.identityPolicies;
  for (let i = 0; i < ids.length; i++) {
    const r = ids[i]!.evaluate(req);
    if (r === 'Deny') return denied(input, 'explicit-identity');
    if (r === 'Allow') identityAllows = true;
  }
  const rp = input.resourcePolicy;
  const res: StatementResult = rp ? rp.policy.evaluate(req) : 'NotApplicable';
  if (res === 'Deny' && !(input.isRootOfResourceAccount && ROOT_LOCKOUT_SAFE.has(req.action.toLowerCase()))) {
    return denied(input, 'explicit-resource');
  }
  const resourceAllows = res === 'Allow';
  const resourceNamesPrincipal = resourceAllows && rp!.direct.evaluate(req) === 'Allow';
  const acl = input.aclAllows ?? 'none';

  // 2. Anonymous: only a public grant.
  if (p.kind === 'anonymous') {
    if (resourceNamesPrincipal) return BY_RESOURCE;
    if (acl === 'everyone') return BY_ACL;
    return denied(input, 'no-resource');
  }
  // 3. The resource owner's root user.
  if (input.isRootOfResourceAccount) return BY_ROOT;
  // 6. Services: only a resource policy naming them.
  if (p.kind === 'service') {
    if (resourceNamesPrincipal) return BY_RESOURCE;
    if (acl === 'everyone') return BY_ACL;
    return denied(input, 'no-resource');
  }
  // 4. Same account: either side.
  if (p.accountId !== null && p.accountId === input.resourceAccountId) {
    if (identityAllows) return BY_IDENTITY;
    if (resourceNamesPrincipal) return BY_RESOURCE;
    if (acl === 'everyone') return BY_ACL;
    return denied(input, 'no-identity');
  }
  // 5. Across accounts: both sides.
  if (!(identityAllows || p.kind === 'root')) return denied(input, 'no-identity');
  if (!(resourceAllows || acl !== 'none')) return denied(input, 'no-resource');
  return BY_BOTH;
}
