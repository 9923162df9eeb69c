/**
 * `s3batch jobs …` end to end: a real server process, a role and objects made through the public
 * APIs, then every jobs subcommand as a child process (non-TTY output), asserting exact statuses,
 * counts and exit codes (0 ok, 1 AWS error or a failed/cancelled job, 2 usage).
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  CreateBucketCommand, GetObjectCommand, GetObjectTaggingCommand, ListObjectVersionsCommand, PutObjectCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { IAMClient } from '@aws-sdk/client-iam';
import { CreateJobCommand, DescribeJobCommand, S3ControlClient, type JobOperation } from '@aws-sdk/client-s3-control';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, mainJs, s3Client, startProcess, type ProcessServer } from '../helpers/server.js';
import { s3DeleteObjectPlugin } from '../../src/cli/delete-object-extension.js';
import { createRole, putObject } from './jobs-fixtures.js';

let srv: ProcessServer;
let s3: S3Client;
let control: S3ControlClient;
let roleArn: string;
let deleteRoleArn: string;
let manifestEtag: string;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(...args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY, AWS_REGION: REGION, S3BATCH_ENDPOINT: srv.url };
  delete env.AWS_SESSION_TOKEN;
  delete env.AWS_PROFILE;
  return new Promise((resolve) => {
    execFile(process.execPath, [mainJs, 'jobs', ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function ok(...args: string[]): Promise<string> {
  const r = await cli(...args);
  assert.equal(r.code, 0, `jobs ${args.join(' ')} → ${r.code}\n${r.stdout}\n${r.stderr}`);
  assert.equal(r.stderr, '', 'nothing on stderr');
  return r.stdout;
}

const TAGGING = JSON.stringify({ S3PutObjectTagging: { TagSet: [{ Key: 'reviewed', Value: 'yes' }] } });

function manifestJson(): string {
  return JSON.stringify({ Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key'] }, Location: { ObjectArn: 'arn:aws:s3:::cli-src/manifests/m.csv', ETag: manifestEtag } });
}

async function describeJson(id: string): Promise<Record<string, any>> {
  return JSON.parse(await ok('describe', '--json', id)) as Record<string, any>;
}

before(async () => {
  srv = await startProcess();
  s3 = s3Client(srv.url);
  control = new S3ControlClient({ region: REGION, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }, endpointProvider: () => ({ url: new URL(srv.url) }), maxAttempts: 1 });
  const iam = new IAMClient({ endpoint: srv.url, region: REGION, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }, maxAttempts: 1 });
  for (const b of ['cli-src', 'cli-reports']) await s3.send(new CreateBucketCommand({ Bucket: b }));
  for (const k of ['a.txt', 'b c.txt', 'd.txt']) await putObject(s3, 'cli-src', k, `body of ${k}`);
  manifestEtag = await putObject(s3, 'cli-src', 'manifests/m.csv', 'cli-src,a.txt\ncli-src,b%20c.txt\ncli-src,d.txt\ncli-src,missing.txt\n');
  roleArn = await createRole(iam, 'cli-batch', ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:PutObjectTagging', 's3:PutObjectVersionTagging']);
  deleteRoleArn = await createRole(iam, 'cli-delete', ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:BypassGovernanceRetention']);
  await s3.send(new CreateBucketCommand({ Bucket: 'cli-locked', ObjectLockEnabledForBucket: true }));
});

after(async () => {
  await srv?.stop();
});

let runId = '';

it('create --no-confirmation with --manifest-csv and --report-prefix, watch until Complete', { timeout: 60_000 }, async () => {
  const out = await ok('create', '--operation', TAGGING, '--manifest-csv', 's3://cli-src/manifests/m.csv', '--report-prefix', 's3://cli-reports/runs/', '--role-arn', roleArn, '--priority', '7', '--description', 'cli run', '--no-confirmation');
  runId = out.trim();
  assert.match(runId, /^[0-9a-f-]{36}$/);
  const w = await cli('watch', runId, '--interval', '0.1');
  assert.equal(w.code, 0, w.stdout + w.stderr);
  const lines = w.stdout.trim().split('\n');
  assert.equal(lines.at(-1), `Job ${runId} Complete`);
  assert.match(lines.at(-2)!, /^Complete {2}4\/4 tasks {2}100\.0% {2}\S+ tasks\/s {2}1 failed$/);
  assert.ok(!w.stdout.includes('\r'), 'no carriage returns when stdout is not a TTY');
  const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: 'cli-src', Key: 'b c.txt' }));
  assert.deepEqual(tags.TagSet, [{ Key: 'reviewed', Value: 'yes' }]);
});

it('describe --json, describe (table), list and list --status', async () => {
  const j = await describeJson(runId);
  assert.equal(j.JobId, runId);
  assert.equal(j.Status, 'Complete');
  assert.equal(j.Priority, 7);
  assert.equal(j.Description, 'cli run');
  assert.equal(j.ConfirmationRequired, false);
  assert.deepEqual({ ...j.ProgressSummary, Timers: undefined }, { TotalNumberOfTasks: 4, NumberOfTasksSucceeded: 3, NumberOfTasksFailed: 1, Timers: undefined });
  assert.equal(j.Manifest.Location.ObjectArn, 'arn:aws:s3:::cli-src/manifests/m.csv');
  assert.equal(j.Manifest.Location.ETag, manifestEtag, '--manifest-csv looked the ETag up (DescribeJob echoes it unquoted)');
  assert.deepEqual(j.Report, { Bucket: 'arn:aws:s3:::cli-reports', Format: 'Report_CSV_20180820', Enabled: true, Prefix: 'runs', ReportScope: 'AllTasks' });

  const table = await ok('describe', runId);
  assert.match(table, new RegExp(`^Job ID +${runId}$`, 'm'));
  assert.match(table, /^Status +Complete$/m);
  assert.match(table, /^Progress +4\/4 done \(3 succeeded, 1 failed\)$/m);

  const list = await ok('list');
  const row = list.split('\n').find((l) => l.startsWith(runId));
  assert.ok(row, list);
  assert.match(row, /\s+Complete\s+S3PutObjectTagging\s+7\s+4\/4 done \(3 succeeded, 1 failed\)\s+\S+Z\s+cli run$/);
  assert.equal(await ok('list', '--status', 'Failed'), 'no jobs\n');
  const listed = JSON.parse(await ok('list', '--status', 'Complete', '--json')) as { Jobs: { JobId: string }[] };
  assert.deepEqual(listed.Jobs.map((x) => x.JobId), [runId]);
});

it('report: summary counts and --failed rows', async () => {
  const out = await ok('report', runId, '--failed');
  assert.match(out, new RegExp(`^Report +s3://cli-reports/runs/job-${runId}/$`, 'm'));
  assert.match(out, /^Succeeded +3$/m);
  assert.match(out, /^Failed +1$/m);
  assert.match(out, /^Files +2$/m);
  assert.match(out, /^cli-src\tmissing\.txt\t-\t404\tNoSuchKey\t/m);
  const j = JSON.parse(await ok('report', runId, '--json')) as { Succeeded: number; Failed: number; FailedTasks: { Key: string; ErrorCode: string; HTTPStatusCode: number }[] };
  assert.equal(j.Succeeded, 3);
  assert.equal(j.Failed, 1);
  assert.deepEqual(j.FailedTasks.map((t) => [t.Key, t.ErrorCode, t.HTTPStatusCode]), [['missing.txt', 'NoSuchKey', 404]]);
});

it('create with confirmation waits Suspended; priority; confirm runs it to Complete', { timeout: 60_000 }, async () => {
  const id = (await ok('create', '--operation', TAGGING, '--manifest', manifestJson(), '--role-arn', roleArn)).trim();
  // Preparing ends in Suspended (awaiting confirmation).
  let status: string | undefined;
  for (let i = 0; i < 200 && status !== 'Suspended'; i++) {
    status = (await control.send(new DescribeJobCommand({ AccountId: '000000000000', JobId: id }))).Job?.Status;
    if (status !== 'Suspended') await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(status, 'Suspended');
  assert.match(await ok('describe', id), /^Confirmation +required$/m);
  assert.equal(await ok('priority', id, '42'), `${id} priority 42\n`);
  assert.equal((await describeJson(id)).Priority, 42);
  assert.equal(await ok('confirm', id), `${id} Ready\n`);
  const w = await cli('watch', id, '--interval', '0.1');
  assert.equal(w.code, 0, w.stdout + w.stderr);
  assert.equal(w.stdout.trim().split('\n').at(-1), `Job ${id} Complete`);
  const j = await describeJson(id);
  assert.equal(j.Report.Enabled, false);
  const r = await cli('report', id);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `s3batch jobs: job ${id} has no completion report (Report.Enabled is false)\n`);
});

it('cancel: the job ends Cancelled and watch exits 1', { timeout: 30_000 }, async () => {
  const id = (await ok('create', '--operation', TAGGING, '--manifest', manifestJson(), '--role-arn', roleArn, '--report', JSON.stringify({ Enabled: false }))).trim();
  assert.equal(await ok('cancel', id, '--reason', 'not needed'), `${id} Cancelled\n`);
  const w = await cli('watch', id, '--interval', '0.1');
  assert.equal(w.code, 1);
  assert.equal(w.stdout.trim().split('\n').at(-1), `Job ${id} Cancelled`);
  assert.match(w.stdout, /^reason: not needed$/m);
  assert.equal((await describeJson(id)).Status, 'Cancelled');
});

it('errors: an unknown id is NotFoundException (exit 1); bad usage exits 2', async () => {
  const r = await cli('describe', '00000000-0000-4000-8000-000000000000');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^s3batch jobs: NotFoundException \(HTTP 404\): .+\n$/);
  assert.equal(r.stdout, '');
  const p = await cli('priority', 'abc');
  assert.equal(p.code, 2);
  assert.match(p.stderr, /^s3batch jobs: jobs priority needs a job id and a priority\n/);
  const c = await cli('create', '--operation', '{nope', '--manifest', manifestJson(), '--role-arn', roleArn);
  assert.equal(c.code, 2);
  assert.match(c.stderr, /^s3batch jobs: --operation is not valid JSON/);
  const u = await cli('frobnicate');
  assert.equal(u.code, 2);
  assert.match(u.stderr, /unknown jobs command 'frobnicate'/);
});

async function watchToComplete(id: string): Promise<void> {
  const w = await cli('watch', id, '--interval', '0.1');
  assert.equal(w.code, 0, w.stdout + w.stderr);
  assert.equal(w.stdout.trim().split('\n').at(-1), `Job ${id} Complete`);
}

it('S3DeleteObject (s3batch extension) through create: listed versions deleted, Object Lock respected, GOVERNANCE bypassed', { timeout: 60_000 }, async () => {
  const put = async (key: string, lock: Partial<ConstructorParameters<typeof PutObjectCommand>[0]> = {}): Promise<string> =>
    (await s3.send(new PutObjectCommand({ Bucket: 'cli-locked', Key: key, Body: key, ...lock }))).VersionId!;
  const old = await put('doc.txt');
  const current = await put('doc.txt');
  const governed = await put('governed.txt', { ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: new Date(Date.now() + 86_400_000) });
  const held = await put('held.txt', { ObjectLockLegalHoldStatus: 'ON' });
  await putObject(s3, 'cli-src', 'manifests/delete.csv', `cli-locked,doc.txt,${old}\ncli-locked,governed.txt,${governed}\ncli-locked,held.txt,${held}\n`);

  const bad = await cli('create', '--operation', '{"S3DeleteObject":{"Bypass":true}}', '--manifest-csv', 's3://cli-src/manifests/delete.csv', '--role-arn', deleteRoleArn);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^s3batch jobs: --operation: S3DeleteObject has one field, BypassGovernanceRetention; got Bypass\n/);

  const id = (await ok(
    'create', '--operation', '{"S3DeleteObject":{"BypassGovernanceRetention":true}}', '--manifest-csv', 's3://cli-src/manifests/delete.csv',
    '--manifest-fields', 'Bucket,Key,VersionId', '--report-prefix', 's3://cli-reports/deletes', '--role-arn', deleteRoleArn, '--no-confirmation',
  )).trim();
  await watchToComplete(id);
  // The server got the operation: DescribeJob reads it back (through the plugin's DescribeJob half).
  assert.deepEqual((await describeJson(id)).Operation, { S3DeleteObject: { BypassGovernanceRetention: true } });
  assert.match(await ok('describe', id), /^Operation +S3DeleteObject$/m);

  const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: 'cli-locked' }));
  assert.deepEqual(versions.Versions!.map((v) => [v.Key, v.VersionId]).sort(), [['doc.txt', current], ['held.txt', held]], 'the old doc.txt and governed.txt versions are gone');
  assert.equal(versions.DeleteMarkers, undefined, 'deleting a version leaves no delete marker');
  const r = JSON.parse(await ok('report', id, '--json')) as { Succeeded: number; Failed: number; FailedTasks: { Key: string; VersionId: string; HTTPStatusCode: number; ErrorCode: string; ResultMessage: string }[] };
  assert.equal(r.Succeeded, 2);
  assert.deepEqual(r.FailedTasks.map((t) => [t.Key, t.VersionId, t.HTTPStatusCode, t.ErrorCode, t.ResultMessage]), [['held.txt', held, 403, 'AccessDenied', 'Access Denied because object protected by object lock.']]);
});

it('S3DeleteObject from an SDK with s3DeleteObjectPlugin: no VersionId column leaves a delete marker; without the plugin the SDK sends no operation', { timeout: 60_000 }, async () => {
  const version = (await s3.send(new PutObjectCommand({ Bucket: 'cli-locked', Key: 'marked.txt', Body: 'still here' }))).VersionId!;
  const etag = await putObject(s3, 'cli-src', 'manifests/mark.csv', 'cli-locked,marked.txt\n');
  const input = {
    AccountId: '000000000000', Operation: { S3DeleteObject: {} } as JobOperation, RoleArn: deleteRoleArn, Priority: 10, ConfirmationRequired: false, Report: { Enabled: false },
    Manifest: { Spec: { Format: 'S3BatchOperations_CSV_20180820' as const, Fields: ['Bucket' as const, 'Key' as const] }, Location: { ObjectArn: 'arn:aws:s3:::cli-src/manifests/mark.csv', ETag: etag } },
  };
  await assert.rejects(control.send(new CreateJobCommand({ ...input, ClientRequestToken: 'sdk-plain' })), (e: Error) => {
    assert.equal(e.name, 'BadRequestException');
    assert.match(e.message, /^Operation must name exactly one operation .*it names none\.$/);
    return true;
  });
  const sdk = new S3ControlClient({ region: REGION, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }, endpointProvider: () => ({ url: new URL(srv.url) }), maxAttempts: 1 });
  sdk.middlewareStack.use(s3DeleteObjectPlugin);
  try {
    const { JobId } = await sdk.send(new CreateJobCommand({ ...input, ClientRequestToken: 'sdk-plugin' }));
    await watchToComplete(JobId!);
    assert.deepEqual((await sdk.send(new DescribeJobCommand({ AccountId: '000000000000', JobId }))).Job!.Operation, { S3DeleteObject: {} });
  } finally {
    sdk.destroy();
  }
  const v = await s3.send(new ListObjectVersionsCommand({ Bucket: 'cli-locked', Prefix: 'marked.txt' }));
  assert.deepEqual(v.Versions!.map((x) => [x.VersionId, x.IsLatest]), [[version, false]], 'the version stays');
  assert.equal(v.DeleteMarkers?.length, 1);
  assert.equal(v.DeleteMarkers![0]!.IsLatest, true);
  await assert.rejects(s3.send(new GetObjectCommand({ Bucket: 'cli-locked', Key: 'marked.txt' })), { name: 'NoSuchKey' });
});
