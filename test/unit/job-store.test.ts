/**
 * The JobStore conformance suite: every adapter must pass it (run over each one below). It checks
 * the port's documented semantics — idempotent create, compare-and-set transitions with their
 * bookkeeping and events, paging, lease exclusivity and limits, priority order, fencing of stale
 * holders, exactly-once counters, the automatic transitions, job leases, and the sweeps.
 * Pre-emption (Pausing / Paused) has its own file, job-store-preemption.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { InvalidCursorError, type JobStore, type LeaseToken } from '../../src/jobs/store.js';
import { ACCOUNT, adapters, DAY, jobIn, LIMITS, newJob, plan, T0 } from './job-store-fixtures.js';

for (const adapter of adapters) {
  describe(`JobStore conformance: ${adapter.name}`, () => {
    let store: JobStore;
    let close: () => Promise<void>;
    before(async () => {
      ({ store, close } = await adapter.open());
    });
    after(() => close());

    it('create is idempotent by (account, token): same request → same job, other request → conflict', async () => {
      const first = newJob({ tags: [['team', 'storage']], description: 'tag run' });
      const a = await store.create(first, T0);
      assert.equal(a.created, true);
      assert.equal(a.job!.id, first.id);
      assert.equal(a.job!.status, 'New');
      assert.equal(a.job!.creationTime, T0);
      assert.equal(a.job!.description, 'tag run');
      assert.deepEqual(a.job!.tags, [['team', 'storage']]);
      assert.deepEqual(a.job!.progress, { totalNumberOfTasks: 0, numberOfTasksSucceeded: 0, numberOfTasksFailed: 0, activeMs: 0 });

      const retry = await store.create({ ...first, id: randomUUID() }, T0 + 1000);
      assert.equal(retry.created, false);
      assert.equal(retry.job!.id, first.id);

      const other = await store.create({ ...first, id: randomUUID(), requestHash: 'h2' }, T0 + 2000);
      assert.equal(other.job, undefined);
      assert.equal(other.conflict!.id, first.id);

      const otherAccount = await store.create({ ...first, id: randomUUID(), accountId: '444455556666' }, T0);
      assert.equal(otherAccount.created, true);
      assert.notEqual(otherAccount.job!.id, first.id);

      const got = await store.get(first.id);
      assert.deepEqual(got, a.job);
      assert.equal(await store.get('no-such-job'), undefined);
    });

    it('transition is a compare-and-set with bookkeeping and events', async () => {
      const id = await jobIn(store, 'Preparing', 2, { confirmationRequired: true });
      const before = await store.readEvents(0, 10_000);
      const lastSeq = before[before.length - 1]!.seq;

      const wrong = await store.transition(id, ['New'], 'Preparing', {}, T0);
      assert.equal(wrong.ok, false);
      assert.equal(wrong.job!.status, 'Preparing');
      assert.deepEqual(await store.transition('nope', ['New'], 'Preparing', {}, T0), { ok: false, job: undefined });

      const s = await store.transition(id, ['Preparing'], 'Suspended', {}, T0 + 5000);
      assert.equal(s.ok, true);
      assert.equal(s.job!.status, 'Suspended');
      assert.equal(s.job!.suspendedDate, T0 + 5000);
      assert.equal(s.job!.suspendedCause, 'AwaitingConfirmation');
      assert.equal(s.job!.terminationDate, undefined);

      const c = await store.transition(id, ['Suspended'], 'Cancelled', { statusUpdateReason: 'not needed' }, T0 + 9000);
      assert.equal(c.ok, true);
      assert.equal(c.job!.status, 'Cancelled');
      assert.equal(c.job!.terminationDate, T0 + 9000);
      assert.equal(c.job!.statusUpdateReason, 'not needed');

      const events = await store.readEvents(lastSeq, 100);
      assert.deepEqual(
        events.filter((e) => e.jobId === id).map((e) => [e.type, e.status, e.statusChangeReason]),
        [['JobStatusChanged', 'Suspended', []], ['JobStatusChanged', 'Cancelled', ['not needed']]],
      );
      assert.equal(events[1]!.seq, events[0]!.seq + 1);
      assert.match(events[0]!.eventId, /^[0-9a-f]{32}$/);
    });

    it('failure reasons accumulate; updatePriority refuses terminal jobs; tags replace and delete', async () => {
      const id = await jobIn(store, 'Preparing');
      const f = await store.transition(id, ['Preparing'], 'Failing', { failureReasons: [{ failureCode: 'RoleNotTrusted', failureReason: 'no trust' }] }, T0);
      assert.deepEqual(f.job!.failureReasons, [{ failureCode: 'RoleNotTrusted', failureReason: 'no trust' }]);
      const events = await store.readEvents(0, 10_000);
      assert.deepEqual(events[events.length - 1]!.failureCodes, ['RoleNotTrusted']);

      const live = await jobIn(store, 'Ready', 1);
      const p = await store.updatePriority(live, 77, T0);
      assert.equal(p.ok, true);
      assert.equal(p.job!.priority, 77);
      await store.transition(id, ['Failing'], 'Failed', {}, T0);
      const refused = await store.updatePriority(id, 5, T0);
      assert.equal(refused.ok, false);
      assert.equal(refused.job!.priority, 10);
      assert.deepEqual(await store.updatePriority('nope', 5, T0), { ok: false, job: undefined });

      assert.deepEqual(await store.getTags(live), []);
      assert.equal(await store.putTags(live, [['a', '1'], ['b', '']], T0), true);
      assert.deepEqual(await store.getTags(live), [['a', '1'], ['b', '']]);
      assert.equal(await store.deleteTags(live, T0), true);
      assert.deepEqual(await store.getTags(live), []);
      assert.equal(await store.putTags('nope', [], T0), false);
      assert.equal(await store.getTags('nope'), undefined);
    });

    it('lists newest first in pages, filters by status, binds the cursor to the filter, hides old terminal jobs', async () => {
      const { store: s, close: c } = await adapter.open();
      try {
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push((await s.create(newJob(), T0 + i * 1000)).job!.id);
        await s.create(newJob({ accountId: '999999999999' }), T0);
        await s.transition(ids[1]!, ['New'], 'Cancelled', {}, T0 + 10 * DAY);
        await s.transition(ids[0]!, ['New'], 'Cancelled', {}, T0);

        const p1 = await s.list({ accountId: ACCOUNT, limit: 2 });
        assert.deepEqual(p1.jobs.map((j) => j.id), [ids[4], ids[3]]);
        const p2 = await s.list({ accountId: ACCOUNT, limit: 2, after: p1.next });
        assert.deepEqual(p2.jobs.map((j) => j.id), [ids[2], ids[1]]);
        const p3 = await s.list({ accountId: ACCOUNT, limit: 2, after: p2.next });
        assert.deepEqual(p3.jobs.map((j) => j.id), [ids[0]]);
        assert.equal(p3.next, undefined);

        const cancelled = await s.list({ accountId: ACCOUNT, limit: 10, statuses: ['Cancelled'] });
        assert.deepEqual(cancelled.jobs.map((j) => j.id), [ids[1], ids[0]]);
        const recent = await s.list({ accountId: ACCOUNT, limit: 10, statuses: ['Cancelled'], terminatedAfter: T0 + DAY });
        assert.deepEqual(recent.jobs.map((j) => j.id), [ids[1]]);

        const f1 = await s.list({ accountId: ACCOUNT, limit: 1, statuses: ['New'] });
        assert.ok(f1.next);
        await assert.rejects(s.list({ accountId: ACCOUNT, limit: 1, statuses: ['Cancelled'], after: f1.next }), InvalidCursorError);
        await assert.rejects(s.list({ accountId: ACCOUNT, limit: 1, after: 'not a cursor' }), InvalidCursorError);
      } finally {
        await c();
      }
    });

    it('saves segments only while Preparing, replacing earlier ones', async () => {
      const id = await jobIn(store, 'Preparing');
      assert.equal(await store.saveSegments(id, plan(3), 30, T0), true);
      assert.equal(await store.saveSegments(id, plan(2), 20, T0), true);
      const segs = await store.segments(id);
      assert.deepEqual(segs.map((s) => [s.index, s.firstLine, s.lineCount, s.done, s.linesDone, s.attempts]), [[0, 1, 10, false, 0, 0], [1, 11, 10, false, 0, 0]]);
      assert.equal((await store.get(id))!.progress.totalNumberOfTasks, 20);
      await store.transition(id, ['Preparing'], 'Ready', {}, T0);
      assert.equal(await store.saveSegments(id, plan(5), 50, T0), false);
      assert.equal((await store.segments(id)).length, 2);
    });

    describe('leases', () => {
      let s: JobStore;
      let c: () => Promise<void>;
      before(async () => {
        ({ store: s, close: c } = await adapter.open());
      });
      after(() => c());

      it('each segment goes to one holder; limits per job and global hold; the first lease activates the job', async () => {
        const id = await jobIn(s, 'Ready', 3);
        const a = await s.leaseSegment('w1', T0, 30_000, { maxGlobal: 10, maxPerJob: 2 });
        const b = await s.leaseSegment('w2', T0, 30_000, { maxGlobal: 10, maxPerJob: 2 });
        assert.equal(a!.jobId, id);
        assert.deepEqual([a!.segment.index, b!.segment.index], [0, 1]);
        assert.equal(a!.segment.attempts, 1);
        assert.equal(a!.expiresAt, T0 + 30_000);
        assert.notEqual(a!.token, b!.token);
        assert.equal(await s.leaseSegment('w3', T0, 30_000, { maxGlobal: 10, maxPerJob: 2 }), undefined, 'per-job limit');
        assert.equal(await s.leaseSegment('w3', T0, 30_000, { maxGlobal: 2, maxPerJob: 5 }), undefined, 'global limit');
        const job = (await s.get(id))!;
        assert.equal(job.status, 'Active');
        assert.equal(job.progress.activeSince, T0);
        const c3 = await s.leaseSegment('w3', T0, 30_000, { maxGlobal: 10, maxPerJob: 3 });
        assert.equal(c3!.segment.index, 2);
        assert.equal(await s.leaseSegment('w4', T0, 30_000, LIMITS), undefined, 'every segment is held');
        // Clean up: finish them so later tests start from an idle store.
        for (const l of [a!, b!, c3!]) assert.equal((await s.checkpointSegment(l.token, { linesDone: 10, succeeded: 10, failed: 0, done: true }, T0 + 1000)).accepted, true);
        const done = (await s.get(id))!;
        assert.equal(done.status, 'Completing');
        assert.equal(done.progress.activeSince, undefined);
        assert.equal(done.progress.activeMs, 1000);
      });

      it('higher priority first, then older; Suspended/Preparing/Cancelling jobs are never leased', async () => {
        const low = await jobIn(s, 'Ready', 1, { priority: 1 }, T0);
        const highNew = await jobIn(s, 'Ready', 1, { priority: 50 }, T0 + 2000);
        const highOld = await jobIn(s, 'Ready', 1, { priority: 50 }, T0 + 1000);
        await jobIn(s, 'Suspended', 1, { priority: 99 });
        await jobIn(s, 'Preparing', 1, { priority: 99 });
        const order: string[] = [];
        for (let i = 0; i < 3; i++) order.push((await s.leaseSegment(`w${i}`, T0 + 5000, 30_000, LIMITS))!.jobId);
        assert.deepEqual(order, [highOld, highNew, low]);
        assert.equal(await s.leaseSegment('w9', T0 + 5000, 30_000, LIMITS), undefined);
      });

      it('fences a stale holder: after expiry and re-lease its renew and checkpoint are refused and change nothing', async () => {
        const { store: f, close } = await adapter.open();
        try {
          const id = await jobIn(f, 'Ready', 1);
          const first = (await f.leaseSegment('w1', T0, 10_000, LIMITS))!;
          assert.equal((await f.checkpointSegment(first.token, { linesDone: 4, succeeded: 3, failed: 1, resumeAt: 40, results: 'r1-4', done: false }, T0 + 1000)).accepted, true);
          assert.equal(await f.renewLease(first.token, T0 + 2000, 10_000), T0 + 12_000);
          assert.equal(await f.leaseSegment('w2', T0 + 11_000, 10_000, LIMITS), undefined, 'renewed lease still held');
          const second = (await f.leaseSegment('w2', T0 + 12_001, 10_000, LIMITS))!;
          assert.equal(second.segment.index, 0);
          assert.equal(second.segment.attempts, 2);
          assert.deepEqual([second.segment.linesDone, second.segment.succeeded, second.segment.failed, second.segment.resumeAt], [4, 3, 1, 40], 'resumes after the checkpoint');

          assert.equal(await f.renewLease(first.token, T0 + 12_002, 10_000), undefined);
          assert.deepEqual(await f.checkpointSegment(first.token, { linesDone: 10, succeeded: 9, failed: 1, results: 'stale', done: true }, T0 + 12_003), { accepted: false });
          let job = (await f.get(id))!;
          assert.deepEqual([job.progress.numberOfTasksSucceeded, job.progress.numberOfTasksFailed, job.status], [3, 1, 'Active']);

          const ok = await f.checkpointSegment(second.token, { linesDone: 10, succeeded: 8, failed: 2, results: 'r5-10', done: true }, T0 + 13_000);
          assert.deepEqual(ok.accepted && [ok.status, ok.progress.numberOfTasksSucceeded, ok.progress.numberOfTasksFailed], ['Completing', 8, 2]);
          job = (await f.get(id))!;
          assert.deepEqual([job.progress.numberOfTasksSucceeded, job.progress.numberOfTasksFailed], [8, 2]);
          const chunks: string[] = [];
          for await (const ch of f.readResults(id)) chunks.push(`${ch.segmentIndex}:${ch.linesDone}:${ch.results}`);
          assert.deepEqual(chunks, ['0:4:r1-4', '0:10:r5-10']);
          assert.deepEqual(await f.checkpointSegment('garbage' as LeaseToken, { linesDone: 1, succeeded: 1, failed: 0, done: false }, T0), { accepted: false });
        } finally {
          await close();
        }
      });

      it('counts exactly once: a repeated checkpoint adds nothing, backwards values are refused, a released lease is fenced', async () => {
        const { store: f, close } = await adapter.open();
        try {
          const id = await jobIn(f, 'Ready', 2);
          const l = (await f.leaseSegment('w1', T0, 30_000, LIMITS))!;
          const cp = { linesDone: 5, succeeded: 5, failed: 0, results: 'five', done: false };
          assert.equal((await f.checkpointSegment(l.token, cp, T0)).accepted, true);
          assert.equal((await f.checkpointSegment(l.token, cp, T0)).accepted, true, 'a retried checkpoint is accepted');
          assert.deepEqual(await f.checkpointSegment(l.token, { ...cp, linesDone: 3, succeeded: 3 }, T0), { accepted: false });
          assert.deepEqual(await f.checkpointSegment(l.token, { ...cp, linesDone: 11 }, T0), { accepted: false }, 'past the segment end');
          let job = (await f.get(id))!;
          assert.equal(job.progress.numberOfTasksSucceeded, 5);
          const done = { linesDone: 10, succeeded: 9, failed: 1, results: 'rest', done: true };
          const r1 = await f.checkpointSegment(l.token, done, T0);
          const r2 = await f.checkpointSegment(l.token, done, T0);
          assert.equal(r1.accepted && r2.accepted, true);
          job = (await f.get(id))!;
          assert.deepEqual([job.progress.numberOfTasksSucceeded, job.progress.numberOfTasksFailed, job.status], [9, 1, 'Active']);
          let n = 0;
          for await (const _ of f.readResults(id)) n++;
          assert.equal(n, 2);

          const l2 = (await f.leaseSegment('w2', T0, 30_000, LIMITS))!;
          assert.equal(l2.segment.index, 1);
          await f.releaseLease(l2.token, T0);
          assert.deepEqual(await f.checkpointSegment(l2.token, { linesDone: 1, succeeded: 1, failed: 0, done: false }, T0), { accepted: false });
          const l3 = (await f.leaseSegment('w3', T0, 30_000, LIMITS))!;
          assert.equal(l3.segment.index, 1, 'a released segment is free at once');
        } finally {
          await close();
        }
      });

      it('concurrent workers with crashes still count every task exactly once', async () => {
        const { store: f, close } = await adapter.open();
        try {
          const segs = 40;
          const id = await jobIn(f, 'Ready', segs);
          let clock = T0;
          const worker = async (w: number): Promise<void> => {
            for (let round = 0; ; round++) {
              const now = (clock += 10);
              const l = await f.leaseSegment(`w${w}`, now, 500, { maxGlobal: 6, maxPerJob: 6 });
              if (!l) {
                const j = (await f.get(id))!;
                if (j.status !== 'Active') return;
                clock += 600; // let crashed leases expire
                continue;
              }
              let { linesDone, succeeded, failed } = l.segment;
              while (linesDone < l.segment.lineCount) {
                linesDone += 2;
                if ((linesDone / 2) % 3 === 0) failed += 2;
                else succeeded += 2;
                // Some holders "crash" after doing work they never checkpoint.
                if ((w + round + linesDone) % 17 === 0) break;
                const r = await f.checkpointSegment(l.token, { linesDone, succeeded, failed, results: `${l.segment.index}@${linesDone}`, done: linesDone === l.segment.lineCount }, clock);
                if (!r.accepted) break;
              }
            }
          };
          await Promise.all([0, 1, 2, 3, 4].map(worker));
          const job = (await f.get(id))!;
          assert.equal(job.status, 'Completing');
          // Per 10-line segment: 5 checkpoints of 2 lines; the pair ending at line 6 fails.
          assert.equal(job.progress.numberOfTasksSucceeded, segs * 8);
          assert.equal(job.progress.numberOfTasksFailed, segs * 2);
          const seen = new Map<number, number[]>();
          for await (const ch of f.readResults(id)) seen.set(ch.segmentIndex, [...(seen.get(ch.segmentIndex) ?? []), ch.linesDone]);
          assert.equal(seen.size, segs);
          for (const lines of seen.values()) assert.deepEqual(lines, [2, 4, 6, 8, 10]);
        } finally {
          await close();
        }
      });
    });

    it('the failure threshold fails a running job in the checkpoint that trips it', async () => {
      const { store: f, close } = await adapter.open();
      try {
        const id = await jobIn(f, 'Ready', 2);
        const a = (await f.leaseSegment('w1', T0, 30_000, LIMITS))!;
        // 999 run, all failed: below the 1,000-task minimum.
        let r = await f.checkpointSegment(a.token, { linesDone: 10, succeeded: 0, failed: 999, done: false }, T0);
        assert.equal(r.accepted && r.status, 'Active');
        r = await f.checkpointSegment(a.token, { linesDone: 10, succeeded: 0, failed: 1000, done: false }, T0);
        assert.equal(r.accepted && r.status, 'Failing');
        const job = (await f.get(id))!;
        assert.deepEqual(job.failureReasons.map((x) => x.failureCode), ['TaskFailureThresholdExceeded']);
        assert.equal(await f.leaseSegment('w2', T0, 30_000, LIMITS), undefined, 'a failing job gets no new leases');
      } finally {
        await close();
      }
    });

    it('leaseJob: one holder per job; finishing statuses wait for segment leases, then fence them', async () => {
      const { store: f, close } = await adapter.open();
      try {
        const fresh = await jobIn(f, 'New', 0, { priority: 5 });
        const j1 = (await f.leaseJob('e1', ['New', 'Preparing'], T0, 10_000))!;
        assert.equal(j1.job.id, fresh);
        assert.equal(await f.leaseJob('e2', ['New', 'Preparing'], T0 + 1, 10_000), undefined);
        assert.equal(await f.renewJobLease(j1.token, T0 + 5000, 10_000), T0 + 15_000);
        const j2 = (await f.leaseJob('e2', ['New'], T0 + 15_001, 10_000))!;
        assert.equal(j2.job.id, fresh);
        assert.equal(await f.renewJobLease(j1.token, T0 + 15_002, 10_000), undefined);
        await f.releaseJob(j2.token);

        const id = await jobIn(f, 'Ready', 2);
        const seg = (await f.leaseSegment('w1', T0, 10_000, LIMITS))!;
        assert.equal((await f.transition(id, ['Active'], 'Cancelling', {}, T0)).ok, true);
        assert.equal(await f.leaseJob('e1', ['Cancelling'], T0 + 1000, 10_000), undefined, 'a segment lease is live');
        assert.equal((await f.checkpointSegment(seg.token, { linesDone: 3, succeeded: 3, failed: 0, done: false }, T0 + 2000)).accepted, true, 'in-flight work still commits while Cancelling');
        const fin = (await f.leaseJob('e1', ['Cancelling'], T0 + 10_001, 10_000))!;
        assert.equal(fin.job.id, id);
        assert.deepEqual(await f.checkpointSegment(seg.token, { linesDone: 5, succeeded: 5, failed: 0, done: false }, T0 + 10_002), { accepted: false });
        assert.equal((await f.get(id))!.progress.numberOfTasksSucceeded, 3);
        const end = await f.transition(id, ['Cancelling'], 'Cancelled', {}, T0 + 11_000);
        assert.equal(end.job!.terminationDate, T0 + 11_000);
        assert.equal(end.job!.progress.activeMs, 0, 'the timer stopped on entering Cancelling');
        assert.equal(end.job!.progress.activeSince, undefined);
      } finally {
        await close();
      }
    });

    it('releaseLeasesNotHeldBy frees every other holder\'s segment and job leases at once and fences their tokens', async () => {
      const { store: f, close } = await adapter.open();
      try {
        const id = await jobIn(f, 'Ready', 3);
        const a = (await f.leaseSegment('dead-1', T0, 60_000, LIMITS))!;
        const b = (await f.leaseSegment('dead-2', T0, 60_000, LIMITS))!;
        const mine = (await f.leaseSegment('me', T0, 60_000, LIMITS))!;
        await jobIn(f, 'New');
        const j = (await f.leaseJob('dead-1', ['New'], T0, 60_000))!;
        assert.equal(await f.leaseSegment('me', T0 + 1, 60_000, LIMITS), undefined, 'every segment is held');
        assert.equal(await f.releaseLeasesNotHeldBy('me', T0 + 1), 3);
        assert.deepEqual(await f.checkpointSegment(a.token, { linesDone: 1, succeeded: 1, failed: 0, done: false }, T0 + 2), { accepted: false });
        assert.equal(await f.renewLease(b.token, T0 + 2, 60_000), undefined);
        assert.equal(await f.renewJobLease(j.token, T0 + 2, 60_000), undefined);
        const again = [(await f.leaseSegment('me', T0 + 3, 60_000, LIMITS))!, (await f.leaseSegment('me', T0 + 3, 60_000, LIMITS))!];
        assert.deepEqual(again.map((l) => [l.jobId, l.segment.index]).sort(), [[id, a.segment.index], [id, b.segment.index]].sort());
        assert.equal((await f.leaseJob('me', ['New'], T0 + 3, 60_000))!.job.id, j.job.id);
        assert.equal((await f.checkpointSegment(mine.token, { linesDone: 1, succeeded: 1, failed: 0, done: false }, T0 + 4)).accepted, true, 'its own leases stay');
        assert.equal(await f.releaseLeasesNotHeldBy('me', T0 + 5), 0);
      } finally {
        await close();
      }
    });

    it('sweep: fails jobs awaiting confirmation past the window, deletes terminal jobs past retention', async () => {
      const { store: f, close } = await adapter.open();
      try {
        const waiting = await jobIn(f, 'Suspended', 1, {}, T0);
        const young = await jobIn(f, 'Suspended', 1, {}, T0 + 20 * DAY);
        const opts = { confirmationTimeoutMs: 30 * DAY, retentionMs: 90 * DAY };
        assert.deepEqual(await f.sweep(T0 + 29 * DAY, opts), { confirmationsExpired: 0, jobsDeleted: 0 });
        assert.deepEqual(await f.sweep(T0 + 30 * DAY, opts), { confirmationsExpired: 1, jobsDeleted: 0 });
        const failed = (await f.get(waiting))!;
        assert.equal(failed.status, 'Failed');
        assert.equal(failed.terminationDate, T0 + 30 * DAY);
        assert.equal(failed.failureReasons[0]!.failureCode, 'ConfirmationExpired');
        assert.match(failed.failureReasons[0]!.failureReason, /within 30 days/);
        assert.equal((await f.get(young))!.status, 'Suspended');

        assert.deepEqual(await f.sweep(T0 + 119 * DAY, { ...opts, confirmationTimeoutMs: 1000 * DAY }), { confirmationsExpired: 0, jobsDeleted: 0 });
        assert.deepEqual(await f.sweep(T0 + 120 * DAY, { ...opts, confirmationTimeoutMs: 1000 * DAY }), { confirmationsExpired: 0, jobsDeleted: 1 });
        assert.equal(await f.get(waiting), undefined);
        assert.deepEqual(await f.segments(waiting), []);
        assert.equal((await f.get(young))!.status, 'Suspended');
        const events = await f.readEvents(0, 1000);
        assert.ok(events.length > 0, 'the newest event is kept');
      } finally {
        await close();
      }
    });
  });
}
