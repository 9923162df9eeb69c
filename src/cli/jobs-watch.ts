/**
 * `s3batch jobs watch ID`: polls DescribeJob and shows progress until the job is terminal. On a
 * TTY one line is redrawn in place (with a bar); otherwise a plain line is printed whenever the
 * status or the count changes, so logs stay readable. Exit code 0 for Complete, 1 for Failed or
 * Cancelled.
 */
import { DescribeJobCommand, type JobDescriptor, type S3ControlClient } from '@aws-sdk/client-s3-control';
import type { JobsIo } from './jobs-args.js';
import { isTerminal, progressLine, type ProgressView } from './jobs-format.js';

export interface WatchOptions {
  readonly intervalMs: number;
}

/** Rate from what this watcher saw over at least a second; before that, the server's active timer. */
function rateOf(j: JobDescriptor, done: number, first: { t: number; done: number } | undefined, now: number): number | undefined {
  if (first && now - first.t >= 1000 && done > first.done) return ((done - first.done) * 1000) / (now - first.t);
  const active = j.ProgressSummary?.Timers?.ElapsedTimeInActiveSeconds;
  if (active !== undefined && active > 0 && done > 0) return done / active;
  // A job over within the active timer's first second: its whole lifetime is the best measure.
  const span = j.TerminationDate && j.CreationTime ? j.TerminationDate.getTime() - j.CreationTime.getTime() : 0;
  if (span > 0 && done > 0) return (done * 1000) / span;
  return undefined;
}

export async function watchJob(control: S3ControlClient, accountId: string, id: string, io: JobsIo, o: WatchOptions): Promise<number> {
  const tty = io.stdout.isTTY === true;
  let first: { t: number; done: number } | undefined;
  let lastPlain = '';
  let lastKey = '';
  for (;;) {
    const r = await control.send(new DescribeJobCommand({ AccountId: accountId, JobId: id }));
    const j = r.Job ?? {};
    const now = Date.now();
    const p = j.ProgressSummary;
    const failed = p?.NumberOfTasksFailed ?? 0;
    const done = (p?.NumberOfTasksSucceeded ?? 0) + failed;
    const status = j.Status ?? 'Unknown';
    if (status === 'Active' && first === undefined) first = { t: now, done };
    const view: ProgressView = { status, done, total: p?.TotalNumberOfTasks ?? 0, failed, rate: rateOf(j, done, first, now) };
    const terminal = isTerminal(status);
    if (tty) {
      const width = Math.max(10, Math.min(40, (io.stdout.columns ?? 80) - 70));
      io.stdout.write(`\r\x1b[2K${progressLine(view, width)}`);
      if (terminal) io.stdout.write('\n');
    } else {
      // Printed on change only; the rate alone changing is not news.
      const key = `${status}/${done}/${view.total}/${failed}`;
      const line = progressLine(view, 0);
      if (key !== lastKey && line !== lastPlain) io.stdout.write(`${line}\n`);
      lastKey = key;
      lastPlain = line;
    }
    if (terminal) {
      for (const f of j.FailureReasons ?? []) io.stdout.write(`${f.FailureCode}: ${f.FailureReason}\n`);
      if (j.StatusUpdateReason && status !== 'Complete') io.stdout.write(`reason: ${j.StatusUpdateReason}\n`);
      io.stdout.write(`Job ${id} ${status}\n`);
      return status === 'Complete' ? 0 : 1;
    }
    await new Promise((res) => setTimeout(res, o.intervalMs));
  }
}
