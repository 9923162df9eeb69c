/**
 * Condition-key lookup for one request: the keys AWS derives from the principal (aws:PrincipalArn,
 * aws:PrincipalAccount, aws:userid, aws:username, aws:PrincipalTag/*, aws:PrincipalType) and every
 * other key from the caller's context map (stored lower-cased). Keys are resolved to a small
 * accessor at compile time so a decision does no string work on the key itself.
 */
import type { AuthzRequest, RequestPrincipal } from './types.js';

export type ContextValue = string | readonly string[] | undefined;

/** A compiled key: reads its value from a request. */
export type KeyReader = (req: AuthzRequest) => ContextValue;

const principalTypes: Readonly<Record<RequestPrincipal['kind'], string | undefined>> = {
  root: 'Account',
  user: 'User',
  'assumed-role': 'AssumedRole',
  anonymous: 'Anonymous',
  service: undefined,
};

// Principal tags by lower-cased key, built once per principal object (principals are long-lived and
// shared by every decision of a batch job).
const tagCache = new WeakMap<RequestPrincipal, ReadonlyMap<string, string>>();
function lowerTags(p: RequestPrincipal): ReadonlyMap<string, string> {
  let m = tagCache.get(p);
  if (m === undefined) {
    const mm = new Map<string, string>();
    for (const k of Object.keys(p.tags)) mm.set(k.toLowerCase(), p.tags[k]!);
    m = mm;
    tagCache.set(p, m);
  }
  return m;
}

/** aws:PrincipalArn: for a role session it is the role's ARN, not the session's (AWS docs). */
export function principalArnOf(p: RequestPrincipal): string | undefined {
  if (p.kind === 'anonymous' || p.kind === 'service') return undefined;
  if (p.kind === 'assumed-role') return p.roleArn ?? p.arn;
  return p.arn;
}

/** Returns the reader for a condition key (any case). */
export function keyReader(key: string): KeyReader {
  const k = key.toLowerCase();
  const fromContext: KeyReader = (req) => req.context.get(k);
  const derived = (f: (p: RequestPrincipal) => string | undefined): KeyReader => (req) => f(req.principal) ?? req.context.get(k);
  switch (k) {
    case 'aws:principalarn':
      return derived(principalArnOf);
    case 'aws:principalaccount':
      return derived((p) => p.accountId ?? undefined);
    case 'aws:userid':
      return derived((p) => (p.kind === 'anonymous' || p.kind === 'service' ? undefined : p.userId));
    case 'aws:username':
      return derived((p) => (p.kind === 'user' ? p.username : undefined));
    case 'aws:principaltype':
      return derived((p) => principalTypes[p.kind]);
  }
  if (k.startsWith('aws:principaltag/')) {
    const tag = k.slice('aws:principaltag/'.length);
    return derived((p) => lowerTags(p).get(tag));
  }
  return fromContext;
}

// Readers for policy variables, cached by key: variables repeat across statements and documents.
const readers = new Map<string, KeyReader>();
function readerFor(keyLower: string): KeyReader {
  let r = readers.get(keyLower);
  if (r === undefined) {
    r = keyReader(keyLower);
    if (readers.size > 10_000) readers.clear(); // keys come from stored policies; bound it anyway
    readers.set(keyLower, r);
  }
  return r;
}

/** A policy variable's value: single-valued keys only (AWS: a multi-valued key never substitutes). */
export function variableValue(req: AuthzRequest, keyLower: string): string | null {
  const v = readerFor(keyLower)(req);
  return typeof v === 'string' ? v : null;
}
