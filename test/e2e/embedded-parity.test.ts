/**
 * The embedded StorageClient (what batch tasks run through) against the S3 front, on the rules
 * both share one implementation of: tag validation (store/tags.ts), canned ACLs (store/acl.ts) and
 * the permission decision (auth/object-access.ts `checkPermission`, which differs only by what the
 * transport tells it: aws:SecureTransport, aws:SourceIp). Also CopyObject's checksum of another
 * algorithm when the source is overwritten mid-copy, and legal hold left unset on copies.
 * The front is driven by the real AWS SDK v3; the embedded client is the one the job engine builds.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  CreateBucketCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  S3ServiceException,
  type Grant as SdkGrant,
} from '@aws-sdk/client-s3';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, s3Client, startInProcess, type InProcessServer } from '../helpers/server.js';
import { createEmbeddedStorage } from '../../src/storage/embedded/client.js';
import type { CannedAcl, StorageClient, Tag } from '../../src/storage/storage-client.js';
import { S3Error } from '../../src/errors.js';

let server: InProcessServer;
let s3: S3Client;
let root: StorageClient;

function embeddedAs(accessKeyId: string): StorageClient {
  const app = server.app;
  const principal = app.credentials.lookup(accessKeyId)!.principal;
  return createEmbeddedStorage({ store: app.store.ctx, credentials: app.credentials, region: app.config.region }, principal);
}

before(async () => {
  server = await startInProcess();
  s3 = s3Client(server.url);
  root = embeddedAs(ACCESS_KEY_ID);
  await s3.send(new CreateBucketCommand({ Bucket: 'parity' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'parity-lock', ObjectLockEnabledForBucket: true }));
});

after(async () => {
  s3.destroy();
  await server.stop();
});

/** The error a call ends with, as code + message (S3 front: the SDK's; embedded: the S3Error). */
async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof S3ServiceException) return { code: e.name, message: e.message };
    if (e instanceof S3Error) return { code: e.code, message: e.message };
    throw e;
  }
  return { code: 'success', message: '' };
}

const sha256b64 = (b: Buffer): string => createHash('sha256').update(b).digest('base64');

async function bodyOf(r: { Body?: unknown }): Promise<Buffer> {
  return Buffer.from(await (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

async function readAll(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c);
  return Buffer.concat(chunks);
}

describe('tag validation: the S3 front and the embedded client answer alike', () => {
  const many = (n: number): Tag[] => Array.from({ length: n }, (_, i) => [`k${i}`, 'v'] as const);
  const cases: { name: string; tags: Tag[]; code: string; message: string }[] = [
    { name: '11 tags', tags: many(11), code: 'InvalidTag', message: 'Object tags cannot be greater than 10' },
    { name: 'a 129-character key', tags: [['k'.repeat(129), 'v']], code: 'InvalidTag', message: 'The TagKey you have provided is invalid' },
    { name: 'a 257-character value', tags: [['k', 'v'.repeat(257)]], code: 'InvalidTag', message: 'The TagValue you have provided is invalid' },
    { name: 'an aws: key', tags: [['AWS:owner', 'v']], code: 'InvalidTag', message: 'Your TagKey cannot be prefixed with aws:' },
    { name: 'a duplicate key', tags: [['k', 'a'], ['k', 'b']], code: 'InvalidTag', message: 'Cannot provide multiple Tags with the same key' },
    // Limits count Unicode characters, not UTF-16 units: 128 emoji are 256 units and still valid.
    { name: '10 tags, 128-emoji key, 256-emoji value', tags: [['\u{1F600}'.repeat(128), '\u{1F600}'.repeat(256)], ...many(9)], code: 'success', message: '' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      await s3.send(new PutObjectCommand({ Bucket: 'parity', Key: 'tagged', Body: 'x' }));
      const front = await failure(s3.send(new PutObjectTaggingCommand({ Bucket: 'parity', Key: 'tagged', Tagging: { TagSet: c.tags.map(([Key, Value]) => ({ Key, Value })) } })));
      // A fresh array each call: the client remembers tag sets it has validated.
      const embedded = await failure(root.putObjectTagging({ bucket: 'parity', key: 'tagged' }, c.tags.map((t) => [...t] as const)));
      const batch = await root.batch!.putObjectTagging([{ bucket: 'parity', key: 'tagged' }], [...c.tags], 'PUT').then(
        (r) => (r[0] instanceof S3Error ? { code: r[0].code, message: r[0].message } : { code: 'success', message: '' }),
        (e: unknown) => (e instanceof S3Error ? { code: e.code, message: e.message } : Promise.reject(e)),
      );
      assert.deepEqual(front, { code: c.code, message: c.message });
      assert.deepEqual(embedded, front);
      assert.deepEqual(batch, front);
    });
  }
});

describe('canned ACLs: the S3 front and the embedded client grant alike', () => {
  const canned: CannedAcl[] = ['private', 'public-read', 'public-read-write', 'authenticated-read', 'aws-exec-read', 'bucket-owner-read', 'bucket-owner-full-control'];
  const grantsOf = async (key: string): Promise<string[]> =>
    ((await s3.send(new GetObjectAclCommand({ Bucket: 'parity', Key: key }))).Grants ?? []).map((g: SdkGrant) => `${g.Grantee?.Type}:${g.Grantee?.ID ?? g.Grantee?.URI}:${g.Permission}`);
  for (const acl of canned) {
    it(acl, async () => {
      await s3.send(new PutObjectCommand({ Bucket: 'parity', Key: `front-${acl}`, Body: 'x' }));
      await s3.send(new PutObjectAclCommand({ Bucket: 'parity', Key: `front-${acl}`, ACL: acl }));
      await s3.send(new PutObjectCommand({ Bucket: 'parity', Key: `embedded-${acl}`, Body: 'x' }));
      await root.putObjectAcl({ bucket: 'parity', key: `embedded-${acl}` }, { kind: 'canned', canned: acl });
      const front = await grantsOf(`front-${acl}`);
      assert.equal(front.length, { 'public-read': 2, 'public-read-write': 3, 'authenticated-read': 2 }[acl as string] ?? 1, front.join());
      assert.deepEqual(await grantsOf(`embedded-${acl}`), front);
    });
  }

  it('an unknown canned ACL is refused alike', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'parity', Key: 'acl-bad', Body: 'x' }));
    const front = await failure(s3.send(new PutObjectAclCommand({ Bucket: 'parity', Key: 'acl-bad', ACL: 'no-such-acl' as CannedAcl })));
    const embedded = await failure(root.putObjectAcl({ bucket: 'parity', key: 'acl-bad' }, { kind: 'canned', canned: 'no-such-acl' as CannedAcl }));
    assert.equal(front.code, 'InvalidArgument');
    assert.deepEqual(embedded, front);
  });
});

describe('authorization: same decision, the transport aside', () => {
  let user: { accessKeyId: string; secretAccessKey: string };
  before(async () => {
    const iam = new IAMClient({ endpoint: server.url, region: REGION, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }, maxAttempts: 1 });
    await iam.send(new CreateUserCommand({ UserName: 'parity-user' }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'parity-user',
        PolicyName: 'transport',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            // Calls inside the process never leave it: aws:SecureTransport is true there, false over this plain-HTTP port.
            { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::parity/*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } },
            // aws:SourceIp exists only for HTTP requests.
            { Effect: 'Allow', Action: 's3:GetObjectTagging', Resource: 'arn:aws:s3:::parity/*', Condition: { IpAddress: { 'aws:SourceIp': '127.0.0.0/8' } } },
            { Effect: 'Allow', Action: 's3:GetObjectAcl', Resource: 'arn:aws:s3:::parity/*' },
          ],
        }),
      }),
    );
    const k = (await iam.send(new CreateAccessKeyCommand({ UserName: 'parity-user' }))).AccessKey!;
    user = { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
    iam.destroy();
    await s3.send(new PutObjectCommand({ Bucket: 'parity', Key: 'authz', Body: 'x' }));
  });

  it('aws:SecureTransport and aws:SourceIp follow the transport; the rest is decided alike', async () => {
    const front = s3Client(server.url, { credentials: user, maxAttempts: 1 });
    const embedded = embeddedAs(user.accessKeyId);
    const ref = { bucket: 'parity', key: 'authz' };
    try {
      assert.equal((await failure(front.send(new GetObjectCommand({ Bucket: 'parity', Key: 'authz' })))).code, 'AccessDenied');
      assert.equal((await readAll((await embedded.getObject(ref)).body)).toString(), 'x');
      assert.deepEqual((await front.send(new GetObjectTaggingCommand({ Bucket: 'parity', Key: 'authz' }))).TagSet, []);
      assert.equal((await failure(embedded.getObjectTagging(ref))).code, 'AccessDenied');
      // No condition: both allow.
      assert.equal((await front.send(new GetObjectAclCommand({ Bucket: 'parity', Key: 'authz' }))).Grants?.length, 1);
      // Nothing granted: both deny with the same message.
      const denied = await failure(front.send(new PutObjectAclCommand({ Bucket: 'parity', Key: 'authz', ACL: 'public-read' })));
      assert.equal(denied.code, 'AccessDenied');
      assert.deepEqual(await failure(embedded.putObjectAcl(ref, { kind: 'canned', canned: 'public-read' })), denied);
    } finally {
      front.destroy();
    }
  });
});

describe('embedded CopyObject', () => {
  it('a checksum of another algorithm is of the bytes copied, even when the source is overwritten meanwhile', async () => {
    const first = Buffer.alloc(8 * 1024 * 1024, 'a'); // file blobs, read in 256 KiB chunks: hashing spans many turns
    const second = Buffer.alloc(8 * 1024 * 1024, 'b');
    await root.putObject({ bucket: 'parity', key: 'race-src', body: first });
    const copy = root.copyObject({ source: { bucket: 'parity', key: 'race-src' }, bucket: 'parity', key: 'race-dst', checksumAlgorithm: 'SHA256' });
    await root.putObject({ bucket: 'parity', key: 'race-src', body: second });
    await copy;
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'parity', Key: 'race-dst', ChecksumMode: 'ENABLED' }));
    const bytes = await bodyOf(await s3.send(new GetObjectCommand({ Bucket: 'parity', Key: 'race-dst' })));
    assert.equal(head.ChecksumSHA256, sha256b64(bytes));
    assert.equal(head.ChecksumType, 'FULL_OBJECT');
  });

  it('a copy into a lock bucket without a legal hold has none; an explicit OFF is recorded as OFF', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'parity-lock', Key: 'src', Body: 'x' }));
    const holdOf = (key: string): Promise<string> =>
      s3.send(new GetObjectLegalHoldCommand({ Bucket: 'parity-lock', Key: key })).then((r) => r.LegalHold?.Status ?? '(none)', (e: unknown) => (e instanceof S3ServiceException ? e.name : Promise.reject(e)));
    const source = { bucket: 'parity-lock', key: 'src' };
    await root.copyObject({ source, bucket: 'parity-lock', key: 'one-unset' });
    await root.copyObject({ source, bucket: 'parity-lock', key: 'one-off', legalHold: false });
    await root.copyObject({ source, bucket: 'parity-lock', key: 'one-on', legalHold: true });
    const batch = root.batch!;
    for (const [suffix, legalHold] of [['unset', undefined], ['off', false], ['on', true]] as const) {
      const r = await batch.copyObjects({ bucket: 'parity-lock', legalHold }, [{ source, key: `many-${suffix}` }]);
      assert.ok(!(r[0] instanceof S3Error), String(r[0]));
    }
    // The S3 front's answer for an object whose hold was never set.
    await s3.send(new PutObjectCommand({ Bucket: 'parity-lock', Key: 'front-unset', Body: 'x' }));
    const never = await holdOf('front-unset');
    assert.equal(never, 'NoSuchObjectLockConfiguration');
    for (const p of ['one', 'many']) {
      assert.equal(await holdOf(`${p}-unset`), never, p);
      assert.equal(await holdOf(`${p}-off`), 'OFF', p);
      assert.equal(await holdOf(`${p}-on`), 'ON', p);
    }
  });
});
