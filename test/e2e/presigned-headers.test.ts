/**
 * Presigned URLs carry their signed x-amz-* headers in the query string (the SDK's presigner
 * hoists every one by default). S3 honours them as the headers they stand for: a presigned PUT
 * with x-amz-meta-*, x-amz-tagging and x-amz-storage-class stores that metadata, tag set and class
 * although the uploader sends none of those headers.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, GetObjectTaggingCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Client, startInProcess, type InProcessServer } from '../helpers/server.js';
import { presignedUrl } from '../helpers/signed-request.js';

let srv: InProcessServer;
let s3: S3Client;

before(async () => {
  srv = await startInProcess();
  s3 = s3Client(srv.url);
  await s3.send(new CreateBucketCommand({ Bucket: 'presigned' }));
});

after(async () => {
  await srv.stop();
});

it('a presigned PUT stores the metadata, tags and storage class its URL was signed with', async () => {
  const port = Number(new URL(srv.url).port);
  const url = await presignedUrl(port, {
    method: 'PUT', path: '/presigned/photo.jpg', expiresIn: 300,
    headers: { 'x-amz-meta-color': 'deep blue', 'x-amz-tagging': 'team=web&stage=raw', 'x-amz-storage-class': 'STANDARD_IA' },
  });
  assert.match(url, /[?&]x-amz-meta-color=deep%20blue(&|$)/, 'the header travels in the query');
  const put = await fetch(url, { method: 'PUT', body: 'jpeg bytes' });
  assert.equal(put.status, 200, await put.text());
  const head = await s3.send(new HeadObjectCommand({ Bucket: 'presigned', Key: 'photo.jpg' }));
  assert.deepEqual(head.Metadata, { color: 'deep blue' });
  assert.equal(head.StorageClass, 'STANDARD_IA');
  const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: 'presigned', Key: 'photo.jpg' }));
  assert.deepEqual(tags.TagSet?.map((t) => [t.Key, t.Value]).sort(), [['stage', 'raw'], ['team', 'web']]);
});

it('the hoisted headers are covered by the signature: changing one is SignatureDoesNotMatch', async () => {
  const port = Number(new URL(srv.url).port);
  const url = await presignedUrl(port, { method: 'PUT', path: '/presigned/signed.txt', expiresIn: 300, headers: { 'x-amz-meta-owner': 'alice' } });
  const forged = await fetch(url.replace('x-amz-meta-owner=alice', 'x-amz-meta-owner=mallory'), { method: 'PUT', body: 'x' });
  assert.equal(forged.status, 403);
  assert.match(await forged.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
});
