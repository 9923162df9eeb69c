/**
 * STS with the real @aws-sdk/client-sts and the real AWS CLI: AssumeRole under trust policies
 * (principal named directly, through the account, across accounts, service principals), session
 * limits, session tags and external ids, temporary credentials used for IAM, STS and S3, refused
 * session tokens, expiry, and `assumeRoleAsService` for the job engine. The Query API is served on
 * the server's one port, beside S3.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, ListRolesCommand, ListUsersCommand, PutRolePolicyCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { ACCESS_KEY_ID, AWS_CLI, cliEnv, REGION, SECRET_ACCESS_KEY, startInProcess, tempDir, type InProcessServer } from '../helpers/server.js';
import { assumeRole, assumeRoleAsService, AssumeRoleAsServiceError } from '../../src/auth/sts.js';
import { SeedTrustPolicy, SeedTrustPolicyTwoServicesCorrected } from '../../src/auth/policy/seed-lab.js';

const run = promisify(execFile);

// --- helpers ------------------------------------------------------------------------------------

interface Keys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

const ACCT = '000000000000';
const OTHER = '111111111111';
const ROOT: Keys = { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY };
const OTHER_ROOT: Keys = { accessKeyId: 'AKIAOTHERACCOUNT0001', secretAccessKey: 'other-secret-0000000000000000000000000000' };

let server: InProcessServer;
let work: string;
let iam: IAMClient;

const iamAs = (k: Keys): IAMClient => new IAMClient({ endpoint: server.url, region: REGION, credentials: k, maxAttempts: 1 });
const stsAs = (k: Keys): STSClient => new STSClient({ endpoint: server.url, region: REGION, credentials: k, maxAttempts: 1 });

async function rejects(p: Promise<unknown>, code: string, status: number, message?: string | RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    const err = e as { Code?: string; name: string; message: string; $metadata?: { httpStatusCode?: number } };
    assert.equal(err.Code ?? err.name, code, `code (message: ${err.message})`);
    assert.equal(err.$metadata?.httpStatusCode, status, 'status');
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return;
  }
  assert.fail(`expected ${code}`);
}

async function cli(args: string[], keys: Keys): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...cliEnv(), AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey };
  if (keys.sessionToken) env.AWS_SESSION_TOKEN = keys.sessionToken;
  return (await run(AWS_CLI, [...args, '--endpoint-url', server.url, '--output', 'json'], { env, timeout: 30_000 })).stdout;
}

async function newUserWithKey(name: string, client = iam): Promise<Keys> {
  await client.send(new CreateUserCommand({ UserName: name }));
  const k = (await client.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  return { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
}

const trustOf = (principal: unknown, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole', ...extra }] });

const allow = (action: string | string[], resource = '*'): string => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: resource }] });

async function assume(k: Keys, roleArn: string, extra: Partial<ConstructorParameters<typeof AssumeRoleCommand>[0]> = {}): Promise<Keys> {
  const sts = stsAs(k);
  try {
    const c = (await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'test', ...extra }))).Credentials!;
    return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
  } finally {
    sts.destroy();
  }
}

let alice: Keys;

before(async () => {
  work = tempDir('s3batch-sts-');
  const config = join(work, 'config.yaml');
  writeFileSync(config, `accounts:\n  - id: '${OTHER}'\n    name: other\n    rootAccessKeyId: ${OTHER_ROOT.accessKeyId}\n    rootSecretAccessKey: ${OTHER_ROOT.secretAccessKey}\n`);
  server = await startInProcess({ env: { S3BATCH_CONFIG: config } });
  iam = iamAs(ROOT);
  alice = await newUserWithKey('alice');
  await iam.send(new CreateRoleCommand({ RoleName: 'direct', AssumeRolePolicyDocument: trustOf({ AWS: `arn:aws:iam::${ACCT}:user/alice` }) }));
  await iam.send(new CreateRoleCommand({ RoleName: 'via-account', AssumeRolePolicyDocument: trustOf({ AWS: `arn:aws:iam::${ACCT}:root` }), MaxSessionDuration: 7200 }));
});

after(async () => {
  iam.destroy();
  await server.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('AssumeRole', () => {
  it('the CLI assumes a role that names the user, and the session is the assumed role', async () => {
    const out = JSON.parse(await cli(['sts', 'assume-role', '--role-arn', `arn:aws:iam::${ACCT}:role/direct`, '--role-session-name', 'cli-session'], alice)) as {
      Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: string };
      AssumedRoleUser: { AssumedRoleId: string; Arn: string };
    };
    assert.match(out.Credentials.AccessKeyId, /^ASIA[A-Z2-7]{16}$/);
    assert.equal(out.Credentials.SecretAccessKey.length, 40);
    const expires = Date.parse(out.Credentials.Expiration);
    assert.ok(Math.abs(expires - (Date.now() + 3600_000)) < 10_000, `expiration ${out.Credentials.Expiration}`);
    assert.equal(out.AssumedRoleUser.Arn, `arn:aws:sts::${ACCT}:assumed-role/direct/cli-session`);
    assert.match(out.AssumedRoleUser.AssumedRoleId, /^AROA[A-Z2-7]{17}:cli-session$/);
    const session = { accessKeyId: out.Credentials.AccessKeyId, secretAccessKey: out.Credentials.SecretAccessKey, sessionToken: out.Credentials.SessionToken };
    const id = JSON.parse(await cli(['sts', 'get-caller-identity'], session)) as { UserId: string; Account: string; Arn: string };
    assert.deepEqual(id, { UserId: out.AssumedRoleUser.AssumedRoleId, Account: ACCT, Arn: out.AssumedRoleUser.Arn });
  });

  it('a trust policy naming the account needs an identity policy allowing sts:AssumeRole; an explicit deny always refuses', async () => {
    const bob = await newUserWithKey('bob');
    const roleArn = `arn:aws:iam::${ACCT}:role/via-account`;
    await rejects(
      assume(bob, roleArn),
      'AccessDenied',
      403,
      `User: arn:aws:iam::${ACCT}:user/bob is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
    );
    await iam.send(new PutUserPolicyCommand({ UserName: 'bob', PolicyName: 'assume', PolicyDocument: allow('sts:AssumeRole', roleArn) }));
    const s = await assume(bob, roleArn);
    assert.match(s.accessKeyId, /^ASIA/);
    // alice is named directly by 'direct': no identity policy needed, but her explicit deny wins.
    await iam.send(new PutUserPolicyCommand({
      UserName: 'alice',
      PolicyName: 'no-assume-direct',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'sts:AssumeRole', Resource: `arn:aws:iam::${ACCT}:role/direct` }] }),
    }));
    await rejects(assume(alice, `arn:aws:iam::${ACCT}:role/direct`), 'AccessDenied', 403);
    await rejects(assume(alice, `arn:aws:iam::${ACCT}:role/via-account`), 'AccessDenied', 403);
  });

  it('refuses root, unknown roles, bad session names and durations with AWS messages', async () => {
    await rejects(assume(ROOT, `arn:aws:iam::${ACCT}:role/direct`), 'AccessDenied', 403, 'Roles may not be assumed by root accounts.');
    const carol = await newUserWithKey('carol');
    await iam.send(new PutUserPolicyCommand({ UserName: 'carol', PolicyName: 'assume-all', PolicyDocument: allow('sts:AssumeRole') }));
    await rejects(
      assume(carol, `arn:aws:iam::${ACCT}:role/missing`),
      'AccessDenied',
      403,
      `User: arn:aws:iam::${ACCT}:user/carol is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${ACCT}:role/missing`,
    );
    const roleArn = `arn:aws:iam::${ACCT}:role/via-account`;
    await rejects(
      assume(carol, roleArn, { DurationSeconds: 100 }),
      'ValidationError',
      400,
      "1 validation error detected: Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    );
    await rejects(
      assume(carol, roleArn, { DurationSeconds: 50000 }),
      'ValidationError',
      400,
      "1 validation error detected: Value '50000' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200",
    );
    await rejects(assume(carol, roleArn, { DurationSeconds: 7201 }), 'ValidationError', 400, 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
    await rejects(
      assume(carol, roleArn, { RoleSessionName: 'a b' }),
      'ValidationError',
      400,
      "1 validation error detected: Value 'a b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    );
    const s = await assume(carol, roleArn, { DurationSeconds: 7200 });
    // Role chaining: a session may assume another role for an hour at most.
    await iam.send(new CreateRoleCommand({ RoleName: 'chained', AssumeRolePolicyDocument: trustOf({ AWS: `arn:aws:iam::${ACCT}:role/via-account` }), MaxSessionDuration: 7200 }));
    await rejects(
      assume(s, `arn:aws:iam::${ACCT}:role/chained`, { DurationSeconds: 7200 }),
      'ValidationError',
      400,
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
    const chained = await assume(s, `arn:aws:iam::${ACCT}:role/chained`);
    const sts = stsAs(chained);
    assert.equal((await sts.send(new GetCallerIdentityCommand({}))).Arn, `arn:aws:sts::${ACCT}:assumed-role/chained/test`);
    sts.destroy();
  });

  it('session tags need sts:TagSession and become principal tags; external ids are checked', async () => {
    const dave = await newUserWithKey('dave');
    const daveArn = `arn:aws:iam::${ACCT}:user/dave`;
    await iam.send(new CreateRoleCommand({ RoleName: 'tagged', AssumeRolePolicyDocument: trustOf({ AWS: daveArn }) }));
    await iam.send(new PutRolePolicyCommand({
      RoleName: 'tagged',
      PolicyName: 'blue-only',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:ListUsers', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/team': 'blue' } } }] }),
    }));
    const roleArn = `arn:aws:iam::${ACCT}:role/tagged`;
    await rejects(
      assume(dave, roleArn, { Tags: [{ Key: 'team', Value: 'blue' }] }),
      'AccessDenied',
      403,
      `User: ${daveArn} is not authorized to perform: sts:TagSession on resource: ${roleArn}`,
    );
    await iam.send(new CreateRoleCommand({
      RoleName: 'tagged2',
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: daveArn }, Action: ['sts:AssumeRole', 'sts:TagSession'] }] }),
    }));
    await iam.send(new PutRolePolicyCommand({
      RoleName: 'tagged2',
      PolicyName: 'blue-only',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:ListUsers', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/team': 'blue' } } }] }),
    }));
    const blue = iamAs(await assume(dave, `arn:aws:iam::${ACCT}:role/tagged2`, { Tags: [{ Key: 'team', Value: 'blue' }] }));
    assert.ok((await blue.send(new ListUsersCommand({}))).Users!.length > 0);
    const red = iamAs(await assume(dave, `arn:aws:iam::${ACCT}:role/tagged2`, { Tags: [{ Key: 'team', Value: 'red' }] }));
    await rejects(
      red.send(new ListUsersCommand({})),
      'AccessDenied',
      403,
      `User: arn:aws:sts::${ACCT}:assumed-role/tagged2/test is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::${ACCT}:user/ because no identity-based policy allows the iam:ListUsers action`,
    );
    blue.destroy();
    red.destroy();

    await iam.send(new CreateRoleCommand({ RoleName: 'external', AssumeRolePolicyDocument: trustOf({ AWS: daveArn }, { Condition: { StringEquals: { 'sts:ExternalId': 'xyz-123' } } }) }));
    await rejects(assume(dave, `arn:aws:iam::${ACCT}:role/external`), 'AccessDenied', 403);
    await rejects(assume(dave, `arn:aws:iam::${ACCT}:role/external`, { ExternalId: 'nope-1' }), 'AccessDenied', 403);
    assert.match((await assume(dave, `arn:aws:iam::${ACCT}:role/external`, { ExternalId: 'xyz-123' })).accessKeyId, /^ASIA/);
  });

  it('across accounts, the trust policy and the caller’s identity policy must both allow', async () => {
    const otherIam = iamAs(OTHER_ROOT);
    const erin = await newUserWithKey('erin', otherIam);
    await iam.send(new CreateRoleCommand({ RoleName: 'for-other', AssumeRolePolicyDocument: trustOf({ AWS: `arn:aws:iam::${OTHER}:user/erin` }) }));
    const roleArn = `arn:aws:iam::${ACCT}:role/for-other`;
    await rejects(assume(erin, roleArn), 'AccessDenied', 403, `User: arn:aws:iam::${OTHER}:user/erin is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    await otherIam.send(new PutUserPolicyCommand({ UserName: 'erin', PolicyName: 'assume', PolicyDocument: allow('sts:AssumeRole', roleArn) }));
    const s = await assume(erin, roleArn);
    const sts = stsAs(s);
    const id = await sts.send(new GetCallerIdentityCommand({}));
    assert.equal(id.Account, ACCT);
    assert.equal(id.Arn, `arn:aws:sts::${ACCT}:assumed-role/for-other/test`);
    sts.destroy();
    otherIam.destroy();
  });
});

describe('session credentials', () => {
  it('carry the role’s policies, and refuse a wrong or missing token', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'lister', AssumeRolePolicyDocument: trustOf({ AWS: `arn:aws:iam::${ACCT}:user/alice` }) }));
    const s = await assume(alice, `arn:aws:iam::${ACCT}:role/lister`, { RoleSessionName: 'alice-session' });
    const sessionIam = iamAs(s);
    await rejects(
      sessionIam.send(new ListRolesCommand({})),
      'AccessDenied',
      403,
      `User: arn:aws:sts::${ACCT}:assumed-role/lister/alice-session is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::${ACCT}:role/ because no identity-based policy allows the iam:ListRoles action`,
    );
    await iam.send(new PutRolePolicyCommand({ RoleName: 'lister', PolicyName: 'list-roles', PolicyDocument: allow('iam:ListRoles') }));
    assert.ok((await sessionIam.send(new ListRolesCommand({}))).Roles!.some((r) => r.RoleName === 'lister'));
    sessionIam.destroy();

    const wrong = stsAs({ ...s, sessionToken: s.sessionToken!.slice(0, -4) + 'AAAA' });
    await rejects(wrong.send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403, 'The security token included in the request is invalid.');
    const missing = stsAs({ accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey });
    await rejects(missing.send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403, 'The security token included in the request is invalid.');
    const longTermWithToken = stsAs({ ...alice, sessionToken: s.sessionToken });
    await rejects(longTermWithToken.send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403);
    wrong.destroy();
    missing.destroy();
    longTermWithToken.destroy();
  });

  it('expire: an expired session is refused with ExpiredToken', async () => {
    const ctx = server.app.iam;
    // A session created two hours ago for one hour.
    const past = { ...ctx, now: () => Date.now() - 2 * 3600_000 };
    const principal = server.app.credentials.lookup(alice.accessKeyId)!.principal;
    const r = await assumeRole(past, { principal, secureTransport: false }, { roleArn: `arn:aws:iam::${ACCT}:role/lister`, roleSessionName: 'old' });
    const sts = stsAs({ accessKeyId: r.credentials.accessKeyId, secretAccessKey: r.credentials.secretAccessKey, sessionToken: r.credentials.sessionToken });
    await rejects(sts.send(new GetCallerIdentityCommand({})), 'ExpiredToken', 403, 'The security token included in the request is expired');
    sts.destroy();
  });

  it('sign S3 requests', async () => {
    const s = await assume(alice, `arn:aws:iam::${ACCT}:role/lister`);
    const good = new S3Client({ endpoint: server.url, region: REGION, forcePathStyle: true, credentials: s, maxAttempts: 1 });
    await good.send(new ListBucketsCommand({})).catch((e: { Code?: string; name: string }) => assert.equal(e.Code ?? e.name, 'AccessDenied'));
    const wrong = new S3Client({ endpoint: server.url, region: REGION, forcePathStyle: true, credentials: { ...s, sessionToken: 'wrong' }, maxAttempts: 1 });
    await rejects(wrong.send(new ListBucketsCommand({})), 'InvalidToken', 400);
    good.destroy();
    wrong.destroy();
  });
});

describe('assumeRoleAsService (job engine, replication)', () => {
  it('checks the trust policy for the service principal', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'lab-role', AssumeRolePolicyDocument: SeedTrustPolicyTwoServicesCorrected }));
    await iam.send(new CreateRoleCommand({ RoleName: 'batch-only', AssumeRolePolicyDocument: SeedTrustPolicy }));
    const ctx = server.app.iam;
    const p = await assumeRoleAsService(ctx, `arn:aws:iam::${ACCT}:role/lab-role`, 'batchoperations.s3.amazonaws.com', 'job-1');
    assert.equal(p.kind, 'assumed-role');
    assert.equal(p.arn, `arn:aws:sts::${ACCT}:assumed-role/lab-role/job-1`);
    assert.equal(p.roleArn, `arn:aws:iam::${ACCT}:role/lab-role`);
    assert.match(p.userId, /^AROA[A-Z2-7]{17}:job-1$/);
    assert.equal((await assumeRoleAsService(ctx, `arn:aws:iam::${ACCT}:role/lab-role`, 's3.amazonaws.com', 'repl')).accountId, ACCT);
    await assert.rejects(assumeRoleAsService(ctx, `arn:aws:iam::${ACCT}:role/batch-only`, 's3.amazonaws.com', 'repl'), (e: unknown) => {
      assert.ok(e instanceof AssumeRoleAsServiceError);
      assert.equal(e.reason, 'NotTrusted');
      assert.equal(e.message, `The trust policy of role arn:aws:iam::${ACCT}:role/batch-only does not allow the service principal s3.amazonaws.com to call sts:AssumeRole.`);
      return true;
    });
    await assert.rejects(assumeRoleAsService(ctx, `arn:aws:iam::${ACCT}:role/none`, 's3.amazonaws.com', 'x'), (e: unknown) => e instanceof AssumeRoleAsServiceError && e.reason === 'NoSuchRole');
    // Services cannot assume a role through STS over HTTP with user keys.
    assert.equal(server.app.credentials.lookup(p.accessKeyId), undefined);
  });
});
