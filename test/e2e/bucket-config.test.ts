/**
 * Bucket configuration sub-resources driven by the real AWS SDK v3 (and, for the seed lab's
 * replication setup, the real AWS CLI) against an in-process server: tagging, policy, replication,
 * inventory, default encryption, Object Lock configuration and the bucket ACL, with every error's
 * exact code, status and message.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateBucketCommand,
  DeleteBucketEncryptionCommand,
  DeleteBucketInventoryConfigurationCommand,
  DeleteBucketPolicyCommand,
  DeleteBucketReplicationCommand,
  DeleteBucketTaggingCommand,
  GetBucketAclCommand,
  GetBucketEncryptionCommand,
  GetBucketInventoryConfigurationCommand,
  GetBucketPolicyCommand,
  GetBucketReplicationCommand,
  GetBucketTaggingCommand,
  GetObjectLockConfigurationCommand,
  HeadObjectCommand,
  ListBucketInventoryConfigurationsCommand,
  PutBucketAclCommand,
  PutBucketEncryptionCommand,
  PutBucketInventoryConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketReplicationCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
  type InventoryConfiguration,
  type ReplicationConfiguration,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { AWS_CLI, cliEnv, s3Client, startInProcess, tempDir, type InProcessServer } from '../helpers/server.js';
import { rejects } from '../helpers/sdk-assert.js';
import { rawRequest } from '../helpers/signed-request.js';
import { putBucketConfig } from '../../src/store/buckets.js';
import { canonicalIdOf } from '../../src/auth/credentials.js';

const run = promisify(execFile);
let server: InProcessServer;
let s3: S3Client;
let n = 0;

before(async () => {
  server = await startInProcess();
  s3 = s3Client(server.url);
});

after(async () => {
  s3.destroy();
  await server.stop();
});

async function newBucket(opts: { versioned?: boolean; lock?: boolean; name?: string } = {}): Promise<string> {
  const name = opts.name ?? `cfg-${process.pid}-${++n}`;
  await s3.send(new CreateBucketCommand({ Bucket: name, ObjectLockEnabledForBucket: opts.lock }));
  if (opts.versioned) await s3.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }));
  return name;
}

const MALFORMED = /^The XML you provided was not well-formed or did not validate against our published schema/;

async function rejectsMalformedXml(p: Promise<unknown>): Promise<void> {
  const err = await rejects(p, 'MalformedXML', 400);
  assert.match(err.message, MALFORMED);
}

describe('bucket tagging', () => {
  it('round-trips a tag set; 204 on put and delete; NoSuchTagSet without one', async () => {
    const b = await newBucket();
    const none = await rejects(s3.send(new GetBucketTaggingCommand({ Bucket: b })), 'NoSuchTagSet', 404, 'The TagSet does not exist');
    assert.equal(none.BucketName, b);
    const put = await s3.send(new PutBucketTaggingCommand({ Bucket: b, Tagging: { TagSet: [{ Key: 'team', Value: 'storage' }, { Key: 'cost center', Value: '' }] } }));
    assert.equal(put.$metadata.httpStatusCode, 204);
    const got = await s3.send(new GetBucketTaggingCommand({ Bucket: b }));
    assert.deepEqual(got.TagSet, [{ Key: 'team', Value: 'storage' }, { Key: 'cost center', Value: '' }]);
    const del = await s3.send(new DeleteBucketTaggingCommand({ Bucket: b }));
    assert.equal(del.$metadata.httpStatusCode, 204);
    await rejects(s3.send(new GetBucketTaggingCommand({ Bucket: b })), 'NoSuchTagSet', 404);
  });

  it('allows 50 tags on a bucket and refuses 51; refuses duplicate keys', async () => {
    const b = await newBucket();
    const tags = (k: number): { Key: string; Value: string }[] => Array.from({ length: k }, (_, i) => ({ Key: `k${i}`, Value: `v${i}` }));
    await s3.send(new PutBucketTaggingCommand({ Bucket: b, Tagging: { TagSet: tags(50) } }));
    assert.equal((await s3.send(new GetBucketTaggingCommand({ Bucket: b }))).TagSet!.length, 50);
    await rejects(s3.send(new PutBucketTaggingCommand({ Bucket: b, Tagging: { TagSet: tags(51) } })), 'InvalidTag', 400, 'Bucket tag count cannot be greater than 50');
    await rejects(
      s3.send(new PutBucketTaggingCommand({ Bucket: b, Tagging: { TagSet: [{ Key: 'a', Value: '1' }, { Key: 'a', Value: '2' }] } })),
      'InvalidTag',
      400,
      'Cannot provide multiple Tags with the same key',
    );
    // The refused puts left the 50 tags in place.
    assert.equal((await s3.send(new GetBucketTaggingCommand({ Bucket: b }))).TagSet!.length, 50);
  });

  it('verifies Content-MD5 and refuses a bucket that does not exist', async () => {
    const b = await newBucket();
    const body = '<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>';
    const r = await rawRequest(server.port, { method: 'PUT', path: `/${b}`, query: { tagging: '' }, headers: { 'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==' }, body });
    assert.equal(r.status, 400);
    assert.match(r.body, /<Code>BadDigest<\/Code>/);
    await rejects(s3.send(new GetBucketTaggingCommand({ Bucket: 'no-such-bucket-cfg' })), 'NoSuchBucket', 404);
  });
});

describe('bucket policy', () => {
  const policyFor = (b: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    Version: '2012-10-17',
    Statement: [{ Sid: 'ReadAll', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::000000000000:root' }, Action: ['s3:GetObject', 's3:ListBucket'], Resource: [`arn:aws:s3:::${b}`, `arn:aws:s3:::${b}/*`], ...extra }],
  });

  it('stores a policy and returns the document exactly as put; 204 on put and delete', async () => {
    const b = await newBucket();
    const none = await rejects(s3.send(new GetBucketPolicyCommand({ Bucket: b })), 'NoSuchBucketPolicy', 404, 'The bucket policy does not exist');
    assert.equal(none.BucketName, b);
    const text = JSON.stringify(policyFor(b), null, 4) + '\n';
    const put = await s3.send(new PutBucketPolicyCommand({ Bucket: b, Policy: text }));
    assert.equal(put.$metadata.httpStatusCode, 204);
    assert.equal((await s3.send(new GetBucketPolicyCommand({ Bucket: b }))).Policy, text);
    const del = await s3.send(new DeleteBucketPolicyCommand({ Bucket: b }));
    assert.equal(del.$metadata.httpStatusCode, 204);
    await rejects(s3.send(new GetBucketPolicyCommand({ Bucket: b })), 'NoSuchBucketPolicy', 404);
  });

  it('accepts the forms IAM allows: single statement object, "*" principal, NotAction, conditions, wildcards', async () => {
    const b = await newBucket();
    const doc = {
      Version: '2008-10-17',
      Id: 'p1',
      Statement: {
        Effect: 'Deny',
        Principal: '*',
        NotAction: 's3:Get*',
        Resource: `arn:aws:s3:::${b}/private/*`,
        Condition: { Bool: { 'aws:SecureTransport': false }, 'ForAnyValue:StringLikeIfExists': { 's3:prefix': ['a*', 'b'] } },
      },
    };
    await s3.send(new PutBucketPolicyCommand({ Bucket: b, Policy: JSON.stringify(doc) }));
    assert.equal((await s3.send(new GetBucketPolicyCommand({ Bucket: b }))).Policy, JSON.stringify(doc));
  });

  it('answers MalformedPolicy with AWS\'s message for each kind of fault', async () => {
    const b = await newBucket();
    const bad = async (policy: string | Record<string, unknown>, message: string): Promise<void> => {
      await rejects(s3.send(new PutBucketPolicyCommand({ Bucket: b, Policy: typeof policy === 'string' ? policy : JSON.stringify(policy) })), 'MalformedPolicy', 400, message);
    };
    const stmt = (s: Record<string, unknown>): Record<string, unknown> => ({ Version: '2012-10-17', Statement: [s] });
    const ok = { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${b}/*` };
    await bad(' {"Version":"2012-10-17"}', 'Policies must be valid JSON and the first byte must be \'{\'');
    await bad('[]', 'Policies must be valid JSON and the first byte must be \'{\'');
    await bad('{"Version": "2012-10-17", "Statement": [', 'This policy contains invalid Json');
    await bad({ Version: '2012-10-18', Statement: [ok] }, 'The policy must contain a valid version string');
    await bad({ Version: '2012-10-17' }, 'Missing required field Statement');
    await bad({ Version: '2012-10-17', Statement: [] }, 'Could not parse the policy: Statement is empty!');
    await bad({ Version: '2012-10-17', Statment: [ok] }, 'Unknown field Statment');
    await bad(stmt({ ...ok, condition: {} }), 'Unknown field condition');
    await bad(stmt({ ...ok, Effect: undefined }), 'Missing required field Effect');
    await bad(stmt({ ...ok, Effect: 'Permit' }), 'Invalid effect: Permit');
    await bad(stmt({ ...ok, Principal: undefined }), 'Missing required field Principal');
    await bad(stmt({ ...ok, Principal: { AWS: 'not-an-account' } }), 'Invalid principal in policy');
    await bad(stmt({ ...ok, Principal: { Nobody: '*' } }), 'Invalid principal in policy');
    await bad(stmt({ ...ok, Action: undefined }), 'Missing required field Action');
    await bad(stmt({ ...ok, Action: 's3>ListBucket' }), 'Policy has invalid action');
    await bad(stmt({ ...ok, Action: 's3:FlyToTheMoon' }), 'Policy has invalid action');
    await bad(stmt({ ...ok, Action: 'iam:PassRole' }), 'Policy has invalid action');
    await bad(stmt({ ...ok, Resource: undefined }), 'Missing required field Resource');
    await bad(stmt({ ...ok, Resource: '*' }), 'Policy has invalid resource');
    await bad(stmt({ ...ok, Resource: 'arn:aws:s3:::another-bucket/*' }), 'Policy has invalid resource');
    await bad(stmt({ ...ok, Resource: `arn:aws:s3:::${b}`, Action: 's3:PutObject' }), 'Action does not apply to any resource(s) in statement');
    await bad(stmt({ ...ok, Resource: `arn:aws:s3:::${b}/*`, Action: 's3:ListBucket' }), 'Action does not apply to any resource(s) in statement');
    await bad(stmt({ ...ok, Condition: { StringSorta: { 'aws:username': 'x' } } }), 'Invalid Condition type : StringSorta');
    const big = stmt({ ...ok, Sid: 'x'.repeat(21 * 1024) });
    await bad(big, 'Policy exceeds the maximum allowed document size.');
    await rejects(s3.send(new GetBucketPolicyCommand({ Bucket: b })), 'NoSuchBucketPolicy', 404);
  });
});

const SEED_ROLE = 'arn:aws:iam::000000000000:role/s3crr_role_for_sourcebucket7000';
const seedLabConfiguration = (dest: string): ReplicationConfiguration => ({
  Role: SEED_ROLE,
  Rules: [{ ID: 'source-destination-repl', Priority: 0, Filter: {}, Status: 'Enabled', Destination: { Bucket: `arn:aws:s3:::${dest}` }, DeleteMarkerReplication: { Status: 'Disabled' } }],
});

describe('bucket replication', () => {
  it('stores the seed lab\'s configuration and renders back exactly what was sent', async () => {
    const src = await newBucket({ versioned: true, name: 'sourcebucket7000' });
    const dest = await newBucket({ versioned: true, name: 'destinationbucket7000' });
    const none = await rejects(s3.send(new GetBucketReplicationCommand({ Bucket: src })), 'ReplicationConfigurationNotFoundError', 404, 'The replication configuration was not found');
    assert.equal(none.BucketName, src);
    const put = await s3.send(new PutBucketReplicationCommand({ Bucket: src, ReplicationConfiguration: seedLabConfiguration(dest) }));
    assert.equal(put.$metadata.httpStatusCode, 200);
    const got = await s3.send(new GetBucketReplicationCommand({ Bucket: src }));
    assert.deepEqual(got.ReplicationConfiguration, seedLabConfiguration(dest));
    const raw = await rawRequest(server.port, { method: 'GET', path: `/${src}`, query: { replication: '' } });
    assert.equal(
      raw.body,
      '<?xml version="1.0" encoding="UTF-8"?>\n<ReplicationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        `<Role>${SEED_ROLE}</Role><Rule><ID>source-destination-repl</ID><Status>Enabled</Status><Priority>0</Priority>` +
        '<DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication><Filter></Filter>' +
        `<Destination><Bucket>arn:aws:s3:::${dest}</Bucket></Destination></Rule></ReplicationConfiguration>`,
    );
    const del = await s3.send(new DeleteBucketReplicationCommand({ Bucket: src }));
    assert.equal(del.$metadata.httpStatusCode, 204);
    await rejects(s3.send(new GetBucketReplicationCommand({ Bucket: src })), 'ReplicationConfigurationNotFoundError', 404);
  });

  it('takes the seed lab\'s configuration from the AWS CLI', async () => {
    const src = await newBucket({ versioned: true });
    const dest = await newBucket({ versioned: true });
    const file = join(tempDir(), 'replication.json');
    writeFileSync(file, JSON.stringify(seedLabConfiguration(dest)));
    const cli = (...args: string[]): Promise<{ stdout: string }> => run(AWS_CLI, ['--endpoint-url', server.url, 's3api', ...args], { env: cliEnv() });
    await cli('put-bucket-replication', '--bucket', src, '--replication-configuration', `file://${file}`);
    const out = JSON.parse((await cli('get-bucket-replication', '--bucket', src)).stdout) as { ReplicationConfiguration: unknown };
    assert.deepEqual(out.ReplicationConfiguration, seedLabConfiguration(dest));
  });

  it('keeps every element of a full V2 rule and generates a missing rule ID', async () => {
    const src = await newBucket({ versioned: true });
    const dest = await newBucket({ versioned: true });
    const cfg: ReplicationConfiguration = {
      Role: 'arn:aws:iam::000000000000:role/replicator',
      Rules: [
        {
          ID: 'tagged',
          Priority: 2,
          Filter: { And: { Prefix: 'logs/', Tags: [{ Key: 'kind', Value: 'audit' }, { Key: 'tier', Value: 'hot' }] } },
          Status: 'Enabled',
          SourceSelectionCriteria: { ReplicaModifications: { Status: 'Enabled' } },
          ExistingObjectReplication: { Status: 'Enabled' },
          Destination: {
            Bucket: `arn:aws:s3:::${dest}`,
            Account: '000000000000',
            StorageClass: 'STANDARD_IA',
            AccessControlTranslation: { Owner: 'Destination' },
            ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } },
            Metrics: { Status: 'Enabled', EventThreshold: { Minutes: 15 } },
          },
          DeleteMarkerReplication: { Status: 'Disabled' },
        },
        { ID: 'one-tag', Priority: 1, Filter: { Tag: { Key: 'k', Value: 'v' } }, Status: 'Disabled', Destination: { Bucket: `arn:aws:s3:::${dest}` }, DeleteMarkerReplication: { Status: 'Disabled' } },
        { Priority: 0, Filter: { Prefix: 'docs/' }, Status: 'Enabled', Destination: { Bucket: `arn:aws:s3:::${dest}` }, DeleteMarkerReplication: { Status: 'Enabled' } },
      ],
    };
    await s3.send(new PutBucketReplicationCommand({ Bucket: src, ReplicationConfiguration: cfg }));
    const got = (await s3.send(new GetBucketReplicationCommand({ Bucket: src }))).ReplicationConfiguration!;
    const generated = got.Rules![2]!.ID!;
    assert.match(generated, /^[A-Za-z0-9+/]{48}$/);
    assert.deepEqual(got, { ...cfg, Rules: [cfg.Rules![0], cfg.Rules![1], { ...cfg.Rules![2], ID: generated }] });
  });

  it('accepts the V1 schema (Prefix in the rule, no Priority) and refuses overlapping V1 prefixes', async () => {
    const src = await newBucket({ versioned: true });
    const dest = await newBucket({ versioned: true });
    const v1: ReplicationConfiguration = { Role: 'arn:aws:iam::000000000000:role/r', Rules: [{ ID: 'a', Prefix: 'a/', Status: 'Enabled', Destination: { Bucket: `arn:aws:s3:::${dest}`, StorageClass: 'GLACIER' } }] };
    await s3.send(new PutBucketReplicationCommand({ Bucket: src, ReplicationConfiguration: v1 }));
    assert.deepEqual((await s3.send(new GetBucketReplicationCommand({ Bucket: src }))).ReplicationConfiguration, v1);
    const overlapping = { ...v1, Rules: [...v1.Rules!, { ID: 'b', Prefix: 'a/b', Status: 'Enabled' as const, Destination: { Bucket: `arn:aws:s3:::${dest}` } }] };
    await rejects(s3.send(new PutBucketReplicationCommand({ Bucket: src, ReplicationConfiguration: overlapping })), 'InvalidRequest', 400, 'Found overlapping prefixes \'a/\' and \'a/b\'');
  });

  it('requires versioning on the source and on a destination that lives on this server', async () => {
    const unversioned = await newBucket();
    const dest = await newBucket({ versioned: true });
    const err = await rejects(
      s3.send(new PutBucketReplicationCommand({ Bucket: unversioned, ReplicationConfiguration: seedLabConfiguration(dest) })),
      'InvalidRequest',
      400,
      'Versioning must be \'Enabled\' on the bucket to apply a replication configuration',
    );
    assert.equal(err.BucketName, unversioned);
    const src = await newBucket({ versioned: true });
    const plainDest = await newBucket();
    await rejects(s3.send(new PutBucketReplicationCommand({ Bucket: src, ReplicationConfiguration: seedLabConfiguration(plainDest) })), 'InvalidRequest', 400, 'Destination bucket must have versioning enabled.');
    // A destination this server does not hold may be a remote endpoint's.
    await s3.send(new PutBucketReplicationCommand({ Bucket: src, ReplicationConfiguration: seedLabConfiguration('bucket-on-another-endpoint') }));
  });

  it('refuses each invalid configuration with S3\'s code and message', async () => {
    const src = await newBucket({ versioned: true });
    const dest = `arn:aws:s3:::${await newBucket({ versioned: true })}`;
    const rule = { ID: 'r1', Priority: 1, Filter: {}, Status: 'Enabled' as const, Destination: { Bucket: dest }, DeleteMarkerReplication: { Status: 'Disabled' as const } };
    const put = (cfg: Record<string, unknown>): Promise<unknown> => s3.send(new PutBucketReplicationCommand({ Bucket: src, ReplicationConfiguration: { Role: SEED_ROLE, ...cfg } as ReplicationConfiguration }));
    const schema = (field: string, verb: string): string => `${field} ${verb} for this version of Cross Region Replication configuration schema. Please refer to S3 Developer Guide for more information.`;
    await rejects(put({ Rules: [{ ...rule, Priority: undefined }] }), 'InvalidRequest', 400, schema('Priority', 'must be specified'));
    await rejects(put({ Rules: [{ ...rule, DeleteMarkerReplication: undefined }] }), 'InvalidRequest', 400, schema('DeleteMarkerReplication', 'must be specified'));
    await rejects(put({ Rules: [{ ID: 'v1', Prefix: '', Priority: 1, Status: 'Enabled', Destination: { Bucket: dest } }] }), 'InvalidRequest', 400, schema('Priority', 'cannot be used'));
    await rejects(put({ Rules: [rule, { ...rule, ID: 'r2' }] }), 'InvalidRequest', 400, 'Found duplicate priority 1.');
    const dupId = await rejects(put({ Rules: [rule, { ...rule, Priority: 2 }] }), 'InvalidArgument', 400, 'Rule Id must be unique');
    assert.equal(dupId.ArgumentName, 'ID');
    await rejects(put({ Rules: [{ ...rule, ID: 'x'.repeat(256) }] }), 'InvalidArgument', 400, 'Rule Id cannot be greater than 255');
    await put({ Rules: [{ ...rule, ID: 'x'.repeat(255) }] });
    await rejects(put({ Rules: [{ ...rule, Priority: -1 }] }), 'InvalidRequest', 400, 'Priority must be between 0 and 2147483647.');
    const role = await rejects(put({ Role: 'not-an-arn', Rules: [rule] }), 'InvalidArgument', 400, 'Invalid Role specified in replication configuration');
    assert.equal(role.ArgumentName, 'Role');
    assert.equal(role.ArgumentValue, 'not-an-arn');
    await rejects(put({ Rules: [{ ...rule, Destination: { Bucket: 'destinationbucket7000' } }] }), 'InvalidArgument', 400, 'Invalid bucket ARN');
    await rejects(put({ Rules: [{ ...rule, Destination: { Bucket: 'arn:aws:s3:::Bad_Name' } }] }), 'InvalidArgument', 400, 'The specified bucket is not valid.');
    await rejects(put({ Rules: [{ ...rule, Destination: { Bucket: `arn:aws:s3:::${src}` } }] }), 'InvalidRequest', 400, 'Destination bucket cannot be the same as the source bucket.');
    await rejects(
      put({ Rules: [{ ...rule, Filter: { Tag: { Key: 'k', Value: 'v' } }, DeleteMarkerReplication: { Status: 'Enabled' } }] }),
      'InvalidRequest',
      400,
      'Delete marker replication is not supported if any Tag filter is specified. Please refer to S3 Developer Guide for more information.',
    );
    await rejects(put({ Rules: [{ ...rule, Filter: { And: { Tags: [{ Key: 'k', Value: '1' }, { Key: 'k', Value: '2' }] } } }] }), 'InvalidRequest', 400, 'Duplicate Tag Keys are not allowed.');
    await rejects(
      put({ Rules: [{ ...rule, Destination: { Bucket: dest, AccessControlTranslation: { Owner: 'Destination' } } }] }),
      'InvalidRequest',
      400,
      'Account must be specified if the Owner in AccessControlTranslation has a value',
    );
    await rejects(
      put({ Rules: [{ ...rule, Destination: { Bucket: dest, ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } } } }] }),
      'InvalidRequest',
      400,
      'Replication destination must contain both ReplicationTime and Metrics or neither.',
    );
    await rejectsMalformedXml(put({ Rules: [{ ...rule, Status: 'On' }] }));
    await rejectsMalformedXml(put({ Rules: [] }));
    await rejectsMalformedXml(put({ Rules: [{ ...rule, Destination: { Bucket: dest, StorageClass: 'PLATINUM' } }] }));
    await rejectsMalformedXml(put({ Rules: [{ ...rule, Filter: { Prefix: 'a', Tag: { Key: 'k', Value: 'v' } } }] }));
    // None of the refused puts replaced the stored configuration.
    assert.equal((await s3.send(new GetBucketReplicationCommand({ Bucket: src }))).ReplicationConfiguration!.Rules![0]!.ID, 'x'.repeat(255));
  });
});

describe('bucket inventory configurations', () => {
  const inventory = (id: string, extra: Partial<InventoryConfiguration> = {}): InventoryConfiguration => ({
    Destination: { S3BucketDestination: { Bucket: 'arn:aws:s3:::inventory-reports', Format: 'CSV' } },
    IsEnabled: true,
    Id: id,
    IncludedObjectVersions: 'Current',
    Schedule: { Frequency: 'Daily' },
    ...extra,
  });

  it('puts, gets, lists and deletes configurations', async () => {
    const b = await newBucket();
    const full = inventory('report1', {
      Destination: { S3BucketDestination: { AccountId: '000000000000', Bucket: 'arn:aws:s3:::inventory-reports', Format: 'Parquet', Prefix: 'inv/', Encryption: { SSEKMS: { KeyId: 'arn:aws:kms:us-east-1:000000000000:key/k1' } } } },
      IsEnabled: false,
      Filter: { Prefix: 'data/' },
      IncludedObjectVersions: 'All',
      OptionalFields: ['Size', 'ETag', 'ReplicationStatus', 'ObjectLockMode'],
      Schedule: { Frequency: 'Weekly' },
    });
    await s3.send(new PutBucketInventoryConfigurationCommand({ Bucket: b, Id: 'report1', InventoryConfiguration: full }));
    await s3.send(new PutBucketInventoryConfigurationCommand({ Bucket: b, Id: 'report0', InventoryConfiguration: inventory('report0', { Destination: { S3BucketDestination: { Bucket: 'arn:aws:s3:::x-reports', Format: 'ORC', Encryption: { SSES3: {} } } } }) }));
    assert.deepEqual((await s3.send(new GetBucketInventoryConfigurationCommand({ Bucket: b, Id: 'report1' }))).InventoryConfiguration, full);
    const list = await s3.send(new ListBucketInventoryConfigurationsCommand({ Bucket: b }));
    assert.equal(list.IsTruncated, false);
    assert.deepEqual(list.InventoryConfigurationList!.map((c) => c.Id), ['report0', 'report1']);
    assert.deepEqual(list.InventoryConfigurationList![0]!.Destination!.S3BucketDestination!.Encryption, { SSES3: {} });
    const del = await s3.send(new DeleteBucketInventoryConfigurationCommand({ Bucket: b, Id: 'report1' }));
    assert.equal(del.$metadata.httpStatusCode, 204);
    await rejects(s3.send(new GetBucketInventoryConfigurationCommand({ Bucket: b, Id: 'report1' })), 'NoSuchConfiguration', 404, 'The specified configuration does not exist.');
    await rejects(s3.send(new DeleteBucketInventoryConfigurationCommand({ Bucket: b, Id: 'report1' })), 'NoSuchConfiguration', 404);
    const empty = await s3.send(new ListBucketInventoryConfigurationsCommand({ Bucket: await newBucket() }));
    assert.equal(empty.IsTruncated, false);
    assert.equal(empty.InventoryConfigurationList, undefined);
  });

  it('refuses a mismatched Id, a bad destination ARN and values outside the schema', async () => {
    const b = await newBucket();
    const put = (id: string, cfg: InventoryConfiguration): Promise<unknown> => s3.send(new PutBucketInventoryConfigurationCommand({ Bucket: b, Id: id, InventoryConfiguration: cfg }));
    await rejects(put('a', inventory('b')), 'IdMismatch', 400, 'Document ID does not match the specified configuration ID.');
    await rejects(put('a', inventory('a', { Destination: { S3BucketDestination: { Bucket: 'inventory-reports', Format: 'CSV' } } })), 'InvalidS3DestinationBucket', 400, 'Invalid bucket ARN.');
    await rejectsMalformedXml(put('a', inventory('a', { OptionalFields: ['Size', 'Colour' as 'Size'] })));
    await rejectsMalformedXml(put('a', inventory('a', { Schedule: { Frequency: 'Hourly' as 'Daily' } })));
    await rejectsMalformedXml(put('a', inventory('a', { IncludedObjectVersions: 'Some' as 'All' })));
    await rejectsMalformedXml(put('a', inventory('a', { Destination: { S3BucketDestination: { Bucket: 'arn:aws:s3:::r', Format: 'JSON' as 'CSV' } } })));
    // Nothing was stored by the refused puts.
    assert.equal((await s3.send(new ListBucketInventoryConfigurationsCommand({ Bucket: b }))).InventoryConfigurationList, undefined);
  });

  it('pages listings 100 at a time with continuation tokens', async () => {
    const b = await newBucket();
    const ids = Array.from({ length: 205 }, (_, i) => `inv-${String(i).padStart(3, '0')}`);
    for (const id of ids) putBucketConfig(server.app.store.ctx, b, 'inventory', { id, isEnabled: true, destination: { bucket: 'arn:aws:s3:::r', format: 'CSV' }, includedObjectVersions: 'All', frequency: 'Daily' }, id);
    const seen: string[] = [];
    let token: string | undefined;
    const pages: boolean[] = [];
    do {
      const page = await s3.send(new ListBucketInventoryConfigurationsCommand({ Bucket: b, ContinuationToken: token }));
      assert.equal(page.ContinuationToken, token);
      seen.push(...page.InventoryConfigurationList!.map((c) => c.Id!));
      pages.push(page.IsTruncated!);
      token = page.NextContinuationToken;
    } while (token);
    assert.deepEqual(pages, [true, true, false]);
    assert.deepEqual(seen, ids);
    await rejects(s3.send(new ListBucketInventoryConfigurationsCommand({ Bucket: b, ContinuationToken: '!!!' })), 'InvalidArgument', 400, 'The continuation token provided is incorrect');
  });

  it('allows 1,000 configurations on a bucket, then TooManyConfigurations (replacing one stays allowed)', async () => {
    const b = await newBucket();
    const ctx = server.app.store.ctx;
    for (let i = 0; i < 1000; i++) {
      putBucketConfig(ctx, b, 'inventory', { id: `c${i}`, isEnabled: true, destination: { bucket: 'arn:aws:s3:::r', format: 'CSV' }, includedObjectVersions: 'All', frequency: 'Daily' }, `c${i}`);
    }
    await rejects(
      s3.send(new PutBucketInventoryConfigurationCommand({ Bucket: b, Id: 'one-too-many', InventoryConfiguration: inventory('one-too-many') })),
      'TooManyConfigurations',
      400,
      'You are attempting to create a new configuration but have already reached the limit.',
    );
    await s3.send(new PutBucketInventoryConfigurationCommand({ Bucket: b, Id: 'c7', InventoryConfiguration: inventory('c7', { IsEnabled: false }) }));
    assert.equal((await s3.send(new GetBucketInventoryConfigurationCommand({ Bucket: b, Id: 'c7' }))).InventoryConfiguration!.IsEnabled, false);
  });
});

describe('bucket default encryption', () => {
  it('answers SSE-S3 for a bucket never configured, round-trips SSE-KMS and resets on delete', async () => {
    const b = await newBucket();
    const sseS3 = { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false }] };
    assert.deepEqual((await s3.send(new GetBucketEncryptionCommand({ Bucket: b }))).ServerSideEncryptionConfiguration, sseS3);
    const kms = { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' as const, KMSMasterKeyID: 'arn:aws:kms:us-east-1:000000000000:key/k1' }, BucketKeyEnabled: true }] };
    const put = await s3.send(new PutBucketEncryptionCommand({ Bucket: b, ServerSideEncryptionConfiguration: kms }));
    assert.equal(put.$metadata.httpStatusCode, 200);
    assert.deepEqual((await s3.send(new GetBucketEncryptionCommand({ Bucket: b }))).ServerSideEncryptionConfiguration, kms);
    const del = await s3.send(new DeleteBucketEncryptionCommand({ Bucket: b }));
    assert.equal(del.$metadata.httpStatusCode, 204);
    assert.deepEqual((await s3.send(new GetBucketEncryptionCommand({ Bucket: b }))).ServerSideEncryptionConfiguration, sseS3);
    assert.equal((await s3.send(new DeleteBucketEncryptionCommand({ Bucket: b }))).$metadata.httpStatusCode, 204);
  });

  it('refuses a KMS key with AES256, an unknown algorithm and a rule count other than one', async () => {
    const b = await newBucket();
    const err = await rejects(
      s3.send(new PutBucketEncryptionCommand({ Bucket: b, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256', KMSMasterKeyID: 'k1' } }] } })),
      'InvalidArgument',
      400,
      'a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse',
    );
    assert.equal(err.ArgumentName, 'ApplyServerSideEncryptionByDefault');
    await rejectsMalformedXml(s3.send(new PutBucketEncryptionCommand({ Bucket: b, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'DES' as 'AES256' } }] } })));
    await rejectsMalformedXml(s3.send(new PutBucketEncryptionCommand({ Bucket: b, ServerSideEncryptionConfiguration: { Rules: [] } })));
    const rule = { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' as const } };
    await rejectsMalformedXml(s3.send(new PutBucketEncryptionCommand({ Bucket: b, ServerSideEncryptionConfiguration: { Rules: [rule, rule] } })));
  });
});

describe('Object Lock configuration', () => {
  it('answers ObjectLockConfigurationNotFoundError on a bucket without Object Lock', async () => {
    const b = await newBucket();
    const err = await rejects(s3.send(new GetObjectLockConfigurationCommand({ Bucket: b })), 'ObjectLockConfigurationNotFoundError', 404, 'Object Lock configuration does not exist for this bucket');
    assert.equal(err.BucketName, b);
  });

  it('reports Enabled with no rule for a bucket created with Object Lock, and applies a default retention to new objects', async () => {
    const b = await newBucket({ lock: true });
    assert.deepEqual((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: b }))).ObjectLockConfiguration, { ObjectLockEnabled: 'Enabled' });
    const put = await s3.send(new PutObjectLockConfigurationCommand({ Bucket: b, ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 2 } } } }));
    assert.equal(put.$metadata.httpStatusCode, 200);
    assert.deepEqual((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: b }))).ObjectLockConfiguration, { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 2 } } });
    const before = Date.now();
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'locked', Body: 'x' }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: b, Key: 'locked' }));
    assert.equal(head.ObjectLockMode, 'GOVERNANCE');
    const until = head.ObjectLockRetainUntilDate!.getTime();
    assert.ok(Math.abs(until - (before + 2 * 86400_000)) < 60_000, `retain-until ${head.ObjectLockRetainUntilDate!.toISOString()}`);
    // A configuration without a rule removes the default retention.
    await s3.send(new PutObjectLockConfigurationCommand({ Bucket: b, ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } }));
    assert.deepEqual((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: b }))).ObjectLockConfiguration, { ObjectLockEnabled: 'Enabled' });
  });

  it('enables Object Lock on a versioned bucket and refuses it on an unversioned one', async () => {
    const plain = await newBucket();
    const cfg = { ObjectLockEnabled: 'Enabled' as const, Rule: { DefaultRetention: { Mode: 'COMPLIANCE' as const, Years: 1 } } };
    const err = await rejects(
      s3.send(new PutObjectLockConfigurationCommand({ Bucket: plain, ObjectLockConfiguration: cfg })),
      'InvalidBucketState',
      409,
      'Versioning must be \'Enabled\' on the bucket to apply a Object Lock configuration',
    );
    assert.equal(err.BucketName, plain);
    await rejects(s3.send(new GetObjectLockConfigurationCommand({ Bucket: plain })), 'ObjectLockConfigurationNotFoundError', 404);
    const versioned = await newBucket({ versioned: true });
    await s3.send(new PutObjectLockConfigurationCommand({ Bucket: versioned, ObjectLockConfiguration: cfg }));
    assert.deepEqual((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: versioned }))).ObjectLockConfiguration, cfg);
    await rejects(s3.send(new PutBucketVersioningCommand({ Bucket: versioned, VersioningConfiguration: { Status: 'Suspended' } })), 'InvalidBucketState', 409);
  });

  it('refuses malformed rules and non-positive or too long periods', async () => {
    const b = await newBucket({ lock: true });
    const put = (cfg: Record<string, unknown>): Promise<unknown> => s3.send(new PutObjectLockConfigurationCommand({ Bucket: b, ObjectLockConfiguration: cfg }));
    await rejectsMalformedXml(put({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1, Years: 1 } } }));
    await rejectsMalformedXml(put({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE' } } }));
    await rejectsMalformedXml(put({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'governance', Days: 1 } } }));
    await rejectsMalformedXml(put({ Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } } }));
    await rejectsMalformedXml(put({ ObjectLockEnabled: 'Disabled' }));
    const zero = await rejects(put({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 0 } } }), 'InvalidArgument', 400, 'Default retention period must be a positive integer value.');
    assert.equal(zero.ArgumentName, 'Days');
    await rejects(put({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Years: -1 } } }), 'InvalidArgument', 400, 'Default retention period must be a positive integer value.');
    await rejects(put({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Years: 101 } } }), 'InvalidArgument', 400, 'Default retention period too large.');
    await put({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 36500 } } });
  });
});

describe('bucket ACL', () => {
  const owner = canonicalIdOf('000000000000');

  it('starts as the owner\'s FULL_CONTROL and takes a canned ACL', async () => {
    const b = await newBucket();
    const initial = await s3.send(new GetBucketAclCommand({ Bucket: b }));
    assert.equal(initial.Owner!.ID, owner);
    assert.deepEqual(initial.Grants, [{ Grantee: { Type: 'CanonicalUser', ID: owner, DisplayName: 'default' }, Permission: 'FULL_CONTROL' }]);
    await s3.send(new PutBucketAclCommand({ Bucket: b, ACL: 'public-read' }));
    const pub = await s3.send(new GetBucketAclCommand({ Bucket: b }));
    assert.deepEqual(pub.Grants!.map((g) => [g.Grantee!.Type, g.Grantee!.ID ?? g.Grantee!.URI, g.Permission]), [
      ['CanonicalUser', owner, 'FULL_CONTROL'],
      ['Group', 'http://acs.amazonaws.com/groups/global/AllUsers', 'READ'],
    ]);
    await s3.send(new PutBucketAclCommand({ Bucket: b, ACL: 'private' }));
    assert.equal((await s3.send(new GetBucketAclCommand({ Bucket: b }))).Grants!.length, 1);
  });

  it('takes grant headers and an <AccessControlPolicy> body', async () => {
    const b = await newBucket();
    await s3.send(new PutBucketAclCommand({ Bucket: b, GrantRead: 'uri="http://acs.amazonaws.com/groups/global/AuthenticatedUsers"', GrantFullControl: `id="${owner}"` }));
    const byHeaders = await s3.send(new GetBucketAclCommand({ Bucket: b }));
    assert.deepEqual(byHeaders.Grants!.map((g) => g.Permission).sort(), ['FULL_CONTROL', 'READ']);
    await s3.send(
      new PutBucketAclCommand({
        Bucket: b,
        AccessControlPolicy: {
          Owner: { ID: owner },
          Grants: [
            { Grantee: { Type: 'CanonicalUser', ID: owner }, Permission: 'FULL_CONTROL' },
            { Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/s3/LogDelivery' }, Permission: 'WRITE' },
          ],
        },
      }),
    );
    const byBody = await s3.send(new GetBucketAclCommand({ Bucket: b }));
    assert.deepEqual(byBody.Grants!.map((g) => [g.Grantee!.Type, g.Permission]), [['CanonicalUser', 'FULL_CONTROL'], ['Group', 'WRITE']]);
  });

  it('refuses a header and a body together, neither, and an unknown canonical id', async () => {
    const b = await newBucket();
    await rejects(
      s3.send(new PutBucketAclCommand({ Bucket: b, ACL: 'public-read', AccessControlPolicy: { Owner: { ID: owner }, Grants: [] } })),
      'UnexpectedContent',
      400,
      'This request does not support content',
    );
    const missing = await rejects(s3.send(new PutBucketAclCommand({ Bucket: b })), 'MissingSecurityHeader', 400, 'Your request was missing a required header');
    assert.equal(missing.MissingHeaderName, 'x-amz-acl');
    await rejects(s3.send(new PutBucketAclCommand({ Bucket: b, GrantRead: `id="${'0'.repeat(64)}"` })), 'InvalidArgument', 400, 'Invalid id');
    await rejects(s3.send(new PutBucketAclCommand({ Bucket: b, ACL: 'everyone-please' as 'private' })), 'InvalidArgument', 400);
    assert.equal((await s3.send(new GetBucketAclCommand({ Bucket: b }))).Grants!.length, 1);
  });
});
