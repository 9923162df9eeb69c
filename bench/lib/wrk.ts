// Runs wrk with bench/lua/presigned.lua and turns its output into numbers.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './targets.js';

export type BodyMode = 'none' | 'empty' | 'seeded';
export type Partition = 'shared' | 'own';

export interface WrkJob {
  endpoint: string; // http://127.0.0.1:<port>
  host: string; // Host header the URLs were signed for
  pathsFile: string;
  method: 'GET' | 'PUT';
  bodyMode: BodyMode;
  partition: Partition;
  size: number;
  threads: number;
  connections: number;
  durationSec: number;
}

export interface WrkResult {
  requestsPerSec: number;
  requests: number;
  /** Average bytes received per response (headers + body): a GET that returns an error document instead of the object shows up here. */
  bytesPerResponse: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** HTTP statuses > 399 (wrk's "Non-2xx or 3xx responses"). */
  statusErrors: number;
  /** connect + read + write + timeout. */
  socketErrors: number;
  /** Requests each wrk thread generated (request() calls), by thread id. */
  threadsSent: number[];
  /** CPU-seconds wrk itself used (user + sys), from the shell's `times`. */
  wrkCpuSec: number;
  raw: string;
}

export const luaScript = join(repoRoot, 'bench/lua/presigned.lua');

function exec(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.once('error', reject);
    // 'close', not 'exit': only then is all of wrk's output read.
    child.once('close', (code) => resolve({ code, out }));
  });
}

interface DoneLine {
  requests: number; duration_us: number; bytes: number;
  connect: number; read: number; write: number; timeout: number; status: number;
  p50_us: number; p90_us: number; p99_us: number; max_us: number;
}

/** bash `times` prints "XmY.YYYs XmY.YYYs" for the shell, then the same for its children (wrk). */
function childCpuSec(out: string): number {
  const lines = out.split('\n').filter((l) => /^\d+m[\d.]+s \d+m[\d.]+s$/.test(l));
  const last = lines[lines.length - 1];
  if (last === undefined) return 0;
  return last.split(' ').reduce((sum, part) => {
    const [, m, s] = /^(\d+)m([\d.]+)s$/.exec(part) ?? [];
    return sum + Number(m) * 60 + Number(s);
  }, 0);
}

function parse(out: string): WrkResult {
  const json = /^BENCH_RESULT (\{.*\})$/m.exec(out)?.[1];
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out)?.[1];
  if (json === undefined || rps === undefined) throw new Error(`could not parse wrk output:\n${out}`);
  const d = JSON.parse(json) as DoneLine;
  const threads = JSON.parse(/^BENCH_THREADS (\[.*\])$/m.exec(out)?.[1] ?? '[]') as { id: number; sent: number }[];
  const threadsSent: number[] = [];
  for (const t of threads) threadsSent[t.id] = t.sent;
  // Cross-check the Lua summary against wrk's own text, so a drift in either is caught.
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  if (non2xx !== d.status) throw new Error(`wrk reports ${non2xx} non-2xx but Lua summary says ${d.status}:\n${out}`);
  return {
    requestsPerSec: Number(rps),
    requests: d.requests,
    bytesPerResponse: d.requests > 0 ? d.bytes / d.requests : 0,
    p50Ms: d.p50_us / 1000,
    p90Ms: d.p90_us / 1000,
    p99Ms: d.p99_us / 1000,
    maxMs: d.max_us / 1000,
    statusErrors: d.status,
    socketErrors: d.connect + d.read + d.write + d.timeout,
    threadsSent,
    wrkCpuSec: childCpuSec(out),
    raw: out,
  };
}

export async function runWrk(job: WrkJob): Promise<WrkResult> {
  const args = [
    `-t${job.threads}`, `-c${job.connections}`, `-d${job.durationSec}s`,
    '--latency', '--timeout', '5s',
    '-s', luaScript, job.endpoint,
    '--', job.pathsFile, job.host, String(job.threads), job.method, job.bodyMode, job.partition, String(job.size),
  ];
  // Through bash only to read wrk's CPU time with `times` once it has exited.
  const { code, out } = await exec('bash', ['-c', 'wrk "$@"; rc=$?; times; exit $rc', 'bash', ...args]);
  if (code !== 0) throw new Error(`wrk exited ${code}:\n${out}`);
  return parse(out);
}
