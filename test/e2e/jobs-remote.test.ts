/**
 * The same jobs against a remote endpoint: server A runs the jobs, its tasks reach the objects of
 * server B (a second s3batch on another port) through the SDK adapter, as the job's role — A's
 * engine takes the role through B's STS (AssumeRole with an IAM user's keys), so B authorizes
 * every call against the role's own policies.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { createRole, csvJobDefinition, getText, putObject, readReport, startJobsServer, submitJob, waitForStatus, BATCH_TRUST, type JobsServer } from './jobs-fixtures.js';
import { REGION } from '../helpers/server.js';

const MiB = 1024 * 1024;
let remote: JobsServer; // B: holds the objects
let host: JobsServer; // A: runs the jobs
let roleArn: string;

const ROLE_POLICY = ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:PutObjectTagging', 's3:PutObjectVersionTagging', 's3:GetObjectTagging', 's3:ListBucket', 's3:AbortMultipartUpload'];

before(async () => {
  remote = await startJobsServer();
  const b = remote.s3;
  for (const name of ['data', 'manifests', 'reports', 'copies']) await b.send(new CreateBucketCommand({ Bucket: name }));
  await b.send(new PutBucketVersioningCommand({ Bucket: 'copies', VersioningConfiguration: { Status: 'Enabled' } }));
  for (const k of ['a.txt', 'dir/b c.txt']) await putObject(b, 'data', k, `remote body of ${k}`);
  // On B: a user that may assume roles, and the job's role trusting B's account.
  await remote.iam.send(new CreateUserCommand({ UserName: 's3batch-a' }));
  await remote.iam.send(new PutUserPolicyCommand({ UserName: 's3batch-a', PolicyName: 'assume', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] }) }));
  const key = (await remote.iam.send(new CreateAccessKeyCommand({ UserName: 's3batch-a' }))).AccessKey!;
  const trustB = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::000000000000:root' }, Action: 'sts:AssumeRole' }] });
  roleArn = await createRole(remote.iam, 'batch-remote', ROLE_POLICY, trustB);
  await createRole(remote.iam, 'batch-remote-weak', ['s3:GetObject', 's3:PutObject'], trustB);
  // On A: the same roles, trusting the batch service (A's engine takes them in Preparing).
  // Copies of sources over 8 MiB go part by part (5 MiB parts), as past AWS's 5 GiB CopyObject limit.
  host = await startJobsServer({
    storage: { kind: 'remote', endpoint: remote.url, region: REGION, accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey!, assumeRole: true, multipartCopyAbove: 8 * MiB, copyPartSize: 5 * MiB },
  });
  await createRole(host.iam, 'batch-remote', [], BATCH_TRUST);
  await createRole(host.iam, 'batch-remote-weak', [], BATCH_TRUST);
});

after(async () => {
  await host?.stop();
  await remote?.stop();
});

describe('jobs on a remote endpoint (a second s3batch through the SDK adapter)', () => {
  it('tags objects of the remote, reports a missing key, writes the report on the remote', async () => {
    const etag = await putObject(remote.s3, 'manifests', 'm.csv', 'data,a.txt\ndata,dir/b%20c.txt\ndata,missing.txt\n');
    const id = await submitJob(host.app, csvJobDefinition({ operation: { kind: 'S3PutObjectTagging', tagSet: [['where', 'remote']] }, roleArn, manifest: { bucket: 'manifests', key: 'm.csv', etag }, report: { bucket: 'reports', prefix: 'r' } }));
    const job = await waitForStatus(host.app, id, ['Complete', 'Failed']);
    assert.equal(job.status, 'Complete', JSON.stringify(job.failureReasons));
    assert.deepEqual([job.progress.totalNumberOfTasks, job.progress.numberOfTasksSucceeded, job.progress.numberOfTasksFailed], [3, 2, 1]);
    const tags = await remote.s3.send(new GetObjectTaggingCommand({ Bucket: 'data', Key: 'dir/b c.txt' }));
    assert.deepEqual(tags.TagSet, [{ Key: 'where', Value: 'remote' }]);
    const rep = await readReport(remote.s3, 'reports', `r/job-${id}`);
    assert.deepEqual(
      rep.rows.sort((x, y) => x[1]!.localeCompare(y[1]!)),
      [
        ['data', 'a.txt', '', 'succeeded', '200', '', 'Successful'],
        ['data', 'dir/b%20c.txt', '', 'succeeded', '200', '', 'Successful'],
        ['data', 'missing.txt', '', 'failed', '404', 'NoSuchKey', 'The specified key does not exist.'],
      ],
    );
  });

  it('the remote authorizes as the role: a role without s3:PutObjectTagging gets 403 AccessDenied per task', async () => {
    const weak = roleArn.replace('batch-remote', 'batch-remote-weak');
    const etag = await putObject(remote.s3, 'manifests', 'w.csv', 'data,a.txt\n');
    const id = await submitJob(host.app, csvJobDefinition({ operation: { kind: 'S3PutObjectTagging', tagSet: [['x', 'y']] }, roleArn: weak, manifest: { bucket: 'manifests', key: 'w.csv', etag }, report: { bucket: 'reports', prefix: 'w' } }));
    const job = await waitForStatus(host.app, id, ['Complete', 'Failed']);
    assert.equal(job.status, 'Complete');
    const rep = await readReport(remote.s3, 'reports', `w/job-${id}`);
    assert.equal(rep.rows.length, 1);
    assert.deepEqual(rep.rows[0]!.slice(0, 6), ['data', 'a.txt', '', 'failed', '403', 'AccessDenied']);
  });

  it('copies objects into another remote bucket with a key prefix, new tags and metadata', async () => {
    const etag = await putObject(remote.s3, 'manifests', 'c.csv', 'data,a.txt\ndata,dir/b%20c.txt\n');
    const id = await submitJob(
      host.app,
      csvJobDefinition({
        operation: {
          kind: 'S3PutObjectCopy', targetResource: 'arn:aws:s3:::copies', targetBucket: 'copies', targetKeyPrefix: 'backup',
          newObjectTagging: [['copied', 'yes']], metadataDirective: 'REPLACE', newObjectMetadata: { contentType: 'text/x-copied', userMetadata: { origin: 'batch' } },
        },
        roleArn,
        manifest: { bucket: 'manifests', key: 'c.csv', etag },
        report: false,
      }),
    );
    const job = await waitForStatus(host.app, id, ['Complete', 'Failed']);
    assert.equal(job.status, 'Complete', JSON.stringify(job.failureReasons));
    assert.equal(job.progress.numberOfTasksSucceeded, 2);
    assert.equal(await getText(remote.s3, 'copies', 'backup/dir/b c.txt'), 'remote body of dir/b c.txt');
    const head = await remote.s3.send(new HeadObjectCommand({ Bucket: 'copies', Key: 'backup/a.txt' }));
    assert.equal(head.ContentType, 'text/x-copied');
    assert.deepEqual(head.Metadata, { origin: 'batch' });
    const tags = await remote.s3.send(new GetObjectTaggingCommand({ Bucket: 'copies', Key: 'backup/a.txt' }));
    assert.deepEqual(tags.TagSet, [{ Key: 'copied', Value: 'yes' }]);
  });

  it('copies a large source part by part (UploadPartCopy), keeping its metadata and tags', async () => {
    const big = Buffer.alloc(12 * MiB);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
    await remote.s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'big.bin', Body: big, ContentType: 'application/x-big', Metadata: { size: 'large' }, Tagging: 'kind=big' }));
    const etag = await putObject(remote.s3, 'manifests', 'big.csv', 'data,big.bin\n');
    const id = await submitJob(host.app, csvJobDefinition({ operation: { kind: 'S3PutObjectCopy', targetResource: 'arn:aws:s3:::copies', targetBucket: 'copies', targetKeyPrefix: 'mp' }, roleArn, manifest: { bucket: 'manifests', key: 'big.csv', etag }, report: false }));
    const job = await waitForStatus(host.app, id, ['Complete', 'Failed']);
    assert.equal(job.status, 'Complete', JSON.stringify(job.failureReasons));
    assert.equal(job.progress.numberOfTasksSucceeded, 1, JSON.stringify(job.progress));
    const head = await remote.s3.send(new HeadObjectCommand({ Bucket: 'copies', Key: 'mp/big.bin' }));
    assert.match(head.ETag!, /-3"$/); // three parts: 5 + 5 + 2 MiB
    assert.equal(head.ContentLength, big.length);
    assert.deepEqual([head.ContentType, head.Metadata], ['application/x-big', { size: 'large' }]);
    const got = await remote.s3.send(new GetObjectCommand({ Bucket: 'copies', Key: 'mp/big.bin' }));
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(big));
    assert.deepEqual((await remote.s3.send(new GetObjectTaggingCommand({ Bucket: 'copies', Key: 'mp/big.bin' }))).TagSet, [{ Key: 'kind', Value: 'big' }]);
  });
});
