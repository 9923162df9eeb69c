// Replace-tags on N objects of the embedded store (default 1 M): an S3PutObjectTagging job run
// by the in-process job engine, every task authorized as the job's role, report AllTasks.
// Reports tasks/s over the Active phase (its Active → Completing event times) and end to end.
//
//   npx tsc -p . && node dist/bench/jobs-tagging.js [--objects 1000000] [--json out.json]
//
// The objects are inserted straight through the store (putting 1 M objects over HTTP would
// dominate the run); the manifest goes through S3 PutObject, the job through the JobStore as
// CreateJob stores it.
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, GetObjectTaggingCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { loadConfig } from '../src/config.js';
import { startApp } from '../src/app.js';
import { activeSeconds } from './lib/job-timing.js';
import { getBucket } from '../src/store/buckets.js';
import { commitVersion } from '../src/store/objects.js';
import { writeTx } from '../src/store/context.js';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, s3Client, tempDir } from '../test/helpers/server.js';

const { values } = parseArgs({ options: { objects: { type: 'string', default: '1000000' }, json: { type: 'string' } } });
const N = Number(values.objects);

const dir = tempDir('s3batch-bench-tags-');
const config = loadConfig({ port: '0', 'data-dir': dir }, { S3BATCH_ROOT_ACCESS_KEY_ID: ACCESS_KEY_ID, S3BATCH_ROOT_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY, S3BATCH_FSYNC: 'false' });
const app = await startApp(config, (m) => process.stderr.write(m + '\n'), { engine: JSON.parse(process.env.BENCH_ENGINE ?? '{}') });
try {
  const s3 = s3Client(app.url);
  const iam = new IAMClient({ endpoint: app.url, region: REGION, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY } });
  await s3.send(new CreateBucketCommand({ Bucket: 'data' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'manifests' }));
  const ctx = app.store.ctx;
  const t0 = performance.now();
  const bucket = getBucket(ctx, 'data');
  for (let i = 0; i < N; i += 50_000) {
    writeTx(ctx, (unlink) => {
      for (let j = i; j < Math.min(N, i + 50_000); j++) {
        commitVersion(ctx, bucket, `photos/2024/img_${String(j).padStart(7, '0')}.jpg`, { owner: '000000000000', headers: { meta: {} }, storageClass: 'STANDARD', tags: [['old', 'tag']], acl: null, size: 0, etag: 'd41d8cd98f00b204e9800998ecf8427e', extents: [] }, unlink);
      }
    });
  }
  process.stderr.write(`inserted ${N} objects in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  const lines: string[] = [];
  for (let j = 0; j < N; j++) lines.push(`data,photos/2024/img_${String(j).padStart(7, '0')}.jpg\n`);
  const put = await s3.send(new PutObjectCommand({ Bucket: 'manifests', Key: 'all.csv', Body: lines.join('') }));
  lines.length = 0;
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'batchoperations.s3.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
  const role = await iam.send(new CreateRoleCommand({ RoleName: 'tagger', AssumeRolePolicyDocument: trust }));
  await iam.send(new PutRolePolicyCommand({
    RoleName: 'tagger',
    PolicyName: 'tagging',
    PolicyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['s3:PutObjectTagging', 's3:PutObjectVersionTagging'], Resource: 'arn:aws:s3:::data/*' },
        { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'], Resource: ['arn:aws:s3:::manifests/*'] },
      ],
    }),
  }));
  const id = randomUUID();
  const created = performance.now();
  await app.jobs.create({
    id, accountId: '000000000000', priority: 10, tags: [], clientRequestToken: id, requestHash: id, roleArn: role.Role!.Arn!, confirmationRequired: false,
    operation: { kind: 'S3PutObjectTagging', tagSet: [['retention', '7y'], ['team', 'storage']] },
    manifest: { spec: { format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'] }, location: { objectArn: 'arn:aws:s3:::manifests/all.csv', bucket: 'manifests', key: 'all.csv', etag: put.ETag! } },
    report: { enabled: true, bucketArn: 'arn:aws:s3:::manifests', bucket: 'manifests', format: 'Report_CSV_20180820', prefix: 'reports', reportScope: 'AllTasks' },
  }, Date.now());
  app.jobEngine.wake();
  let activeAt: number | undefined;
  let cpuAtActive: NodeJS.CpuUsage | undefined;
  let cpuActive: NodeJS.CpuUsage | undefined;
  let completingAt: number | undefined;
  for (;;) {
    const j = (await app.jobs.get(id))!;
    if (j.status === 'Active' && activeAt === undefined) {
      activeAt = performance.now();
      cpuAtActive = process.cpuUsage();
    }
    if ((j.status === 'Completing' || j.status === 'Complete') && completingAt === undefined) {
      completingAt = performance.now();
      cpuActive = process.cpuUsage(cpuAtActive);
    }
    if (j.status === 'Complete' || j.status === 'Failed') {
      const done = performance.now();
      if (j.status !== 'Complete' || j.progress.numberOfTasksSucceeded !== N) throw new Error(`job ended ${j.status}: ${JSON.stringify(j.progress)} ${JSON.stringify(j.failureReasons)}`);
      const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: 'data', Key: `photos/2024/img_${String(N - 1).padStart(7, '0')}.jpg` }));
      if (tags.TagSet?.length !== 2) throw new Error('last object not tagged');
      // By the job's own event times (lib/job-timing.ts), so this loop looks only every 100 ms.
      const active = await activeSeconds(app.jobs, id);
      const total = (done - created) / 1000;
      // CPU of this process over the Active phase: near 1 s per second means one core saturated.
      const cpu = cpuActive ? (cpuActive.user + cpuActive.system) / 1e6 : undefined;
      const result = { objects: N, activeCpuSeconds: cpu, loadAverage: (await import('node:os')).loadavg()[0], activeSeconds: active, activeTasksPerSecond: Math.round(N / active), totalSeconds: total, endToEndTasksPerSecond: Math.round(N / total) };
      console.log(JSON.stringify(result));
      if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2));
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
} finally {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}
