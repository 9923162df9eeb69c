/**
 * The job engine of one process: a control loop that prepares new jobs and finishes ended ones
 * (each under a job lease), and segment runners that lease segments by priority and run them
 * (the confirmation-window and retention sweep is the composition root's, app.ts). Everything it knows lives in the JobStore, so any
 * number of processes can share the work, and a process killed at any instant loses nothing: its
 * leases expire and another runner resumes from the last checkpoint.
 *
 * Concurrency is bounded three ways: segments leased at once (this process, and per job across
 * all processes — the store's limits), tasks in flight in this process (`maxTasks`) and tasks in
 * flight per job (`maxTasksPerJob`). Higher-priority jobs get segments first; a running segment of
 * a lower-priority job finishes (segments are short) and its runner then takes the urgent job.
 *
 * Request to the JobStore (API engineer): a `releaseWorkerLeases(workerId)` would let a restarted
 * single-process server take its dead incarnation's leases back at once instead of waiting for
 * them to expire (`leaseMs`).
 */
import { randomBytes } from 'node:crypto';
import type { Credentials, Principal } from '../../auth/credentials.js';
import type { IamContext } from '../../auth/iam-authorize.js';
import type { StorageClient } from '../../storage/storage-client.js';
import type { LambdaInvoker, LambdaRegistry } from '../lambda.js';
import { csvLayoutOf } from '../manifest/csv.js';
import { manifestReadFailure, PrepareFailure, truncateReason } from '../manifest/prepared.js';
import { S3Error } from '../../errors.js';
import { ManifestChangedError, segmentSource } from '../manifest/source.js';
import type { Job } from '../model.js';
import { operationOf } from '../operations/index.js';
import { RUNNING_STATUSES } from '../state.js';
import type { JobStore, SegmentLease } from '../store.js';
import { finishJob } from './finish.js';
import { Limiter } from './limiter.js';
import { defaultEngineOptions, type EngineOptions } from './options.js';
import { prepareJob } from './prepare.js';
import { actionCheckFor, assumeJobRole } from './role.js';
import { runSegment } from './run-segment.js';

export interface EngineDeps {
  readonly jobs: JobStore;
  readonly iam: IamContext;
  readonly credentials: Credentials;
  /** The StorageClient acting as a job's role session. */
  readonly storageFor: (role: Principal) => StorageClient;
  readonly lambda: LambdaRegistry;
  readonly invoke: LambdaInvoker;
  readonly region: string;
  readonly now: () => number;
  readonly log: (msg: string) => void;
}

export interface JobEngine {
  readonly options: EngineOptions;
  start(): void;
  /** Stops taking work, aborts tasks in flight (they re-run later) and checkpoints what finished. */
  stop(): Promise<void>;
  /** New work may be waiting (CreateJob, UpdateJobStatus Ready …): look now rather than at the next poll. */
  wake(): void;
}

export function createJobEngine(deps: EngineDeps, overrides: Partial<EngineOptions> = {}): JobEngine {
  const options: EngineOptions = { ...defaultEngineOptions, workerId: `s3batch-${randomBytes(6).toString('hex')}`, ...overrides };
  const stopper = new AbortController();
  const global = new Limiter(options.maxTasks);
  const perJob = new Map<string, { limiter: Limiter; segments: number }>();
  const opDeps = { lambda: deps.lambda, invoke: deps.invoke };
  let running: Promise<unknown>[] = [];

  const wakeAll = (): void => {
    for (const w of wakers) w();
  };
  const wakers = new Set<() => void>();
  // Waits one poll interval, or less when woken or stopped; every exit removes its timer and
  // listener (a wake used to leave the sleep's abort listener behind until the timer fired).
  const nap = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        stopper.signal.removeEventListener('abort', done);
        wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, options.pollMs);
      wakers.add(done);
      if (stopper.signal.aborted) done();
      else stopper.signal.addEventListener('abort', done, { once: true });
    });

  async function failRunningJob(job: Job, code: string, reason: string): Promise<void> {
    await deps.jobs.transition(job.id, RUNNING_STATUSES, 'Failing', { failureReasons: [{ failureCode: code, failureReason: truncateReason(reason) }] }, deps.now());
    wakeAll();
  }

  async function runLease(lease: SegmentLease): Promise<void> {
    const job = await deps.jobs.get(lease.jobId);
    if (!job || !RUNNING_STATUSES.includes(job.status)) {
      await deps.jobs.releaseLease(lease.token);
      return;
    }
    const role = await assumeJobRole(deps.iam, job);
    if (role.failure) {
      await deps.jobs.releaseLease(lease.token);
      await failRunningJob(job, role.failure.failureCode, role.failure.failureReason);
      return;
    }
    const storage = deps.storageFor(role.principal);
    let slot = perJob.get(job.id);
    if (!slot) perJob.set(job.id, (slot = { limiter: new Limiter(options.maxTasksPerJob), segments: 0 }));
    slot.segments++;
    try {
      const manifest = job.manifest?.spec.format === 'S3BatchOperations_CSV_20180820'
        ? { ref: { bucket: job.manifest.location.bucket, key: job.manifest.location.key, versionId: job.manifest.location.objectVersionId }, layout: csvLayoutOf(job.manifest.spec.fields ?? ['Bucket', 'Key']) }
        : undefined;
      const end = await runSegment({
        jobs: deps.jobs,
        job,
        lease,
        source: segmentSource(lease.segment, manifest),
        operation: operationOf(job.operation, opDeps),
        storage,
        context: { job, region: deps.region, storage, role: role.principal, authorizeAction: actionCheckFor(deps.credentials, role.principal, deps.now), now: deps.now },
        options,
        global,
        perJob: slot.limiter,
        stop: stopper.signal,
        now: deps.now,
        log: deps.log,
      });
      if (end !== 'lost') wakeAll(); // the job may be Completing now
    } catch (e) {
      if (e instanceof ManifestChangedError) await failRunningJob(job, 'ManifestChanged', e.message);
      // Reading the segment's manifest bytes failed for good (deleted, no longer readable by the
      // role): the job cannot go on. A transient failure leaves the segment to the next lease.
      else if (e instanceof S3Error && !e.retryable) await failRunningJob(job, PrepareFailure.ManifestReadFailed, manifestReadFailure(e).message);
      else throw e;
    } finally {
      if (--slot.segments === 0) perJob.delete(job.id);
    }
  }

  async function segmentRunner(): Promise<void> {
    while (!stopper.signal.aborted) {
      let lease: SegmentLease | undefined;
      try {
        lease = await deps.jobs.leaseSegment(options.workerId, deps.now(), options.leaseMs, { maxGlobal: options.maxSegments, maxPerJob: options.maxSegmentsPerJob });
        if (lease) await runLease(lease);
      } catch (e) {
        deps.log(`jobs: segment runner: ${(e as Error).stack ?? String(e)}`);
        lease = undefined;
      }
      if (!lease) await nap();
    }
  }

  async function control(): Promise<void> {
    while (!stopper.signal.aborted) {
      let worked = false;
      try {
        const prep = await deps.jobs.leaseJob(options.workerId, ['New', 'Preparing'], deps.now(), options.leaseMs);
        if (prep) {
          worked = true;
          await withJobLease(prep.token, () => prepareJob(deps, options, opDeps, prep, stopper.signal));
          wakeAll();
        }
        const fin = await deps.jobs.leaseJob(options.workerId, ['Completing', 'Failing', 'Cancelling'], deps.now(), options.leaseMs);
        if (fin) {
          worked = true;
          await withJobLease(fin.token, () => finishJob(deps, fin, stopper.signal));
        }
      } catch (e) {
        if (!stopper.signal.aborted) deps.log(`jobs: ${(e as Error).stack ?? String(e)}`);
      }
      if (!worked) await nap();
    }
  }

  /** Runs `fn` while renewing a job lease, then releases it. */
  async function withJobLease(token: Parameters<JobStore['releaseJob']>[0], fn: () => Promise<void>): Promise<void> {
    const renew = setInterval(() => void deps.jobs.renewJobLease(token, deps.now(), options.leaseMs).catch(() => undefined), Math.max(50, Math.floor(options.leaseMs / 3)));
    try {
      await fn();
    } finally {
      clearInterval(renew);
      await deps.jobs.releaseJob(token).catch(() => undefined);
    }
  }

  return {
    options,
    start() {
      if (running.length > 0) return;
      running = [control(), ...Array.from({ length: options.maxSegments }, () => segmentRunner())];
    },
    async stop() {
      stopper.abort(new Error('job engine stopping'));
      wakeAll();
      await Promise.allSettled(running);
      running = [];
    },
    wake: wakeAll,
  };
}
