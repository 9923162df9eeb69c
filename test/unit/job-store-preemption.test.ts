/**
 * The JobStore conformance suite, pre-emption (store.ts, "Pre-emption"): a checkpoint given the
 * lease limits pauses its job — Active → Pausing, then Paused when its last lease ends — only
 * when every slot is held, its job is the least urgent holder and a strictly more urgent job has
 * a segment it could lease; a lease makes a Pausing or Paused job Active again; Paused time does
 * not count as active time; counts stay exact through pauses and crashes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { JobStatus } from '../../src/jobs/model.js';
import type { JobStore, LeaseLimits, SegmentLease } from '../../src/jobs/store.js';
import { adapters, jobIn, T0 } from './job-store-fixtures.js';

const cp = (linesDone: number, done = false) => ({ linesDone, succeeded: linesDone, failed: 0, results: `@${linesDone}`, done });

async function statusesOf(store: JobStore, id: string): Promise<JobStatus[]> {
  return (await store.readEvents(0, 100_000)).filter((e) => e.jobId === id && e.type === 'JobStatusChanged').map((e) => e.status);
}

for (const adapter of adapters) {
  describe(`JobStore pre-emption: ${adapter.name}`, () => {
    // Each test opens its own store: the capacity checks count every live lease.
    let f: JobStore;
    let close: () => Promise<void>;
    const fresh = async (): Promise<void> => {
      ({ store: f, close } = await adapter.open());
    };

    it('a Pausing job whose runner lost its lease without releasing it is Paused as of the lease\'s expiry', async () => {
      await fresh();
      try {
        const one: LeaseLimits = { maxGlobal: 1, maxPerJob: 10 };
        const low = await jobIn(f, 'Ready', 2, { priority: 1 }, T0);
        const l0 = (await f.leaseSegment('w1', T0, 10_000, one))!;
        const high = await jobIn(f, 'Ready', 3, { priority: 10 }, T0 + 100);
        const r = await f.checkpointSegment(l0.token, cp(2), T0 + 1000, one);
        assert.equal(r.accepted && r.status, 'Pausing');
        // w1 dies, or its renewals stall: no release. Its lease ends at T0 + 10 s.
        const h0 = (await f.leaseSegment('w2', T0 + 11_000, 10_000, one))!;
        assert.equal(h0.jobId, high);
        const job = (await f.get(low))!;
        assert.equal(job.status, 'Paused');
        assert.equal(job.progress.activeSince, undefined);
        assert.equal(job.progress.activeMs, 10_000, 'active until the lease expired, not until someone noticed');
        assert.deepEqual((await statusesOf(f, low)).slice(-2), ['Pausing', 'Paused']);
      } finally {
        await close();
      }
    });

    it('a more urgent job waiting for the only slot pauses the running one; it comes back when the slot is free', async () => {
      await fresh();
      try {
        const one: LeaseLimits = { maxGlobal: 1, maxPerJob: 10 };
        const low = await jobIn(f, 'Ready', 2, { priority: 1 }, T0);
        const l0 = (await f.leaseSegment('w1', T0, 60_000, one))!;
        assert.equal(l0.jobId, low);
        const high = await jobIn(f, 'Ready', 2, { priority: 10 }, T0 + 500);
        assert.equal(await f.leaseSegment('w2', T0 + 500, 60_000, one), undefined, 'the slot is held');

        let r = await f.checkpointSegment(l0.token, cp(2), T0 + 1000);
        assert.equal(r.accepted && r.status, 'Active', 'without limits a checkpoint never pre-empts');
        r = await f.checkpointSegment(l0.token, cp(4), T0 + 2000, one);
        assert.equal(r.accepted && r.status, 'Pausing');
        assert.equal((await f.get(low))!.status, 'Pausing');
        assert.equal(await f.leaseSegment('w2', T0 + 2100, 60_000, one), undefined, 'the pausing job still holds the slot');
        // Its tasks in flight finish and commit; the job stays Pausing, nothing else is paused.
        r = await f.checkpointSegment(l0.token, cp(6), T0 + 3000, one);
        assert.equal(r.accepted && r.status, 'Pausing');
        await f.releaseLease(l0.token, T0 + 4000);
        let job = (await f.get(low))!;
        assert.equal(job.status, 'Paused');
        assert.equal(job.progress.numberOfTasksSucceeded, 6);
        assert.equal(job.progress.activeSince, undefined);
        assert.equal(job.progress.activeMs, 4000, 'Active and Pausing count, from the first lease to the last release');

        const h0 = (await f.leaseSegment('w1', T0 + 5000, 60_000, one))!;
        assert.equal(h0.jobId, high, 'the slot goes to the urgent job');
        r = await f.checkpointSegment(h0.token, cp(5), T0 + 5500, one);
        assert.equal(r.accepted && r.status, 'Active', 'nothing more urgent waits');
        r = await f.checkpointSegment(h0.token, cp(10, true), T0 + 6000, one);
        assert.equal(r.accepted && r.status, 'Active');
        const h1 = (await f.leaseSegment('w1', T0 + 6000, 60_000, one))!;
        assert.deepEqual([h1.jobId, h1.segment.index], [high, 1]);
        r = await f.checkpointSegment(h1.token, cp(10, true), T0 + 7000, one);
        assert.equal(r.accepted && r.status, 'Completing');

        const back = (await f.leaseSegment('w1', T0 + 10_000, 60_000, one))!;
        assert.deepEqual([back.jobId, back.segment.index, back.segment.linesDone, back.segment.attempts], [low, 0, 6, 2], 'resumes after its checkpoint');
        job = (await f.get(low))!;
        assert.equal(job.status, 'Active');
        assert.equal(job.progress.activeSince, T0 + 10_000);
        assert.equal(job.progress.activeMs, 4000, 'Paused time is not active time');
        assert.deepEqual(await statusesOf(f, low), ['Preparing', 'Ready', 'Active', 'Pausing', 'Paused', 'Active']);
      } finally {
        await close();
      }
    });

    it('no pause while a slot is free, between equal priorities, or when the urgent job is at its own limit', async () => {
      await fresh();
      try {
        const two: LeaseLimits = { maxGlobal: 2, maxPerJob: 1 };
        const low = await jobIn(f, 'Ready', 3, { priority: 1 }, T0);
        const l0 = (await f.leaseSegment('w1', T0, 60_000, two))!;
        const high = await jobIn(f, 'Ready', 3, { priority: 10 }, T0 + 1);
        let r = await f.checkpointSegment(l0.token, cp(1), T0 + 10, two);
        assert.equal(r.accepted && r.status, 'Active', 'a slot is free: an idle runner takes the urgent job');
        const h0 = (await f.leaseSegment('w2', T0 + 20, 60_000, two))!;
        assert.equal(h0.jobId, high);
        r = await f.checkpointSegment(l0.token, cp(2), T0 + 30, two);
        assert.equal(r.accepted && r.status, 'Active', 'the urgent job holds all it may (maxPerJob)');
        assert.equal((await f.get(low))!.status, 'Active');

        const { store: g, close: closeG } = await adapter.open();
        try {
          const one: LeaseLimits = { maxGlobal: 1, maxPerJob: 10 };
          const a = await jobIn(g, 'Ready', 2, { priority: 5 }, T0);
          const a0 = (await g.leaseSegment('w1', T0, 60_000, one))!;
          await jobIn(g, 'Ready', 2, { priority: 5 }, T0 + 1);
          const r2 = await g.checkpointSegment(a0.token, cp(1), T0 + 10, one);
          assert.equal(r2.accepted && r2.status, 'Active', 'equal priority never pre-empts');
          assert.equal((await g.get(a))!.status, 'Active');
        } finally {
          await closeG();
        }
      } finally {
        await close();
      }
    });

    it('the least urgent holder gives way, one at a time', async () => {
      await fresh();
      try {
        const two: LeaseLimits = { maxGlobal: 2, maxPerJob: 1 };
        const low1 = await jobIn(f, 'Ready', 2, { priority: 1 }, T0);
        const low2 = await jobIn(f, 'Ready', 2, { priority: 2 }, T0 + 1);
        const a = (await f.leaseSegment('w1', T0 + 2, 60_000, two))!;
        const b = (await f.leaseSegment('w2', T0 + 2, 60_000, two))!;
        assert.deepEqual([a.jobId, b.jobId].sort(), [low1, low2].sort());
        const [l1, l2] = a.jobId === low1 ? [a, b] : [b, a];
        const high = await jobIn(f, 'Ready', 3, { priority: 10 }, T0 + 3);
        let r = await f.checkpointSegment(l2.token, cp(1), T0 + 10, two);
        assert.equal(r.accepted && r.status, 'Active', 'a less urgent job holds a slot');
        r = await f.checkpointSegment(l1.token, cp(1), T0 + 20, two);
        assert.equal(r.accepted && r.status, 'Pausing');
        r = await f.checkpointSegment(l2.token, cp(2), T0 + 30, two);
        assert.equal(r.accepted && r.status, 'Active', 'the slot on its way back is enough for now');
        await f.releaseLease(l1.token, T0 + 40);
        assert.equal((await f.get(low1))!.status, 'Paused');
        assert.equal((await f.leaseSegment('w1', T0 + 50, 60_000, two))!.jobId, high);
        r = await f.checkpointSegment(l2.token, cp(3), T0 + 60, two);
        assert.equal(r.accepted && r.status, 'Active', 'the urgent job is at its own limit');
        assert.deepEqual(await statusesOf(f, low2), ['Preparing', 'Ready', 'Active']);
      } finally {
        await close();
      }
    });

    it('raising a paused job above the running one pauses that one and resumes the raised one', async () => {
      await fresh();
      try {
        const one: LeaseLimits = { maxGlobal: 1, maxPerJob: 10 };
        const low = await jobIn(f, 'Ready', 2, { priority: 1 }, T0);
        const l0 = (await f.leaseSegment('w1', T0, 60_000, one))!;
        const high = await jobIn(f, 'Ready', 2, { priority: 10 }, T0 + 1);
        assert.equal((await f.checkpointSegment(l0.token, cp(3), T0 + 10, one)).accepted, true);
        await f.releaseLease(l0.token, T0 + 20);
        assert.equal((await f.get(low))!.status, 'Paused');
        const h0 = (await f.leaseSegment('w1', T0 + 30, 60_000, one))!;
        assert.equal(h0.jobId, high);

        assert.equal((await f.updatePriority(low, 50, T0 + 40)).ok, true);
        const r = await f.checkpointSegment(h0.token, cp(2), T0 + 50, one);
        assert.equal(r.accepted && r.status, 'Pausing');
        await f.releaseLease(h0.token, T0 + 60);
        assert.equal((await f.get(high))!.status, 'Paused');
        const again = (await f.leaseSegment('w1', T0 + 70, 60_000, one))!;
        assert.deepEqual([again.jobId, again.segment.linesDone], [low, 3]);
        assert.equal((await f.get(low))!.status, 'Active');
      } finally {
        await close();
      }
    });

    it('a Pausing job is Paused when its last lease ends, by release or by finishing its segment; leased again, it is Active', async () => {
      await fresh();
      try {
        const two: LeaseLimits = { maxGlobal: 2, maxPerJob: 2 };
        const low = await jobIn(f, 'Ready', 3, { priority: 1 }, T0);
        const a = (await f.leaseSegment('w1', T0, 60_000, two))!;
        const b = (await f.leaseSegment('w2', T0, 60_000, two))!;
        const high = await jobIn(f, 'Ready', 1, { priority: 10 }, T0 + 1);
        assert.equal((await f.checkpointSegment(a.token, cp(1), T0 + 10, two)).accepted, true);
        assert.equal((await f.get(low))!.status, 'Pausing');
        await f.releaseLease(a.token, T0 + 20);
        assert.equal((await f.get(low))!.status, 'Pausing', 'another lease is still draining');
        assert.equal((await f.leaseSegment('w1', T0 + 30, 60_000, two))!.jobId, high);
        const r = await f.checkpointSegment(b.token, cp(10, true), T0 + 40, two);
        assert.equal(r.accepted && r.status, 'Paused', 'its last lease ended with its segment');
        const c = (await f.leaseSegment('w2', T0 + 50, 60_000, two))!;
        assert.equal(c.jobId, low);
        assert.equal((await f.get(low))!.status, 'Active');

        // A dead incarnation's leases: taken back at start, the Pausing job settles to Paused.
        const third = await jobIn(f, 'Ready', 1, { priority: 20 }, T0 + 70);
        assert.equal((await f.checkpointSegment(c.token, cp(3), T0 + 80, two)).accepted, true);
        assert.equal((await f.get(low))!.status, 'Pausing');
        assert.equal(await f.releaseLeasesNotHeldBy('w9', T0 + 90), 2);
        assert.equal((await f.get(low))!.status, 'Paused');
        assert.equal((await f.leaseSegment('w9', T0 + 100, 60_000, two))!.jobId, third);
      } finally {
        await close();
      }
    });

    it('workers that pre-empt each other and crash still count every task exactly once', async () => {
      await fresh();
      try {
        const limits: LeaseLimits = { maxGlobal: 2, maxPerJob: 2 };
        const segs = 12;
        const ids = [await jobIn(f, 'Ready', segs, { priority: 1 }, T0)];
        let clock = T0;
        let started = 0;
        const worker = async (w: number): Promise<void> => {
          for (let round = 0; ; round++) {
            const now = (clock += 10);
            const l: SegmentLease | undefined = await f.leaseSegment(`w${w}`, now, 500, limits);
            if (!l) {
              const all = await Promise.all(ids.map((id) => f.get(id)));
              if (all.every((j) => j!.status === 'Completing')) return;
              clock += 600; // let crashed leases expire
              continue;
            }
            let { linesDone, succeeded, failed } = l.segment;
            while (linesDone < l.segment.lineCount) {
              linesDone += 2;
              if ((linesDone / 2) % 3 === 0) failed += 2;
              else succeeded += 2;
              if ((w + round + linesDone) % 23 === 0) break; // "crash": never checkpointed, never released
              // More urgent jobs arrive while segments run.
              if (round >= 1 && linesDone === 4 && started < 2) ids.push(await jobIn(f, 'Ready', segs, { priority: 10 * (++started + 1) }, clock));
              const r = await f.checkpointSegment(l.token, { linesDone, succeeded, failed, results: `${l.segment.index}@${linesDone}`, done: linesDone === l.segment.lineCount }, (clock += 1), limits);
              if (!r.accepted) break;
              if (r.status !== 'Active' && linesDone < l.segment.lineCount) {
                await f.releaseLease(l.token, (clock += 1));
                break;
              }
            }
          }
        };
        await Promise.all([0, 1].map(worker));
        assert.equal(ids.length, 3);
        let paused = 0;
        for (const id of ids) {
          const job = (await f.get(id))!;
          assert.equal(job.status, 'Completing');
          assert.equal(job.progress.numberOfTasksSucceeded, segs * 8);
          assert.equal(job.progress.numberOfTasksFailed, segs * 2);
          const seen = new Map<number, number[]>();
          for await (const ch of f.readResults(id)) seen.set(ch.segmentIndex, [...(seen.get(ch.segmentIndex) ?? []), ch.linesDone]);
          assert.equal(seen.size, segs);
          for (const lines of seen.values()) assert.deepEqual(lines, [2, 4, 6, 8, 10]);
          paused += (await statusesOf(f, id)).filter((s) => s === 'Paused').length;
        }
        assert.ok(paused > 0, 'some job was paused');
      } finally {
        await close();
      }
    });
  });
}
