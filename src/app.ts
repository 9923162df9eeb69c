/**
 * The composition root: builds every service from the resolved configuration and wires them
 * together. Nothing else constructs long-lived services.
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Config } from './config.js';
import type { Credentials } from './auth/credentials.js';
import type { IamContext } from './auth/iam-authorize.js';
import { openIam } from './auth/iam-open.js';
import { sweepExpiredSessions } from './auth/sts.js';
import type { ControlDb } from './db/control-db.js';
import { openControlDb } from './db/open.js';
import { openStore, type OpenedStore } from './store/open.js';
import type { JobStore } from './jobs/store.js';
import { createSqlJobStore } from './jobs/store-sql.js';
import type { JobEngine } from './jobs/engine/engine.js';
import { lockDataDir } from './data-dir-lock.js';
import { createServerJobEngine, type JobRuntimeOptions } from './jobs/engine/wire.js';
import { createHttpServer } from './http/server.js';
import { startWebhookDispatcher } from './jobs/events/webhooks.js';
import { s3Handlers } from './http/s3/handlers.js';

export interface App {
  readonly config: Config;
  readonly credentials: Credentials;
  readonly store: OpenedStore;
  /** The control-plane database (IAM, STS sessions; jobs later). */
  readonly controlDb: ControlDb;
  /** IAM and STS: what the Query API (src/http/query-api.ts) and the authorizers use. */
  readonly iam: IamContext;
  /** Batch jobs (src/jobs/store.ts), in the control-plane database. */
  readonly jobs: JobStore;
  /** Runs batch jobs: prepares them, runs their tasks, writes their reports (src/jobs/engine/). */
  readonly jobEngine: JobEngine;
  /** The bound address (port 0 in the config resolves here). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** How often expired STS sessions are swept (a few rows per sweep; sessions last ≥ 15 minutes). */
const SESSION_SWEEP_MS = 10 * 60 * 1000;
/** How often jobs awaiting confirmation too long are failed and old terminated jobs deleted (periods are days). */
const JOB_SWEEP_MS = 10 * 60 * 1000;
const DAY_MS = 86_400_000;

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

export async function startApp(config: Config, log: (msg: string) => void = (m) => process.stderr.write(m + '\n'), jobRuntime: JobRuntimeOptions = {}): Promise<App> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const unlock = lockDataDir(config.dataDir);
  try {
    const app = await startLocked(config, log, jobRuntime);
    return { ...app, close: () => app.close().finally(unlock) };
  } catch (e) {
    unlock();
    throw e;
  }
}

async function startLocked(config: Config, log: (msg: string) => void, jobRuntime: JobRuntimeOptions): Promise<App> {
  const controlDb = await openControlDb(config.dataDir);
  let iam: IamContext;
  let credentials: Credentials;
  try {
    ({ ctx: iam, credentials } = await openIam(config, controlDb, log));
  } catch (e) {
    await controlDb.close();
    throw e;
  }
  // Expired STS sessions answer ExpiredToken for a while, then are forgotten (sts.ts).
  const sweeper = setInterval(() => void sweepExpiredSessions(iam).catch((e: unknown) => log(`sts: session sweep failed: ${(e as Error).message}`)), SESSION_SWEEP_MS);
  sweeper.unref();
  const store = openStore(config.dataDir, { inlineThreshold: config.inlineThreshold, fsync: config.fsync, restoreDelays: config.restoreDelays });
  if (store.orphansRemoved > 0) log(`store: removed ${store.orphansRemoved} orphan file(s) left by an interrupted write`);
  const jobs = createSqlJobStore(controlDb);
  const sweepJobs = (): Promise<void> =>
    jobs
      .sweep(Date.now(), { confirmationTimeoutMs: config.jobs.confirmationTimeoutDays * DAY_MS, retentionMs: config.jobs.retentionDays * DAY_MS })
      .then(() => undefined, (e: unknown) => log(`jobs: sweep failed: ${(e as Error).message}`));
  await sweepJobs();
  const jobSweeper = setInterval(() => void sweepJobs(), JOB_SWEEP_MS);
  jobSweeper.unref();
  // Options given by the caller (tests, benchmarks) win over the configuration's.
  const engineFromConfig = {
    // The embedded SQLite control database belongs to this process alone: a lease held by any
    // other worker id is a dead incarnation's, taken back at start (EngineOptions.singleProcess).
    singleProcess: !controlDb.capabilities.multiProcess,
    ...(config.jobs.maxTasks !== undefined ? { maxTasks: config.jobs.maxTasks } : {}),
    ...(config.jobs.maxTasksPerJob !== undefined ? { maxTasksPerJob: config.jobs.maxTasksPerJob } : {}),
  };
  const runtime: JobRuntimeOptions = {
    lambdaFunctions: config.lambdaFunctions,
    storage: config.storage,
    ...jobRuntime,
    engine: { ...engineFromConfig, ...jobRuntime.engine },
  };
  const jobEngine = createServerJobEngine({ store: store.ctx, credentials, iam, jobs, region: config.region, log, dataDir: config.dataDir }, runtime);
  const deps = { config, store: store.ctx, credentials, log, s3: s3Handlers, iam, jobs, jobEngine };
  const servers: Server[] = [createHttpServer(deps)];
  const addr = await listen(servers[0]!, config.port, config.host === 'localhost' ? '127.0.0.1' : config.host);
  if (config.host === 'localhost') {
    // localhost also means ::1 for clients that resolve it to IPv6 first.
    const v6 = createHttpServer(deps);
    try {
      await listen(v6, addr.port, '::1');
      servers.push(v6);
    } catch (e) {
      log(`not listening on [::1]:${addr.port}: ${(e as Error).message}`);
    }
  }
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  jobEngine.start();
  // Job events to the configured webhooks, from each one's persisted cursor.
  const webhooks = startWebhookDispatcher(config.webhooks, { jobs, region: config.region, dataDir: config.dataDir, fsync: config.fsync, log });
  return {
    config,
    credentials,
    store,
    controlDb,
    iam,
    jobs,
    jobEngine,
    url: `http://${host}:${addr.port}`,
    port: addr.port,
    async close() {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeIdleConnections();
              setTimeout(() => s.closeAllConnections(), 2000).unref();
            }),
        ),
      );
      clearInterval(sweeper);
      clearInterval(jobSweeper);
      await jobEngine.stop();
      await webhooks.stop();
      store.close();
      await controlDb.close();
    },
  };
}
