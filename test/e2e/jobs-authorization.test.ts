/**
 * Batch tasks are authorized object by object with the conditions the role's policies set, on the
 * set-based paths too (store/batch.ts, auth/object-access.ts `operationAuthorizer`): existing
 * object tags, version ids, the copy source, and a bucket policy's explicit deny.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, PutBucketPolicyCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { BATCH_TRUST, csvJobDefinition, putObject, readReport, startJobsServer, submitJob, waitForStatus, type JobsServer } from './jobs-fixtures.js';
import type { JobOperation } from '../../src/jobs/model.js';

let srv: JobsServer;
let roleArn: string;
let v1: string;

before(async () => {
  srv = await startJobsServer();
  for (const b of ['authz', 'manifests', 'reports', 'dest']) await srv.s3.send(new CreateBucketCommand({ Bucket: b }));
  await srv.s3.send(new PutBucketVersioningCommand({ Bucket: 'authz', VersioningConfiguration: { Status: 'Enabled' } }));
  await srv.s3.send(new PutObjectCommand({ Bucket: 'authz', Key: 'blue.txt', Body: 'b', Tagging: 'team=blue' }));
  await srv.s3.send(new PutObjectCommand({ Bucket: 'authz', Key: 'red.txt', Body: 'r', Tagging: 'team=red' }));
  v1 = (await srv.s3.send(new PutObjectCommand({ Bucket: 'authz', Key: 'versioned.txt', Body: 'v', Tagging: 'team=blue' }))).VersionId!;
  await srv.s3.send(new PutObjectCommand({ Bucket: 'authz', Key: 'open/x.txt', Body: 'x' }));
  await srv.s3.send(new PutObjectCommand({ Bucket: 'authz', Key: 'closed/y.txt', Body: 'y' }));
  await srv.s3.send(new PutObjectCommand({ Bucket: 'authz', Key: 'open/denied-by-bucket.txt', Body: 'z', Tagging: 'team=blue' }));
  const role = await srv.iam.send(new CreateRoleCommand({ RoleName: 'conditional', AssumeRolePolicyDocument: BATCH_TRUST }));
  roleArn = role.Role!.Arn!;
  await srv.iam.send(new PutRolePolicyCommand({
    RoleName: 'conditional',
    PolicyName: 'p',
    PolicyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: ['arn:aws:s3:::manifests/*', 'arn:aws:s3:::reports/*'] },
        { Effect: 'Allow', Action: 's3:PutObjectTagging', Resource: 'arn:aws:s3:::authz/*', Condition: { StringEquals: { 's3:ExistingObjectTag/team': 'blue' } } },
        { Effect: 'Allow', Action: 's3:PutObjectVersionTagging', Resource: 'arn:aws:s3:::authz/*', Condition: { StringEquals: { 's3:versionid': v1 } } },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::authz/*' },
        { Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::dest/*', Condition: { StringLike: { 's3:x-amz-copy-source': 'authz/open/*' } } },
      ],
    }),
  }));
  await srv.s3.send(new PutBucketPolicyCommand({
    Bucket: 'authz',
    Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::authz/open/denied-by-bucket.txt' }] }),
  }));
});

after(async () => {
  await srv.stop();
});

async function outcomes(operation: JobOperation, csv: string, name: string, fields?: ('Bucket' | 'Key' | 'VersionId')[]): Promise<string[][]> {
  const etag = await putObject(srv.s3, 'manifests', `${name}.csv`, csv);
  const id = await submitJob(srv.app, csvJobDefinition({ operation, roleArn, manifest: { bucket: 'manifests', key: `${name}.csv`, etag, fields }, report: { bucket: 'reports', prefix: name } }));
  const job = await waitForStatus(srv.app, id, ['Complete', 'Failed']);
  assert.equal(job.status, 'Complete', JSON.stringify(job.failureReasons));
  const rep = await readReport(srv.s3, 'reports', `${name}/job-${id}`);
  return rep.rows.map((r) => [r[1]!, r[3]!, r[4]!, r[5]!]).sort((a, b) => a[0]!.localeCompare(b[0]!));
}

it('tagging: s3:ExistingObjectTag, s3:versionid and a bucket policy deny, decided per object', async () => {
  const rows = await outcomes(
    { kind: 'S3PutObjectTagging', tagSet: [['checked', 'yes']] },
    `authz,blue.txt,\nauthz,red.txt,\nauthz,versioned.txt,${v1}\nauthz,open/denied-by-bucket.txt,\nauthz,missing.txt,\n`.replace(/,\n/g, ',null\n'),
    'tags',
    ['Bucket', 'Key', 'VersionId'],
  );
  // VersionId "null" addresses the null version: none exists in this versioned bucket.
  assert.deepEqual(rows, [
    ['blue.txt', 'failed', '403', 'AccessDenied'], // by version id "null": s3:PutObjectVersionTagging with another version id
    ['missing.txt', 'failed', '403', 'AccessDenied'],
    ['open/denied-by-bucket.txt', 'failed', '403', 'AccessDenied'],
    ['red.txt', 'failed', '403', 'AccessDenied'],
    ['versioned.txt', 'succeeded', '200', ''],
  ]);
  const current = await outcomes({ kind: 'S3PutObjectTagging', tagSet: [['checked', 'yes']] }, 'authz,blue.txt\nauthz,red.txt\nauthz,open/denied-by-bucket.txt\nauthz,gone.txt\n', 'tags-current');
  assert.deepEqual(current, [
    ['blue.txt', 'succeeded', '200', ''],
    ['gone.txt', 'failed', '403', 'AccessDenied'], // no tags to match: denied before NoSuchKey, as S3
    ['open/denied-by-bucket.txt', 'failed', '403', 'AccessDenied'],
    ['red.txt', 'failed', '403', 'AccessDenied'],
  ]);
});

it('copy: s3:x-amz-copy-source decides per source key', async () => {
  const rows = await outcomes({ kind: 'S3PutObjectCopy', targetResource: 'arn:aws:s3:::dest', targetBucket: 'dest' }, 'authz,open/x.txt\nauthz,closed/y.txt\n', 'copy');
  assert.deepEqual(rows, [
    ['closed/y.txt', 'failed', '403', 'AccessDenied'],
    ['open/x.txt', 'succeeded', '200', ''],
  ]);
});
