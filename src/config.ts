/**
 * Configuration: parsed once, from (lowest to highest precedence) defaults, the `--config` file
 * (YAML or JSON), environment variables, and command-line flags. Nothing else in the code base
 * reads `process.env` or `process.argv`; the composition root passes the resolved `Config` down.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export interface AccountConfig {
  readonly id: string;
  readonly name: string;
  readonly rootAccessKeyId?: string;
  readonly rootSecretAccessKey?: string;
}

/** Restore delays per retrieval tier, in milliseconds (AWS takes minutes to hours; local use wants seconds). */
export interface RestoreDelays {
  readonly Expedited: number;
  readonly Standard: number;
  readonly Bulk: number;
}

/** Batch jobs: periods of the store's sweeps (src/jobs/store.ts `sweep`). */
export interface JobsConfig {
  /** A job awaiting confirmation (Suspended) longer than this fails (AWS console: 30 days). */
  readonly confirmationTimeoutDays: number;
  /** Terminated jobs are deleted this long after they end (AWS: 90 days); ListJobs shows the same window. */
  readonly retentionDays: number;
  /** Tasks in flight in this process, all jobs together (engine default when unset). */
  readonly maxTasks?: number;
  /** Tasks in flight for one job (engine default when unset). */
  readonly maxTasksPerJob?: number;
}

/** A Lambda function for LambdaInvoke jobs: an HTTP endpoint registered under a function ARN. */
export interface LambdaFunctionConfig {
  readonly arn: string;
  readonly url: string;
}

/** Where batch tasks reach objects: the embedded store, or any S3-compatible endpoint. */
export type JobStorageConfig =
  | { readonly kind: 'embedded' }
  | { readonly kind: 'remote'; readonly endpoint: string; readonly region: string; readonly accessKeyId: string; readonly secretAccessKey: string; readonly assumeRole?: boolean };

/** A webhook that receives job events (src/jobs/events/webhooks.ts). */
export interface WebhookConfig {
  readonly url: string;
  readonly secret: string;
  /** Only these event types (default: all). */
  readonly events?: readonly ('JobCreated' | 'JobStatusChanged')[];
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
}

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly region: string;
  readonly accountId: string;
  readonly rootAccessKeyId?: string;
  readonly rootSecretAccessKey?: string;
  readonly accounts: readonly AccountConfig[];
  readonly restoreDelays: RestoreDelays;
  /** Objects up to this size are stored inside the metadata database instead of a file. */
  readonly inlineThreshold: number;
  /** Accepted clock skew for header-signed requests, ms (AWS: 15 minutes). */
  readonly maxClockSkewMs: number;
  /** Whether to fsync object files before they become visible (power-loss durability). */
  readonly fsync: boolean;
  /** Log each request to stderr. */
  readonly logRequests: boolean;
  readonly jobs: JobsConfig;
  readonly lambdaFunctions: readonly LambdaFunctionConfig[];
  readonly storage: JobStorageConfig;
  readonly webhooks: readonly WebhookConfig[];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const defaults = {
  host: '127.0.0.1',
  port: 7070,
  dataDir: './data',
  region: 'us-east-1',
  accountId: '000000000000',
  restoreDelays: { Expedited: 1000, Standard: 5000, Bulk: 10000 },
  // 64 KiB: below this an object costs one SQLite row instead of a file + fsync + rename (1 KiB PUT:
  // ~20k/s inline vs ~2k/s with a file on this machine's disk).
  inlineThreshold: 64 * 1024,
  maxClockSkewMs: 15 * 60 * 1000,
  fsync: true,
  logRequests: false,
  jobs: { confirmationTimeoutDays: 30, retentionDays: 90 },
} as const;

type Flags = Record<string, string | boolean>;

/** Parses `--name value`, `--name=value` and bare `--flag` arguments. Positional arguments are returned apart. */
export function parseArgs(argv: readonly string[]): { positional: string[]; flags: Flags } {
  const positional: string[] = [];
  const flags: Flags = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    if (eq > 0) {
      flags[a.slice(2, eq)] = a.slice(eq + 1);
    } else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) {
      flags[a.slice(2)] = argv[++i]!;
    } else {
      flags[a.slice(2)] = true;
    }
  }
  return { positional, flags };
}

function str(v: unknown, what: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw new ConfigError(`${what} must be a string`);
}

function int(v: unknown, what: string, min: number, max: number): number | undefined {
  const s = str(v, what);
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${what} must be an integer from ${min} to ${max}, got '${s}'`);
  return n;
}

/** A positive number of days (fractions allowed: tests and demos use minutes). */
function days(v: unknown, what: string): number | undefined {
  const s = str(v, what);
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0 || n > 36500) throw new ConfigError(`${what} must be a number of days above 0 and at most 36500, got '${s}'`);
  return n;
}

function bool(v: unknown, what: string): boolean | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new ConfigError(`${what} must be true or false`);
}

function accountId(v: unknown, what: string): string | undefined {
  const s = str(v, what);
  if (s !== undefined && !/^\d{12}$/.test(s)) throw new ConfigError(`${what} must be 12 digits, got '${s}'`);
  return s;
}

function loadFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ConfigError(`config file ${path} is not valid YAML or JSON: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`config file ${path} must hold a mapping`);
  return doc as Record<string, unknown>;
}

function parseAccounts(v: unknown): AccountConfig[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ConfigError('accounts must be a list');
  return v.map((a, i) => {
    if (typeof a !== 'object' || a === null) throw new ConfigError(`accounts[${i}] must be a mapping`);
    const r = a as Record<string, unknown>;
    const id = accountId(r.id, `accounts[${i}].id`);
    if (!id) throw new ConfigError(`accounts[${i}].id is required`);
    const keyId = str(r.rootAccessKeyId, `accounts[${i}].rootAccessKeyId`);
    const secret = str(r.rootSecretAccessKey, `accounts[${i}].rootSecretAccessKey`);
    if (!!keyId !== !!secret) throw new ConfigError(`accounts[${i}]: rootAccessKeyId and rootSecretAccessKey go together`);
    return { id, name: str(r.name, `accounts[${i}].name`) ?? id, rootAccessKeyId: keyId, rootSecretAccessKey: secret };
  });
}

function parseLambdaFunctions(v: unknown): LambdaFunctionConfig[] {
  if (v === undefined || v === null) return [];
  const list = (v as Record<string, unknown>).functions;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new ConfigError('lambda.functions must be a list of { arn, url }');
  return list.map((x, i) => {
    const r = (x ?? {}) as Record<string, unknown>;
    const arn = str(r.arn, `lambda.functions[${i}].arn`);
    const url = str(r.url, `lambda.functions[${i}].url`);
    if (!arn || !/^arn:aws[a-z-]*:lambda:[a-z0-9-]*:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]+)?$/.test(arn)) {
      throw new ConfigError(`lambda.functions[${i}].arn must be a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>), got '${arn ?? ''}'`);
    }
    if (!url || !/^https?:\/\/[^\s]+$/.test(url)) throw new ConfigError(`lambda.functions[${i}].url must be an http(s) URL, got '${url ?? ''}'`);
    return { arn, url };
  });
}

function parseStorage(v: unknown): JobStorageConfig {
  if (v === undefined || v === null) return { kind: 'embedded' };
  const r = v as Record<string, unknown>;
  const kind = str(r.kind, 'storage.kind') ?? 'embedded';
  if (kind === 'embedded') return { kind };
  if (kind !== 'remote') throw new ConfigError(`storage.kind must be embedded or remote, got '${kind}'`);
  const need = (k: string): string => {
    const s = str(r[k], `storage.${k}`);
    if (!s) throw new ConfigError(`storage.${k} is required for remote storage`);
    return s;
  };
  return { kind, endpoint: need('endpoint'), region: need('region'), accessKeyId: need('accessKeyId'), secretAccessKey: need('secretAccessKey'), assumeRole: bool(r.assumeRole, 'storage.assumeRole') };
}

function parseWebhooks(v: unknown): WebhookConfig[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ConfigError('webhooks must be a list of { url, secret, events }');
  return v.map((x, i) => {
    if (typeof x !== 'object' || x === null) throw new ConfigError(`webhooks[${i}] must be a mapping`);
    const r = x as Record<string, unknown>;
    const url = str(r.url, `webhooks[${i}].url`);
    if (!url || !/^https?:\/\/[^\s/]+[^\s]*$/.test(url)) throw new ConfigError(`webhooks[${i}].url must be an http(s) URL, got '${url ?? ''}'`);
    // The secret itself never appears in a message.
    const secret = str(r.secret, `webhooks[${i}].secret`);
    if (!secret || secret.length < 16) throw new ConfigError(`webhooks[${i}].secret must be at least 16 characters`);
    let events: ('JobCreated' | 'JobStatusChanged')[] | undefined;
    if (r.events !== undefined && r.events !== null) {
      if (!Array.isArray(r.events) || r.events.length === 0) throw new ConfigError(`webhooks[${i}].events must be a non-empty list of JobCreated, JobStatusChanged`);
      events = r.events.map((e, j) => {
        if (e !== 'JobCreated' && e !== 'JobStatusChanged') throw new ConfigError(`webhooks[${i}].events[${j}] must be JobCreated or JobStatusChanged, got '${String(e)}'`);
        return e;
      });
    }
    const retryBaseMs = int(r.retryBaseMs, `webhooks[${i}].retryBaseMs`, 1, 3_600_000);
    const retryMaxMs = int(r.retryMaxMs, `webhooks[${i}].retryMaxMs`, 1, 86_400_000);
    return { url, secret, ...(events ? { events } : {}), ...(retryBaseMs !== undefined ? { retryBaseMs } : {}), ...(retryMaxMs !== undefined ? { retryMaxMs } : {}) };
  });
}

/**
 * Resolves the configuration. `env` is the process environment, `flags` the parsed command line.
 * Precedence: flags > env > config file > defaults.
 */
export function loadConfig(flags: Flags, env: Readonly<Record<string, string | undefined>>): Config {
  const file = str(flags.config, '--config') ?? env.S3BATCH_CONFIG;
  const f = file ? loadFile(file) : {};
  const pick = (flag: string, envName: string, key: string): unknown => flags[flag] ?? env[envName] ?? f[key];
  const restore = (f.restoreDelays ?? {}) as Record<string, unknown>;
  const jobs = (f.jobs ?? {}) as Record<string, unknown>;
  const keyId = str(pick('root-access-key-id', 'S3BATCH_ROOT_ACCESS_KEY_ID', 'rootAccessKeyId'), 'root access key id');
  const secret = str(pick('root-secret-access-key', 'S3BATCH_ROOT_SECRET_ACCESS_KEY', 'rootSecretAccessKey'), 'root secret access key');
  if (!!keyId !== !!secret) throw new ConfigError('S3BATCH_ROOT_ACCESS_KEY_ID and S3BATCH_ROOT_SECRET_ACCESS_KEY go together: set both or neither');
  const delay = (tier: keyof RestoreDelays): number =>
    int(env[`S3BATCH_RESTORE_${tier.toUpperCase()}_MS`] ?? restore[tier], `restoreDelays.${tier}`, 0, 86_400_000 * 30) ?? defaults.restoreDelays[tier];
  return {
    host: str(pick('host', 'S3BATCH_HOST', 'host'), 'host') ?? defaults.host,
    port: int(pick('port', 'S3BATCH_PORT', 'port'), 'port', 0, 65535) ?? defaults.port,
    dataDir: str(pick('data-dir', 'S3BATCH_DATA_DIR', 'dataDir'), 'data dir') ?? defaults.dataDir,
    region: str(pick('region', 'S3BATCH_REGION', 'region'), 'region') ?? defaults.region,
    accountId: accountId(pick('account-id', 'S3BATCH_ACCOUNT_ID', 'accountId'), 'account id') ?? defaults.accountId,
    rootAccessKeyId: keyId,
    rootSecretAccessKey: secret,
    accounts: parseAccounts(f.accounts),
    restoreDelays: { Expedited: delay('Expedited'), Standard: delay('Standard'), Bulk: delay('Bulk') },
    inlineThreshold: int(pick('inline-threshold', 'S3BATCH_INLINE_THRESHOLD', 'inlineThreshold'), 'inline threshold', 0, 16 * 1024 * 1024) ?? defaults.inlineThreshold,
    maxClockSkewMs: defaults.maxClockSkewMs,
    fsync: bool(pick('fsync', 'S3BATCH_FSYNC', 'fsync'), 'fsync') ?? defaults.fsync,
    logRequests: bool(pick('log-requests', 'S3BATCH_LOG_REQUESTS', 'logRequests'), 'log requests') ?? defaults.logRequests,
    jobs: {
      confirmationTimeoutDays: days(env.S3BATCH_JOB_CONFIRMATION_TIMEOUT_DAYS ?? jobs.confirmationTimeoutDays, 'jobs.confirmationTimeoutDays') ?? defaults.jobs.confirmationTimeoutDays,
      retentionDays: days(env.S3BATCH_JOB_RETENTION_DAYS ?? jobs.retentionDays, 'jobs.retentionDays') ?? defaults.jobs.retentionDays,
      maxTasks: int(env.S3BATCH_JOB_MAX_TASKS ?? jobs.maxTasks, 'jobs.maxTasks', 1, 100_000),
      maxTasksPerJob: int(env.S3BATCH_JOB_MAX_TASKS_PER_JOB ?? jobs.maxTasksPerJob, 'jobs.maxTasksPerJob', 1, 100_000),
    },
    lambdaFunctions: parseLambdaFunctions(f.lambda),
    storage: parseStorage(f.storage),
    webhooks: parseWebhooks(f.webhooks),
  };
}
