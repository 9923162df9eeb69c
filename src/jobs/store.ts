/**
 * The JobStore port: everything the jobs API and the engine persist about batch jobs. One adapter
 * today (`store-sql.ts`, over the control-plane database: SQLite, later PostgreSQL); every adapter
 * passes test/unit/job-store.test.ts. No connection or transaction type leaks through: each method
 * is one atomic step, and every time-dependent method takes `now` (epoch ms) from the caller's
 * injected clock.
 *
 * Semantics:
 *
 * **Jobs.** `create` is idempotent by (accountId, clientRequestToken): the same token with the
 * same `requestHash` returns the existing job (`created: false`); with another hash, `conflict`.
 * A job is readable until `sweep` deletes it (retention after its termination). `list` returns an
 * account's jobs newest first, in pages, with an opaque cursor.
 *
 * **Status.** `transition(id, from, to, patch)` is a compare-and-set: it applies only when the
 * job's current status is one of `from`, and appends a JobStatusChanged event in the same
 * transaction. Which transitions are legal is `state.ts`'s business, not the store's; the store
 * keeps the bookkeeping that follows from a status (TerminationDate on Complete/Failed/
 * Cancelled, SuspendedDate on Suspended, the Active timer on entering/leaving Active).
 *
 * **Segments.** Preparation cuts the manifest into segments and saves them with the task total
 * (`saveSegments`, only while the job is Preparing; replaces earlier ones, so a re-run of
 * preparation after a crash is harmless). Workers then:
 *  - `leaseSegment`: claim one segment to work on, until `expiresAt`. Jobs in Ready, Active,
 *    Pausing or Paused are eligible, highest priority first, then oldest; a segment is free when
 *    it is not done and not leased, or its lease expired. The first lease of a Ready, Pausing or
 *    Paused job makes it Active. Concurrency limits are arguments: at most `maxGlobal` unexpired
 *    segment leases in all, `maxPerJob` per job.
 *  - `renewLease`: extend the lease (heartbeat); false when the lease was lost.
 *  - `checkpointSegment`: commit progress. Values are CUMULATIVE for the segment (lines done,
 *    succeeded, failed since the segment's first line), so a repeated checkpoint adds nothing;
 *    the job's counters grow by the difference, exactly once, in the same transaction as the
 *    results chunk. A checkpoint whose token is not the segment's current one (fencing: the
 *    lease expired and someone else holds it, or the job was finalised) is rejected and changes
 *    nothing. The same transaction applies the automatic transitions: failure threshold
 *    (`state.ts`) → Failing, last segment done → Completing, and pre-emption (below).
 *  - `releaseLease`: give a segment back (graceful shutdown, pre-emption); its checkpoint stays.
 * The next holder of a segment gets its last checkpoint with the lease and resumes after it.
 *
 * **Pre-emption** (spec §5.2, §5.5: a higher-priority job may pause a running lower-priority one).
 * A checkpoint given the caller's `limits` checks whether its job must make room: when the live
 * segment leases of jobs not already Pausing fill `maxGlobal`, its job is the least urgent Active
 * job holding one (lowest priority, then newest), and a job of strictly higher priority has a
 * free segment it could lease under `maxPerJob`, the job goes Active → Pausing in that
 * transaction and the checkpoint answers `Pausing`. Every holder of a Pausing (or Paused) job's
 * segments stops at its next checkpoint: it lets its tasks in flight finish, commits them and
 * releases the lease — so no task is lost or counted twice, the cumulative checkpoint carries
 * everything. When the last lease of a Pausing job ends (release, segment done) the job is Paused;
 * a lease that merely expires (its holder died or stalled) is noticed by the next `leaseSegment`,
 * which pauses the job as of that expiry.
 * Leasing a Pausing or Paused job again makes it Active: the slots go to the urgent job first
 * (leases are priority-ordered) and come back when it needs no more of them, or a priority change
 * makes the paused job the urgent one. Leases of Pausing jobs do not count as held capacity, so
 * one urgent job pauses one victim at a time, not every lower-priority job at once. A job is
 * never paused while capacity is free: an idle runner takes the urgent job instead.
 *
 * **Job leases.** `leaseJob` hands one job in the given statuses to one worker at a time (to
 * prepare it, or to finish it: report, terminal status). For Completing, Failing and Cancelling
 * it waits until no unexpired segment lease is left, then fences every segment lease of the job,
 * so no late checkpoint can add rows to a report being written.
 *
 * **Restart of a sole process.** `releaseLeasesNotHeldBy(workerId)` releases and fences every
 * lease held by any other worker id, for a process that alone uses the store (the embedded SQLite
 * control database): its other holders can only be dead incarnations, whose work then resumes at
 * once rather than after `leaseMs`. Never with several processes: it takes live leases away.
 *
 * **Results.** The opaque `results` text of each accepted checkpoint (the engine decides what it
 * is: CSV rows, or a reference to an object holding them) is kept in order per segment and read
 * back by `readResults` when the report is written. It is state O(checkpoints), written once.
 *
 * **Events.** JobCreated and JobStatusChanged are appended by the store itself in the
 * transaction that makes the change; `readEvents` pages through them by sequence number (for
 * webhooks and live streams).
 *
 * **Sweeps.** `sweep` fails jobs left Suspended past the confirmation window and deletes
 * terminal jobs (with their segments, results and tags) and events older than retention.
 */
import type { FailureReason, GeneratedManifestDescriptor, Job, JobDefinition, JobProgress, JobStatus, Tag } from './model.js';

// ---------------------------------------------------------------------------------------------
// Jobs

export interface NewJob extends JobDefinition {
  readonly id: string;
  readonly accountId: string;
  readonly priority: number;
  readonly tags: readonly Tag[];
  readonly clientRequestToken: string;
  readonly requestHash: string;
}

export type CreateResult =
  | { readonly job: Job; readonly created: boolean; readonly conflict?: never }
  /** The token was used for a different request (IdempotencyException). */
  | { readonly conflict: Job; readonly job?: never; readonly created?: never };

/** `list` was given a cursor it did not issue, or one issued for another status filter. */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

export interface ListOptions {
  readonly accountId: string;
  /** Only these statuses (none: all). */
  readonly statuses?: readonly JobStatus[];
  /** Page size, ≥ 1. */
  readonly limit: number;
  /** The cursor of the previous page. */
  readonly after?: string;
  /** Terminal jobs that ended before this time are left out (the 90-day window), epoch ms. */
  readonly terminatedAfter?: number;
}

export interface JobPage {
  readonly jobs: readonly Job[];
  /** Present when more jobs follow. */
  readonly next?: string;
}

export interface TransitionPatch {
  /** Appended to the job's FailureReasons. */
  readonly failureReasons?: readonly FailureReason[];
  readonly statusUpdateReason?: string;
  readonly suspendedCause?: string;
  readonly generatedManifestDescriptor?: GeneratedManifestDescriptor;
}

export type TransitionResult =
  | { readonly ok: true; readonly job: Job }
  /** `job` undefined: no such job; else the job as it is (its status was not in `from`). */
  | { readonly ok: false; readonly job: Job | undefined };

// ---------------------------------------------------------------------------------------------
// Segments and leases

/** One slice of the manifest, as preparation planned it. */
export interface SegmentPlan {
  /** 0, 1, 2 … in manifest order. */
  readonly index: number;
  /** Byte range [startByte, endByte) of the manifest (or of `source`), as the engine defines it. */
  readonly startByte: number;
  readonly endByte: number;
  /** Manifest line number (1-based) of the segment's first line, for error messages and the report. */
  readonly firstLine: number;
  readonly lineCount: number;
  /** Optional opaque locator (e.g. an inventory data file's key); kept verbatim. */
  readonly source?: string;
}

/** A segment's committed progress (cumulative since its first line). */
export interface SegmentProgress {
  readonly linesDone: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Where the next holder should resume reading (opaque to the store; e.g. a byte offset). */
  readonly resumeAt?: number;
}

export interface SegmentState extends SegmentPlan, SegmentProgress {
  readonly done: boolean;
  /** How many times it has been leased (1 on the first lease). */
  readonly attempts: number;
}

/** A fencing token: opaque, only valid while the lease it came with is current. */
export type LeaseToken = string & { readonly __lease: unique symbol };

export interface SegmentLease {
  readonly jobId: string;
  readonly segment: SegmentState;
  readonly token: LeaseToken;
  readonly expiresAt: number;
}

export interface LeaseLimits {
  /** Unexpired segment leases across all jobs. */
  readonly maxGlobal: number;
  /** Unexpired segment leases of one job. */
  readonly maxPerJob: number;
}

export interface SegmentCheckpoint extends SegmentProgress {
  /** The results of the lines committed by this checkpoint (after the previous one's linesDone). */
  readonly results?: string;
  /** The segment is finished: every line has a result. */
  readonly done: boolean;
}

export type CheckpointResult =
  /** `status` is the job's after the checkpoint: a holder goes on only while it is Active. */
  | { readonly accepted: true; readonly status: JobStatus; readonly progress: JobProgress }
  /** The token is stale (fenced), or the values go backwards: nothing was changed. */
  | { readonly accepted: false };

export interface JobLease {
  readonly job: Job;
  readonly token: LeaseToken;
  readonly expiresAt: number;
}

export interface ResultChunk {
  readonly segmentIndex: number;
  /** The segment's linesDone after the checkpoint that committed this chunk. */
  readonly linesDone: number;
  readonly results: string;
}

// ---------------------------------------------------------------------------------------------
// Events and sweeps

export const JobEventType = { JobCreated: 'JobCreated', JobStatusChanged: 'JobStatusChanged' } as const;
export type JobEventType = (typeof JobEventType)[keyof typeof JobEventType];

export interface JobEvent {
  /** Increasing within one store (never reused; events of deleted jobs leave gaps). */
  readonly seq: number;
  /** 32 hex characters (CloudTrail's jobEventId). */
  readonly eventId: string;
  readonly type: JobEventType;
  readonly jobId: string;
  readonly accountId: string;
  readonly time: number;
  readonly status: JobStatus;
  readonly failureCodes: readonly string[];
  readonly statusChangeReason: readonly string[];
}

export interface SweepOptions {
  /** Suspended longer than this → Failed (ConfirmationExpired). */
  readonly confirmationTimeoutMs: number;
  /** Terminal longer than this → deleted. */
  readonly retentionMs: number;
}

export interface SweepResult {
  readonly confirmationsExpired: number;
  readonly jobsDeleted: number;
}

// ---------------------------------------------------------------------------------------------
// The port

export interface JobStore {
  create(job: NewJob, now: number): Promise<CreateResult>;
  get(id: string): Promise<Job | undefined>;
  list(opts: ListOptions): Promise<JobPage>;
  /** Sets the priority of a job that is not terminal; `ok: false` with the job when it is (or undefined: no such job). */
  updatePriority(id: string, priority: number, now: number): Promise<TransitionResult>;
  transition(id: string, from: readonly JobStatus[], to: JobStatus, patch: TransitionPatch, now: number): Promise<TransitionResult>;

  /** undefined: no such job. */
  getTags(id: string): Promise<readonly Tag[] | undefined>;
  /** Replaces the whole set; false: no such job. */
  putTags(id: string, tags: readonly Tag[], now: number): Promise<boolean>;
  deleteTags(id: string, now: number): Promise<boolean>;

  /** Only while the job is Preparing; false otherwise (nothing saved). */
  saveSegments(jobId: string, segments: readonly SegmentPlan[], totalTasks: number, now: number): Promise<boolean>;
  leaseSegment(workerId: string, now: number, leaseMs: number, limits: LeaseLimits): Promise<SegmentLease | undefined>;
  /** The new expiry, or undefined when the lease was lost. */
  renewLease(token: LeaseToken, now: number, leaseMs: number): Promise<number | undefined>;
  /** With `limits` (the caller's lease limits), the checkpoint may pre-empt its job (answers `Pausing`); without, never. */
  checkpointSegment(token: LeaseToken, checkpoint: SegmentCheckpoint, now: number, limits?: LeaseLimits): Promise<CheckpointResult>;
  /** A Pausing job whose last lease this was becomes Paused (at `now`). */
  releaseLease(token: LeaseToken, now: number): Promise<void>;
  /** Every segment of the job, in order (for the console and tests; O(segments)). */
  segments(jobId: string): Promise<readonly SegmentState[]>;
  /** The committed results of a job, segment by segment, in commit order. */
  readResults(jobId: string): AsyncIterable<ResultChunk>;

  leaseJob(workerId: string, statuses: readonly JobStatus[], now: number, leaseMs: number): Promise<JobLease | undefined>;
  renewJobLease(token: LeaseToken, now: number, leaseMs: number): Promise<number | undefined>;
  releaseJob(token: LeaseToken): Promise<void>;
  /**
   * Releases every segment and job lease NOT held by `workerId` (fencing their tokens: a late
   * renew or checkpoint of their holders is refused) and settles Pausing jobs left without a
   * lease to Paused. Returns how many leases were released. Only for a process that is the sole
   * user of the store (the embedded SQLite control database): there, any other holder is a dead
   * incarnation, and its work resumes at once instead of after `leaseMs`. With several processes
   * it would take live leases away from the others (their tasks would re-run).
   */
  releaseLeasesNotHeldBy(workerId: string, now: number): Promise<number>;

  /** Events with seq > afterSeq, oldest first. */
  readEvents(afterSeq: number, limit: number): Promise<readonly JobEvent[]>;
  sweep(now: number, opts: SweepOptions): Promise<SweepResult>;
}
