// CreateJob → Complete of a 4-object S3PutObjectTagging job without confirmation, through the S3
// Control API of an in-process server (SDK v3 client), report enabled. Prints each run's time
// from sending CreateJob to DescribeJob first answering Complete (polled every 2 ms), and the
// median. Target: < 200 ms (AWS: minutes).
//
//   npx tsc -p . && node dist/bench/jobs-latency.js [--runs 20]
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateJobCommand, DescribeJobCommand, S3ControlClient } from '@aws-sdk/client-s3-control';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { loadConfig } from '../src/config.js';
import { startApp } from '../src/app.js';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, s3Client, tempDir } from '../test/helpers/server.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' } } });
const runs = Number(values.runs);
const dir = tempDir('s3batch-bench-latency-');
const config = loadConfig({ port: '0', 'data-dir': dir }, { S3BATCH_ROOT_ACCESS_KEY_ID: ACCESS_KEY_ID, S3BATCH_ROOT_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY, S3BATCH_FSYNC: 'false' });
const app = await startApp(config, (m) => process.stderr.write(m + '\n'));
try {
  const creds = { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY };
  const s3 = s3Client(app.url);
  const iam = new IAMClient({ endpoint: app.url, region: REGION, credentials: creds });
  const control = new S3ControlClient({ region: REGION, credentials: creds, endpointProvider: () => ({ url: new URL(`${app.url}/`) }) });
  for (const b of ['data', 'manifests']) await s3.send(new CreateBucketCommand({ Bucket: b }));
  for (let i = 0; i < 4; i++) await s3.send(new PutObjectCommand({ Bucket: 'data', Key: `k${i}`, Body: 'x' }));
  const put = await s3.send(new PutObjectCommand({ Bucket: 'manifests', Key: 'm.csv', Body: 'data,k0\ndata,k1\ndata,k2\ndata,k3\n' }));
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'batchoperations.s3.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
  const role = await iam.send(new CreateRoleCommand({ RoleName: 'tagger', AssumeRolePolicyDocument: trust }));
  await iam.send(new PutRolePolicyCommand({ RoleName: 'tagger', PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:PutObjectTagging', 's3:GetObject', 's3:PutObject'], Resource: '*' }] }) }));
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const { JobId } = await control.send(new CreateJobCommand({
      AccountId: '000000000000', ConfirmationRequired: false, Priority: 10, RoleArn: role.Role!.Arn!,
      Operation: { S3PutObjectTagging: { TagSet: [{ Key: 'run', Value: String(r) }] } },
      Manifest: { Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key'] }, Location: { ObjectArn: 'arn:aws:s3:::manifests/m.csv', ETag: put.ETag! } },
      Report: { Enabled: true, Bucket: 'arn:aws:s3:::manifests', Format: 'Report_CSV_20180820', Prefix: 'reports', ReportScope: 'AllTasks' },
    }));
    for (;;) {
      const j = (await control.send(new DescribeJobCommand({ AccountId: '000000000000', JobId }))).Job!;
      if (j.Status === 'Complete') break;
      if (j.Status === 'Failed' || j.Status === 'Cancelled') throw new Error(`job ${j.Status}: ${JSON.stringify(j.FailureReasons)}`);
      await new Promise((res) => setTimeout(res, 2));
    }
    times.push(performance.now() - t0);
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(JSON.stringify({ runs, medianMs: Math.round(sorted[Math.floor(runs / 2)]!), p90Ms: Math.round(sorted[Math.floor(runs * 0.9)]!), maxMs: Math.round(sorted[runs - 1]!), all: times.map(Math.round) }));
} finally {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}
