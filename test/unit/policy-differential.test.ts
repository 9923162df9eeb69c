// Differential test: our compiled evaluator against @cloud-copilot/iam-simulate (the oracle) on
// thousands of random policies and requests from a seeded PRNG (reproducible: the seed is printed
// with any disagreement; POLICY_DIFF_SEED overrides it). Identity policies are compared through the
// oracle's own identity analysis, resource and trust policies through its resource-policy analysis,
// so both sides answer the same question: what does this set of documents say about this request?
//
// The generator stays inside what both engines model. Where iam-simulate departs from AWS's
// documented behaviour, the case is not compared and is counted instead; each such category is
// listed in `documentedDifference` with the AWS page that settles it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPolicy } from '@cloud-copilot/iam-policy';
import { anonymousPrincipal, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { compilePolicy } from '../../src/auth/policy/compile.js';
import { decide } from '../../src/auth/policy/evaluate.js';
import { parsePolicyDocument } from '../../src/auth/policy/parse.js';
import type { AuthzRequest, CompiledPolicy, Decision, PolicyKind, RequestPrincipal, StatementResult } from '../../src/auth/policy/types.js';

// iam-simulate's per-policy analyses are not exported by its package entry point; load the pinned
// version's modules by path (the package's `exports` only gates bare specifiers).
const base = new URL('../../../node_modules/@cloud-copilot/iam-simulate/dist/esm/', import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any */
const core: any = await import(new URL('core_engine/CoreSimulatorEngine.js', base).href);
const { AwsRequestImpl }: any = await import(new URL('request/request.js', base).href);
const { RequestContextImpl }: any = await import(new URL('requestContext.js', base).href);
const { DiscoveryContextKeyConstraints }: any = await import(new URL('context_keys/discoveryContextKeyConstraints.js', base).href);
const simParams = { simulationMode: 'Strict', discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([]) };

const SEED = Number(process.env['POLICY_DIFF_SEED'] ?? 20240817);
function mulberry32(a: number): () => number {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = mulberry32(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const chance = (p: number): boolean => rnd() < p;
const some = <T>(xs: readonly T[], max: number): T[] => Array.from({ length: 1 + Math.floor(rnd() * max) }, () => pick(xs));
const oneOrMany = <T>(xs: T[]): T | T[] => (xs.length === 1 && chance(0.5) ? xs[0]! : xs);

// --- the world: one account, a second one, a user, a role session, a service, anonymous ---
const A = '111122223333';
const B = '444455556666';
interface Who {
  readonly p: RequestPrincipal;
  readonly oracle: string | typeof anonymousPrincipal;
  readonly vars: Record<string, string>;
}
function user(acct: string, name: string, tags: Record<string, string>): Who {
  const arn = `arn:aws:iam::${acct}:user/${name}`;
  const userId = `AIDA${name.toUpperCase().padEnd(17, 'X')}`;
  const vars: Record<string, string> = { 'aws:username': name, 'aws:userid': userId, 'aws:PrincipalArn': arn, 'aws:PrincipalAccount': acct, 'aws:PrincipalType': 'User' };
  for (const [k, v] of Object.entries(tags)) vars[`aws:PrincipalTag/${k}`] = v;
  return { p: { kind: 'user', arn, accountId: acct, userId, username: name, tags }, oracle: arn, vars };
}
function session(acct: string, role: string, path: string, sessionName: string, tags: Record<string, string>): Who {
  const arn = `arn:aws:sts::${acct}:assumed-role/${role}/${sessionName}`;
  const roleArn = `arn:aws:iam::${acct}:role/${path}${role}`;
  const userId = `AROAEXAMPLE${role.toUpperCase()}:${sessionName}`;
  const vars: Record<string, string> = { 'aws:userid': userId, 'aws:PrincipalArn': roleArn, 'aws:PrincipalAccount': acct, 'aws:PrincipalType': 'AssumedRole' };
  for (const [k, v] of Object.entries(tags)) vars[`aws:PrincipalTag/${k}`] = v;
  return { p: { kind: 'assumed-role', arn, accountId: acct, userId, roleArn, tags }, oracle: arn, vars };
}
const alice = user(A, 'alice', { team: 'blue' });
const carol = user(A, 'carol', {});
const bob = user(B, 'bob', { team: 'red' });
const replRole = session(A, 'ReplRole', 'service-role/', 'batch', { team: 'blue' });
const otherSession = session(B, 'Auditor', '', 'audit-1', {});
const service: Who = { p: { kind: 'service', arn: 'batchoperations.s3.amazonaws.com', accountId: null, userId: 'batchoperations.s3.amazonaws.com', tags: {} }, oracle: 'batchoperations.s3.amazonaws.com', vars: {} };
const anonymous: Who = { p: { kind: 'anonymous', arn: '*', accountId: null, userId: 'anonymous', tags: {} }, oracle: anonymousPrincipal, vars: {} };
const identities = [alice, carol, bob, replRole, otherSession];

// --- vocabulary ---
const actionPatterns = [
  's3:GetObject', 's3:PutObject', 's3:ListBucket', 's3:GetObjectVersion', 's3:DeleteObject', 's3:GetObjectTagging', 's3:Get*',
  's3:*Object', 's3:Get?bject', 's3:*', '*', 'S3:getobject', 's3:put*', 'iam:GetUser', 'iam:*', 'sts:AssumeRole', 's3:List*', 's3:*Tagging',
];
const requestActions = [
  's3:GetObject', 's3:PutObject', 's3:ListBucket', 's3:GetObjectVersion', 's3:DeleteObject', 's3:GetObjectTagging', 's3:PutObjectTagging',
  'S3:GETOBJECT', 's3:ListAllMyBuckets', 'iam:GetUser', 'sts:AssumeRole', 's3:DescribeJob', 's3:GetBucketPolicy',
];
const resourcePatterns = [
  '*', 'arn:aws:s3:::b1', 'arn:aws:s3:::b1/*', 'arn:aws:s3:::b?/*', 'arn:aws:s3:::*', 'arn:aws:s3:::b1/home/${aws:username}/*',
  'arn:aws:s3:::b1/home/${aws:userid}', 'arn:aws:s3:::b1/${aws:PrincipalTag/team}/*', "arn:aws:s3:::b1/u/${aws:username, 'guest'}/*",
  'arn:aws:iam::111122223333:user/*', 'arn:aws:iam::*:user/alice', 'arn:aws:iam::111122223333:user/${aws:username}',
  'arn:aws:s3:us-east-1:111122223333:job/*', 'arn:aws:s3:*:111122223333:job/j?', 'arn:aws:s3:::B1/*', 'arn:aws:s3:::b1/*.txt',
  'arn:aws:s3:::b1/a${*}b', 'arn:aws:s3:::b2/k', 'arn:aws:s3:::b1/home/*/x.txt', 'arn:aws:s3:us-*:*:job/*',
];
const requestResources = [
  'arn:aws:s3:::b1', 'arn:aws:s3:::b1/home/alice/x.txt', 'arn:aws:s3:::b1/home/carol/x.txt', 'arn:aws:s3:::b2/k', 'arn:aws:s3:::B1/x',
  'arn:aws:s3:::b1/blue/doc', 'arn:aws:s3:::b1/a*b', 'arn:aws:s3:::b1/axb', 'arn:aws:s3:::b1/u/guest/f', 'arn:aws:s3:::b1/u/alice/f',
  'arn:aws:iam::111122223333:user/alice', 'arn:aws:iam::444455556666:user/bob', 'arn:aws:s3:us-east-1:111122223333:job/j1',
  'arn:aws:s3:eu-west-1:111122223333:job/j22', 'arn:aws:s3:::b1/home/AIDAALICEXXXXXXXXXXXX', 'arn:aws:s3:::b9/r.txt',
];

interface KeySpec {
  readonly key: string;
  readonly ops: readonly string[];
  readonly policyValues: readonly string[];
  readonly requestValues: readonly (string | string[])[];
}
const strOps = ['StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike'];
const numOps = ['NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals'];
const dateOps = ['DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals'];
const arnOps = ['ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike'];
const keys: readonly KeySpec[] = [
  { key: 's3:prefix', ops: strOps, policyValues: ['home/', 'home/*', 'home/${aws:username}/*', 'HOME/*', '${aws:username}', 'h?me/*', '', 'home/${aws:PrincipalTag/team}/*', 'a${*}b', 'a${$}'], requestValues: ['home/', 'home/alice/', 'Home/alice/x', 'home/blue/z', 'other', '', 'a*b', 'axb', 'a$'] },
  { key: 's3:x-amz-acl', ops: [...strOps, 'Null'], policyValues: ['private', 'public-read', 'bucket-owner-full-control', 'PUBLIC-*', 'true', 'false'], requestValues: ['private', 'public-read', 'Public-Read'] },
  { key: 's3:max-keys', ops: numOps, policyValues: ['10', '100', '1.5', '-3', '0'], requestValues: ['10', '5', '100', '1.5', '250', 'ten'] },
  { key: 's3:RequestJobPriority', ops: numOps, policyValues: ['10', '50'], requestValues: ['9', '10', '11', '60'] },
  { key: 'aws:CurrentTime', ops: dateOps, policyValues: ['2024-05-01T12:00:00Z', '2024-01-01T00:00:00Z', '2025-06-30T23:59:59Z', '2024-05-01'], requestValues: ['2024-05-01T12:00:00Z', '2024-03-15T08:30:00Z', '2026-01-01T00:00:00Z', 'soon'] },
  { key: 'aws:EpochTime', ops: dateOps, policyValues: ['1714564800', '1704067200', '1714564800', '1704067200', '2024-05-01T12:00:00Z'], requestValues: ['1714564800', '1710000000', '1800000000'] },
  { key: 'aws:SecureTransport', ops: ['Bool'], policyValues: ['true', 'false', 'True'], requestValues: ['true', 'false', 'TRUE', 'maybe'] },
  { key: 'aws:SourceIp', ops: ['IpAddress', 'NotIpAddress'], policyValues: ['10.0.0.0/8', '192.168.1.0/24', '203.0.113.7/32', '2001:db8::/32', '::1/128', '10.0.0.0/8', '::/0', '0.0.0.0/0'], requestValues: ['10.1.2.3', '192.168.1.9', '203.0.113.7', '2001:db8::5', '::1', '2001:dead::1', '172.16.0.1', 'not-an-ip'] },
  { key: 'aws:SourceArn', ops: arnOps, policyValues: ['arn:aws:s3:::b*', 'arn:aws:iam::*:role/r?', 'arn:aws:s3:*:111122223333:job/*', 'arn:aws:s3:::B1', 'arn:aws:s3:::b1', 'arn:aws:iam::${aws:PrincipalAccount}:role/r1'], requestValues: ['arn:aws:s3:::b1', 'arn:aws:iam::111122223333:role/r1', 'arn:aws:s3:us-east-1:111122223333:job/j1', 'arn:aws:iam::444455556666:role/r22', 'not:an:arn'] },
  { key: 'aws:PrincipalArn', ops: [...arnOps, 'StringEquals', 'StringLike'], policyValues: ['arn:aws:iam::111122223333:user/*', 'arn:aws:iam::111122223333:role/service-role/ReplRole', 'arn:aws:iam::*:user/bob', 'arn:aws:iam::111122223333:*'], requestValues: [] },
  { key: 'aws:PrincipalAccount', ops: ['StringEquals', 'StringNotEquals'], policyValues: [A, B], requestValues: [] },
  { key: 'aws:username', ops: ['StringEquals', 'StringLike', 'StringNotEquals'], policyValues: ['alice', 'a*', 'bob'], requestValues: [] },
  { key: 'aws:PrincipalTag/team', ops: ['StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase'], policyValues: ['blue', 'BLUE', 'red'], requestValues: [] },
  { key: 'aws:PrincipalType', ops: ['StringEquals'], policyValues: ['User', 'AssumedRole'], requestValues: [] },
  { key: 'aws:TagKeys', ops: ['ForAnyValue:StringEquals', 'ForAllValues:StringEquals', 'ForAnyValue:StringLike', 'ForAllValues:StringLike', 'ForAnyValue:StringNotEquals', 'ForAllValues:StringNotLike', 'StringEquals'], policyValues: ['env', 'team', 'cost*', 'Env'], requestValues: [['env'], ['env', 'team'], ['costcenter', 'env'], ['other'], [], 'env'] },
  { key: 's3:ExistingObjectTag/color', ops: ['StringEquals', 'StringEqualsIfExists', 'StringNotEqualsIfExists', 'StringLikeIfExists'], policyValues: ['red', 'blu*'], requestValues: ['red', 'blue', 'green'] },
  { key: 's3:VersionId', ops: ['Null', 'StringEquals'], policyValues: ['true', 'false', 'v1'], requestValues: ['v1', 'v2'] },
  { key: 's3:signatureversion', ops: ['BinaryEquals', 'StringEquals'], policyValues: ['QmluYXJ5', 'AWS4-HMAC-SHA256'], requestValues: ['QmluYXJ5', 'AWS4-HMAC-SHA256'] },
];

function conditionBlock(): Record<string, Record<string, string | string[]>> {
  const out: Record<string, Record<string, string | string[]>> = {};
  for (let i = 0, n = 1 + Math.floor(rnd() * 3); i < n; i++) {
    const spec = pick(keys);
    const op = pick(spec.ops);
    const values = op === 'Null' ? [pick(['true', 'false'])] : some(spec.policyValues, 3);
    (out[op] ??= {})[spec.key] = oneOrMany(values);
  }
  return out;
}

function statement(kind: PolicyKind, conditions: boolean): Record<string, unknown> {
  const st: Record<string, unknown> = { Effect: chance(0.3) ? 'Deny' : 'Allow' };
  if (chance(0.3)) st['Sid'] = `S${Math.floor(rnd() * 1e6)}`;
  if (kind === 'trust') {
    st['Action'] = oneOrMany(some(['sts:AssumeRole', 'sts:TagSession', 'sts:AssumeRole*', 'sts:SetSourceIdentity'], 2));
  } else {
    st[chance(0.2) ? 'NotAction' : 'Action'] = oneOrMany(some(actionPatterns, 3));
    st[chance(0.2) ? 'NotResource' : 'Resource'] = oneOrMany(some(resourcePatterns, 3));
    // Resource policies: often broad, so that the principal decides and all outcomes show up.
    if (kind === 'resource' && chance(0.5)) {
      delete st['NotAction'];
      delete st['NotResource'];
      st['Action'] = pick(['*', 's3:*', 's3:Get*', ['s3:GetObject', 's3:PutObject', 's3:ListBucket']]);
      st['Resource'] = pick(['*', 'arn:aws:s3:::*', ['arn:aws:s3:::b1', 'arn:aws:s3:::b1/*']]);
    }
  }
  if (kind !== 'identity') {
    const principals = [
      '*', { AWS: '*' }, { AWS: A }, { AWS: `arn:aws:iam::${A}:root` }, { AWS: `arn:aws:iam::${B}:root` }, { AWS: alice.p.arn },
      { AWS: replRole.p.roleArn }, { AWS: replRole.p.arn }, { AWS: [bob.p.arn, carol.p.arn] }, { Service: 'batchoperations.s3.amazonaws.com' },
      { Service: ['s3.amazonaws.com', 'batchoperations.s3.amazonaws.com'] }, { AWS: otherSession.p.roleArn },
    ];
    st[chance(0.15) ? 'NotPrincipal' : 'Principal'] = pick(principals);
  }
  if (conditions && chance(kind === 'identity' ? 0.6 : 0.35)) st['Condition'] = conditionBlock();
  return st;
}

function document(kind: PolicyKind, conditions = true): Record<string, unknown> {
  const statements = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => statement(kind, conditions));
  return { Version: chance(0.04) ? '2008-10-17' : '2012-10-17', Statement: statements.length === 1 && chance(0.3) ? statements[0] : statements };
}

function context(who: Who): { ours: Map<string, string | string[]>; oracle: Record<string, string | string[]> } {
  const ours = new Map<string, string | string[]>();
  const oracle: Record<string, string | string[]> = { ...who.vars };
  for (const spec of keys) {
    if (spec.requestValues.length === 0 || !chance(0.6)) continue;
    const v = pick(spec.requestValues);
    ours.set(spec.key.toLowerCase(), v);
    oracle[spec.key] = v;
  }
  return { ours, oracle };
}

// --- where the oracle departs from AWS's documentation: not compared, counted ---
const ISO = /[-T]/;
function documentedDifference(docs: readonly Record<string, unknown>[], ctx: Record<string, string | string[]>, resource = ''): string | null {
  // An S3 key may contain `*` (object-key naming rules allow it), and AWS authorizes the literal ARN of that
  // one object. iam-simulate reads a `*` in the request resource as a pattern standing for many resources
  // (its simulator feature) and answers for the whole set.
  if (resource.includes('*')) return 'request ARN with a literal * (object key)';
  for (const doc of docs) {
    const sts = Array.isArray(doc['Statement']) ? (doc['Statement'] as Record<string, unknown>[]) : [doc['Statement'] as Record<string, unknown>];
    const text = JSON.stringify(doc);
    // reference_policies_variables.html: "policy variables … only in policies with Version 2012-10-17; in
    // earlier versions they are treated as literal strings". iam-simulate substitutes them in any version.
    if (doc['Version'] === '2008-10-17' && text.includes('${')) return '2008-10-17 document with policy variables';
    for (const st of sts) {
      const cond = (st['Condition'] ?? {}) as Record<string, Record<string, string | string[]>>;
      for (const [op, kv] of Object.entries(cond)) {
        for (const [k, vs] of Object.entries(kv)) {
          // reference_policies_elements_condition_operators.html (Date): values are ISO 8601 dates or UNIX epoch
          // seconds, and aws:EpochTime is in seconds. iam-simulate compares an epoch (seconds) with a parsed ISO
          // date (milliseconds) as raw numbers when the two forms are mixed.
          const values = [vs].flat();
          // reference_policies_elements_condition_operators.html (IP address): values are CIDR blocks (RFC 4632),
          // so 0.0.0.0/0 is every IPv4 address. iam-simulate builds the mask as `-1 << (32 - 0)`, which is a
          // shift by 0 in JavaScript: its /0 range holds only 0.0.0.0.
          if (op.includes('IpAddress') && values.some((v) => /^[\d.]+\/0$/.test(v))) return 'IPv4 /0 CIDR';
          // reference_policies_variables.html ("Special characters"): ${*}, ${?} and ${$} stand for a literal *, ?
          // and $ wherever variables are allowed. iam-simulate turns them into the literal text "${*}"… under the
          // operators without wildcards (StringEquals, StringNotEquals, …IgnoreCase, Bool).
          if (!op.includes('Like') && values.some((v) => /\$\{[*?$]\}/.test(v))) return 'special character ${*} ${?} ${$} outside StringLike';
          // reference_policies_variables.html: variables may appear in ARN condition values. iam-simulate splits
          // the value on ":" before substituting, which cuts a variable whose key has a colon (aws:…) in two when
          // it sits in the partition, service, region or account part.
          if (op.includes('Arn') && values.some((v) => v.split(':').slice(0, 5).join(':').includes('${'))) return 'variable in the account part of an ARN condition value';
          if (op.startsWith('Date') || op.includes(':Date')) {
            const rv = ctx[k] ?? Object.entries(ctx).find(([kk]) => kk.toLowerCase() === k.toLowerCase())?.[1];
            if (rv !== undefined && typeof rv === 'string') {
              for (const pv of [vs].flat()) if (ISO.test(pv) !== ISO.test(rv)) return 'Date value forms mixed (epoch vs ISO 8601)';
            }
          }
        }
      }
    }
  }
  return null;
}

const toDecision: Record<string, Decision> = { ExplicitlyDenied: 'ExplicitDeny', Allowed: 'Allow', ImplicitlyDenied: 'ImplicitDeny' };
const toResult: Record<string, StatementResult> = {
  ExplicitlyDenied: 'Deny', DeniedForAccount: 'Deny', Allowed: 'Allow', AllowedForAccount: 'Allow', ImplicitlyDenied: 'NotApplicable', NotApplicable: 'NotApplicable',
};

function oracleRequest(who: Who, action: string, resource: string, ctx: Record<string, string | string[]>): unknown {
  return new AwsRequestImpl(who.oracle, { resource, accountId: A }, action, new RequestContextImpl(ctx));
}

interface Failure {
  readonly kind: PolicyKind;
  readonly seed: number;
  readonly n: number;
  readonly ours: string;
  readonly oracle: string;
  readonly docs: unknown;
  readonly request: unknown;
}

function run(kind: PolicyKind, cases: number): { compared: number; skipped: Map<string, number>; failures: Failure[]; outcomes: Map<string, number> } {
  const skipped = new Map<string, number>();
  const failures: Failure[] = [];
  const outcomes = new Map<string, number>();
  let compared = 0;
  for (let n = 0; n < cases; n++) {
    const docs = Array.from({ length: kind === 'identity' ? 1 + Math.floor(rnd() * 3) : 1 }, () => document(kind));
    const compiled: CompiledPolicy[] = docs.map((d) => compilePolicy(parsePolicyDocument(JSON.stringify(d), kind), kind));
    const who = kind === 'identity' ? pick(identities) : pick([...identities, service, anonymous]);
    const action = kind === 'trust' ? pick(['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity', 'sts:AssumeRoleWithSAML']) : pick(requestActions);
    const resource = kind === 'trust' ? `arn:aws:iam::${A}:role/service-role/ReplRole` : pick(requestResources);
    const ctx = context(who);
    const req: AuthzRequest = { action, resource, principal: who.p, context: ctx.ours };
    const why = documentedDifference(docs, ctx.oracle, resource);
    if (why !== null) {
      skipped.set(why, (skipped.get(why) ?? 0) + 1);
      continue;
    }
    const oreq = oracleRequest(who, action, resource, ctx.oracle);
    let ours: string;
    let oracle: string;
    if (kind === 'identity') {
      ours = decide(req, compiled);
      const loaded = docs.map((d, i) => loadPolicy(d, { name: `p${i}` }));
      oracle = toDecision[core.analyzeIdentityPolicies(loaded, oreq, simParams, 'identity').result as string]!;
    } else {
      ours = compiled[0]!.evaluate(req);
      oracle = toResult[core.analyzeResourcePolicy(loadPolicy(docs[0], { name: 'rp' }), oreq, false, simParams).result as string]!;
    }
    compared++;
    outcomes.set(ours, (outcomes.get(ours) ?? 0) + 1);
    if (ours !== oracle) failures.push({ kind, seed: SEED, n, ours, oracle, docs, request: { action, resource, principal: who.p.arn, context: ctx.oracle } });
  }
  return { compared, skipped, failures, outcomes };
}

function report(kind: string, r: ReturnType<typeof run>): void {
  const skipped = [...r.skipped].map(([k, v]) => `${v} × ${k}`).join('; ') || 'none';
  console.log(`${kind}: ${r.compared} compared (${[...r.outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}); not compared: ${skipped}`);
  for (const f of r.failures.slice(0, Number(process.env['POLICY_DIFF_SHOW'] ?? 3))) console.log(JSON.stringify(f));
}

test('identity policies: our decision equals iam-simulate on random policies and requests', () => {
  const r = run('identity', 3600);
  report('identity', r);
  assert.ok(r.compared >= 2000, `only ${r.compared} cases compared`);
  assert.ok((r.outcomes.get('Allow') ?? 0) > 200 && (r.outcomes.get('ExplicitDeny') ?? 0) > 200 && (r.outcomes.get('ImplicitDeny') ?? 0) > 200, 'the generator must exercise all three outcomes');
  assert.equal(r.failures.length, 0, `seed ${SEED}: ${r.failures.length} disagreements`);
});

test('resource policies (Principal / NotPrincipal): our result equals iam-simulate', () => {
  const r = run('resource', 1500);
  report('resource', r);
  assert.ok(r.compared >= 1000);
  assert.equal(r.failures.length, 0, `seed ${SEED}: ${r.failures.length} disagreements`);
});

test('trust policies: our result equals iam-simulate', () => {
  const r = run('trust', 600);
  report('trust', r);
  assert.ok(r.compared >= 400);
  assert.equal(r.failures.length, 0, `seed ${SEED}: ${r.failures.length} disagreements`);
});

test('whole-simulation spot check: identity-only S3 requests through runUnsafeSimulation agree too', () => {
  let compared = 0;
  for (let n = 0; n < 200; n++) {
    const docs = [document('identity', false)];
    const who = pick([alice, replRole]);
    const action = pick(requestActions.filter((a) => a.toLowerCase().startsWith('s3:')));
    const resource = pick(requestResources.filter((r) => r.startsWith('arn:aws:s3:::')));
    if (documentedDifference(docs, {}, resource) !== null) continue;
    const compiled = docs.map((d) => compilePolicy(parsePolicyDocument(JSON.stringify(d), 'identity'), 'identity'));
    const ours = decide({ action, resource, principal: who.p, context: new Map() }, compiled);
    const theirs = runUnsafeSimulation(
      {
        request: { principal: who.oracle as string, action, resource: { resource, accountId: A }, contextVariables: who.vars },
        identityPolicies: docs.map((policy, i) => ({ name: `p${i}`, policy })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    assert.equal(ours, toDecision[theirs as string], JSON.stringify({ docs, action, resource, who: who.p.arn }));
    compared++;
  }
  assert.ok(compared >= 150, `only ${compared} compared`);
});
