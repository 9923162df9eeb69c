/**
 * The seed lab's IAM journey with the real AWS CLI v2 against a real `s3batch server` process:
 * the replication role with its trust policy, the lab's inline policy as printed (refused:
 * MalformedPolicyDocument), as pasted (refused: the `s3>ListBucket` typo) and corrected (accepted),
 * an operator user allowed to assume the role, `aws sts assume-role`, and S3 calls with the
 * temporary credentials in AWS_SESSION_TOKEN — allowed where the policy says, AccessDenied with
 * AWS's message elsewhere.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, GetObjectTaggingCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AWS_CLI, cliEnv, s3Client, startProcess, tempDir, type ProcessServer } from '../helpers/server.js';
import { SeedCopyPolicyAsPasted, SeedCopyPolicyAsPrinted, SeedCopyPolicyCorrected, SeedTrustPolicy } from '../../src/auth/policy/seed-lab.js';

const run = promisify(execFile);

const ACCT = '000000000000';
const SRC = 'sourcebucket7123';
const DST = 'destinationbucket7122';
const ROLE = 's3crr_role_for_sourcebucket7000';
const ROLE_ARN = `arn:aws:iam::${ACCT}:role/${ROLE}`;

interface Keys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

let server: ProcessServer;
let work: string;
/** The root user's SDK client, for setup and cross-checks (the CLI starts slowly: ~0.7 s a call). */
let root: S3Client;

before(async () => {
  server = await startProcess();
  work = tempDir('s3batch-authz-cli-');
  root = s3Client(server.url);
});

after(async () => {
  root.destroy();
  await server.stop();
  rmSync(work, { recursive: true, force: true });
});

function envOf(keys?: Keys): NodeJS.ProcessEnv {
  const env = cliEnv();
  if (keys) {
    env.AWS_ACCESS_KEY_ID = keys.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = keys.secretAccessKey;
    if (keys.sessionToken) env.AWS_SESSION_TOKEN = keys.sessionToken;
  }
  return env;
}

/** Runs the CLI (root credentials unless `keys`); returns parsed JSON output (or {} for none). */
async function aws(args: string[], keys?: Keys): Promise<Record<string, unknown>> {
  try {
    const { stdout } = await run(AWS_CLI, ['--endpoint-url', server.url, '--no-cli-pager', '--output', 'json', ...args], { env: envOf(keys), timeout: 60_000 });
    return stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>);
  } catch (e) {
    const x = e as { stderr?: string; message: string };
    throw new Error(`aws ${args.join(' ')} failed: ${x.stderr ?? x.message}`);
  }
}

/** Runs the CLI expecting a service error; returns its stderr line. */
async function awsFails(args: string[], keys?: Keys): Promise<string> {
  try {
    await run(AWS_CLI, ['--endpoint-url', server.url, '--no-cli-pager', '--output', 'json', ...args], { env: envOf(keys), timeout: 60_000 });
  } catch (e) {
    const x = e as { code?: number; stderr?: string };
    assert.equal(x.code, 254, `exit code of a service error (stderr: ${x.stderr})`);
    return (x.stderr ?? '').trim();
  }
  assert.fail(`aws ${args.join(' ')} succeeded`);
}

function file(name: string, text: string): string {
  const p = join(work, name);
  writeFileSync(p, text);
  return p;
}

describe('the seed lab with the AWS CLI', () => {
  let session: Keys;

  it('creates the buckets and the role; refuses the lab’s policy as printed and as pasted, accepts it corrected', async () => {
    for (const b of [SRC, DST]) await root.send(new CreateBucketCommand({ Bucket: b }));
    await root.send(new PutObjectCommand({ Bucket: SRC, Key: 'data/report.csv', Body: 'id,total\n1,42\n' }));
    await root.send(new PutObjectCommand({ Bucket: DST, Key: 'already-there.txt', Body: 'there' }));

    // The lab's trust policy (batch operations), plus the account so that a user may assume it.
    const trust = JSON.parse(SeedTrustPolicy) as { Version: string; Statement: unknown[] };
    trust.Statement.push({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCT}:root` }, Action: 'sts:AssumeRole' });
    const role = (await aws(['iam', 'create-role', '--role-name', ROLE, '--assume-role-policy-document', `file://${file('trust.json', JSON.stringify(trust))}`])).Role as { Arn: string };
    assert.equal(role.Arn, ROLE_ARN);

    const put = ['iam', 'put-role-policy', '--role-name', ROLE, '--policy-name', 'batch-copy', '--policy-document'];
    assert.equal(
      await awsFails([...put, `file://${file('printed.json', SeedCopyPolicyAsPrinted)}`]),
      'An error occurred (MalformedPolicyDocument) when calling the PutRolePolicy operation: Syntax errors in policy.',
    );
    assert.equal(
      await awsFails([...put, `file://${file('pasted.json', SeedCopyPolicyAsPasted)}`]),
      'An error occurred (MalformedPolicyDocument) when calling the PutRolePolicy operation: Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.',
    );
    await aws([...put, `file://${file('corrected.json', SeedCopyPolicyCorrected)}`]);
    const stored = await aws(['iam', 'get-role-policy', '--role-name', ROLE, '--policy-name', 'batch-copy']);
    // The CLI decodes the URL-encoded document into JSON.
    assert.deepEqual(stored.PolicyDocument, JSON.parse(SeedCopyPolicyCorrected));
  });

  it('an operator assumes the role with sts assume-role', async () => {
    await aws(['iam', 'create-user', '--user-name', 'operator']);
    const key = (await aws(['iam', 'create-access-key', '--user-name', 'operator'])).AccessKey as { AccessKeyId: string; SecretAccessKey: string };
    const operator: Keys = { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
    const assume = ['sts', 'assume-role', '--role-arn', ROLE_ARN, '--role-session-name', 'lab-operator'];
    // The trust policy names the account: the operator needs an identity policy for sts:AssumeRole.
    assert.equal(
      await awsFails(assume, operator),
      `An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:iam::${ACCT}:user/operator is not authorized to perform: sts:AssumeRole on resource: ${ROLE_ARN}`,
    );
    const allowAssume = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: ROLE_ARN }] });
    await aws(['iam', 'put-user-policy', '--user-name', 'operator', '--policy-name', 'assume-batch-role', '--policy-document', allowAssume]);
    const out = await aws([...assume, '--duration-seconds', '900'], operator);
    const c = out.Credentials as { AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: string };
    assert.match(c.AccessKeyId, /^ASIA[A-Z2-7]{16}$/);
    assert.ok(Math.abs(Date.parse(c.Expiration) - (Date.now() + 900_000)) < 10_000, `expiration ${c.Expiration}`);
    assert.equal((out.AssumedRoleUser as { Arn: string }).Arn, `arn:aws:sts::${ACCT}:assumed-role/${ROLE}/lab-operator`);
    session = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
    const id = await aws(['sts', 'get-caller-identity'], session);
    assert.equal(id.Arn, `arn:aws:sts::${ACCT}:assumed-role/${ROLE}/lab-operator`);
  });

  it('the temporary credentials read the source and write the destination, and nothing more', async () => {
    const who = `arn:aws:sts::${ACCT}:assumed-role/${ROLE}/lab-operator`;
    const out = join(work, 'got.csv');
    const got = await aws(['s3api', 'get-object', '--bucket', SRC, '--key', 'data/report.csv', out], session);
    assert.equal(got.ContentLength, 14);
    assert.equal(readFileSync(out, 'utf8'), 'id,total\n1,42\n');
    await aws(['s3api', 'put-object', '--bucket', DST, '--key', 'data/report.csv', '--body', out, '--tagging', 'copied=yes'], session);
    await aws(['s3api', 'put-object-tagging', '--bucket', DST, '--key', 'already-there.txt', '--tagging', 'TagSet=[{Key=batch,Value=job-1}]'], session);
    // Root sees what the session wrote.
    assert.deepEqual((await root.send(new GetObjectTaggingCommand({ Bucket: DST, Key: 'data/report.csv' }))).TagSet, [{ Key: 'copied', Value: 'yes' }]);
    assert.deepEqual((await root.send(new GetObjectTaggingCommand({ Bucket: DST, Key: 'already-there.txt' }))).TagSet, [{ Key: 'batch', Value: 'job-1' }]);

    const denied = (op: string, action: string, resource: string): string =>
      `An error occurred (AccessDenied) when calling the ${op} operation: User: ${who} is not authorized to perform: ${action} on resource: "${resource}" because no identity-based policy allows the ${action} action`;
    assert.equal(
      await awsFails(['s3api', 'get-object', '--bucket', DST, '--key', 'already-there.txt', join(work, 'no.txt')], session),
      denied('GetObject', 's3:GetObject', `arn:aws:s3:::${DST}/already-there.txt`),
    );
    assert.equal(
      await awsFails(['s3api', 'delete-object', '--bucket', DST, '--key', 'data/report.csv'], session),
      denied('DeleteObject', 's3:DeleteObject', `arn:aws:s3:::${DST}/data/report.csv`),
    );
    assert.equal(await awsFails(['s3api', 'list-buckets'], session), `An error occurred (AccessDenied) when calling the ListBuckets operation: User: ${who} is not authorized to perform: s3:ListAllMyBuckets because no identity-based policy allows the s3:ListAllMyBuckets action`);
    // The same key without its token is not a key at all.
    assert.match(
      await awsFails(['s3api', 'get-object', '--bucket', SRC, '--key', 'data/report.csv', join(work, 'no.txt')], { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey }),
      /^An error occurred \(InvalidAccessKeyId\) when calling the GetObject operation: The AWS Access Key Id you provided does not exist in our records\.$/,
    );
  });
});
