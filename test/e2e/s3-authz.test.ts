/**
 * S3 authorization end to end, with the real @aws-sdk/client-iam, client-sts and client-s3 (and a
 * plain `fetch` for anonymous requests): IAM users and roles created through the IAM API, sessions
 * through STS, and every decision observed on the wire — AccessDenied with AWS's message, per-key
 * errors of DeleteObjects, condition keys, policy variables, bucket policies (cross-account,
 * public, explicit deny against the owner's root), ACLs, NoSuchKey vs AccessDenied, the
 * body-dependent operations that authorize inside their handler, and session tokens.
 *
 * Two accounts: the default one (000000000000, the helper's root keys) owns every bucket, a second
 * one ("partner", 111111111111) comes from a config file.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketAclCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketAclCommand,
  PutBucketInventoryConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectRetentionCommand,
  PutObjectTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, tempDir } from '../helpers/server.js';
import { loadConfig } from '../../src/config.js';
import { startApp, type App } from '../../src/app.js';
import { assumeRole, assumeRoleAsService, AssumeRoleAsServiceError } from '../../src/auth/sts.js';
import { canonicalIdOf } from '../../src/auth/credentials.js';
import { SeedCopyPolicyCorrected, SeedTrustPolicy } from '../../src/auth/policy/seed-lab.js';

interface Keys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

const ACCT = '000000000000';
const PARTNER = '111111111111';
const ROOT: Keys = { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY };
const PARTNER_ROOT: Keys = { accessKeyId: 'AKIAPARTNERACCOUNT01', secretAccessKey: 'partner-secret-000000000000000000000000000' };

let server: { readonly url: string; readonly app: App };
let work: string;
/** What the server logs: a body-dependent handler that forgets to authorize logs a BUG line. */
const logged: string[] = [];
let iam: IAMClient;
let root: S3Client;
const clients: { destroy(): void }[] = [];

function s3As(k: Keys): S3Client {
  const c = new S3Client({ endpoint: server.url, region: REGION, forcePathStyle: true, credentials: k, maxAttempts: 1 });
  clients.push(c);
  return c;
}
function iamAs(k: Keys): IAMClient {
  const c = new IAMClient({ endpoint: server.url, region: REGION, credentials: k, maxAttempts: 1 });
  clients.push(c);
  return c;
}

async function newUser(name: string, client = iam): Promise<Keys> {
  await client.send(new CreateUserCommand({ UserName: name }));
  const k = (await client.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  return { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
}

type Statement = Record<string, unknown>;
const policy = (...Statement: Statement[]): string => JSON.stringify({ Version: '2012-10-17', Statement });
const allowStmt = (Action: string | string[], Resource: string | string[] = '*', extra: Statement = {}): Statement => ({ Effect: 'Allow', Action, Resource, ...extra });

async function userPolicy(user: string, ...statements: Statement[]): Promise<void> {
  await iam.send(new PutUserPolicyCommand({ UserName: user, PolicyName: 'p', PolicyDocument: policy(...statements) }));
}

/** A user with an inline policy, and an S3 client signed with its key. */
async function s3User(name: string, ...statements: Statement[]): Promise<S3Client> {
  const k = await newUser(name);
  if (statements.length > 0) await userPolicy(name, ...statements);
  return s3As(k);
}

/** AWS's AccessDenied message for a caller of the bucket owner's account. */
const noIdentity = (who: string, action: string, resource?: string): string =>
  `User: ${who} is not authorized to perform: ${action}${resource !== undefined ? ` on resource: "${resource}"` : ''} because no identity-based policy allows the ${action} action`;
const explicitIdentity = (who: string, action: string, resource: string): string =>
  `User: ${who} is not authorized to perform: ${action} on resource: "${resource}" with an explicit deny in an identity-based policy`;
const explicitResource = (who: string, action: string, resource: string): string =>
  `User: ${who} is not authorized to perform: ${action} on resource: "${resource}" with an explicit deny in a resource-based policy`;
const userArn = (name: string, account = ACCT): string => `arn:aws:iam::${account}:user/${name}`;

async function rejects(p: Promise<unknown>, code: string, status: number, message?: string | RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    const err = e as { Code?: string; name: string; message: string; $metadata?: { httpStatusCode?: number } };
    assert.equal(err.Code ?? err.name, code, `code (message: ${err.message})`);
    assert.equal(err.$metadata?.httpStatusCode, status, `status of ${code}`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return;
  }
  assert.fail(`expected ${code}`);
}
const denied = (p: Promise<unknown>, message?: string | RegExp): Promise<void> => rejects(p, 'AccessDenied', 403, message);

/** HEAD answers have no body: the SDK reports the bare status. */
async function headStatus(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (e) {
    return (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
  }
}

async function body(s3: S3Client, Bucket: string, Key: string): Promise<string> {
  return (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToString();
}

async function put(Bucket: string, Key: string, Body = 'x', extra: Partial<ConstructorParameters<typeof PutObjectCommand>[0]> = {}): Promise<void> {
  await root.send(new PutObjectCommand({ Bucket, Key, Body, ...extra }));
}

async function bucket(name: string, extra: Partial<ConstructorParameters<typeof CreateBucketCommand>[0]> = {}): Promise<void> {
  await root.send(new CreateBucketCommand({ Bucket: name, ...extra }));
}

async function bucketPolicy(Bucket: string, ...statements: Statement[]): Promise<void> {
  await root.send(new PutBucketPolicyCommand({ Bucket, Policy: policy(...statements) }));
}

/** An unsigned request: status, and the error code of its XML body if any. */
async function anonymous(path: string, init: RequestInit = {}): Promise<{ status: number; text: string; code?: string; message?: string }> {
  const r = await fetch(`${server.url}${path}`, init);
  const text = await r.text();
  return { status: r.status, text, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1], message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1] };
}

before(async () => {
  work = tempDir('s3batch-authz-');
  const configFile = join(work, 'config.yaml');
  writeFileSync(
    configFile,
    `accounts:\n  - id: '${PARTNER}'\n    name: partner\n    rootAccessKeyId: ${PARTNER_ROOT.accessKeyId}\n    rootSecretAccessKey: ${PARTNER_ROOT.secretAccessKey}\n`,
  );
  // As startInProcess, but with the server's log kept.
  const config = loadConfig(
    { port: '0', 'data-dir': join(work, 'data'), config: configFile },
    { S3BATCH_ROOT_ACCESS_KEY_ID: ACCESS_KEY_ID, S3BATCH_ROOT_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY, S3BATCH_FSYNC: 'false' },
  );
  const app = await startApp(config, (m) => void logged.push(m));
  server = { url: app.url, app };
  iam = iamAs(ROOT);
  root = s3As(ROOT);
  await bucket('bkt');
  await put('bkt', 'k', 'hello');
});

after(async () => {
  for (const c of clients) c.destroy();
  await server.app.close();
  // Every handler authorized its request, and nothing failed inside the server.
  assert.deepEqual(logged.filter((m) => m.startsWith('BUG') || m.startsWith('internal error')), []);
  rmSync(work, { recursive: true, force: true });
});

describe('a user without any policy', () => {
  it('is denied every S3 call with AWS’s message naming the action and the resource', async () => {
    const bob = await s3User('bob');
    const who = userArn('bob');
    await denied(bob.send(new ListObjectsV2Command({ Bucket: 'bkt' })), noIdentity(who, 's3:ListBucket', 'arn:aws:s3:::bkt'));
    await denied(bob.send(new ListBucketsCommand({})), noIdentity(who, 's3:ListAllMyBuckets'));
    await denied(bob.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'k' })), noIdentity(who, 's3:GetObject', 'arn:aws:s3:::bkt/k'));
    await denied(bob.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'new', Body: 'x' })), noIdentity(who, 's3:PutObject', 'arn:aws:s3:::bkt/new'));
    await denied(bob.send(new DeleteObjectCommand({ Bucket: 'bkt', Key: 'k' })), noIdentity(who, 's3:DeleteObject', 'arn:aws:s3:::bkt/k'));
    await denied(bob.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'copy', CopySource: 'bkt/k' })), noIdentity(who, 's3:PutObject', 'arn:aws:s3:::bkt/copy'));
    await denied(bob.send(new GetObjectTaggingCommand({ Bucket: 'bkt', Key: 'k' })), noIdentity(who, 's3:GetObjectTagging', 'arn:aws:s3:::bkt/k'));
    await denied(bob.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: 'mp' })), noIdentity(who, 's3:PutObject', 'arn:aws:s3:::bkt/mp'));
    await denied(bob.send(new GetBucketTaggingCommand({ Bucket: 'bkt' })), noIdentity(who, 's3:GetBucketTagging', 'arn:aws:s3:::bkt'));
    await denied(bob.send(new GetBucketVersioningCommand({ Bucket: 'bkt' })), noIdentity(who, 's3:GetBucketVersioning', 'arn:aws:s3:::bkt'));
    await denied(
      bob.send(new PutBucketVersioningCommand({ Bucket: 'bkt', VersioningConfiguration: { Status: 'Enabled' } })),
      noIdentity(who, 's3:PutBucketVersioning', 'arn:aws:s3:::bkt'),
    );
    await denied(bob.send(new GetBucketAclCommand({ Bucket: 'bkt' })), noIdentity(who, 's3:GetBucketAcl', 'arn:aws:s3:::bkt'));
    await denied(bob.send(new GetBucketPolicyCommand({ Bucket: 'bkt' })), noIdentity(who, 's3:GetBucketPolicy', 'arn:aws:s3:::bkt'));
    await denied(bob.send(new PutBucketPolicyCommand({ Bucket: 'bkt', Policy: policy(allowStmt('s3:*', 'arn:aws:s3:::bkt/*', { Principal: '*' })) })), noIdentity(who, 's3:PutBucketPolicy', 'arn:aws:s3:::bkt'));
    await denied(bob.send(new DeleteBucketCommand({ Bucket: 'bkt' })), noIdentity(who, 's3:DeleteBucket', 'arn:aws:s3:::bkt'));
    assert.equal(await headStatus(bob.send(new HeadBucketCommand({ Bucket: 'bkt' }))), 403);
    assert.equal(await headStatus(bob.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'k' }))), 403);
    // Nothing was changed on the way.
    assert.equal(await body(root, 'bkt', 'k'), 'hello');
    assert.equal((await root.send(new ListObjectsV2Command({ Bucket: 'bkt' }))).KeyCount, 1);
    assert.equal((await root.send(new GetBucketVersioningCommand({ Bucket: 'bkt' }))).Status, undefined);
  });

  it('gets what its policy allows once one is attached, and only that', async () => {
    await userPolicy('bob', allowStmt('s3:ListBucket', 'arn:aws:s3:::bkt'));
    const bob = s3As((await newUserKey('bob')));
    assert.equal((await bob.send(new ListObjectsV2Command({ Bucket: 'bkt' }))).KeyCount, 1);
    await denied(bob.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'k' })), noIdentity(userArn('bob'), 's3:GetObject', 'arn:aws:s3:::bkt/k'));
  });
});

describe('IAM changes', () => {
  it('take effect on the next S3 request: inline and managed policies, versions, attachments, key status', async () => {
    const keys = await newUser('fay');
    const fay = s3As(keys);
    const get = (): Promise<unknown> => fay.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'k' }));
    const noGet = noIdentity(userArn('fay'), 's3:GetObject', 'arn:aws:s3:::bkt/k');
    await userPolicy('fay', allowStmt('s3:GetObject', 'arn:aws:s3:::bkt/*'));
    await get();
    await iam.send(new DeleteUserPolicyCommand({ UserName: 'fay', PolicyName: 'p' }));
    await denied(get(), noGet);
    const arn = (await iam.send(new CreatePolicyCommand({ PolicyName: 'fay-read', PolicyDocument: policy(allowStmt('s3:GetObject', 'arn:aws:s3:::bkt/*')) }))).Policy!.Arn!;
    await iam.send(new AttachUserPolicyCommand({ UserName: 'fay', PolicyArn: arn }));
    await get();
    await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: policy(allowStmt('s3:PutObject', 'arn:aws:s3:::bkt/*')), SetAsDefault: true }));
    await denied(get(), noGet);
    await fay.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'by-fay', Body: 'f' }));
    await iam.send(new DetachUserPolicyCommand({ UserName: 'fay', PolicyArn: arn }));
    await denied(fay.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'by-fay', Body: 'f' })), noIdentity(userArn('fay'), 's3:PutObject', 'arn:aws:s3:::bkt/by-fay'));
    await iam.send(new UpdateAccessKeyCommand({ UserName: 'fay', AccessKeyId: keys.accessKeyId, Status: 'Inactive' }));
    await rejects(get(), 'InvalidAccessKeyId', 403, 'The AWS Access Key Id you provided does not exist in our records.');
  });
});

/** A second access key for an existing user. */
async function newUserKey(name: string): Promise<Keys> {
  const k = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  return { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
}

describe('the seed lab’s role, assumed through STS', () => {
  const SRC = 'sourcebucket7123';
  const DST = 'destinationbucket7122';
  const ROLE = 's3crr_role_for_sourcebucket7000';
  const roleArn = `arn:aws:iam::${ACCT}:role/${ROLE}`;
  let session: S3Client;

  before(async () => {
    for (const b of [SRC, DST, 'unrelated7124']) await bucket(b);
    await put(SRC, 'data.csv', 'a,b\n');
    await put(DST, 'existing.txt', 'dest');
    await put('unrelated7124', 'x', 'x');
    // The lab's trust policy (batch operations) plus the account, so a user may assume it too.
    const trust = JSON.parse(SeedTrustPolicy) as { Statement: Statement[] };
    trust.Statement.push({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCT}:root` }, Action: 'sts:AssumeRole' });
    await iam.send(new CreateRoleCommand({ RoleName: ROLE, AssumeRolePolicyDocument: JSON.stringify(trust) }));
    await iam.send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: 'batch-copy', PolicyDocument: SeedCopyPolicyCorrected }));
    const operator = await newUser('operator');
    await userPolicy('operator', allowStmt('sts:AssumeRole', roleArn));
    const sts = new STSClient({ endpoint: server.url, region: REGION, credentials: operator, maxAttempts: 1 });
    const c = (await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'lab' }))).Credentials!;
    sts.destroy();
    session = s3As({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! });
  });

  it('reads and writes where the policy says, and nowhere else', async () => {
    const who = `arn:aws:sts::${ACCT}:assumed-role/${ROLE}/lab`;
    assert.equal(await body(session, SRC, 'data.csv'), 'a,b\n');
    await session.send(new PutObjectCommand({ Bucket: SRC, Key: 'written-by-role', Body: 'r' }));
    await session.send(new PutObjectCommand({ Bucket: DST, Key: 'copied.csv', Body: 'c' }));
    assert.equal(await body(root, DST, 'copied.csv'), 'c');
    assert.deepEqual((await session.send(new ListObjectsV2Command({ Bucket: SRC }))).Contents!.map((o) => o.Key), ['data.csv', 'written-by-role']);
    // The copy policy grants no read on the destination, and nothing at all on other buckets.
    await denied(session.send(new GetObjectCommand({ Bucket: DST, Key: 'existing.txt' })), noIdentity(who, 's3:GetObject', `arn:aws:s3:::${DST}/existing.txt`));
    await denied(session.send(new ListObjectsV2Command({ Bucket: DST })), noIdentity(who, 's3:ListBucket', `arn:aws:s3:::${DST}`));
    await denied(session.send(new GetObjectCommand({ Bucket: 'unrelated7124', Key: 'x' })), noIdentity(who, 's3:GetObject', 'arn:aws:s3:::unrelated7124/x'));
    await denied(session.send(new PutObjectCommand({ Bucket: 'unrelated7124', Key: 'y', Body: 'y' })), noIdentity(who, 's3:PutObject', 'arn:aws:s3:::unrelated7124/y'));
    // A batch copy: read the source, write the destination with the source's tags.
    await session.send(new CopyObjectCommand({ Bucket: DST, Key: 'copy-of-data.csv', CopySource: `${SRC}/data.csv` }));
    await denied(session.send(new CopyObjectCommand({ Bucket: DST, Key: 'no', CopySource: 'unrelated7124/x' })), noIdentity(who, 's3:GetObject', 'arn:aws:s3:::unrelated7124/x'));
  });

  it('tags objects of the destination, but may not delete them', async () => {
    const who = `arn:aws:sts::${ACCT}:assumed-role/${ROLE}/lab`;
    await session.send(new PutObjectTaggingCommand({ Bucket: DST, Key: 'existing.txt', Tagging: { TagSet: [{ Key: 'copied', Value: 'yes' }] } }));
    assert.deepEqual((await root.send(new GetObjectTaggingCommand({ Bucket: DST, Key: 'existing.txt' }))).TagSet, [{ Key: 'copied', Value: 'yes' }]);
    await denied(session.send(new DeleteObjectCommand({ Bucket: DST, Key: 'existing.txt' })), noIdentity(who, 's3:DeleteObject', `arn:aws:s3:::${DST}/existing.txt`));
    await denied(session.send(new PutObjectTaggingCommand({ Bucket: 'unrelated7124', Key: 'x', Tagging: { TagSet: [] } })), noIdentity(who, 's3:PutObjectTagging', 'arn:aws:s3:::unrelated7124/x'));
    assert.equal(await body(root, DST, 'existing.txt'), 'dest');
  });

  it('the trust policy lets batch operations assume the role, and no other service', async () => {
    const p = await assumeRoleAsService(server.app.iam, roleArn, 'batchoperations.s3.amazonaws.com', 'job-1');
    assert.equal(p.kind, 'assumed-role');
    assert.equal(p.arn, `arn:aws:sts::${ACCT}:assumed-role/${ROLE}/job-1`);
    assert.equal(p.roleArn, roleArn);
    await assert.rejects(assumeRoleAsService(server.app.iam, roleArn, 's3.amazonaws.com', 'repl'), (e: unknown) => {
      assert.ok(e instanceof AssumeRoleAsServiceError);
      assert.equal(e.reason, 'NotTrusted');
      return true;
    });
    await iam.send(new CreateRoleCommand({ RoleName: 'users-only', AssumeRolePolicyDocument: policy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCT}:root` }, Action: 'sts:AssumeRole' }) }));
    await assert.rejects(
      assumeRoleAsService(server.app.iam, `arn:aws:iam::${ACCT}:role/users-only`, 'batchoperations.s3.amazonaws.com', 'job-2'),
      (e: unknown) => e instanceof AssumeRoleAsServiceError && e.reason === 'NotTrusted',
    );
  });
});

describe('explicit deny', () => {
  it('beats an Allow of s3:*, for DeleteObject and key by key in DeleteObjects', async () => {
    await bucket('deny');
    for (const k of ['keep/1', 'keep/2', 'tmp/1', 'tmp/2']) await put('deny', k);
    const carl = await s3User(
      'carl',
      allowStmt('s3:*', '*'),
      { Effect: 'Deny', Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::deny/keep/*' },
    );
    await denied(carl.send(new DeleteObjectCommand({ Bucket: 'deny', Key: 'keep/1' })), explicitIdentity(userArn('carl'), 's3:DeleteObject', 'arn:aws:s3:::deny/keep/1'));
    const r = await carl.send(new DeleteObjectsCommand({ Bucket: 'deny', Delete: { Objects: [{ Key: 'keep/1' }, { Key: 'tmp/1' }, { Key: 'keep/2' }, { Key: 'tmp/2' }] } }));
    assert.deepEqual(r.Deleted!.map((d) => d.Key), ['tmp/1', 'tmp/2']);
    assert.deepEqual(
      r.Errors!.map((e) => [e.Key, e.Code, e.Message]),
      [
        ['keep/1', 'AccessDenied', explicitIdentity(userArn('carl'), 's3:DeleteObject', 'arn:aws:s3:::deny/keep/1')],
        ['keep/2', 'AccessDenied', explicitIdentity(userArn('carl'), 's3:DeleteObject', 'arn:aws:s3:::deny/keep/2')],
      ],
    );
    assert.deepEqual((await root.send(new ListObjectsV2Command({ Bucket: 'deny' }))).Contents!.map((o) => o.Key), ['keep/1', 'keep/2']);
    // Everything else s3:* allows still works.
    assert.equal(await body(carl, 'deny', 'keep/1'), 'x');
  });

  it('in a bucket policy stops the owner’s root, except for the bucket-policy calls themselves', async () => {
    await bucket('locked');
    await put('locked', 'o', 'owned');
    await bucketPolicy('locked', { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: ['arn:aws:s3:::locked', 'arn:aws:s3:::locked/*'] });
    const rootArn = `arn:aws:iam::${ACCT}:root`;
    await denied(root.send(new GetObjectCommand({ Bucket: 'locked', Key: 'o' })), explicitResource(rootArn, 's3:GetObject', 'arn:aws:s3:::locked/o'));
    await denied(root.send(new ListObjectsV2Command({ Bucket: 'locked' })), explicitResource(rootArn, 's3:ListBucket', 'arn:aws:s3:::locked'));
    await denied(root.send(new PutObjectCommand({ Bucket: 'locked', Key: 'p', Body: 'p' })), explicitResource(rootArn, 's3:PutObject', 'arn:aws:s3:::locked/p'));
    await denied(root.send(new DeleteBucketCommand({ Bucket: 'locked' })), explicitResource(rootArn, 's3:DeleteBucket', 'arn:aws:s3:::locked'));
    // Lock-out protection: the root user may always read, replace and delete the policy.
    assert.match((await root.send(new GetBucketPolicyCommand({ Bucket: 'locked' }))).Policy!, /"Deny"/);
    await root.send(new PutBucketPolicyCommand({ Bucket: 'locked', Policy: policy({ Effect: 'Deny', Principal: '*', Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::locked/*' }) }));
    assert.equal(await body(root, 'locked', 'o'), 'owned');
    await denied(root.send(new DeleteObjectCommand({ Bucket: 'locked', Key: 'o' })), explicitResource(rootArn, 's3:DeleteObject', 'arn:aws:s3:::locked/o'));
    await root.send(new DeleteBucketPolicyCommand({ Bucket: 'locked' }));
    await root.send(new DeleteObjectCommand({ Bucket: 'locked', Key: 'o' }));
  });

  it('in a bucket policy stops a user its identity policy allows; a user of the account still needs no bucket policy', async () => {
    await bucket('bp-deny');
    await put('bp-deny', 'secret/a');
    await put('bp-deny', 'open/a');
    const dora = await s3User('dora', allowStmt('s3:GetObject', 'arn:aws:s3:::bp-deny/*'));
    await bucketPolicy('bp-deny', { Effect: 'Deny', Principal: { AWS: userArn('dora') }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::bp-deny/secret/*' });
    assert.equal(await body(dora, 'bp-deny', 'open/a'), 'x');
    await denied(dora.send(new GetObjectCommand({ Bucket: 'bp-deny', Key: 'secret/a' })), explicitResource(userArn('dora'), 's3:GetObject', 'arn:aws:s3:::bp-deny/secret/a'));
  });
});

describe('condition keys', () => {
  before(async () => {
    await bucket('cond');
    await put('cond', 'home/a.txt');
    await put('cond', 'other/b.txt');
    await put('cond', 'tagged/public.txt', 'pub', { Tagging: 'class=public' });
    await put('cond', 'tagged/secret.txt', 'sec', { Tagging: 'class=secret' });
    await put('cond', 'tagged/none.txt', 'none');
  });

  it('s3:prefix (StringLike) on ListObjectsV2', async () => {
    const lena = await s3User('lena', allowStmt('s3:ListBucket', 'arn:aws:s3:::cond', { Condition: { StringLike: { 's3:prefix': ['home/*', 'home/'] } } }));
    const r = await lena.send(new ListObjectsV2Command({ Bucket: 'cond', Prefix: 'home/' }));
    assert.deepEqual(r.Contents!.map((o) => o.Key), ['home/a.txt']);
    assert.equal((await lena.send(new ListObjectsV2Command({ Bucket: 'cond', Prefix: 'home/a' }))).KeyCount, 1);
    const msg = noIdentity(userArn('lena'), 's3:ListBucket', 'arn:aws:s3:::cond');
    await denied(lena.send(new ListObjectsV2Command({ Bucket: 'cond', Prefix: 'other/' })), msg);
    await denied(lena.send(new ListObjectsV2Command({ Bucket: 'cond' })), msg);
  });

  it('s3:ExistingObjectTag/<key> on GetObject', async () => {
    const tess = await s3User('tess', allowStmt('s3:GetObject', 'arn:aws:s3:::cond/*', { Condition: { StringEquals: { 's3:ExistingObjectTag/class': 'public' } } }));
    assert.equal(await body(tess, 'cond', 'tagged/public.txt'), 'pub');
    const msg = (k: string): string => noIdentity(userArn('tess'), 's3:GetObject', `arn:aws:s3:::cond/${k}`);
    await denied(tess.send(new GetObjectCommand({ Bucket: 'cond', Key: 'tagged/secret.txt' })), msg('tagged/secret.txt'));
    await denied(tess.send(new GetObjectCommand({ Bucket: 'cond', Key: 'tagged/none.txt' })), msg('tagged/none.txt'));
    // The decision follows the object's tags as they are now.
    await root.send(new PutObjectTaggingCommand({ Bucket: 'cond', Key: 'tagged/secret.txt', Tagging: { TagSet: [{ Key: 'class', Value: 'public' }] } }));
    assert.equal(await body(tess, 'cond', 'tagged/secret.txt'), 'sec');
  });

  it('s3:RequestObjectTag/<key> on PutObjectTagging (and on PutObject with x-amz-tagging)', async () => {
    const rita = await s3User('rita', allowStmt(['s3:PutObjectTagging', 's3:PutObject'], 'arn:aws:s3:::cond/*', { Condition: { StringEquals: { 's3:RequestObjectTag/team': 'blue' } } }));
    await rita.send(new PutObjectTaggingCommand({ Bucket: 'cond', Key: 'other/b.txt', Tagging: { TagSet: [{ Key: 'team', Value: 'blue' }] } }));
    assert.deepEqual((await root.send(new GetObjectTaggingCommand({ Bucket: 'cond', Key: 'other/b.txt' }))).TagSet, [{ Key: 'team', Value: 'blue' }]);
    const msg = noIdentity(userArn('rita'), 's3:PutObjectTagging', 'arn:aws:s3:::cond/other/b.txt');
    await denied(rita.send(new PutObjectTaggingCommand({ Bucket: 'cond', Key: 'other/b.txt', Tagging: { TagSet: [{ Key: 'team', Value: 'red' }] } })), msg);
    await denied(rita.send(new PutObjectTaggingCommand({ Bucket: 'cond', Key: 'other/b.txt', Tagging: { TagSet: [] } })), msg);
    assert.deepEqual((await root.send(new GetObjectTaggingCommand({ Bucket: 'cond', Key: 'other/b.txt' }))).TagSet, [{ Key: 'team', Value: 'blue' }]);
    await rita.send(new PutObjectCommand({ Bucket: 'cond', Key: 'new-blue', Body: 'b', Tagging: 'team=blue' }));
    await denied(rita.send(new PutObjectCommand({ Bucket: 'cond', Key: 'new-red', Body: 'r', Tagging: 'team=red' })), noIdentity(userArn('rita'), 's3:PutObject', 'arn:aws:s3:::cond/new-red'));
  });

  it('aws:SourceIp: 127.0.0.1/32 allows, 10.0.0.0/8 does not, and a NotIpAddress deny blocks', async () => {
    const ian = await s3User('ian', allowStmt('s3:GetObject', 'arn:aws:s3:::cond/*', { Condition: { IpAddress: { 'aws:SourceIp': '127.0.0.1/32' } } }));
    assert.equal(await body(ian, 'cond', 'home/a.txt'), 'x');
    const ivy = await s3User('ivy', allowStmt('s3:GetObject', 'arn:aws:s3:::cond/*', { Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }));
    await denied(ivy.send(new GetObjectCommand({ Bucket: 'cond', Key: 'home/a.txt' })), noIdentity(userArn('ivy'), 's3:GetObject', 'arn:aws:s3:::cond/home/a.txt'));
    const igor = await s3User(
      'igor',
      allowStmt('s3:GetObject', 'arn:aws:s3:::cond/*'),
      { Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8'] } } },
    );
    await denied(igor.send(new GetObjectCommand({ Bucket: 'cond', Key: 'home/a.txt' })), explicitIdentity(userArn('igor'), 's3:GetObject', 'arn:aws:s3:::cond/home/a.txt'));
  });

  it('aws:ResourceAccount, and aws:Referer for anonymous callers', async () => {
    const own = await s3User('own-account-only', allowStmt('s3:GetObject', '*', { Condition: { StringEquals: { 'aws:ResourceAccount': ACCT } } }));
    assert.equal(await body(own, 'cond', 'home/a.txt'), 'x');
    const other = await s3User('partner-account-only', allowStmt('s3:GetObject', '*', { Condition: { StringEquals: { 'aws:ResourceAccount': PARTNER } } }));
    await denied(other.send(new GetObjectCommand({ Bucket: 'cond', Key: 'home/a.txt' })));
    // The S3 User Guide's "restricting access to a specific HTTP referer" bucket policy.
    await bucket('referer');
    await put('referer', 'img.png', 'img');
    await bucketPolicy('referer', { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::referer/*', Condition: { StringLike: { 'aws:Referer': ['http://www.example.com/*'] } } });
    assert.deepEqual((await anonymous('/referer/img.png', { headers: { referer: 'http://www.example.com/page.html' } })).text, 'img');
    assert.deepEqual((await anonymous('/referer/img.png', { headers: { referer: 'http://elsewhere.example/' } })).status, 403);
    assert.deepEqual((await anonymous('/referer/img.png')).status, 403);
  });

  it('the aws:username policy variable: arn:aws:s3:::home/${aws:username}/*', async () => {
    await bucket('home');
    await put('home', 'erin/private.txt', 'erin’s');
    const home = allowStmt(['s3:GetObject', 's3:PutObject'], 'arn:aws:s3:::home/${aws:username}/*');
    const dan = await s3User('dan', home);
    await dan.send(new PutObjectCommand({ Bucket: 'home', Key: 'dan/notes.txt', Body: 'dan’s' }));
    assert.equal(await body(dan, 'home', 'dan/notes.txt'), 'dan’s');
    await denied(dan.send(new GetObjectCommand({ Bucket: 'home', Key: 'erin/private.txt' })), noIdentity(userArn('dan'), 's3:GetObject', 'arn:aws:s3:::home/erin/private.txt'));
    await denied(dan.send(new PutObjectCommand({ Bucket: 'home', Key: 'erin/x', Body: 'x' })), noIdentity(userArn('dan'), 's3:PutObject', 'arn:aws:s3:::home/erin/x'));
    // `${aws:username}` in a 2008-10-17 policy is a literal, and matches nobody's folder.
    await iam.send(new PutUserPolicyCommand({ UserName: 'dan', PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2008-10-17', Statement: [home] }) }));
    await denied(dan.send(new GetObjectCommand({ Bucket: 'home', Key: 'dan/notes.txt' })));
  });
});

describe('bucket policies and ACLs', () => {
  let partnerRoot: S3Client;
  before(async () => {
    partnerRoot = s3As(PARTNER_ROOT);
    await bucket('shared');
    await put('shared', 'doc.txt', 'shared doc');
    await bucket('pub');
    await put('pub', 'public/logo.png', 'png');
    await put('pub', 'private/plan.txt', 'plan');
  });

  it('a grant to another account’s root: its root may act, its users need an identity policy too', async () => {
    await bucketPolicy('shared', allowStmt(['s3:GetObject', 's3:ListBucket'], ['arn:aws:s3:::shared', 'arn:aws:s3:::shared/*'], { Principal: { AWS: `arn:aws:iam::${PARTNER}:root` } }));
    assert.equal(await body(partnerRoot, 'shared', 'doc.txt'), 'shared doc');
    assert.equal((await partnerRoot.send(new ListObjectsV2Command({ Bucket: 'shared' }))).KeyCount, 1);
    // Not granted: the partner sees the bare message (the details are for the owner's account).
    await denied(partnerRoot.send(new PutObjectCommand({ Bucket: 'shared', Key: 'p', Body: 'p' })), 'Access Denied');
    await denied(partnerRoot.send(new DeleteObjectCommand({ Bucket: 'shared', Key: 'doc.txt' })), 'Access Denied');
    const partnerIam = iamAs(PARTNER_ROOT);
    const patKeys = await newUser('pat', partnerIam);
    const pat = s3As(patKeys);
    await denied(pat.send(new GetObjectCommand({ Bucket: 'shared', Key: 'doc.txt' })), 'Access Denied');
    await partnerIam.send(new PutUserPolicyCommand({ UserName: 'pat', PolicyName: 'read-shared', PolicyDocument: policy(allowStmt('s3:GetObject', 'arn:aws:s3:::shared/*')) }));
    assert.equal(await body(pat, 'shared', 'doc.txt'), 'shared doc');
    // Its identity policy alone grants nothing in another account's bucket.
    await partnerIam.send(new PutUserPolicyCommand({ UserName: 'pat', PolicyName: 'all', PolicyDocument: policy(allowStmt('s3:*')) }));
    await denied(pat.send(new PutObjectCommand({ Bucket: 'shared', Key: 'p', Body: 'p' })), 'Access Denied');
    // …and the owner's identity policies never apply to another account's principal.
    await denied(partnerRoot.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'k' })), 'Access Denied');
  });

  it('a grant to another account’s canonical user id is a grant to that account', async () => {
    await bucket('by-canonical');
    await put('by-canonical', 'c.txt', 'canonical');
    await denied(partnerRoot.send(new GetObjectCommand({ Bucket: 'by-canonical', Key: 'c.txt' })), 'Access Denied');
    await bucketPolicy('by-canonical', allowStmt('s3:GetObject', 'arn:aws:s3:::by-canonical/*', { Principal: { CanonicalUser: canonicalIdOf(PARTNER) } }));
    assert.equal(await body(partnerRoot, 'by-canonical', 'c.txt'), 'canonical');
    // Like an account ARN, it delegates to the account: its users need their own Allow.
    const partnerIam = iamAs(PARTNER_ROOT);
    const quinn = s3As(await newUser('quinn', partnerIam));
    await denied(quinn.send(new GetObjectCommand({ Bucket: 'by-canonical', Key: 'c.txt' })), 'Access Denied');
    await partnerIam.send(new PutUserPolicyCommand({ UserName: 'quinn', PolicyName: 'read', PolicyDocument: policy(allowStmt('s3:GetObject', 'arn:aws:s3:::by-canonical/*')) }));
    assert.equal(await body(quinn, 'by-canonical', 'c.txt'), 'canonical');
    // Within the owner's account, the owner's canonical id does not stand in for an identity policy.
    await bucketPolicy('by-canonical', allowStmt('s3:GetObject', 'arn:aws:s3:::by-canonical/*', { Principal: { CanonicalUser: canonicalIdOf(ACCT) } }));
    const una = await s3User('una');
    await denied(una.send(new GetObjectCommand({ Bucket: 'by-canonical', Key: 'c.txt' })), noIdentity(userArn('una'), 's3:GetObject', 'arn:aws:s3:::by-canonical/c.txt'));
  });

  it('Principal "*" public-read on a prefix: anonymous GET works there and is AccessDenied elsewhere', async () => {
    const before = await anonymous('/pub/public/logo.png');
    assert.equal(before.status, 403);
    assert.equal(before.code, 'AccessDenied');
    await bucketPolicy('pub', { Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::pub/public/*' });
    const ok = await anonymous('/pub/public/logo.png');
    assert.equal(ok.status, 200);
    assert.equal(ok.text, 'png');
    const no = await anonymous('/pub/private/plan.txt');
    assert.deepEqual([no.status, no.code, no.message], [403, 'AccessDenied', 'Access Denied']);
    const list = await anonymous('/pub?list-type=2');
    assert.deepEqual([list.status, list.code], [403, 'AccessDenied']);
    const write = await anonymous('/pub/public/new.png', { method: 'PUT', body: 'x' });
    assert.deepEqual([write.status, write.code], [403, 'AccessDenied']);
    // A missing public key: anonymous callers may not list, so they learn nothing (403, not 404).
    const missing = await anonymous('/pub/public/missing.png');
    assert.deepEqual([missing.status, missing.code], [403, 'AccessDenied']);
  });

  it('a missing bucket is NoSuchBucket for every caller, anonymous ones included', async () => {
    const nobody = await s3User('nobody');
    await rejects(nobody.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' })), 'NoSuchBucket', 404);
    // S3 answers an unsigned request for a bucket that does not exist with NoSuchBucket too
    // (bucket names are global; what the 404 tells is public).
    const anon = await anonymous('/no-such-bucket/key');
    assert.deepEqual([anon.status, anon.code], [404, 'NoSuchBucket']);
  });

  it('an object ACL public-read lets anonymous callers read that object only', async () => {
    await bucket('acl');
    await put('acl', 'open.txt', 'open', { ACL: 'public-read' });
    await put('acl', 'closed.txt', 'closed');
    const ok = await anonymous('/acl/open.txt');
    assert.deepEqual([ok.status, ok.text], [200, 'open']);
    assert.deepEqual((await anonymous('/acl/closed.txt')).status, 403);
    await root.send(new PutObjectAclCommand({ Bucket: 'acl', Key: 'closed.txt', ACL: 'public-read' }));
    assert.deepEqual((await anonymous('/acl/closed.txt')).text, 'closed');
    await root.send(new PutObjectAclCommand({ Bucket: 'acl', Key: 'open.txt', ACL: 'private' }));
    assert.deepEqual((await anonymous('/acl/open.txt')).code, 'AccessDenied');
  });

  it('a bucket ACL grant to another account’s canonical id lets that account’s root list', async () => {
    await bucket('acl-list');
    await put('acl-list', 'listed.txt');
    await denied(partnerRoot.send(new ListObjectsV2Command({ Bucket: 'acl-list' })), 'Access Denied');
    const partnerId = (await partnerRoot.send(new ListBucketsCommand({}))).Owner!.ID!;
    assert.equal(partnerId, canonicalIdOf(PARTNER));
    const ownerId = (await root.send(new GetBucketAclCommand({ Bucket: 'acl-list' }))).Owner!.ID!;
    await root.send(new PutBucketAclCommand({ Bucket: 'acl-list', GrantRead: `id=${partnerId}`, GrantFullControl: `id=${ownerId}` }));
    assert.deepEqual((await partnerRoot.send(new ListObjectsV2Command({ Bucket: 'acl-list' }))).Contents!.map((o) => o.Key), ['listed.txt']);
    // READ on the bucket is listing only: the objects keep their own (private) ACLs.
    await denied(partnerRoot.send(new GetObjectCommand({ Bucket: 'acl-list', Key: 'listed.txt' })), 'Access Denied');
    // The owner still has full control.
    assert.equal((await root.send(new ListObjectsV2Command({ Bucket: 'acl-list' }))).KeyCount, 1);
  });
});

describe('GET of a missing key', () => {
  it('is NoSuchKey for a caller who may list the bucket, AccessDenied for one who may not', async () => {
    const lister = await s3User('lister', allowStmt('s3:GetObject', 'arn:aws:s3:::bkt/*'), allowStmt('s3:ListBucket', 'arn:aws:s3:::bkt'));
    const reader = await s3User('reader', allowStmt('s3:GetObject', 'arn:aws:s3:::bkt/*'));
    await rejects(lister.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'missing' })), 'NoSuchKey', 404, 'The specified key does not exist.');
    await denied(reader.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'missing' })), 'Access Denied');
    assert.equal(await headStatus(lister.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'missing' }))), 404);
    assert.equal(await headStatus(reader.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'missing' }))), 403);
    // The existing key is readable by both.
    assert.equal(await body(reader, 'bkt', 'k'), 'hello');
  });
});

describe('body-dependent operations authorize after parsing their body', () => {
  const everythingBut = (...actions: string[]): Statement => ({ Effect: 'Allow', NotAction: actions, Resource: '*' });

  before(async () => {
    await bucket('locks', { ObjectLockEnabledForBucket: true });
    await root.send(new PutObjectCommand({ Bucket: 'locks', Key: 'o', Body: 'o' }));
    await bucket('repl');
    await root.send(new PutBucketVersioningCommand({ Bucket: 'repl', VersioningConfiguration: { Status: 'Enabled' } }));
    await bucket('repl-dst');
    await root.send(new PutBucketVersioningCommand({ Bucket: 'repl-dst', VersioningConfiguration: { Status: 'Enabled' } }));
    await iam.send(new CreateRoleCommand({ RoleName: 'replication', AssumeRolePolicyDocument: policy({ Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: 'sts:AssumeRole' }) }));
  });

  it('PutObjectTagging', async () => {
    const u = await s3User('no-tagging', everythingBut('s3:PutObjectTagging'));
    await denied(u.send(new PutObjectTaggingCommand({ Bucket: 'bkt', Key: 'k', Tagging: { TagSet: [{ Key: 'a', Value: '1' }] } })), noIdentity(userArn('no-tagging'), 's3:PutObjectTagging', 'arn:aws:s3:::bkt/k'));
    assert.deepEqual((await root.send(new GetObjectTaggingCommand({ Bucket: 'bkt', Key: 'k' }))).TagSet, []);
  });

  it('PutObjectRetention', async () => {
    const u = await s3User('no-retention', everythingBut('s3:PutObjectRetention'));
    const until = new Date(Date.now() + 86_400_000);
    await denied(
      u.send(new PutObjectRetentionCommand({ Bucket: 'locks', Key: 'o', Retention: { Mode: 'GOVERNANCE', RetainUntilDate: until } })),
      noIdentity(userArn('no-retention'), 's3:PutObjectRetention', 'arn:aws:s3:::locks/o'),
    );
    // The same call by a user allowed everything succeeds: the denial is the permission's.
    const all = await s3User('all-retention', allowStmt('s3:*'));
    await all.send(new PutObjectRetentionCommand({ Bucket: 'locks', Key: 'o', Retention: { Mode: 'GOVERNANCE', RetainUntilDate: until } }));
  });

  it('PutObjectLegalHold', async () => {
    const u = await s3User('no-hold', everythingBut('s3:PutObjectLegalHold'));
    await denied(u.send(new PutObjectLegalHoldCommand({ Bucket: 'locks', Key: 'o', LegalHold: { Status: 'ON' } })), noIdentity(userArn('no-hold'), 's3:PutObjectLegalHold', 'arn:aws:s3:::locks/o'));
  });

  it('CreateBucket', async () => {
    const u = await s3User('no-create', everythingBut('s3:CreateBucket'));
    await denied(u.send(new CreateBucketCommand({ Bucket: 'not-created' })), noIdentity(userArn('no-create'), 's3:CreateBucket', 'arn:aws:s3:::not-created'));
    assert.equal(await headStatus(root.send(new HeadBucketCommand({ Bucket: 'not-created' }))), 404);
    // s3:locationconstraint from the body is a condition key.
    const eu = await s3User('eu-only', allowStmt('s3:CreateBucket', '*', { Condition: { StringEquals: { 's3:LocationConstraint': 'eu-west-1' } } }));
    await denied(eu.send(new CreateBucketCommand({ Bucket: 'us-bucket' })), noIdentity(userArn('eu-only'), 's3:CreateBucket', 'arn:aws:s3:::us-bucket'));
    await eu.send(new CreateBucketCommand({ Bucket: 'eu-bucket', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
  });

  it('PutBucketInventoryConfiguration', async () => {
    const u = await s3User('no-inventory', everythingBut('s3:PutInventoryConfiguration'));
    await denied(
      u.send(new PutBucketInventoryConfigurationCommand({
        Bucket: 'bkt',
        Id: 'inv',
        InventoryConfiguration: {
          Id: 'inv',
          IsEnabled: true,
          IncludedObjectVersions: 'Current',
          Schedule: { Frequency: 'Daily' },
          Destination: { S3BucketDestination: { Bucket: 'arn:aws:s3:::repl-dst', Format: 'CSV' } },
        },
      })),
      noIdentity(userArn('no-inventory'), 's3:PutInventoryConfiguration', 'arn:aws:s3:::bkt'),
    );
  });

  it('PutBucketReplication, which also needs iam:PassRole on its role', async () => {
    const cfg = {
      Bucket: 'repl',
      ReplicationConfiguration: {
        Role: `arn:aws:iam::${ACCT}:role/replication`,
        Rules: [{ ID: 'all', Status: 'Enabled' as const, Priority: 1, Filter: { Prefix: '' }, DeleteMarkerReplication: { Status: 'Disabled' as const }, Destination: { Bucket: 'arn:aws:s3:::repl-dst' } }],
      },
    };
    const u = await s3User('no-replication', everythingBut('s3:PutReplicationConfiguration'));
    await denied(u.send(new PutBucketReplicationCommand(cfg)), noIdentity(userArn('no-replication'), 's3:PutReplicationConfiguration', 'arn:aws:s3:::repl'));
    const v = await s3User('no-passrole', allowStmt('s3:*'));
    await denied(v.send(new PutBucketReplicationCommand(cfg)), noIdentity(userArn('no-passrole'), 'iam:PassRole', `arn:aws:iam::${ACCT}:role/replication`));
    await userPolicy('no-passrole', allowStmt('s3:*'), allowStmt('iam:PassRole', `arn:aws:iam::${ACCT}:role/replication`, { Condition: { StringEquals: { 'iam:PassedToService': 's3.amazonaws.com' } } }));
    await v.send(new PutBucketReplicationCommand(cfg));
  });

  it('DeleteObjects: every key is denied without s3:DeleteObject, and nothing is deleted', async () => {
    await put('bkt', 'd1');
    await put('bkt', 'd2');
    const u = await s3User('no-delete', everythingBut('s3:DeleteObject'));
    const r = await u.send(new DeleteObjectsCommand({ Bucket: 'bkt', Delete: { Objects: [{ Key: 'd1' }, { Key: 'd2' }] } }));
    assert.equal(r.Deleted, undefined);
    assert.deepEqual(r.Errors!.map((e) => [e.Key, e.Code]), [['d1', 'AccessDenied'], ['d2', 'AccessDenied']]);
    assert.equal(r.Errors![0]!.Message, noIdentity(userArn('no-delete'), 's3:DeleteObject', 'arn:aws:s3:::bkt/d1'));
    assert.equal(await body(root, 'bkt', 'd1'), 'x');
  });
});

describe('session credentials on S3', () => {
  it('a wrong session token is InvalidToken; an expired session is ExpiredToken; no token is InvalidAccessKeyId', async () => {
    const roleArn = `arn:aws:iam::${ACCT}:role/reader-role`;
    await iam.send(new CreateUserCommand({ UserName: 'sam' }));
    const samKey = await newUserKey('sam');
    await iam.send(new CreateRoleCommand({ RoleName: 'reader-role', AssumeRolePolicyDocument: policy({ Effect: 'Allow', Principal: { AWS: userArn('sam') }, Action: 'sts:AssumeRole' }) }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'reader-role', PolicyName: 'read', PolicyDocument: policy(allowStmt('s3:GetObject', 'arn:aws:s3:::bkt/*')) }));
    const sts = new STSClient({ endpoint: server.url, region: REGION, credentials: samKey, maxAttempts: 1 });
    const c = (await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'sess', DurationSeconds: 900 }))).Credentials!;
    sts.destroy();
    const creds = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    assert.equal(await body(s3As(creds), 'bkt', 'k'), 'hello');
    await rejects(s3As({ ...creds, sessionToken: creds.sessionToken.slice(0, -4) + 'AAAA' }).send(new GetObjectCommand({ Bucket: 'bkt', Key: 'k' })), 'InvalidToken', 400, 'The provided token is malformed or otherwise invalid.');
    await rejects(s3As({ accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey }).send(new GetObjectCommand({ Bucket: 'bkt', Key: 'k' })), 'InvalidAccessKeyId', 403);
    // A long-term key with a session token is refused too.
    await rejects(s3As({ ...samKey, sessionToken: creds.sessionToken }).send(new GetObjectCommand({ Bucket: 'bkt', Key: 'k' })), 'InvalidToken', 400);
    // A 900-second session created 901 seconds ago.
    const ctx = server.app.iam;
    const principal = server.app.credentials.lookup(samKey.accessKeyId)!.principal;
    const old = await assumeRole({ ...ctx, now: () => Date.now() - 901_000 }, { principal, secureTransport: false }, { roleArn, roleSessionName: 'old', durationSeconds: 900 });
    const expired = s3As({ accessKeyId: old.credentials.accessKeyId, secretAccessKey: old.credentials.secretAccessKey, sessionToken: old.credentials.sessionToken });
    await rejects(expired.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'k' })), 'ExpiredToken', 400, 'The provided token has expired.');
  });
});
