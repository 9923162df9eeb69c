/**
 * Builds the job engine of a server from its services: which storage the jobs reach (the embedded
 * store, or a remote S3 endpoint through the SDK), the registered Lambda functions, the tuning,
 * and where jobs keep private files (`<dataDir>/jobs/`, swept of ended jobs' files while the
 * engine runs). Called once by the composition root (app.ts).
 */
import { join } from 'node:path';
import type { Credentials } from '../../auth/credentials.js';
import type { IamContext } from '../../auth/iam-authorize.js';
import { storageFactory, type StorageConfig } from '../../storage/factory.js';
import type { StoreContext } from '../../store/context.js';
import { sweepGeneratedFiles } from '../manifest/generator.js';
import { createHttpInvoker, createLambdaRegistry, type LambdaFunction } from '../lambda.js';
import type { JobStore } from '../store.js';
import { createJobEngine, type JobEngine } from './engine.js';
import type { EngineOptions } from './options.js';

export interface JobRuntimeOptions {
  readonly engine?: Partial<EngineOptions>;
  /** Lambda functions as HTTP endpoints (configuration `lambda.functions`). */
  readonly lambdaFunctions?: readonly LambdaFunction[];
  /** Where job tasks reach objects; the embedded store by default. */
  readonly storage?: StorageConfig;
}

export interface JobRuntimeDeps {
  readonly store: StoreContext;
  readonly credentials: Credentials;
  readonly iam: IamContext;
  readonly jobs: JobStore;
  readonly region: string;
  readonly log: (msg: string) => void;
  /** The server's data directory: jobs keep private files in `<dataDir>/jobs/<jobId>/`. */
  readonly dataDir: string;
}

/**
 * How often the private files of jobs that ended outside the engine (cancelled while Suspended or
 * Ready, failed by the confirmation timeout) are looked for: they only take disk space meanwhile.
 */
const SPILL_SWEEP_MS = 10 * 60 * 1000;

export function createServerJobEngine(d: JobRuntimeDeps, o: JobRuntimeOptions = {}): JobEngine {
  const spillDir = join(d.dataDir, 'jobs');
  const engine = createJobEngine(
    {
      jobs: d.jobs,
      iam: d.iam,
      credentials: d.credentials,
      storageFor: storageFactory(o.storage ?? { kind: 'embedded' }, { store: d.store, credentials: d.credentials, region: d.region }),
      lambda: createLambdaRegistry(o.lambdaFunctions ?? []),
      invoke: createHttpInvoker(o.engine?.lambdaTimeoutMs ?? 60_000),
      region: d.region,
      now: Date.now,
      log: d.log,
      spillDir,
    },
    o.engine,
  );
  const sweep = (): void =>
    void sweepGeneratedFiles(spillDir, d.jobs).then(
      (n) => (n > 0 ? d.log(`jobs: removed the generated manifest files of ${n} ended job(s)`) : undefined),
      (e: unknown) => d.log(`jobs: sweeping generated manifest files failed: ${(e as Error).message}`),
    );
  let sweeper: NodeJS.Timeout | undefined;
  return {
    options: engine.options,
    wake: engine.wake,
    start() {
      engine.start();
      if (sweeper) return;
      sweep();
      sweeper = setInterval(sweep, SPILL_SWEEP_MS);
      sweeper.unref();
    },
    async stop() {
      clearInterval(sweeper);
      sweeper = undefined;
      await engine.stop();
    },
  };
}
