// Job engine overhead against a remote endpoint: PutObjectTagging on N objects of a second
// s3batch process (the "remote"), once by a raw SDK loop at C calls in flight and once by an
// S3PutObjectTagging job of an in-process s3batch whose engine reaches the remote through the SDK
// adapter at the same concurrency. Rounds alternate raw and job; prints every rate, each job ÷ the
// raw runs either side of it, and the median of those ratios (target ≥ 0.95).
//
//   npx tsc -p . && node dist/bench/jobs-remote.js [--objects 20000] [--concurrency 128] [--rounds 3]
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, PutObjectCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { loadConfig } from '../src/config.js';
import { startApp } from '../src/app.js';
import { activeSeconds } from './lib/job-timing.js';
import { createBucket, getBucket } from '../src/store/buckets.js';
import { writeTx } from '../src/store/context.js';
import { commitVersion } from '../src/store/objects.js';
import { openStore } from '../src/store/open.js';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, s3Client, startProcess, tempDir } from '../test/helpers/server.js';

const { values } = parseArgs({ options: { objects: { type: 'string', default: '20000' }, concurrency: { type: 'string', default: '128' }, rounds: { type: 'string', default: '3' } } });
const N = Number(values.objects);
const C = Number(values.concurrency);
const ROUNDS = Number(values.rounds);
const ACCOUNT = '000000000000';
const keyOf = (i: number): string => `obj/${String(i).padStart(7, '0')}`;

const remoteDir = tempDir('s3batch-bench-remote-');
const store = openStore(remoteDir, { inlineThreshold: 65536, fsync: false, restoreDelays: { Expedited: 1, Standard: 1, Bulk: 1 } });
createBucket(store.ctx, { name: 'data', owner: ACCOUNT, region: REGION, objectLock: false, acl: null });
const b = getBucket(store.ctx, 'data');
writeTx(store.ctx, (u) => {
  for (let i = 0; i < N; i++) commitVersion(store.ctx, b, keyOf(i), { owner: ACCOUNT, headers: { meta: {} }, storageClass: 'STANDARD', tags: [], acl: null, size: 0, etag: 'd41d8cd98f00b204e9800998ecf8427e', extents: [] }, u);
});
store.close();
const remote = await startProcess({ dataDir: remoteDir, env: { S3BATCH_FSYNC: 'false' } });
const hostDir = tempDir('s3batch-bench-host-');
try {
  const s3 = s3Client(remote.url, { requestHandler: { httpAgent: { keepAlive: true, maxSockets: 256 } } });
  await s3.send(new CreateBucketCommand({ Bucket: 'manifests' }));
  let csv = '';
  for (let i = 0; i < N; i++) csv += `data,${keyOf(i)}\n`;
  const put = await s3.send(new PutObjectCommand({ Bucket: 'manifests', Key: 'm.csv', Body: csv }));
  const config = loadConfig({ port: '0', 'data-dir': hostDir }, { S3BATCH_ROOT_ACCESS_KEY_ID: ACCESS_KEY_ID, S3BATCH_ROOT_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY, S3BATCH_FSYNC: 'false' });
  const app = await startApp(config, (m) => process.stderr.write(m + '\n'), {
    storage: { kind: 'remote', endpoint: remote.url, region: REGION, accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
    engine: { maxTasksPerJob: C, maxTasks: C, segmentLines: Math.ceil(N / 8), maxSegments: 4, maxSegmentsPerJob: 4 },
  });
  try {
    const iam = new IAMClient({ endpoint: app.url, region: REGION, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY } });
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'batchoperations.s3.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    const role = await iam.send(new CreateRoleCommand({ RoleName: 'tagger', AssumeRolePolicyDocument: trust }));

    // Raw SDK loop: C calls in flight, tasks per second over the whole loop.
    const rawRun = async (round: number): Promise<number> => {
      let next = 0;
      const t0 = performance.now();
      await Promise.all(Array.from({ length: C }, async () => {
        while (next < N) {
          const i = next++;
          await s3.send(new PutObjectTaggingCommand({ Bucket: 'data', Key: keyOf(i), Tagging: { TagSet: [{ Key: 'raw', Value: String(round) }] } }));
        }
      }));
      return N / ((performance.now() - t0) / 1000);
    };

    // The same calls as a job: tasks per second from its Active event to its Completing event (the
    // store's own timestamps), so how often this loop looks does not matter — it looks every 100 ms,
    // since each look is CPU taken from the engine in this process.
    const jobRun = async (round: number): Promise<number> => {
      const id = randomUUID();
      await app.jobs.create({
        id, accountId: ACCOUNT, priority: 10, tags: [], clientRequestToken: id, requestHash: id, roleArn: role.Role!.Arn!, confirmationRequired: false,
        operation: { kind: 'S3PutObjectTagging', tagSet: [['job', String(round)]] },
        manifest: { spec: { format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'] }, location: { objectArn: 'arn:aws:s3:::manifests/m.csv', bucket: 'manifests', key: 'm.csv', etag: put.ETag! } },
        report: { enabled: false },
      }, Date.now());
      app.jobEngine.wake();
      for (;;) {
        const j = (await app.jobs.get(id))!;
        if (j.status === 'Failed' || j.status === 'Cancelled') throw new Error(`job: ${j.status} ${JSON.stringify(j.failureReasons)}`);
        if (j.status === 'Complete') {
          if (j.progress.numberOfTasksSucceeded !== N) throw new Error(`job: ${JSON.stringify(j.progress)}`);
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      return N / (await activeSeconds(app.jobs, id));
    };

    // Interleaved, so drift in the shared machine's load hits both sides alike: raw, job, raw, …
    // and each job is compared with the mean of the raw runs either side of it.
    const raws = [await rawRun(0)];
    const jobs: number[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      jobs.push(await jobRun(r));
      raws.push(await rawRun(r));
    }
    const ratios = jobs.map((j, i) => j / ((raws[i]! + raws[i + 1]!) / 2));
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(JSON.stringify({
      objects: N, concurrency: C, rounds: ROUNDS,
      rawTasksPerSecond: raws.map(Math.round), jobTasksPerSecond: jobs.map(Math.round),
      ratios: ratios.map((x) => Number(x.toFixed(3))), medianRatio: Number(median(ratios).toFixed(3)),
    }));
  } finally {
    await app.close();
  }
} finally {
  await remote.stop();
  rmSync(remoteDir, { recursive: true, force: true });
  rmSync(hostDir, { recursive: true, force: true });
}
