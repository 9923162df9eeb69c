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
  /** Idle polling for new work (the API front also wakes the engine). */
  readonly pollMs: number;
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
  retry: { attempts: 5, baseMs: 100, maxMs: 5_000 },
  lambdaRedrives: 5,
  lambdaTimeoutMs: 60_000,
};
