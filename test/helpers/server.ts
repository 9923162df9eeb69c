/**
 * Test servers: a real s3batch process (for CLI tools and kill -9 tests) or an in-process app (fast,
 * for SDK tests), each on 127.0.0.1 with a free port and a fresh data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import { loadConfig } from '../../src/config.js';
import { startApp, type App } from '../../src/app.js';

export const ACCESS_KEY_ID = 'AKIAS3BATCHTEST00001';
export const SECRET_ACCESS_KEY = 'test-secret-key-0000000000000000000000000';
export const REGION = 'us-east-1';

/** Repository root (tests run from dist/test/…). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const mainJs = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

export function tempDir(prefix = 's3batch-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface TestServer {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  stop(): Promise<void>;
}

export interface InProcessServer extends TestServer {
  readonly app: App;
}

export async function startInProcess(opts: { dataDir?: string; env?: Record<string, string> } = {}): Promise<InProcessServer> {
  const dataDir = opts.dataDir ?? tempDir();
  const config = loadConfig(
    { port: '0', 'data-dir': dataDir },
    { S3BATCH_ROOT_ACCESS_KEY_ID: ACCESS_KEY_ID, S3BATCH_ROOT_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY, S3BATCH_FSYNC: 'false', ...opts.env },
  );
  const app = await startApp(config, () => undefined);
  return {
    app,
    url: app.url,
    port: app.port,
    dataDir,
    async stop() {
      await app.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ProcessServer extends TestServer {
  readonly child: ChildProcess;
  /** SIGKILL, and wait for the process to be gone. */
  kill9(): Promise<void>;
  output(): string;
}

/** Starts `s3batch server` as a child process and waits for /_health. */
export async function startProcess(opts: { dataDir?: string; port?: number; env?: Record<string, string> } = {}): Promise<ProcessServer> {
  const dataDir = opts.dataDir ?? tempDir();
  const child = spawn(process.execPath, [mainJs, 'server', '--host', '127.0.0.1', '--port', String(opts.port ?? 0), '--data-dir', dataDir], {
    env: { ...process.env, S3BATCH_ROOT_ACCESS_KEY_ID: ACCESS_KEY_ID, S3BATCH_ROOT_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 15 s:\n${out}`)), 15_000);
    const onData = (): void => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  const port = Number(new URL(url).port);
  return {
    child,
    url,
    port,
    dataDir,
    output: () => out,
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function s3Client(url: string, extra: Record<string, unknown> = {}): S3Client {
  return new S3Client({
    endpoint: url,
    region: REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
    ...extra,
  });
}

/** Environment for the AWS CLI, rclone and s3cmd run against a test server. */
export function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY, AWS_DEFAULT_REGION: REGION, AWS_EC2_METADATA_DISABLED: 'true', AWS_PAGER: '' };
  delete env.AWS_CA_BUNDLE;
  delete env.AWS_PROFILE;
  delete env.HTTP_PROXY;
  delete env.http_proxy;
  return env;
}

/** Debian's AWS CLI v2; another `aws` may come first on PATH. */
export const AWS_CLI = '/usr/bin/aws';
