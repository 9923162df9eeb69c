/**
 * The job engine of one process: a control loop that prepares new jobs and finishes ended ones
 * (each under a job lease), and segment runners that lease segments by priority and run them
 * (the confirmation-window and retention sweep is the composition root's, app.ts). Everything it
 * knows lives in the JobStore, so any number of processes can share the work, and a process
 * killed at any instant loses nothing: its leases expire and another runner resumes from the last
 * checkpoint. With `singleProcess` (the embedded SQLite control database) the engine takes a dead
 * incarnation's leases back at start rather than waiting for them to expire.
 *
 * Concurrency is bounded three ways: segments leased at once (this process, and per job across
 * all processes — the store's limits), tasks in flight in this process (`maxTasks`) and tasks in
 * flight per job (`maxTasksPerJob`). Higher-priority jobs get segments first, and a job of higher
 * priority that finds every segment slot taken pre-empts the least urgent running job: its
 * runners stop at their next checkpoint (Pausing → Paused, store.ts) and take the urgent work.
 *
 * Idle, the engine costs almost nothing: only the control loop polls the store, backing off from
 * `pollMs` to `idlePollMaxMs`; the segment runners sleep without a timer until woken. Local
 * triggers wake it at once (`wake()`: CreateJob, UpdateJobStatus, UpdateJobPriority; a prepared
 * job; a segment's end). A runner that gets a lease wakes one sleeping sibling, which looks for
 * more work and sleeps again if there is none, so a wake costs one lease query per runner put to
 * work plus one. Measured on an idle `s3batch server` (2-core machine, utime+stime over 30 s):
 * 1 + maxSegments loops each polling every 100 ms cost 7.1–8.4 % of a core; now 0.7–0.9 %, of
 * which ~0.6 % is the process without any engine poll. CreateJob → Complete (bench/jobs-latency)
 * stays at a ~55 ms median: that path is all wakes.
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
import { Bed } from './bed.js';
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
  /** Private files of jobs, one directory per job: generated manifests without EnableManifestOutput (manifest/generator.ts). */
  readonly spillDir: string;
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

  // The control loop's bed (it alone polls when idle) and the runners' (they sleep untimed).
  const controlBed = new Bed(stopper.signal);
  const asleep: Bed[] = [];
  // Bumped by every wake of the runners: a runner whose lease query began before a wake looks
  // again instead of going to sleep, so a job made leasable during that query is not missed.
  let epoch = 0;
  /** One sleeping runner looks for segments (it wakes the next if it finds one). */
  const wakeRunner = (): void => {
    epoch++;
    asleep.pop()?.wake();
  };
  const wakeAll = (): void => {
    controlBed.wake();
    wakeRunner();
  };

  async function failRunningJob(job: Job, code: string, reason: string): Promise<void> {
    await deps.jobs.transition(job.id, RUNNING_STATUSES, 'Failing', { failureReasons: [{ failureCode: code, failureReason: truncateReason(reason) }] }, deps.now());
    controlBed.wake(); // to finish it
  }

  async function runLease(lease: SegmentLease): Promise<void> {
    const job = await deps.jobs.get(lease.jobId);
    if (!job || !RUNNING_STATUSES.includes(job.status)) {
      await deps.jobs.releaseLease(lease.token, deps.now());
      return;
    }
    const role = await assumeJobRole(deps.iam, job);
    if (role.failure) {
      await deps.jobs.releaseLease(lease.token, deps.now());
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
      if (end !== 'lost') controlBed.wake(); // the job may be Completing now
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

  async function segmentRunner(bed: Bed): Promise<void> {
    while (!stopper.signal.aborted) {
      const seen = epoch;
      let lease: SegmentLease | undefined;
      try {
        lease = await deps.jobs.leaseSegment(options.workerId, deps.now(), options.leaseMs, { maxGlobal: options.maxSegments, maxPerJob: options.maxSegmentsPerJob });
      } catch (e) {
        deps.log(`jobs: segment runner: ${(e as Error).stack ?? String(e)}`);
        await bed.sleep(options.pollMs); // the store failed: try again soon, woken or not
        continue;
      }
      if (lease) {
        wakeRunner(); // more segments may be waiting for a runner
        try {
          await runLease(lease);
        } catch (e) {
          deps.log(`jobs: segment runner: ${(e as Error).stack ?? String(e)}`);
          await bed.sleep(options.pollMs); // not straight back to a segment that just failed
        }
        continue;
      }
      if (epoch !== seen) continue;
      asleep.push(bed);
      await bed.sleep();
    }
  }

  async function control(): Promise<void> {
    let idleMs = options.pollMs;
    while (!stopper.signal.aborted) {
      let worked = false;
      try {
        const prep = await deps.jobs.leaseJob(options.workerId, ['New', 'Preparing'], deps.now(), options.leaseMs);
        if (prep) {
          worked = true;
          await withJobLease(prep.token, () => prepareJob(deps, options, opDeps, prep, stopper.signal));
          wakeRunner(); // the job may be Ready
        }
        const fin = await deps.jobs.leaseJob(options.workerId, ['Completing', 'Failing', 'Cancelling'], deps.now(), options.leaseMs);
        if (fin) {
          worked = true;
          await withJobLease(fin.token, () => finishJob(deps, fin, stopper.signal));
        }
      } catch (e) {
        if (!stopper.signal.aborted) deps.log(`jobs: ${(e as Error).stack ?? String(e)}`);
      }
      if (worked) {
        idleMs = options.pollMs;
        continue;
      }
      if (await controlBed.sleep(idleMs)) idleMs = options.pollMs;
      else {
        // Nothing woke us: look for segments no local trigger announced (another process's
        // job, an expired lease) through one runner, and look less often while it stays idle.
        wakeRunner();
        idleMs = Math.min(idleMs * 2, Math.max(options.pollMs, options.idlePollMaxMs));
      }
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
      // The loops start once a dead incarnation's leases are back (singleProcess); a failure to
      // take them back only delays the work until they expire.
      const ready = options.singleProcess
        ? deps.jobs.releaseLeasesNotHeldBy(options.workerId, deps.now()).then(
            (n) => (n > 0 ? deps.log(`jobs: took back ${n} lease(s) of a previous run`) : undefined),
            (e: unknown) => deps.log(`jobs: taking back the leases of a previous run failed: ${(e as Error).message}`),
          )
        : Promise.resolve();
      running = [ready.then(control), ...Array.from({ length: options.maxSegments }, () => ready.then(() => segmentRunner(new Bed(stopper.signal))))];
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
