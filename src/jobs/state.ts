/**
 * The job state machine: which status may follow which, what a user's UpdateJobStatus does, and
 * when the failure threshold fails a job. Pure functions over `model.ts`; the store applies them
 * (compare-and-set on the status, `JobStore.transition`), the API front and the engine ask them.
 *
 * The life of a job, in one essay:
 *
 * CreateJob stores the job `New` and answers with its id at once. The engine claims it, moves it
 * to `Preparing`, takes its role (a role that does not exist or does not trust
 * batchoperations.s3.amazonaws.com fails the job here, not in CreateJob), reads the manifest as a
 * stream, checks its ETag, counts the tasks and cuts the manifest into segments. A job created
 * with confirmation (the default when ConfirmationRequired is omitted) then waits in `Suspended`
 * ("Awaiting your confirmation to run") until UpdateJobStatus(Ready) — or until the confirmation
 * window (30 days by default) closes and the sweep fails it. Otherwise it goes straight to `Ready`.
 *
 * `Ready` jobs wait for a worker; the first segment lease makes the job `Active` (highest priority
 * first, then oldest). When every segment slot is taken and a job of higher priority has work it
 * cannot lease, the least urgent running job is pre-empted: `Pausing` while its segments finish
 * their tasks in flight, checkpoint and give their leases back, then `Paused` once it holds none
 * (its timer stops: ElapsedTimeInActiveSeconds counts Active and Pausing only). It becomes
 * `Active` again with its next lease — when the urgent work no longer needs the slot, or when a
 * priority change makes it the urgent one (store.ts, "Pre-emption"). Every checkpoint adds its
 * counts to the job exactly once; when the last segment is done the job is `Completing` (the
 * report is being written) and then `Complete`. Once at least 1,000 tasks ran and more than half
 * failed, the job is `Failing` and then `Failed` — the report is still written when any task ran.
 * A cancel stops new tasks: `Cancelling` while tasks in flight finish and the report is written,
 * then `Cancelled`; a job on which no task has started yet (New, Preparing, Suspended, Ready) is
 * `Cancelled` at once. Complete, Failed and Cancelled are terminal: nothing follows them but
 * deletion, 90 days later by default.
 */
import { FailureCodes, isTerminal, type FailureReason, type JobStatus } from './model.js';

/** Every legal transition (the engine and the store's automatic rules stay inside it). */
export const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  New: ['Preparing', 'Failing', 'Failed', 'Cancelled'],
  Preparing: ['Suspended', 'Ready', 'Failing', 'Failed', 'Cancelled'],
  Suspended: ['Ready', 'Failed', 'Cancelled'],
  Ready: ['Active', 'Cancelled', 'Failing', 'Completing'],
  Active: ['Pausing', 'Paused', 'Completing', 'Failing', 'Cancelling'],
  Pausing: ['Paused', 'Active', 'Completing', 'Failing', 'Cancelling'],
  Paused: ['Active', 'Completing', 'Failing', 'Cancelling'],
  Completing: ['Complete', 'Failing', 'Failed'],
  Failing: ['Failed'],
  Cancelling: ['Cancelled', 'Failed'],
  Complete: [],
  Failed: [],
  Cancelled: [],
};

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The statuses a transition to `to` may start from. */
export function sourcesOf(to: JobStatus): JobStatus[] {
  return (Object.keys(TRANSITIONS) as JobStatus[]).filter((s) => TRANSITIONS[s].includes(to));
}

/** Statuses in which tasks may be running (segment checkpoints are accepted, the Active timer runs in the first two). */
export const RUNNING_STATUSES: readonly JobStatus[] = ['Active', 'Pausing', 'Paused'];
/** Statuses whose timer counts toward Timers.ElapsedTimeInActiveSeconds. */
export const TIMED_STATUSES: ReadonlySet<JobStatus> = new Set<JobStatus>(['Active', 'Pausing']);
/** Statuses eligible for segment leases (a lease makes the job Active). */
export const LEASABLE_STATUSES: readonly JobStatus[] = ['Ready', 'Active', 'Pausing', 'Paused'];
/** Statuses the engine finishes (report, then terminal status) once no segment is leased. */
export const FINISHING_STATUSES: ReadonlySet<JobStatus> = new Set<JobStatus>(['Completing', 'Failing', 'Cancelling']);

// ---------------------------------------------------------------------------------------------
// UpdateJobStatus

export const RequestedJobStatus = { Ready: 'Ready', Cancelled: 'Cancelled' } as const;
export type RequestedJobStatus = (typeof RequestedJobStatus)[keyof typeof RequestedJobStatus];

/** Statuses in which no task has started: a cancel ends the job at once. */
const CANCEL_AT_ONCE: ReadonlySet<JobStatus> = new Set<JobStatus>(['New', 'Preparing', 'Suspended', 'Ready']);
const CANCEL_VIA_CANCELLING: ReadonlySet<JobStatus> = new Set<JobStatus>(['Active', 'Pausing', 'Paused']);

export type StatusUpdatePlan =
  /** Apply `from → to` (compare-and-set). */
  | { readonly kind: 'transition'; readonly from: JobStatus; readonly to: JobStatus }
  /** Nothing to change: answer with the current status (confirming a Ready job, cancelling a Cancelling one). */
  | { readonly kind: 'unchanged'; readonly status: JobStatus }
  /** JobStatusException with this message. */
  | { readonly kind: 'refused'; readonly message: string };

/** What UpdateJobStatus(requested) does to a job in `current` (spec §5.2). */
export function planStatusUpdate(current: JobStatus, requested: RequestedJobStatus): StatusUpdatePlan {
  if (requested === 'Ready') {
    if (current === 'Suspended') return { kind: 'transition', from: current, to: 'Ready' };
    if (current === 'Ready') return { kind: 'unchanged', status: current };
    return { kind: 'refused', message: `The job is not awaiting confirmation: it is ${current}. Only a Suspended job can be set to Ready.` };
  }
  if (CANCEL_AT_ONCE.has(current)) return { kind: 'transition', from: current, to: 'Cancelled' };
  if (CANCEL_VIA_CANCELLING.has(current)) return { kind: 'transition', from: current, to: 'Cancelling' };
  if (current === 'Cancelling') return { kind: 'unchanged', status: current };
  if (isTerminal(current)) return { kind: 'refused', message: `The job is already ${current}; a terminated job cannot be cancelled.` };
  return { kind: 'refused', message: `The job is ${current} and can no longer be cancelled.` };
}

// ---------------------------------------------------------------------------------------------
// Failure threshold

/** AWS: once at least 1,000 tasks have run, a job whose failed share exceeds 50 % fails. */
export const FAILURE_THRESHOLD_MIN_TASKS = 1000;
export const FAILURE_THRESHOLD_RATIO = 0.5;

export function failureThresholdExceeded(succeeded: number, failed: number): boolean {
  const run = succeeded + failed;
  return run >= FAILURE_THRESHOLD_MIN_TASKS && failed / run > FAILURE_THRESHOLD_RATIO;
}

export function thresholdFailure(succeeded: number, failed: number): FailureReason {
  return {
    failureCode: FailureCodes.TaskFailureThresholdExceeded,
    failureReason: `Job failed because the task failure rate exceeded 50% after at least 1000 tasks (${failed} of ${succeeded + failed} tasks failed).`,
  };
}

export function confirmationExpired(timeoutMs: number): FailureReason {
  const days = timeoutMs / 86_400_000;
  const span = Number.isInteger(days) ? `${days} day${days === 1 ? '' : 's'}` : `${Math.round(timeoutMs / 1000)} seconds`;
  return {
    failureCode: FailureCodes.ConfirmationExpired,
    failureReason: `The job was awaiting confirmation for more than ${span}: a job must be run (UpdateJobStatus Ready) within ${span} of its creation.`,
  };
}
