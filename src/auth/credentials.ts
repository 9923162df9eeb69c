/**
 * Accounts, principals and the access-key table every signed request goes through.
 *
 * The default account's root key is taken from the configuration, or generated on first start and
 * kept in `<dataDir>/root-credentials.json` (mode 0600, printed once by the CLI); accounts declared
 * in the config file bring their own root keys. IAM users' access keys and STS session keys join
 * the same table (`KeyTable`): IAM and STS write it right after each commit, so `lookup` stays a
 * synchronous Map read on the hot path (one process writes the control database for now).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { S3Error } from '../errors.js';
import type { CompiledPolicy } from './policy/types.js';

export const PrincipalKind = { Root: 'root', User: 'user', AssumedRole: 'assumed-role' } as const;
export type PrincipalKind = (typeof PrincipalKind)[keyof typeof PrincipalKind];

/**
 * Who signed a request. Structurally a `RequestPrincipal` of the policy engine (policy/types.ts),
 * so it can be handed to the evaluator as is.
 */
export interface Principal {
  readonly kind: PrincipalKind;
  readonly accountId: string;
  /** arn:aws:iam::<acct>:root | arn:aws:iam::<acct>:user/<path><name> | arn:aws:sts::<acct>:assumed-role/<role>/<session> */
  readonly arn: string;
  readonly accessKeyId: string;
  /** aws:userid — the account id for root, AIDA… for users, AROA…:<session> for sessions. */
  readonly userId: string;
  /** aws:username — users only. */
  readonly username?: string;
  /** Sessions only: the role's ARN with its path (arn:aws:iam::<acct>:role/<path><name>). */
  readonly roleArn?: string;
  readonly sessionName?: string;
  readonly sourceIdentity?: string;
  /** aws:PrincipalTag/* — a user's tags; for a session, the role's tags overlaid with the session tags. */
  readonly tags: Readonly<Record<string, string>>;
}

export interface Account {
  readonly id: string;
  readonly name: string;
  /** The canonical user id S3 shows as Owner/ID in listings and ACLs. */
  readonly canonicalId: string;
}

/** STS session keys carry their token (as a SHA-256 digest) and expiry. */
export interface SessionKey {
  readonly tokenSha256: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

export interface KeyEntry {
  readonly secretAccessKey: string;
  readonly principal: Principal;
  readonly session?: SessionKey;
}

export interface Credentials {
  readonly accounts: ReadonlyMap<string, Account>;
  readonly defaultAccountId: string;
  /** Root keys, IAM users' Active keys and STS session keys (expired ones until purged: see checkSessionToken). */
  lookup(accessKeyId: string): KeyEntry | undefined;
  /**
   * The compiled identity-based policies of a principal (a user's inline and attached policies, a
   * session's role's), cached and invalidated on every change. Root has none: it is not subject to
   * identity policies in its own account.
   */
  identityPoliciesOf(principal: Principal): readonly CompiledPolicy[];
  /** Set when the root key was generated at this start, so the CLI can print it once. */
  readonly generated?: { accessKeyId: string; secretAccessKey: string; file: string };
}

/** The writable side of the key table, for IAM and STS. */
export interface KeyTable {
  put(accessKeyId: string, entry: KeyEntry): void;
  delete(accessKeyId: string): void;
  /** Every entry (for sweeps of expired sessions). */
  entries(): IterableIterator<[string, KeyEntry]>;
}

export function canonicalIdOf(accountId: string): string {
  return createHash('sha256').update(`s3batch-account:${accountId}`).digest('hex');
}

const upperAlnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** `prefix` + `length` characters of [A-Z2-7], the shape of AWS key ids (AKIA…, ASIA…) and unique ids (AIDA…, AROA…). */
export function randomKeyId(prefix: string, length = 16): string {
  const b = randomBytes(length);
  let s = prefix;
  for (let i = 0; i < length; i++) s += upperAlnum[b[i]! & 31];
  return s;
}

/** 40 characters, as AWS secret access keys. */
export function randomSecret(): string {
  return randomBytes(30).toString('base64').replace(/\+/g, 'A').replace(/\//g, 'B');
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

interface StoredRoot {
  accessKeyId: string;
  secretAccessKey: string;
}

function rootKeyOfDefaultAccount(config: Config): { key: StoredRoot; generated?: Credentials['generated'] } {
  if (config.rootAccessKeyId && config.rootSecretAccessKey) {
    return { key: { accessKeyId: config.rootAccessKeyId, secretAccessKey: config.rootSecretAccessKey } };
  }
  const file = join(config.dataDir, 'root-credentials.json');
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as StoredRoot;
    return { key: stored };
  }
  const key = { accessKeyId: randomKeyId('AKIA'), secretAccessKey: randomSecret() };
  writeFileSync(file, JSON.stringify(key, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  return { key, generated: { ...key, file } };
}

export function rootPrincipal(accountId: string, accessKeyId: string): Principal {
  return { kind: 'root', accountId, arn: `arn:aws:iam::${accountId}:root`, accessKeyId, userId: accountId, tags: {} };
}

export interface LoadedCredentials {
  readonly credentials: Credentials;
  readonly keys: KeyTable;
  /** Root access key ids per account (ListAccessKeys of the root user shows its own). */
  readonly rootKeys: ReadonlyMap<string, string>;
}

/**
 * Accounts and root keys from the configuration. `policies` supplies identity policies once IAM is
 * open (see iam-index.ts); without it every non-root principal has none.
 */
export function loadCredentials(config: Config, policies?: (p: Principal) => readonly CompiledPolicy[]): Credentials {
  return openCredentials(config, policies).credentials;
}

export function openCredentials(config: Config, policies: (p: Principal) => readonly CompiledPolicy[] = () => []): LoadedCredentials {
  const accounts = new Map<string, Account>();
  const keys = new Map<string, KeyEntry>();
  const rootKeys = new Map<string, string>();
  const addAccount = (id: string, name: string, key?: StoredRoot): void => {
    accounts.set(id, { id, name, canonicalId: canonicalIdOf(id) });
    if (key) {
      keys.set(key.accessKeyId, { secretAccessKey: key.secretAccessKey, principal: rootPrincipal(id, key.accessKeyId) });
      rootKeys.set(id, key.accessKeyId);
    }
  };
  const root = rootKeyOfDefaultAccount(config);
  addAccount(config.accountId, 'default', root.key);
  for (const a of config.accounts) {
    if (a.id === config.accountId) continue;
    addAccount(a.id, a.name, a.rootAccessKeyId && a.rootSecretAccessKey ? { accessKeyId: a.rootAccessKeyId, secretAccessKey: a.rootSecretAccessKey } : undefined);
  }
  const credentials: Credentials = {
    accounts,
    defaultAccountId: config.accountId,
    lookup: (id) => keys.get(id),
    identityPoliciesOf: (p) => (p.kind === 'root' ? [] : policies(p)),
    generated: root.generated,
  };
  const table: KeyTable = {
    put: (id, entry) => void keys.set(id, entry),
    delete: (id) => void keys.delete(id),
    entries: () => keys.entries(),
  };
  return { credentials, keys: table, rootKeys };
}

/**
 * After SigV4 verification: checks the request's session token against the key's. Long-term keys
 * take no token; session keys (ASIA…) need theirs and expire. Errors are S3's (the IAM/STS edge
 * maps them to InvalidClientTokenId / ExpiredToken):
 * - session key without a token → InvalidAccessKeyId (AWS answers as if the key did not exist);
 * - wrong token, or a token with a long-term key → InvalidToken;
 * - expired session → ExpiredToken.
 */
export function checkSessionToken(entry: KeyEntry, tokenFromRequest: string | undefined, now: number): void {
  const session = entry.session;
  if (session === undefined) {
    if (tokenFromRequest !== undefined && tokenFromRequest !== '') throw new S3Error('InvalidToken', undefined, { 'Token-0': tokenFromRequest });
    return;
  }
  if (tokenFromRequest === undefined || tokenFromRequest === '') {
    throw new S3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: entry.principal.accessKeyId });
  }
  const given = Buffer.from(sha256Hex(tokenFromRequest), 'hex');
  const expected = Buffer.from(session.tokenSha256, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new S3Error('InvalidToken', undefined, { 'Token-0': tokenFromRequest });
  if (now >= session.expiresAt) throw new S3Error('ExpiredToken', undefined, { 'Token-0': tokenFromRequest });
}
