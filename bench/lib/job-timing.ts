// The Active phase of a finished job, from the store's own JobStatusChanged event times (its first
// lease → the checkpoint that made it Completing). Benches time jobs this way rather than by
// polling the job's status from the process that runs the engine: each look is CPU the measured
// engine does not get, and the result would depend on how often one looks.
import type { JobStore } from '../../src/jobs/store.js';

export async function activeSeconds(jobs: JobStore, id: string): Promise<number> {
  const events = (await jobs.readEvents(0, 100_000)).filter((e) => e.jobId === id && e.type === 'JobStatusChanged');
  const at = (status: string): number => {
    const e = events.find((x) => x.status === status);
    if (!e) throw new Error(`job ${id} has no ${status} event`);
    return e.time;
  };
  return (at('Completing') - at('Active')) / 1000;
}
