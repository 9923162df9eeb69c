/**
 * Human output of `s3batch jobs`: DescribeJob as a two-column table, ListJobs as rows, and the
 * progress line `watch` redraws.
 */
import type { JobDescriptor, JobListDescriptor, JobProgressSummary } from '@aws-sdk/client-s3-control';

export const TERMINAL_STATUSES = ['Complete', 'Failed', 'Cancelled'] as const;

export function isTerminal(status: string | undefined): boolean {
  return (TERMINAL_STATUSES as readonly (string | undefined)[]).includes(status);
}

function iso(d: Date | undefined): string | undefined {
  return d ? d.toISOString() : undefined;
}

/** The operation's name: the one key of JobOperation that is set. */
export function operationName(op: object | undefined): string {
  const k = Object.entries(op ?? {}).find(([, v]) => v !== undefined);
  return k ? k[0] : '-';
}

function table(rows: readonly (readonly [string, string | number | boolean | undefined])[]): string {
  const shown = rows.filter(([, v]) => v !== undefined && v !== '');
  const w = Math.max(...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${k.padEnd(w)}  ${String(v)}\n`).join('');
}

function progressText(p: JobProgressSummary | undefined): string {
  const total = p?.TotalNumberOfTasks ?? 0;
  const ok = p?.NumberOfTasksSucceeded ?? 0;
  const failed = p?.NumberOfTasksFailed ?? 0;
  return `${ok + failed}/${total} done (${ok} succeeded, ${failed} failed)`;
}

export function formatJob(j: JobDescriptor): string {
  const loc = j.Manifest?.Location;
  const rep = j.Report;
  return table([
    ['Job ID', j.JobId],
    ['Status', j.Status],
    ['Description', j.Description],
    ['Operation', operationName(j.Operation)],
    ['Priority', j.Priority],
    ['Confirmation', j.ConfirmationRequired ? 'required' : 'not required'],
    ['Progress', progressText(j.ProgressSummary)],
    ['Active time', j.ProgressSummary?.Timers?.ElapsedTimeInActiveSeconds !== undefined ? `${j.ProgressSummary.Timers.ElapsedTimeInActiveSeconds} s` : undefined],
    ['Manifest', loc ? `${loc.ObjectArn} (ETag ${loc.ETag})` : j.ManifestGenerator ? 'generated (S3JobManifestGenerator)' : undefined],
    ['Report', rep?.Enabled ? `${rep.Bucket}/${rep.Prefix ?? ''} (${rep.ReportScope})` : 'disabled'],
    ['Role', j.RoleArn],
    ['Created', iso(j.CreationTime)],
    ['Terminated', iso(j.TerminationDate)],
    ['Suspended', iso(j.SuspendedDate)],
    ['Suspended cause', j.SuspendedCause],
    ['Status reason', j.StatusUpdateReason],
    ...(j.FailureReasons ?? []).map((f) => ['Failure', `${f.FailureCode}: ${f.FailureReason}`] as const),
    ['ARN', j.JobArn],
  ]);
}

export function formatList(jobs: readonly JobListDescriptor[]): string {
  if (jobs.length === 0) return 'no jobs\n';
  const rows = jobs.map((j) => [j.JobId ?? '', j.Status ?? '', j.Operation ?? '', String(j.Priority ?? ''), progressText(j.ProgressSummary), iso(j.CreationTime) ?? '', j.Description ?? '']);
  const head = ['JOB ID', 'STATUS', 'OPERATION', 'PRIORITY', 'PROGRESS', 'CREATED', 'DESCRIPTION'];
  const all = [head, ...rows];
  const w = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('  ').trimEnd() + '\n').join('');
}

export interface ProgressView {
  readonly status: string;
  readonly done: number;
  readonly total: number;
  readonly failed: number;
  /** Tasks per second, undefined before there is a rate to show. */
  readonly rate?: number;
}

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const r = Math.round(s);
  if (r < 60) return `${r}s`;
  if (r < 3600) return `${Math.floor(r / 60)}m${String(r % 60).padStart(2, '0')}s`;
  return `${Math.floor(r / 3600)}h${String(Math.floor((r % 3600) / 60)).padStart(2, '0')}m`;
}

/** `[#####.....]  Active  50/100 tasks  50.0%  12.3 tasks/s  1 failed  ETA 4s` (bar only when `barWidth` > 0). */
export function progressLine(v: ProgressView, barWidth: number): string {
  const frac = v.total > 0 ? Math.min(1, v.done / v.total) : 0;
  const pct = `${(frac * 100).toFixed(1)}%`;
  const filled = Math.round(frac * barWidth);
  const bar = barWidth > 0 ? `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]  ` : '';
  const rate = v.rate !== undefined ? `${v.rate.toFixed(1)} tasks/s` : '- tasks/s';
  const eta = isTerminal(v.status) ? '' : v.rate && v.rate > 0 && v.total > 0 ? `  ETA ${duration(Math.max(0, v.total - v.done) / v.rate)}` : '  ETA ?';
  return `${bar}${v.status}  ${v.done}/${v.total} tasks  ${pct}  ${rate}  ${v.failed} failed${eta}`;
}
