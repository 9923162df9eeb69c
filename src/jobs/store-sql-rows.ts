/**
 * The SQL JobStore's rows (migration 0002's tables as Kysely sees them) and their conversions to
 * and from the model, lease tokens and ListJobs cursors. Split from store-sql.ts, which holds the
 * queries.
 */
import type { ControlQuery } from '../db/control-db.js';
import { fromDbTime } from '../db/control-db.js';
import type { FailureReason, GeneratedManifestDescriptor, Job, JobDefinition, JobProgress, JobStatus, Tag } from './model.js';
import { InvalidCursorError, type LeaseToken, type NewJob, type SegmentState } from './store.js';

// ---------------------------------------------------------------------------------------------
// Tables

export interface JobsTable {
  id: string;
  account_id: string;
  client_request_token: string;
  request_hash: string;
  status: string;
  priority: number;
  /** JSON JobDefinition. */
  definition: string;
  total_tasks: number;
  succeeded: number;
  failed: number;
  active_ms: number;
  active_since: string | null;
  /** JSON FailureReason[]. */
  failure_reasons: string;
  status_update_reason: string | null;
  suspended_cause: string | null;
  suspended_date: string | null;
  creation_time: string;
  termination_date: string | null;
  /** JSON GeneratedManifestDescriptor. */
  generated_manifest: string | null;
  /** JSON [key, value][]. */
  tags: string;
  version: number;
  updated_at: string;
  lease_owner: string | null;
  lease_fence: number;
  lease_expires_at: string | null;
}

export interface SegmentsTable {
  job_id: string;
  idx: number;
  start_byte: number;
  end_byte: number;
  first_line: number;
  line_count: number;
  source: string | null;
  done: number;
  lines_done: number;
  succeeded: number;
  failed: number;
  resume_at: number | null;
  attempts: number;
  fence: number;
  lease_owner: string | null;
  lease_expires_at: string | null;
}

export interface ResultsTable {
  job_id: string;
  segment_idx: number;
  lines_done: number;
  results: string;
}

export interface EventsTable {
  seq: number;
  event_id: string;
  type: string;
  job_id: string;
  account_id: string;
  time: string;
  status: string;
  failure_codes: string;
  status_change_reason: string;
}

export type JobTables = {
  jobs: JobsTable;
  job_segments: SegmentsTable;
  job_results: ResultsTable;
  job_events: EventsTable;
};

export const jq = (q: ControlQuery) => q.withTables<JobTables>();
export type Q = ReturnType<typeof jq>;

/** bigint columns come back as strings from PostgreSQL's driver. */
export const num = (v: number | string | bigint | null | undefined): number => (v === null || v === undefined ? 0 : Number(v));

// ---------------------------------------------------------------------------------------------
// Rows ↔ model

export function toJob(r: JobsTable): Job {
  const def = JSON.parse(r.definition) as JobDefinition;
  const progress: JobProgress = {
    totalNumberOfTasks: num(r.total_tasks),
    numberOfTasksSucceeded: num(r.succeeded),
    numberOfTasksFailed: num(r.failed),
    activeMs: num(r.active_ms),
    ...(r.active_since !== null ? { activeSince: fromDbTime(r.active_since) } : {}),
  };
  const job: { -readonly [K in keyof Job]: Job[K] } = {
    ...def,
    id: r.id,
    accountId: r.account_id,
    status: r.status as JobStatus,
    priority: num(r.priority),
    progress,
    failureReasons: JSON.parse(r.failure_reasons) as FailureReason[],
    creationTime: fromDbTime(r.creation_time),
    tags: JSON.parse(r.tags) as Tag[],
    clientRequestToken: r.client_request_token,
    requestHash: r.request_hash,
    version: num(r.version),
  };
  if (r.status_update_reason !== null) job.statusUpdateReason = r.status_update_reason;
  if (r.suspended_cause !== null) job.suspendedCause = r.suspended_cause;
  if (r.suspended_date !== null) job.suspendedDate = fromDbTime(r.suspended_date);
  if (r.termination_date !== null) job.terminationDate = fromDbTime(r.termination_date);
  if (r.generated_manifest !== null) job.generatedManifestDescriptor = JSON.parse(r.generated_manifest) as GeneratedManifestDescriptor;
  return job;
}

export function definitionOf(j: NewJob): JobDefinition {
  const d: { -readonly [K in keyof JobDefinition]: JobDefinition[K] } = { operation: j.operation, report: j.report, roleArn: j.roleArn, confirmationRequired: j.confirmationRequired };
  if (j.manifest !== undefined) d.manifest = j.manifest;
  if (j.manifestGenerator !== undefined) d.manifestGenerator = j.manifestGenerator;
  if (j.description !== undefined) d.description = j.description;
  return d;
}

export function toSegment(r: SegmentsTable): SegmentState {
  const s: { -readonly [K in keyof SegmentState]: SegmentState[K] } = {
    index: num(r.idx),
    startByte: num(r.start_byte),
    endByte: num(r.end_byte),
    firstLine: num(r.first_line),
    lineCount: num(r.line_count),
    linesDone: num(r.lines_done),
    succeeded: num(r.succeeded),
    failed: num(r.failed),
    done: num(r.done) === 1,
    attempts: num(r.attempts),
  };
  if (r.source !== null) s.source = r.source;
  if (r.resume_at !== null) s.resumeAt = num(r.resume_at);
  return s;
}

// Lease tokens: 's/<fence>/<idx>/<jobId>' for segments, 'j/<fence>/<jobId>' for jobs. Job ids are
// ours (UUIDs) but the token is parsed from the right so any id would do.
export function segmentToken(jobId: string, idx: number, fence: number): LeaseToken {
  return `s/${fence}/${idx}/${jobId}` as LeaseToken;
}
export function jobToken(jobId: string, fence: number): LeaseToken {
  return `j/${fence}/${jobId}` as LeaseToken;
}
export function parseSegmentToken(t: string): { jobId: string; idx: number; fence: number } | undefined {
  const m = /^s\/(\d+)\/(\d+)\/(.+)$/s.exec(t);
  return m ? { fence: Number(m[1]), idx: Number(m[2]), jobId: m[3]! } : undefined;
}
export function parseJobToken(t: string): { jobId: string; fence: number } | undefined {
  const m = /^j\/(\d+)\/(.+)$/s.exec(t);
  return m ? { fence: Number(m[1]), jobId: m[2]! } : undefined;
}

/** ListJobs cursors: base64url of [creation_time, id, status filter], so a cursor only continues the listing it came from. */
export function encodeCursor(creation: string, id: string, filter: string): string {
  return Buffer.from(JSON.stringify([creation, id, filter])).toString('base64url');
}

export function decodeCursor(c: string, filter: string): { creation: string; id: string } {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('The continuation token is not valid.');
  }
  if (!Array.isArray(v) || v.length !== 3 || typeof v[0] !== 'string' || typeof v[1] !== 'string' || Number.isNaN(fromDbTime(v[0]))) {
    throw new InvalidCursorError('The continuation token is not valid.');
  }
  if (v[2] !== filter) throw new InvalidCursorError('The continuation token was issued for a different status filter.');
  return { creation: v[0], id: v[1] };
}
