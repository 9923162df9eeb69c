// Small-object (1 KiB) GET/PUT — and optionally CopyObject — requests/s at 64
// connections, driven by wrk replaying presigned URLs, with s3batch, s3rver
// and a bare node:http server side by side in one interleaved run.
//
//   npx tsc -p . && node dist/bench/small-objects.js \
//     [--duration 10] [--connections 64] [--threads 2] [--runs 3]
//     [--targets s3batch,s3rver,bare] [--ops get,put[,copy]]
//     [--objects 1000] [--size 1024] [--sample 20] [--json results.json]
//
// Exit status is 1 if any run had an HTTP/socket error, a failed read-back, or
// a target that would not start: a fast run full of 403s is not a result.
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { allTargets, killAllChildren, startTarget, type RunningTarget, type TargetName } from './lib/targets.js';
import { preflight, removeLists, s3Client, seed, splitWrittenKeys, verifyWritten, writeRequestLists, type Op, type Verification } from './lib/workload.js';
import { startCpuMeter, type CpuSplit } from './lib/cpu.js';
import { runWrk, type BodyMode, type Partition, type WrkResult } from './lib/wrk.js';

interface Options {
  durationSec: number;
  connections: number;
  threads: number;
  runs: number;
  targets: TargetName[];
  ops: Op[];
  objects: number;
  size: number;
  sample: number;
  json: string | undefined;
}

interface OpResult {
  wrk: WrkResult;
  cpu: CpuSplit;
  verification?: Verification;
  /** Human-readable problems with this op in this run; any entry fails the bench. */
  problems: string[];
}

interface RunRecord {
  target: TargetName;
  run: number;
  error?: string;
  ops: Partial<Record<Op, OpResult>>;
}

function listOf<T extends string>(raw: string, allowed: readonly T[], what: string): T[] {
  const items = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const item of items) if (!allowed.includes(item as T)) throw new Error(`unknown ${what} "${item}" (allowed: ${allowed.join(', ')})`);
  return items as T[];
}

function positive(raw: string, name: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got "${raw}"`);
  return n;
}

function parseOptions(argv: string[]): Options {
  const str = (d: string) => ({ type: 'string' as const, default: d });
  const { values: v } = parseArgs({
    args: argv,
    options: {
      duration: str('10'), connections: str('64'), threads: str('2'), runs: str('3'),
      targets: str(allTargets.join(',')), ops: str('get,put'),
      objects: str('1000'), size: str('1024'), sample: str('20'), json: { type: 'string' },
    },
  });
  return {
    durationSec: positive(v.duration, 'duration'),
    connections: positive(v.connections, 'connections'),
    threads: positive(v.threads, 'threads'),
    runs: positive(v.runs, 'runs'),
    targets: listOf(v.targets, allTargets, 'target'),
    ops: listOf(v.ops, ['get', 'put', 'copy'] as const, 'op'),
    objects: positive(v.objects, 'objects'),
    size: positive(v.size, 'size'),
    sample: positive(v.sample, 'sample'),
    json: v.json,
  };
}

/** Foreign CPU use (in cores) above which a run is called out as contended. */
const contendedCores = 0.2;

/** How wrk drives each op. PUT/COPY threads own disjoint keys so no two connections race on one key. */
const opShape: Record<Op, { method: 'GET' | 'PUT'; body: BodyMode; partition: Partition }> = {
  get: { method: 'GET', body: 'none', partition: 'shared' },
  put: { method: 'PUT', body: 'seeded', partition: 'own' },
  copy: { method: 'PUT', body: 'empty', partition: 'own' },
};

async function runOp(t: RunningTarget, op: Op, pathsFile: string, o: Options): Promise<OpResult> {
  const shape = opShape[op];
  const meter = startCpuMeter(t.pid);
  const wrk = await runWrk({
    endpoint: t.endpoint, host: t.host, pathsFile, method: shape.method, bodyMode: shape.body,
    partition: shape.partition, size: o.size, threads: o.threads, connections: o.connections, durationSec: o.durationSec,
  });
  const cpu = meter.stop(wrk.wrkCpuSec);
  const problems: string[] = [];
  if (wrk.statusErrors > 0) problems.push(`${wrk.statusErrors} responses with status > 399`);
  if (wrk.socketErrors > 0) problems.push(`${wrk.socketErrors} socket errors/timeouts`);
  if (wrk.requests === 0) problems.push('no requests completed');
  if (op === 'get' && wrk.bytesPerResponse < o.size) problems.push(`GET responses averaged ${wrk.bytesPerResponse.toFixed(0)} bytes < object size`);
  let verification: Verification | undefined;
  if (op !== 'get' && t.isStore) {
    verification = await checkWrites(t, op, wrk, o);
    for (const f of verification.failures) problems.push(`read-back ${f}`);
    // Torn objects are a correctness failure only for a server that promises atomic overwrites.
    if (t.atomicWrites) for (const f of verification.torn) problems.push(`torn by aborted request: ${f}`);
  }
  return { wrk, cpu, problems, ...(verification ? { verification } : {}) };
}

async function checkWrites(t: RunningTarget, op: 'put' | 'copy', wrk: WrkResult, o: Options): Promise<Verification> {
  // Requests possibly in flight when wrk stopped: one per connection, plus as many as a
  // thread issues during the slowest observed request. Capped so half the keys stay checkable.
  const perThread = Math.ceil(o.connections / o.threads);
  const keysPerThread = Math.floor(o.objects / o.threads);
  const window = Math.min(
    Math.floor(keysPerThread / 2),
    4 * perThread + Math.ceil((wrk.requestsPerSec / o.threads) * (wrk.maxMs / 1000)),
  );
  const client = s3Client(t);
  try {
    return await verifyWritten(t, client, op, splitWrittenKeys(wrk.threadsSent, o.objects, window), o.sample, o.size);
  } finally {
    client.destroy();
  }
}

function logOp(t: TargetName, run: number, op: Op, r: OpResult): void {
  const w = r.wrk;
  const v = r.verification;
  const check = v
    ? `, read-back ${v.checked - v.failures.length}/${v.checked} ok, in-flight keys whole ${v.inFlightChecked - v.torn.length}/${v.inFlightChecked}`
    : '';
  const c = r.cpu;
  const cores = `cores: server ${c.server.toFixed(2)}, wrk ${c.wrk.toFixed(2)}, other ${c.other.toFixed(2)}`;
  console.log(`[${t} run ${run}] ${op.toUpperCase()} ${w.requestsPerSec.toFixed(0)} req/s, p50 ${w.p50Ms.toFixed(2)} ms, p99 ${w.p99Ms.toFixed(2)} ms; ${cores}${check}`);
  if (c.other > contendedCores) console.error(`!!  [${t} run ${run}] ${op.toUpperCase()}: other processes used ${c.other.toFixed(2)} cores during this run — contended`);
  for (const p of r.problems) console.error(`!!! [${t} run ${run}] ${op.toUpperCase()}: ${p}`);
  if (v && v.torn.length > 0 && !r.problems.some((p) => p.startsWith('torn'))) {
    console.error(`!!  [${t} run ${run}] ${op.toUpperCase()}: ${v.torn.length} object(s) torn by requests aborted when wrk stopped (not atomic; not counted as a failed run for this baseline), e.g. ${v.torn[0]}`);
  }
  if (r.problems.length > 0) console.error(w.raw.split('\n').filter((l) => !l.startsWith('BENCH_RESULT')).join('\n'));
}

async function benchTarget(name: TargetName, run: number, o: Options): Promise<RunRecord> {
  const record: RunRecord = { target: name, run, ops: {} };
  let t: RunningTarget;
  try {
    t = await startTarget(name);
  } catch (err) {
    record.error = (err as Error).message;
    console.error(`!!! [${name} run ${run}] did not start: ${record.error}`);
    return record;
  }
  let listsDir: string | undefined;
  try {
    const client = s3Client(t);
    await seed(t, client, o.objects, o.size);
    client.destroy();
    const lists = await writeRequestLists(t, o.ops, o.objects);
    listsDir = lists.dir;
    await preflight(t, o.ops, o.size);
    for (const op of o.ops) {
      const r = await runOp(t, op, lists.files[op], o);
      record.ops[op] = r;
      logOp(name, run, op, r);
    }
  } catch (err) {
    record.error = (err as Error).message;
    console.error(`!!! [${name} run ${run}] failed: ${record.error}\n--- server log tail ---\n${t.log()}`);
  } finally {
    await t.stop();
    if (listsDir) await removeLists(listsDir);
  }
  return record;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

interface Summary {
  rps: Partial<Record<Op, number>>;
  latency: Partial<Record<Op, string>>;
  problems: number;
  failedRuns: number;
  /** In-flight objects found torn / checked, summed over runs and write ops. */
  torn: [number, number];
  /** Median cores the server used, per op. */
  serverCores: Partial<Record<Op, number>>;
  /** Worst foreign CPU use seen in any run (cores). */
  maxOther: number;
}

function summarize(records: RunRecord[], target: TargetName, ops: Op[]): Summary {
  const mine = records.filter((r) => r.target === target);
  const s: Summary = { rps: {}, latency: {}, problems: 0, failedRuns: mine.filter((r) => r.error).length, torn: [0, 0], serverCores: {}, maxOther: 0 };
  for (const op of ops) {
    const rs = mine.map((r) => r.ops[op]).filter((r): r is OpResult => r !== undefined);
    s.problems += rs.reduce((n, r) => n + r.problems.length, 0);
    for (const r of rs) if (r.verification) s.torn = [s.torn[0] + r.verification.torn.length, s.torn[1] + r.verification.inFlightChecked];
    if (rs.length === 0) continue;
    s.serverCores[op] = median(rs.map((r) => r.cpu.server));
    s.maxOther = Math.max(s.maxOther, ...rs.map((r) => r.cpu.other));
    s.rps[op] = median(rs.map((r) => r.wrk.requestsPerSec));
    s.latency[op] = `${median(rs.map((r) => r.wrk.p50Ms)).toFixed(2)} / ${median(rs.map((r) => r.wrk.p99Ms)).toFixed(2)}`;
  }
  return s;
}

function fmtRps(n: number | undefined): string {
  return n === undefined ? 'n/a' : Math.round(n).toLocaleString('en-US');
}

function report(records: RunRecord[], o: Options): boolean {
  const opsUp = o.ops.map((op) => op.toUpperCase());
  const header = ['target', ...opsUp.map((op) => `${op} req/s`), ...opsUp.map((op) => `${op} p50 / p99 ms`), 'server cores', 'max other cores', 'errors', 'torn after abort'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  const sums = new Map<TargetName, Summary>();
  let clean = true;
  for (const target of o.targets) {
    const s = summarize(records, target, o.ops);
    sums.set(target, s);
    const bad = s.problems + s.failedRuns;
    if (bad > 0) clean = false;
    const errors = bad === 0 ? '0' : `**${s.problems} problems, ${s.failedRuns} failed runs** ⚠`;
    const cells = [
      target,
      ...o.ops.map((op) => fmtRps(s.rps[op])),
      ...o.ops.map((op) => s.latency[op] ?? 'n/a'),
      o.ops.map((op) => s.serverCores[op]?.toFixed(2) ?? 'n/a').join(' / '),
      s.maxOther.toFixed(2),
      errors,
      s.torn[1] === 0 ? 'n/a' : `${s.torn[0]} / ${s.torn[1]}`,
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  console.log(`\nMedians of ${o.runs} interleaved run(s); ${o.durationSec}s each, wrk -t${o.threads} -c${o.connections}, ${o.size}-byte objects, ${o.objects} keys.\n`);
  console.log(lines.join('\n'));
  printRatios(sums, o.ops);
  return clean;
}

function printRatios(sums: Map<TargetName, Summary>, ops: Op[]): void {
  const a = sums.get('s3batch');
  if (!a) return;
  for (const [other, goal] of [['s3rver', 10], ['bare', undefined]] as const) {
    const b = sums.get(other);
    if (!b) continue;
    const parts = ops.map((op) => {
      const x = a.rps[op], y = b.rps[op];
      if (x === undefined || y === undefined) return `${op.toUpperCase()} n/a`;
      const r = x / y;
      const verdict = goal === undefined || op === 'copy' ? '' : r >= goal ? ' (meets ≥10×)' : ' (BELOW 10× target)';
      return `${op.toUpperCase()} ${r.toFixed(2)}×${verdict}`;
    });
    console.log(`\ns3batch / ${other}: ${parts.join(', ')}`);
  }
}

function environment(): string {
  let wrkVersion = 'unknown';
  try {
    wrkVersion = execFileSync('wrk', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0] ?? '';
  } catch (err) {
    // wrk --version exits 1 after printing; the text is still on stdout.
    wrkVersion = String((err as { stdout?: string }).stdout ?? '').split('\n')[0] ?? 'unknown';
  }
  const cpu = cpus();
  return `cpu: ${cpu[0]?.model ?? '?'} x${cpu.length}; node ${process.version}; ${wrkVersion.trim()}; loadavg at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  // The SDK's multi-line "node >= 22 soon" notice would bury the "!!!" lines this bench relies on.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killAllChildren(); // temp dirs under $TMPDIR/s3batch-bench-* are left behind in this case
      process.exit(130);
    });
  }
  console.log(environment());
  const records: RunRecord[] = [];
  // Interleave targets within each run so drift in machine load (it is shared) hits all of them alike.
  for (let run = 1; run <= o.runs; run++) {
    for (const target of o.targets) records.push(await benchTarget(target, run, o));
  }
  const clean = report(records, o);
  if (o.json) await writeFile(o.json, JSON.stringify({ options: o, environment: environment(), records }, null, 2));
  if (!clean) {
    console.error('\n!!! Some runs had errors or failed checks — see the "!!!" lines above. These numbers are not valid results.');
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  killAllChildren();
  console.error(err);
  process.exit(1);
});
