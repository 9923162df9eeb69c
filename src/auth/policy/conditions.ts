/**
 * Condition blocks compiled to closures. AWS semantics (reference_policies_elements_condition*):
 * every operator in a block and every key in an operator must hold (AND); the values listed for one
 * key are alternatives (OR) — for the negated operators (StringNotEquals, NotIpAddress, ArnNotLike…)
 * the request value must differ from every listed value (NOR). A key missing from the request makes
 * the condition false, except for negated operators, `…IfExists` and `ForAllValues:` (true) and
 * `Null` (which tests exactly that). A multi-valued key only matches under `ForAnyValue:` /
 * `ForAllValues:`. A policy value that cannot be read (a bad number, date or CIDR, or a variable
 * with no value) matches nothing, not even under a negated operator.
 */
import { keyReader, variableValue, type ContextValue, type KeyReader } from './context.js';
import { compileTokens, matchTokens, resolveTokens, tokenize, type Pattern, type Token } from './glob.js';
import type { AuthzRequest, ConditionBlock } from './types.js';

export const BaseOperators = [
  'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike',
  'NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals',
  'DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals',
  'Bool', 'BinaryEquals', 'IpAddress', 'NotIpAddress', 'ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike', 'Null',
] as const;
export type BaseOperator = (typeof BaseOperators)[number];
const baseSet: ReadonlySet<string> = new Set(BaseOperators);

export interface ParsedOperator {
  readonly set: 'ForAnyValue' | 'ForAllValues' | null;
  readonly base: BaseOperator;
  readonly ifExists: boolean;
}

/** Splits `ForAnyValue:StringLikeIfExists` into its parts; null for an unknown operator. */
export function parseOperator(op: string): ParsedOperator | null {
  let set: ParsedOperator['set'] = null;
  let rest = op;
  if (rest.startsWith('ForAnyValue:')) {
    set = 'ForAnyValue';
    rest = rest.slice('ForAnyValue:'.length);
  } else if (rest.startsWith('ForAllValues:')) {
    set = 'ForAllValues';
    rest = rest.slice('ForAllValues:'.length);
  }
  let ifExists = false;
  if (rest.endsWith('IfExists') && rest !== 'IfExists') {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  if (!baseSet.has(rest)) return null;
  return { set, base: rest as BaseOperator, ifExists };
}

const NEGATED: ReadonlySet<BaseOperator> = new Set<BaseOperator>([
  'StringNotEquals', 'StringNotEqualsIgnoreCase', 'StringNotLike', 'NumericNotEquals', 'DateNotEquals', 'NotIpAddress', 'ArnNotEquals', 'ArnNotLike',
]);

// One policy value against one request value: 1 match, 0 no match, -1 unreadable (never matches).
type ValueTest = (rv: string, req: AuthzRequest) => 1 | 0 | -1;

export type CompiledCondition = (req: AuthzRequest) => boolean;

/** Compiles a whole Condition block (already validated by the parser). */
export function compileConditions(block: ConditionBlock, variables: boolean): CompiledCondition | null {
  const parts: CompiledCondition[] = [];
  for (const op of Object.keys(block)) {
    const keys = block[op]!;
    if (Object.keys(keys).length === 0) continue; // `{"AnyOperator": {}}` constrains nothing
    const parsed = parseOperator(op);
    if (parsed === null) throw new Error(`unknown condition operator ${op}`); // the parser refuses these
    for (const key of Object.keys(keys)) parts.push(compileOne(parsed, key, keys[key]!, variables));
  }
  if (parts.length === 0) return null;
  if (parts.length === 1) return parts[0]!;
  return (req) => {
    for (let i = 0; i < parts.length; i++) if (!parts[i]!(req)) return false;
    return true;
  };
}

function compileOne(op: ParsedOperator, key: string, values: readonly string[], variables: boolean): CompiledCondition {
  const read: KeyReader = keyReader(key);
  if (op.base === 'Null') {
    const wantAbsent = values.some((v) => v.toLowerCase() === 'true');
    const wantPresent = values.some((v) => v.toLowerCase() === 'false');
    return (req) => (read(req) === undefined ? wantAbsent : wantPresent);
  }
  const base = op.base;
  const negated = NEGATED.has(base);
  const tests = values.map((v) => compileValue(base, v, variables));
  // Positive operators: any listed value matches. Negated: no listed value matches (and all readable).
  const one = negated
    ? (rv: string, req: AuthzRequest): boolean => {
        for (let i = 0; i < tests.length; i++) if (tests[i]!(rv, req) !== 0) return false;
        return true;
      }
    : (rv: string, req: AuthzRequest): boolean => {
        for (let i = 0; i < tests.length; i++) if (tests[i]!(rv, req) === 1) return true;
        return false;
      };
  if (op.set === 'ForAnyValue') {
    return (req) => {
      const v: ContextValue = read(req);
      if (v === undefined) return op.ifExists;
      if (typeof v === 'string') return one(v, req);
      for (let i = 0; i < v.length; i++) if (one(v[i]!, req)) return true;
      return false;
    };
  }
  if (op.set === 'ForAllValues') {
    return (req) => {
      const v: ContextValue = read(req);
      if (v === undefined) return true;
      if (typeof v === 'string') return one(v, req);
      for (let i = 0; i < v.length; i++) if (!one(v[i]!, req)) return false;
      return true;
    };
  }
  const whenMissing = op.ifExists || negated;
  return (req) => {
    const v: ContextValue = read(req);
    if (v === undefined) return whenMissing;
    if (typeof v !== 'string') return false; // a multi-valued key needs a set operator
    return one(v, req);
  };
}

function compileValue(base: Exclude<BaseOperator, 'Null'>, value: string, variables: boolean): ValueTest {
  switch (base) {
    case 'StringEquals':
    case 'StringNotEquals':
      return stringTest(tokenize(value, false, variables), false);
    case 'StringEqualsIgnoreCase':
    case 'StringNotEqualsIgnoreCase':
      return stringTest(tokenize(value, false, variables), true);
    case 'StringLike':
    case 'StringNotLike':
      return stringTest(tokenize(value, true, variables), false);
    case 'NumericEquals':
    case 'NumericNotEquals':
      return numericTest(value, (a, b) => a === b);
    case 'NumericLessThan':
      return numericTest(value, (p, r) => r < p);
    case 'NumericLessThanEquals':
      return numericTest(value, (p, r) => r <= p);
    case 'NumericGreaterThan':
      return numericTest(value, (p, r) => r > p);
    case 'NumericGreaterThanEquals':
      return numericTest(value, (p, r) => r >= p);
    case 'DateEquals':
    case 'DateNotEquals':
      return dateTest(value, (a, b) => a === b);
    case 'DateLessThan':
      return dateTest(value, (p, r) => r < p);
    case 'DateLessThanEquals':
      return dateTest(value, (p, r) => r <= p);
    case 'DateGreaterThan':
      return dateTest(value, (p, r) => r > p);
    case 'DateGreaterThanEquals':
      return dateTest(value, (p, r) => r >= p);
    case 'Bool':
      return boolTest(tokenize(value, false, variables));
    case 'BinaryEquals':
      return (rv) => (rv === value ? 1 : 0);
    case 'IpAddress':
    case 'NotIpAddress':
      return ipTest(value);
    case 'ArnEquals':
    case 'ArnLike':
    case 'ArnNotEquals':
    case 'ArnNotLike':
      return arnTest(value, variables);
  }
}

function resolver(req: AuthzRequest): (k: string) => string | null {
  return (k) => variableValue(req, k);
}

function stringTest(tokens: readonly Token[], ci: boolean): ValueTest {
  const p: Pattern = compileTokens(tokens, ci);
  if (!p.dynamic) return (rv) => (p.test(rv, 0, rv.length) ? 1 : 0);
  return (rv, req) => {
    const t = resolveTokens(p.tokens, resolver(req), ci);
    if (t === null) return -1;
    return matchTokens(t, rv, 0, rv.length, ci) ? 1 : 0;
  };
}

function boolTest(tokens: readonly Token[]): ValueTest {
  return (rv, req) => {
    const t = resolveTokens(tokens, resolver(req), false);
    if (t === null) return -1;
    let pv = '';
    for (const x of t) pv += x.t === 'lit' ? x.s : '';
    const p = pv.toLowerCase();
    const r = rv.toLowerCase();
    if ((p !== 'true' && p !== 'false') || (r !== 'true' && r !== 'false')) return -1;
    return p === r ? 1 : 0;
  };
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
export function parseNumber(s: string): number | null {
  return NUMBER.test(s) ? Number(s) : null;
}

function numericTest(value: string, cmp: (policy: number, request: number) => boolean): ValueTest {
  const p = parseNumber(value);
  if (p === null) return () => -1;
  return (rv) => {
    const r = parseNumber(rv);
    if (r === null) return -1;
    return cmp(p, r) ? 1 : 0;
  };
}

/** Epoch seconds (an integer) or an ISO 8601 date-time; milliseconds, or null. */
export function parseDate(s: string): number | null {
  if (/^-?\d+$/.test(s)) return Number(s) * 1000;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

function dateTest(value: string, cmp: (policy: number, request: number) => boolean): ValueTest {
  const p = parseDate(value);
  if (p === null) return () => -1;
  return (rv) => {
    const r = parseDate(rv);
    if (r === null) return -1;
    return cmp(p, r) ? 1 : 0;
  };
}

// --- IP addresses: IPv4 as a 32-bit number, IPv6 as a bigint; CIDR prefix masks ---

interface Ip {
  readonly v6: boolean;
  readonly n: bigint;
}

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
export function parseIp(s: string): Ip | null {
  if (V4.test(s)) {
    let n = 0n;
    for (const o of s.split('.')) n = (n << 8n) | BigInt(Number(o));
    return { v6: false, n };
  }
  if (!s.includes(':') || !/^[0-9A-Fa-f:.]+$/.test(s)) return null;
  const dbl = s.indexOf('::');
  if (dbl !== -1 && s.indexOf('::', dbl + 1) !== -1) return null;
  let groups: string[];
  const tailV4 = /:(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  let body = s;
  const extra: string[] = [];
  if (tailV4) {
    if (!V4.test(tailV4[1]!)) return null;
    const o = tailV4[1]!.split('.').map(Number);
    extra.push(((o[0]! << 8) | o[1]!).toString(16), ((o[2]! << 8) | o[3]!).toString(16));
    body = s.slice(0, tailV4.index + 1) + '0';
  }
  if (dbl !== -1) {
    const [a, b] = body.split('::') as [string, string];
    const left = a === '' ? [] : a.split(':');
    const right = b === '' ? [] : b.split(':');
    if (tailV4) right.pop();
    const missing = 8 - left.length - right.length - extra.length;
    if (missing < 1) return null;
    groups = [...left, ...Array<string>(missing).fill('0'), ...right, ...extra];
  } else {
    groups = body.split(':');
    if (tailV4) groups.pop();
    groups.push(...extra);
  }
  if (groups.length !== 8) return null;
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return null;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  return { v6: true, n };
}

interface Cidr {
  readonly v6: boolean;
  readonly net: bigint;
  readonly mask: bigint;
}

export function parseCidr(s: string): Cidr | null {
  const slash = s.indexOf('/');
  const ip = parseIp(slash === -1 ? s : s.slice(0, slash));
  if (ip === null) return null;
  const bits = ip.v6 ? 128 : 32;
  let len = bits;
  if (slash !== -1) {
    const l = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(l) || Number(l) > bits) return null;
    len = Number(l);
  }
  const all = (1n << BigInt(bits)) - 1n;
  const mask = len === 0 ? 0n : (all << BigInt(bits - len)) & all;
  return { v6: ip.v6, net: ip.n & mask, mask };
}

// aws:SourceIp repeats across every statement of a decision: remember the last parse.
let lastIpText = '';
let lastIp: Ip | null = null;
function requestIp(s: string): Ip | null {
  if (s !== lastIpText) {
    lastIpText = s;
    lastIp = parseIp(s);
  }
  return lastIp;
}

function ipTest(value: string): ValueTest {
  const c = parseCidr(value);
  if (c === null) return () => -1;
  return (rv) => {
    const ip = requestIp(rv);
    if (ip === null) return -1;
    if (ip.v6 !== c.v6) return 0; // an IPv6 address is never inside an IPv4 range, and vice versa
    return (ip.n & c.mask) === c.net ? 1 : 0;
  };
}

// --- ARN operators: the six colon-separated parts matched one by one, case-sensitively ---

/** Splits an ARN into [partition, service, region, account, resource], keeping `${…}` whole. */
export function splitArn(arn: string): string[] | null {
  const parts: string[] = [];
  let start = 0;
  let depth = 0;
  for (let i = 0; i < arn.length && parts.length < 5; i++) {
    const c = arn[i];
    if (c === '$' && arn[i + 1] === '{') depth++;
    else if (c === '}' && depth > 0) depth--;
    else if (c === ':' && depth === 0) {
      parts.push(arn.slice(start, i));
      start = i + 1;
    }
  }
  if (parts.length < 4) return null;
  if (parts.length === 4) {
    parts.push(arn.slice(start));
    parts.push('');
  } else parts.push(arn.slice(start));
  return parts.slice(1);
}

/** Positions of the first five colons of a request ARN in `out`; false if it has fewer than four. */
function arnColons(s: string, out: Int32Array): boolean {
  let n = 0;
  for (let i = 0; i < s.length && n < 5; i++) if (s.charCodeAt(i) === 58) out[n++] = i;
  if (n < 4) return false;
  if (n === 4) out[4] = s.length; // `arn:p:s:r:a` — an empty resource part
  return true;
}

const colons = new Int32Array(5);

function arnTest(value: string, variables: boolean): ValueTest {
  const parts = splitArn(value);
  if (parts === null) return () => -1;
  const pats = parts.map((p) => compileTokens(tokenize(p, true, variables), false));
  const dynamic = pats.some((p) => p.dynamic);
  return (rv, req) => {
    if (!arnColons(rv, colons)) return -1;
    for (let i = 0; i < 5; i++) {
      const p = pats[i]!;
      // Part i runs from after colon i to colon i+1; the resource part to the end.
      const a = Math.min(colons[i]! + 1, rv.length);
      const b = i < 4 ? colons[i + 1]! : rv.length;
      if (!dynamic || !p.dynamic) {
        if (!p.test(rv, a, b)) return 0;
        continue;
      }
      const t = resolveTokens(p.tokens, resolver(req), false);
      if (t === null) return -1;
      if (!matchTokens(t, rv, a, b, false)) return 0;
    }
    return 1;
  };
}
