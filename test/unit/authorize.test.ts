import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anonymousPrincipal, runSimulation } from '@cloud-copilot/iam-simulate';
import { aclAllows, authorize, compileResourcePolicy, fromStoredPolicy, privateAcl, ALL_USERS_URI, AUTHENTICATED_USERS_URI, type AclAccess, type Authorization } from '../../src/auth/authorize.js';
import { canonicalIdOf } from '../../src/auth/credentials.js';
import { compilePolicy } from '../../src/auth/policy/compile.js';
import { parsePolicyDocument } from '../../src/auth/policy/parse.js';
import type { RequestPrincipal } from '../../src/auth/policy/types.js';
import { requiredPermissions, withExistingObjectTags, type CatalogRequest, type Permission } from '../../src/auth/s3-catalog.js';
import { parseBucketPolicy } from '../../src/http/s3/bucket-policy.js';
import type { Acl } from '../../src/store/types.js';

const A = '111122223333'; // owns the buckets
const B = '444455556666';

const principal = (kind: RequestPrincipal['kind'], arn: string, accountId: string | null, extra: Partial<RequestPrincipal> = {}): RequestPrincipal => ({
  kind, arn, accountId, userId: extra.userId ?? accountId ?? 'anonymous', tags: {}, ...extra,
});
const rootA = principal('root', `arn:aws:iam::${A}:root`, A);
const rootB = principal('root', `arn:aws:iam::${B}:root`, B);
const alice = principal('user', `arn:aws:iam::${A}:user/alice`, A, { userId: 'AIDAALICE', username: 'alice' });
const bob = principal('user', `arn:aws:iam::${B}:user/bob`, B, { userId: 'AIDABOB', username: 'bob' });
const session = principal('assumed-role', `arn:aws:sts::${A}:assumed-role/reader/s1`, A, { userId: 'AROAREADER:s1', roleArn: `arn:aws:iam::${A}:role/reader` });
const anonymous = principal('anonymous', '*', null);
const s3Service = principal('service', 's3.amazonaws.com', null);

type Statement = Record<string, unknown>;
const doc = (...Statement: Statement[]): string => JSON.stringify({ Version: '2012-10-17', Statement });
const identity = (text: string) => compilePolicy(parsePolicyDocument(text, 'identity'), 'identity');
const bucketPolicy = (text: string) => compileResourcePolicy(parsePolicyDocument(text, 'resource'));

const allowGet = doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' });
const denyGet = doc({ Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::b/*' });
const grant = (p: unknown, effect = 'Allow', action: string | string[] = 's3:GetObject', resource = 'arn:aws:s3:::b/*'): string =>
  doc({ Effect: effect, Principal: p, Action: action, Resource: resource });

interface Case {
  readonly name: string;
  readonly who: RequestPrincipal;
  readonly identity?: readonly string[];
  readonly bucketPolicy?: string;
  readonly acl?: AclAccess;
  readonly action?: string;
  readonly resource?: string;
  readonly expect: Authorization['decision'];
  readonly reason?: string;
  readonly message?: string;
}

function run(c: Case): Authorization {
  const action = c.action ?? 's3:GetObject';
  const resource = c.resource ?? 'arn:aws:s3:::b/k';
  return authorize({
    principal: c.who,
    isRootOfResourceAccount: c.who.kind === 'root' && c.who.accountId === A,
    identityPolicies: (c.identity ?? []).map(identity),
    resourcePolicy: c.bucketPolicy !== undefined ? bucketPolicy(c.bucketPolicy) : undefined,
    resourceAccountId: A,
    aclAllows: c.acl,
    request: { action, resource, principal: c.who, context: new Map() },
  });
}

const cases: Case[] = [
  // Same account (IAM User Guide, "Policy evaluation for requests within a single account").
  {
    name: 'a user with no policy is denied', who: alice, expect: 'ImplicitDeny',
    reason: `User: arn:aws:iam::${A}:user/alice is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k" because no identity-based policy allows the s3:GetObject action`,
    message: `User: arn:aws:iam::${A}:user/alice is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k" because no identity-based policy allows the s3:GetObject action`,
  },
  { name: 'an identity policy allows', who: alice, identity: [allowGet], expect: 'Allow' },
  {
    name: 'explicit deny beats allow (two identity policies)', who: alice, identity: [allowGet, denyGet], expect: 'ExplicitDeny',
    message: `User: arn:aws:iam::${A}:user/alice is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k" with an explicit deny in an identity-based policy`,
  },
  { name: 'a bucket policy naming the user allows without an identity policy', who: alice, bucketPolicy: grant({ AWS: alice.arn }), expect: 'Allow' },
  { name: 'a bucket policy naming the role allows its sessions', who: session, bucketPolicy: grant({ AWS: `arn:aws:iam::${A}:role/reader` }), expect: 'Allow' },
  { name: 'a bucket policy naming only the account delegates to identity policies', who: alice, bucketPolicy: grant({ AWS: `arn:aws:iam::${A}:root` }), expect: 'ImplicitDeny' },
  { name: '… and the bare account id behaves the same', who: alice, bucketPolicy: grant({ AWS: A }), expect: 'ImplicitDeny' },
  {
    name: 'explicit deny in the bucket policy beats the identity allow', who: alice, identity: [allowGet], bucketPolicy: grant('*', 'Deny', 's3:*'), expect: 'ExplicitDeny',
    message: `User: arn:aws:iam::${A}:user/alice is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k" with an explicit deny in a resource-based policy`,
  },
  { name: 'an identity policy for another action does not allow', who: alice, identity: [allowGet], action: 's3:PutObject', expect: 'ImplicitDeny' },
  { name: 'the owner\'s FULL_CONTROL ACL grant does not allow its IAM users', who: alice, acl: 'account', expect: 'ImplicitDeny' },
  { name: 'a public ACL grant allows a same-account user', who: alice, acl: 'everyone', expect: 'Allow' },
  // The root user of the bucket's account.
  { name: 'root needs no policy', who: rootA, expect: 'Allow' },
  { name: 'root is bound by an explicit bucket-policy deny', who: rootA, bucketPolicy: grant('*', 'Deny', 's3:*'), expect: 'ExplicitDeny' },
  { name: 'root may still delete a bucket policy that denies it (lock-out protection)', who: rootA, bucketPolicy: grant('*', 'Deny', 's3:*', 'arn:aws:s3:::b'), action: 's3:DeleteBucketPolicy', resource: 'arn:aws:s3:::b', expect: 'Allow' },
  { name: '… and read and replace it', who: rootA, bucketPolicy: grant('*', 'Deny', 's3:*', 'arn:aws:s3:::b'), action: 's3:PutBucketPolicy', resource: 'arn:aws:s3:::b', expect: 'Allow' },
  { name: 'the lock-out protection is root\'s alone', who: alice, identity: [doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' })], bucketPolicy: grant('*', 'Deny', 's3:*', 'arn:aws:s3:::b'), action: 's3:DeleteBucketPolicy', resource: 'arn:aws:s3:::b', expect: 'ExplicitDeny' },
  // Across accounts (IAM User Guide, "Cross-account policy evaluation logic").
  {
    name: 'cross-account: the identity policy alone is not enough', who: bob, identity: [allowGet], expect: 'ImplicitDeny',
    reason: `User: arn:aws:iam::${B}:user/bob is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k" because no resource-based policy allows the s3:GetObject action`,
    message: 'Access Denied',
  },
  {
    name: 'cross-account: a bucket policy granting the account is not enough without the user\'s identity policy', who: bob, bucketPolicy: grant({ AWS: B }), expect: 'ImplicitDeny',
    reason: `User: arn:aws:iam::${B}:user/bob is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k" because no identity-based policy allows the s3:GetObject action`,
    message: 'Access Denied',
  },
  { name: 'cross-account: a bucket policy granting another account + the user\'s identity policy', who: bob, identity: [allowGet], bucketPolicy: grant({ AWS: `arn:aws:iam::${B}:root` }), expect: 'Allow' },
  { name: 'cross-account: a bucket policy naming the user + its identity policy', who: bob, identity: [allowGet], bucketPolicy: grant({ AWS: bob.arn }), expect: 'Allow' },
  { name: 'cross-account: the other account\'s root is allowed by its account', who: rootB, bucketPolicy: grant({ AWS: B }), expect: 'Allow' },
  { name: 'cross-account: the other account\'s root still needs the bucket policy', who: rootB, expect: 'ImplicitDeny', message: 'Access Denied' },
  { name: 'cross-account: a public bucket policy still needs the signed user\'s identity policy', who: bob, bucketPolicy: grant('*'), expect: 'ImplicitDeny' },
  { name: 'cross-account: a deny naming the account denies its users', who: bob, identity: [allowGet], bucketPolicy: doc({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }, { Effect: 'Deny', Principal: { AWS: B }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }), expect: 'ExplicitDeny', message: 'Access Denied' },
  { name: 'cross-account: an ACL grant to the account + the identity policy', who: bob, identity: [allowGet], acl: 'account', expect: 'Allow' },
  { name: 'cross-account: an ACL grant to the account without an identity policy', who: bob, acl: 'account', expect: 'ImplicitDeny' },
  // Anonymous.
  {
    name: 'anonymous is denied by default', who: anonymous, expect: 'ImplicitDeny',
    reason: 'User: anonymous is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k" because no resource-based policy allows the s3:GetObject action',
    message: 'Access Denied',
  },
  { name: 'public-read by bucket policy (Principal "*")', who: anonymous, bucketPolicy: grant('*'), expect: 'Allow' },
  { name: 'public-read by bucket policy ({"AWS": "*"})', who: anonymous, bucketPolicy: grant({ AWS: '*' }), expect: 'Allow' },
  { name: 'public-read does not allow writes', who: anonymous, bucketPolicy: grant('*'), action: 's3:PutObject', expect: 'ImplicitDeny' },
  { name: 'a policy naming an account never allows anonymous', who: anonymous, bucketPolicy: grant({ AWS: A }), expect: 'ImplicitDeny' },
  { name: 'public-read by ACL (AllUsers READ)', who: anonymous, acl: 'everyone', expect: 'Allow' },
  // Services.
  { name: 'a service is allowed by a bucket policy naming it', who: s3Service, bucketPolicy: grant({ Service: 's3.amazonaws.com' }), expect: 'Allow' },
  { name: 'a service is denied without one', who: s3Service, expect: 'ImplicitDeny' },
];

for (const c of cases) {
  test(`authorize: ${c.name}`, () => {
    const r = run(c);
    assert.equal(r.decision, c.expect, r.reason);
    if (c.reason !== undefined) assert.equal(r.reason, c.reason);
    if (c.message !== undefined) assert.equal(r.message, c.message);
    if (c.expect === 'Allow') assert.equal(r.message, '');
  });
}

test('authorize: an action on "*" leaves out the resource in the message', () => {
  const r = run({ name: '', who: alice, action: 's3:ListAllMyBuckets', resource: '*', expect: 'ImplicitDeny' });
  assert.equal(r.message, `User: arn:aws:iam::${A}:user/alice is not authorized to perform: s3:ListAllMyBuckets because no identity-based policy allows the s3:ListAllMyBuckets action`);
});

// The IAM User Guide's example (Policy evaluation for requests within a single account →
// "Example identity-based and resource-based policy evaluation"): Carlos may do anything in his own
// bucket, but an explicit deny on buckets named *log* wins even there.
test('authorize: the IAM User Guide\'s carlossalazar example', () => {
  const carlos = principal('user', `arn:aws:iam::${A}:user/carlossalazar`, A, { username: 'carlossalazar', userId: 'AIDACARLOS' });
  const policy = doc(
    { Sid: 'AllowS3ListRead', Effect: 'Allow', Action: ['s3:GetBucketLocation', 's3:GetAccountPublicAccessBlock', 's3:ListAccessPoints', 's3:ListAllMyBuckets'], Resource: 'arn:aws:s3:::*' },
    { Sid: 'AllowS3Self', Effect: 'Allow', Action: 's3:*', Resource: ['arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/*', 'arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar'] },
    { Sid: 'DenyS3Logs', Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::*log*' },
  );
  const ownBucketPolicy = doc({ Effect: 'Allow', Principal: { AWS: carlos.arn }, Action: 's3:*', Resource: ['arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar', 'arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/*'] });
  const put = (bucketName: string) => authorize({
    principal: carlos, isRootOfResourceAccount: false, identityPolicies: [identity(policy)], resourcePolicy: bucketPolicy(ownBucketPolicy), resourceAccountId: A,
    request: { action: 's3:PutObject', resource: `arn:aws:s3:::${bucketName}/file.txt`, principal: carlos, context: new Map() },
  });
  assert.equal(put('amzn-s3-demo-bucket-carlossalazar').decision, 'Allow');
  const logs = put('amzn-s3-demo-bucket-carlossalazar-logs');
  assert.equal(logs.decision, 'ExplicitDeny');
  assert.match(logs.message, /with an explicit deny in an identity-based policy$/);
});

test('authorize + catalog: s3:prefix from ListObjectsV2 reaches the bucket policy\'s condition', () => {
  const policy = bucketPolicy(doc({
    Effect: 'Allow', Principal: { AWS: alice.arn }, Action: 's3:ListBucket', Resource: 'arn:aws:s3:::b',
    Condition: { StringLike: { 's3:prefix': ['home/${aws:username}/*'] } },
  }));
  const list = (prefix: string): Authorization => {
    const r: CatalogRequest = { bucket: 'b', query: new URLSearchParams({ 'list-type': '2', prefix }), headers: {}, region: 'us-east-1', accountId: A };
    const [p] = requiredPermissions('ListObjectsV2', r);
    return authorize({ principal: alice, isRootOfResourceAccount: false, identityPolicies: [], resourcePolicy: policy, resourceAccountId: A, request: { action: p!.action, resource: p!.resource, principal: alice, context: p!.context } });
  };
  assert.equal(list('home/alice/photos/').decision, 'Allow');
  assert.equal(list('home/bob/').decision, 'ImplicitDeny');
});

test('authorize + catalog: s3:ExistingObjectTag comes from the object\'s tags', () => {
  const policy = identity(doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { StringEquals: { 's3:ExistingObjectTag/classification': 'public' } } }));
  const get = (tags: readonly (readonly [string, string])[]): Authorization => {
    const p: Permission = withExistingObjectTags(requiredPermissions('GetObject', { bucket: 'b', key: 'k', query: new URLSearchParams(), headers: {}, region: 'us-east-1', accountId: A })[0]!, tags);
    return authorize({ principal: alice, isRootOfResourceAccount: false, identityPolicies: [policy], resourceAccountId: A, request: { action: p.action, resource: p.resource, principal: alice, context: p.context } });
  };
  assert.equal(get([['Classification', 'public']]).decision, 'Allow');
  assert.equal(get([['classification', 'secret']]).decision, 'ImplicitDeny');
  assert.equal(get([]).decision, 'ImplicitDeny');
});

test('authorize: a bucket policy as the store keeps it (PutBucketPolicy\'s parse) converts and decides the same', () => {
  const text = doc({ Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::b/*'] }, { Effect: 'Deny', Principal: { AWS: [B] }, Action: 's3:*', Resource: 'arn:aws:s3:::b/*' });
  const stored = parseBucketPolicy(text, 'b').document;
  const rp = compileResourcePolicy(fromStoredPolicy(stored));
  const decide = (who: RequestPrincipal) => authorize({ principal: who, isRootOfResourceAccount: false, identityPolicies: [identity(allowGet)], resourcePolicy: rp, resourceAccountId: A, request: { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', principal: who, context: new Map() } }).decision;
  assert.equal(decide(anonymous), 'Allow');
  assert.equal(decide(bob), 'ExplicitDeny');
});

test('aclAllows: AWS\'s mapping of ACL permissions to actions, and who a grantee is', () => {
  const ownerId = canonicalIdOf(A);
  const bobId = canonicalIdOf(B);
  const acl = (...grants: Acl['grants'][number][]): Acl => ({ owner: ownerId, grants });
  const user = (id: string, permission: Acl['grants'][number]['permission']) => ({ grantee: { type: 'CanonicalUser' as const, id }, permission });
  const group = (uri: string, permission: Acl['grants'][number]['permission']) => ({ grantee: { type: 'Group' as const, uri }, permission });
  const obj = (action: string) => ({ action: action as Permission['action'], aclScope: 'object' as const });
  const bkt = (action: string) => ({ action: action as Permission['action'], aclScope: 'bucket' as const });

  const publicRead = acl(user(ownerId, 'FULL_CONTROL'), group(ALL_USERS_URI, 'READ'));
  assert.equal(aclAllows(publicRead, anonymous, obj('s3:GetObject')), 'everyone');
  assert.equal(aclAllows(publicRead, anonymous, obj('s3:GetObjectVersion')), 'everyone');
  assert.equal(aclAllows(publicRead, anonymous, obj('s3:GetObjectAcl')), 'none', 'READ does not grant READ_ACP');
  assert.equal(aclAllows(publicRead, alice, obj('s3:PutObjectAcl')), 'account', 'the owner\'s FULL_CONTROL');
  assert.equal(aclAllows(publicRead, bob, obj('s3:PutObjectAcl')), 'none');
  assert.equal(aclAllows(publicRead, anonymous, { action: 's3:GetObjectTagging' }), 'none', 'no ACL maps to tagging');

  const authRead = acl(group(AUTHENTICATED_USERS_URI, 'READ'));
  assert.equal(aclAllows(authRead, bob, bkt('s3:ListBucket')), 'everyone');
  assert.equal(aclAllows(authRead, anonymous, bkt('s3:ListBucket')), 'none', 'AuthenticatedUsers needs a signed request');

  const bucketGrants = acl(user(bobId, 'WRITE'), user(bobId, 'READ_ACP'));
  assert.equal(aclAllows(bucketGrants, bob, bkt('s3:PutObject')), 'account');
  assert.equal(aclAllows(bucketGrants, bob, bkt('s3:DeleteObject')), 'account');
  assert.equal(aclAllows(bucketGrants, bob, bkt('s3:DeleteObjectVersion')), 'none', 'bucket WRITE deletes versions for the bucket owner only');
  assert.equal(aclAllows(bucketGrants, bob, bkt('s3:GetBucketAcl')), 'account');
  assert.equal(aclAllows(bucketGrants, bob, bkt('s3:PutBucketAcl')), 'none');
  assert.equal(aclAllows(bucketGrants, bob, bkt('s3:ListBucket')), 'none');
  assert.equal(aclAllows(acl(user(ownerId, 'WRITE')), alice, bkt('s3:DeleteObjectVersion')), 'account');
  assert.equal(aclAllows(privateAcl(ownerId), rootA, bkt('s3:ListBucketVersions')), 'account');
  assert.equal(aclAllows(privateAcl(ownerId), rootB, bkt('s3:ListBucketVersions')), 'none');

  // The catalog says which ACL applies.
  const r: CatalogRequest = { bucket: 'b', key: 'k', query: new URLSearchParams(), headers: {}, region: 'us-east-1', accountId: A };
  assert.equal(aclAllows(publicRead, anonymous, requiredPermissions('GetObject', r)[0]!), 'everyone');
  assert.equal(aclAllows(acl(group(ALL_USERS_URI, 'WRITE')), anonymous, requiredPermissions('PutObject', r)[0]!), 'everyone');
});

// iam-simulate as the oracle: the same principals, identity policies and bucket policies, decided by both.
// (iam-simulate takes aws:PrincipalAccount from the context; our evaluator derives it from the principal.)
test('authorize agrees with iam-simulate on a matrix of principals, identity policies and bucket policies', async () => {
  const identities: (string | undefined)[] = [undefined, allowGet, denyGet];
  const bucketPolicies: (string | undefined)[] = [
    undefined,
    grant({ AWS: alice.arn }),
    grant({ AWS: bob.arn }),
    grant({ AWS: A }),
    grant({ AWS: `arn:aws:iam::${B}:root` }),
    grant('*'),
    grant({ AWS: `arn:aws:iam::${A}:role/reader` }),
    grant('*', 'Deny'),
    grant({ AWS: B }, 'Deny'),
    doc({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*', Condition: { StringEquals: { 'aws:PrincipalAccount': B } } }),
  ];
  let compared = 0;
  for (const who of [alice, bob, session, anonymous]) {
    for (const id of who.kind === 'anonymous' ? [undefined] : identities) {
      for (const bp of bucketPolicies) {
        const ours = run({ name: '', who, identity: id ? [id] : [], bucketPolicy: bp, expect: 'Allow' }).decision;
        const sim = await runSimulation({
          request: { principal: who.kind === 'anonymous' ? anonymousPrincipal : who.arn, action: 's3:GetObject', resource: { resource: 'arn:aws:s3:::b/k', accountId: A }, contextVariables: who.accountId ? { 'aws:PrincipalAccount': who.accountId } : {} },
          identityPolicies: id ? [{ name: 'p', policy: JSON.parse(id) }] : [],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          resourcePolicy: bp ? JSON.parse(bp) : undefined,
        }, {});
        assert.equal(sim.resultType, 'single', JSON.stringify(sim));
        const theirs = sim.resultType === 'single' ? sim.overallResult : undefined;
        const expected = theirs === 'Allowed' ? 'Allow' : theirs === 'ExplicitlyDenied' ? 'ExplicitDeny' : 'ImplicitDeny';
        assert.equal(ours, expected, `${who.arn} identity=${id ?? 'none'} bucket=${bp ?? 'none'}`);
        compared++;
      }
    }
  }
  assert.equal(compared, 3 * 3 * 10 + 10);
});
