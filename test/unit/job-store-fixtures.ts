/**
 * Shared set-up of the JobStore conformance suites (job-store.test.ts, job-store-preemption.test.ts):
 * the adapters under test, a job definition, segment plans, and a job brought to a status
 * through the transitions the engine makes.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { after } from 'node:test';
import { openControlDb } from '../../src/db/open.js';
import type { ControlDb } from '../../src/db/control-db.js';
import { createSqlJobStore } from '../../src/jobs/store-sql.js';
import type { JobStore, NewJob, SegmentPlan } from '../../src/jobs/store.js';
import type { JobStatus } from '../../src/jobs/model.js';
import { tempDir } from '../helpers/server.js';

export const ACCOUNT = '111122223333';
export const T0 = Date.parse('2024-05-01T10:00:00.000Z');
export const DAY = 86_400_000;
export const LIMITS = { maxGlobal: 100, maxPerJob: 100 };

export function newJob(over: Partial<NewJob> = {}): NewJob {
  return {
    id: randomUUID(),
    accountId: ACCOUNT,
    priority: 10,
    tags: [],
    clientRequestToken: randomUUID(),
    requestHash: 'h1',
    operation: { kind: 'S3PutObjectTagging', tagSet: [['k', 'v']] },
    manifest: {
      spec: { format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'] },
      location: { objectArn: 'arn:aws:s3:::m/manifest.csv', bucket: 'm', key: 'manifest.csv', etag: 'abc' },
    },
    report: { enabled: false },
    roleArn: `arn:aws:iam::${ACCOUNT}:role/batch`,
    confirmationRequired: false,
    ...over,
  };
}

export function plan(n: number, lines = 10): SegmentPlan[] {
  return Array.from({ length: n }, (_, i) => ({ index: i, startByte: i * 100, endByte: (i + 1) * 100, firstLine: i * lines + 1, lineCount: lines }));
}

export interface Adapter {
  readonly name: string;
  open(): Promise<{ store: JobStore; close(): Promise<void> }>;
}

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

export const adapters: Adapter[] = [
  {
    name: 'sql (SQLite)',
    async open() {
      const dir = tempDir('s3batch-jobstore-');
      dirs.push(dir);
      const cdb: ControlDb = await openControlDb(dir);
      return { store: createSqlJobStore(cdb), close: () => cdb.close() };
    },
  },
];

/** A job in `status` with `segments` planned (through the transitions the engine makes). */
export async function jobIn(store: JobStore, status: JobStatus, segments = 0, over: Partial<NewJob> = {}, now = T0): Promise<string> {
  const { job } = await store.create(newJob(over), now);
  const id = job!.id;
  if (status === 'New') return id;
  assert.equal((await store.transition(id, ['New'], 'Preparing', {}, now)).ok, true);
  if (segments > 0) assert.equal(await store.saveSegments(id, plan(segments), segments * 10, now), true);
  if (status === 'Preparing') return id;
  const next = status === 'Suspended' ? 'Suspended' : 'Ready';
  assert.equal((await store.transition(id, ['Preparing'], next, {}, now)).ok, true);
  if (status !== next) assert.equal((await store.transition(id, [next], status, {}, now)).ok, true);
  return id;
}

