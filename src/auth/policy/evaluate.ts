/**
 * The decision over a set of compiled policies, with AWS's precedence: an explicit Deny in any
 * policy wins, else an Allow in any policy allows, else the request is implicitly denied (also when
 * there is no policy at all). How identity, resource and trust policies are combined — same
 * account or across accounts, account-level principal matches, ACLs, the root user — is the
 * authorizer's business: it calls `decide` on the sets it needs and `principalMatch` for details.
 */
import type { AuthzRequest, CompiledPolicy, Decision } from './types.js';

export { principalMatch, principalMatches, PrincipalMatch } from './principal.js';

export function decide(req: AuthzRequest, policies: readonly CompiledPolicy[]): Decision {
  let allowed = false;
  for (let i = 0; i < policies.length; i++) {
    const r = policies[i]!.evaluate(req);
    if (r === 'Deny') return 'ExplicitDeny';
    if (r === 'Allow') allowed = true;
  }
  return allowed ? 'Allow' : 'ImplicitDeny';
}
