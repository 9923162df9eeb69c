/**
 * Accounts and their root credentials. The default account's root key is taken from the
 * configuration, or generated on first start and kept in `<dataDir>/root-credentials.json`
 * (mode 0600). IAM users, roles and session credentials join this lookup in the IAM step.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';

export interface Principal {
  readonly accountId: string;
  /** arn:aws:iam::<account>:root for the root user. */
  readonly arn: string;
  readonly kind: 'root';
  readonly accessKeyId: string;
}

export interface Account {
  readonly id: string;
  readonly name: string;
  /** The canonical user id S3 shows as Owner/ID in listings and ACLs. */
  readonly canonicalId: string;
}

export interface KeyEntry {
  readonly secretAccessKey: string;
  readonly principal: Principal;
}

export interface Credentials {
  readonly accounts: ReadonlyMap<string, Account>;
  readonly defaultAccountId: string;
  lookup(accessKeyId: string): KeyEntry | undefined;
  /** Set when the root key was generated at this start, so the CLI can print it once. */
  readonly generated?: { accessKeyId: string; secretAccessKey: string; file: string };
}

export function canonicalIdOf(accountId: string): string {
  return createHash('sha256').update(`s3batch-account:${accountId}`).digest('hex');
}

const upperAlnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomKeyId(prefix: string): string {
  const b = randomBytes(16);
  let s = prefix;
  for (let i = 0; i < 16; i++) s += upperAlnum[b[i]! & 31];
  return s;
}

function randomSecret(): string {
  return randomBytes(30).toString('base64').replace(/\+/g, 'A').replace(/\//g, 'B');
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

export function loadCredentials(config: Config): Credentials {
  const accounts = new Map<string, Account>();
  const keys = new Map<string, KeyEntry>();
  const addAccount = (id: string, name: string, key?: StoredRoot): void => {
    accounts.set(id, { id, name, canonicalId: canonicalIdOf(id) });
    if (key) {
      keys.set(key.accessKeyId, {
        secretAccessKey: key.secretAccessKey,
        principal: { accountId: id, arn: `arn:aws:iam::${id}:root`, kind: 'root', accessKeyId: key.accessKeyId },
      });
    }
  };
  const root = rootKeyOfDefaultAccount(config);
  addAccount(config.accountId, 'default', root.key);
  for (const a of config.accounts) {
    if (a.id === config.accountId) continue;
    addAccount(a.id, a.name, a.rootAccessKeyId && a.rootSecretAccessKey ? { accessKeyId: a.rootAccessKeyId, secretAccessKey: a.rootSecretAccessKey } : undefined);
  }
  return {
    accounts,
    defaultAccountId: config.accountId,
    lookup: (id) => keys.get(id),
    generated: root.generated,
  };
}
