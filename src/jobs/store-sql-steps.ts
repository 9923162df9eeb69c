/**
 * The SQL JobStore's shared steps, each run inside the caller's transaction: load a job row,
 * append an event, apply a status transition with the bookkeeping it implies, and the two
 * scheduling rules of pre-emption (store.ts, "Pre-emption"): pause the least urgent holder for a
 * more urgent job, settle a Pausing job to Paused once its last lease has ended. Split from
 * store-sql.ts, which holds the port's methods.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { fromDbTime, toDbTime } from '../db/control-db.js';
import { AWAITING_CONFIRMATION, isTerminal, type FailureReason, type JobStatus } from './model.js';
import { LEASABLE_STATUSES, TIMED_STATUSES } from './state.js';
import { num, type JobsTable, type Q } from './store-sql-rows.js';
import type { JobEventType, LeaseLimits, TransitionPatch } from './store.js';

// ---------------------------------------------------------------------------------------------
// Shared steps (inside a transaction)

export async function loadJob(q: Q, id: string): Promise<JobsTable | undefined> {
  return q.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function appendEvent(q: Q, type: JobEventType, row: Pick<JobsTable, 'id' | 'account_id'>, status: JobStatus, now: number, failures: readonly FailureReason[], reasons: readonly string[]): Promise<void> {
  // max+1 inside the writing transaction: gap-free and portable (SQLite has one writer; on
  // PostgreSQL the primary key turns a race into a retryable unique violation).
  const last = await q.selectFrom('job_events').select(sql<number | string | null>`max(seq)`.as('m')).executeTakeFirst();
  await q
    .insertInto('job_events')
    .values({
      seq: num(last?.m) + 1,
      event_id: randomBytes(16).toString('hex'),
      type,
      job_id: row.id,
      account_id: row.account_id,
      time: toDbTime(now),
      status,
      failure_codes: JSON.stringify(failures.map((f) => f.failureCode)),
      status_change_reason: JSON.stringify(reasons),
    })
    .execute();
}

/**
 * Moves a loaded job row to `to` with the bookkeeping a status implies, and records the event.
 * The caller has checked the source status; the WHERE on version makes the write a
 * compare-and-set all the same.
 */
export async function applyTransition(q: Q, row: JobsTable, to: JobStatus, patch: TransitionPatch, now: number): Promise<boolean> {
  const nowIso = toDbTime(now);
  const from = row.status as JobStatus;
  const set: Partial<JobsTable> = { status: to, version: num(row.version) + 1, updated_at: nowIso };
  const failures = patch.failureReasons ?? [];
  if (failures.length > 0) set.failure_reasons = JSON.stringify([...(JSON.parse(row.failure_reasons) as FailureReason[]), ...failures]);
  if (patch.statusUpdateReason !== undefined) set.status_update_reason = patch.statusUpdateReason;
  if (patch.generatedManifestDescriptor !== undefined) set.generated_manifest = JSON.stringify(patch.generatedManifestDescriptor);
  if (to !== from) {
    if (to === 'Suspended') {
      set.suspended_date = nowIso;
      set.suspended_cause = patch.suspendedCause ?? AWAITING_CONFIRMATION;
    } else if (patch.suspendedCause !== undefined) set.suspended_cause = patch.suspendedCause;
    const wasTimed = TIMED_STATUSES.has(from) && row.active_since !== null;
    const isTimed = TIMED_STATUSES.has(to);
    if (wasTimed && !isTimed) {
      set.active_ms = num(row.active_ms) + Math.max(0, now - fromDbTime(row.active_since!));
      set.active_since = null;
    } else if (!wasTimed && isTimed) set.active_since = nowIso;
    if (isTerminal(to)) {
      set.termination_date = nowIso;
      set.lease_owner = null;
      set.lease_expires_at = null;
    }
  } else if (patch.suspendedCause !== undefined) set.suspended_cause = patch.suspendedCause;
  const r = await q.updateTable('jobs').set(set).where('id', '=', row.id).where('version', '=', row.version).executeTakeFirst();
  if (num(r.numUpdatedRows) !== 1) return false;
  if (to !== from) {
    const reasons = [...(patch.statusUpdateReason !== undefined ? [patch.statusUpdateReason] : []), ...failures.map((f) => f.failureReason)];
    await appendEvent(q, 'JobStatusChanged', row, to, now, failures, reasons);
  }
  return true;
}

/**
 * Pausing jobs none of whose segment leases is live any more — their runner lost its lease without
 * releasing it (renewals stalled past the lease, a checkpoint failed) — are Paused as of their
 * last lease's expiry, so the Active timer stops where the work stopped.
 */
export async function settleLostPausing(q: Q, now: number): Promise<void> {
  const pausing = await q.selectFrom('jobs').select('id').where('status', '=', 'Pausing').execute();
  for (const { id } of pausing) {
    const last = await q.selectFrom('job_segments').select(sql<string | null>`max(lease_expires_at)`.as('t')).where('job_id', '=', id).executeTakeFirst();
    const ended = last?.t ? Math.min(now, fromDbTime(last.t)) : now;
    await settlePausing(q, id, ended);
  }
}

/** A Pausing job whose last live segment lease has ended is Paused. */
export async function settlePausing(q: Q, jobId: string, now: number): Promise<void> {
  const row = await loadJob(q, jobId);
  if (!row || row.status !== 'Pausing') return;
  const live = await q.selectFrom('job_segments').select(sql<number | string>`count(*)`.as('n')).where('job_id', '=', jobId).where('lease_expires_at', '>', toDbTime(now)).executeTakeFirst();
  if (num(live?.n) === 0) await applyTransition(q, row, 'Paused', {}, now);
}

/**
 * Pre-emption (store.ts): moves `row`, an Active job one of whose segments is checkpointing,
 * to Pausing when it must make room for a more urgent job. Two reads: the live leases with their
 * jobs (driven by the lease-expiry index: a few rows, however large the jobs), from which the
 * held capacity and the least urgent holder follow; then, only when this job is that holder, a
 * more urgent job with a free segment (driven by the jobs (status, priority) index; usually
 * there is none).
 */
export async function preemptIfNeeded(q: Q, row: JobsTable, now: number, limits: LeaseLimits): Promise<boolean> {
  const nowIso = toDbTime(now);
  const live = await q
    .selectFrom('job_segments as s')
    .innerJoin('jobs as j', 'j.id', 's.job_id')
    .select(['j.id', 'j.status', 'j.priority', 'j.creation_time'])
    .where('s.lease_expires_at', '>', nowIso)
    .execute();
  // Capacity still held: leases of jobs already Pausing are on their way back.
  if (live.filter((l) => l.status !== 'Pausing').length < limits.maxGlobal) return false;
  // The least urgent Active job holding a lease gives way (the reverse of the lease order).
  let victim: (typeof live)[number] | undefined;
  for (const l of live) {
    if (l.status !== 'Active') continue;
    const p = num(l.priority);
    const v = victim && num(victim.priority);
    if (!victim || p < v! || (p === v && (l.creation_time > victim.creation_time || (l.creation_time === victim.creation_time && l.id > victim.id)))) victim = l;
  }
  if (victim?.id !== row.id) return false;
  const urgent = await q
    .selectFrom('jobs as j')
    .select(['j.id'])
    .where('j.status', 'in', [...LEASABLE_STATUSES])
    .where('j.priority', '>', num(row.priority))
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('job_segments as f')
          .select('f.idx')
          .whereRef('f.job_id', '=', 'j.id')
          .where('f.done', '=', 0)
          .where((e) => e.or([e('f.lease_expires_at', 'is', null), e('f.lease_expires_at', '<=', nowIso)])),
      ),
    )
    .where(
      (eb) => eb.selectFrom('job_segments as h').select(sql<number>`count(*)`.as('n')).whereRef('h.job_id', '=', 'j.id').where('h.lease_expires_at', '>', nowIso),
      '<',
      limits.maxPerJob,
    )
    .limit(1)
    .executeTakeFirst();
  if (!urgent) return false;
  return applyTransition(q, row, 'Pausing', {}, now);
}
