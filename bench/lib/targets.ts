// The servers under test. Each one runs as its own child process on
// 127.0.0.1 with a fresh temp data dir, so no run inherits state (or page
// cache warmth in its own heap) from another.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Credentials } from './presign.js';

/** Repo root, from dist/bench/lib/targets.js. Non-TS assets (bench/lua) and dist/src live under it. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export type TargetName = 's3batch' | 's3rver' | 'bare';
export const allTargets: TargetName[] = ['s3batch', 's3rver', 'bare'];

interface TargetSpec {
  /** argv after `node`. */
  args(port: number, dataDir: string): string[];
  env: Record<string, string>;
  credentials: Credentials;
  /** Readiness probe: path to GET, and the status that means "up" (undefined: any HTTP answer). */
  probe: { path: string; status?: number };
  /** false for the bare server: it stores nothing, so there is nothing to set up or verify. */
  isStore: boolean;
  /**
   * Whether an interrupted overwrite must leave the old or the new object, never a torn one.
   * s3batch promises it; s3rver truncates the file in place and does not, so for it a torn
   * object is reported but not counted as a failed run.
   */
  atomicWrites: boolean;
}

const s3batchCreds: Credentials = { accessKeyId: 'AKIABENCH000000000000', secretAccessKey: 'benchsecret' };

function s3rverBin(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('s3rver/package.json')), 'bin', 's3rver.js');
}

const specs: Record<TargetName, TargetSpec> = {
  s3batch: {
    args: (port, dir) => [
      join(repoRoot, 'dist/src/cli/main.js'),
      'server', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dir,
    ],
    env: {
      S3BATCH_ROOT_ACCESS_KEY_ID: s3batchCreds.accessKeyId,
      S3BATCH_ROOT_SECRET_ACCESS_KEY: s3batchCreds.secretAccessKey,
    },
    credentials: s3batchCreds,
    probe: { path: '/_health', status: 200 },
    isStore: true,
    atomicWrites: true,
  },
  s3rver: {
    args: (port, dir) => [s3rverBin(), '-d', dir, '-p', String(port), '-a', '127.0.0.1', '--silent'],
    env: {},
    // s3rver's built-in account. NB: s3rver 3.7.1 checks that a V4 key id exists and
    // that the URL has not expired, but does NOT verify V4 signatures (see docs/benchmarks.md).
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    probe: { path: '/' },
    isStore: true,
    atomicWrites: false,
  },
  bare: {
    args: (port) => [join(repoRoot, 'dist/bench/bare-server.js'), '--port', String(port)],
    env: {},
    credentials: { accessKeyId: 'BARE', secretAccessKey: 'BARE' }, // signed but never checked
    probe: { path: '/', status: 200 },
    isStore: false,
    atomicWrites: false,
  },
};

export interface RunningTarget {
  name: TargetName;
  pid: number;
  port: number;
  host: string; // "127.0.0.1:<port>", exactly the Host header sent
  endpoint: string;
  dataDir: string;
  credentials: Credentials;
  isStore: boolean;
  atomicWrites: boolean;
  /** Last lines of the child's stdout/stderr, for error reports. */
  log(): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();

/** Kill every child we started; used on Ctrl-C so no server outlives the bench. */
export function killAllChildren(): void {
  for (const child of live) child.kill('SIGKILL');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function tail(buf: string[], chunk: Buffer): void {
  buf.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0));
  if (buf.length > 40) buf.splice(0, buf.length - 40);
}

async function waitReady(child: ChildProcess, url: string, status: number | undefined, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited (${child.exitCode ?? child.signalCode}) before becoming ready:\n${log()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (status === undefined || res.status === status) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not ready after 20s (GET ${url}):\n${log()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export async function startTarget(name: TargetName): Promise<RunningTarget> {
  const spec = specs[name];
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), `s3batch-bench-${name}-`));
  const lines: string[] = [];
  const child = spawn(process.execPath, spec.args(port, dataDir), {
    cwd: repoRoot,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.stdout?.on('data', (c: Buffer) => tail(lines, c));
  child.stderr?.on('data', (c: Buffer) => tail(lines, c));
  const log = (): string => lines.join('\n');
  const stop = async (): Promise<void> => {
    await stopChild(child);
    await rm(dataDir, { recursive: true, force: true });
  };
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitReady(child, endpoint + spec.probe.path, spec.probe.status, log);
  } catch (err) {
    await stop();
    throw new Error(`${name}: ${(err as Error).message}`);
  }
  return {
    name, pid: child.pid ?? 0, port, host: `127.0.0.1:${port}`, endpoint, dataDir,
    credentials: spec.credentials, isStore: spec.isStore, atomicWrites: spec.atomicWrites, log, stop,
  };
}
