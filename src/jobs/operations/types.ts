/**
 * What an operation is: a function from one manifest task to its outcome, given the job's storage
 * (the StorageClient acting as the job's role) and an AbortSignal. Operations do one S3 call (or a
 * few) and describe the outcome in the completion report's terms; they never retry — a thrown
 * retryable S3Error is the engine's to retry with backoff (engine/retry.ts), any other thrown
 * S3Error becomes `failed,<status>,<code>,<message>`.
 */
import type { Principal } from '../../auth/credentials.js';
import type { S3Error } from '../../errors.js';
import type { StorageClient } from '../../storage/storage-client.js';
import type { Job } from '../model.js';
import type { ManifestTask } from '../manifest/csv.js';

export type { ManifestTask };

export const TaskStatus = { succeeded: 'succeeded', failed: 'failed' } as const;
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];

/** One row of the completion report, less Bucket/Key/VersionId (taken from the task). */
export interface TaskResult {
  readonly status: TaskStatus;
  readonly httpStatus: number;
  /** Empty on success. */
  readonly errorCode: string;
  readonly resultString: string;
}

/**
 * A result the engine should try again later (LambdaInvoke's TemporaryFailure): re-driven with
 * backoff up to the redrive limit, then recorded as `final`.
 */
export interface TaskRedrive {
  readonly redrive: true;
  readonly final: TaskResult;
}

export type TaskOutcome = TaskResult | TaskRedrive;

/**
 * A transient failure outside S3 (a throttled or unreachable Lambda endpoint): the engine retries
 * it like a retryable S3Error and, when the attempts are spent, records `final`.
 */
export class RetryableTaskError extends Error {
  override name = 'RetryableTaskError';
  readonly final: TaskResult;
  constructor(final: TaskResult) {
    super(final.resultString);
    this.final = final;
  }
}

export function isRedrive(o: TaskOutcome): o is TaskRedrive {
  return (o as TaskRedrive).redrive === true;
}

export const SUCCESSFUL = 'Successful';

const SUCCESS: TaskResult = Object.freeze({ status: 'succeeded', httpStatus: 200, errorCode: '', resultString: SUCCESSFUL });

export function succeeded(resultString = SUCCESSFUL): TaskResult {
  return resultString === SUCCESSFUL ? SUCCESS : { status: 'succeeded', httpStatus: 200, errorCode: '', resultString };
}

export function failed(httpStatus: number, errorCode: string, resultString: string): TaskResult {
  return { status: 'failed', httpStatus, errorCode, resultString };
}

/** Decides whether the job's role may perform a non-S3 action (lambda:InvokeFunction). */
export type ActionCheck = (action: string, resource: string) => S3Error | undefined;

export interface OperationContext {
  readonly job: Job;
  readonly region: string;
  readonly storage: StorageClient;
  readonly role: Principal;
  readonly signal: AbortSignal;
  readonly authorizeAction: ActionCheck;
  readonly now: () => number;
}

export type RunTask = (task: ManifestTask, ctx: OperationContext) => Promise<TaskOutcome>;

/** Checks an operation makes of the job before any task runs (Preparing); a message fails the job. */
export interface PrepareCheck {
  readonly code: string;
  readonly reason: string;
}

/**
 * Many tasks at once, for storage that can (StorageClient.batch): one result per task, in order;
 * undefined for a task the engine should run on its own (a retryable failure: it gets the
 * per-task retries).
 */
export type RunBatch = (tasks: readonly ManifestTask[], ctx: OperationContext) => Promise<(TaskResult | undefined)[]>;

export interface Operation {
  readonly run: RunTask;
  readonly runBatch?: RunBatch;
  /** Whether every manifest row must name the same bucket (all but LambdaInvoke, spec §4.2 [REC]). */
  readonly sameBucket: boolean;
  /** Called once in Preparing with the manifest's (first) bucket. */
  readonly prepare?: (ctx: OperationContext, bucket: string) => Promise<PrepareCheck | undefined>;
}
