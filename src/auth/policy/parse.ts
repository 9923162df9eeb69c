/**
 * Policy documents from untrusted text to a normalised `PolicyDocument`, refused with IAM's own
 * error and reason (`PolicyDocumentError`). The checks run in IAM's order, so a document with
 * several faults gets the message IAM gives first: size, JSON and structure ("Syntax errors in
 * policy."), version, principal placement, "legacy parsing" (Effect case, dates, ARNs with too few
 * parts), statement ids, actions and resources present, resource ARN formats, action vendors,
 * principal values, trust-policy actions. The order and wording follow IAM's answers as recorded by
 * moto's and versitygw's AWS-checked test tables; sizes follow the IAM quotas page (white space is
 * not counted).
 *
 * Whether a named principal exists is the caller's check: `principalArns` lists them.
 */
import { parseOperator } from './conditions.js';
import {
  PolicyDocumentError,
  PolicyKind,
  type ConditionBlock,
  type Effect,
  type PolicyDocument,
  type PolicyStatement,
  type PrincipalBlock,
} from './types.js';

/** IAM's size quotas, in non-white-space characters (reference_iam-quotas). */
export const PolicySizeQuota = {
  /** Aggregate of all inline policies of a user. */
  UserInline: 2048,
  /** Aggregate of all inline policies of a role. */
  RoleInline: 10240,
  /** Aggregate of all inline policies of a group. */
  GroupInline: 5120,
  /** One customer-managed policy version. */
  Managed: 6144,
  /** A role's trust policy (default quota). */
  Trust: 2048,
} as const;

export interface ParseOptions {
  /** Refuse with LimitExceeded past this many non-white-space characters. */
  readonly maxChars?: number;
  /** The LimitExceeded message (IAM words it per API — see `policySizeMessage`). */
  readonly limitMessage?: string;
  /** Customer-managed policies (CreatePolicy, CreatePolicyVersion) must be Version 2012-10-17. */
  readonly requireCurrentVersion?: boolean;
}

/** IAM's LimitExceeded messages for each kind of document. */
export function policySizeMessage(
  what: 'user' | 'role' | 'group' | 'managed' | 'trust',
  quota: number,
  entityName = '',
): string {
  switch (what) {
    case 'managed':
      return `Cannot exceed quota for PolicySize: ${quota}`;
    case 'trust':
      return `Cannot exceed quota for ACLSizePerRole: ${quota}`;
    default:
      return `Maximum policy size of ${quota} bytes exceeded for ${what} ${entityName}`;
  }
}

/** Characters counted against the size quotas: everything but white space. */
export function policySize(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) n++;
  }
  return n;
}

/** IAM accepts only tab, LF, CR and U+0020–U+00FF in a policy document (a ValidationError otherwise). */
export function isPolicyCharset(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!(c === 9 || c === 10 || c === 13 || (c >= 0x20 && c <= 0xff))) return false;
  }
  return true;
}

export const PolicyMessages = {
  Syntax: 'Syntax errors in policy.',
  InvalidJsonTrust: 'This policy contains invalid Json',
  Version: 'Policy document must be version 2012-10-17 or greater.',
  Legacy: 'The policy failed legacy parsing',
  SidUnique: 'Statement IDs (SID) in a single policy must be unique.',
  SidAlnum: 'Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*',
  NoActions: 'Policy statement must contain actions.',
  NoResources: 'Policy statement must contain resources.',
  NoVendor: 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.',
  OneColon: 'Actions/Condition can contain only one colon.',
  PrincipalInIdentity: 'Policy document should not specify a principal.',
  MissingPrincipal: 'Missing required field Principal',
  ResourceVendor: 'Resource vendor must be fully qualified and cannot contain regexes.',
  TrustActions: 'Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML, and sts:AssumeRoleWithWebIdentity',
} as const;

const TOP_FIELDS: ReadonlySet<string> = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_FIELDS: ReadonlySet<string> = new Set([
  'Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition',
]);
const PARTITIONS: ReadonlySet<string> = new Set(['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f', 'aws-eusc', '*']);
const IAM_RESOURCE_TYPES = [
  'user/', 'federated-user/', 'role/', 'group/', 'instance-profile/', 'mfa/', 'server-certificate/', 'policy/', 'sms-mfa/',
  'saml-provider/', 'oidc-provider/', 'report/', 'access-report/',
] as const;
const TRUST_ACTIONS = ['sts:assumerole', 'sts:assumerolewithwebidentity', 'sts:assumerolewithsaml', 'sts:tagsession', 'sts:setsourceidentity'] as const;

class Refusal extends Error {}
function fail(message: string): never {
  throw new PolicyDocumentError('MalformedPolicyDocument', message);
}
/** Structural checks throw this; it becomes "Syntax errors in policy.". */
function syntax(ok: boolean): asserts ok {
  if (!ok) throw new Refusal();
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(v: Json | undefined): readonly string[] | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return [v];
  syntax(Array.isArray(v));
  for (const x of v) syntax(typeof x === 'string');
  return v as string[];
}

/** Condition values: strings, and numbers or booleans written bare (IAM reads them as text). */
function conditionValues(v: Json): readonly string[] {
  const one = (x: Json): string => {
    if (typeof x === 'string') return x;
    syntax(typeof x === 'number' || typeof x === 'boolean');
    return String(x);
  };
  if (Array.isArray(v)) return v.map(one);
  return [one(v)];
}

function principalBlock(v: Json): PrincipalBlock {
  if (v === '*') return '*';
  syntax(isObject(v));
  const out: Record<string, readonly string[]> = {};
  for (const type of Object.keys(v)) {
    syntax(type !== '__proto__'); // would replace the prototype of the normalised block
    const list = stringList(v[type]);
    syntax(list !== undefined && list.length > 0);
    out[type] = list;
  }
  syntax(Object.keys(out).length > 0);
  return out;
}

function conditionBlock(v: Json): ConditionBlock {
  syntax(isObject(v));
  const out: Record<string, Record<string, readonly string[]>> = {};
  for (const op of Object.keys(v)) {
    const keys = v[op]!;
    syntax(isObject(keys) && op !== '__proto__');
    const entries: Record<string, readonly string[]> = {};
    for (const k of Object.keys(keys)) {
      syntax(k !== '__proto__');
      entries[k] = conditionValues(keys[k]!);
    }
    // An unknown operator is tolerated only with nothing under it (IAM accepts `{"x": {}}`).
    syntax(parseOperator(op) !== null || Object.keys(entries).length === 0);
    out[op] = entries;
  }
  return out;
}

interface RawStatement {
  readonly raw: { [k: string]: Json };
  readonly st: PolicyStatement;
}

function statementOf(raw: Json): RawStatement {
  syntax(isObject(raw));
  for (const k of Object.keys(raw)) syntax(STATEMENT_FIELDS.has(k));
  syntax(!('Resource' in raw && 'NotResource' in raw));
  syntax(!('Action' in raw && 'NotAction' in raw));
  syntax(!('Principal' in raw && 'NotPrincipal' in raw));
  const effect = raw['Effect'];
  syntax(typeof effect === 'string' && (effect.toLowerCase() === 'allow' || effect.toLowerCase() === 'deny'));
  const sid = raw['Sid'];
  syntax(sid === undefined || typeof sid === 'string');
  const st: { -readonly [K in keyof PolicyStatement]: PolicyStatement[K] } = {
    Effect: (effect.toLowerCase() === 'allow' ? 'Allow' : 'Deny') as Effect,
  };
  if (sid !== undefined) st.Sid = sid;
  if ('Action' in raw) st.Action = stringList(raw['Action']);
  if ('NotAction' in raw) st.NotAction = stringList(raw['NotAction']);
  if ('Resource' in raw) st.Resource = stringList(raw['Resource']);
  if ('NotResource' in raw) st.NotResource = stringList(raw['NotResource']);
  if ('Principal' in raw) st.Principal = principalBlock(raw['Principal']!);
  if ('NotPrincipal' in raw) st.NotPrincipal = principalBlock(raw['NotPrincipal']!);
  if ('Condition' in raw) st.Condition = conditionBlock(raw['Condition']!);
  return { raw, st };
}

/**
 * Parses and validates a policy document of the given kind. Throws `PolicyDocumentError`
 * (MalformedPolicyDocument or LimitExceeded) with IAM's message.
 */
export function parsePolicyDocument(text: string, kind: PolicyKind, opts: ParseOptions = {}): PolicyDocument {
  if (opts.maxChars !== undefined && policySize(text) > opts.maxChars) {
    throw new PolicyDocumentError('LimitExceeded', opts.limitMessage ?? policySizeMessage('managed', opts.maxChars));
  }
  let json: Json;
  try {
    json = JSON.parse(text) as Json;
  } catch {
    fail(kind === PolicyKind.Trust ? PolicyMessages.InvalidJsonTrust : PolicyMessages.Syntax);
  }

  let version: PolicyDocument['Version'] = '2008-10-17';
  let id: string | undefined;
  let statements: RawStatement[];
  try {
    syntax(isObject(json));
    for (const k of Object.keys(json)) syntax(TOP_FIELDS.has(k));
    const v = json['Version'];
    syntax(v === undefined || v === '2012-10-17' || v === '2008-10-17');
    if (v !== undefined) version = v;
    const i = json['Id'];
    syntax(i === undefined || typeof i === 'string');
    id = i;
    const s = json['Statement'];
    syntax(Array.isArray(s) || isObject(s));
    const list = Array.isArray(s) ? s : [s];
    syntax(list.length > 0);
    statements = list.map(statementOf);
  } catch (e) {
    if (e instanceof Refusal) fail(PolicyMessages.Syntax);
    throw e;
  }

  if (opts.requireCurrentVersion && version !== '2012-10-17') fail(PolicyMessages.Version);

  for (const { st } of statements) {
    const hasPrincipal = st.Principal !== undefined || st.NotPrincipal !== undefined;
    if (kind === PolicyKind.Identity && hasPrincipal) fail(PolicyMessages.PrincipalInIdentity);
    if (kind !== PolicyKind.Identity && !hasPrincipal) fail(PolicyMessages.MissingPrincipal);
  }

  // "Legacy parsing": Effect spelled exactly, dates readable.
  for (const { raw, st } of statements) {
    if (raw['Effect'] !== 'Allow' && raw['Effect'] !== 'Deny') fail(PolicyMessages.Legacy);
    for (const op of Object.keys(st.Condition ?? {})) {
      const parsed = parseOperator(op);
      if (parsed === null || !parsed.base.startsWith('Date')) continue;
      for (const values of Object.values(st.Condition![op]!)) for (const d of values) if (!legacyDate(d)) fail(PolicyMessages.Legacy);
    }
  }
  // Resource formats: IAM reports the last faulty entry (entries in reverse lexical order), and runs its
  // legacy ARN parse only while no format error has been seen.
  let resourceError = '';
  for (const field of ['Resource', 'NotResource'] as const) {
    for (const { st } of statements) {
      const list = st[field];
      if (list === undefined) continue;
      for (const r of [...list].sort().reverse()) {
        const e = resourceFormatError(r);
        if (e !== null) resourceError = e;
      }
      if (resourceError === '') for (const r of list) if (!legacyResource(r)) fail(PolicyMessages.Legacy);
    }
  }

  const sids = new Set<string>();
  for (const { st } of statements) {
    if (st.Sid === undefined || st.Sid === '') continue;
    if (sids.has(st.Sid)) fail(PolicyMessages.SidUnique);
    sids.add(st.Sid);
  }
  if (kind !== PolicyKind.Resource) {
    for (const { st } of statements) if (st.Sid !== undefined && !/^[0-9A-Za-z]*$/.test(st.Sid)) fail(PolicyMessages.SidAlnum);
  }
  for (const { st } of statements) {
    const a = st.Action ?? st.NotAction;
    if (a === undefined || a.length === 0) fail(PolicyMessages.NoActions);
  }
  for (const { st } of statements) {
    if (kind === PolicyKind.Trust) {
      if (st.Resource !== undefined) fail('Has prohibited field Resource');
      if (st.NotResource !== undefined) fail('Has prohibited field NotResource');
      continue;
    }
    const r = st.Resource ?? st.NotResource;
    if (r === undefined || r.length === 0) fail(PolicyMessages.NoResources);
  }
  if (resourceError !== '') fail(resourceError);

  for (const field of ['Action', 'NotAction'] as const) {
    for (const { st } of statements) for (const a of st[field] ?? []) actionPrefix(a);
  }
  for (const { st } of statements) {
    for (const block of [st.Principal, st.NotPrincipal]) {
      if (block === undefined || block === '*') continue;
      for (const type of Object.keys(block)) for (const v of block[type]!) principalValue(type, v);
    }
  }
  if (kind === PolicyKind.Trust) {
    for (const { st } of statements) {
      if (st.NotAction !== undefined || !st.Action!.every(isTrustAction)) fail(PolicyMessages.TrustActions);
    }
  }

  const doc: { Version: PolicyDocument['Version']; Id?: string; Statement: readonly PolicyStatement[] } = {
    Version: version,
    Statement: statements.map((s) => s.st),
  };
  if (id !== undefined) doc.Id = id;
  return doc;
}

function actionPrefix(action: string): void {
  const parts = action.split(':');
  if (parts.length === 1 && parts[0] !== '*') fail(PolicyMessages.NoVendor);
  if (parts.length > 2) fail(PolicyMessages.OneColon);
  if (parts[0] !== '*' && (parts[0] === '' || /[^a-zA-Z0-9\-.]/.test(parts[0]!))) fail(`Vendor ${parts[0]} is not valid`);
}

function isTrustAction(a: string): boolean {
  const lower = a.toLowerCase();
  if (!lower.includes('*') && !lower.includes('?')) return (TRUST_ACTIONS as readonly string[]).includes(lower);
  // A wildcard is fine as long as it names one of the trust actions and nothing outside sts.
  if (lower !== '*' && !lower.startsWith('sts:')) return false;
  const re = new RegExp(`^${lower.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return TRUST_ACTIONS.some((t) => re.test(t));
}

/** IAM's message for a malformed Resource entry, or null. */
function resourceFormatError(resource: string): string | null {
  if (resource === '*') return null;
  const first = resource.indexOf(':');
  if (first === -1) return `Resource ${resource} must be in ARN format or "*".`;
  const afterArn = resource.slice(first + 1);
  const second = afterArn.indexOf(':');
  const partition = second === -1 ? afterArn : afterArn.slice(0, second);
  if (!PARTITIONS.has(partition)) {
    const rest = second === -1 ? [''] : afterArn.slice(second + 1).split(':');
    const a1 = rest[0] !== '' || rest.length > 1 ? rest[0] : '*';
    const a2 = rest.length > 1 ? rest[1] : '*';
    const a3 = rest.length > 2 ? rest[2] : '*';
    const a4 = rest.length > 3 ? rest.slice(3).join(':') : '*';
    return `Partition "${partition}" is not valid for resource "arn:${partition}:${a1}:${a2}:${a3}:${a4}".`;
  }
  if (second === -1) return PolicyMessages.ResourceVendor;
  const afterPartition = afterArn.slice(second + 1);
  const third = afterPartition.indexOf(':');
  const service = third === -1 ? afterPartition : afterPartition.slice(0, third);
  if (service.includes('*') || service.includes('?')) return PolicyMessages.ResourceVendor;
  if (third === -1) return null; // a short ARN such as arn:aws:s3 — accepted, padded with * on use
  const afterService = afterPartition.slice(third + 1);
  // S3 ARNs carry a region only together with an account (jobs, access points): a bucket ARN with a
  // region is refused as IAM does.
  const [region = '', account = ''] = afterService.split(':');
  if (service === 's3' && afterService.includes(':') && region !== '' && account === '') return `Resource ${resource} can not contain region information.`;
  if (service === 'iam') {
    if (!afterService.startsWith(':')) return `IAM resource ${resource} cannot contain region information.`;
    const fourth = afterService.indexOf(':', 1);
    const resPart = fourth === -1 ? '' : afterService.slice(fourth + 1);
    if (resPart !== '*' && !IAM_RESOURCE_TYPES.some((t) => resPart.startsWith(t))) {
      return `IAM resource path must either be "*" or start with ${IAM_RESOURCE_TYPES.join(', ')}.`;
    }
  }
  return null;
}

/** IAM's legacy ARN parser: an ARN with `::` needs all six parts, and a service. */
function legacyResource(r: string): boolean {
  if (r === '*') return true;
  const colons = r.split(':').length - 1;
  if (colons < 5 && r.includes('::')) return false;
  const parts = r.split(':');
  return parts.length < 3 || parts[2] !== '';
}

const INT = /^\s*[+-]?\d+(?:_\d+)*\s*$/;
function int(s: string | undefined): number | null {
  if (s === undefined || !INT.test(s)) return null;
  return Number(s.replace(/_/g, ''));
}
function within(s: string | undefined, lo: number, hi: number): boolean {
  const n = int(s);
  return n !== null && n >= lo && n <= hi;
}

/** IAM's legacy date check: epoch seconds, or an ISO 8601 date/time it can read. */
function legacyDate(value: string): boolean {
  const v = value.toLowerCase();
  if (!v.includes('t') && !v.includes('-')) {
    if (!INT.test(v)) return false;
    const n = BigInt(v.trim().replace(/_/g, ''));
    return n >= 0n && n <= 9223372036854775807n; // a Java long
  }
  const tAt = v.indexOf('t');
  const datePart = tAt === -1 ? v : v.slice(0, tAt);
  const timePart = tAt === -1 ? '' : v.slice(tAt + 1);
  const negative = datePart.startsWith('-');
  const dp = (negative ? datePart.slice(1) : datePart).split('-');
  if (!within((negative ? '-' : '') + dp[0], -292275054, 292278993)) return false;
  if (dp.length > 1 && !within(dp[1], 1, 12)) return false;
  if (dp.length > 2 && !within(dp[2], 1, 31)) return false;
  if (dp.length >= 4) return false;
  const tp = timePart.split(':');
  if (tp[0] !== '' && !within(tp[0], 0, 23)) return false;
  if (tp.length > 1 && !within(tp[1], 0, 59)) return false;
  if (tp.length > 2) {
    const last = tp.slice(2).join(':');
    let secs: string;
    if (last.includes('z')) {
      const z = last.indexOf('z');
      if (last.slice(z + 1) !== '') return false;
      secs = last.slice(0, z);
    } else if (last.includes('+')) {
      const plus = last.indexOf('+');
      secs = last.slice(0, plus);
      const tz = last.slice(plus + 1);
      const c = tz.indexOf(':');
      const h = c === -1 ? tz : tz.slice(0, c);
      if (h.length !== 2 || !within(h, 0, 23)) return false;
      if (c !== -1) {
        const m = tz.slice(c + 1);
        if (m.length !== 2 || !within(m, 0, 59)) return false;
      }
    } else secs = last;
    const dot = secs.indexOf('.');
    if (!within(dot === -1 ? secs : secs.slice(0, dot), 0, 59)) return false;
    if (dot !== -1 && !within(secs.slice(dot + 1), 0, 999999999)) return false;
  }
  return true;
}

const ACCOUNT = /^\d{12}$/;
const PART = '(?:aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc)';
const NAME = '[\\w+=,.@-]+';
const AWS_PRINCIPAL = [
  new RegExp(`^arn:${PART}:iam::\\d{12}:root$`),
  new RegExp(`^arn:${PART}:iam::\\d{12}:(?:user|role)(?:/${NAME})*/${NAME}$`),
  new RegExp(`^arn:${PART}:sts::\\d{12}:assumed-role/${NAME}/${NAME}$`),
  new RegExp(`^arn:${PART}:sts::\\d{12}:federated-user/${NAME}$`),
  /^A[0-9A-Z]{15,127}$/, // unique id left behind by a deleted principal
];
const SERVICE_PRINCIPAL = /^[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?$/;
const FEDERATED = [new RegExp(`^arn:${PART}:iam::\\d{12}:(?:saml-provider|oidc-provider)/.+$`), /^[a-z0-9-]+(?:\.[a-z0-9-]+)+$/];

function principalValue(type: string, v: string): void {
  let ok = false;
  switch (type) {
    case 'AWS':
      ok = v === '*' || ACCOUNT.test(v) || AWS_PRINCIPAL.some((re) => re.test(v));
      break;
    case 'Service':
      ok = SERVICE_PRINCIPAL.test(v);
      break;
    case 'Federated':
      ok = FEDERATED.some((re) => re.test(v));
      break;
    case 'CanonicalUser':
      ok = /^[0-9a-f]{64}$/.test(v);
      break;
  }
  if (!ok) fail(`Invalid principal in policy: "${type.toUpperCase()}":"${v}"`);
}

/**
 * The AWS-type principals a document names (Principal and NotPrincipal), for the caller to check
 * that each account, user and role exists — IAM refuses a document naming one that does not, with
 * `Invalid principal in policy: "AWS":"<value>"`. Wildcards and unique ids are left out.
 */
export function principalArns(doc: PolicyDocument): string[] {
  const out = new Set<string>();
  for (const st of doc.Statement) {
    for (const block of [st.Principal, st.NotPrincipal]) {
      if (block === undefined || block === '*') continue;
      for (const v of block['AWS'] ?? []) if (v !== '*' && !/^A[0-9A-Z]{15,127}$/.test(v)) out.add(v);
    }
  }
  return [...out];
}
