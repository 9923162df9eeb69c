// Policy document validation: IAM's error code and message for each fault, in IAM's order. The
// expected messages are IAM's answers as recorded by AWS-checked test tables (moto's
// test_iam_policies.py, versitygw's IAM integration tests) and by users quoting IAM's errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicyDocument, policySize, policySizeMessage, principalArns, PolicySizeQuota, isPolicyCharset } from '../../src/auth/policy/parse.js';
import * as Seed from '../../src/auth/policy/seed-lab.js';
import { PolicyDocumentError, type PolicyKind } from '../../src/auth/policy/types.js';

function refusal(text: string, kind: PolicyKind = 'identity', opts = {}): string {
  try {
    parsePolicyDocument(text, kind, opts);
  } catch (e) {
    assert.ok(e instanceof PolicyDocumentError, String(e));
    return `${e.code}: ${e.message}`;
  }
  return 'accepted';
}
const doc = (statement: unknown, extra: Record<string, unknown> = {}): string => JSON.stringify({ Version: '2012-10-17', ...extra, Statement: statement });
const s3 = { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::example_bucket' };
const M = 'MalformedPolicyDocument: ';

test('the seed lab: the typo s3>ListBucket is refused, the corrected policy accepted', () => {
  assert.equal(refusal(Seed.SeedCopyPolicyAsPrinted), `${M}Syntax errors in policy.`);
  assert.equal(refusal(Seed.SeedCopyPolicyAsPasted), `${M}Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.`);
  assert.equal(refusal(Seed.SeedCopyPolicyCorrected), 'accepted');
  assert.equal(refusal(Seed.SeedReplicationPolicyAsPrinted), `${M}Syntax errors in policy.`);
  assert.equal(refusal(Seed.SeedReplicationPolicyAsPasted), `${M}Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.`);
  assert.equal(refusal(Seed.SeedReplicationPolicyCorrected), 'accepted');
  assert.equal(refusal(Seed.SeedTrustPolicy, 'trust'), 'accepted');
  assert.equal(refusal(Seed.SeedTrustPolicyTwoServicesAsPrinted, 'trust'), `${M}Policy statement must contain actions.`);
  assert.equal(refusal(Seed.SeedTrustPolicyTwoServicesCorrected, 'trust'), 'accepted');
  // Either inline policy fits a role's 10,240-character quota, both together too.
  assert.ok(policySize(Seed.SeedCopyPolicyCorrected) + policySize(Seed.SeedReplicationPolicyCorrected) < PolicySizeQuota.RoleInline);
});

test('a parsed document is normalised: lists everywhere, Effect and Version settled', () => {
  const d = parsePolicyDocument(Seed.SeedCopyPolicyCorrected, 'identity');
  assert.equal(d.Version, '2012-10-17');
  assert.equal(d.Statement.length, 4);
  assert.deepEqual(d.Statement[0], {
    Effect: 'Allow',
    Action: ['s3:PutObject', 's3:PutObjectAcl', 's3:PutObjectTagging'],
    Resource: ['arn:aws:s3:::destinationbucket7122/*'],
  });
  const t = parsePolicyDocument(Seed.SeedTrustPolicy, 'trust');
  assert.deepEqual(t.Statement[0], { Effect: 'Allow', Principal: { Service: ['batchoperations.s3.amazonaws.com'] }, Action: ['sts:AssumeRole'] });
  const noVersion = parsePolicyDocument(JSON.stringify({ Id: 'x', Statement: s3 }), 'identity');
  assert.equal(noVersion.Version, '2008-10-17');
  assert.equal(noVersion.Id, 'x');
  const c = parsePolicyDocument(doc({ ...s3, Condition: { Bool: { 'aws:SecureTransport': false }, NumericLessThan: { 's3:max-keys': [10, '20'] } } }), 'identity');
  assert.deepEqual(c.Statement[0]!.Condition, { Bool: { 'aws:SecureTransport': ['false'] }, NumericLessThan: { 's3:max-keys': ['10', '20'] } });
});

// IAM's answers, in the order of its checks.
const cases: readonly [name: string, text: string, expected: string][] = [
  ['not JSON', 'This is not a json document', 'Syntax errors in policy.'],
  ['unknown version', doc(s3, { Version: '2013-10-17' }), 'Syntax errors in policy.'],
  ['no Statement', JSON.stringify({ Version: '2012-10-17' }), 'Syntax errors in policy.'],
  ['empty Statement list', doc([]), 'Syntax errors in policy.'],
  ['a statement that is a string', doc(['afd']), 'Syntax errors in policy.'],
  ['unknown top-level field', doc(s3, { 'Extra field': 'value' }), 'Syntax errors in policy.'],
  ['unknown statement field', doc({ ...s3, 'Extra field': 'value' }), 'Syntax errors in policy.'],
  ['Id is a list', doc(s3, { Id: ['cd3a'] }), 'Syntax errors in policy.'],
  ['Effect invalid', doc({ ...s3, Effect: 'invalid' }), 'Syntax errors in policy.'],
  ['Effect missing', doc({ Action: 's3:ListBucket', Resource: 'arn:aws:s3:::example_bucket' }), 'Syntax errors in policy.'],
  ['Resource is an object', doc({ ...s3, Resource: { a: 'arn:aws:s3:::example_bucket' } }), 'Syntax errors in policy.'],
  ['Resource list holds an object', doc({ ...s3, Effect: 'Deny', Resource: ['adfdf', {}] }), 'Syntax errors in policy.'],
  ['Resource and NotResource', doc({ ...s3, NotResource: '*' }), 'Syntax errors in policy.'],
  ['Action and NotAction', doc({ ...s3, NotAction: 's3:ListBucket' }), 'Syntax errors in policy.'],
  ['Action is a number', doc({ ...s3, Action: 123 }), 'Syntax errors in policy.'],
  ['Condition is a list', doc({ ...s3, Condition: [] }), 'Syntax errors in policy.'],
  ['Condition operator maps to a string', doc({ ...s3, Condition: { DateGreaterThan: 'b' } }), 'Syntax errors in policy.'],
  ['Condition value is an object', doc({ ...s3, Condition: { DateGreaterThan: { a: {} } } }), 'Syntax errors in policy.'],
  ['unknown condition operator', doc({ ...s3, Condition: { StringEqualz: { 's3:prefix': 'a' } } }), 'Syntax errors in policy.'],
  ['doubled set-operator colon', doc({ ...s3, Condition: { 'ForAnyValue::StringEqualsIfExists': { a: 'asf' } } }), 'Syntax errors in policy.'],
  ['Sid is an object', doc({ ...s3, Sid: {} }), 'Syntax errors in policy.'],
  ['Effect spelled in lower case', doc({ ...s3, Effect: 'denY' }), 'The policy failed legacy parsing'],
  ['a date it cannot read', doc({ ...s3, Condition: { DateGreaterThan: { a: 'sdfdsf' } } }), 'The policy failed legacy parsing'],
  ['month 13', doc({ ...s3, Condition: { DateLessThanEquals: { a: '234-13' } } }), 'The policy failed legacy parsing'],
  ['epoch past 2^63', doc({ ...s3, Condition: { DateLessThan: { a: '9223372036854775808' } } }), 'The policy failed legacy parsing'],
  ['an ARN with :: and too few parts', doc({ ...s3, Resource: 'arn:aws:s3::example_bucket' }), 'The policy failed legacy parsing'],
  ['an ARN without a service', doc({ ...s3, Resource: 'arn:aws::fdsasf' }), 'The policy failed legacy parsing'],
  ['duplicate Sid', doc([{ ...s3, Sid: 'Dup' }, { ...s3, Sid: 'Dup' }]), 'Statement IDs (SID) in a single policy must be unique.'],
  ['Sid with a space (identity policy)', doc({ ...s3, Sid: 'Allow list' }), 'Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*'],
  ['no Action', doc({ Effect: 'Allow', Resource: 'arn:aws:s3:::example_bucket' }), 'Policy statement must contain actions.'],
  ['empty Action list', doc({ ...s3, Action: [] }), 'Policy statement must contain actions.'],
  ['no Resource', doc({ Effect: 'Allow', Action: 's3:ListBucket' }), 'Policy statement must contain resources.'],
  ['empty Resource list', doc({ ...s3, Resource: [] }), 'Policy statement must contain resources.'],
  ['Resource not an ARN', doc({ ...s3, Resource: 'invalid resource' }), 'Resource invalid resource must be in ARN format or "*".'],
  ['empty Resource', doc({ ...s3, Resource: '' }), 'Resource  must be in ARN format or "*".'],
  ['unknown partition', doc({ ...s3, Resource: 'arn:aws2:s3:::example-bucket/*' }), 'Partition "aws2" is not valid for resource "arn:aws2:s3:::example-bucket/*".'],
  ['no arn: prefix', doc({ ...s3, Resource: 'aws:s3:::example_bucket' }), 'Partition "s3" is not valid for resource "arn:s3:::example_bucket:*".'],
  ['a:bsdfdsafsad', doc({ ...s3, Resource: 'a:bsdfdsafsad' }), 'Partition "bsdfdsafsad" is not valid for resource "arn:bsdfdsafsad:*:*:*:*".'],
  ['the last faulty entry is reported', doc({ ...s3, Resource: ['arn:error:s3:::example_bucket', 'arn:error:s3::example_bucket'] }), 'Partition "error" is not valid for resource "arn:error:s3:::example_bucket".'],
  ['partition only', doc({ ...s3, Resource: 'arn:aws' }), 'Resource vendor must be fully qualified and cannot contain regexes.'],
  ['IAM resource with a region', doc({ ...s3, Resource: 'arn:aws:iam:us-east-1::example_bucket' }), 'IAM resource arn:aws:iam:us-east-1::example_bucket cannot contain region information.'],
  ['S3 bucket with a region', doc({ ...s3, Resource: 'arn:aws:s3:us-east-1::example_bucket' }), 'Resource arn:aws:s3:us-east-1::example_bucket can not contain region information.'],
  ['IAM resource of no known type', doc({ ...s3, Resource: 'arn:aws:iam:::example_bucket' }), 'IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.'],
  ['action without a vendor', doc({ ...s3, Action: 'invalid' }), 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.'],
  ['empty NotAction', doc({ Effect: 'Allow', NotAction: '', Resource: '*' }), 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.'],
  ['action with two colons', doc({ ...s3, Action: 's3:List:Bucket' }), 'Actions/Condition can contain only one colon.'],
  ['vendor with a space', doc({ ...s3, Action: 'a a:ListBucket' }), 'Vendor a a is not valid'],
  ['empty vendor', doc({ ...s3, Action: ':GetObject' }), 'Vendor  is not valid'],
  ['identity policy with a Principal', doc({ ...s3, Principal: '*' }), 'Policy document should not specify a principal.'],
];

test('IAM refuses malformed documents with its own message', () => {
  for (const [name, text, expected] of cases) assert.equal(refusal(text), `${M}${expected}`, name);
});

test('IAM accepts these (moto\'s AWS-checked valid documents)', () => {
  const valid: unknown[] = [
    { ...s3, Action: 'iam: asdf safdsf af ' },
    { ...s3, Resource: ['arn:aws:s3:::example_bucket', '*'] },
    { ...s3, Action: '*' },
    { ...s3, Resource: 'arn:aws:s33:::example_bucket' },
    { ...s3, Resource: 'arn:aws:fdsasf' },
    { ...s3, Condition: {} },
    { ...s3, Condition: { a: {} } },
    { ...s3, Condition: { DateGreaterThan: { a: [] } } },
    { ...s3, Condition: { DateGreaterThan: { a: '01T' } } },
    { ...s3, Condition: { DateLessThanEquals: { a: '2016-12-13t2:00:00.593194+23' } } },
    { ...s3, Condition: { DateLessThan: { a: '-292275054' } } },
    { ...s3, Condition: { 'ForAnyValue:StringEqualsIfExists': { a: 'asf' } } },
    { ...s3, Resource: 'arn:aws:iam::*:user/${aws:username}' },
    { ...s3, Resource: `arn:aws:s3:us-east-1:111122223333:job/*` },
    { Effect: 'Allow', NotAction: 's3:ListBucket', NotResource: '*' },
    { Effect: 'Deny', Action: 's3:*', NotResource: ['arn:aws:s3:::HRBucket/Payroll', 'arn:aws:s3:::HRBucket/Payroll/*'] },
  ];
  for (const st of valid) assert.equal(refusal(doc(st)), 'accepted', JSON.stringify(st));
  assert.equal(refusal(doc([{ ...s3, Sid: 'sdf' }, s3])), 'accepted');
});

test('Version: inline policies may be 2008-10-17 or omit it; managed policies must be 2012-10-17', () => {
  const old = JSON.stringify({ Version: '2008-10-17', Statement: s3 });
  const none = JSON.stringify({ Statement: s3 });
  assert.equal(refusal(old), 'accepted');
  assert.equal(refusal(none), 'accepted');
  assert.equal(refusal(old, 'identity', { requireCurrentVersion: true }), `${M}Policy document must be version 2012-10-17 or greater.`);
  assert.equal(refusal(none, 'identity', { requireCurrentVersion: true }), `${M}Policy document must be version 2012-10-17 or greater.`);
});

test('size quotas: LimitExceeded past the limit, white space not counted', () => {
  const base = doc({ ...s3, Sid: 'a' });
  const size = policySize(base);
  const padded = base.replace(/,/g, ',\n      \t ');
  assert.equal(policySize(padded), size);
  assert.equal(refusal(padded, 'identity', { maxChars: size }), 'accepted');
  assert.equal(refusal(padded, 'identity', { maxChars: size - 1 }), `LimitExceeded: Cannot exceed quota for PolicySize: ${size - 1}`);
  const userMessage = policySizeMessage('user', PolicySizeQuota.UserInline, 'alice');
  assert.equal(userMessage, 'Maximum policy size of 2048 bytes exceeded for user alice');
  const big = doc({ ...s3, Sid: 'x'.repeat(2048) });
  assert.equal(refusal(big, 'identity', { maxChars: PolicySizeQuota.UserInline, limitMessage: userMessage }), `LimitExceeded: ${userMessage}`);
  assert.equal(policySizeMessage('role', PolicySizeQuota.RoleInline, 'r'), 'Maximum policy size of 10240 bytes exceeded for role r');
  assert.equal(policySizeMessage('trust', PolicySizeQuota.Trust), 'Cannot exceed quota for ACLSizePerRole: 2048');
  assert.deepEqual([PolicySizeQuota.UserInline, PolicySizeQuota.RoleInline, PolicySizeQuota.Managed, PolicySizeQuota.Trust], [2048, 10240, 6144, 2048]);
  assert.equal(isPolicyCharset('{"a":"é\\t"}\n'), true);
  assert.equal(isPolicyCharset('{"a":"😀"}'), false);
});

test('resource and trust policies: Principal rules', () => {
  const bucket = { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::site/*' };
  assert.equal(refusal(doc(bucket), 'resource'), `${M}Missing required field Principal`);
  assert.equal(refusal(doc({ ...bucket, Principal: '*' }), 'resource'), 'accepted');
  assert.equal(refusal(doc({ ...bucket, Sid: 'Public read', Principal: '*' }), 'resource'), 'accepted'); // S3 allows spaces in Sid
  assert.equal(refusal(doc({ ...bucket, Principal: { AWS: '111122223333' } }), 'resource'), 'accepted');
  assert.equal(refusal(doc({ ...bucket, Principal: { AWS: 'arn:aws:iam::111122223333:user/*' } }), 'resource'), `${M}Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:user/*"`);
  assert.equal(refusal(doc({ ...bucket, Principal: { AWS: 'bob' } }), 'resource'), `${M}Invalid principal in policy: "AWS":"bob"`);
  assert.equal(refusal(doc({ ...bucket, Principal: 'arn:aws:iam::111122223333:root' }), 'resource'), `${M}Syntax errors in policy.`);
  assert.equal(refusal(doc({ ...bucket, Principal: '*', NotPrincipal: '*' }), 'resource'), `${M}Syntax errors in policy.`);
  const trust = { Effect: 'Allow', Principal: { Service: 'batchoperations.s3.amazonaws.com' }, Action: 'sts:AssumeRole' };
  assert.equal(refusal('{"Version": "2012-10-17",', 'trust'), `${M}This policy contains invalid Json`);
  assert.equal(refusal(doc({ ...trust, Resource: '*' }), 'trust'), `${M}Has prohibited field Resource`);
  assert.equal(refusal(doc({ ...trust, Principal: { Service: 'amazonaws.com' } }), 'trust'), `${M}Invalid principal in policy: "SERVICE":"amazonaws.com"`);
  assert.equal(refusal(doc({ ...trust, Action: 's3:GetObject' }), 'trust'), `${M}Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML, and sts:AssumeRoleWithWebIdentity`);
  assert.equal(refusal(doc({ ...trust, Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'] }), 'trust'), 'accepted');
  assert.equal(refusal(doc({ ...trust, Action: 'sts:AssumeRole*' }), 'trust'), 'accepted');
  assert.equal(refusal(JSON.stringify({ Version: '2008-10-17', Statement: [trust] }), 'trust'), 'accepted');
  assert.equal(refusal(doc({ ...trust, Principal: { AWS: 'arn:aws:iam::111122223333:role/service-role/ReplRole' } }), 'trust'), 'accepted');
  assert.equal(refusal(doc({ ...trust, Principal: { AWS: 'arn:aws:sts::111122223333:assumed-role/ReplRole/s1' } }), 'trust'), 'accepted');
  assert.equal(refusal(doc({ ...trust, Principal: { Federated: 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com' }, Action: 'sts:AssumeRoleWithWebIdentity' }), 'trust'), 'accepted');
  assert.equal(refusal(doc({ ...trust, Principal: { Action: 'sts:AssumeRole' } }), 'trust'), `${M}Invalid principal in policy: "ACTION":"sts:AssumeRole"`);
});

test('principalArns lists the AWS principals a caller must check exist', () => {
  const d = parsePolicyDocument(
    doc([
      { Effect: 'Allow', Principal: { AWS: ['arn:aws:iam::111122223333:user/alice', '444455556666', '*'] }, Action: 's3:GetObject', Resource: '*' },
      { Effect: 'Deny', NotPrincipal: { AWS: 'arn:aws:iam::111122223333:role/r', Service: 's3.amazonaws.com' }, Action: 's3:*', Resource: '*' },
      { Effect: 'Allow', Principal: { AWS: ['arn:aws:iam::111122223333:user/alice', 'AIDAJQABLZS4A3QDU576Q'] }, Action: 's3:GetObject', Resource: '*' },
    ]),
    'resource',
  );
  assert.deepEqual(principalArns(d), ['arn:aws:iam::111122223333:user/alice', '444455556666', 'arn:aws:iam::111122223333:role/r']);
});
