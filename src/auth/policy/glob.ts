/**
 * IAM wildcard patterns (`*` any run of characters, `?` exactly one) and policy variables
 * (`${aws:username}`, `${key, 'default'}`, and the escapes `${*}` `${?}` `${$}`), compiled once into
 * a token list and matched without RegExp or allocation. Most patterns in real policies are an
 * exact string or a literal prefix followed by `*` (`arn:aws:s3:::bucket/*`); those get a
 * `startsWith`/`===` fast path, the rest a backtracking matcher that is linear for the usual one or
 * two stars.
 */

/** A literal run, a wildcard, or a policy variable resolved per request. */
export type Token =
  | { readonly t: 'lit'; readonly s: string }
  | { readonly t: 'star' }
  | { readonly t: 'one' }
  | { readonly t: 'var'; readonly key: string; readonly def: string | null };

const STAR: Token = { t: 'star' };
const ONE: Token = { t: 'one' };

/**
 * Splits `text` into tokens. `wildcards` false keeps `*`/`?` literal (StringEquals);
 * `variables` false keeps `${…}` literal (Version 2008-10-17 documents).
 */
export function tokenize(text: string, wildcards: boolean, variables: boolean): readonly Token[] {
  const out: Token[] = [];
  let lit = '';
  const flush = (): void => {
    if (lit !== '') out.push({ t: 'lit', s: lit });
    lit = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (wildcards && (c === '*' || c === '?')) {
      flush();
      // Consecutive stars are one star: keeps the matcher linear on patterns like `a**b`.
      if (c === '*' && out.length > 0 && out[out.length - 1]!.t === 'star') continue;
      out.push(c === '*' ? STAR : ONE);
      continue;
    }
    if (variables && c === '$' && text[i + 1] === '{') {
      const end = text.indexOf('}', i + 2);
      if (end !== -1) {
        const inner = text.slice(i + 2, end);
        if (inner === '*' || inner === '?' || inner === '$') lit += inner;
        else {
          flush();
          out.push(parseVariable(inner));
        }
        i = end;
        continue;
      }
    }
    lit += c;
  }
  flush();
  return out;
}

function parseVariable(inner: string): Token {
  // `${aws:username, 'nobody'}`: a default after ", " in single quotes (AWS's documented syntax).
  const comma = inner.indexOf(', ');
  if (comma !== -1) {
    const rest = inner.slice(comma + 2);
    if (rest.length >= 2 && rest.startsWith("'") && rest.endsWith("'")) {
      return { t: 'var', key: inner.slice(0, comma).trim().toLowerCase(), def: rest.slice(1, -1) };
    }
  }
  return { t: 'var', key: inner.split(', ')[0]!.trim().toLowerCase(), def: null };
}

export function hasVariables(tokens: readonly Token[]): boolean {
  for (const t of tokens) if (t.t === 'var') return true;
  return false;
}

export function hasWildcards(tokens: readonly Token[]): boolean {
  for (const t of tokens) if (t.t === 'star' || t.t === 'one') return true;
  return false;
}

/** The literal text of a token list without wildcards or variables, else null. */
export function literalOf(tokens: readonly Token[]): string | null {
  let s = '';
  for (const t of tokens) {
    if (t.t !== 'lit') return null;
    s += t.s;
  }
  return s;
}

/** Looks a (lower-cased) variable up; a multi-valued or missing key resolves to null. */
export type Resolver = (keyLower: string) => string | null;

/**
 * Replaces variables by their values (as literals: a `*` in a user name is not a wildcard). Null
 * when a variable has no value and no default: AWS then treats the element as not matching.
 */
export function resolveTokens(tokens: readonly Token[], resolve: Resolver, lower: boolean): readonly Token[] | null {
  let out: Token[] | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.t !== 'var') {
      if (out !== null) out.push(t);
      continue;
    }
    let v = resolve(t.key);
    if (v === null) v = t.def;
    if (v === null) return null;
    if (out === null) out = tokens.slice(0, i) as Token[];
    out.push({ t: 'lit', s: lower ? v.toLowerCase() : v });
  }
  return out ?? tokens;
}

function litAt(s: string, pos: number, lit: string, ci: boolean): boolean {
  if (!ci) return s.startsWith(lit, pos);
  if (pos + lit.length > s.length) return false;
  for (let i = 0; i < lit.length; i++) {
    let a = s.charCodeAt(pos + i);
    const b = lit.charCodeAt(i); // pattern literals are lower-cased at compile time when ci
    if (a >= 65 && a <= 90) a += 32;
    if (a !== b) return false;
  }
  return true;
}

/**
 * Does `s[start, end)` match the whole token list? `ci`: ASCII case-insensitive, with the pattern's
 * literals already lower-cased. Classic star-backtracking: only the most recent star is retried, which
 * is correct for `*`/`?` globs and O(n·m) at worst.
 */
export function matchTokens(tokens: readonly Token[], s: string, start: number, end: number, ci: boolean): boolean {
  let ti = 0;
  let si = start;
  let starTi = -1;
  let starSi = 0;
  const n = tokens.length;
  while (true) {
    if (ti < n) {
      const t = tokens[ti]!;
      if (t.t === 'star') {
        starTi = ti++;
        starSi = si;
        continue;
      }
      if (t.t === 'one') {
        if (si < end) {
          ti++;
          si++;
          continue;
        }
      } else if (t.t === 'lit') {
        if (si + t.s.length <= end && litAt(s, si, t.s, ci)) {
          ti++;
          si += t.s.length;
          continue;
        }
      } else {
        return false; // unresolved variable: never matches
      }
    } else if (si === end) {
      return true;
    }
    if (starTi === -1 || starSi >= end) return false;
    // Backtrack: the last star swallows one more character.
    starSi++;
    si = starSi;
    ti = starTi + 1;
  }
}

/** A compiled pattern: `test(s, start, end)` with shapes that skip the general matcher. */
export interface Pattern {
  readonly test: (s: string, start: number, end: number) => boolean;
  /** Tokens, for patterns with variables (resolved per request, then matched). */
  readonly tokens: readonly Token[];
  readonly dynamic: boolean;
}

/** Compiles tokens without variables into the fastest matcher for their shape. */
export function compileTokens(tokens: readonly Token[], ci: boolean): Pattern {
  const dynamic = hasVariables(tokens);
  const norm = ci ? tokens.map((t) => (t.t === 'lit' ? { t: 'lit' as const, s: t.s.toLowerCase() } : t)) : tokens;
  if (dynamic) return { tokens: norm, dynamic, test: (s, a, b) => matchTokens(norm, s, a, b, ci) };
  const exact = literalOf(norm);
  if (exact !== null && !ci) {
    return { tokens: norm, dynamic, test: (s, a, b) => b - a === exact.length && s.startsWith(exact, a) };
  }
  if (norm.length === 1 && norm[0]!.t === 'star') return { tokens: norm, dynamic, test: () => true };
  if (!ci && norm.length === 2 && norm[0]!.t === 'lit' && norm[1]!.t === 'star') {
    const pre = norm[0]!.s;
    return { tokens: norm, dynamic, test: (s, a, b) => b - a >= pre.length && s.startsWith(pre, a) };
  }
  if (!ci && norm.length === 2 && norm[0]!.t === 'star' && norm[1]!.t === 'lit') {
    const suf = norm[1]!.s;
    return { tokens: norm, dynamic, test: (s, a, b) => b - a >= suf.length && s.startsWith(suf, b - suf.length) };
  }
  return { tokens: norm, dynamic, test: (s, a, b) => matchTokens(norm, s, a, b, ci) };
}
