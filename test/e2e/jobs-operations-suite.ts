/**
 * Every operation of Step 3 as a job, what it does to the objects and what the report says, task by
 * task — ACL, delete tagging, copy, restore, legal hold, retention, checksum, delete (the s3batch
 * extension, respecting Object Lock) and LambdaInvoke (schemas 1.0 and 2.0, TemporaryFailure
 * re-driven, function errors) — defined once and run twice: on the embedded store
 * (jobs-operations.test.ts) and against a remote endpoint (jobs-operations-remote.test.ts), where
 * server A runs the jobs and its tasks reach the objects of server B (a second s3batch) through
 * the SDK adapter, as the job's role taken through B's STS.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import {
  CreateBucketCommand, GetObjectAclCommand, GetObjectLegalHoldCommand, GetObjectRetentionCommand, GetObjectTaggingCommand, HeadObjectCommand,
  ListObjectVersionsCommand, PutObjectCommand, PutObjectTaggingCommand,
} from '@aws-sdk/client-s3';
import type { JobOperation } from '../../src/jobs/model.js';
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { REGION } from '../helpers/server.js';
import { BATCH_TRUST, createRole, csvJobDefinition, getText, putObject, readReport, startJobsServer, submitJob, waitForStatus, type JobsServer } from './jobs-fixtures.js';

export type StorageKind = 'embedded' | 'remote';

export function operationSuite(kind: StorageKind): void {
  let host: JobsServer; // runs the jobs
  let remote: JobsServer | undefined; // holds the objects when kind is 'remote'
  let env: { s3: JobsServer['s3']; app: JobsServer['app'] };
  let roleArn: string;
  let lambda: Server;
  const invocations: Record<string, unknown>[] = [];
  let temporaryLeft = 0;

  before(async () => {
    lambda = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const ev = JSON.parse(body) as { invocationSchemaVersion: string; invocationId: string; tasks: { taskId: string; s3Key: string }[] };
        invocations.push(ev as unknown as Record<string, unknown>);
        const t = ev.tasks[0]!;
        if (t.s3Key === 'crash') {
          res.writeHead(200, { 'x-amz-function-error': 'Unhandled' }).end('{"errorMessage":"boom"}');
          return;
        }
        let result: { resultCode: string; resultString: string } = { resultCode: 'Succeeded', resultString: `handled ${t.s3Key}` };
        if (t.s3Key === 'flaky' && temporaryLeft-- > 0) result = { resultCode: 'TemporaryFailure', resultString: 'try later' };
        if (t.s3Key === 'refuse') result = { resultCode: 'PermanentFailure', resultString: 'refused' };
        if (t.s3Key === 'garbage') return void res.end('not json');
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ invocationSchemaVersion: ev.invocationSchemaVersion, treatMissingKeysAs: 'PermanentFailure', invocationId: ev.invocationId, results: [{ taskId: t.taskId, ...result }] }));
      });
    });
    await new Promise<void>((r) => lambda.listen(0, '127.0.0.1', r));
    const port = (lambda.address() as AddressInfo).port;
    const runtime = {
      lambdaFunctions: [{ arn: 'arn:aws:lambda:us-east-1:000000000000:function:handler', url: `http://127.0.0.1:${port}/` }],
      engine: { retry: { attempts: 3, baseMs: 5, maxMs: 20 } },
    };
    if (kind === 'embedded') {
      host = await startJobsServer(runtime);
      env = { s3: host.s3, app: host.app };
      roleArn = await createRole(host.iam, 'batch-all', ['s3:*', 'lambda:InvokeFunction']);
    } else {
      remote = await startJobsServer();
      // On B: a user that may assume roles, and the job's role (all of S3) trusting A's account.
      await remote.iam.send(new CreateUserCommand({ UserName: 's3batch-a' }));
      await remote.iam.send(new PutUserPolicyCommand({ UserName: 's3batch-a', PolicyName: 'assume', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] }) }));
      const key = (await remote.iam.send(new CreateAccessKeyCommand({ UserName: 's3batch-a' }))).AccessKey!;
      const trustB = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::000000000000:root' }, Action: 'sts:AssumeRole' }] });
      roleArn = await createRole(remote.iam, 'batch-all', ['s3:*'], trustB);
      // On A: the same role, trusting the batch service, allowed to invoke A's functions.
      host = await startJobsServer({ ...runtime, storage: { kind: 'remote', endpoint: remote.url, region: REGION, accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey!, assumeRole: true } });
      await createRole(host.iam, 'batch-all', ['lambda:InvokeFunction'], BATCH_TRUST);
      env = { s3: remote.s3, app: host.app };
    }
    for (const b of ['data', 'manifests', 'reports', 'copies']) await env.s3.send(new CreateBucketCommand({ Bucket: b }));
    await env.s3.send(new CreateBucketCommand({ Bucket: 'locked', ObjectLockEnabledForBucket: true }));
  });

  after(async () => {
    await host?.stop();
    await remote?.stop();
    await new Promise<void>((r) => lambda.close(() => r()));
  });

  async function runJob(operation: JobOperation, csv: string, fields?: ('Bucket' | 'Key' | 'VersionId')[]): Promise<{ id: string; rows: string[][] }> {
    const key = `m-${createHash('md5').update(csv + JSON.stringify(operation)).digest('hex')}.csv`;
    const etag = await putObject(env.s3, 'manifests', key, csv);
    const id = await submitJob(env.app, csvJobDefinition({ operation, roleArn, manifest: { bucket: 'manifests', key, etag, fields }, report: { bucket: 'reports', prefix: 'ops' } }));
    const job = await waitForStatus(env.app, id, ['Complete', 'Failed']);
    assert.equal(job.status, 'Complete', JSON.stringify(job.failureReasons));
    const rep = await readReport(env.s3, 'reports', `ops/job-${id}`);
    return { id, rows: rep.rows.sort((a, b) => `${a[1]}${a[2]}`.localeCompare(`${b[1]}${b[2]}`)) };
  }

  describe(`job operations on the ${kind === 'embedded' ? 'embedded store' : 'remote endpoint (a second s3batch through the SDK adapter)'}`, () => {
    it('S3PutObjectAcl: canned ACL on each object', async () => {
      await putObject(env.s3, 'data', 'acl.txt', 'x');
      const { rows } = await runJob({ kind: 'S3PutObjectAcl', accessControlPolicy: { cannedAccessControlList: 'public-read' } }, 'data,acl.txt\n');
      assert.deepEqual(rows, [['data', 'acl.txt', '', 'succeeded', '200', '', 'Successful']]);
      const acl = await env.s3.send(new GetObjectAclCommand({ Bucket: 'data', Key: 'acl.txt' }));
      assert.ok(acl.Grants!.some((g) => g.Grantee?.URI === 'http://acs.amazonaws.com/groups/global/AllUsers' && g.Permission === 'READ'));
    });

    it('S3DeleteObjectTagging: removes every tag', async () => {
      await putObject(env.s3, 'data', 'tagged.txt', 'x');
      await env.s3.send(new PutObjectTaggingCommand({ Bucket: 'data', Key: 'tagged.txt', Tagging: { TagSet: [{ Key: 'a', Value: 'b' }] } }));
      const { rows } = await runJob({ kind: 'S3DeleteObjectTagging' }, 'data,tagged.txt\n');
      assert.deepEqual(rows, [['data', 'tagged.txt', '', 'succeeded', '200', '', 'Successful']]);
      assert.deepEqual((await env.s3.send(new GetObjectTaggingCommand({ Bucket: 'data', Key: 'tagged.txt' }))).TagSet, []);
    });

    it('S3PutObjectCopy: copies with prefix, storage class, ACL and tags; the source tags follow when none are given', async () => {
      await env.s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'src/one.txt', Body: 'one', Tagging: 'keep=me', ContentType: 'text/plain', Metadata: { m: '1' } }));
      const { rows } = await runJob({ kind: 'S3PutObjectCopy', targetResource: 'arn:aws:s3:::copies', targetBucket: 'copies', targetKeyPrefix: 'dst/', storageClass: 'STANDARD_IA', checksumAlgorithm: 'SHA256' }, 'data,src/one.txt\ndata,src/none.txt\n');
      assert.deepEqual(rows, [
        ['data', 'src/none.txt', '', 'failed', '404', 'NoSuchKey', 'The specified key does not exist.'],
        ['data', 'src/one.txt', '', 'succeeded', '200', '', 'Successful'],
      ]);
      assert.equal(await getText(env.s3, 'copies', 'dst/src/one.txt'), 'one');
      const head = await env.s3.send(new HeadObjectCommand({ Bucket: 'copies', Key: 'dst/src/one.txt', ChecksumMode: 'ENABLED' }));
      assert.equal(head.StorageClass, 'STANDARD_IA');
      assert.equal(head.ContentType, 'text/plain');
      assert.deepEqual(head.Metadata, { m: '1' });
      assert.equal(head.ChecksumSHA256, createHash('sha256').update('one').digest('base64'));
      assert.deepEqual((await env.s3.send(new GetObjectTaggingCommand({ Bucket: 'copies', Key: 'dst/src/one.txt' }))).TagSet, [{ Key: 'keep', Value: 'me' }]);
    });

    it('S3PutObjectCopy, set-based: REPLACE metadata and tags, a missing source, a copy onto itself refused', async () => {
      await env.s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'set/two.txt', Body: 'two', Tagging: 'old=1' }));
      await env.s3.send(new PutObjectCommand({ Bucket: 'copies', Key: 'self.txt', Body: 'self' }));
      const { rows } = await runJob(
        { kind: 'S3PutObjectCopy', targetResource: 'arn:aws:s3:::copies', targetBucket: 'copies', metadataDirective: 'REPLACE', newObjectMetadata: { contentType: 'text/x-new', userMetadata: { k: 'v' } }, newObjectTagging: [['new', '2']], cannedAccessControlList: 'public-read' },
        'data,set/two.txt\ndata,set/none.txt\n',
      );
      assert.deepEqual(rows, [
        ['data', 'set/none.txt', '', 'failed', '404', 'NoSuchKey', 'The specified key does not exist.'],
        ['data', 'set/two.txt', '', 'succeeded', '200', '', 'Successful'],
      ]);
      const head = await env.s3.send(new HeadObjectCommand({ Bucket: 'copies', Key: 'set/two.txt' }));
      assert.deepEqual([head.ContentType, head.Metadata], ['text/x-new', { k: 'v' }]);
      assert.deepEqual((await env.s3.send(new GetObjectTaggingCommand({ Bucket: 'copies', Key: 'set/two.txt' }))).TagSet, [{ Key: 'new', Value: '2' }]);
      assert.equal(await getText(env.s3, 'copies', 'set/two.txt'), 'two');
      const acl = await env.s3.send(new GetObjectAclCommand({ Bucket: 'copies', Key: 'set/two.txt' }));
      assert.ok(acl.Grants!.some((g) => g.Grantee?.URI === 'http://acs.amazonaws.com/groups/global/AllUsers' && g.Permission === 'READ'));
      const self = await runJob({ kind: 'S3PutObjectCopy', targetResource: 'arn:aws:s3:::copies', targetBucket: 'copies' }, 'copies,self.txt\n');
      assert.deepEqual(self.rows, [['copies', 'self.txt', '', 'failed', '400', 'InvalidRequest', "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."]]);
    });

    it('S3InitiateRestoreObject: restores archived objects, refuses others', async () => {
      await env.s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'cold.bin', Body: 'ice', StorageClass: 'GLACIER' }));
      await putObject(env.s3, 'data', 'warm.bin', 'sun');
      const { rows } = await runJob({ kind: 'S3InitiateRestoreObject', expirationInDays: 3, glacierJobTier: 'BULK' }, 'data,cold.bin\ndata,warm.bin\n');
      assert.deepEqual(rows, [
        ['data', 'cold.bin', '', 'succeeded', '200', '', 'Successful'],
        ['data', 'warm.bin', '', 'failed', '403', 'InvalidObjectState', "Restore is not allowed for the object's current storage class"],
      ]);
      const head = await env.s3.send(new HeadObjectCommand({ Bucket: 'data', Key: 'cold.bin' }));
      assert.equal(head.Restore, 'ongoing-request="true"');
    });

    it('S3PutObjectLegalHold and S3PutObjectRetention on a lock-enabled bucket', async () => {
      await putObject(env.s3, 'locked', 'held.txt', 'x');
      const hold = await runJob({ kind: 'S3PutObjectLegalHold', legalHold: { status: 'ON' } }, 'locked,held.txt\n');
      assert.deepEqual(hold.rows, [['locked', 'held.txt', '', 'succeeded', '200', '', 'Successful']]);
      assert.equal((await env.s3.send(new GetObjectLegalHoldCommand({ Bucket: 'locked', Key: 'held.txt' }))).LegalHold?.Status, 'ON');
      const until = Date.parse('2031-01-01T00:00:00Z');
      const ret = await runJob({ kind: 'S3PutObjectRetention', retention: { mode: 'GOVERNANCE', retainUntilDate: until } }, 'locked,held.txt\n');
      assert.deepEqual(ret.rows, [['locked', 'held.txt', '', 'succeeded', '200', '', 'Successful']]);
      const r = await env.s3.send(new GetObjectRetentionCommand({ Bucket: 'locked', Key: 'held.txt' }));
      assert.deepEqual([r.Retention?.Mode, r.Retention?.RetainUntilDate?.getTime()], ['GOVERNANCE', until]);
    });

    it('legal hold on a bucket without Object Lock fails the job in Preparing', async () => {
      const etag = await putObject(env.s3, 'manifests', 'nolock.csv', 'data,acl.txt\n');
      const id = await submitJob(env.app, csvJobDefinition({ operation: { kind: 'S3PutObjectLegalHold', legalHold: { status: 'ON' } }, roleArn, manifest: { bucket: 'manifests', key: 'nolock.csv', etag }, report: { bucket: 'reports' } }));
      const job = await waitForStatus(env.app, id, ['Failed']);
      assert.deepEqual(job.failureReasons, [{ failureCode: 'ObjectLockNotEnabled', failureReason: 'Object Lock is not enabled on bucket data: legal hold and retention jobs need a bucket with Object Lock.' }]);
    });

    it('S3DeleteObject (s3batch extension): deletes listed versions, respecting Object Lock', async () => {
      const a = await env.s3.send(new PutObjectCommand({ Bucket: 'locked', Key: 'gone.txt', Body: 'a' }));
      const b = await env.s3.send(new PutObjectCommand({ Bucket: 'locked', Key: 'kept.txt', Body: 'b', ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: new Date('2030-01-01T00:00:00Z') }));
      const { rows } = await runJob({ kind: 'S3DeleteObject' }, `locked,gone.txt,${a.VersionId}\nlocked,kept.txt,${b.VersionId}\nlocked,gone.txt,\n`, ['Bucket', 'Key', 'VersionId']);
      assert.deepEqual(rows, [
        ['locked', 'gone.txt', '', 'failed', '400', 'InvalidRequest', 'Task failed due to missing VersionId'],
        ['locked', 'gone.txt', a.VersionId!, 'succeeded', '200', '', 'Successful'],
        ['locked', 'kept.txt', b.VersionId!, 'failed', '403', 'AccessDenied', 'Access Denied because object protected by object lock.'],
      ]);
      const left = await env.s3.send(new ListObjectVersionsCommand({ Bucket: 'locked', Prefix: 'gone.txt' }));
      assert.equal(left.Versions?.length ?? 0, 0);
    });

    it('S3ComputeObjectChecksum: the checksum at rest, as JSON in the report', async () => {
      await putObject(env.s3, 'data', 'sum.txt', 'hello world');
      const { rows } = await runJob({ kind: 'S3ComputeObjectChecksum', checksumAlgorithm: 'SHA256', checksumType: 'FULL_OBJECT' }, 'data,sum.txt\n');
      const digest = createHash('sha256').update('hello world').digest();
      assert.deepEqual(rows[0]!.slice(0, 6), ['data', 'sum.txt', '', 'succeeded', '200', '']);
      assert.deepEqual(JSON.parse(rows[0]![6]!), {
        checksum_base64: digest.toString('base64'), checksum_hex: digest.toString('hex'), checksumAlgorithm: 'SHA256', checksumType: 'FULL_OBJECT',
        etag: createHash('md5').update('hello world').digest('hex'),
      });
    });

    it('LambdaInvoke schema 2.0: events, results, TemporaryFailure re-driven, function errors', async () => {
      invocations.length = 0;
      temporaryLeft = 2;
      const { id, rows } = await runJob(
        { kind: 'LambdaInvoke', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:handler:live', invocationSchemaVersion: '2.0', userArguments: { width: '640' } },
        'data,photo%201.jpg\ndata,flaky\ndata,refuse\ndata,crash\ndata,garbage\n',
      );
      assert.deepEqual(rows, [
        ['data', 'crash', '', 'failed', '200', 'PermanentFailure', 'Lambda returned function error: {"errorMessage":"boom"}'],
        ['data', 'flaky', '', 'succeeded', '200', '', 'handled flaky'],
        ['data', 'garbage', '', 'failed', '200', 'PermanentFailure', 'Invalid JSON returned in Lambda payload'],
        ['data', 'photo%201.jpg', '', 'succeeded', '200', '', 'handled photo%201.jpg'],
        ['data', 'refuse', '', 'failed', '200', 'PermanentFailure', 'refused'],
      ]);
      const ev = invocations.find((e) => (e.tasks as { s3Key: string }[])[0]!.s3Key === 'photo%201.jpg') as { invocationSchemaVersion: string; job: unknown; tasks: Record<string, unknown>[] };
      assert.equal(ev.invocationSchemaVersion, '2.0');
      assert.deepEqual(ev.job, { id, userArguments: { width: '640' } });
      assert.deepEqual(Object.keys(ev.tasks[0]!).sort(), ['s3Bucket', 's3Key', 's3VersionId', 'taskId']);
      assert.deepEqual([ev.tasks[0]!.s3Bucket, ev.tasks[0]!.s3VersionId], ['data', null]);
      assert.equal(invocations.filter((e) => (e.tasks as { s3Key: string }[])[0]!.s3Key === 'flaky').length, 3);
    });

    it('LambdaInvoke schema 1.0 names the bucket by ARN', async () => {
      invocations.length = 0;
      const { rows } = await runJob({ kind: 'LambdaInvoke', functionArn: 'handler', invocationSchemaVersion: '1.0' }, 'data,k\n');
      assert.deepEqual(rows, [['data', 'k', '', 'succeeded', '200', '', 'handled k']]);
      const t = (invocations[0]!.tasks as Record<string, unknown>[])[0]!;
      assert.equal(invocations[0]!.invocationSchemaVersion, '1.0');
      assert.deepEqual(Object.keys(t).sort(), ['s3BucketArn', 's3Key', 's3VersionId', 'taskId']);
      assert.equal(t.s3BucketArn, 'arn:aws:s3:::data');
    });
  });
}
