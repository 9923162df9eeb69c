/**
 * The in-memory side of IAM: what every request needs synchronously. The control database is the
 * truth; this index is loaded from it at start and updated by IAM and STS right after each commit
 * (one process writes the database for now).
 *
 * It holds, per user and per role, the inline policy documents and the ids of the attached managed
 * policies, and per managed policy its default version. Compiled identity policies are cached per
 * owner (user or role) and dropped when anything they depend on changes: an owner's inline policies
 * or attachments drop that owner's entry; a managed policy's new default version (or its deletion)
 * drops every owner it is attached to. Sessions share their role's entry.
 */
import type { Principal } from './credentials.js';
import { compilePolicy } from './policy/compile.js';
import { parsePolicyDocument } from './policy/parse.js';
import type { CompiledPolicy, PolicyDocument } from './policy/types.js';
import type { OwnerKind } from './iam-types.js';

/** Where a compiled policy comes from (SimulatePrincipalPolicy reports it). */
export interface PolicySource {
  /** The inline policy's name, or the managed policy's name. */
  readonly id: string;
  /** IAM's PolicySourceType: inline user / role policy, or customer-managed. */
  readonly type: 'user' | 'role' | 'user-managed';
  readonly document: string;
  readonly policy: CompiledPolicy;
}

export interface StoredDocument {
  readonly text: string;
  readonly doc: PolicyDocument;
}

interface OwnerState {
  readonly inline: Map<string, StoredDocument>;
  readonly attached: Set<string>;
}

interface ManagedState {
  readonly name: string;
  readonly arn: string;
  readonly defaultVersion: StoredDocument;
}

interface CacheEntry {
  readonly sources: readonly PolicySource[];
  readonly policies: readonly CompiledPolicy[];
}

export interface IamIndex {
  readonly owners: Map<string, OwnerState>;
  readonly managed: Map<string, ManagedState>;
  readonly cache: Map<string, CacheEntry>;
  readonly log: (msg: string) => void;
}

export function createIamIndex(log: (msg: string) => void): IamIndex {
  return { owners: new Map(), managed: new Map(), cache: new Map(), log };
}

const DENY_ALL: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: ['*'], Resource: ['*'] }] };

/**
 * Parses a stored identity policy. Documents were validated when written; one that no longer
 * parses (a stricter parser after an upgrade) must not silently lose a Deny, so it denies everything
 * until it is rewritten — and says so in the log.
 */
export function storedDocument(index: IamIndex, text: string, what: string): StoredDocument {
  try {
    return { text, doc: parsePolicyDocument(text, 'identity') };
  } catch (e) {
    index.log(`iam: stored policy ${what} no longer parses (${(e as Error).message}); it denies everything until it is replaced`);
    return { text, doc: DENY_ALL };
  }
}

const ownerKey = (kind: OwnerKind, id: string): string => `${kind}:${id}`;

function ownerState(index: IamIndex, kind: OwnerKind, id: string): OwnerState {
  const key = ownerKey(kind, id);
  let s = index.owners.get(key);
  if (s === undefined) {
    s = { inline: new Map(), attached: new Set() };
    index.owners.set(key, s);
  }
  return s;
}

/** The owner whose policies apply to a principal: the user, or the session's role; none for root. */
export function ownerOfPrincipal(p: Principal): { kind: OwnerKind; id: string } | undefined {
  if (p.kind === 'user') return { kind: 'user', id: p.userId };
  if (p.kind === 'assumed-role') {
    const colon = p.userId.indexOf(':');
    return { kind: 'role', id: colon === -1 ? p.userId : p.userId.slice(0, colon) };
  }
  return undefined;
}

function entryOf(index: IamIndex, kind: OwnerKind, id: string): CacheEntry {
  const key = ownerKey(kind, id);
  const hit = index.cache.get(key);
  if (hit !== undefined) return hit;
  const state = index.owners.get(key);
  const sources: PolicySource[] = [];
  if (state !== undefined) {
    for (const [name, d] of state.inline) sources.push({ id: name, type: kind, document: d.text, policy: compilePolicy(d.doc, 'identity') });
    for (const policyId of state.attached) {
      const m = index.managed.get(policyId);
      if (m !== undefined) sources.push({ id: m.name, type: 'user-managed', document: m.defaultVersion.text, policy: compilePolicy(m.defaultVersion.doc, 'identity') });
    }
  }
  const entry: CacheEntry = { sources, policies: sources.map((s) => s.policy) };
  index.cache.set(key, entry);
  return entry;
}

/** The compiled identity policies of a principal (none for root, none for an unknown owner). */
export function identityPoliciesOf(index: IamIndex, p: Principal): readonly CompiledPolicy[] {
  const o = ownerOfPrincipal(p);
  return o === undefined ? [] : entryOf(index, o.kind, o.id).policies;
}

/** The same, with where each policy comes from. */
export function identityPolicySources(index: IamIndex, kind: OwnerKind, id: string): readonly PolicySource[] {
  return entryOf(index, kind, id).sources;
}

// --- updates, called after the corresponding commit ----------------------------------------------

export function putInline(index: IamIndex, kind: OwnerKind, id: string, name: string, doc: StoredDocument): void {
  ownerState(index, kind, id).inline.set(name, doc);
  index.cache.delete(ownerKey(kind, id));
}

export function removeInline(index: IamIndex, kind: OwnerKind, id: string, name: string): void {
  index.owners.get(ownerKey(kind, id))?.inline.delete(name);
  index.cache.delete(ownerKey(kind, id));
}

export function attach(index: IamIndex, kind: OwnerKind, id: string, policyId: string): void {
  ownerState(index, kind, id).attached.add(policyId);
  index.cache.delete(ownerKey(kind, id));
}

export function detach(index: IamIndex, kind: OwnerKind, id: string, policyId: string): void {
  index.owners.get(ownerKey(kind, id))?.attached.delete(policyId);
  index.cache.delete(ownerKey(kind, id));
}

export function removeOwner(index: IamIndex, kind: OwnerKind, id: string): void {
  index.owners.delete(ownerKey(kind, id));
  index.cache.delete(ownerKey(kind, id));
}

/** A managed policy's (new) default version. */
export function putManaged(index: IamIndex, policyId: string, name: string, arn: string, defaultVersion: StoredDocument): void {
  index.managed.set(policyId, { name, arn, defaultVersion });
  dropAttachedTo(index, policyId);
}

export function removeManaged(index: IamIndex, policyId: string): void {
  index.managed.delete(policyId);
  dropAttachedTo(index, policyId);
}

function dropAttachedTo(index: IamIndex, policyId: string): void {
  for (const [key, state] of index.owners) if (state.attached.has(policyId)) index.cache.delete(key);
}
