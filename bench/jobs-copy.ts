// Copy of N small (1 KiB) objects from one bucket to another on the embedded store: an
// S3PutObjectCopy job (every task authorized as the job's role, report off) against
// `rclone copy` with server-side copies (CopyObject) and 32 transfers on the same server.
// Target: the job ≥ 10× rclone.
//
//   npx tsc -p . && node dist/bench/jobs-copy.js [--objects 100000]
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { loadConfig } from '../src/config.js';
import { startApp } from '../src/app.js';
import { getBucket } from '../src/store/buckets.js';
import { writeTx } from '../src/store/context.js';
import { commitVersion, insertBlob } from '../src/store/objects.js';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, cliEnv, s3Client, tempDir } from '../test/helpers/server.js';

const run = promisify(execFile);
const { values } = parseArgs({ options: { objects: { type: 'string', default: '100000' } } });
const N = Number(values.objects);
const ACCOUNT = '000000000000';
const keyOf = (i: number): string => `small/${String(i).padStart(7, '0')}.bin`;

const dir = tempDir('s3batch-bench-copy-');
const config = loadConfig({ port: '0', 'data-dir': dir }, { S3BATCH_ROOT_ACCESS_KEY_ID: ACCESS_KEY_ID, S3BATCH_ROOT_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY, S3BATCH_FSYNC: 'false' });
const app = await startApp(config, (m) => process.stderr.write(m + '\n'));
try {
  const s3 = s3Client(app.url);
  for (const b of ['data', 'rclone-copies', 'job-copies', 'manifests']) await s3.send(new CreateBucketCommand({ Bucket: b }));
  const ctx = app.store.ctx;
  const bucket = getBucket(ctx, 'data');
  const body = Buffer.alloc(1024, 7);
  const md5 = createHash('md5').update(body).digest();
  writeTx(ctx, (unlink) => {
    for (let i = 0; i < N; i++) {
      const extents = insertBlob(ctx, { size: body.length, md5, data: body });
      commitVersion(ctx, bucket, keyOf(i), { owner: ACCOUNT, headers: { meta: {} }, storageClass: 'STANDARD', tags: [], acl: null, size: body.length, etag: md5.toString('hex'), extents }, unlink);
    }
  });

  // rclone: server-side copies, 32 transfers.
  const conf = join(dir, 'rclone.conf');
  writeFileSync(conf, '');
  const env = {
    ...cliEnv(), RCLONE_CONFIG: conf, RCLONE_CONFIG_S3B_TYPE: 's3', RCLONE_CONFIG_S3B_PROVIDER: 'Other', RCLONE_CONFIG_S3B_ENDPOINT: app.url,
    RCLONE_CONFIG_S3B_ACCESS_KEY_ID: ACCESS_KEY_ID, RCLONE_CONFIG_S3B_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY, RCLONE_CONFIG_S3B_REGION: REGION, RCLONE_CONFIG_S3B_FORCE_PATH_STYLE: 'true',
  };
  let t0 = performance.now();
  if (process.env.SKIP_RCLONE !== '1') await run('/usr/bin/rclone', ['copy', 's3b:data', 's3b:rclone-copies', '--transfers', '32', '--checkers', '32', '--s3-no-check-bucket'], { env, maxBuffer: 64 * 1024 * 1024, timeout: 1_800_000 });
  const rcloneSeconds = (performance.now() - t0) / 1000;

  // The job.
  let csv = '';
  for (let i = 0; i < N; i++) csv += `data,${keyOf(i)}\n`;
  const put = await s3.send(new PutObjectCommand({ Bucket: 'manifests', Key: 'm.csv', Body: csv }));
  const iam = new IAMClient({ endpoint: app.url, region: REGION, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY } });
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'batchoperations.s3.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
  const role = await iam.send(new CreateRoleCommand({ RoleName: 'copier', AssumeRolePolicyDocument: trust }));
  await iam.send(new PutRolePolicyCommand({ RoleName: 'copier', PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:PutObjectTagging', 's3:GetObjectTagging'], Resource: '*' }] }) }));
  const id = randomUUID();
  t0 = performance.now();
  await app.jobs.create({
    id, accountId: ACCOUNT, priority: 10, tags: [], clientRequestToken: id, requestHash: id, roleArn: role.Role!.Arn!, confirmationRequired: false,
    operation: { kind: 'S3PutObjectCopy', targetResource: 'arn:aws:s3:::job-copies', targetBucket: 'job-copies' },
    manifest: { spec: { format: 'S3BatchOperations_CSV_20180820', fields: ['Bucket', 'Key'] }, location: { objectArn: 'arn:aws:s3:::manifests/m.csv', bucket: 'manifests', key: 'm.csv', etag: put.ETag! } },
    report: { enabled: false },
  }, Date.now());
  app.jobEngine.wake();
  for (;;) {
    const j = (await app.jobs.get(id))!;
    if (j.status === 'Complete' || j.status === 'Failed') {
      if (j.progress.numberOfTasksSucceeded !== N) throw new Error(`job: ${j.status} ${JSON.stringify(j.progress)} ${JSON.stringify(j.failureReasons)}`);
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const jobSeconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ objects: N, rcloneSeconds, rcloneObjectsPerSecond: Math.round(N / rcloneSeconds), jobSeconds, jobObjectsPerSecond: Math.round(N / jobSeconds), speedup: Number((rcloneSeconds / jobSeconds).toFixed(1)) }));
} finally {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}
