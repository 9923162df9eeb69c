// Policy decisions per second on one core for the seed lab's role (its two inline policies, as
// corrected), our compiled evaluator and @cloud-copilot/iam-simulate side by side, on the same mix of
// requests a Batch Replication job makes: reads of source objects, writes of replicas, listings,
// InitiateReplication — and requests the role may not make (implicit denies). Median of 5 runs.
//
//   npx tsc -p . && node dist/bench/policy.js [--runs 5] [--decisions 2000000] [--oracle 400]
//
// Both engines must agree on every request of the mix, or the bench exits 1: a fast wrong answer is
// not a result.
import { parseArgs } from 'node:util';
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { compilePolicy } from '../src/auth/policy/compile.js';
import { decide } from '../src/auth/policy/evaluate.js';
import { parsePolicyDocument } from '../src/auth/policy/parse.js';
import { SeedCopyPolicyCorrected, SeedReplicationPolicyCorrected } from '../src/auth/policy/seed-lab.js';
import type { AuthzRequest, Decision, RequestPrincipal } from '../src/auth/policy/types.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    decisions: { type: 'string', default: '2000000' },
    oracle: { type: 'string', default: '400' },
  },
});
const RUNS = Number(args.runs);
const DECISIONS = Number(args.decisions);
const ORACLE = Number(args.oracle);

const ACCOUNT = '111122223333';
const principal: RequestPrincipal = {
  kind: 'assumed-role',
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/s3crr_role_for_sourcebucket7000/batch-operations`,
  accountId: ACCOUNT,
  userId: 'AROAEXAMPLEROLEID0001:batch-operations',
  roleArn: `arn:aws:iam::${ACCOUNT}:role/service-role/s3crr_role_for_sourcebucket7000`,
  tags: {},
};
const docs = [SeedCopyPolicyCorrected, SeedReplicationPolicyCorrected].map((t) => parsePolicyDocument(t, 'identity'));
const compiled = docs.map((d) => compilePolicy(d, 'identity'));

// The request mix: one entry per (action, bucket) shape with its share; keys vary per request.
const shapes: readonly [action: string, resource: (k: string) => string, weight: number][] = [
  ['s3:GetObject', (k) => `arn:aws:s3:::sourcebucket7123/${k}`, 20],
  ['s3:GetObjectVersion', (k) => `arn:aws:s3:::sourcebucket7123/${k}`, 20],
  ['s3:GetObjectTagging', (k) => `arn:aws:s3:::sourcebucket7123/${k}`, 10],
  ['s3:GetObjectAcl', (k) => `arn:aws:s3:::sourcebucket7123/${k}`, 5],
  ['s3:PutObject', (k) => `arn:aws:s3:::destinationbucket7122/${k}`, 15],
  ['s3:PutObjectTagging', (k) => `arn:aws:s3:::destinationbucket7122/${k}`, 5],
  ['s3:PutObjectAcl', (k) => `arn:aws:s3:::destinationbucket7122/${k}`, 5],
  ['s3:InitiateReplication', (k) => `arn:aws:s3:::sourcebucket7123/${k}`, 5],
  ['s3:ListBucket', () => 'arn:aws:s3:::sourcebucket7123', 2],
  ['s3:GetReplicationConfiguration', () => 'arn:aws:s3:::sourcebucket7123', 1],
  // Not granted: implicit denies.
  ['s3:DeleteObject', (k) => `arn:aws:s3:::sourcebucket7123/${k}`, 4],
  ['s3:GetObject', (k) => `arn:aws:s3:::destinationbucket7122/${k}`, 3],
  ['s3:PutObject', (k) => `arn:aws:s3:::otherbucket/${k}`, 3],
  ['s3:ListBucket', () => 'arn:aws:s3:::destinationbucket7122', 1],
  ['s3:DeleteBucket', () => 'arn:aws:s3:::sourcebucket7123', 1],
];
const pool: AuthzRequest[] = [];
const empty = new Map<string, string>();
let seed = 42;
const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
for (let i = 0; i < 4096; i++) {
  let w = rnd() * shapes.reduce((a, s) => a + s[2], 0);
  const shape = shapes.find((s) => (w -= s[2]) < 0) ?? shapes[0]!;
  const key = `data/${(rnd() * 1e9).toFixed(0)}/part-${i}.parquet`;
  pool.push({ action: shape[0], resource: shape[1](key), principal, context: empty });
}

function oracleSimulation(req: AuthzRequest): Parameters<typeof runSimulation>[0] {
  return {
    request: { principal: req.principal.arn, action: req.action, resource: { resource: req.resource, accountId: ACCOUNT }, contextVariables: {} },
    identityPolicies: docs.map((policy, i) => ({ name: `p${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
}
const oracleDecision: Record<string, Decision> = { Allowed: 'Allow', ExplicitlyDenied: 'ExplicitDeny', ImplicitlyDenied: 'ImplicitDeny' };

// Agreement first.
let disagreements = 0;
for (const req of pool.slice(0, 300)) {
  const ours = decide(req, compiled);
  const theirs = oracleDecision[runUnsafeSimulation(oracleSimulation(req), {}) as string];
  if (ours !== theirs) {
    disagreements++;
    console.error(`disagree: ${req.action} ${req.resource}: ours ${ours}, iam-simulate ${theirs}`);
  }
}
if (disagreements > 0) process.exit(1);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

let sink = 0;
// Rates are per CPU second of this process (user + system), not per wall-clock second: the bench
// machine is shared, and "on one core" is what is being measured. Wall-clock rates are shown too.
interface Rate {
  cpu: number;
  wall: number;
}
function rate(n: number, t0: bigint, c0: NodeJS.CpuUsage): Rate {
  const c = process.cpuUsage(c0);
  return { cpu: n / ((c.user + c.system) / 1e6), wall: n / (Number(process.hrtime.bigint() - t0) / 1e9) };
}
function runOurs(n: number): Rate {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) if (decide(pool[i & 4095]!, compiled) === 'Allow') sink++;
  return rate(n, t0, c0);
}
async function runOracle(n: number, safe: boolean): Promise<Rate> {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const sim = oracleSimulation(pool[i & 4095]!);
    if (safe) {
      const r = await runSimulation(sim, {});
      if (r.resultType !== 'error' && r.overallResult === 'Allowed') sink++;
    } else if (runUnsafeSimulation(sim, {}) === 'Allowed') sink++;
  }
  return rate(n, t0, c0);
}

runOurs(200_000); // warm-up: JIT and the per-policy action memo
const ours: Rate[] = [];
const safe: Rate[] = [];
const unsafe: Rate[] = [];
// Our runs first, then the oracle's: iam-simulate's garbage (about 1 MB per decision) left for the
// collector slows whatever runs next, which is not a property of our engine.
for (let r = 0; r < RUNS; r++) ours.push(runOurs(DECISIONS));
await runOracle(50, true);
await runOracle(50, false);
for (let r = 0; r < RUNS; r++) {
  safe.push(await runOracle(ORACLE, true));
  unsafe.push(await runOracle(ORACLE * 4, false));
}
const allowShare = pool.filter((r) => decide(r, compiled) === 'Allow').length / pool.length;

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
const row = (name: string, xs: Rate[], n: number): [string, string, string, string, string] => {
  const cpu = xs.map((x) => x.cpu);
  return [name, fmt(median(cpu)), `${fmt(Math.min(...cpu))} … ${fmt(Math.max(...cpu))}`, fmt(median(xs.map((x) => x.wall))), fmt(n)];
};
const rows: [string, string, string, string, string][] = [
  ['engine', 'decisions per CPU-second (median)', 'min … max', 'per wall-second (median)', 'decisions per run'],
  row('s3batch compiled evaluator', ours, DECISIONS),
  row('iam-simulate runSimulation (validated)', safe, ORACLE),
  row('iam-simulate runUnsafeSimulation', unsafe, ORACLE * 4),
];
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
console.log(`seed lab role policies: 2 inline policies, 8 statements; ${pool.length} distinct requests, ${(allowShare * 100).toFixed(0)}% Allow, rest implicit deny; ${RUNS} runs, node ${process.version}`);
for (const [i, r] of rows.entries()) {
  console.log(`| ${r.map((x, c) => x.padEnd(widths[c]!)).join(' | ')} |`);
  if (i === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
}
const med = (xs: Rate[]): number => median(xs.map((x) => x.cpu));
console.log(`speed-up over runSimulation: ${Math.round(med(ours) / med(safe)).toLocaleString('en-US')}x; over runUnsafeSimulation: ${Math.round(med(ours) / med(unsafe)).toLocaleString('en-US')}x`);
if (sink < 0) console.log(sink);
