/**
 * S3's bucket owner condition on the S3 front: `x-amz-expected-bucket-owner` (SDK
 * `ExpectedBucketOwner`, CLI `--expected-bucket-owner`) and, for a copy's source,
 * `x-amz-source-expected-bucket-owner`. The owner's account passes; any other account gets 403
 * AccessDenied "Access Denied" — the bucket's own root user included — and the request does
 * nothing. CreateBucket ignores the header, as S3 does; a missing bucket is still NoSuchBucket.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  CopyObjectCommand, CreateBucketCommand, DeleteObjectsCommand, GetBucketLocationCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command,
  PutObjectCommand, S3ServiceException, type S3Client,
} from '@aws-sdk/client-s3';
import { AWS_CLI, cliEnv, s3Client, startInProcess, type InProcessServer } from '../helpers/server.js';
import { errorCode, rawRequest } from '../helpers/signed-request.js';

const OWNER = '000000000000';
const OTHER = '111122223333';
const run = promisify(execFile);

let srv: InProcessServer;
let s3: S3Client;

before(async () => {
  srv = await startInProcess();
  s3 = s3Client(srv.url);
  for (const b of ['owned', 'owned-2']) await s3.send(new CreateBucketCommand({ Bucket: b }));
  await s3.send(new PutObjectCommand({ Bucket: 'owned', Key: 'k', Body: 'hello' }));
});

after(async () => {
  await srv.stop();
});

/** `name` null: a HEAD answer, which has no body to name the error (the SDK's name for it varies by version). */
async function denied(p: Promise<unknown>, status = 403, name: string | null = 'AccessDenied'): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof S3ServiceException, `expected ${name}, got ${err === undefined ? 'success' : String(err)}`);
  assert.equal(err.$metadata.httpStatusCode, status);
  if (name !== null) assert.equal(err.name, name, err.message);
  if (name === 'AccessDenied') assert.equal(err.message, 'Access Denied');
}

describe('x-amz-expected-bucket-owner on the S3 API', () => {
  it('PutObject: the owner writes; another account gets 403 AccessDenied and nothing is written', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'owned', Key: 'right', Body: 'r', ExpectedBucketOwner: OWNER }));
    await denied(s3.send(new PutObjectCommand({ Bucket: 'owned', Key: 'wrong', Body: 'w', ExpectedBucketOwner: OTHER })));
    await denied(s3.send(new HeadObjectCommand({ Bucket: 'owned', Key: 'wrong' })), 404, null);
    const body = await (await s3.send(new GetObjectCommand({ Bucket: 'owned', Key: 'right' }))).Body!.transformToString();
    assert.equal(body, 'r');
  });

  it('a value that is not an account id: 400 InvalidBucketOwnerAWSAccountID, on a missing bucket too', async () => {
    await denied(s3.send(new GetObjectCommand({ Bucket: 'owned', Key: 'k', ExpectedBucketOwner: 'not-an-account' })), 400, 'InvalidBucketOwnerAWSAccountID');
    await denied(s3.send(new PutObjectCommand({ Bucket: 'no-such-bucket-here', Key: 'k', Body: 'x', ExpectedBucketOwner: '1234' })), 400, 'InvalidBucketOwnerAWSAccountID');
  });

  it('GetObject and HeadObject: the owner reads; another account gets 403', async () => {
    const r = await s3.send(new GetObjectCommand({ Bucket: 'owned', Key: 'k', ExpectedBucketOwner: OWNER }));
    assert.equal(await r.Body!.transformToString(), 'hello');
    await denied(s3.send(new GetObjectCommand({ Bucket: 'owned', Key: 'k', ExpectedBucketOwner: OTHER })));
    await denied(s3.send(new HeadObjectCommand({ Bucket: 'owned', Key: 'k', ExpectedBucketOwner: OTHER })), 403, null);
    // Even a missing key: the bucket is checked first.
    await denied(s3.send(new GetObjectCommand({ Bucket: 'owned', Key: 'nope', ExpectedBucketOwner: OTHER })));
  });

  it('bucket operations: ListObjectsV2, GetBucketLocation, DeleteObjects (which then deletes nothing)', async () => {
    const l = await s3.send(new ListObjectsV2Command({ Bucket: 'owned', ExpectedBucketOwner: OWNER }));
    assert.ok((l.Contents ?? []).some((o) => o.Key === 'k'));
    await denied(s3.send(new ListObjectsV2Command({ Bucket: 'owned', ExpectedBucketOwner: OTHER })));
    assert.equal((await s3.send(new GetBucketLocationCommand({ Bucket: 'owned', ExpectedBucketOwner: OWNER }))).LocationConstraint, undefined);
    await denied(s3.send(new GetBucketLocationCommand({ Bucket: 'owned', ExpectedBucketOwner: OTHER })));
    await denied(s3.send(new DeleteObjectsCommand({ Bucket: 'owned', Delete: { Objects: [{ Key: 'k' }] }, ExpectedBucketOwner: OTHER })));
    await s3.send(new HeadObjectCommand({ Bucket: 'owned', Key: 'k' }));
  });

  it('CopyObject: the destination and the source (x-amz-source-expected-bucket-owner) are each checked', async () => {
    await s3.send(new CopyObjectCommand({ Bucket: 'owned-2', Key: 'c1', CopySource: 'owned/k', ExpectedBucketOwner: OWNER, ExpectedSourceBucketOwner: OWNER }));
    await denied(s3.send(new CopyObjectCommand({ Bucket: 'owned-2', Key: 'c2', CopySource: 'owned/k', ExpectedSourceBucketOwner: OTHER })));
    await denied(s3.send(new CopyObjectCommand({ Bucket: 'owned-2', Key: 'c3', CopySource: 'owned/k', ExpectedBucketOwner: OTHER })));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'owned-2' }));
    assert.deepEqual((listed.Contents ?? []).map((o) => o.Key), ['c1']);
  });

  it('a missing bucket is NoSuchBucket; CreateBucket ignores the header, as S3 does', async () => {
    await denied(s3.send(new ListObjectsV2Command({ Bucket: 'missing-bucket-eo', ExpectedBucketOwner: OTHER })), 404, 'NoSuchBucket');
    const created = await rawRequest(srv.port, { method: 'PUT', path: '/created-with-header', headers: { 'x-amz-expected-bucket-owner': OTHER } });
    assert.equal(created.status, 200, created.body);
    const wrong = await rawRequest(srv.port, { method: 'GET', path: '/created-with-header', query: { 'list-type': '2' }, headers: { 'x-amz-expected-bucket-owner': OTHER } });
    assert.equal(wrong.status, 403);
    assert.equal(errorCode(wrong.body), 'AccessDenied');
  });

  it('the AWS CLI: --expected-bucket-owner of another account is refused', async () => {
    const args = ['--endpoint-url', srv.url, '--no-cli-pager', 's3api', 'head-bucket', '--bucket', 'owned', '--expected-bucket-owner'];
    await run(AWS_CLI, [...args, OWNER], { env: cliEnv(), timeout: 60_000 });
    const err = await run(AWS_CLI, [...args, OTHER], { env: cliEnv(), timeout: 60_000 }).then(
      () => undefined,
      (e: { stderr: string }) => e,
    );
    assert.ok(err, 'head-bucket with another owner succeeded');
    assert.match(err.stderr, /\(403\)|Forbidden/);
  });
});
