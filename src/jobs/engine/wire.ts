/**
 * Builds the job engine of a server from its services: which storage the jobs reach (the embedded
 * store, or a remote S3 endpoint through the SDK), the registered Lambda functions, the tuning.
 * Called once by the composition root (app.ts).
 */
import type { Credentials } from '../../auth/credentials.js';
import type { IamContext } from '../../auth/iam-authorize.js';
import { storageFactory, type StorageConfig } from '../../storage/factory.js';
import type { StoreContext } from '../../store/context.js';
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
}

export function createServerJobEngine(d: JobRuntimeDeps, o: JobRuntimeOptions = {}): JobEngine {
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
    },
    o.engine,
  );
  return engine;
}
