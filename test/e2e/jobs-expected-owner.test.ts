/**
 * ExpectedBucketOwner (report, manifest generator source) and ExpectedManifestBucketOwner
 * (generated manifest's output bucket): jobs created and described through the real S3 Control
 * SDK. The right owner runs the job; another 12-digit account fails it in Preparing with a reason
 * that names the bucket, before anything is read or written — and, where the role may not ask
 * (no s3:GetBucketLocation), the bucket owner condition on the job's own writes still refuses the
 * foreign bucket. The same checks hold on a remote endpoint (a second s3batch through the SDK
 * adapter), where they travel as `x-amz-expected-bucket-owner` over HTTP.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, GetObjectTaggingCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CreateJobCommand, DescribeJobCommand, S3ControlClient, type CreateJobCommandInput, type JobDescriptor } from '@aws-sdk/client-s3-control';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY } from '../helpers/server.js';
import { ACCOUNT, BATCH_TRUST, createRole, putObject, startJobsServer, waitForStatus, type JobsServer } from './jobs-fixtures.js';

const OTHER = '111122223333';

function control(url: string): S3ControlClient {
  return new S3ControlClient({ endpoint: url, region: REGION, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }, endpointProvider: () => ({ url: new URL(url) }), maxAttempts: 1 });
}

/** CreateJob through the SDK, then the job's terminal description through DescribeJob. */
async function runJob(srv: JobsServer, input: Omit<CreateJobCommandInput, 'AccountId' | 'Priority' | 'ConfirmationRequired'>): Promise<JobDescriptor> {
  const c = control(srv.url);
  const { JobId } = await c.send(new CreateJobCommand({ AccountId: ACCOUNT, Priority: 10, ConfirmationRequired: false, ...input }));
  await waitForStatus(srv.app, JobId!, ['Complete', 'Failed', 'Cancelled']);
  return (await c.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId }))).Job!;
}

async function keysUnder(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (r.Contents ?? []).map((o) => o.Key!);
}

async function tagOf(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  const r = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
  return r.TagSet?.find((t) => t.Key === 'eo')?.Value;
}

const tagging = (value: string): CreateJobCommandInput['Operation'] => ({ S3PutObjectTagging: { TagSet: [{ Key: 'eo', Value: value }] } });

function csvManifest(etag: string): CreateJobCommandInput['Manifest'] {
  return { Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key'] }, Location: { ObjectArn: 'arn:aws:s3:::eo-manifests/m.csv', ETag: etag } };
}

function report(prefix: string, owner?: string): CreateJobCommandInput['Report'] {
  return { Enabled: true, Bucket: 'arn:aws:s3:::eo-reports', Format: 'Report_CSV_20180820', Prefix: prefix, ReportScope: 'AllTasks', ExpectedBucketOwner: owner };
}

function generator(o: { source?: string; output?: string; prefix: string; suffix: string }): CreateJobCommandInput['ManifestGenerator'] {
  return {
    S3JobManifestGenerator: {
      ExpectedBucketOwner: o.source,
      SourceBucket: 'arn:aws:s3:::eo-data',
      EnableManifestOutput: true,
      ManifestOutputLocation: { ExpectedManifestBucketOwner: o.output, Bucket: 'arn:aws:s3:::eo-gen', ManifestPrefix: o.prefix, ManifestFormat: 'S3InventoryReport_CSV_20211130' },
      Filter: { KeyNameConstraint: { MatchAnySuffix: [o.suffix] } },
    },
  };
}

const ROLE_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:PutObjectTagging', 's3:ListBucket', 's3:GetBucketLocation'];
// What a role needs without the early check: no s3:GetBucketLocation.
const NARROW_ACTIONS = ROLE_ACTIONS.filter((a) => a !== 's3:GetBucketLocation');

async function seed(srv: JobsServer): Promise<string> {
  for (const b of ['eo-data', 'eo-manifests', 'eo-reports', 'eo-gen']) await srv.s3.send(new CreateBucketCommand({ Bucket: b }));
  for (const k of ['a.txt', 'b.txt', 'c.log']) await putObject(srv.s3, 'eo-data', k, `body of ${k}`);
  return putObject(srv.s3, 'eo-manifests', 'm.csv', 'eo-data,a.txt\neo-data,b.txt\n');
}

describe('ExpectedBucketOwner on the embedded store', () => {
  let srv: JobsServer;
  let roleArn: string;
  let narrowArn: string;
  let etag: string;

  before(async () => {
    srv = await startJobsServer();
    etag = await seed(srv);
    roleArn = await createRole(srv.iam, 'batch-eo', ROLE_ACTIONS);
    narrowArn = await createRole(srv.iam, 'batch-eo-narrow', NARROW_ACTIONS);
  });
  after(async () => {
    await srv.stop();
  });

  it('the report bucket with the expected owner: the job completes and writes its report', async () => {
    const job = await runJob(srv, { Operation: tagging('ok'), Manifest: csvManifest(etag), Report: report('right', ACCOUNT), RoleArn: roleArn });
    assert.equal(job.Status, 'Complete', JSON.stringify(job.FailureReasons));
    assert.equal(job.Report?.ExpectedBucketOwner, ACCOUNT);
    assert.equal(job.ProgressSummary?.NumberOfTasksSucceeded, 2);
    assert.ok((await keysUnder(srv.s3, 'eo-reports', `right/job-${job.JobId}/`)).includes(`right/job-${job.JobId}/manifest.json`));
  });

  it('a report bucket of another owner fails the job in Preparing: reason in DescribeJob, no task run, nothing written', async () => {
    const job = await runJob(srv, { Operation: tagging('wrong-report'), Manifest: csvManifest(etag), Report: report('wrong', OTHER), RoleArn: roleArn });
    assert.equal(job.Status, 'Failed');
    assert.deepEqual(job.FailureReasons, [{ FailureCode: 'BucketOwnerMismatch', FailureReason: `The owner of the report bucket eo-reports differs from the ExpectedBucketOwner ${OTHER}.` }]);
    assert.equal(job.Report?.ExpectedBucketOwner, OTHER);
    assert.equal(job.ProgressSummary?.TotalNumberOfTasks, 0);
    assert.notEqual(await tagOf(srv.s3, 'eo-data', 'a.txt'), 'wrong-report');
    assert.deepEqual(await keysUnder(srv.s3, 'eo-reports', 'wrong/'), []);
  });

  it('the generator source and output buckets with the expected owners: the manifest is generated and the job completes', async () => {
    const job = await runJob(srv, { Operation: tagging('gen-ok'), ManifestGenerator: generator({ source: ACCOUNT, output: ACCOUNT, prefix: 'g-ok', suffix: '.log' }), Report: { Enabled: false }, RoleArn: roleArn });
    assert.equal(job.Status, 'Complete', JSON.stringify(job.FailureReasons));
    assert.equal(job.ManifestGenerator?.S3JobManifestGenerator?.ExpectedBucketOwner, ACCOUNT);
    assert.equal(job.ManifestGenerator?.S3JobManifestGenerator?.ManifestOutputLocation?.ExpectedManifestBucketOwner, ACCOUNT);
    assert.equal(job.GeneratedManifestDescriptor?.Location?.ObjectArn, `arn:aws:s3:::eo-gen/g-ok/job-${job.JobId}/manifest.json`);
    assert.equal(await tagOf(srv.s3, 'eo-data', 'c.log'), 'gen-ok');
  });

  it('a generator source bucket of another owner fails the job: nothing listed into a manifest, nothing written', async () => {
    const job = await runJob(srv, { Operation: tagging('gen-src'), ManifestGenerator: generator({ source: OTHER, output: ACCOUNT, prefix: 'g-src', suffix: '.txt' }), Report: { Enabled: false }, RoleArn: roleArn });
    assert.equal(job.Status, 'Failed');
    assert.deepEqual(job.FailureReasons, [{ FailureCode: 'BucketOwnerMismatch', FailureReason: `The owner of the source bucket eo-data differs from the ExpectedBucketOwner ${OTHER}.` }]);
    assert.equal(job.GeneratedManifestDescriptor, undefined);
    assert.deepEqual(await keysUnder(srv.s3, 'eo-gen', 'g-src/'), []);
    assert.notEqual(await tagOf(srv.s3, 'eo-data', 'a.txt'), 'gen-src');
  });

  it('a manifest output bucket of another owner fails the job: no generated manifest, no task run', async () => {
    const job = await runJob(srv, { Operation: tagging('gen-out'), ManifestGenerator: generator({ source: ACCOUNT, output: OTHER, prefix: 'g-out', suffix: '.txt' }), Report: report('gen-out', ACCOUNT), RoleArn: roleArn });
    assert.equal(job.Status, 'Failed');
    assert.deepEqual(job.FailureReasons, [{ FailureCode: 'BucketOwnerMismatch', FailureReason: `The owner of the manifest output bucket eo-gen differs from the ExpectedManifestBucketOwner ${OTHER}.` }]);
    assert.deepEqual(await keysUnder(srv.s3, 'eo-gen', 'g-out/'), []);
    assert.deepEqual(await keysUnder(srv.s3, 'eo-reports', 'gen-out/'), []);
    assert.notEqual(await tagOf(srv.s3, 'eo-data', 'a.txt'), 'gen-out');
  });

  it('a role that may not ask (no s3:GetBucketLocation): the condition on the writes still refuses the foreign bucket', async () => {
    // Generated manifest: its first write is refused, so nothing is written and no task runs.
    const gen = await runJob(srv, { Operation: tagging('narrow-gen'), ManifestGenerator: generator({ output: OTHER, prefix: 'g-narrow', suffix: '.txt' }), Report: { Enabled: false }, RoleArn: narrowArn });
    assert.equal(gen.Status, 'Failed');
    assert.deepEqual(gen.FailureReasons, [{ FailureCode: 'ManifestGenerationFailed', FailureReason: 'Writing the generated manifest to bucket eo-gen failed: AccessDenied: Access Denied' }]);
    assert.deepEqual(await keysUnder(srv.s3, 'eo-gen', 'g-narrow/'), []);
    assert.notEqual(await tagOf(srv.s3, 'eo-data', 'a.txt'), 'narrow-gen');

    // Report: Preparing cannot tell, the tasks run, and the report is not written to the foreign bucket.
    const rep = await runJob(srv, { Operation: tagging('narrow-report'), Manifest: csvManifest(etag), Report: report('narrow', OTHER), RoleArn: narrowArn });
    assert.equal(rep.Status, 'Failed');
    assert.deepEqual(rep.FailureReasons, [{ FailureCode: 'ReportWriteFailed', FailureReason: 'The job report could not be written to your report bucket: AccessDenied: Access Denied' }]);
    assert.equal(rep.ProgressSummary?.NumberOfTasksSucceeded, 2);
    assert.deepEqual(await keysUnder(srv.s3, 'eo-reports', 'narrow/'), []);

    // With the right owner the same role completes: the condition itself costs no permission.
    const ok = await runJob(srv, { Operation: tagging('narrow-ok'), Manifest: csvManifest(etag), Report: report('narrow-ok', ACCOUNT), RoleArn: narrowArn });
    assert.equal(ok.Status, 'Complete', JSON.stringify(ok.FailureReasons));
    assert.equal((await keysUnder(srv.s3, 'eo-reports', `narrow-ok/job-${ok.JobId}/`)).length, 2);
  });
});

describe('ExpectedBucketOwner on a remote endpoint (x-amz-expected-bucket-owner over HTTP)', () => {
  let remote: JobsServer; // holds the buckets
  let host: JobsServer; // runs the jobs
  let roleArn: string;
  let etag: string;

  before(async () => {
    remote = await startJobsServer();
    etag = await seed(remote);
    await remote.iam.send(new CreateUserCommand({ UserName: 's3batch-eo' }));
    await remote.iam.send(new PutUserPolicyCommand({ UserName: 's3batch-eo', PolicyName: 'assume', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] }) }));
    const key = (await remote.iam.send(new CreateAccessKeyCommand({ UserName: 's3batch-eo' }))).AccessKey!;
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] });
    roleArn = await createRole(remote.iam, 'batch-eo-remote', ROLE_ACTIONS, trust);
    host = await startJobsServer({ storage: { kind: 'remote', endpoint: remote.url, region: REGION, accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey!, assumeRole: true } });
    await createRole(host.iam, 'batch-eo-remote', [], BATCH_TRUST);
  });
  after(async () => {
    await host?.stop();
    await remote?.stop();
  });

  it('right owners complete; a report or output bucket of another owner fails in Preparing, nothing written on the remote', async () => {
    const ok = await runJob(host, { Operation: tagging('remote-ok'), Manifest: csvManifest(etag), Report: report('r-ok', ACCOUNT), RoleArn: roleArn });
    assert.equal(ok.Status, 'Complete', JSON.stringify(ok.FailureReasons));
    assert.equal(await tagOf(remote.s3, 'eo-data', 'b.txt'), 'remote-ok');
    assert.ok((await keysUnder(remote.s3, 'eo-reports', `r-ok/job-${ok.JobId}/`)).includes(`r-ok/job-${ok.JobId}/manifest.json`));

    const wrong = await runJob(host, { Operation: tagging('remote-wrong'), Manifest: csvManifest(etag), Report: report('r-wrong', OTHER), RoleArn: roleArn });
    assert.equal(wrong.Status, 'Failed');
    assert.deepEqual(wrong.FailureReasons, [{ FailureCode: 'BucketOwnerMismatch', FailureReason: `The owner of the report bucket eo-reports differs from the ExpectedBucketOwner ${OTHER}.` }]);
    assert.notEqual(await tagOf(remote.s3, 'eo-data', 'b.txt'), 'remote-wrong');
    assert.deepEqual(await keysUnder(remote.s3, 'eo-reports', 'r-wrong/'), []);

    const gen = await runJob(host, { Operation: tagging('remote-gen'), ManifestGenerator: generator({ source: ACCOUNT, output: OTHER, prefix: 'g-remote', suffix: '.log' }), Report: { Enabled: false }, RoleArn: roleArn });
    assert.equal(gen.Status, 'Failed');
    assert.deepEqual(gen.FailureReasons, [{ FailureCode: 'BucketOwnerMismatch', FailureReason: `The owner of the manifest output bucket eo-gen differs from the ExpectedManifestBucketOwner ${OTHER}.` }]);
    assert.deepEqual(await keysUnder(remote.s3, 'eo-gen', 'g-remote/'), []);
  });
});
