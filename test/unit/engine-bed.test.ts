/**
 * The engine loops' Bed: a wake that comes while the loop is awake is kept for its next sleep
 * (the lost wake-up that would otherwise leave an idle engine blind until its next poll), a
 * timeout says so, a stop wakes every sleeper, and no sleep leaves a listener on the stop signal.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { Bed } from '../../src/jobs/engine/bed.js';

it('a wake while awake is kept for the next sleep, once', async () => {
  const bed = new Bed(new AbortController().signal);
  bed.wake();
  bed.wake();
  assert.equal(await bed.sleep(10_000), true, 'returns at once');
  assert.equal(await bed.sleep(20), false, 'the two wakes were one');
});

it('wakes a sleeper, times out, and a stop wakes an untimed sleep', async () => {
  const stop = new AbortController();
  const bed = new Bed(stop.signal);
  const t0 = Date.now();
  const sleeping = bed.sleep(10_000);
  assert.equal(bed.asleep, true);
  setTimeout(() => bed.wake(), 20);
  assert.equal(await sleeping, true);
  assert.ok(Date.now() - t0 < 5_000);
  assert.equal(bed.asleep, false);
  assert.equal(await bed.sleep(10), false);
  const forever = bed.sleep();
  setTimeout(() => stop.abort(), 20);
  assert.equal(await forever, true);
  assert.equal(await bed.sleep(), true, 'stopped: sleeps return at once');
});

it('leaves no listener on the stop signal', async () => {
  const stop = new AbortController();
  const bed = new Bed(stop.signal);
  for (let i = 0; i < 100; i++) {
    const p = bed.sleep(i % 2 === 0 ? 1 : undefined);
    if (i % 2 === 1) bed.wake();
    await p;
  }
  assert.equal(getEventListeners(stop.signal, 'abort').length, 0);
});
