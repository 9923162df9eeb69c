/**
 * Object sub-resources through the real AWS SDK: tagging, ACLs, object lock (retention, legal hold,
 * and how they guard deletion), RestoreObject and GetObjectAttributes; plus a store-level test of
 * restore expiry driven by an injected clock.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectTaggingCommand,
  GetBucketVersioningCommand,
  GetObjectAclCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  GetObjectRetentionCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectRetentionCommand,
  PutObjectTaggingCommand,
  RestoreObjectCommand,
  UploadPartCommand,
  type S3Client,
  type Tag,
} from '@aws-sdk/client-s3';
import { canonicalIdOf } from '../../src/auth/credentials.js';
import { createBucket, getBucket } from '../../src/store/buckets.js';
import { writeTx } from '../../src/store/context.js';
import { restoreObject } from '../../src/store/object-attrs.js';
import { assertReadable, commitVersion, getVersion, putObject } from '../../src/store/objects.js';
import { openStore } from '../../src/store/open.js';
import type { Checksum, PartInfo } from '../../src/store/types.js';
import { s3Client, startInProcess, tempDir, type InProcessServer } from '../helpers/server.js';
import { rejects } from '../helpers/sdk-assert.js';

const OWNER_ID = canonicalIdOf('000000000000');
const DAY = 86_400_000;
const MISSING_LOCK = 'Bucket is missing Object Lock Configuration';
const NO_OBJECT_LOCK = 'The specified object does not have a ObjectLock configuration';

let server: InProcessServer;
let s3: S3Client;
let bucketSeq = 0;

before(async () => {
  server = await startInProcess({ env: { S3BATCH_RESTORE_EXPEDITED_MS: '200', S3BATCH_RESTORE_STANDARD_MS: '600000' } });
  s3 = s3Client(server.url, { maxAttempts: 1 });
});
after(async () => {
  s3.destroy();
  await server.stop();
});

async function newBucket(opts: { versioned?: boolean; lock?: boolean } = {}): Promise<string> {
  const name = `oc-${process.pid}-${++bucketSeq}`;
  await s3.send(new CreateBucketCommand({ Bucket: name, ObjectLockEnabledForBucket: opts.lock ? true : undefined }));
  if (opts.versioned && !opts.lock) await s3.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }));
  return name;
}

async function put(bucket: string, key: string, extra: Partial<ConstructorParameters<typeof PutObjectCommand>[0]> = {}): Promise<string | undefined> {
  const r = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `body of ${key}`, ...extra }));
  return r.VersionId;
}

/**
 * Replaces a command's request body just before signing, for documents the SDK would never build.
 * The SDK's digest headers are dropped; `md5` adds a Content-MD5 of the new body instead.
 */
function withBody<C extends { middlewareStack: { addRelativeTo: (...a: never[]) => void } }>(cmd: C, body: string, md5 = true): C {
  const mw = (next: (a: unknown) => Promise<unknown>) => async (args: { request: { body: unknown; headers: Record<string, string> } }) => {
    const req = args.request;
    req.body = body;
    for (const h of Object.keys(req.headers)) {
      if (h.toLowerCase().startsWith('x-amz-checksum-') || h.toLowerCase() === 'content-md5' || h.toLowerCase() === 'x-amz-sdk-checksum-algorithm') delete req.headers[h];
    }
    req.headers['content-length'] = String(Buffer.byteLength(body));
    if (md5) req.headers['content-md5'] = createHash('md5').update(body).digest('base64');
    return next(args);
  };
  (cmd.middlewareStack.addRelativeTo as unknown as (m: unknown, o: unknown) => void)(mw, { relation: 'before', toMiddleware: 'httpSigningMiddleware', name: 'replaceBody', override: true });
  return cmd;
}

const tags = (n: number): Tag[] => Array.from({ length: n }, (_, i) => ({ Key: `k${i}`, Value: `v${i}` }));

// -------------------------------------------------------------------------------------------------

describe('object tagging', () => {
  test('put, get and delete a tag set in place: no new version, same ETag and Last-Modified', async () => {
    const b = await newBucket();
    await put(b, 'obj');
    const head0 = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'obj' }));
    const p = await s3.send(new PutObjectTaggingCommand({ Bucket: b, Key: 'obj', Tagging: { TagSet: [{ Key: 'b', Value: '2' }, { Key: 'a', Value: 'x y&z' }] } }));
    assert.equal(p.$metadata.httpStatusCode, 200);
    assert.equal(p.VersionId, undefined, 'no x-amz-version-id in an unversioned bucket');
    const g = await s3.send(new GetObjectTaggingCommand({ Bucket: b, Key: 'obj' }));
    assert.deepEqual(g.TagSet, [{ Key: 'b', Value: '2' }, { Key: 'a', Value: 'x y&z' }]);
    const head1 = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'obj' }));
    assert.equal(head1.TagCount, 2);
    assert.equal(head1.ETag, head0.ETag);
    assert.equal(head1.LastModified?.getTime(), head0.LastModified?.getTime());
    const d = await s3.send(new DeleteObjectTaggingCommand({ Bucket: b, Key: 'obj' }));
    assert.equal(d.$metadata.httpStatusCode, 204);
    assert.deepEqual((await s3.send(new GetObjectTaggingCommand({ Bucket: b, Key: 'obj' }))).TagSet, []);
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'obj' }))).TagCount, undefined);
  });

  test('a versionId addresses one version; the version id comes back in the answer', async () => {
    const b = await newBucket({ versioned: true });
    const v1 = await put(b, 'obj');
    const v2 = await put(b, 'obj');
    const p = await s3.send(new PutObjectTaggingCommand({ Bucket: b, Key: 'obj', VersionId: v1, Tagging: { TagSet: [{ Key: 'old', Value: '1' }] } }));
    assert.equal(p.VersionId, v1);
    const g1 = await s3.send(new GetObjectTaggingCommand({ Bucket: b, Key: 'obj', VersionId: v1 }));
    assert.equal(g1.VersionId, v1);
    assert.deepEqual(g1.TagSet, [{ Key: 'old', Value: '1' }]);
    const g2 = await s3.send(new GetObjectTaggingCommand({ Bucket: b, Key: 'obj' }));
    assert.equal(g2.VersionId, v2);
    assert.deepEqual(g2.TagSet, []);
    const d = await s3.send(new DeleteObjectTaggingCommand({ Bucket: b, Key: 'obj', VersionId: v1 }));
    assert.equal(d.VersionId, v1);
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: b }));
    assert.deepEqual(versions.Versions?.map((v) => v.VersionId), [v2, v1]);
  });

  test('tag set limits answer InvalidTag', async () => {
    const b = await newBucket();
    await put(b, 'obj');
    await rejects(s3.send(new PutObjectTaggingCommand({ Bucket: b, Key: 'obj', Tagging: { TagSet: tags(11) } })), 'InvalidTag', 400, 'Object tags cannot be greater than 10');
    await s3.send(new PutObjectTaggingCommand({ Bucket: b, Key: 'obj', Tagging: { TagSet: tags(10) } }));
    await rejects(
      s3.send(new PutObjectTaggingCommand({ Bucket: b, Key: 'obj', Tagging: { TagSet: [{ Key: 'a', Value: '1' }, { Key: 'a', Value: '2' }] } })),
      'InvalidTag',
      400,
      'Cannot provide multiple Tags with the same key',
    );
    await rejects(s3.send(new PutObjectTaggingCommand({ Bucket: b, Key: 'obj', Tagging: { TagSet: [{ Key: 'aws:x', Value: '1' }] } })), 'InvalidTag', 400, 'Your TagKey cannot be prefixed with aws:');
    await rejects(s3.send(new PutObjectTaggingCommand({ Bucket: b, Key: 'obj', Tagging: { TagSet: [{ Key: 'k'.repeat(129), Value: '1' }] } })), 'InvalidTag', 400, 'The TagKey you have provided is invalid');
    // A refused tag set leaves the previous one.
    assert.equal((await s3.send(new GetObjectTaggingCommand({ Bucket: b, Key: 'obj' }))).TagSet?.length, 10);
    await rejects(s3.send(withBody(new PutObjectTaggingCommand({ Bucket: b, Key: 'obj', Tagging: { TagSet: [] } }), '<Tagging><TagSet><Tag><Key>a</Key></Tag>')), 'MalformedXML', 400);
  });

  test('missing keys, versions and buckets', async () => {
    const b = await newBucket({ versioned: true });
    await put(b, 'obj');
    await rejects(s3.send(new GetObjectTaggingCommand({ Bucket: b, Key: 'nope' })), 'NoSuchKey', 404, 'The specified key does not exist.');
    await rejects(s3.send(new PutObjectTaggingCommand({ Bucket: b, Key: 'nope', Tagging: { TagSet: [] } })), 'NoSuchKey', 404);
    await rejects(s3.send(new DeleteObjectTaggingCommand({ Bucket: b, Key: 'nope' })), 'NoSuchKey', 404);
    await rejects(s3.send(new GetObjectTaggingCommand({ Bucket: b, Key: 'obj', VersionId: 'AbCdEfGhIjKlMnOpQrStUvWxYz012345' })), 'NoSuchVersion', 404, 'The specified version does not exist.');
    await rejects(s3.send(new GetObjectTaggingCommand({ Bucket: b, Key: 'obj', VersionId: 'not a version' })), 'InvalidArgument', 400, 'Invalid version id specified');
    await rejects(s3.send(new GetObjectTaggingCommand({ Bucket: `${b}-missing`, Key: 'obj' })), 'NoSuchBucket', 404);
  });

  test('a delete marker: GET without versionId is NoSuchKey, everything else is MethodNotAllowed', async () => {
    const b = await newBucket({ versioned: true });
    await put(b, 'obj');
    const dm = (await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'obj' }))).VersionId;
    const e = await rejects(s3.send(new GetObjectTaggingCommand({ Bucket: b, Key: 'obj' })), 'NoSuchKey', 404);
    assert.equal(e.$response?.headers['x-amz-delete-marker'], 'true');
    await rejects(s3.send(new GetObjectTaggingCommand({ Bucket: b, Key: 'obj', VersionId: dm })), 'MethodNotAllowed', 405);
    await rejects(s3.send(new PutObjectTaggingCommand({ Bucket: b, Key: 'obj', Tagging: { TagSet: [] } })), 'MethodNotAllowed', 405);
    await rejects(s3.send(new PutObjectTaggingCommand({ Bucket: b, Key: 'obj', VersionId: dm, Tagging: { TagSet: [] } })), 'MethodNotAllowed', 405);
    await rejects(s3.send(new DeleteObjectTaggingCommand({ Bucket: b, Key: 'obj', VersionId: dm })), 'MethodNotAllowed', 405);
  });
});

// -------------------------------------------------------------------------------------------------

describe('object ACL', () => {
  const policy = (grants: { id?: string; uri?: string; permission: string }[], owner = OWNER_ID) => ({
    Owner: { ID: owner },
    Grants: grants.map((g) => ({
      Grantee: g.id ? { Type: 'CanonicalUser' as const, ID: g.id } : { Type: 'Group' as const, URI: g.uri },
      Permission: g.permission as 'READ',
    })),
  });

  test('a new object is private: its owner has FULL_CONTROL', async () => {
    const b = await newBucket();
    await put(b, 'obj');
    const acl = await s3.send(new GetObjectAclCommand({ Bucket: b, Key: 'obj' }));
    assert.deepEqual(acl.Owner, { ID: OWNER_ID, DisplayName: 'default' });
    assert.deepEqual(acl.Grants, [{ Grantee: { Type: 'CanonicalUser', ID: OWNER_ID, DisplayName: 'default' }, Permission: 'FULL_CONTROL' }]);
  });

  test('canned ACL, grant headers and an AccessControlPolicy body each replace the ACL', async () => {
    const b = await newBucket();
    await put(b, 'obj');
    await s3.send(new PutObjectAclCommand({ Bucket: b, Key: 'obj', ACL: 'public-read' }));
    let acl = await s3.send(new GetObjectAclCommand({ Bucket: b, Key: 'obj' }));
    assert.deepEqual(acl.Grants, [
      { Grantee: { Type: 'CanonicalUser', ID: OWNER_ID, DisplayName: 'default' }, Permission: 'FULL_CONTROL' },
      { Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/global/AllUsers' }, Permission: 'READ' },
    ]);

    await s3.send(new PutObjectAclCommand({ Bucket: b, Key: 'obj', GrantRead: 'uri="http://acs.amazonaws.com/groups/global/AuthenticatedUsers"', GrantFullControl: `id="${OWNER_ID}"` }));
    acl = await s3.send(new GetObjectAclCommand({ Bucket: b, Key: 'obj' }));
    assert.deepEqual(acl.Grants, [
      { Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers' }, Permission: 'READ' },
      { Grantee: { Type: 'CanonicalUser', ID: OWNER_ID, DisplayName: 'default' }, Permission: 'FULL_CONTROL' },
    ]);

    await s3.send(new PutObjectAclCommand({ Bucket: b, Key: 'obj', AccessControlPolicy: policy([{ id: OWNER_ID, permission: 'READ_ACP' }, { uri: 'http://acs.amazonaws.com/groups/s3/LogDelivery', permission: 'WRITE' }]) }));
    acl = await s3.send(new GetObjectAclCommand({ Bucket: b, Key: 'obj' }));
    assert.deepEqual(acl.Grants, [
      { Grantee: { Type: 'CanonicalUser', ID: OWNER_ID, DisplayName: 'default' }, Permission: 'READ_ACP' },
      { Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/s3/LogDelivery' }, Permission: 'WRITE' },
    ]);

    await s3.send(new PutObjectAclCommand({ Bucket: b, Key: 'obj', ACL: 'private' }));
    acl = await s3.send(new GetObjectAclCommand({ Bucket: b, Key: 'obj' }));
    assert.deepEqual(acl.Grants, [{ Grantee: { Type: 'CanonicalUser', ID: OWNER_ID, DisplayName: 'default' }, Permission: 'FULL_CONTROL' }]);
  });

  test('the ACL of one version', async () => {
    const b = await newBucket({ versioned: true });
    const v1 = await put(b, 'obj');
    await put(b, 'obj');
    await s3.send(new PutObjectAclCommand({ Bucket: b, Key: 'obj', VersionId: v1, ACL: 'authenticated-read' }));
    assert.equal((await s3.send(new GetObjectAclCommand({ Bucket: b, Key: 'obj', VersionId: v1 }))).Grants?.length, 2);
    assert.equal((await s3.send(new GetObjectAclCommand({ Bucket: b, Key: 'obj' }))).Grants?.length, 1);
  });

  test('refusals', async () => {
    const b = await newBucket();
    await put(b, 'obj');
    const unknown = 'a'.repeat(64);
    await rejects(s3.send(new PutObjectAclCommand({ Bucket: b, Key: 'obj', AccessControlPolicy: policy([{ id: unknown, permission: 'READ' }]) })), 'InvalidArgument', 400, 'Invalid id');
    await rejects(s3.send(new PutObjectAclCommand({ Bucket: b, Key: 'obj', GrantRead: `id="${unknown}"` })), 'InvalidArgument', 400, 'Invalid id');
    await rejects(s3.send(new PutObjectAclCommand({ Bucket: b, Key: 'obj', GrantRead: 'uri="http://example.com/group"' })), 'InvalidArgument', 400, 'Invalid group uri');
    await rejects(s3.send(new PutObjectAclCommand({ Bucket: b, Key: 'obj', ACL: 'bogus' as 'private' })), 'InvalidArgument', 400);
    await rejects(s3.send(new PutObjectAclCommand({ Bucket: b, Key: 'obj', ACL: 'public-read', GrantRead: `id="${OWNER_ID}"` })), 'InvalidRequest', 400, 'Specifying both Canned ACLs and Header Grants is not allowed');
    await rejects(
      s3.send(new PutObjectAclCommand({ Bucket: b, Key: 'obj', ACL: 'public-read', AccessControlPolicy: policy([{ id: OWNER_ID, permission: 'READ' }]) })),
      'UnexpectedContent',
      400,
      'This request does not support content',
    );
    await rejects(s3.send(new PutObjectAclCommand({ Bucket: b, Key: 'obj' })), 'MissingSecurityHeader', 400, 'Your request was missing a required header');
    await rejects(s3.send(new PutObjectAclCommand({ Bucket: b, Key: 'obj', AccessControlPolicy: policy([{ id: OWNER_ID, permission: 'READ' }], unknown) })), 'AccessDenied', 403);
    await rejects(s3.send(withBody(new PutObjectAclCommand({ Bucket: b, Key: 'obj' }), '<AccessControlPolicy><Owner>')), 'MalformedACLError', 400);
    // Nothing was changed by the refused requests.
    assert.equal((await s3.send(new GetObjectAclCommand({ Bucket: b, Key: 'obj' }))).Grants?.length, 1);
    await rejects(s3.send(new GetObjectAclCommand({ Bucket: b, Key: 'nope' })), 'NoSuchKey', 404);
  });
});

// -------------------------------------------------------------------------------------------------

describe('object lock', () => {
  const future = (ms: number): Date => new Date(Math.ceil((Date.now() + ms) / 1000) * 1000);

  test('a bucket created with Object Lock has versioning Enabled', async () => {
    const b = await newBucket({ lock: true });
    assert.equal((await s3.send(new GetBucketVersioningCommand({ Bucket: b }))).Status, 'Enabled');
  });

  test('a bucket without Object Lock refuses retention and legal hold', async () => {
    const b = await newBucket({ versioned: true });
    await put(b, 'obj');
    await rejects(s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'obj' })), 'InvalidRequest', 400, MISSING_LOCK);
    await rejects(s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'obj', Retention: { Mode: 'GOVERNANCE', RetainUntilDate: future(DAY) } })), 'InvalidRequest', 400, MISSING_LOCK);
    await rejects(s3.send(new GetObjectLegalHoldCommand({ Bucket: b, Key: 'obj' })), 'InvalidRequest', 400, MISSING_LOCK);
    await rejects(s3.send(new PutObjectLegalHoldCommand({ Bucket: b, Key: 'obj', LegalHold: { Status: 'ON' } })), 'InvalidRequest', 400, MISSING_LOCK);
  });

  test('an object without retention or legal hold answers NoSuchObjectLockConfiguration', async () => {
    const b = await newBucket({ lock: true });
    await put(b, 'obj');
    await rejects(s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'obj' })), 'NoSuchObjectLockConfiguration', 404, NO_OBJECT_LOCK);
    await rejects(s3.send(new GetObjectLegalHoldCommand({ Bucket: b, Key: 'obj' })), 'NoSuchObjectLockConfiguration', 404, NO_OBJECT_LOCK);
    await rejects(s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'nope' })), 'NoSuchKey', 404);
  });

  test('a legal hold set to OFF on upload is recorded as OFF, not as never set', async () => {
    const b = await newBucket({ lock: true });
    await put(b, 'off', { ObjectLockLegalHoldStatus: 'OFF' });
    assert.deepEqual((await s3.send(new GetObjectLegalHoldCommand({ Bucket: b, Key: 'off' }))).LegalHold, { Status: 'OFF' });
    // HEAD names a hold's status once one was ever applied, OFF included; never, without one.
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'off' }))).ObjectLockLegalHoldStatus, 'OFF');
    await put(b, 'never');
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'never' }))).ObjectLockLegalHoldStatus, undefined);
    await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'off', VersionId: (await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'off' }))).VersionId }));
    const uploadId = (await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'mp', ObjectLockLegalHoldStatus: 'OFF' }))).UploadId!;
    const part = await s3.send(new UploadPartCommand({ Bucket: b, Key: 'mp', UploadId: uploadId, PartNumber: 1, Body: 'x', ContentMD5: createHash('md5').update('x').digest('base64') }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: 'mp', UploadId: uploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    assert.deepEqual((await s3.send(new GetObjectLegalHoldCommand({ Bucket: b, Key: 'mp' }))).LegalHold, { Status: 'OFF' });
  });

  test('GOVERNANCE: lengthen freely; shorten, remove or change mode only with bypass', async () => {
    const b = await newBucket({ lock: true });
    const v = await put(b, 'obj');
    const d1 = future(DAY);
    const r = await s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'obj', Retention: { Mode: 'GOVERNANCE', RetainUntilDate: d1 } }));
    assert.equal(r.$metadata.httpStatusCode, 200);
    const got = await s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'obj' }));
    assert.deepEqual(got.Retention, { Mode: 'GOVERNANCE', RetainUntilDate: d1 });
    const head = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'obj' }));
    assert.equal(head.ObjectLockMode, 'GOVERNANCE');
    assert.equal(head.ObjectLockRetainUntilDate?.getTime(), d1.getTime());
    assert.equal(head.VersionId, v, 'no new version');

    const d2 = future(2 * DAY);
    await s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'obj', Retention: { Mode: 'GOVERNANCE', RetainUntilDate: d2 } }));
    const denied = 'Access Denied because object protected by object lock.';
    await rejects(s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'obj', Retention: { Mode: 'GOVERNANCE', RetainUntilDate: d1 } })), 'AccessDenied', 403, denied);
    await rejects(s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'obj', Retention: { Mode: 'COMPLIANCE', RetainUntilDate: d2 } })), 'AccessDenied', 403, denied);
    await rejects(s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'obj', Retention: {} })), 'AccessDenied', 403, denied);
    assert.deepEqual((await s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'obj' }))).Retention, { Mode: 'GOVERNANCE', RetainUntilDate: d2 });

    await s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'obj', Retention: { Mode: 'GOVERNANCE', RetainUntilDate: d1 }, BypassGovernanceRetention: true }));
    assert.deepEqual((await s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'obj' }))).Retention, { Mode: 'GOVERNANCE', RetainUntilDate: d1 });
    await s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'obj', Retention: {}, BypassGovernanceRetention: true }));
    await rejects(s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'obj' })), 'NoSuchObjectLockConfiguration', 404, NO_OBJECT_LOCK);
    await s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'obj', Retention: { Mode: 'GOVERNANCE', RetainUntilDate: d1 } }));
    await s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'obj', Retention: { Mode: 'COMPLIANCE', RetainUntilDate: d1 }, BypassGovernanceRetention: true }));
    assert.deepEqual((await s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'obj' }))).Retention, { Mode: 'COMPLIANCE', RetainUntilDate: d1 });
  });

  test('COMPLIANCE: can only be lengthened, bypass or not', async () => {
    const b = await newBucket({ lock: true });
    const d1 = future(DAY);
    const d2 = future(2 * DAY);
    await put(b, 'obj', { ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: d1 });
    for (const retention of [{ Mode: 'COMPLIANCE' as const, RetainUntilDate: future(DAY / 2) }, { Mode: 'GOVERNANCE' as const, RetainUntilDate: d2 }, {}]) {
      await rejects(s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'obj', Retention: retention, BypassGovernanceRetention: true })), 'AccessDenied', 403);
    }
    await s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'obj', Retention: { Mode: 'COMPLIANCE', RetainUntilDate: d2 } }));
    assert.deepEqual((await s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'obj' }))).Retention, { Mode: 'COMPLIANCE', RetainUntilDate: d2 });
  });

  test('bad retention documents', async () => {
    const b = await newBucket({ lock: true });
    const v = await put(b, 'obj');
    await rejects(
      s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'obj', Retention: { Mode: 'COMPLIANCE', RetainUntilDate: new Date(Date.now() - DAY) } })),
      'InvalidArgument',
      400,
      'The retain until date must be in the future!',
    );
    await rejects(s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'obj', Retention: { Mode: 'governance' as 'GOVERNANCE', RetainUntilDate: future(DAY) } })), 'MalformedXML', 400);
    await rejects(s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'obj', Retention: { Mode: 'GOVERNANCE' } })), 'MalformedXML', 400);
    const doc = `<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Mode>GOVERNANCE</Mode><RetainUntilDate>next tuesday</RetainUntilDate></Retention>`;
    await rejects(s3.send(withBody(new PutObjectRetentionCommand({ Bucket: b, Key: 'obj', Retention: {} }), doc)), 'MalformedXML', 400);
    const good = `<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Mode>GOVERNANCE</Mode><RetainUntilDate>${future(DAY).toISOString()}</RetainUntilDate></Retention>`;
    await rejects(
      s3.send(withBody(new PutObjectRetentionCommand({ Bucket: b, Key: 'obj', Retention: {} }), good, false)),
      'InvalidRequest',
      400,
      'Missing required header for this request: Content-MD5 OR x-amz-checksum-*',
    );
    await rejects(s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'obj', VersionId: v })), 'NoSuchObjectLockConfiguration', 404, NO_OBJECT_LOCK); // nothing above was stored
  });

  test('legal hold: ON, OFF, and never set', async () => {
    const b = await newBucket({ lock: true });
    const v = await put(b, 'obj');
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: b, Key: 'obj', LegalHold: { Status: 'ON' } }));
    assert.deepEqual((await s3.send(new GetObjectLegalHoldCommand({ Bucket: b, Key: 'obj' }))).LegalHold, { Status: 'ON' });
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'obj' }))).ObjectLockLegalHoldStatus, 'ON');
    await rejects(s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'obj', VersionId: v, BypassGovernanceRetention: true })), 'AccessDenied', 403);
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: b, Key: 'obj', VersionId: v, LegalHold: { Status: 'OFF' } }));
    assert.deepEqual((await s3.send(new GetObjectLegalHoldCommand({ Bucket: b, Key: 'obj', VersionId: v }))).LegalHold, { Status: 'OFF' });
    await rejects(s3.send(new PutObjectLegalHoldCommand({ Bucket: b, Key: 'obj', LegalHold: { Status: 'abc' as 'ON' } })), 'MalformedXML', 400);
    const del = await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'obj', VersionId: v }));
    assert.equal(del.$metadata.httpStatusCode, 204);
    await rejects(s3.send(new GetObjectLegalHoldCommand({ Bucket: b, Key: 'obj', VersionId: v })), 'NoSuchVersion', 404);
  });

  test('retention and legal hold are per version; a delete marker has neither', async () => {
    const b = await newBucket({ lock: true });
    const v1 = await put(b, 'obj');
    const v2 = await put(b, 'obj');
    await s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'obj', VersionId: v1, Retention: { Mode: 'GOVERNANCE', RetainUntilDate: future(DAY) } }));
    await rejects(s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'obj', VersionId: v2 })), 'NoSuchObjectLockConfiguration', 404);
    assert.equal((await s3.send(new GetObjectRetentionCommand({ Bucket: b, Key: 'obj', VersionId: v1 }))).Retention?.Mode, 'GOVERNANCE');
    const dm = (await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'obj' }))).VersionId;
    await rejects(s3.send(new PutObjectRetentionCommand({ Bucket: b, Key: 'obj', VersionId: dm, Retention: { Mode: 'GOVERNANCE', RetainUntilDate: future(DAY) } })), 'MethodNotAllowed', 405);
    await rejects(s3.send(new PutObjectLegalHoldCommand({ Bucket: b, Key: 'obj', LegalHold: { Status: 'ON' } })), 'MethodNotAllowed', 405);
    await rejects(s3.send(new GetObjectLegalHoldCommand({ Bucket: b, Key: 'obj' })), 'NoSuchKey', 404);
  });

  test('deleting locked versions: COMPLIANCE never, GOVERNANCE with bypass, legal hold never', async () => {
    const b = await newBucket({ lock: true });
    const c = await put(b, 'compliance', { ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: future(DAY) });
    const g = await put(b, 'governance', { ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: future(DAY) });
    const h = await put(b, 'held', { ObjectLockLegalHoldStatus: 'ON' });
    const denied = 'Access Denied because object protected by object lock.';
    await rejects(s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'compliance', VersionId: c })), 'AccessDenied', 403, denied);
    await rejects(s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'compliance', VersionId: c, BypassGovernanceRetention: true })), 'AccessDenied', 403, denied);
    await rejects(s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'governance', VersionId: g })), 'AccessDenied', 403, denied);
    await rejects(s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'held', VersionId: h })), 'AccessDenied', 403, denied);
    // A delete without a version id only adds a delete marker, which object lock allows.
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'compliance' }));
    assert.equal(marker.DeleteMarker, true);
    const ok = await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'governance', VersionId: g, BypassGovernanceRetention: true }));
    assert.equal(ok.$metadata.httpStatusCode, 204);
    assert.equal(ok.VersionId, g);
    const left = await s3.send(new ListObjectVersionsCommand({ Bucket: b }));
    assert.deepEqual(left.Versions?.map((v) => v.Key).sort(), ['compliance', 'held']);
  });

  test('a version becomes deletable once its retention date has passed', async () => {
    const b = await newBucket({ lock: true });
    const until = new Date(Date.now() + 900);
    const v = await put(b, 'obj', { ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: until });
    await rejects(s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'obj', VersionId: v })), 'AccessDenied', 403);
    await new Promise((r) => setTimeout(r, Math.max(0, until.getTime() - Date.now() + 50)));
    const del = await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'obj', VersionId: v }));
    assert.equal(del.$metadata.httpStatusCode, 204);
  });
});

// -------------------------------------------------------------------------------------------------

describe('RestoreObject', () => {
  const bodyOf = async (r: { Body?: unknown }): Promise<string> => Buffer.from(await (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()).toString();

  test('only archived objects can be restored', async () => {
    const b = await newBucket();
    await put(b, 'std');
    await put(b, 'ia', { StorageClass: 'STANDARD_IA' });
    for (const key of ['std', 'ia']) {
      await rejects(s3.send(new RestoreObjectCommand({ Bucket: b, Key: key, RestoreRequest: { Days: 1 } })), 'InvalidObjectState', 403, 'Restore is not allowed for the object\'s current storage class');
    }
    await rejects(s3.send(new RestoreObjectCommand({ Bucket: b, Key: 'nope', RestoreRequest: { Days: 1 } })), 'NoSuchKey', 404);
  });

  test('202, in progress (409), readable once ready, 200 extends the expiry', async () => {
    const b = await newBucket();
    await put(b, 'cold', { StorageClass: 'GLACIER' });
    await rejects(s3.send(new GetObjectCommand({ Bucket: b, Key: 'cold' })), 'InvalidObjectState', 403, 'The operation is not valid for the object\'s storage class');
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'cold' }))).Restore, undefined);

    const first = await s3.send(new RestoreObjectCommand({ Bucket: b, Key: 'cold', RestoreRequest: { Days: 1, GlacierJobParameters: { Tier: 'Expedited' } } }));
    const requestedAt = Date.now();
    assert.equal(first.$metadata.httpStatusCode, 202);
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'cold' }))).Restore, 'ongoing-request="true"');
    await rejects(s3.send(new RestoreObjectCommand({ Bucket: b, Key: 'cold', RestoreRequest: { Days: 1, GlacierJobParameters: { Tier: 'Expedited' } } })), 'RestoreAlreadyInProgress', 409, 'Object restore is already in progress');
    await rejects(s3.send(new GetObjectCommand({ Bucket: b, Key: 'cold' })), 'InvalidObjectState', 403);

    await new Promise((r) => setTimeout(r, 260));
    const head = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'cold' }));
    const m = /^ongoing-request="false", expiry-date="([^"]+)"$/.exec(head.Restore ?? '');
    assert.ok(m, `x-amz-restore: ${head.Restore}`);
    const expiry = Date.parse(m[1]!);
    assert.ok(Math.abs(expiry - (requestedAt + 200 + DAY)) < 2000, `expiry ${m[1]} is a day after the restore completed`);
    assert.equal(await bodyOf(await s3.send(new GetObjectCommand({ Bucket: b, Key: 'cold' }))), 'body of cold');
    assert.equal(head.StorageClass, 'GLACIER', 'the object stays archived; a restored copy is added');

    const again = await s3.send(new RestoreObjectCommand({ Bucket: b, Key: 'cold', RestoreRequest: { Days: 3 } }));
    assert.equal(again.$metadata.httpStatusCode, 200);
    const extended = /expiry-date="([^"]+)"/.exec((await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'cold' }))).Restore ?? '');
    assert.ok(extended && Math.abs(Date.parse(extended[1]!) - (Date.now() + 3 * DAY)) < 2000, 'the expiry moved to 3 days from now');
  });

  test('a Standard restore stays in progress for its configured delay', async () => {
    const b = await newBucket({ versioned: true });
    const v1 = await put(b, 'deep', { StorageClass: 'DEEP_ARCHIVE' });
    await put(b, 'deep');
    const r = await s3.send(new RestoreObjectCommand({ Bucket: b, Key: 'deep', VersionId: v1, RestoreRequest: { Days: 2 } }));
    assert.equal(r.$metadata.httpStatusCode, 202);
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'deep', VersionId: v1 }))).Restore, 'ongoing-request="true"');
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'deep' }))).Restore, undefined, 'only the addressed version');
    await rejects(s3.send(new RestoreObjectCommand({ Bucket: b, Key: 'deep', VersionId: v1, RestoreRequest: { Days: 2, GlacierJobParameters: { Tier: 'Bulk' } } })), 'RestoreAlreadyInProgress', 409);
  });

  test('bad restore requests', async () => {
    const b = await newBucket();
    await put(b, 'deep', { StorageClass: 'DEEP_ARCHIVE' });
    await rejects(s3.send(new RestoreObjectCommand({ Bucket: b, Key: 'deep', RestoreRequest: { Days: 1, GlacierJobParameters: { Tier: 'Expedited' } } })), 'InvalidArgument', 400);
    await rejects(s3.send(new RestoreObjectCommand({ Bucket: b, Key: 'deep', RestoreRequest: { Days: 0 } })), 'MalformedXML', 400);
    await rejects(s3.send(new RestoreObjectCommand({ Bucket: b, Key: 'deep', RestoreRequest: {} })), 'MalformedXML', 400);
    await rejects(s3.send(new RestoreObjectCommand({ Bucket: b, Key: 'deep', RestoreRequest: { Days: 1, GlacierJobParameters: { Tier: 'Fast' as 'Bulk' } } })), 'MalformedXML', 400);
    await rejects(s3.send(new RestoreObjectCommand({ Bucket: b, Key: 'deep', RestoreRequest: { Days: 1, Type: 'SELECT' } })), 'NotImplemented', 501);
    // None of them started a restore.
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'deep' }))).Restore, undefined);
  });

  test('the restored copy goes away at its expiry (store, injected clock)', async () => {
    const dir = tempDir('s3batch-restore-');
    let now = Date.UTC(2030, 0, 1);
    const store = openStore(dir, { inlineThreshold: 65536, fsync: false, restoreDelays: { Expedited: 60_000, Standard: 3_600_000, Bulk: 7_200_000 } }, () => now);
    try {
      const ctx = store.ctx;
      createBucket(ctx, { name: 'cold', owner: '000000000000', region: 'us-east-1', objectLock: false, acl: null });
      const body = (async function* () {
        yield Buffer.from('frozen');
      })();
      await putObject(ctx, { bucket: 'cold', key: 'k', body, owner: '000000000000', headers: { meta: {} }, storageClass: 'GLACIER', tags: [], acl: null });
      const r = restoreObject(ctx, { bucket: 'cold', key: 'k' }, { days: 2, tier: 'Standard' });
      assert.deepEqual(r.restore, { tier: 'Standard', days: 2, requestedAt: now, readyAt: now + 3_600_000, expiresAt: now + 3_600_000 + 2 * DAY });
      const readable = (): boolean => {
        try {
          assertReadable(ctx, getVersion(ctx, 'cold', 'k'));
          return true;
        } catch (e) {
          assert.equal((e as { code: string }).code, 'InvalidObjectState');
          return false;
        }
      };
      assert.equal(readable(), false);
      now += 3_600_000 - 1;
      assert.equal(readable(), false, 'still in progress');
      now += 1;
      assert.equal(readable(), true, 'ready');
      now = r.restore.expiresAt - 1;
      assert.equal(readable(), true);
      now = r.restore.expiresAt;
      assert.equal(readable(), false, 'expired');
      // After expiry a new request starts a new restore (202), not an extension.
      const again = restoreObject(ctx, { bucket: 'cold', key: 'k' }, { days: 1, tier: 'Expedited' });
      assert.equal(again.status, 202);
      assert.equal(again.restore.readyAt, now + 60_000);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// -------------------------------------------------------------------------------------------------

describe('GetObjectAttributes', () => {
  const all = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'] as const;

  /** Commits a multipart-shaped version directly in the store (the multipart API is built elsewhere). */
  function commitMultipart(bucket: string, key: string, checksum: Checksum, parts: PartInfo[]): void {
    const ctx = server.app.store.ctx;
    writeTx(ctx, (unlink) =>
      commitVersion(
        ctx,
        getBucket(ctx, bucket),
        key,
        { owner: '000000000000', headers: { meta: {} }, storageClass: 'STANDARD', tags: [], acl: null, size: parts.reduce((n, p) => n + p.size, 0), etag: '0123456789abcdef0123456789abcdef-3', extents: [], parts, checksum },
        unlink,
      ),
    );
  }

  test('a single-part object: unquoted ETag, checksum, storage class, size; no ObjectParts', async () => {
    const b = await newBucket({ versioned: true });
    const p = await s3.send(new PutObjectCommand({ Bucket: b, Key: 'obj', Body: 'hello attributes', ChecksumAlgorithm: 'CRC32' }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'obj' }));
    const r = await s3.send(new GetObjectAttributesCommand({ Bucket: b, Key: 'obj', ObjectAttributes: [...all] }));
    assert.equal(r.ETag, p.ETag!.replace(/"/g, ''));
    assert.deepEqual(r.Checksum, { ChecksumCRC32: p.ChecksumCRC32, ChecksumType: 'FULL_OBJECT' });
    assert.equal(r.ObjectParts, undefined);
    assert.equal(r.StorageClass, 'STANDARD');
    assert.equal(r.ObjectSize, 16);
    assert.equal(r.VersionId, p.VersionId);
    assert.equal(r.LastModified?.getTime(), head.LastModified?.getTime());
    const some = await s3.send(new GetObjectAttributesCommand({ Bucket: b, Key: 'obj', ObjectAttributes: ['ObjectSize'] }));
    assert.equal(some.ObjectSize, 16);
    assert.equal(some.ETag, undefined);
    assert.equal(some.StorageClass, undefined);
  });

  test('an object without a checksum has no Checksum; an archived one needs no restore', async () => {
    const b = await newBucket();
    const plain = s3Client(server.url, { maxAttempts: 1, requestChecksumCalculation: 'WHEN_REQUIRED' });
    try {
      await plain.send(new PutObjectCommand({ Bucket: b, Key: 'cold', Body: 'x', StorageClass: 'GLACIER' }));
    } finally {
      plain.destroy();
    }
    const r = await s3.send(new GetObjectAttributesCommand({ Bucket: b, Key: 'cold', ObjectAttributes: [...all] }));
    assert.equal(r.Checksum, undefined);
    assert.equal(r.StorageClass, 'GLACIER');
    assert.equal(r.VersionId, undefined, 'no x-amz-version-id in an unversioned bucket');
  });

  test('multipart with a COMPOSITE checksum: the part list, paged', async () => {
    const b = await newBucket();
    const parts: PartInfo[] = [
      { size: 5, checksum: 'AAAAAQ==' },
      { size: 6, checksum: 'AAAAAg==' },
      { size: 2, checksum: 'AAAAAw==' },
    ];
    commitMultipart(b, 'mp', { algorithm: 'CRC32', value: 'q83vEg==-3', type: 'COMPOSITE' }, parts);
    const r = await s3.send(new GetObjectAttributesCommand({ Bucket: b, Key: 'mp', ObjectAttributes: [...all] }));
    assert.equal(r.ETag, '0123456789abcdef0123456789abcdef-3');
    assert.deepEqual(r.Checksum, { ChecksumCRC32: 'q83vEg==-3', ChecksumType: 'COMPOSITE' });
    assert.equal(r.ObjectSize, 13);
    assert.deepEqual(r.ObjectParts, {
      TotalPartsCount: 3,
      PartNumberMarker: '0',
      NextPartNumberMarker: '3',
      MaxParts: 1000,
      IsTruncated: false,
      Parts: [
        { PartNumber: 1, Size: 5, ChecksumCRC32: 'AAAAAQ==' },
        { PartNumber: 2, Size: 6, ChecksumCRC32: 'AAAAAg==' },
        { PartNumber: 3, Size: 2, ChecksumCRC32: 'AAAAAw==' },
      ],
    });
    const page1 = await s3.send(new GetObjectAttributesCommand({ Bucket: b, Key: 'mp', ObjectAttributes: ['ObjectParts'], MaxParts: 2 }));
    assert.equal(page1.ObjectParts?.IsTruncated, true);
    assert.equal(page1.ObjectParts?.NextPartNumberMarker, '2');
    assert.deepEqual(page1.ObjectParts?.Parts?.map((p) => p.PartNumber), [1, 2]);
    const page2 = await s3.send(new GetObjectAttributesCommand({ Bucket: b, Key: 'mp', ObjectAttributes: ['ObjectParts'], MaxParts: 2, PartNumberMarker: '2' }));
    assert.equal(page2.ObjectParts?.IsTruncated, false);
    assert.equal(page2.ObjectParts?.PartNumberMarker, '2');
    assert.deepEqual(page2.ObjectParts?.Parts?.map((p) => p.PartNumber), [3]);
  });

  test('multipart with a FULL_OBJECT checksum: only the part count', async () => {
    const b = await newBucket();
    commitMultipart(b, 'mp', { algorithm: 'CRC64NVME', value: 'AAAAAAAAAAA=', type: 'FULL_OBJECT' }, [{ size: 5 }, { size: 6 }, { size: 2 }]);
    const r = await s3.send(new GetObjectAttributesCommand({ Bucket: b, Key: 'mp', ObjectAttributes: ['ObjectParts'] }));
    assert.deepEqual(r.ObjectParts, { TotalPartsCount: 3 });
  });

  test('refusals', async () => {
    const b = await newBucket({ versioned: true });
    await put(b, 'obj');
    await rejects(
      s3.send(new GetObjectAttributesCommand({ Bucket: b, Key: 'obj', ObjectAttributes: [] })),
      'InvalidRequest',
      400,
      'The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty',
    );
    await rejects(s3.send(new GetObjectAttributesCommand({ Bucket: b, Key: 'obj', ObjectAttributes: ['Bogus' as 'ETag'] })), 'InvalidArgument', 400, 'Invalid attribute name specified.');
    await rejects(s3.send(new GetObjectAttributesCommand({ Bucket: b, Key: 'obj', ObjectAttributes: ['ETag'], PartNumberMarker: 'x' })), 'InvalidArgument', 400);
    await rejects(s3.send(new GetObjectAttributesCommand({ Bucket: b, Key: 'nope', ObjectAttributes: ['ETag'] })), 'NoSuchKey', 404, 'The specified key does not exist.');
    const dm = (await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'obj' }))).VersionId;
    await rejects(s3.send(new GetObjectAttributesCommand({ Bucket: b, Key: 'obj', ObjectAttributes: ['ETag'] })), 'NoSuchKey', 404);
    await rejects(s3.send(new GetObjectAttributesCommand({ Bucket: b, Key: 'obj', VersionId: dm, ObjectAttributes: ['ETag'] })), 'MethodNotAllowed', 405);
  });
});
