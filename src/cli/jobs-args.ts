/**
 * Shared plumbing of `s3batch jobs`: argument parsing (booleans known up front, so `describe
 * --json ID` does not swallow the id), the S3 Control and S3 clients pointed straight at the
 * endpoint (no `{account}.host` prefix, so no DNS set-up), credentials, and value readers that
 * turn bad input into a UsageError (exit 2).
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { S3ControlClient } from '@aws-sdk/client-s3-control';
import { S3Client } from '@aws-sdk/client-s3';
import { s3DeleteObjectPlugin } from './delete-object-extension.js';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:7070';
export const DEFAULT_ACCOUNT_ID = '000000000000';

/** Flags that take no value. */
const BOOLEAN_FLAGS = new Set(['no-confirmation', 'json', 'failed', 'help', 'h']);

export class UsageError extends Error {}

/** Where the command writes; main.ts passes the process's streams and environment. */
export interface JobsIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: { write(s: string): unknown; readonly isTTY?: boolean; readonly columns?: number };
  readonly stderr: { write(s: string): unknown };
}

export interface ParsedArgs {
  readonly positional: readonly string[];
  readonly flags: Readonly<Record<string, string | true>>;
}

export function parseJobsArgs(argv: readonly string[]): ParsedArgs {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--') || a === '--') {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (eq > 0) flags[name] = a.slice(eq + 1);
    else if (BOOLEAN_FLAGS.has(name)) flags[name] = true;
    else if (i + 1 < argv.length) flags[name] = argv[++i]!;
    else throw new UsageError(`--${name} needs a value`);
  }
  return { positional, flags };
}

export function flagStr(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  if (v === undefined) return undefined;
  if (v === true) throw new UsageError(`--${name} needs a value`);
  return v;
}

export function flagInt(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const s = flagStr(args, name);
  return s === undefined ? undefined : parseIntArg(s, `--${name}`, min, max);
}

export function parseIntArg(s: string, what: string, min: number, max: number): number {
  const n = Number(s);
  if (!/^-?\d+$/.test(s) || !Number.isInteger(n) || n < min || n > max) throw new UsageError(`${what} must be an integer from ${min} to ${max}, got '${s}'`);
  return n;
}

/** `JSON` or `@file` holding JSON. */
export function jsonArg(s: string, what: string): unknown {
  let text = s;
  if (s.startsWith('@')) {
    try {
      text = readFileSync(s.slice(1), 'utf8');
    } catch (e) {
      throw new UsageError(`${what}: cannot read ${s.slice(1)}: ${(e as Error).message}`);
    }
  }
  try {
    return reviveDates(JSON.parse(text));
  } catch (e) {
    throw new UsageError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** The SDK serializes timestamps from Date objects; JSON has only strings (…Date fields). */
function reviveDates(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => reviveDates(x));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reviveDates(x, k)]));
  if (typeof v === 'string' && /Date$/.test(key)) {
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw new UsageError(`${key} '${v}' is not a date`);
    return d;
  }
  return v;
}

/** `s3://bucket/key…` → bucket and the rest (possibly ''). */
export function s3Url(s: string, what: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(s);
  if (!m) throw new UsageError(`${what} must look like s3://bucket/key, got '${s}'`);
  return { bucket: m[1]!, key: m[2]! };
}

export function requireId(args: ParsedArgs, cmd: string): string {
  const id = args.positional[1];
  if (id === undefined || id === '') throw new UsageError(`jobs ${cmd} needs a job id`);
  return id;
}

export interface Target {
  readonly endpoint: string;
  readonly accountId: string;
  readonly region: string;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** Endpoint, account and credentials: flags, then environment, then `<data-dir>/root-credentials.json`. */
export function target(args: ParsedArgs, env: NodeJS.ProcessEnv): Target {
  const endpoint = flagStr(args, 'endpoint') ?? env.S3BATCH_ENDPOINT ?? DEFAULT_ENDPOINT;
  try {
    new URL(endpoint);
  } catch {
    throw new UsageError(`--endpoint '${endpoint}' is not a URL`);
  }
  const accountId = flagStr(args, 'account-id') ?? env.S3BATCH_ACCOUNT_ID ?? DEFAULT_ACCOUNT_ID;
  if (!/^\d{12}$/.test(accountId)) throw new UsageError(`--account-id must be 12 digits, got '${accountId}'`);
  const region = flagStr(args, 'region') ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  return { endpoint, accountId, region, credentials: credentials(args, env) };
}

function credentials(args: ParsedArgs, env: NodeJS.ProcessEnv): Target['credentials'] {
  const dataDir = flagStr(args, 'data-dir');
  if (dataDir !== undefined) {
    const file = join(dataDir, 'root-credentials.json');
    if (!existsSync(file)) throw new UsageError(`${file} does not exist (the server writes it when it generates root credentials)`);
    const c = JSON.parse(readFileSync(file, 'utf8')) as { accessKeyId?: string; secretAccessKey?: string };
    if (!c.accessKeyId || !c.secretAccessKey) throw new UsageError(`${file} has no accessKeyId/secretAccessKey`);
    return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey };
  }
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN || undefined };
  }
  return undefined; // the SDK's default chain (profiles, …)
}

/** With s3DeleteObjectPlugin: the SDK's model does not know s3batch's S3DeleteObject operation. */
export function controlClient(t: Target): S3ControlClient {
  const client = new S3ControlClient({
    region: t.region,
    credentials: t.credentials,
    endpointProvider: () => ({ url: new URL(t.endpoint) }),
    maxAttempts: 2,
  });
  client.middlewareStack.use(s3DeleteObjectPlugin);
  return client;
}

export function s3Client(t: Target): S3Client {
  return new S3Client({ region: t.region, credentials: t.credentials, endpoint: t.endpoint, forcePathStyle: true, maxAttempts: 2 });
}
