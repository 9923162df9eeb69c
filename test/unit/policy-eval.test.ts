// Table-driven evaluator tests built from AWS's documented examples (IAM User Guide: policy evaluation
// logic, NotAction, NotResource, Principal / NotPrincipal, condition operators, IfExists, Null, set
// operators ForAllValues / ForAnyValue, policy variables). Each row names its source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicy } from '../../src/auth/policy/compile.js';
import { decide, principalMatch, principalMatches } from '../../src/auth/policy/evaluate.js';
import { compileTokens, tokenize } from '../../src/auth/policy/glob.js';
import { parsePolicyDocument } from '../../src/auth/policy/parse.js';
import type { AuthzRequest, CompiledPolicy, Decision, PolicyKind, PrincipalBlock, RequestPrincipal } from '../../src/auth/policy/types.js';

const A = '111122223333';
const B = '444455556666';
const alice: RequestPrincipal = {
  kind: 'user', arn: `arn:aws:iam::${A}:user/division_abc/subdivision_xyz/alice`, accountId: A, userId: 'AIDAJQABLZS4A3QDU576Q', username: 'alice',
  tags: { Department: 'HR', role: 'audit', 'job-category': 'iamuser-admin' },
};
const bob: RequestPrincipal = { kind: 'user', arn: `arn:aws:iam::${B}:user/bob`, accountId: B, userId: 'AIDABOB', username: 'bob', tags: {} };
const roleSession: RequestPrincipal = {
  kind: 'assumed-role', arn: `arn:aws:sts::${A}:assumed-role/ReplRole/batch-1`, accountId: A, userId: 'AROAEXAMPLE:batch-1',
  roleArn: `arn:aws:iam::${A}:role/service-role/ReplRole`, tags: { team: 'blue' },
};
const root: RequestPrincipal = { kind: 'root', arn: `arn:aws:iam::${A}:root`, accountId: A, userId: A, tags: {} };
const batchService: RequestPrincipal = { kind: 'service', arn: 'batchoperations.s3.amazonaws.com', accountId: null, userId: 'batchoperations.s3.amazonaws.com', tags: {} };
const anonymous: RequestPrincipal = { kind: 'anonymous', arn: '*', accountId: null, userId: 'anonymous', tags: {} };

function policy(doc: unknown, kind: PolicyKind = 'identity'): CompiledPolicy {
  return compilePolicy(parsePolicyDocument(JSON.stringify(doc), kind), kind);
}
function req(action: string, resource: string, ctx: Record<string, string | string[]> = {}, principal: RequestPrincipal = alice): AuthzRequest {
  return { action, resource, principal, context: new Map(Object.entries(ctx).map(([k, v]) => [k.toLowerCase(), v])) };
}
function stmt(s: Record<string, unknown>): unknown {
  return { Version: '2012-10-17', Statement: [s] };
}

interface Row {
  readonly name: string;
  readonly policies: readonly unknown[];
  readonly request: AuthzRequest;
  readonly expect: Decision;
}
function table(title: string, rows: readonly Row[]): void {
  test(title, () => {
    for (const r of rows) assert.equal(decide(r.request, r.policies.map((p) => policy(p))), r.expect, r.name);
  });
}

const allowS3 = stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*' });

table('evaluation logic: explicit deny > allow > implicit deny (reference_policies_evaluation-logic)', [
  { name: 'no policy at all: implicit deny', policies: [], request: req('s3:GetObject', 'arn:aws:s3:::b/k'), expect: 'ImplicitDeny' },
  { name: 'an allow allows', policies: [allowS3], request: req('s3:GetObject', 'arn:aws:s3:::b/k'), expect: 'Allow' },
  { name: 'nothing covers the action', policies: [allowS3], request: req('iam:GetUser', `arn:aws:iam::${A}:user/alice`), expect: 'ImplicitDeny' },
  {
    name: 'explicit deny in another policy beats the allow',
    policies: [allowS3, stmt({ Effect: 'Deny', Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::b/*' })],
    request: req('s3:DeleteObject', 'arn:aws:s3:::b/k'),
    expect: 'ExplicitDeny',
  },
  {
    name: 'explicit deny in the same policy, listed after the allow',
    policies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::secret/*' }] }],
    request: req('s3:GetObject', 'arn:aws:s3:::secret/k'),
    expect: 'ExplicitDeny',
  },
  { name: 'the deny does not cover another bucket', policies: [allowS3, stmt({ Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::secret/*' })], request: req('s3:GetObject', 'arn:aws:s3:::open/k'), expect: 'Allow' },
  { name: 'a deny whose condition fails does not deny', policies: [allowS3, stmt({ Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:SecureTransport': 'true' }), expect: 'Allow' },
  { name: 'the same deny over plain HTTP', policies: [allowS3, stmt({ Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:SecureTransport': 'false' }), expect: 'ExplicitDeny' },
]);

table('Action / NotAction, wildcards, case (reference_policies_elements_action, _notaction)', [
  { name: 'actions are case-insensitive', policies: [stmt({ Effect: 'Allow', Action: 'S3:getobject', Resource: '*' })], request: req('s3:GetObject', 'arn:aws:s3:::b/k'), expect: 'Allow' },
  { name: '* in an action name', policies: [stmt({ Effect: 'Allow', Action: 's3:Get*', Resource: '*' })], request: req('s3:GetObjectTagging', 'arn:aws:s3:::b/k'), expect: 'Allow' },
  { name: '? is exactly one character', policies: [stmt({ Effect: 'Allow', Action: 's3:Get?bject', Resource: '*' })], request: req('s3:GetObject', 'arn:aws:s3:::b/k'), expect: 'Allow' },
  { name: '? does not match two characters', policies: [stmt({ Effect: 'Allow', Action: 's3:Get?ject', Resource: '*' })], request: req('s3:GetObject', 'arn:aws:s3:::b/k'), expect: 'ImplicitDeny' },
  { name: 'the service prefix must match', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*' })], request: req('s3control:CreateJob', `arn:aws:s3:us-east-1:${A}:job/j1`), expect: 'ImplicitDeny' },
  { name: 'NotAction iam:* with Allow: everything but IAM', policies: [stmt({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' })], request: req('s3:PutObject', 'arn:aws:s3:::b/k'), expect: 'Allow' },
  { name: 'NotAction iam:* with Allow: IAM not granted', policies: [stmt({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' })], request: req('iam:CreateUser', `arn:aws:iam::${A}:user/x`), expect: 'ImplicitDeny' },
  {
    name: 'Deny NotAction without MFA (the documented DenyAllExceptListedIfNoMFA)',
    policies: [allowS3, stmt({ Effect: 'Deny', NotAction: ['iam:ListMFADevices', 'sts:GetSessionToken'], Resource: '*', Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } })],
    request: req('s3:GetObject', 'arn:aws:s3:::b/k'),
    expect: 'ExplicitDeny',
  },
  {
    name: 'the same with MFA present',
    policies: [allowS3, stmt({ Effect: 'Deny', NotAction: ['iam:ListMFADevices', 'sts:GetSessionToken'], Resource: '*', Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } })],
    request: req('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:MultiFactorAuthPresent': 'true' }),
    expect: 'Allow',
  },
]);

const payrollDeny = stmt({ Effect: 'Deny', Action: 's3:*', NotResource: ['arn:aws:s3:::HRBucket/Payroll', 'arn:aws:s3:::HRBucket/Payroll/*'] });
table('Resource / NotResource (reference_policies_elements_resource, _notresource)', [
  { name: 'bucket ARN does not cover its objects', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b' })], request: req('s3:GetObject', 'arn:aws:s3:::b/k'), expect: 'ImplicitDeny' },
  { name: '* in the key spans slashes', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::amzn-s3-demo-bucket/*/test/*' })], request: req('s3:GetObject', 'arn:aws:s3:::amzn-s3-demo-bucket/1/2/test/3/object.jpg'), expect: 'Allow' },
  { name: '…and matches empty segments', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::amzn-s3-demo-bucket/*/test/*' })], request: req('s3:GetObject', 'arn:aws:s3:::amzn-s3-demo-bucket//test/object.jpg'), expect: 'Allow' },
  { name: '…but not a key without /test/', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::amzn-s3-demo-bucket/*/test/*' })], request: req('s3:GetObject', 'arn:aws:s3:::amzn-s3-demo-bucket/1-test/object.jpg'), expect: 'ImplicitDeny' },
  { name: 'the resource part is case-sensitive', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::B/*' })], request: req('s3:GetObject', 'arn:aws:s3:::b/k'), expect: 'ImplicitDeny' },
  { name: 'example?bucket matches example1bucket', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::example?bucket/*' })], request: req('s3:GetObject', 'arn:aws:s3:::example1bucket/k'), expect: 'Allow' },
  { name: 'IAM users by path', policies: [stmt({ Effect: 'Allow', Action: 'iam:*', Resource: `arn:aws:iam::${A}:user/division_abc/*` })], request: req('iam:GetUser', alice.arn), expect: 'Allow' },
  { name: 'S3 Batch job ARN with region and account', policies: [stmt({ Effect: 'Allow', Action: 's3:DescribeJob', Resource: `arn:aws:s3:*:${A}:job/*` })], request: req('s3:DescribeJob', `arn:aws:s3:us-east-1:${A}:job/0b1c2d`), expect: 'Allow' },
  { name: '…not another account\'s job', policies: [stmt({ Effect: 'Allow', Action: 's3:DescribeJob', Resource: `arn:aws:s3:*:${A}:job/*` })], request: req('s3:DescribeJob', `arn:aws:s3:us-east-1:${B}:job/0b1c2d`), expect: 'ImplicitDeny' },
  { name: 'a wildcard does not cross into the account part', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: `arn:aws:s3:us-*:${A}:job/*` })], request: req('s3:DescribeJob', `arn:aws:s3:us-east-1:${B}:job/x`), expect: 'ImplicitDeny' },
  { name: 'a short ARN with a trailing * expands over the colons', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:*' })], request: req('s3:DescribeJob', `arn:aws:s3:us-east-1:${A}:job/x`), expect: 'Allow' },
  { name: 'NotResource deny: outside Payroll is denied', policies: [allowS3, payrollDeny], request: req('s3:GetObject', 'arn:aws:s3:::HRBucket/Other/x'), expect: 'ExplicitDeny' },
  { name: 'NotResource deny: Payroll itself is spared', policies: [allowS3, payrollDeny], request: req('s3:GetObject', 'arn:aws:s3:::HRBucket/Payroll/x'), expect: 'Allow' },
  { name: 'a key with a literal * is one object (the policy pattern is the wildcard)', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/a${*}b' })], request: req('s3:GetObject', 'arn:aws:s3:::b/a*b'), expect: 'Allow' },
  { name: '${*} is a literal star, not a wildcard', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/a${*}b' })], request: req('s3:GetObject', 'arn:aws:s3:::b/axb'), expect: 'ImplicitDeny' },
  { name: 'ListAllMyBuckets has no resource: an Allow with any Resource covers *', policies: [stmt({ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: 'arn:aws:s3:::*' })], request: req('s3:ListAllMyBuckets', '*'), expect: 'Allow' },
  { name: '…a Deny only with Resource *', policies: [allowS3, stmt({ Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::b' })], request: req('s3:ListAllMyBuckets', '*'), expect: 'Allow' },
]);

table('condition operators and their AND / OR rules (reference_policies_elements_condition_operators, _condition_logic)', [
  { name: 'several values are ORed', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/Department': ['Finance', 'HR'] } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k'), expect: 'Allow' },
  { name: 'several keys are ANDed', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/Department': 'HR', 'aws:PrincipalTag/role': 'audit' } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k'), expect: 'Allow' },
  { name: 'several keys, one fails', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/Department': 'HR', 'aws:PrincipalTag/role': 'admin' } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k'), expect: 'ImplicitDeny' },
  { name: 'several operators are ANDed', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/Department': 'HR' }, IpAddress: { 'aws:SourceIp': '192.0.2.0/24' } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:SourceIp': '198.51.100.1' }), expect: 'ImplicitDeny' },
  { name: 'negated with several values: must differ from all (NOR)', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringNotEquals: { 'aws:PrincipalTag/Department': ['Finance', 'HR'] } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k'), expect: 'ImplicitDeny' },
  { name: 'negated operator, key missing: true', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringNotEquals: { 's3:x-amz-acl': 'public-read' } } })], request: req('s3:PutObject', 'arn:aws:s3:::b/k'), expect: 'Allow' },
  { name: 'positive operator, key missing: false', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringEquals: { 's3:x-amz-acl': 'private' } } })], request: req('s3:PutObject', 'arn:aws:s3:::b/k'), expect: 'ImplicitDeny' },
  { name: 'condition keys are case-insensitive', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringEquals: { 'AWS:PRINCIPALTAG/department': 'HR' } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k'), expect: 'Allow' },
  { name: 'StringEquals is case-sensitive on values', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/Department': 'hr' } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k'), expect: 'ImplicitDeny' },
  { name: 'StringEqualsIgnoreCase', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringEqualsIgnoreCase: { 'aws:PrincipalTag/Department': 'hr' } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k'), expect: 'Allow' },
  { name: 'StringLike with *', policies: [stmt({ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*', Condition: { StringLike: { 's3:prefix': ['', 'home/', 'home/${aws:username}/*'] } } })], request: req('s3:ListBucket', 'arn:aws:s3:::b', { 's3:prefix': 'home/alice/docs/' }), expect: 'Allow' },
  { name: 'StringLike with another user\'s prefix', policies: [stmt({ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*', Condition: { StringLike: { 's3:prefix': ['', 'home/', 'home/${aws:username}/*'] } } })], request: req('s3:ListBucket', 'arn:aws:s3:::b', { 's3:prefix': 'home/bob/' }), expect: 'ImplicitDeny' },
  { name: 'NumericLessThanEquals s3:max-keys 10', policies: [stmt({ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*', Condition: { NumericLessThanEquals: { 's3:max-keys': '10' } } })], request: req('s3:ListBucket', 'arn:aws:s3:::b', { 's3:max-keys': '10' }), expect: 'Allow' },
  { name: 'NumericLessThanEquals s3:max-keys 11', policies: [stmt({ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*', Condition: { NumericLessThanEquals: { 's3:max-keys': '10' } } })], request: req('s3:ListBucket', 'arn:aws:s3:::b', { 's3:max-keys': '11' }), expect: 'ImplicitDeny' },
  { name: 'an unreadable number never matches, not even NumericNotEquals', policies: [stmt({ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*', Condition: { NumericNotEquals: { 's3:max-keys': '10' } } })], request: req('s3:ListBucket', 'arn:aws:s3:::b', { 's3:max-keys': 'ten' }), expect: 'ImplicitDeny' },
  { name: 'S3 Batch: NumericLessThanEquals s3:RequestJobPriority', policies: [stmt({ Effect: 'Allow', Action: 's3:CreateJob', Resource: '*', Condition: { NumericLessThanEquals: { 's3:RequestJobPriority': 100 } } })], request: req('s3:CreateJob', '*', { 's3:RequestJobPriority': '42' }), expect: 'Allow' },
  { name: 'DateGreaterThan aws:CurrentTime', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-04-01T00:00:00Z' }, DateLessThan: { 'aws:CurrentTime': '2020-06-30T23:59:59Z' } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:CurrentTime': '2020-05-15T10:00:00Z' }), expect: 'Allow' },
  { name: 'the same window, later', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-04-01T00:00:00Z' }, DateLessThan: { 'aws:CurrentTime': '2020-06-30T23:59:59Z' } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:CurrentTime': '2020-07-01T00:00:00Z' }), expect: 'ImplicitDeny' },
  { name: 'epoch seconds compare with ISO 8601 dates', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { DateGreaterThan: { 'aws:EpochTime': '2020-04-01T00:00:00Z' } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:EpochTime': '1589536800' }), expect: 'Allow' },
  { name: 'IpAddress CIDR', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '203.0.113.0/24'] } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:SourceIp': '203.0.113.77' }), expect: 'Allow' },
  { name: 'NotIpAddress deny from outside the ranges', policies: [allowS3, stmt({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { NotIpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '203.0.113.0/24'] } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:SourceIp': '198.51.100.9' }), expect: 'ExplicitDeny' },
  { name: 'IPv6 CIDR', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '2001:DB8:1234:5678::/64' } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:SourceIp': '2001:db8:1234:5678::1' }), expect: 'Allow' },
  { name: 'IPv6 outside the /64', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '2001:DB8:1234:5678::/64' } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:SourceIp': '2001:db8:1234:5679::1' }), expect: 'ImplicitDeny' },
  { name: '0.0.0.0/0 is every IPv4 address', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:SourceIp': '198.51.100.9' }), expect: 'Allow' },
  { name: 'an IPv4 range never holds an IPv6 address', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:SourceIp': '::1' }), expect: 'ImplicitDeny' },
  { name: 'Bool is case-insensitive', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'True' } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:SecureTransport': 'true' }), expect: 'Allow' },
  { name: 'BinaryEquals', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { BinaryEquals: { 'key': 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k', { key: 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' }), expect: 'Allow' },
  { name: 'ArnLike aws:SourceArn', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::amzn-s3-demo-*' } } })], request: req('s3:PutObject', 'arn:aws:s3:::b/k', { 'aws:SourceArn': 'arn:aws:s3:::amzn-s3-demo-source' }), expect: 'Allow' },
  { name: 'ArnEquals compares each part: a * stays in its part', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { ArnEquals: { 'aws:SourceArn': `arn:aws:s3:*:${A}:job/*` } } })], request: req('s3:PutObject', 'arn:aws:s3:::b/k', { 'aws:SourceArn': `arn:aws:s3:us-east-1:${B}:job/1` }), expect: 'ImplicitDeny' },
  { name: 'ArnNotLike aws:PrincipalArn (the recommended NotPrincipal replacement)', policies: [allowS3, stmt({ Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { ArnNotLike: { 'aws:PrincipalArn': `arn:aws:iam::${A}:role/service-role/*` } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k', {}, roleSession), expect: 'Allow' },
  { name: '…a user is denied', policies: [allowS3, stmt({ Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { ArnNotLike: { 'aws:PrincipalArn': `arn:aws:iam::${A}:role/service-role/*` } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k'), expect: 'ExplicitDeny' },
  { name: 'aws:PrincipalAccount', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalAccount': A } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k'), expect: 'Allow' },
  { name: 'aws:PrincipalType of a role session', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalType': 'AssumedRole' } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k', {}, roleSession), expect: 'Allow' },
  { name: 'aws:userid', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringLike: { 'aws:userid': 'AROAEXAMPLE:*' } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k', {}, roleSession), expect: 'Allow' },
  { name: 'iam:PassedToService', policies: [stmt({ Effect: 'Allow', Action: 'iam:PassRole', Resource: '*', Condition: { StringEquals: { 'iam:PassedToService': 'batchoperations.s3.amazonaws.com' } } })], request: req('iam:PassRole', roleSession.roleArn!, { 'iam:PassedToService': 'batchoperations.s3.amazonaws.com' }), expect: 'Allow' },
  { name: 's3:ExistingObjectTag/<key>', policies: [stmt({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { StringEquals: { 's3:ExistingObjectTag/environment': 'production' } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k', { 's3:ExistingObjectTag/environment': 'production' }), expect: 'Allow' },
]);

table('…IfExists, Null, ForAllValues / ForAnyValue (reference_policies_condition-single-vs-multi-valued-context-keys)', [
  { name: 'IfExists, key missing: true', policies: [stmt({ Effect: 'Allow', Action: 'ec2:RunInstances', Resource: '*', Condition: { StringLikeIfExists: { 'ec2:InstanceType': ['t1.*', 't2.*', 'm3.*'] } } })], request: req('ec2:RunInstances', `arn:aws:ec2:us-east-1:${A}:volume/v1`), expect: 'Allow' },
  { name: 'IfExists, key present and wrong: false', policies: [stmt({ Effect: 'Allow', Action: 'ec2:RunInstances', Resource: '*', Condition: { StringLikeIfExists: { 'ec2:InstanceType': ['t1.*', 't2.*', 'm3.*'] } } })], request: req('ec2:RunInstances', `arn:aws:ec2:us-east-1:${A}:instance/i1`, { 'ec2:InstanceType': 'c5.large' }), expect: 'ImplicitDeny' },
  { name: 'Null true: key absent', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { Null: { 'aws:TokenIssueTime': 'true' } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k'), expect: 'Allow' },
  { name: 'Null true: key present', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { Null: { 'aws:TokenIssueTime': 'true' } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:TokenIssueTime': '2024-01-01T00:00:00Z' }), expect: 'ImplicitDeny' },
  { name: 'ForAllValues: every request value listed', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['environment', 'cost-center'] } } })], request: req('s3:PutObject', 'arn:aws:s3:::b/k', { 'aws:TagKeys': ['environment'] }), expect: 'Allow' },
  { name: 'ForAllValues: one value not listed', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['environment', 'cost-center'] } } })], request: req('s3:PutObject', 'arn:aws:s3:::b/k', { 'aws:TagKeys': ['environment', 'dept'] }), expect: 'ImplicitDeny' },
  { name: 'ForAllValues: key missing is true (hence the documented Null check)', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['environment'] } } })], request: req('s3:PutObject', 'arn:aws:s3:::b/k'), expect: 'Allow' },
  { name: 'ForAnyValue: one value listed', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['environment', 'cost-center'] } } })], request: req('s3:PutObject', 'arn:aws:s3:::b/k', { 'aws:TagKeys': ['dept', 'cost-center'] }), expect: 'Allow' },
  { name: 'ForAnyValue: key missing is false', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['environment'] } } })], request: req('s3:PutObject', 'arn:aws:s3:::b/k'), expect: 'ImplicitDeny' },
  { name: 'ForAnyValue …IfExists: key missing is true', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { 'ForAnyValue:StringEqualsIfExists': { 'aws:TagKeys': ['environment'] } } })], request: req('s3:PutObject', 'arn:aws:s3:::b/k'), expect: 'Allow' },
  { name: 'a multi-valued key without a set operator never matches', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringEquals: { 'aws:TagKeys': 'environment' } } })], request: req('s3:PutObject', 'arn:aws:s3:::b/k', { 'aws:TagKeys': ['environment'] }), expect: 'ImplicitDeny' },
]);

table('policy variables (reference_policies_variables)', [
  { name: '${aws:username} in Resource', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/home/${aws:username}/*' })], request: req('s3:GetObject', 'arn:aws:s3:::b/home/alice/f'), expect: 'Allow' },
  { name: '…another user\'s home', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/home/${aws:username}/*' })], request: req('s3:GetObject', 'arn:aws:s3:::b/home/bob/f'), expect: 'ImplicitDeny' },
  { name: 'a role session has no aws:username: no match', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/home/${aws:username}/*' })], request: req('s3:GetObject', 'arn:aws:s3:::b/home/alice/f', {}, roleSession), expect: 'ImplicitDeny' },
  { name: 'a default value fills in', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: "arn:aws:s3:::b/home/${aws:username, 'shared'}/*" })], request: req('s3:GetObject', 'arn:aws:s3:::b/home/shared/f', {}, roleSession), expect: 'Allow' },
  { name: '${aws:PrincipalTag/team}', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/${aws:PrincipalTag/team}/*' })], request: req('s3:GetObject', 'arn:aws:s3:::b/blue/f', {}, roleSession), expect: 'Allow' },
  { name: '${aws:userid} in a condition', policies: [stmt({ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*', Condition: { StringLike: { 's3:prefix': 'home/${aws:userid}/*' } } })], request: req('s3:ListBucket', 'arn:aws:s3:::b', { 's3:prefix': 'home/AROAEXAMPLE:batch-1/x' }, roleSession), expect: 'Allow' },
  { name: 'the value is literal: a * in it is no wildcard', policies: [stmt({ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*', Condition: { StringEquals: { 's3:prefix': '${aws:PrincipalTag/team}' } } })], request: req('s3:ListBucket', 'arn:aws:s3:::b', { 's3:prefix': 'blue' }, roleSession), expect: 'Allow' },
  { name: '${$} ${?} are literal characters, even under StringEquals', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringEquals: { 's3:prefix': 'cost${$}${?}' } } })], request: req('s3:ListBucket', 'arn:aws:s3:::b', { 's3:prefix': 'cost$?' }), expect: 'Allow' },
  { name: 'a variable in the account part of an ARN condition value', policies: [stmt({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:iam::${aws:PrincipalAccount}:role/r1' } } })], request: req('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:SourceArn': `arn:aws:iam::${A}:role/r1` }), expect: 'Allow' },
  { name: 'Version 2008-10-17: variables are plain text', policies: [{ Version: '2008-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/home/${aws:username}/*' }] }], request: req('s3:GetObject', 'arn:aws:s3:::b/home/alice/f'), expect: 'ImplicitDeny' },
  { name: 'Version 2008-10-17: …matching the literal text', policies: [{ Version: '2008-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/home/${aws:username}/*' }] }], request: req('s3:GetObject', 'arn:aws:s3:::b/home/${aws:username}/f'), expect: 'Allow' },
]);

test('Principal matching (reference_policies_elements_principal)', () => {
  // Blocks as the parser hands them over: every value a list.
  const norm = (b: '*' | Record<string, string | string[]>): PrincipalBlock =>
    b === '*' ? b : Object.fromEntries(Object.entries(b).map(([k, v]) => [k, [v].flat()]));
  const cases: ['*' | Record<string, string | string[]>, RequestPrincipal, string][] = [
    ['*', anonymous, 'Match'],
    [{ AWS: '*' }, anonymous, 'Match'],
    [{ AWS: A }, alice, 'AccountLevelMatch'],
    [{ AWS: `arn:aws:iam::${A}:root` }, roleSession, 'AccountLevelMatch'],
    [{ AWS: `arn:aws:iam::${A}:root` }, root, 'AccountLevelMatch'],
    [{ AWS: `arn:aws:iam::${A}:root` }, bob, 'NoMatch'],
    [{ AWS: `arn:aws:iam::${A}:root` }, anonymous, 'NoMatch'],
    [{ AWS: alice.arn }, alice, 'Match'],
    [{ AWS: alice.arn.toUpperCase() }, alice, 'NoMatch'],
    [{ AWS: `arn:aws:iam::${A}:role/service-role/ReplRole` }, roleSession, 'Match'],
    [{ AWS: `arn:aws:iam::${B}:role/ReplRole` }, roleSession, 'NoMatch'],
    [{ AWS: roleSession.arn }, roleSession, 'Match'],
    [{ AWS: `arn:aws:sts::${A}:assumed-role/ReplRole/other` }, roleSession, 'NoMatch'],
    [{ Service: 'batchoperations.s3.amazonaws.com' }, batchService, 'Match'],
    [{ Service: ['s3.amazonaws.com'] }, batchService, 'NoMatch'],
    [{ AWS: A }, batchService, 'NoMatch'],
    [{ AWS: 'AIDAJQABLZS4A3QDU576Q' }, alice, 'NoMatch'],
    [{ AWS: [bob.arn, alice.arn] }, alice, 'Match'],
  ];
  for (const [block, p, want] of cases) {
    assert.equal(principalMatch(norm(block), p), want, `${JSON.stringify(block)} vs ${p.arn}`);
    assert.equal(principalMatches(norm(block), p), want !== 'NoMatch');
  }
});

test('resource policy: Principal and NotPrincipal select the statements that apply', () => {
  const bucketPolicy = policy(
    {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::site/*' },
        { Sid: 'CrossAccount', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: ['s3:ListBucket', 's3:GetObject'], Resource: ['arn:aws:s3:::site', 'arn:aws:s3:::site/*'] },
        { Sid: 'OnlyBob', Effect: 'Deny', NotPrincipal: { AWS: [bob.arn, `arn:aws:iam::${B}:root`] }, Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::site/*' },
      ],
    },
    'resource',
  );
  assert.equal(bucketPolicy.evaluate(req('s3:GetObject', 'arn:aws:s3:::site/index.html', {}, anonymous)), 'Allow');
  assert.equal(bucketPolicy.evaluate(req('s3:ListBucket', 'arn:aws:s3:::site', {}, anonymous)), 'NotApplicable');
  assert.equal(bucketPolicy.evaluate(req('s3:ListBucket', 'arn:aws:s3:::site', {}, bob)), 'Allow');
  assert.equal(bucketPolicy.evaluate(req('s3:DeleteObject', 'arn:aws:s3:::site/x', {}, alice)), 'Deny');
  assert.equal(bucketPolicy.evaluate(req('s3:DeleteObject', 'arn:aws:s3:::site/x', {}, bob)), 'NotApplicable');
  assert.deepEqual(bucketPolicy.explain(req('s3:GetObject', 'arn:aws:s3:::site/x', {}, bob)), [
    { sid: 'PublicRead', effect: 'Allow' },
    { sid: 'CrossAccount', effect: 'Allow' },
  ]);
});

test('trust policy: the seed lab\'s role trusts S3 Batch Operations only', () => {
  const trust = policy(
    { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'batchoperations.s3.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
    'trust',
  );
  const role = `arn:aws:iam::${A}:role/service-role/ReplRole`;
  assert.equal(decide(req('sts:AssumeRole', role, {}, batchService), [trust]), 'Allow');
  assert.equal(decide(req('sts:AssumeRole', role, {}, alice), [trust]), 'ImplicitDeny');
  assert.equal(decide(req('sts:TagSession', role, {}, batchService), [trust]), 'ImplicitDeny');
  const confused = policy(
    {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'batchoperations.s3.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': A } } }],
    },
    'trust',
  );
  assert.equal(decide(req('sts:AssumeRole', role, { 'aws:SourceAccount': A }, batchService), [confused]), 'Allow');
  assert.equal(decide(req('sts:AssumeRole', role, { 'aws:SourceAccount': B }, batchService), [confused]), 'ImplicitDeny');
});

test('explain lists the statements that matched, by Sid or index', () => {
  const p = policy({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'Read', Effect: 'Allow', Action: 's3:Get*', Resource: '*' },
      { Effect: 'Deny', Action: 's3:GetObject', Resource: 'arn:aws:s3:::secret/*' },
      { Sid: 'Write', Effect: 'Allow', Action: 's3:Put*', Resource: '*' },
    ],
  });
  assert.deepEqual(p.explain(req('s3:GetObject', 'arn:aws:s3:::secret/k')), [
    { sid: 'Read', effect: 'Allow' },
    { sid: '1', effect: 'Deny' },
  ]);
  assert.equal(p.evaluate(req('s3:GetObject', 'arn:aws:s3:::secret/k')), 'Deny');
  assert.deepEqual(p.explain(req('s3:DeleteObject', 'arn:aws:s3:::b/k')), []);
});

test('the wildcard matcher agrees with a RegExp on random patterns', () => {
  let seed = 7;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
  const word = (alphabet: string, max: number): string => Array.from({ length: rnd(max + 1) }, () => alphabet[rnd(alphabet.length)]).join('');
  for (let i = 0; i < 20000; i++) {
    const pattern = word('ab/*?', 7);
    const subject = word('ab/', 8);
    const re = new RegExp(`^${pattern.replace(/[/]/g, '\\/').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
    const ci = rnd(2) === 1;
    const s = ci ? subject.toUpperCase() : subject;
    const got = compileTokens(tokenize(pattern, true, false), ci).test(s, 0, s.length);
    assert.equal(got, re.test(subject), `${pattern} ~ ${s} (ci ${ci})`);
  }
});
