/**
 * The JobStore over the control-plane database (src/db/: SQLite today, PostgreSQL later). Every
 * method is one transaction of plain, dialect-neutral SQL (Kysely's builder): no RETURNING, no
 * upserts, no engine-specific locking. Claims are compare-and-set UPDATEs on a fence column
 * (`… WHERE fence = ?`, checked by the row count), which is correct on SQLite's single writer and
 * under PostgreSQL's read-committed alike; SKIP LOCKED can be added behind
 * `capabilities.skipLocked` when many workers contend.
 *
 * Tables (migration 0002): `jobs` (one row per job: the immutable definition as JSON, the mutable
 * status/counters/timestamps as columns, the job lease), `job_segments` (one row per segment: plan,
 * cumulative checkpoint, lease and fence), `job_results` (one row per accepted checkpoint that
 * carried results), `job_events` (JobCreated / JobStatusChanged, increasing sequence). Row shapes
 * and conversions: store-sql-rows.ts; the steps shared by several methods (transitions with their
 * bookkeeping and events, pre-emption): store-sql-steps.ts.
 */
import { sql } from 'kysely';
import type { ControlDb } from '../db/control-db.js';
import { fromDbTime, toDbTime } from '../db/control-db.js';
import { isTerminal, type Job, type JobStatus, type Tag } from './model.js';
import { confirmationExpired, failureThresholdExceeded, FINISHING_STATUSES, LEASABLE_STATUSES, RUNNING_STATUSES, thresholdFailure } from './state.js';
import {
  decodeCursor, definitionOf, encodeCursor, jobToken, jq, num, parseJobToken, parseSegmentToken, segmentToken, toJob, toSegment,
  type JobsTable, type Q,
} from './store-sql-rows.js';
import { appendEvent, applyTransition, loadJob, preemptIfNeeded, settleLostPausing, settlePausing } from './store-sql-steps.js';
import type {
  CheckpointResult, CreateResult, JobEvent, JobEventType, JobLease, JobPage, JobStore, LeaseLimits, LeaseToken, ListOptions, NewJob, ResultChunk,
  SegmentCheckpoint, SegmentLease, SegmentPlan, SegmentState, SweepOptions, SweepResult, TransitionPatch, TransitionResult,
} from './store.js';

const CHUNK = 200;

// ---------------------------------------------------------------------------------------------
// The adapter

export function createSqlJobStore(cdb: ControlDb): JobStore {
  const db = jq(cdb.db);
  const tx = <T>(fn: (q: Q) => Promise<T>): Promise<T> => cdb.transaction((t) => fn(jq(t)));

  async function get(id: string): Promise<Job | undefined> {
    const r = await loadJob(db, id);
    return r ? toJob(r) : undefined;
  }

  async function create(j: NewJob, now: number): Promise<CreateResult> {
    const existing = async (q: Q): Promise<CreateResult | undefined> => {
      const r = await q.selectFrom('jobs').selectAll().where('account_id', '=', j.accountId).where('client_request_token', '=', j.clientRequestToken).executeTakeFirst();
      if (!r) return undefined;
      return r.request_hash === j.requestHash ? { job: toJob(r), created: false } : { conflict: toJob(r) };
    };
    try {
      return await tx(async (q) => {
        const found = await existing(q);
        if (found) return found;
        const nowIso = toDbTime(now);
        const row: JobsTable = {
          id: j.id,
          account_id: j.accountId,
          client_request_token: j.clientRequestToken,
          request_hash: j.requestHash,
          status: 'New',
          priority: j.priority,
          definition: JSON.stringify(definitionOf(j)),
          total_tasks: 0,
          succeeded: 0,
          failed: 0,
          active_ms: 0,
          active_since: null,
          failure_reasons: '[]',
          status_update_reason: null,
          suspended_cause: null,
          suspended_date: null,
          creation_time: nowIso,
          termination_date: null,
          generated_manifest: null,
          tags: JSON.stringify(j.tags),
          version: 1,
          updated_at: nowIso,
          lease_owner: null,
          lease_fence: 0,
          lease_expires_at: null,
        };
        await q.insertInto('jobs').values(row).execute();
        await appendEvent(q, 'JobCreated', row, 'New', now, [], []);
        return { job: toJob(row), created: true };
      });
    } catch (e) {
      // Two requests with one token raced past the read: the loser answers as a retry would.
      if (!cdb.isUniqueViolation(e)) throw e;
      const found = await existing(db);
      if (!found) throw e;
      return found;
    }
  }

  async function list(o: ListOptions): Promise<JobPage> {
    const filter = [...(o.statuses ?? [])].sort().join(',');
    let query = db.selectFrom('jobs').selectAll().where('account_id', '=', o.accountId);
    if (o.statuses && o.statuses.length > 0) query = query.where('status', 'in', [...o.statuses]);
    if (o.terminatedAfter !== undefined) {
      const t = toDbTime(o.terminatedAfter);
      query = query.where((eb) => eb.or([eb('termination_date', 'is', null), eb('termination_date', '>=', t)]));
    }
    if (o.after !== undefined) {
      const c = decodeCursor(o.after, filter);
      query = query.where((eb) => eb.or([eb('creation_time', '<', c.creation), eb.and([eb('creation_time', '=', c.creation), eb('id', '<', c.id)])]));
    }
    const rows = await query.orderBy('creation_time', 'desc').orderBy('id', 'desc').limit(o.limit + 1).execute();
    const more = rows.length > o.limit;
    const page = more ? rows.slice(0, o.limit) : rows;
    const last = page[page.length - 1];
    return { jobs: page.map(toJob), ...(more && last ? { next: encodeCursor(last.creation_time, last.id, filter) } : {}) };
  }

  async function transition(id: string, from: readonly JobStatus[], to: JobStatus, patch: TransitionPatch, now: number): Promise<TransitionResult> {
    return tx(async (q) => {
      const row = await loadJob(q, id);
      if (!row) return { ok: false, job: undefined };
      if (!from.includes(row.status as JobStatus)) return { ok: false, job: toJob(row) };
      if (!(await applyTransition(q, row, to, patch, now))) return { ok: false, job: toJob((await loadJob(q, id))!) };
      return { ok: true, job: toJob((await loadJob(q, id))!) };
    });
  }

  async function updatePriority(id: string, priority: number, now: number): Promise<TransitionResult> {
    return tx(async (q) => {
      const row = await loadJob(q, id);
      if (!row) return { ok: false, job: undefined };
      if (isTerminal(row.status as JobStatus)) return { ok: false, job: toJob(row) };
      await q.updateTable('jobs').set({ priority, version: num(row.version) + 1, updated_at: toDbTime(now) }).where('id', '=', id).execute();
      return { ok: true, job: toJob((await loadJob(q, id))!) };
    });
  }

  async function setTags(id: string, tags: readonly Tag[], now: number): Promise<boolean> {
    return tx(async (q) => {
      const row = await loadJob(q, id);
      if (!row) return false;
      await q.updateTable('jobs').set({ tags: JSON.stringify(tags), version: num(row.version) + 1, updated_at: toDbTime(now) }).where('id', '=', id).execute();
      return true;
    });
  }

  async function saveSegments(jobId: string, segments: readonly SegmentPlan[], totalTasks: number, now: number): Promise<boolean> {
    return tx(async (q) => {
      const row = await loadJob(q, jobId);
      if (!row || row.status !== 'Preparing') return false;
      await q.deleteFrom('job_results').where('job_id', '=', jobId).execute();
      await q.deleteFrom('job_segments').where('job_id', '=', jobId).execute();
      for (let i = 0; i < segments.length; i += CHUNK) {
        await q
          .insertInto('job_segments')
          .values(
            segments.slice(i, i + CHUNK).map((s) => ({
              job_id: jobId, idx: s.index, start_byte: s.startByte, end_byte: s.endByte, first_line: s.firstLine, line_count: s.lineCount,
              source: s.source ?? null, done: 0, lines_done: 0, succeeded: 0, failed: 0, resume_at: null, attempts: 0, fence: 0,
              lease_owner: null, lease_expires_at: null,
            })),
          )
          .execute();
      }
      await q.updateTable('jobs').set({ total_tasks: totalTasks, succeeded: 0, failed: 0, version: num(row.version) + 1, updated_at: toDbTime(now) }).where('id', '=', jobId).execute();
      return true;
    });
  }

  async function leaseSegment(workerId: string, now: number, leaseMs: number, limits: LeaseLimits): Promise<SegmentLease | undefined> {
    const nowIso = toDbTime(now);
    return tx(async (q) => {
      await settleLostPausing(q, now);
      const held = await q.selectFrom('job_segments').select(sql<number | string>`count(*)`.as('n')).where('lease_expires_at', '>', nowIso).executeTakeFirst();
      if (num(held?.n) >= limits.maxGlobal) return undefined;
      // The free segment of the most urgent job that is under its own limit.
      const cand = await q
        .selectFrom('job_segments as s')
        .innerJoin('jobs as j', 'j.id', 's.job_id')
        .selectAll('s')
        .select(['j.status as job_status'])
        .where('j.status', 'in', [...LEASABLE_STATUSES])
        .where('s.done', '=', 0)
        .where((eb) => eb.or([eb('s.lease_expires_at', 'is', null), eb('s.lease_expires_at', '<=', nowIso)]))
        .where(
          (eb) =>
            eb
              .selectFrom('job_segments as h')
              .select(sql<number>`count(*)`.as('n'))
              .whereRef('h.job_id', '=', 's.job_id')
              .where('h.lease_expires_at', '>', nowIso),
          '<',
          limits.maxPerJob,
        )
        .orderBy('j.priority', 'desc')
        .orderBy('j.creation_time', 'asc')
        .orderBy('j.id', 'asc')
        .orderBy('s.idx', 'asc')
        .limit(1)
        .executeTakeFirst();
      if (!cand) return undefined;
      const fence = num(cand.fence) + 1;
      const expiresAt = now + leaseMs;
      const r = await q
        .updateTable('job_segments')
        .set({ fence, lease_owner: workerId, lease_expires_at: toDbTime(expiresAt), attempts: num(cand.attempts) + 1 })
        .where('job_id', '=', cand.job_id)
        .where('idx', '=', cand.idx)
        .where('fence', '=', cand.fence)
        .executeTakeFirst();
      if (num(r.numUpdatedRows) !== 1) return undefined; // another worker won it; the caller asks again
      if (cand.job_status !== 'Active') {
        const row = (await loadJob(q, cand.job_id))!;
        await applyTransition(q, row, 'Active', {}, now);
      }
      const seg = toSegment({ ...cand, fence, lease_owner: workerId, attempts: num(cand.attempts) + 1 });
      return { jobId: cand.job_id, segment: seg, token: segmentToken(cand.job_id, seg.index, fence), expiresAt };
    });
  }

  async function renewLease(token: LeaseToken, now: number, leaseMs: number): Promise<number | undefined> {
    const t = parseSegmentToken(token);
    if (!t) return undefined;
    const expiresAt = now + leaseMs;
    const r = await db
      .updateTable('job_segments')
      .set({ lease_expires_at: toDbTime(expiresAt) })
      .where('job_id', '=', t.jobId)
      .where('idx', '=', t.idx)
      .where('fence', '=', t.fence)
      .where('done', '=', 0)
      .where('lease_owner', 'is not', null)
      .executeTakeFirst();
    return num(r.numUpdatedRows) === 1 ? expiresAt : undefined;
  }

  async function releaseLease(token: LeaseToken, now: number): Promise<void> {
    const t = parseSegmentToken(token);
    if (!t) return;
    await tx(async (q) => {
      const r = await q
        .updateTable('job_segments')
        .set({ fence: t.fence + 1, lease_owner: null, lease_expires_at: null })
        .where('job_id', '=', t.jobId)
        .where('idx', '=', t.idx)
        .where('fence', '=', t.fence)
        .executeTakeFirst();
      if (num(r.numUpdatedRows) === 1) await settlePausing(q, t.jobId, now);
    });
  }

  async function checkpointSegment(token: LeaseToken, cp: SegmentCheckpoint, now: number, limits?: LeaseLimits): Promise<CheckpointResult> {
    const t = parseSegmentToken(token);
    if (!t) return { accepted: false };
    return tx(async (q): Promise<CheckpointResult> => {
      const seg = await q.selectFrom('job_segments').selectAll().where('job_id', '=', t.jobId).where('idx', '=', t.idx).executeTakeFirst();
      if (!seg || num(seg.fence) !== t.fence) return { accepted: false };
      const prev = toSegment(seg);
      if (cp.linesDone < prev.linesDone || cp.succeeded < prev.succeeded || cp.failed < prev.failed || cp.linesDone > prev.lineCount) return { accepted: false };
      if (prev.done && !cp.done) return { accepted: false };
      const row = await loadJob(q, t.jobId);
      if (!row) return { accepted: false };
      const dS = cp.succeeded - prev.succeeded;
      const dF = cp.failed - prev.failed;
      const advanced = cp.linesDone > prev.linesDone || dS > 0 || dF > 0 || (cp.done && !prev.done);
      if (advanced) {
        await q
          .updateTable('job_segments')
          .set({
            lines_done: cp.linesDone, succeeded: cp.succeeded, failed: cp.failed, resume_at: cp.resumeAt ?? null, done: cp.done ? 1 : 0,
            ...(cp.done ? { lease_owner: null, lease_expires_at: null } : {}),
          })
          .where('job_id', '=', t.jobId)
          .where('idx', '=', t.idx)
          .where('fence', '=', t.fence)
          .execute();
        if (cp.results !== undefined && cp.results !== '' && cp.linesDone > prev.linesDone) {
          await q.insertInto('job_results').values({ job_id: t.jobId, segment_idx: t.idx, lines_done: cp.linesDone, results: cp.results }).execute();
        }
      }
      let current = row;
      if (dS > 0 || dF > 0) {
        await q
          .updateTable('jobs')
          .set({ succeeded: num(row.succeeded) + dS, failed: num(row.failed) + dF, version: num(row.version) + 1, updated_at: toDbTime(now) })
          .where('id', '=', t.jobId)
          .execute();
        current = (await loadJob(q, t.jobId))!;
      }
      // Automatic transitions, in this transaction: the threshold first (a job that trips it on
      // its last segment fails), then completion.
      if (RUNNING_STATUSES.includes(current.status as JobStatus)) {
        const s = num(current.succeeded);
        const f = num(current.failed);
        if (failureThresholdExceeded(s, f)) {
          await applyTransition(q, current, 'Failing', { failureReasons: [thresholdFailure(s, f)] }, now);
        } else if (cp.done && !prev.done) {
          const left = await q.selectFrom('job_segments').select(sql<number | string>`count(*)`.as('n')).where('job_id', '=', t.jobId).where('done', '=', 0).executeTakeFirst();
          if (num(left?.n) === 0) await applyTransition(q, current, 'Completing', {}, now);
          else await settlePausing(q, t.jobId, now); // this segment's lease has just ended
        } else if (limits && !cp.done && current.status === 'Active') {
          await preemptIfNeeded(q, current, now, limits);
        }
        current = (await loadJob(q, t.jobId))!;
      }
      const job = toJob(current);
      return { accepted: true, status: job.status, progress: job.progress };
    });
  }

  async function segments(jobId: string): Promise<readonly SegmentState[]> {
    const rows = await db.selectFrom('job_segments').selectAll().where('job_id', '=', jobId).orderBy('idx').execute();
    return rows.map(toSegment);
  }

  async function* readResults(jobId: string): AsyncIterable<ResultChunk> {
    let after: { idx: number; lines: number } | undefined;
    for (;;) {
      let query = db.selectFrom('job_results').selectAll().where('job_id', '=', jobId);
      if (after) {
        const a = after;
        query = query.where((eb) => eb.or([eb('segment_idx', '>', a.idx), eb.and([eb('segment_idx', '=', a.idx), eb('lines_done', '>', a.lines)])]));
      }
      const rows = await query.orderBy('segment_idx').orderBy('lines_done').limit(64).execute();
      for (const r of rows) yield { segmentIndex: num(r.segment_idx), linesDone: num(r.lines_done), results: r.results };
      if (rows.length < 64) return;
      const last = rows[rows.length - 1]!;
      after = { idx: num(last.segment_idx), lines: num(last.lines_done) };
    }
  }

  async function leaseJob(workerId: string, statuses: readonly JobStatus[], now: number, leaseMs: number): Promise<JobLease | undefined> {
    if (statuses.length === 0) return undefined;
    const nowIso = toDbTime(now);
    return tx(async (q) => {
      const rows = await q
        .selectFrom('jobs as j')
        .selectAll('j')
        .where('j.status', 'in', [...statuses])
        .where((eb) => eb.or([eb('j.lease_expires_at', 'is', null), eb('j.lease_expires_at', '<=', nowIso)]))
        .where((eb) =>
          eb.or([
            eb('j.status', 'not in', [...FINISHING_STATUSES]),
            eb.not(eb.exists(eb.selectFrom('job_segments as h').select('h.idx').whereRef('h.job_id', '=', 'j.id').where('h.lease_expires_at', '>', nowIso))),
          ]),
        )
        .orderBy('j.priority', 'desc')
        .orderBy('j.creation_time', 'asc')
        .orderBy('j.id', 'asc')
        .limit(1)
        .execute();
      const row = rows[0];
      if (!row) return undefined;
      const fence = num(row.lease_fence) + 1;
      const expiresAt = now + leaseMs;
      const r = await q
        .updateTable('jobs')
        .set({ lease_fence: fence, lease_owner: workerId, lease_expires_at: toDbTime(expiresAt) })
        .where('id', '=', row.id)
        .where('lease_fence', '=', row.lease_fence)
        .executeTakeFirst();
      if (num(r.numUpdatedRows) !== 1) return undefined;
      if (FINISHING_STATUSES.has(row.status as JobStatus)) {
        // Fence every segment lease: no checkpoint may land in a report being written.
        await q.updateTable('job_segments').set({ fence: sql`fence + 1`, lease_owner: null, lease_expires_at: null }).where('job_id', '=', row.id).execute();
      }
      return { job: toJob({ ...row, lease_fence: fence, lease_owner: workerId, lease_expires_at: toDbTime(expiresAt) }), token: jobToken(row.id, fence), expiresAt };
    });
  }

  async function renewJobLease(token: LeaseToken, now: number, leaseMs: number): Promise<number | undefined> {
    const t = parseJobToken(token);
    if (!t) return undefined;
    const expiresAt = now + leaseMs;
    const r = await db
      .updateTable('jobs')
      .set({ lease_expires_at: toDbTime(expiresAt) })
      .where('id', '=', t.jobId)
      .where('lease_fence', '=', t.fence)
      .where('lease_owner', 'is not', null)
      .executeTakeFirst();
    return num(r.numUpdatedRows) === 1 ? expiresAt : undefined;
  }

  async function releaseJob(token: LeaseToken): Promise<void> {
    const t = parseJobToken(token);
    if (!t) return;
    await db.updateTable('jobs').set({ lease_owner: null, lease_expires_at: null }).where('id', '=', t.jobId).where('lease_fence', '=', t.fence).execute();
  }

  async function releaseLeasesNotHeldBy(workerId: string, now: number): Promise<number> {
    return tx(async (q) => {
      const segs = await q
        .updateTable('job_segments')
        .set({ fence: sql`fence + 1`, lease_owner: null, lease_expires_at: null })
        .where('lease_owner', 'is not', null)
        .where('lease_owner', '<>', workerId)
        .executeTakeFirst();
      const jobsReleased = await q
        .updateTable('jobs')
        .set({ lease_fence: sql`lease_fence + 1`, lease_owner: null, lease_expires_at: null })
        .where('lease_owner', 'is not', null)
        .where('lease_owner', '<>', workerId)
        .executeTakeFirst();
      const pausing = await q.selectFrom('jobs').select('id').where('status', '=', 'Pausing').execute();
      for (const { id } of pausing) await settlePausing(q, id, now);
      return num(segs.numUpdatedRows) + num(jobsReleased.numUpdatedRows);
    });
  }

  async function readEvents(afterSeq: number, limit: number): Promise<readonly JobEvent[]> {
    const rows = await db.selectFrom('job_events').selectAll().where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
    return rows.map((r) => ({
      seq: num(r.seq),
      eventId: r.event_id,
      type: r.type as JobEventType,
      jobId: r.job_id,
      accountId: r.account_id,
      time: fromDbTime(r.time),
      status: r.status as JobStatus,
      failureCodes: JSON.parse(r.failure_codes) as string[],
      statusChangeReason: JSON.parse(r.status_change_reason) as string[],
    }));
  }

  async function sweep(now: number, o: SweepOptions): Promise<SweepResult> {
    let confirmationsExpired = 0;
    const deadline = toDbTime(now - o.confirmationTimeoutMs);
    const stale = await db.selectFrom('jobs').select('id').where('status', '=', 'Suspended').where('suspended_date', '<=', deadline).execute();
    for (const { id } of stale) {
      const done = await tx(async (q) => {
        const row = await loadJob(q, id);
        if (!row || row.status !== 'Suspended' || row.suspended_date === null || row.suspended_date > deadline) return false;
        return applyTransition(q, row, 'Failed', { failureReasons: [confirmationExpired(o.confirmationTimeoutMs)] }, now);
      });
      if (done) confirmationsExpired++;
    }
    let jobsDeleted = 0;
    const cutoff = toDbTime(now - o.retentionMs);
    for (;;) {
      const old = await db.selectFrom('jobs').select('id').where('termination_date', '<=', cutoff).limit(CHUNK).execute();
      if (old.length === 0) break;
      const ids = old.map((r) => r.id);
      await tx(async (q) => {
        await q.deleteFrom('job_results').where('job_id', 'in', ids).execute();
        await q.deleteFrom('job_segments').where('job_id', 'in', ids).execute();
        await q.deleteFrom('jobs').where('id', 'in', ids).where('termination_date', '<=', cutoff).execute();
      });
      jobsDeleted += ids.length;
    }
    // Events age out with the jobs; the newest is kept so that the sequence never goes back.
    const newest = await db.selectFrom('job_events').select(sql<number | string | null>`max(seq)`.as('m')).executeTakeFirst();
    await db.deleteFrom('job_events').where('time', '<=', cutoff).where('seq', '<', num(newest?.m)).execute();
    return { confirmationsExpired, jobsDeleted };
  }

  return {
    create,
    get,
    list,
    updatePriority,
    transition,
    getTags: async (id) => {
      const r = await db.selectFrom('jobs').select('tags').where('id', '=', id).executeTakeFirst();
      return r ? (JSON.parse(r.tags) as Tag[]) : undefined;
    },
    putTags: setTags,
    deleteTags: (id, now) => setTags(id, [], now),
    saveSegments,
    leaseSegment,
    renewLease,
    checkpointSegment,
    releaseLease,
    segments,
    readResults,
    leaseJob,
    renewJobLease,
    releaseJob,
    releaseLeasesNotHeldBy,
    readEvents,
    sweep,
  };
}
