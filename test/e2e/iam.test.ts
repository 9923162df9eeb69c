/**
 * The IAM Query API with the real @aws-sdk/client-iam and the real AWS CLI: users, access keys,
 * roles with the seed lab's trust and inline policies, managed policies and versions, attachments,
 * SimulatePrincipalPolicy, authorization of every call, AWS's error codes, statuses and messages,
 * and persistence across a restart. The Query API is served on the server's one port.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { request } from 'node:http';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  SetDefaultPolicyVersionCommand,
  SimulatePrincipalPolicyCommand,
  UpdateAccessKeyCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
  type EvaluationResult,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { SignatureV4 } from '@smithy/signature-v4';
import { ACCESS_KEY_ID, AWS_CLI, cliEnv, REGION, SECRET_ACCESS_KEY, startInProcess, tempDir, type InProcessServer } from '../helpers/server.js';
import { SeedCopyPolicyAsPasted, SeedCopyPolicyCorrected, SeedTrustPolicyTwoServicesCorrected } from '../../src/auth/policy/seed-lab.js';

const run = promisify(execFile);

// --- helpers ------------------------------------------------------------------------------------

interface Keys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

const ROOT: Keys = { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY };
const ACCT = '000000000000';

let server: InProcessServer;
let iam: IAMClient;
let work: string;

// One attempt: the SDK takes IAM's LimitExceeded (LimitExceededException) for throttling and would retry it.
const iamAs = (k: Keys): IAMClient => new IAMClient({ endpoint: server.url, region: REGION, credentials: k, maxAttempts: 1 });
const stsAs = (k: Keys): STSClient => new STSClient({ endpoint: server.url, region: REGION, credentials: k, maxAttempts: 1 });

/** Asserts that `p` fails with this error code, HTTP status and (when given) exact message. */
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

async function cli(args: string[], keys: Keys = ROOT): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...cliEnv(), AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey };
  if (keys.sessionToken) env.AWS_SESSION_TOKEN = keys.sessionToken;
  const r = await run(AWS_CLI, [...args, '--endpoint-url', server.url, '--output', 'json'], { env, timeout: 30_000 });
  return r.stdout;
}

/** Runs the CLI expecting a failure; returns stderr. */
async function cliFails(args: string[], keys: Keys = ROOT): Promise<string> {
  try {
    await cli(args, keys);
  } catch (e) {
    return (e as { stderr: string }).stderr;
  }
  assert.fail(`expected aws ${args.join(' ')} to fail`);
}

async function newUserWithKey(name: string): Promise<Keys> {
  await iam.send(new CreateUserCommand({ UserName: name }));
  const k = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  return { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
}

const allow = (action: string | string[], resource: string | string[] = '*'): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: resource }] });

class Sha256 {
  private readonly h: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    const bytes = (d: string | ArrayBuffer | ArrayBufferView): string | Buffer =>
      typeof d === 'string' ? d : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d);
    this.h = secret !== undefined ? createHmac('sha256', bytes(secret)) : createHash('sha256');
    this.update = (data) => void this.h.update(bytes(data));
  }
  update: (data: string | ArrayBuffer | ArrayBufferView) => void;
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {}
}

/** A hand-made IAM Query request, signed for `iam` (or not at all). */
async function rawIam(form: Record<string, string>, opts: { sign?: boolean; method?: 'GET' | 'POST' } = {}): Promise<{ status: number; body: string }> {
  const u = new URL(server.url);
  const body = new URLSearchParams(form).toString();
  const method = opts.method ?? 'POST';
  let headers: Record<string, string> = { host: u.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
  const query: Record<string, string> = method === 'GET' ? form : {};
  if (opts.sign !== false) {
    const signer = new SignatureV4({ service: 'iam', region: REGION, credentials: ROOT, sha256: Sha256 });
    const signed = await signer.sign({ method, protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: '/', query, headers, body: method === 'POST' ? body : undefined });
    headers = signed.headers as Record<string, string>;
  }
  const qs = method === 'GET' ? '?' + new URLSearchParams(form).toString().replace(/\+/g, '%20') : '';
  return new Promise((resolve, reject) => {
    const r = request({ host: u.hostname, port: u.port, method, path: '/' + qs, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    r.on('error', reject);
    r.end(method === 'POST' ? body : undefined);
  });
}

before(async () => {
  server = await startInProcess();
  iam = iamAs(ROOT);
  work = tempDir('s3batch-iam-');
});

after(async () => {
  iam.destroy();
  await server.stop();
  rmSync(work, { recursive: true, force: true });
});

// --- users ---------------------------------------------------------------------------------------

describe('users', () => {
  it('creates, gets, lists with pagination and deletes users', async () => {
    const u = (await iam.send(new CreateUserCommand({ UserName: 'ann', Path: '/team/', Tags: [{ Key: 'dept', Value: 'eng' }] }))).User!;
    assert.equal(u.Arn, `arn:aws:iam::${ACCT}:user/team/ann`);
    assert.equal(u.Path, '/team/');
    assert.match(u.UserId!, /^AIDA[A-Z2-7]{17}$/);
    await iam.send(new CreateUserCommand({ UserName: 'bea' }));
    const got = (await iam.send(new GetUserCommand({ UserName: 'ANN' }))).User!;
    assert.equal(got.UserName, 'ann');
    assert.deepEqual(got.Tags, [{ Key: 'dept', Value: 'eng' }]);

    const p1 = await iam.send(new ListUsersCommand({ MaxItems: 1 }));
    assert.equal(p1.IsTruncated, true);
    assert.deepEqual(p1.Users!.map((x) => x.UserName), ['ann']);
    const p2 = await iam.send(new ListUsersCommand({ MaxItems: 1, Marker: p1.Marker }));
    assert.deepEqual(p2.Users!.map((x) => x.UserName), ['bea']);
    const team = await iam.send(new ListUsersCommand({ PathPrefix: '/team/' }));
    assert.deepEqual(team.Users!.map((x) => x.UserName), ['ann']);
    assert.equal(team.IsTruncated, false);

    await rejects(iam.send(new CreateUserCommand({ UserName: 'Ann' })), 'EntityAlreadyExists', 409, 'User with name Ann already exists.');
    await iam.send(new DeleteUserCommand({ UserName: 'ann' }));
    await iam.send(new DeleteUserCommand({ UserName: 'bea' }));
    await rejects(iam.send(new GetUserCommand({ UserName: 'ann' })), 'NoSuchEntity', 404, 'The user with name ann cannot be found.');
    await rejects(iam.send(new DeleteUserCommand({ UserName: 'ann' })), 'NoSuchEntity', 404);
  });

  it('refuses bad names with AWS validation messages', async () => {
    await rejects(
      iam.send(new CreateUserCommand({ UserName: 'bad name' })),
      'ValidationError',
      400,
      "1 validation error detected: Value 'bad name' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
    );
    await rejects(
      iam.send(new CreateUserCommand({ UserName: 'x'.repeat(65) })),
      'ValidationError',
      400,
      `1 validation error detected: Value '${'x'.repeat(65)}' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64`,
    );
    await rejects(iam.send(new CreateUserCommand({ UserName: 'ok', Path: 'nopath' })), 'ValidationError', 400, /at 'path' failed to satisfy constraint/);
  });

  it('refuses to delete a user that still has keys, inline or attached policies', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'carl' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'carl' }))).AccessKey!;
    await rejects(iam.send(new DeleteUserCommand({ UserName: 'carl' })), 'DeleteConflict', 409, 'Cannot delete entity, must delete access keys first.');
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'carl', AccessKeyId: key.AccessKeyId }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'carl', PolicyName: 'p', PolicyDocument: allow('s3:GetObject') }));
    await rejects(iam.send(new DeleteUserCommand({ UserName: 'carl' })), 'DeleteConflict', 409, 'Cannot delete entity, must delete policies first.');
    await iam.send(new DeleteUserPolicyCommand({ UserName: 'carl', PolicyName: 'p' }));
    const pol = (await iam.send(new CreatePolicyCommand({ PolicyName: 'carl-managed', PolicyDocument: allow('s3:ListBucket') }))).Policy!;
    await iam.send(new AttachUserPolicyCommand({ UserName: 'carl', PolicyArn: pol.Arn }));
    await rejects(iam.send(new DeleteUserCommand({ UserName: 'carl' })), 'DeleteConflict', 409, 'Cannot delete entity, must detach all policies first.');
    await iam.send(new DetachUserPolicyCommand({ UserName: 'carl', PolicyArn: pol.Arn }));
    await iam.send(new DeleteUserCommand({ UserName: 'carl' }));
    await iam.send(new DeletePolicyCommand({ PolicyArn: pol.Arn }));
  });
});

// --- access keys ---------------------------------------------------------------------------------

describe('access keys', () => {
  it('creates at most two keys; an Inactive key is refused, reactivated it works again', async () => {
    const k1 = await newUserWithKey('dan');
    const k2 = (await iam.send(new CreateAccessKeyCommand({ UserName: 'dan' }))).AccessKey!;
    assert.match(k2.AccessKeyId!, /^AKIA[A-Z2-7]{16}$/);
    assert.equal(k2.SecretAccessKey!.length, 40);
    await rejects(iam.send(new CreateAccessKeyCommand({ UserName: 'dan' })), 'LimitExceeded', 409, 'Cannot exceed quota for AccessKeysPerUser: 2');
    const listed = (await iam.send(new ListAccessKeysCommand({ UserName: 'dan' }))).AccessKeyMetadata!;
    assert.deepEqual(listed.map((k) => k.AccessKeyId).sort(), [k1.accessKeyId, k2.AccessKeyId].sort());
    assert.ok(listed.every((k) => k.Status === 'Active' && k.UserName === 'dan' && (k as { SecretAccessKey?: string }).SecretAccessKey === undefined));

    const dan = stsAs(k1);
    assert.equal((await dan.send(new GetCallerIdentityCommand({}))).Arn, `arn:aws:iam::${ACCT}:user/dan`);
    await iam.send(new UpdateAccessKeyCommand({ UserName: 'dan', AccessKeyId: k1.accessKeyId, Status: 'Inactive' }));
    await rejects(dan.send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403, 'The security token included in the request is invalid.');
    await iam.send(new UpdateAccessKeyCommand({ UserName: 'dan', AccessKeyId: k1.accessKeyId, Status: 'Active' }));
    assert.equal((await dan.send(new GetCallerIdentityCommand({}))).Account, ACCT);
    await rejects(
      iam.send(new UpdateAccessKeyCommand({ UserName: 'dan', AccessKeyId: 'AKIAAAAAAAAAAAAAAAAA', Status: 'Inactive' })),
      'NoSuchEntity',
      404,
      'The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found',
    );
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'dan', AccessKeyId: k1.accessKeyId }));
    await rejects(dan.send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403);
    dan.destroy();
  });

  it('a wrong secret is SignatureDoesNotMatch, an unknown key InvalidClientTokenId', async () => {
    const bad = stsAs({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: 'wrong-secret-0000000000000000000000000000' });
    await rejects(bad.send(new GetCallerIdentityCommand({})), 'SignatureDoesNotMatch', 403, /^The request signature we calculated does not match/);
    const unknown = stsAs({ accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: SECRET_ACCESS_KEY });
    await rejects(unknown.send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403);
    bad.destroy();
    unknown.destroy();
  });
});

// --- authorization -------------------------------------------------------------------------------

describe('authorization of IAM calls', () => {
  it('denies a user without policies, allows through inline and managed policies, explicit deny wins', async () => {
    const k = await newUserWithKey('eve');
    const eve = iamAs(k);
    await rejects(
      eve.send(new ListUsersCommand({})),
      'AccessDenied',
      403,
      `User: arn:aws:iam::${ACCT}:user/eve is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::${ACCT}:user/ because no identity-based policy allows the iam:ListUsers action`,
    );
    await rejects(
      eve.send(new CreateUserCommand({ UserName: 'mallory' })),
      'AccessDenied',
      403,
      `User: arn:aws:iam::${ACCT}:user/eve is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::${ACCT}:user/mallory because no identity-based policy allows the iam:CreateUser action`,
    );
    // Unauthorized callers learn nothing about existence: AccessDenied, not NoSuchEntity.
    await rejects(eve.send(new GetUserCommand({ UserName: 'nobody' })), 'AccessDenied', 403);

    await iam.send(new PutUserPolicyCommand({ UserName: 'eve', PolicyName: 'list', PolicyDocument: allow(['iam:List*', 'iam:GetUser']) }));
    assert.ok((await eve.send(new ListUsersCommand({}))).Users!.some((u) => u.UserName === 'eve'));
    assert.equal((await eve.send(new GetUserCommand({}))).User!.UserName, 'eve');

    const deny = (await iam.send(new CreatePolicyCommand({
      PolicyName: 'deny-list-users',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'iam:ListUsers', Resource: '*' }] }),
    }))).Policy!;
    await iam.send(new AttachUserPolicyCommand({ UserName: 'eve', PolicyArn: deny.Arn }));
    await rejects(
      eve.send(new ListUsersCommand({})),
      'AccessDenied',
      403,
      `User: arn:aws:iam::${ACCT}:user/eve is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::${ACCT}:user/ with an explicit deny in an identity-based policy`,
    );
    assert.equal((await eve.send(new ListRolesCommand({}))).IsTruncated, false);
    await iam.send(new DetachUserPolicyCommand({ UserName: 'eve', PolicyArn: deny.Arn }));
    assert.ok((await eve.send(new ListUsersCommand({}))).Users!.length > 0);
    eve.destroy();
  });

  it('a user without policy is denied by the CLI too', async () => {
    const k = await newUserWithKey('frank');
    const err = await cliFails(['iam', 'list-users'], k);
    assert.match(err, /An error occurred \(AccessDenied\) when calling the ListUsers operation: User: arn:aws:iam::000000000000:user\/frank is not authorized to perform: iam:ListUsers/);
  });
});

// --- roles and the seed lab ----------------------------------------------------------------------

describe('roles (seed lab)', () => {
  it('creates the lab role with the CLI, refuses the typo s3>ListBucket, accepts the corrected policy', async () => {
    const trustFile = join(work, 'trust.json');
    writeFileSync(trustFile, SeedTrustPolicyTwoServicesCorrected);
    const created = JSON.parse(await cli(['iam', 'create-role', '--role-name', 's3crr_role_for_sourcebucket7000', '--assume-role-policy-document', `file://${trustFile}`])) as {
      Role: { Arn: string; RoleId: string; AssumeRolePolicyDocument: unknown };
    };
    assert.equal(created.Role.Arn, `arn:aws:iam::${ACCT}:role/s3crr_role_for_sourcebucket7000`);
    assert.match(created.Role.RoleId, /^AROA/);
    assert.deepEqual(created.Role.AssumeRolePolicyDocument, JSON.parse(SeedTrustPolicyTwoServicesCorrected));

    const typo = join(work, 'typo.json');
    writeFileSync(typo, SeedCopyPolicyAsPasted);
    const err = await cliFails(['iam', 'put-role-policy', '--role-name', 's3crr_role_for_sourcebucket7000', '--policy-name', 'batch-copy', '--policy-document', `file://${typo}`]);
    assert.match(err, /An error occurred \(MalformedPolicyDocument\) when calling the PutRolePolicy operation: Actions\/Conditions must be prefaced by a vendor, e\.g\., iam, sdb, ec2, etc\./);
    assert.deepEqual((await iam.send(new ListRolePoliciesCommand({ RoleName: 's3crr_role_for_sourcebucket7000' }))).PolicyNames, []);

    const fixed = join(work, 'fixed.json');
    writeFileSync(fixed, SeedCopyPolicyCorrected);
    await cli(['iam', 'put-role-policy', '--role-name', 's3crr_role_for_sourcebucket7000', '--policy-name', 'batch-copy', '--policy-document', `file://${fixed}`]);
    const got = JSON.parse(await cli(['iam', 'get-role-policy', '--role-name', 's3crr_role_for_sourcebucket7000', '--policy-name', 'batch-copy'])) as { PolicyDocument: unknown };
    assert.deepEqual(got.PolicyDocument, JSON.parse(SeedCopyPolicyCorrected));

    // On the wire the document is URL-encoded, as IAM sends it.
    const raw = await rawIam({ Action: 'GetRolePolicy', Version: '2010-05-08', RoleName: 's3crr_role_for_sourcebucket7000', PolicyName: 'batch-copy' }, { method: 'GET' });
    assert.equal(raw.status, 200);
    assert.match(raw.body, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<GetRolePolicyResponse xmlns="https:\/\/iam.amazonaws.com\/doc\/2010-05-08\/"><GetRolePolicyResult><RoleName>s3crr_role_for_sourcebucket7000<\/RoleName><PolicyName>batch-copy<\/PolicyName><PolicyDocument>%7B/);
    assert.match(raw.body, /<\/GetRolePolicyResult><ResponseMetadata><RequestId>[^<]+<\/RequestId><\/ResponseMetadata><\/GetRolePolicyResponse>$/);
  });

  it('gets, lists, updates and deletes roles', async () => {
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'batchoperations.s3.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    await iam.send(new CreateRoleCommand({ RoleName: 'r1', Path: '/jobs/', AssumeRolePolicyDocument: trust, Description: 'batch', MaxSessionDuration: 7200 }));
    await rejects(iam.send(new CreateRoleCommand({ RoleName: 'R1', AssumeRolePolicyDocument: trust })), 'EntityAlreadyExists', 409, 'Role with name R1 already exists.');
    await rejects(
      iam.send(new CreateRoleCommand({ RoleName: 'r2', AssumeRolePolicyDocument: trust, MaxSessionDuration: 100 })),
      'ValidationError',
      400,
      "1 validation error detected: Value '100' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600",
    );
    const r = (await iam.send(new GetRoleCommand({ RoleName: 'r1' }))).Role!;
    assert.equal(r.Arn, `arn:aws:iam::${ACCT}:role/jobs/r1`);
    assert.equal(r.MaxSessionDuration, 7200);
    assert.equal(r.Description, 'batch');
    assert.equal(decodeURIComponent(r.AssumeRolePolicyDocument!), trust);
    await iam.send(new UpdateRoleCommand({ RoleName: 'r1', MaxSessionDuration: 43200, Description: 'longer' }));
    const r2 = (await iam.send(new GetRoleCommand({ RoleName: 'r1' }))).Role!;
    assert.equal(r2.MaxSessionDuration, 43200);
    assert.equal(r2.Description, 'longer');
    assert.deepEqual((await iam.send(new ListRolesCommand({ PathPrefix: '/jobs/' }))).Roles!.map((x) => x.RoleName), ['r1']);
    const newTrust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'r1', PolicyDocument: newTrust }));
    assert.equal(decodeURIComponent((await iam.send(new GetRoleCommand({ RoleName: 'r1' }))).Role!.AssumeRolePolicyDocument!), newTrust);
    await iam.send(new PutRolePolicyCommand({ RoleName: 'r1', PolicyName: 'p', PolicyDocument: allow('s3:GetObject') }));
    await rejects(iam.send(new DeleteRoleCommand({ RoleName: 'r1' })), 'DeleteConflict', 409, 'Cannot delete entity, must delete policies first.');
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'r1', PolicyName: 'p' }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'r1' }));
    await rejects(iam.send(new GetRoleCommand({ RoleName: 'r1' })), 'NoSuchEntity', 404, 'The role with name r1 cannot be found.');
  });

  it('refuses a trust policy naming an unknown user, and a malformed one; nothing is created', async () => {
    const unknown = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCT}:user/ghost` }, Action: 'sts:AssumeRole' }] });
    await rejects(
      iam.send(new CreateRoleCommand({ RoleName: 'haunted', AssumeRolePolicyDocument: unknown })),
      'MalformedPolicyDocument',
      400,
      `Invalid principal in policy: "AWS":"arn:aws:iam::${ACCT}:user/ghost"`,
    );
    await rejects(iam.send(new GetRoleCommand({ RoleName: 'haunted' })), 'NoSuchEntity', 404);
    await rejects(iam.send(new CreateRoleCommand({ RoleName: 'haunted', AssumeRolePolicyDocument: '{"Version": "2012-10-17", "Statement": [' })), 'MalformedPolicyDocument', 400);
    await rejects(iam.send(new GetRoleCommand({ RoleName: 'haunted' })), 'NoSuchEntity', 404);
    // Once the user exists, the same document is accepted.
    await iam.send(new CreateUserCommand({ UserName: 'ghost' }));
    await iam.send(new CreateRoleCommand({ RoleName: 'haunted', AssumeRolePolicyDocument: unknown }));
  });

  it('refuses oversized inline policies with LimitExceeded and keeps the previous state', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'gina' }));
    const big = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: Array.from({ length: 80 }, (_, i) => `arn:aws:s3:::bucket-${i}/*`) }] });
    await rejects(iam.send(new PutUserPolicyCommand({ UserName: 'gina', PolicyName: 'big', PolicyDocument: big })), 'LimitExceeded', 409, 'Maximum policy size of 2048 bytes exceeded for user gina');
    // The quota is for all inline policies of the user together.
    const half = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: Array.from({ length: 40 }, (_, i) => `arn:aws:s3:::bucket-${i}/*`) }] });
    await iam.send(new PutUserPolicyCommand({ UserName: 'gina', PolicyName: 'a', PolicyDocument: half }));
    await rejects(iam.send(new PutUserPolicyCommand({ UserName: 'gina', PolicyName: 'b', PolicyDocument: half })), 'LimitExceeded', 409);
    await iam.send(new PutUserPolicyCommand({ UserName: 'gina', PolicyName: 'a', PolicyDocument: half })); // replacing is not adding
    assert.deepEqual((await iam.send(new ListUserPoliciesCommand({ UserName: 'gina' }))).PolicyNames, ['a']);
    const doc = (await iam.send(new GetUserPolicyCommand({ UserName: 'gina', PolicyName: 'a' }))).PolicyDocument!;
    assert.equal(decodeURIComponent(doc), half);
    await rejects(iam.send(new GetUserPolicyCommand({ UserName: 'gina', PolicyName: 'b' })), 'NoSuchEntity', 404, 'The user policy with name b cannot be found.');
  });
});

// --- managed policies ----------------------------------------------------------------------------

describe('managed policies', () => {
  it('versions: at most five, one default; delete rules as AWS', async () => {
    const p = (await iam.send(new CreatePolicyCommand({ PolicyName: 'reader', Path: '/app/', PolicyDocument: allow('s3:GetObject'), Description: 'reads' }))).Policy!;
    assert.equal(p.Arn, `arn:aws:iam::${ACCT}:policy/app/reader`);
    assert.equal(p.DefaultVersionId, 'v1');
    assert.match(p.PolicyId!, /^ANPA/);
    await rejects(iam.send(new CreatePolicyCommand({ PolicyName: 'READER', PolicyDocument: allow('s3:GetObject') })), 'EntityAlreadyExists', 409, 'A policy called READER already exists. Duplicate names are not allowed.');
    for (let i = 2; i <= 5; i++) {
      const v: { VersionId?: string; IsDefaultVersion?: boolean } = (await iam.send(new CreatePolicyVersionCommand({ PolicyArn: p.Arn, PolicyDocument: allow(`s3:Get${i}`), SetAsDefault: i === 3 }))).PolicyVersion!;
      assert.equal(v.VersionId, `v${i}`);
      assert.equal(v.IsDefaultVersion, i === 3);
    }
    await rejects(
      iam.send(new CreatePolicyVersionCommand({ PolicyArn: p.Arn, PolicyDocument: allow('s3:Get6') })),
      'LimitExceeded',
      409,
      'A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.',
    );
    const versions = (await iam.send(new ListPolicyVersionsCommand({ PolicyArn: p.Arn }))).Versions!;
    assert.deepEqual(versions.map((v) => v.VersionId), ['v5', 'v4', 'v3', 'v2', 'v1']);
    assert.deepEqual(versions.filter((v) => v.IsDefaultVersion).map((v) => v.VersionId), ['v3']);
    const v3 = (await iam.send(new GetPolicyVersionCommand({ PolicyArn: p.Arn, VersionId: 'v3' }))).PolicyVersion!;
    assert.equal(decodeURIComponent(v3.Document!), allow('s3:Get3'));
    await rejects(iam.send(new GetPolicyVersionCommand({ PolicyArn: p.Arn, VersionId: 'v9' })), 'NoSuchEntity', 404, `Policy ${p.Arn} version v9 does not exist or is not attachable.`);
    await rejects(iam.send(new DeletePolicyVersionCommand({ PolicyArn: p.Arn, VersionId: 'v3' })), 'DeleteConflict', 409, 'Cannot delete the default version of a policy.');
    await iam.send(new SetDefaultPolicyVersionCommand({ PolicyArn: p.Arn, VersionId: 'v5' }));
    assert.equal((await iam.send(new GetPolicyCommand({ PolicyArn: p.Arn }))).Policy!.DefaultVersionId, 'v5');
    await rejects(
      iam.send(new DeletePolicyCommand({ PolicyArn: p.Arn })),
      'DeleteConflict',
      409,
      "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
    );
    for (const v of ['v1', 'v2', 'v3', 'v4']) await iam.send(new DeletePolicyVersionCommand({ PolicyArn: p.Arn, VersionId: v }));
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    await iam.send(new CreateRoleCommand({ RoleName: 'holder', AssumeRolePolicyDocument: trust }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'holder', PolicyArn: p.Arn }));
    assert.deepEqual((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'holder' }))).AttachedPolicies, [{ PolicyName: 'reader', PolicyArn: p.Arn }]);
    assert.equal((await iam.send(new GetPolicyCommand({ PolicyArn: p.Arn }))).Policy!.AttachmentCount, 1);
    assert.deepEqual((await iam.send(new ListPoliciesCommand({ OnlyAttached: true }))).Policies!.map((x) => x.PolicyName), ['reader']);
    await rejects(iam.send(new DeletePolicyCommand({ PolicyArn: p.Arn })), 'DeleteConflict', 409, 'Cannot delete a policy attached to entities.');
    await rejects(iam.send(new DeleteRoleCommand({ RoleName: 'holder' })), 'DeleteConflict', 409, 'Cannot delete entity, must detach all policies first.');
    await iam.send(new DetachRolePolicyCommand({ RoleName: 'holder', PolicyArn: p.Arn }));
    await rejects(iam.send(new DetachRolePolicyCommand({ RoleName: 'holder', PolicyArn: p.Arn })), 'NoSuchEntity', 404, `Policy ${p.Arn} was not found.`);
    await rejects(
      iam.send(new AttachRolePolicyCommand({ RoleName: 'holder', PolicyArn: 'arn:aws:iam::aws:policy/AmazonS3FullAccess' })),
      'NoSuchEntity',
      404,
      'Policy arn:aws:iam::aws:policy/AmazonS3FullAccess does not exist or is not attachable.',
    );
    await iam.send(new DeletePolicyCommand({ PolicyArn: p.Arn }));
    await rejects(iam.send(new GetPolicyCommand({ PolicyArn: p.Arn })), 'NoSuchEntity', 404, `Policy ${p.Arn} was not found.`);
  });

  it('refuses an oversized managed policy', async () => {
    const big = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: Array.from({ length: 250 }, (_, i) => `arn:aws:s3:::bucket-${i}/*`) }] });
    await rejects(iam.send(new CreatePolicyCommand({ PolicyName: 'huge', PolicyDocument: big })), 'LimitExceeded', 409, 'Cannot exceed quota for PolicySize: 6144');
    await rejects(iam.send(new GetPolicyCommand({ PolicyArn: `arn:aws:iam::${ACCT}:policy/huge` })), 'NoSuchEntity', 404);
  });
});

// --- simulation ----------------------------------------------------------------------------------

describe('SimulatePrincipalPolicy', () => {
  it("explains the lab role's decisions", async () => {
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'batchoperations.s3.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    const role = (await iam.send(new CreateRoleCommand({ RoleName: 'sim', AssumeRolePolicyDocument: trust }))).Role!;
    await iam.send(new PutRolePolicyCommand({ RoleName: 'sim', PolicyName: 'batch-copy', PolicyDocument: SeedCopyPolicyCorrected }));
    await iam.send(new PutRolePolicyCommand({
      RoleName: 'sim',
      PolicyName: 'no-delete',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'NoPutInSource', Effect: 'Deny', Action: 's3:PutObject', Resource: 'arn:aws:s3:::sourcebucket7123/locked/*' }] }),
    }));
    const r = await iam.send(new SimulatePrincipalPolicyCommand({
      PolicySourceArn: role.Arn,
      ActionNames: ['s3:GetObject', 's3:DeleteObject', 's3:PutObject'],
      ResourceArns: ['arn:aws:s3:::sourcebucket7123/locked/a.txt'],
    }));
    const byAction: Record<string, EvaluationResult> = Object.fromEntries(r.EvaluationResults!.map((e) => [e.EvalActionName!, e]));
    assert.equal(byAction['s3:GetObject']!.EvalDecision, 'allowed');
    assert.deepEqual(byAction['s3:GetObject']!.MatchedStatements!.map((m) => [m.SourcePolicyId, m.SourcePolicyType]), [['batch-copy', 'role'], ['batch-copy', 'role']]);
    assert.equal(byAction['s3:DeleteObject']!.EvalDecision, 'implicitDeny');
    assert.deepEqual(byAction['s3:DeleteObject']!.MatchedStatements, []);
    assert.equal(byAction['s3:PutObject']!.EvalDecision, 'explicitDeny');
    assert.deepEqual(byAction['s3:PutObject']!.MatchedStatements!.map((m) => m.SourcePolicyId), ['no-delete']);
    await rejects(
      iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${ACCT}:role/none`, ActionNames: ['s3:GetObject'] })),
      'NoSuchEntity',
      404,
    );
  });
});

// --- the Query protocol itself -------------------------------------------------------------------

describe('Query protocol', () => {
  it('answers unknown actions with InvalidAction and accepts GET with query parameters', async () => {
    const bad = await rawIam({ Action: 'CreateUniverse', Version: '2010-05-08' });
    assert.equal(bad.status, 400);
    assert.match(
      bad.body,
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<ErrorResponse xmlns="https:\/\/iam.amazonaws.com\/doc\/2010-05-08\/"><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code><Message>The action CreateUniverse is not valid for this web service.<\/Message><\/Error><RequestId>[^<]+<\/RequestId><\/ErrorResponse>$/,
    );
    const get = await rawIam({ Action: 'GetUser', Version: '2010-05-08' }, { method: 'GET' });
    assert.equal(get.status, 200);
    assert.match(get.body, new RegExp(`<GetUserResult><User><UserId>${ACCT}</UserId><Arn>arn:aws:iam::${ACCT}:root</Arn>`));
  });
});

// --- persistence ---------------------------------------------------------------------------------

describe('control database', () => {
  it('keeps users, keys, roles and policies across a restart', async () => {
    const dataDir = tempDir('s3batch-iam-restart-');
    let s = await startInProcess({ dataDir });
    const rootIam = new IAMClient({ endpoint: s.url, region: REGION, credentials: ROOT, maxAttempts: 1 });
    await rootIam.send(new CreateUserCommand({ UserName: 'hal' }));
    const k = (await rootIam.send(new CreateAccessKeyCommand({ UserName: 'hal' }))).AccessKey!;
    await rootIam.send(new PutUserPolicyCommand({ UserName: 'hal', PolicyName: 'list', PolicyDocument: allow('iam:ListUsers') }));
    rootIam.destroy();
    await s.stop();

    s = await startInProcess({ dataDir });
    const hal = new IAMClient({ endpoint: s.url, region: REGION, credentials: { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! }, maxAttempts: 1 });
    assert.deepEqual((await hal.send(new ListUsersCommand({}))).Users!.map((u) => u.UserName), ['hal']);
    await rejects(hal.send(new ListRolesCommand({})), 'AccessDenied', 403);
    hal.destroy();
    await s.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
});
