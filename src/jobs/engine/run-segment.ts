/**
 * Runs one leased segment: reads its manifest bytes from where the last checkpoint left off,
 * runs its tasks with bounded concurrency, and checkpoints the finished prefix.
 *
 * Exactly-once bookkeeping: tasks finish in any order, but a checkpoint only ever covers the
 * contiguous prefix of finished tasks — `linesDone` tasks from the segment's start, `resumeAt` the
 * manifest byte just after the last of them — and carries exactly that prefix's report rows and
 * cumulative counts. The store adds the difference to the job in the same transaction and refuses
 * a checkpoint whose lease was fenced. So a crash at any instant re-runs only tasks after the
 * last committed prefix (their effects may happen twice — S3 calls are at-least-once, as on AWS)
 * and no row or count is ever lost or doubled.
 *
 * The segment stops early when the lease is lost (renewal or checkpoint refused: someone else has
 * it), when a checkpoint answers that the job is no longer Active (pre-empted by a higher-priority
 * job, cancelled, failure threshold: in-flight tasks finish, are checkpointed and the lease is
 * given back), or when the engine stops (in-flight tasks are aborted and re-run later).
 */
import { S3Error } from '../../errors.js';
import { errorCodeOf, type StorageClient } from '../../storage/storage-client.js';
import type { Job } from '../model.js';
import { parseCsvTasks, type ManifestTask } from '../manifest/csv.js';
import { readSourceRange, type SegmentSource } from '../manifest/source.js';
import { failed, isRedrive, RetryableTaskError, type Operation, type OperationContext, type TaskResult } from '../operations/types.js';
import { encodeChunk, reportRow } from '../report/rows.js';
import type { JobStore, SegmentLease } from '../store.js';
import type { Limiter } from './limiter.js';
import type { EngineOptions } from './options.js';
import { backoffMs, sleep } from './retry.js';

export interface SegmentRun {
  readonly jobs: JobStore;
  readonly job: Job;
  readonly lease: SegmentLease;
  readonly source: SegmentSource;
  readonly operation: Operation;
  readonly storage: StorageClient;
  /** The operation context, less its signal (the segment's own). */
  readonly context: Omit<OperationContext, 'signal'>;
  readonly options: EngineOptions;
  readonly global: Limiter;
  readonly perJob: Limiter;
  /** The engine's stop signal. */
  readonly stop: AbortSignal;
  readonly now: () => number;
  readonly log: (msg: string) => void;
}

export type SegmentEnd =
  | 'done' // every task has a committed result
  | 'stopped' // the job left the running statuses, or the engine stopped: lease released
  | 'lost'; // the lease was taken away: nothing more was committed

const MISSING_VERSION = failed(400, 'InvalidRequest', 'Task failed due to missing VersionId');
/** Set-based calls of one segment in flight: one runs its SQL while the next is being queued. */
const BATCHES_IN_FLIGHT = 2;

/** One task with retries (throttling, 5xx, network) and Lambda redrives; never throws but for an aborted signal. */
async function runTask(run: SegmentRun, task: ManifestTask, ctx: OperationContext): Promise<TaskResult> {
  if (task.versionId === '') return MISSING_VERSION;
  const policy = run.options.retry;
  let attempt = 0;
  let redrives = 0;
  for (;;) {
    let retryAfter: TaskResult | undefined;
    try {
      const o = await run.operation.run(task, ctx);
      if (!isRedrive(o)) return o;
      if (redrives >= run.options.lambdaRedrives) return o.final;
      redrives++;
      await sleep(backoffMs(policy, redrives), ctx.signal);
      continue;
    } catch (e) {
      ctx.signal.throwIfAborted();
      if (e instanceof S3Error) {
        const r = failed(e.status, errorCodeOf(e), e.message);
        if (!e.retryable) return r;
        retryAfter = r;
      } else if (e instanceof RetryableTaskError) {
        retryAfter = e.final;
      } else {
        run.log(`job ${run.job.id}: task ${task.bucket}/${task.key} failed unexpectedly: ${(e as Error).stack ?? String(e)}`);
        return failed(500, 'InternalError', 'We encountered an internal error. Please try again.');
      }
    }
    attempt++;
    if (attempt >= policy.attempts) return retryAfter;
    await sleep(backoffMs(policy, attempt), ctx.signal);
  }
}

export async function runSegment(run: SegmentRun): Promise<SegmentEnd> {
  const { lease, jobs, options } = run;
  const seg = lease.segment;
  // Given to every checkpoint, so that the store can pre-empt this job for a more urgent one.
  const limits = { maxGlobal: options.maxSegments, maxPerJob: options.maxSegmentsPerJob };
  const scope = run.job.report.enabled ? run.job.report.reportScope ?? 'AllTasks' : undefined;
  const abort = new AbortController();
  const onStop = (): void => abort.abort(run.stop.reason);
  run.stop.addEventListener('abort', onStop, { once: true });
  let lost = false;
  let stopping = false;
  const renew = setInterval(() => {
    void jobs.renewLease(lease.token, run.now(), options.leaseMs).then(
      (exp) => {
        if (exp === undefined && !lost) {
          lost = true;
          abort.abort(new Error('segment lease lost'));
        }
      },
      (e: unknown) => run.log(`job ${run.job.id}: lease renewal failed: ${(e as Error).message}`),
    );
  }, Math.max(50, Math.floor(options.leaseMs / 3)));
  try {
    const from = seg.resumeAt ?? seg.startByte;
    const buf = await readSourceRange(run.storage, run.source, from, seg.endByte, abort.signal);
    const tasks: ManifestTask[] = [];
    const ends: number[] = [];
    for (const p of parseCsvTasks(buf, from, run.source.layout, false)) {
      tasks.push(p.task);
      ends.push(p.endByte);
    }
    const expected = seg.lineCount - seg.linesDone;
    if (tasks.length !== expected) {
      throw new Error(`segment ${seg.index} of job ${run.job.id}: expected ${expected} tasks from byte ${from}, found ${tasks.length}`);
    }

    const n = tasks.length;
    const results: (TaskResult | undefined)[] = new Array(n);
    let prefix = 0; // tasks [0, prefix) have results
    let committed = 0; // tasks [0, committed) are checkpointed
    let doneCommitted = false;
    let succeededCount = seg.succeeded;
    let failedCount = seg.failed;
    let sRows = '';
    let fRows = '';
    let lastCheckpoint = run.now();
    let checkpointing: Promise<void> | undefined;
    let next = 0;
    let running = 0;
    let wakeDone: (() => void) | undefined;
    const ctx: OperationContext = { ...run.context, signal: abort.signal };
    // Set-based runs when both the operation and the storage can (StorageClient.batch).
    const batched = run.operation.runBatch !== undefined && run.storage.batch !== undefined;

    const advance = (): void => {
      while (prefix < n && results[prefix] !== undefined) {
        const r = results[prefix]!;
        if (r.status === 'succeeded') {
          succeededCount++;
          if (scope === 'AllTasks') sRows += reportRow(tasks[prefix]!, r);
        } else {
          failedCount++;
          if (scope !== undefined) fRows += reportRow(tasks[prefix]!, r);
        }
        results[prefix] = undefined; // rows are built: free the result
        prefix++;
      }
    };

    /** Commits tasks [committed, prefix), and the segment's end once every task has a result. */
    const checkpoint = async (): Promise<void> => {
      const upto = prefix;
      const done = upto === n;
      if (upto === committed && !(done && !doneCommitted)) return;
      const cp = {
        linesDone: seg.linesDone + upto,
        succeeded: succeededCount,
        failed: failedCount,
        resumeAt: upto > 0 ? ends[upto - 1]! : from,
        results: sRows === '' && fRows === '' ? undefined : encodeChunk(sRows, fRows),
        done,
      };
      sRows = '';
      fRows = '';
      lastCheckpoint = run.now();
      const r = await jobs.checkpointSegment(lease.token, cp, run.now(), limits);
      if (!r.accepted) {
        lost = true;
        abort.abort(new Error('checkpoint refused: the segment lease was lost'));
        return;
      }
      committed = upto;
      if (done) doneCommitted = true;
      // Pausing/Paused (pre-empted by a higher-priority job), Cancelling, Failing, Completing: no
      // new task; those in flight finish and the last checkpoint commits them.
      if (r.status !== 'Active') stopping = true;
    };

    const maybeCheckpoint = (): void => {
      if (checkpointing || lost) return;
      const pending = prefix - committed;
      if (pending === 0) return;
      if (pending < options.checkpointTasks && run.now() - lastCheckpoint < options.checkpointMs && prefix < n) return;
      checkpointing = checkpoint()
        .catch((e: unknown) => {
          // A failed checkpoint (database error) commits nothing: stop, the lease expires and the tasks re-run.
          run.log(`job ${run.job.id}: checkpoint failed: ${(e as Error).message}`);
          lost = true;
          abort.abort(e);
        })
        .finally(() => {
          checkpointing = undefined;
          maybeCheckpoint();
          wakeDone?.();
        });
    };

    const timer = setInterval(maybeCheckpoint, Math.max(20, Math.floor(options.checkpointMs / 2)));
    try {
      await new Promise<void>((resolve) => {
        wakeDone = (): void => {
          if (running === 0 && !checkpointing && (next >= n || stopping || lost || abort.signal.aborted)) resolve();
          else launch();
        };
        const launch = (): void => {
          while (next < n && !stopping && !lost && !abort.signal.aborted) {
            if (batched) {
              if (running >= BATCHES_IN_FLIGHT) break;
              const from = next;
              next = Math.min(n, next + options.batchTasks);
              running++;
              void startBatch(from, next);
            } else {
              if (running >= options.maxTasksPerJob) break;
              const i = next++;
              running++;
              void start(i);
            }
          }
          if (running === 0 && !checkpointing && (next >= n || stopping || lost || abort.signal.aborted)) resolve();
        };
        /** Tasks [from, to) in one set-based call; tasks it hands back run one by one (retries). */
        const startBatch = async (from: number, to: number): Promise<void> => {
          try {
            const list: ManifestTask[] = [];
            const at: number[] = [];
            for (let i = from; i < to; i++) {
              if (tasks[i]!.versionId === '') results[i] = MISSING_VERSION;
              else {
                list.push(tasks[i]!);
                at.push(i);
              }
            }
            let outs: (TaskResult | undefined)[] = [];
            if (list.length > 0) {
              try {
                outs = await run.operation.runBatch!(list, ctx);
              } catch (e) {
                if (abort.signal.aborted) throw e;
                run.log(`job ${run.job.id}: batch of ${list.length} tasks failed, running them one by one: ${(e as Error).message}`);
              }
            }
            for (let j = 0; j < at.length; j++) {
              const i = at[j]!;
              results[i] = outs[j] ?? (await runTask(run, tasks[i]!, ctx));
            }
          } catch {
            // aborted: these tasks re-run under the next lease (results kept only for a finished prefix)
          } finally {
            running--;
          }
          advance();
          maybeCheckpoint();
          wakeDone!();
        };
        const start = async (i: number): Promise<void> => {
          const g = run.global.acquire();
          if (g) await g;
          const j = run.perJob.acquire();
          if (j) await j;
          try {
            if (!abort.signal.aborted) results[i] = await runTask(run, tasks[i]!, ctx);
          } catch {
            // aborted: the task re-runs under the next lease
          } finally {
            run.perJob.release();
            run.global.release();
            running--;
          }
          if (results[i] !== undefined) {
            advance();
            maybeCheckpoint();
          }
          wakeDone!();
        };
        launch();
      });
    } finally {
      clearInterval(timer);
    }
    if (lost) return 'lost';
    // Commit what finished (a stop, or the last tasks below the checkpoint size).
    if (prefix > committed || (prefix === n && !doneCommitted)) await checkpoint();
    if (lost) return 'lost';
    if (prefix === n) return 'done';
    await jobs.releaseLease(lease.token, run.now());
    return 'stopped';
  } catch (e) {
    if (!lost) await jobs.releaseLease(lease.token, run.now()).catch(() => undefined);
    if (lost || (run.stop.aborted && abort.signal.aborted)) return lost ? 'lost' : 'stopped';
    throw e;
  } finally {
    clearInterval(renew);
    run.stop.removeEventListener('abort', onStop);
  }
}
