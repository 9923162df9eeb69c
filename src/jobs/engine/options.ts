/**
 * Tuning of the job engine. Every value trades something; the defaults are what the benchmarks
 * (bench/jobs-*.ts, docs/benchmarks.md) were measured with on a 2-core machine.
 */
import type { RetryPolicy } from './retry.js';

export interface EngineOptions {
  /** Identifies this process's leases (unique per process). */
  readonly workerId: string;
  /** Manifest rows per segment: the unit of leasing and of parallelism between workers. */
  readonly segmentLines: number;
  /** Segment and job lease length; leases are renewed every third of it. A crashed worker's segment waits this long. */
  readonly leaseMs: number;
  /** Segments this process runs at once (and the store's global lease limit). */
  readonly maxSegments: number;
  /** Segments of one job leased at once (store limit, all workers). */
  readonly maxSegmentsPerJob: number;
  /** Tasks in flight in this process, all jobs together. */
  readonly maxTasks: number;
  /** Tasks in flight for one job in this process. */
  readonly maxTasksPerJob: number;
  /** Tasks per set-based call, for operations and storage that have one (embedded tagging). */
  readonly batchTasks: number;
  /** Checkpoint after this many newly finished tasks of a segment … */
  readonly checkpointTasks: number;
  /** … or this long after the previous checkpoint, whichever comes first. */
  readonly checkpointMs: number;
  /**
   * Polling of the store for work that no local wake announces: other processes' jobs, leases
   * that expired. One loop polls (the others sleep until woken), first after `pollMs`, then
   * twice as long after each idle look, up to `idlePollMaxMs`; any wake or work resets it. In a
   * single process every trigger (CreateJob, UpdateJobStatus, UpdateJobPriority, a segment's end)
   * wakes the engine, so the idle poll only bounds how late a missed trigger is seen.
   */
  readonly pollMs: number;
  readonly idlePollMaxMs: number;
  /**
   * This process is the only user of the job store (the embedded SQLite control database, one
   * server per data directory): at start the engine takes back every lease held by another
   * worker id — necessarily a dead incarnation's (kill -9, power loss) — so the work resumes at
   * once instead of after `leaseMs`; the dead holder's tokens are fenced. Must stay false when
   * several processes share the store (PostgreSQL workers): it would take their live leases.
   */
  readonly singleProcess: boolean;
  readonly retry: RetryPolicy;
  /** Lambda TemporaryFailure re-drives before the task fails. */
  readonly lambdaRedrives: number;
  readonly lambdaTimeoutMs: number;
}

export const defaultEngineOptions: Omit<EngineOptions, 'workerId'> = {
  // 10,000 rows ≈ 0.1 s of replace-tags at 100 k tasks/s, or ~1 min of remote copies: small
  // enough to spread a job over workers, large enough that leasing is noise.
  segmentLines: 10_000,
  leaseMs: 15_000,
  maxSegments: 4,
  maxSegmentsPerJob: 4,
  // Remote endpoints need many calls in flight to hide their latency; the embedded store batches
  // the writes of all tasks in flight into one transaction per turn of the event loop.
  maxTasks: 1024,
  maxTasksPerJob: 512,
  // Set-based tagging on the embedded store: 1,000 rows per transaction measured ~90-110 k
  // tasks/s (bench/jobs-tagging.ts); larger batches gained nothing.
  batchTasks: 1_000,
  checkpointTasks: 2_000,
  checkpointMs: 1_000,
  pollMs: 100,
  // Idle: 2 s between looks costs ~3 small transactions every 2 s; the first looks after a burst
  // of work stay at 100 ms, when more work is most likely.
  idlePollMaxMs: 2_000,
  singleProcess: false,
  retry: { attempts: 5, baseMs: 100, maxMs: 5_000 },
  lambdaRedrives: 5,
  lambdaTimeoutMs: 60_000,
};
