/**
 * Principal / NotPrincipal matching for resource and trust policies.
 *
 * `"*"` and `{"AWS":"*"}` name everyone, anonymous callers included. An account id or
 * `arn:aws:iam::<acct>:root` (or the account's S3 canonical user id, `"CanonicalUser"`) names every
 * principal of that account — an *account-level* match: the account still has to grant the
 * permission through its own identity policies, which is the authorizer's business, so it is
 * reported separately. A role ARN names the role's sessions
 * (`arn:aws:sts::<acct>:assumed-role/<role>/<session>`); role names are unique per account whatever
 * their path, so the session is matched on account and name. Users, sessions, services and
 * federated users are matched exactly. Unique ids (`AIDA…`, left behind when a named principal is
 * deleted) match nothing.
 */
import { canonicalIdOf } from '../credentials.js';
import type { PrincipalBlock, RequestPrincipal } from './types.js';

export const PrincipalMatch = { Match: 'Match', AccountLevel: 'AccountLevelMatch', NoMatch: 'NoMatch' } as const;
export type PrincipalMatch = (typeof PrincipalMatch)[keyof typeof PrincipalMatch];

const ACCOUNT_ID = /^\d{12}$/;
const ACCOUNT_ARN = /^arn:[^:]*:iam::(\d{12}):root$/;
const UNIQUE_ID = /^A[0-9A-Z]+$/;
const ROLE_ARN = /^arn:([^:]*):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;
const SESSION_ARN = /^arn:([^:]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/;

/** `{partition, account, role name lower-cased}` of a role or role-session ARN. */
interface RoleKey {
  readonly partition: string;
  readonly account: string;
  readonly name: string;
}

const sessionKeys = new WeakMap<RequestPrincipal, RoleKey | null>();
function sessionKey(p: RequestPrincipal): RoleKey | null {
  let k = sessionKeys.get(p);
  if (k === undefined) {
    const m = p.kind === 'assumed-role' ? SESSION_ARN.exec(p.arn) : null;
    k = m ? { partition: m[1]!, account: m[2]!, name: m[3]!.toLowerCase() } : null;
    sessionKeys.set(p, k);
  }
  return k;
}

// Canonical ids are a SHA-256 of the account id: once per principal object (principals are long-lived).
const canonicalIds = new WeakMap<RequestPrincipal, string>();
function canonicalIdOfPrincipal(p: RequestPrincipal): string {
  let id = canonicalIds.get(p);
  if (id === undefined) {
    id = canonicalIdOf(p.accountId!);
    canonicalIds.set(p, id);
  }
  return id;
}

/** One value of a principal block, compiled. */
type ValueMatcher = (p: RequestPrincipal) => PrincipalMatch;

function isAllWildcards(v: string): boolean {
  return v.length > 0 && /^\*+$/.test(v);
}

function compileValue(type: string, value: string): ValueMatcher {
  if (type === 'AWS') {
    if (isAllWildcards(value)) return () => 'Match';
    const acct = ACCOUNT_ID.test(value) ? value : ACCOUNT_ARN.exec(value)?.[1];
    if (acct !== undefined) {
      return (p) => (p.kind !== 'anonymous' && p.kind !== 'service' && p.accountId === acct ? 'AccountLevelMatch' : 'NoMatch');
    }
    if (UNIQUE_ID.test(value)) return () => 'NoMatch';
    const role = ROLE_ARN.exec(value);
    if (role) {
      const key: RoleKey = { partition: role[1]!, account: role[2]!, name: role[3]!.toLowerCase() };
      return (p) => {
        if (p.kind === 'anonymous') return 'NoMatch';
        if (p.arn === value) return 'Match';
        const s = sessionKey(p);
        return s !== null && s.partition === key.partition && s.account === key.account && s.name === key.name ? 'Match' : 'NoMatch';
      };
    }
    return (p) => (p.kind !== 'anonymous' && p.kind !== 'service' && p.arn === value ? 'Match' : 'NoMatch');
  }
  if (type === 'Service') return (p) => (p.kind === 'service' && p.arn === value ? 'Match' : 'NoMatch');
  if (type === 'CanonicalUser') {
    // An account's canonical user id is another name for the account (S3 User Guide, "Principal":
    // "both of these IDs identify the same account"): an account-level match, like its root ARN.
    const id = value.toLowerCase();
    return (p) => (p.kind !== 'anonymous' && p.kind !== 'service' && p.accountId !== null && canonicalIdOfPrincipal(p) === id ? 'AccountLevelMatch' : 'NoMatch');
  }
  // Federated principals are matched on their exact identifier.
  return (p) => (p.kind !== 'anonymous' && p.arn === value ? 'Match' : 'NoMatch');
}

export type CompiledPrincipal = (p: RequestPrincipal) => PrincipalMatch;

/** Compiles a Principal block: the best match over all its values. */
export function compilePrincipal(block: PrincipalBlock): CompiledPrincipal {
  if (block === '*') return () => 'Match';
  const ms: ValueMatcher[] = [];
  for (const type of Object.keys(block)) for (const v of block[type]!) ms.push(compileValue(type, v));
  return (p) => {
    let best: PrincipalMatch = 'NoMatch';
    for (let i = 0; i < ms.length; i++) {
      const r = ms[i]!(p);
      if (r === 'Match') return r;
      if (r === 'AccountLevelMatch') best = r;
    }
    return best;
  };
}

// Compiled blocks are cached per block object: trust policies are checked once per AssumeRole, resource
// policies per request; the block objects live as long as their compiled policy.
const blockCache = new WeakMap<object, CompiledPrincipal>();

/** How `p` matches a Principal block: exactly, through its account, or not at all. */
export function principalMatch(block: PrincipalBlock, p: RequestPrincipal): PrincipalMatch {
  if (block === '*') return 'Match';
  let c = blockCache.get(block);
  if (c === undefined) {
    c = compilePrincipal(block);
    blockCache.set(block, c);
  }
  return c(p);
}

/** Does the block name `p` (exactly, as a role session, or as any principal of a named account)? */
export function principalMatches(block: PrincipalBlock, p: RequestPrincipal): boolean {
  return principalMatch(block, p) !== 'NoMatch';
}
