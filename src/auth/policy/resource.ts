/**
 * Resource / NotResource patterns compiled against request ARNs.
 *
 * An ARN is `arn:partition:service:region:account:resource`. The first five parts are matched
 * one by one and case-insensitively (wildcards stay inside their part); the resource part is
 * matched case-sensitively, and a wildcard there spans `/` and `:` (`arn:aws:s3:::b/*` covers every
 * key). The resource type before the first `/` or `:` (`user/`, `job/`) takes no wildcard (IAM
 * docs, "Incorrect wildcard usage"); S3 bucket and object ARNs have no type. A pattern with fewer
 * than six parts (`arn:aws:s3`) is padded with `*` in identity policies — "a trailing `*` can
 * expand beyond the colon boundaries" — and in resource policies only when it has a wildcard.
 * Policy variables are substituted in the resource part only (Version 2012-10-17).
 *
 * Each pattern yields 1 (matches), 0 (does not) or -1 (cannot tell: an unresolved variable or a
 * mismatch of a padded short ARN), so NotResource can refuse to apply when it cannot tell.
 */
import { variableValue } from './context.js';
import { compileTokens, literalOf, matchTokens, resolveTokens, tokenize, type Pattern } from './glob.js';
import type { AuthzRequest, Effect, PolicyKind } from './types.js';

/** The request resource split once per decision: colon positions of its first five parts. */
export interface RequestArn {
  raw: string;
  /** false when the request resource is not an ARN (fewer than five colons). */
  valid: boolean;
  readonly c: Int32Array;
}

export function newRequestArn(): RequestArn {
  return { raw: '', valid: false, c: new Int32Array(5) };
}

/** Refreshes `ra` for `raw` (a no-op when it already holds it). */
export function setRequestArn(ra: RequestArn, raw: string): void {
  if (ra.raw === raw && raw !== '') return;
  ra.raw = raw;
  let n = 0;
  for (let i = 0; i < raw.length && n < 5; i++) if (raw.charCodeAt(i) === 58) ra.c[n++] = i;
  ra.valid = n === 5 && raw.startsWith('arn:');
}

export type ResourceTest = (ra: RequestArn, req: AuthzRequest) => 1 | 0 | -1;

/**
 * Compiles one Resource/NotResource entry. `effect` only matters for a request whose resource is `*`
 * (actions that have no resource, such as s3:ListAllMyBuckets): an Allow statement's Resource covers
 * it whatever it names, a Deny's only when it is `*`.
 */
export function compileResource(pattern: string, kind: PolicyKind, effect: Effect, variables: boolean): ResourceTest {
  if (pattern === '*') return () => 1;
  const parts = pattern.split(':');
  let padded = false;
  if (parts.length < 6) {
    if (kind === 'resource' && !pattern.includes('*')) return (ra) => (ra.raw === '*' ? starRequest(effect) : 0);
    while (parts.length < 6) parts.push('*');
    padded = true;
  }
  const prefix = parts.slice(1, 5).map((p) => p.toLowerCase());
  const resourcePart = parts.slice(5).join(':');
  // `arn:` itself is literal; the four middle parts either all literal (one comparison) or per-part globs.
  const prefixLiteral = prefix.every((p) => !p.includes('*') && !p.includes('?')) ? `arn:${prefix.join(':')}:` : null;
  const prefixPats: Pattern[] = prefix.map((p) => compileTokens(tokenize(p, true, false), true));
  // The resource type (`user/`, `job/`) is literal; S3 bucket/object ARNs have none.
  const s3Object = prefix[1] === 's3' && prefix[2] === '' && prefix[3] === '';
  let product = '';
  if (!s3Object && !resourcePart.includes('${')) {
    const slash = resourcePart.indexOf('/');
    const colon = resourcePart.indexOf(':');
    const cut = slash === -1 ? colon : colon === -1 ? slash : Math.min(slash, colon);
    if (cut !== -1) product = resourcePart.slice(0, cut + 1);
  }
  const idTokens = tokenize(resourcePart.slice(product.length), true, variables);
  const idPat = compileTokens(idTokens, false);
  const miss: 0 | -1 = padded ? -1 : 0;

  const general: ResourceTest = (ra, req) => {
    if (!ra.valid) return ra.raw === '*' ? starRequest(effect) : miss;
    const s = ra.raw;
    const c = ra.c;
    if (prefixLiteral !== null) {
      if (c[4]! + 1 !== prefixLiteral.length) return miss;
      if (!s.startsWith(prefixLiteral) && !startsWithCI(s, prefixLiteral)) return miss;
    } else {
      let a = 4; // after "arn:"
      for (let i = 0; i < 4; i++) {
        const b = c[i + 1]!;
        if (!prefixPats[i]!.test(s, a, b)) return miss;
        a = b + 1;
      }
    }
    const start = c[4]! + 1;
    if (product !== '' && !s.startsWith(product, start)) return miss;
    const from = start + product.length;
    if (!idPat.dynamic) return idPat.test(s, from, s.length) ? 1 : miss;
    const t = resolveTokens(idPat.tokens, (k) => variableValue(req, k), false);
    if (t === null) return -1;
    return matchTokens(t, s, from, s.length, false) ? 1 : miss;
  };

  // Fast path for the shapes nearly every policy uses — `arn:aws:s3:::bucket` and `arn:aws:s3:::bucket/*`:
  // one comparison of the whole string. Only a request whose first parts are not lower-case (rare) needs
  // the part-by-part, case-insensitive path.
  const idLit = literalOf(idTokens);
  const idPrefix =
    idTokens.length === 1 && idTokens[0]!.t === 'star'
      ? ''
      : idTokens.length === 2 && idTokens[0]!.t === 'lit' && idTokens[1]!.t === 'star'
        ? idTokens[0]!.s
        : null;
  if (prefixLiteral === null || (idLit === null && idPrefix === null)) return general;
  const full = prefixLiteral + product + (idLit ?? idPrefix!);
  const lowerPrefix = prefixLiteral;
  if (idLit !== null) {
    return (ra, req) => {
      const s = ra.raw;
      if (s === full) return 1;
      if (s.length !== full.length || s.startsWith(lowerPrefix)) return ra.valid || s !== '*' ? miss : starRequest(effect);
      return general(ra, req);
    };
  }
  return (ra, req) => {
    const s = ra.raw;
    if (s.startsWith(full)) return 1;
    if (s.startsWith(lowerPrefix)) return miss;
    return general(ra, req);
  };
}

function starRequest(effect: Effect): 1 | 0 {
  return effect === 'Allow' ? 1 : 0;
}

function startsWithCI(s: string, lowerPrefix: string): boolean {
  for (let i = 0; i < lowerPrefix.length; i++) {
    let a = s.charCodeAt(i);
    if (a >= 65 && a <= 90) a += 32;
    if (a !== lowerPrefix.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * A Resource or NotResource element: does the statement apply to this resource?
 * Resource: any entry matches. NotResource: no entry matches and none is undecidable.
 * A request for `*` under NotResource: Allow applies unless an entry is `*`; Deny never does.
 */
export function compileResourceElement(
  patterns: readonly string[],
  negated: boolean,
  kind: PolicyKind,
  effect: Effect,
  variables: boolean,
): ((ra: RequestArn, req: AuthzRequest) => boolean) | null {
  if (!negated && patterns.includes('*')) return null; // matches everything: no test at all
  const hasStar = patterns.includes('*');
  const tests = patterns.map((p) => compileResource(p, kind, effect, variables));
  if (!negated) {
    if (tests.length === 1) {
      const t = tests[0]!;
      return (ra, req) => t(ra, req) === 1;
    }
    return (ra, req) => {
      for (let i = 0; i < tests.length; i++) if (tests[i]!(ra, req) === 1) return true;
      return false;
    };
  }
  return (ra, req) => {
    if (ra.raw === '*') return effect === 'Allow' && !hasStar;
    for (let i = 0; i < tests.length; i++) if (tests[i]!(ra, req) !== 0) return false;
    return true;
  };
}
