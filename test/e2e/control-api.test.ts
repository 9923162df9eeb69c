/**
 * The S3 Control jobs API with the real @aws-sdk/client-s3-control: CreateJob (every check the
 * request itself allows, idempotency by ClientRequestToken, nothing created by a bad request),
 * DescribeJob's echo, ListJobs paging and filters, UpdateJobPriority, UpdateJobStatus per the
 * state machine, job tagging, the error envelope and codes, and authorization (s3:CreateJob
 * conditions, iam:PassRole, aws:ResourceTag, x-amz-account-id).
 *
 * The API is served by test/helpers/control-front.ts (SigV4 against the app's credentials, a job
 * store of its own that no engine touches), so statuses change only when a test moves them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  CreateJobCommand, DeleteJobTaggingCommand, DescribeJobCommand, GetJobTaggingCommand, ListJobsCommand, PutJobTaggingCommand,
  S3ControlClient, UpdateJobPriorityCommand, UpdateJobStatusCommand, type CreateJobCommandInput, type S3ControlServiceException,
} from '@aws-sdk/client-s3-control';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, startInProcess, type InProcessServer } from '../helpers/server.js';
import { startControlFront, type ControlFront } from '../helpers/control-front.js';
import { rawRequest } from '../helpers/signed-request.js';
import type { JobStatus } from '../../src/jobs/model.js';

const ACCOUNT = '000000000000';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/batch-ops`;

let server: InProcessServer;
let front: ControlFront;
let control: S3ControlClient;

function client(url: string, credentials = { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }): S3ControlClient {
  return new S3ControlClient({ endpoint: url, region: REGION, credentials, endpointProvider: () => ({ url: new URL(url) }), maxAttempts: 1 });
}

function jobInput(over: Partial<CreateJobCommandInput> = {}): CreateJobCommandInput {
  return {
    AccountId: ACCOUNT,
    Operation: { S3PutObjectTagging: { TagSet: [{ Key: 'retention', Value: '7y' }] } },
    Report: { Enabled: true, Bucket: 'arn:aws:s3:::acme-reports', Format: 'Report_CSV_20180820', Prefix: 'tagging-run', ReportScope: 'AllTasks' },
    Manifest: {
      Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key'] },
      Location: { ObjectArn: 'arn:aws:s3:::acme-manifests/2024/objects.csv', ETag: '"3858f62230ac3c915f300c664312c11f"' },
    },
    Priority: 20,
    RoleArn: ROLE,
    ...over,
  };
}

async function create(over: Partial<CreateJobCommandInput> = {}, c = control): Promise<string> {
  const r = await c.send(new CreateJobCommand(jobInput(over)));
  return r.JobId!;
}

async function rejects(p: Promise<unknown>, name: string, message?: RegExp, status?: number): Promise<S3ControlServiceException> {
  try {
    await p;
  } catch (e) {
    const err = e as S3ControlServiceException;
    assert.equal(err.name, name, `expected ${name}, got ${err.name}: ${err.message}`);
    if (message) assert.match(err.message, message);
    if (status !== undefined) assert.equal(err.$metadata.httpStatusCode, status);
    return err;
  }
  assert.fail(`expected ${name}`);
}

/** Moves a job through the statuses the engine would (the front's store is the test's alone). */
async function moveTo(id: string, path: readonly JobStatus[]): Promise<void> {
  for (const to of path) {
    const cur = (await front.jobs.get(id))!.status;
    const r = await front.jobs.transition(id, [cur], to, {}, Date.now());
    assert.equal(r.ok, true, `${cur} → ${to}`);
  }
}

async function count(): Promise<number> {
  return (await control.send(new ListJobsCommand({ AccountId: ACCOUNT }))).Jobs?.length ?? 0;
}

before(async () => {
  server = await startInProcess();
  front = await startControlFront(server.app);
  control = client(front.url);
});

after(async () => {
  control.destroy();
  await front.close();
  await server.stop();
});

describe('CreateJob and DescribeJob', () => {
  it('creates a New job at once and echoes every field; omitted ConfirmationRequired means true', async () => {
    const before = Date.now();
    const id = await create({ Description: 'tag archive objects', Tags: [{ Key: 'team', Value: 'storage' }] });
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const { Job: j, $metadata } = await control.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: id }));
    assert.ok($metadata.requestId);
    assert.equal(j!.JobId, id);
    assert.equal(j!.ConfirmationRequired, true);
    assert.equal(j!.Description, 'tag archive objects');
    assert.equal(j!.JobArn, `arn:aws:s3:us-east-1:${ACCOUNT}:job/${id}`);
    assert.equal(j!.Status, 'New');
    assert.deepEqual(j!.Manifest, {
      Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key'] },
      Location: { ObjectArn: 'arn:aws:s3:::acme-manifests/2024/objects.csv', ETag: '3858f62230ac3c915f300c664312c11f' },
    });
    assert.deepEqual(j!.Operation, { S3PutObjectTagging: { TagSet: [{ Key: 'retention', Value: '7y' }] } });
    assert.equal(j!.Priority, 20);
    assert.deepEqual(j!.ProgressSummary, { TotalNumberOfTasks: 0, NumberOfTasksSucceeded: 0, NumberOfTasksFailed: 0, Timers: { ElapsedTimeInActiveSeconds: 0 } });
    assert.deepEqual(j!.FailureReasons, []);
    assert.deepEqual(j!.Report, { Bucket: 'arn:aws:s3:::acme-reports', Format: 'Report_CSV_20180820', Enabled: true, Prefix: 'tagging-run', ReportScope: 'AllTasks' });
    assert.ok(j!.CreationTime instanceof Date && j!.CreationTime.getTime() >= before - 1000 && j!.CreationTime.getTime() <= Date.now());
    assert.equal(j!.TerminationDate, undefined);
    assert.equal(j!.RoleArn, ROLE);
    const tags = await control.send(new GetJobTaggingCommand({ AccountId: ACCOUNT, JobId: id }));
    assert.deepEqual(tags.Tags, [{ Key: 'team', Value: 'storage' }]);
  });

  it('echoes a copy operation, a generator and a Lambda operation with every field typed', async () => {
    const copy = await create({
      ConfirmationRequired: false,
      Operation: {
        S3PutObjectCopy: {
          TargetResource: 'arn:aws:s3:::dest-bucket',
          CannedAccessControlList: 'bucket-owner-full-control',
          MetadataDirective: 'REPLACE',
          NewObjectMetadata: { ContentType: 'text/plain', UserMetadata: { owner: 'ops', 'x-y': 'z' } },
          NewObjectTagging: [],
          StorageClass: 'STANDARD_IA',
          TargetKeyPrefix: 'Folder1',
          ObjectLockMode: 'GOVERNANCE',
          ObjectLockRetainUntilDate: new Date('2030-01-01T00:00:00Z'),
          ChecksumAlgorithm: 'SHA256',
          RequesterPays: false,
        },
      },
      Manifest: undefined,
      ManifestGenerator: {
        S3JobManifestGenerator: {
          SourceBucket: 'arn:aws:s3:::acme-data',
          EnableManifestOutput: true,
          ManifestOutputLocation: { Bucket: 'arn:aws:s3:::acme-manifests', ManifestPrefix: 'generated', ManifestEncryption: { SSES3: {} }, ManifestFormat: 'S3InventoryReport_CSV_20211130' },
          Filter: {
            CreatedAfter: new Date('2024-01-01T00:00:00Z'),
            KeyNameConstraint: { MatchAnyPrefix: ['logs/'], MatchAnySuffix: ['.gz'] },
            ObjectSizeGreaterThanBytes: 1024,
            MatchAnyStorageClass: ['STANDARD', 'GLACIER_IR'],
            ObjectReplicationStatuses: ['NONE', 'FAILED'],
            EligibleForReplication: false,
          },
        },
      },
    });
    const j = (await control.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: copy }))).Job!;
    assert.equal(j.ConfirmationRequired, false);
    assert.equal(j.Manifest, undefined);
    assert.deepEqual(j.Operation, {
      S3PutObjectCopy: {
        TargetResource: 'arn:aws:s3:::dest-bucket',
        CannedAccessControlList: 'bucket-owner-full-control',
        MetadataDirective: 'REPLACE',
        NewObjectMetadata: { ContentType: 'text/plain', UserMetadata: { owner: 'ops', 'x-y': 'z' } },
        NewObjectTagging: [],
        RequesterPays: false,
        StorageClass: 'STANDARD_IA',
        TargetKeyPrefix: 'Folder1',
        ObjectLockMode: 'GOVERNANCE',
        ObjectLockRetainUntilDate: new Date('2030-01-01T00:00:00Z'),
        ChecksumAlgorithm: 'SHA256',
      },
    });
    assert.deepEqual(j.ManifestGenerator, {
      S3JobManifestGenerator: {
        SourceBucket: 'arn:aws:s3:::acme-data',
        EnableManifestOutput: true,
        ManifestOutputLocation: { Bucket: 'arn:aws:s3:::acme-manifests', ManifestPrefix: 'generated', ManifestEncryption: { SSES3: {} }, ManifestFormat: 'S3InventoryReport_CSV_20211130' },
        Filter: {
          CreatedAfter: new Date('2024-01-01T00:00:00Z'),
          KeyNameConstraint: { MatchAnyPrefix: ['logs/'], MatchAnySuffix: ['.gz'] },
          ObjectSizeGreaterThanBytes: 1024,
          MatchAnyStorageClass: ['STANDARD', 'GLACIER_IR'],
          ObjectReplicationStatuses: ['NONE', 'FAILED'],
          EligibleForReplication: false,
        },
      },
    });
    const stored = (await front.jobs.get(copy))!;
    assert.equal(stored.operation.kind === 'S3PutObjectCopy' && stored.operation.objectLockRetainUntilDate, Date.parse('2030-01-01T00:00:00Z'));
    assert.equal(stored.operation.kind === 'S3PutObjectCopy' && stored.operation.targetBucket, 'dest-bucket');

    const lambda = await create({
      Operation: { LambdaInvoke: { FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:resize:live', InvocationSchemaVersion: '2.0', UserArguments: { targetWidth: '640' } } },
      Report: { Enabled: false },
    });
    const l = (await control.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: lambda }))).Job!;
    assert.deepEqual(l.Operation, { LambdaInvoke: { FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:resize:live', InvocationSchemaVersion: '2.0', UserArguments: { targetWidth: '640' } } });
    assert.deepEqual(l.Report, { Enabled: false });
  });

  it('is idempotent by ClientRequestToken: same request → same job, other request → IdempotencyException', async () => {
    const token = randomUUID();
    const a = await create({ ClientRequestToken: token });
    const n = await count();
    // An SDK retry resends the same token and body.
    const b = await create({ ClientRequestToken: token });
    assert.equal(b, a);
    assert.equal(await count(), n);
    await rejects(create({ ClientRequestToken: token, Priority: 21 }), 'IdempotencyException', /already used for a different CreateJob request/, 400);
    assert.equal(await count(), n);
  });

  it('refuses what the request itself shows is wrong with BadRequestException, creating nothing', async () => {
    const n = await count();
    const cases: Array<[Partial<CreateJobCommandInput>, RegExp]> = [
      [{ RoleArn: 'not-an-arn' }, /RoleArn is not an IAM role ARN/],
      [{ Priority: -1 }, /Priority is out of range/],
      [{ Priority: 2147483648 }, /Priority is out of range/],
      [{ Description: 'x'.repeat(257) }, /Description must be at most 256 characters/],
      [{ Operation: {} }, /Operation must name exactly one operation/],
      [{ Operation: { S3DeleteObjectTagging: {}, S3PutObjectTagging: { TagSet: [] } } }, /it names 2: /],
      [{ Operation: { S3ReplicateObject: {} } }, /S3ReplicateObject is not supported yet/],
      [{ Manifest: undefined }, /needs a Manifest or a ManifestGenerator/],
      [{ ManifestGenerator: { S3JobManifestGenerator: { SourceBucket: 'arn:aws:s3:::a', EnableManifestOutput: false } } }, /not both/],
      [{ Report: { Enabled: true, Format: 'Report_CSV_20180820', ReportScope: 'AllTasks' } }, /Report\/Bucket is required when Report\/Enabled is true/],
      [{ Report: { Enabled: true, Bucket: 'acme-reports', Format: 'Report_CSV_20180820', ReportScope: 'AllTasks' } }, /Report\/Bucket is not a bucket ARN/],
      [{ Manifest: { Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket'] }, Location: { ObjectArn: 'arn:aws:s3:::mfst/k.csv', ETag: 'e' } } }, /Fields must include Key/],
      [{ Manifest: { Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key'] }, Location: { ObjectArn: 'arn:aws:s3:::mfst', ETag: 'e' } } }, /ObjectArn is not an object ARN/],
      [{ Operation: { LambdaInvoke: { FunctionArn: 'f', UserArguments: { a: 'b' } } } }, /UserArguments require InvocationSchemaVersion 2.0/],
      [{ Operation: { S3PutObjectRetention: { Retention: { Mode: 'GOVERNANCE' } } } }, /needs both Mode and RetainUntilDate/],
      [{ Operation: { S3PutObjectCopy: { TargetResource: 'arn:aws:s3:::b', StorageClass: 'REDUCED_REDUNDANCY' as 'STANDARD' } } }, /StorageClass is not valid: expected one of STANDARD/],
      [{ Tags: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) }, /at most 50 tags \(got 51\)/],
      [{ Tags: [{ Key: 'a', Value: '1' }, { Key: 'a', Value: '2' }] }, /appears more than once/],
      [{ Tags: [{ Key: 'bad#key', Value: '1' }] }, /holds characters a tag may not/],
    ];
    for (const [over, message] of cases) await rejects(create(over), 'BadRequestException', message, 400);
    assert.equal(await count(), n, 'no job was created');
  });

  it('answers malformed XML, a wrong root and an empty body with BadRequestException in S3 Control\'s envelope', async () => {
    const post = (body: string) => rawRequest(front.port, { method: 'POST', path: '/v20180820/jobs', headers: { 'x-amz-account-id': ACCOUNT }, body });
    for (const body of ['<CreateJobRequest><Priority>1</Priority>', '<Other/>', '']) {
      const r = await post(body);
      assert.equal(r.status, 400);
      assert.match(r.body, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<ErrorResponse><Error><Code>BadRequestException<\/Code><Message>[^<]+<\/Message><\/Error><RequestId>[^<]+<\/RequestId><HostId>[^<]+<\/HostId><\/ErrorResponse>$/);
      assert.ok(r.headers['x-amz-request-id']);
    }
    // Element order, namespace and the XML declaration do not matter; unknown elements are ignored.
    const ok = await post(
      '<CreateJobRequest><FutureMember>1</FutureMember><ClientRequestToken>raw-1</ClientRequestToken><RoleArn>' + ROLE + '</RoleArn><Priority>3</Priority>' +
        '<Manifest><Location><ETag>e1</ETag><ObjectArn>arn:aws:s3:::mfst/a b&amp;c.csv</ObjectArn></Location><Spec><Fields><member>Ignore</member><member>Bucket</member><member>Key</member><member>VersionId</member></Fields><Format>S3BatchOperations_CSV_20180820</Format></Spec></Manifest>' +
        '<Report><Enabled>false</Enabled></Report><Operation><S3DeleteObject /></Operation></CreateJobRequest>',
    );
    assert.equal(ok.status, 200, ok.body);
    const id = /<JobId>([^<]+)<\/JobId>/.exec(ok.body)![1]!;
    // The same request in another element order, with a declaration and the namespace (as the SDK
    // writes it where the CLI writes the first): requests are compared after parsing.
    const again = await post(
      '<?xml version="1.0" encoding="UTF-8"?><CreateJobRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><Operation><S3DeleteObject/></Operation><Report><Enabled>false</Enabled></Report>' +
        '<Manifest><Spec><Format>S3BatchOperations_CSV_20180820</Format><Fields><member>Ignore</member><member>Bucket</member><member>Key</member><member>VersionId</member></Fields></Spec><Location><ObjectArn>arn:aws:s3:::mfst/a b&amp;c.csv</ObjectArn><ETag>"e1"</ETag></Location></Manifest>' +
        '<Priority>3</Priority><RoleArn>' + ROLE + '</RoleArn><ClientRequestToken>raw-1</ClientRequestToken></CreateJobRequest>',
    );
    assert.equal(again.status, 200, again.body);
    assert.equal(/<JobId>([^<]+)<\/JobId>/.exec(again.body)![1], id);
    assert.match(ok.body, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<CreateJobResult xmlns="http:\/\/awss3control\.amazonaws\.com\/doc\/2018-08-20\/"><JobId>/);
    const j = (await front.jobs.get(id))!;
    assert.deepEqual(j.operation, { kind: 'S3DeleteObject' });
    assert.deepEqual(j.manifest!.location, { objectArn: 'arn:aws:s3:::mfst/a b&c.csv', bucket: 'mfst', key: 'a b&c.csv', etag: 'e1' });
    assert.deepEqual(j.manifest!.spec.fields, ['Ignore', 'Bucket', 'Key', 'VersionId']);
  });
});

describe('ListJobs', () => {
  it('pages newest first, filters by status, binds NextToken to the filter, checks its parameters', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await create({ Description: `list-${i}` }));
    await moveTo(ids[0]!, ['Cancelled']);
    const p1 = await control.send(new ListJobsCommand({ AccountId: ACCOUNT, MaxResults: 2 }));
    assert.equal(p1.Jobs!.length, 2);
    assert.deepEqual(p1.Jobs!.map((j) => j.JobId), [ids[2], ids[1]]);
    assert.ok(p1.NextToken);
    const m = p1.Jobs![0]!;
    assert.equal(m.Description, 'list-2');
    assert.equal(m.Operation, 'S3PutObjectTagging');
    assert.equal(m.Priority, 20);
    assert.equal(m.Status, 'New');
    assert.ok(m.CreationTime instanceof Date);
    assert.deepEqual(m.ProgressSummary, { TotalNumberOfTasks: 0, NumberOfTasksSucceeded: 0, NumberOfTasksFailed: 0, Timers: { ElapsedTimeInActiveSeconds: 0 } });
    const p2 = await control.send(new ListJobsCommand({ AccountId: ACCOUNT, MaxResults: 2, NextToken: p1.NextToken }));
    assert.equal(p2.Jobs![0]!.JobId, ids[0]);

    const cancelled = await control.send(new ListJobsCommand({ AccountId: ACCOUNT, JobStatuses: ['Cancelled', 'Complete'] }));
    assert.ok(cancelled.Jobs!.some((j) => j.JobId === ids[0] && j.Status === 'Cancelled' && j.TerminationDate instanceof Date));
    assert.ok(cancelled.Jobs!.every((j) => j.Status === 'Cancelled' || j.Status === 'Complete'));
    assert.equal(cancelled.NextToken, undefined);

    await rejects(control.send(new ListJobsCommand({ AccountId: ACCOUNT, JobStatuses: ['Done' as 'New'] })), 'InvalidRequestException', /job status 'Done' is not valid/, 400);
    await rejects(control.send(new ListJobsCommand({ AccountId: ACCOUNT, MaxResults: 1001 })), 'InvalidRequestException', /maxResults/, 400);
    await rejects(control.send(new ListJobsCommand({ AccountId: ACCOUNT, NextToken: 'bm9wZQ' })), 'InvalidNextTokenException', /not valid/, 400);
    await rejects(control.send(new ListJobsCommand({ AccountId: ACCOUNT, JobStatuses: ['Cancelled'], NextToken: p1.NextToken })), 'InvalidNextTokenException', /different status filter/, 400);
  });
});

describe('UpdateJobPriority and UpdateJobStatus', () => {
  it('changes the priority of a live job; refuses a terminated one; NotFoundException for unknown jobs', async () => {
    const id = await create();
    const r = await control.send(new UpdateJobPriorityCommand({ AccountId: ACCOUNT, JobId: id, Priority: 75 }));
    assert.deepEqual([r.JobId, r.Priority], [id, 75]);
    assert.equal((await control.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: id }))).Job!.Priority, 75);
    await moveTo(id, ['Cancelled']);
    await rejects(control.send(new UpdateJobPriorityCommand({ AccountId: ACCOUNT, JobId: id, Priority: 1 })), 'BadRequestException', /Cancelled: the priority of a terminated job cannot change/);
    const missing = randomUUID();
    await rejects(control.send(new UpdateJobPriorityCommand({ AccountId: ACCOUNT, JobId: missing, Priority: 1 })), 'NotFoundException', new RegExp(missing), 404);
    await rejects(control.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: missing })), 'NotFoundException', /The specified job does not exist/, 404);
    await rejects(control.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: 'bad!id' })), 'NotFoundException', undefined, 404);
  });

  it('confirms a Suspended job, cancels per status, refuses what the state machine does not allow', async () => {
    const status = (JobId: string, RequestedJobStatus: 'Ready' | 'Cancelled', StatusUpdateReason?: string) =>
      control.send(new UpdateJobStatusCommand({ AccountId: ACCOUNT, JobId, RequestedJobStatus, StatusUpdateReason }));

    const waiting = await create();
    await rejects(status(waiting, 'Ready'), 'JobStatusException', /not awaiting confirmation: it is New/, 400);
    await moveTo(waiting, ['Preparing', 'Suspended']);
    const suspended = (await control.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: waiting }))).Job!;
    assert.equal(suspended.SuspendedCause, 'AwaitingConfirmation');
    assert.ok(suspended.SuspendedDate instanceof Date);
    const ready = await status(waiting, 'Ready');
    assert.deepEqual([ready.JobId, ready.Status, ready.StatusUpdateReason], [waiting, 'Ready', undefined]);
    assert.equal((await status(waiting, 'Ready')).Status, 'Ready', 'confirming twice is harmless');

    const running = await create();
    await moveTo(running, ['Preparing', 'Ready', 'Active']);
    const cancelling = await status(running, 'Cancelled', 'no longer needed');
    assert.deepEqual([cancelling.Status, cancelling.StatusUpdateReason], ['Cancelling', 'no longer needed']);
    assert.equal((await status(running, 'Cancelled')).Status, 'Cancelling');
    const d = (await control.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: running }))).Job!;
    assert.deepEqual([d.Status, d.StatusUpdateReason], ['Cancelling', 'no longer needed']);

    const confirmable = await create();
    await moveTo(confirmable, ['Preparing', 'Suspended']);
    assert.equal((await status(confirmable, 'Cancelled')).Status, 'Cancelled', 'a job awaiting confirmation is cancelled at once');
    const cancelled = (await control.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: confirmable }))).Job!;
    assert.ok(cancelled.TerminationDate instanceof Date);
    await rejects(status(confirmable, 'Cancelled'), 'JobStatusException', /already Cancelled/);

    const done = await create();
    await moveTo(done, ['Preparing', 'Ready', 'Active', 'Completing']);
    await rejects(status(done, 'Cancelled'), 'JobStatusException', /Completing and can no longer be cancelled/);
    await rejects(status(done, 'Paused' as 'Ready'), 'BadRequestException', /requestedJobStatus 'Paused' is not valid/);
    await rejects(status(done, 'Cancelled', 'x'.repeat(257)), 'BadRequestException', /statusUpdateReason/);
  });

  it('shows FailureReasons of a job the sweep failed for want of confirmation', async () => {
    const id = await create();
    await moveTo(id, ['Preparing', 'Suspended']);
    await front.jobs.sweep(Date.now() + 31 * 86_400_000, { confirmationTimeoutMs: 30 * 86_400_000, retentionMs: 365 * 86_400_000 });
    const j = (await control.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: id }))).Job!;
    assert.equal(j.Status, 'Failed');
    assert.equal(j.FailureReasons!.length, 1);
    assert.equal(j.FailureReasons![0]!.FailureCode, 'ConfirmationExpired');
    assert.match(j.FailureReasons![0]!.FailureReason!, /awaiting confirmation for more than 30 days/);
  });
});

describe('job tagging', () => {
  it('gets, replaces and deletes the tag set; TooManyTagsException past 50; NotFoundException for unknown jobs', async () => {
    const id = await create({ Tags: [{ Key: 'a', Value: '1' }] });
    await control.send(new PutJobTaggingCommand({ AccountId: ACCOUNT, JobId: id, Tags: [{ Key: 'b', Value: '2' }, { Key: 'c', Value: '' }] }));
    assert.deepEqual((await control.send(new GetJobTaggingCommand({ AccountId: ACCOUNT, JobId: id }))).Tags, [{ Key: 'b', Value: '2' }, { Key: 'c', Value: '' }]);
    const many = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    await rejects(control.send(new PutJobTaggingCommand({ AccountId: ACCOUNT, JobId: id, Tags: many })), 'TooManyTagsException', /at most 50 tags \(got 51\)/, 400);
    await control.send(new PutJobTaggingCommand({ AccountId: ACCOUNT, JobId: id, Tags: many.slice(0, 50) }));
    assert.equal((await control.send(new GetJobTaggingCommand({ AccountId: ACCOUNT, JobId: id }))).Tags!.length, 50);
    await control.send(new DeleteJobTaggingCommand({ AccountId: ACCOUNT, JobId: id }));
    assert.deepEqual((await control.send(new GetJobTaggingCommand({ AccountId: ACCOUNT, JobId: id }))).Tags, []);
    await rejects(control.send(new GetJobTaggingCommand({ AccountId: ACCOUNT, JobId: randomUUID() })), 'NotFoundException', undefined, 404);
    await rejects(control.send(new DeleteJobTaggingCommand({ AccountId: ACCOUNT, JobId: randomUUID() })), 'NotFoundException', undefined, 404);
  });
});

describe('authorization', () => {
  let iam: IAMClient;
  let seq = 0;
  before(() => {
    iam = new IAMClient({ endpoint: server.url, region: REGION, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY } });
  });
  after(() => iam.destroy());

  async function userWith(statements: unknown[]): Promise<S3ControlClient> {
    const name = `jobs-user-${++seq}`;
    await iam.send(new CreateUserCommand({ UserName: name }));
    if (statements.length > 0) await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }));
    const k = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    return client(front.url, { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! });
  }

  it('needs s3:CreateJob and iam:PassRole (passed to batchoperations), honouring s3:RequestJobPriority', async () => {
    const nobody = await userWith([]);
    await rejects(create({}, nobody), 'AccessDenied', /is not authorized to perform: s3:CreateJob because no identity-based policy allows the s3:CreateJob action/, 403);
    const noPass = await userWith([{ Effect: 'Allow', Action: 's3:CreateJob', Resource: '*' }]);
    await rejects(create({}, noPass), 'AccessDenied', new RegExp(`not authorized to perform: iam:PassRole on resource: "${ROLE}"`), 403);
    const wrongService = await userWith([
      { Effect: 'Allow', Action: 's3:CreateJob', Resource: '*' },
      { Effect: 'Allow', Action: 'iam:PassRole', Resource: ROLE, Condition: { StringEquals: { 'iam:PassedToService': 's3.amazonaws.com' } } },
    ]);
    await rejects(create({}, wrongService), 'AccessDenied', /iam:PassRole/);
    const capped = await userWith([
      { Effect: 'Allow', Action: 's3:CreateJob', Resource: '*', Condition: { NumericLessThanEquals: { 's3:RequestJobPriority': '100' } } },
      { Effect: 'Allow', Action: 'iam:PassRole', Resource: ROLE, Condition: { StringEquals: { 'iam:PassedToService': 'batchoperations.s3.amazonaws.com' } } },
      { Effect: 'Allow', Action: 's3:DescribeJob', Resource: '*', Condition: { StringEquals: { 'aws:ResourceTag/team': 'storage' } } },
    ]);
    await rejects(create({ Priority: 200 }, capped), 'AccessDenied', /s3:CreateJob/);
    const id = await create({ Priority: 50 }, capped);
    assert.equal((await front.jobs.get(id))!.priority, 50);
    // Tags at creation also need s3:PutJobTagging.
    await rejects(create({ Priority: 50, Tags: [{ Key: 'team', Value: 'storage' }] }, capped), 'AccessDenied', /s3:PutJobTagging/);
    // DescribeJob only for jobs tagged team=storage; an unknown job answers AccessDenied first.
    await rejects(capped.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: id })), 'AccessDenied', /s3:DescribeJob on resource/);
    const tagged = await create({ Tags: [{ Key: 'team', Value: 'storage' }] });
    assert.equal((await capped.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: tagged }))).Job!.JobId, tagged);
    await rejects(capped.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: randomUUID() })), 'AccessDenied');
    [nobody, noPass, wrongService, capped].forEach((c) => c.destroy());
  });

  it('refuses another account in x-amz-account-id, unsigned requests and a missing header', async () => {
    await rejects(control.send(new ListJobsCommand({ AccountId: '111122223333' })), 'AccessDenied', /x-amz-account-id must name the caller's own account/, 403);
    const anon = await rawRequest(front.port, { method: 'GET', path: '/v20180820/jobs', headers: { 'x-amz-account-id': ACCOUNT }, anonymous: true });
    assert.equal(anon.status, 403);
    assert.match(anon.body, /<Code>AccessDenied<\/Code>/);
    const noHeader = await rawRequest(front.port, { method: 'GET', path: '/v20180820/jobs' });
    assert.equal(noHeader.status, 400);
    assert.match(noHeader.body, /<Code>InvalidRequest<\/Code><Message>Missing required header for this request: x-amz-account-id.<\/Message>/);
    const other = await rawRequest(front.port, { method: 'GET', path: '/v20180820/accesspoint', headers: { 'x-amz-account-id': ACCOUNT } });
    assert.equal(other.status, 501);
    assert.match(other.body, /<Code>NotImplemented<\/Code>/);
  });
});

describe('through the server\'s own port', () => {
  it('serves the jobs API on the S3 port (SDK, and the CLI\'s account-prefixed absolute-form targets)', async (t) => {
    const direct = client(server.url);
    try {
      const probe = await direct.send(new ListJobsCommand({ AccountId: ACCOUNT })).catch((e: Error) => e);
      if (probe instanceof Error && probe.name === 'NotImplemented') {
        t.skip('src/http/server.ts does not dispatch /v20180820/ to handleControlRequest yet');
        return;
      }
      assert.ok(!(probe instanceof Error), String(probe));
      const id = (await direct.send(new CreateJobCommand(jobInput({ Description: 'via server' })))).JobId!;
      const j = (await direct.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: id }))).Job!;
      assert.equal(j.Description, 'via server');
      // The engine may already be working on it: any status will do here.
      assert.ok(['New', 'Preparing', 'Suspended', 'Failing', 'Failed'].includes(j.Status!), j.Status);
      // What the CLI sends through a proxy: an absolute-form target and a Host with the account label.
      const host = `${ACCOUNT}.localhost:${server.port}`;
      const r = await rawRequest(server.port, { method: 'GET', path: `/v20180820/jobs/${id}`, host, headers: { 'x-amz-account-id': ACCOUNT } });
      assert.equal(r.status, 200, r.body);
      const { send: rawSend, signRequest } = await import('../helpers/signed-request.js');
      const headers = await signRequest(server.port, { method: 'GET', path: `/v20180820/jobs/${id}`, host, headers: { 'x-amz-account-id': ACCOUNT } });
      const abs = await rawSend(server.port, 'GET', `http://${host}/v20180820/jobs/${id}`, headers);
      assert.equal(abs.status, 200, abs.body);
      assert.match(abs.body, new RegExp(`<JobId>${id}</JobId>`));
      const missing = await direct.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: randomUUID() })).catch((e: Error) => e);
      assert.equal((missing as Error).name, 'NotFoundException');
    } finally {
      direct.destroy();
    }
  });
});
