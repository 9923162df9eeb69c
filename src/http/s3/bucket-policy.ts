/**
 * Get/Put/DeleteBucketPolicy, and the checks S3 makes of a policy document before it stores it:
 * JSON whose first byte is '{', within 20 KB written compactly, IAM's grammar (Version, Id,
 * Statement; Sid, Effect, Principal|NotPrincipal, Action|NotAction, Resource|NotResource,
 * Condition), S3 actions only, and resources naming this bucket or its objects. Each fault is
 * `400 MalformedPolicy` with the message S3 answers (as recorded by versitygw, mantle and users'
 * reports). Evaluating policies on requests is the IAM step's; it reads the parsed
 * `PolicyDocument` stored beside the text.
 */
import { S3Error } from '../../errors.js';
import { BucketConfigKind, PrincipalType, type BucketPolicy, type PolicyCondition, type PolicyDocument, type PolicyPrincipal, type PolicyStatement } from '../../store/bucket-configs.js';
import { deleteBucketConfig, getBucket, getBucketConfig, putBucketConfig } from '../../store/buckets.js';
import { send } from '../request.js';
import { globMatch } from './bucket-config-common.js';
import { readVerifiedBody } from './object-headers.js';
import { bucketOf, type S3Ctx, type S3Handlers } from './context.js';

/** S3 counts the policy's size written compactly (whitespace outside strings removed). */
const MAX_POLICY_BYTES = 20 * 1024;

/**
 * The S3 actions that apply to a bucket or to an object (Service Authorization Reference). A
 * policy action naming none of these is "Policy has invalid action"; one naming only actions of a
 * kind no resource of its statement can be is "Action does not apply to any resource(s) in
 * statement". Account-, job- and access-point-level actions do not belong in a bucket policy.
 */
const bucketActions = [
  'CreateBucket', 'DeleteBucket', 'ListBucket', 'ListBucketVersions', 'ListBucketMultipartUploads',
  'GetBucketLocation', 'GetBucketAcl', 'PutBucketAcl', 'GetBucketCORS', 'PutBucketCORS',
  'GetBucketVersioning', 'PutBucketVersioning', 'GetBucketPolicy', 'PutBucketPolicy', 'DeleteBucketPolicy', 'GetBucketPolicyStatus',
  'GetBucketTagging', 'PutBucketTagging', 'GetBucketLogging', 'PutBucketLogging', 'GetBucketNotification', 'PutBucketNotification',
  'GetBucketWebsite', 'PutBucketWebsite', 'DeleteBucketWebsite', 'GetBucketRequestPayment', 'PutBucketRequestPayment',
  'GetBucketObjectLockConfiguration', 'PutBucketObjectLockConfiguration', 'GetBucketOwnershipControls', 'PutBucketOwnershipControls', 'DeleteBucketOwnershipControls',
  'GetBucketPublicAccessBlock', 'PutBucketPublicAccessBlock', 'GetAccelerateConfiguration', 'PutAccelerateConfiguration',
  'GetAnalyticsConfiguration', 'PutAnalyticsConfiguration', 'GetEncryptionConfiguration', 'PutEncryptionConfiguration',
  'GetIntelligentTieringConfiguration', 'PutIntelligentTieringConfiguration', 'GetInventoryConfiguration', 'PutInventoryConfiguration',
  'GetLifecycleConfiguration', 'PutLifecycleConfiguration', 'GetMetricsConfiguration', 'PutMetricsConfiguration',
  'GetReplicationConfiguration', 'PutReplicationConfiguration', 'PauseReplication',
  'CreateBucketMetadataTableConfiguration', 'GetBucketMetadataTableConfiguration', 'DeleteBucketMetadataTableConfiguration',
  'UpdateBucketMetadataInventoryTableConfiguration', 'UpdateBucketMetadataJournalTableConfiguration',
  'GetBucketAbac', 'PutBucketAbac', 'TagResource', 'UntagResource', 'ListTagsForResource',
] as const;
const objectActions = [
  'GetObject', 'GetObjectVersion', 'PutObject', 'DeleteObject', 'DeleteObjectVersion', 'RestoreObject',
  'GetObjectAcl', 'GetObjectVersionAcl', 'PutObjectAcl', 'PutObjectVersionAcl',
  'GetObjectTagging', 'GetObjectVersionTagging', 'PutObjectTagging', 'PutObjectVersionTagging', 'DeleteObjectTagging', 'DeleteObjectVersionTagging',
  'GetObjectAttributes', 'GetObjectVersionAttributes', 'GetObjectTorrent', 'GetObjectVersionTorrent',
  'GetObjectLegalHold', 'PutObjectLegalHold', 'GetObjectRetention', 'PutObjectRetention', 'BypassGovernanceRetention',
  'AbortMultipartUpload', 'ListMultipartUploadParts', 'GetObjectVersionForReplication', 'InitiateReplication',
  'ReplicateObject', 'ReplicateDelete', 'ReplicateTags', 'ObjectOwnerOverrideToBucketOwner',
] as const;
type ActionKind = 'bucket' | 'object';
const actionCatalog: readonly (readonly [name: string, kind: ActionKind])[] = [
  ...bucketActions.map((a) => [`s3:${a.toLowerCase()}`, 'bucket'] as const),
  ...objectActions.map((a) => [`s3:${a.toLowerCase()}`, 'object'] as const),
];

/** IAM's condition operators (each may also take IfExists and a ForAllValues:/ForAnyValue: set qualifier). */
const conditionOperators = new Set([
  'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike',
  'NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals',
  'DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals',
  'Bool', 'BinaryEquals', 'IpAddress', 'NotIpAddress', 'ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike', 'Null',
]);

function policyError(message: string): S3Error {
  return new S3Error('MalformedPolicy', message);
}

const invalidJson = (): S3Error => policyError('This policy contains invalid Json');
const ARN_PREFIX = 'arn:aws:s3:::';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string or a non-empty list of strings, as IAM lets most elements be written. */
function stringList(v: unknown, onInvalid: () => S3Error): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) return v as string[];
  throw onInvalid();
}

function assertFields(obj: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw policyError(`Unknown field ${k}`);
}

const invalidPrincipal = (): S3Error => policyError('Invalid principal in policy');

function validPrincipalValue(type: PrincipalType, v: string): boolean {
  switch (type) {
    case 'AWS':
      return v === '*' || /^\d{12}$/.test(v) || /^arn:aws:iam::\d{12}:(root|(user|role|federated-user)\/.+)$/.test(v) || /^arn:aws:sts::\d{12}:(assumed-role|federated-user)\/.+$/.test(v);
    case 'CanonicalUser':
      return /^[0-9a-f]{64}$/.test(v);
    case 'Service':
      return /^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(v);
    case 'Federated':
      return v.length > 0;
  }
}

function parsePrincipal(v: unknown): PolicyPrincipal {
  if (v === '*') return '*';
  if (!isObject(v) || Object.keys(v).length === 0) throw invalidPrincipal();
  const out: Partial<Record<PrincipalType, readonly string[]>> = {};
  for (const [type, value] of Object.entries(v)) {
    if (!(type in PrincipalType)) throw invalidPrincipal();
    const values = stringList(value, invalidPrincipal);
    for (const p of values) if (!validPrincipalValue(type as PrincipalType, p)) throw invalidPrincipal();
    out[type as PrincipalType] = values;
  }
  return out;
}

const invalidAction = (): S3Error => policyError('Policy has invalid action');

/** The catalog actions a pattern names; none means it is not an S3 bucket or object action. */
function actionsNamed(pattern: string): (readonly [string, ActionKind])[] {
  const p = pattern.toLowerCase();
  if (p === '*') return [...actionCatalog];
  if (!/^s3:[a-z*?]+$/.test(p)) return [];
  return actionCatalog.filter(([name]) => globMatch(p, name));
}

function parseActions(v: unknown): string[] {
  const actions = stringList(v, invalidAction);
  for (const a of actions) if (actionsNamed(a).length === 0) throw invalidAction();
  return actions;
}

const invalidResource = (): S3Error => policyError('Policy has invalid resource');

/** Resources must be S3 ARNs whose bucket part can be this bucket. */
function parseResources(v: unknown, bucket: string): string[] {
  const resources = stringList(v, invalidResource);
  for (const r of resources) {
    if (!r.startsWith(ARN_PREFIX)) throw invalidResource();
    const rest = r.slice(ARN_PREFIX.length);
    if (rest === '' || rest.startsWith('/')) throw invalidResource();
    const slash = rest.indexOf('/');
    if (!globMatch(slash >= 0 ? rest.slice(0, slash) : rest, bucket)) throw invalidResource();
  }
  return resources;
}

/** Kinds of resource a statement's resources can be: a `/` names objects; a `*` may span one. */
function resourceKinds(resources: readonly string[]): Set<ActionKind> {
  const kinds = new Set<ActionKind>();
  for (const r of resources) {
    const rest = r.slice(ARN_PREFIX.length);
    if (rest.includes('/') || rest.includes('*')) kinds.add('object');
    if (!rest.includes('/')) kinds.add('bucket');
  }
  return kinds;
}

function parseCondition(v: unknown): PolicyCondition {
  if (!isObject(v)) throw invalidJson();
  const out: Record<string, Record<string, readonly string[]>> = {};
  for (const [op, block] of Object.entries(v)) {
    const base = op.replace(/^(ForAllValues|ForAnyValue):/, '').replace(/IfExists$/, '');
    if (!conditionOperators.has(base)) throw policyError(`Invalid Condition type : ${op}`);
    if (!isObject(block)) throw invalidJson();
    const keys: Record<string, readonly string[]> = {};
    for (const [key, value] of Object.entries(block)) {
      const items = Array.isArray(value) ? value : [value];
      if (key === '' || items.length === 0 || !items.every((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean')) throw invalidJson();
      keys[key] = items.map(String);
    }
    out[op] = keys;
  }
  return out;
}

function parseStatement(s: unknown, bucket: string): PolicyStatement {
  if (!isObject(s)) throw invalidJson();
  assertFields(s, ['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
  if (s.Sid !== undefined && typeof s.Sid !== 'string') throw invalidJson();
  if (s.Effect === undefined) throw policyError('Missing required field Effect');
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw policyError(`Invalid effect: ${typeof s.Effect === 'string' ? s.Effect : JSON.stringify(s.Effect)}`);
  if (s.Principal === undefined && s.NotPrincipal === undefined) throw policyError('Missing required field Principal');
  if (s.Principal !== undefined && s.NotPrincipal !== undefined) throw invalidPrincipal();
  if (s.Action === undefined && s.NotAction === undefined) throw policyError('Missing required field Action');
  if (s.Action !== undefined && s.NotAction !== undefined) throw invalidAction();
  if (s.Resource === undefined && s.NotResource === undefined) throw policyError('Missing required field Resource');
  if (s.Resource !== undefined && s.NotResource !== undefined) throw invalidResource();
  const statement: PolicyStatement = {
    sid: s.Sid,
    effect: s.Effect,
    principal: s.Principal !== undefined ? parsePrincipal(s.Principal) : undefined,
    notPrincipal: s.NotPrincipal !== undefined ? parsePrincipal(s.NotPrincipal) : undefined,
    action: s.Action !== undefined ? parseActions(s.Action) : undefined,
    notAction: s.NotAction !== undefined ? parseActions(s.NotAction) : undefined,
    resource: s.Resource !== undefined ? parseResources(s.Resource, bucket) : undefined,
    notResource: s.NotResource !== undefined ? parseResources(s.NotResource, bucket) : undefined,
    condition: s.Condition !== undefined ? parseCondition(s.Condition) : undefined,
  };
  if (statement.action && statement.resource) {
    const kinds = resourceKinds(statement.resource);
    for (const a of statement.action) {
      if (!actionsNamed(a).some(([, kind]) => kinds.has(kind))) throw policyError('Action does not apply to any resource(s) in statement');
    }
  }
  return statement;
}

/** Parses and validates a bucket policy for `bucket`, as PutBucketPolicy does. */
export function parseBucketPolicy(text: string, bucket: string): BucketPolicy {
  if (text.length === 0 || text[0] !== '{') throw policyError('Policies must be valid JSON and the first byte must be \'{\'');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw invalidJson();
  }
  if (!isObject(doc)) throw invalidJson();
  if (Buffer.byteLength(JSON.stringify(doc)) > MAX_POLICY_BYTES) throw policyError('Policy exceeds the maximum allowed document size.');
  assertFields(doc, ['Version', 'Id', 'Statement']);
  // A policy without Version is read as the 2008-10-17 language, as IAM documents.
  const version = doc.Version ?? '2008-10-17';
  if (version !== '2008-10-17' && version !== '2012-10-17') throw policyError('The policy must contain a valid version string');
  if (doc.Id !== undefined && typeof doc.Id !== 'string') throw invalidJson();
  if (doc.Statement === undefined) throw policyError('Missing required field Statement');
  const raw = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  if (raw.length === 0) throw policyError('Could not parse the policy: Statement is empty!');
  const document: PolicyDocument = { version, id: doc.Id, statements: raw.map((s) => parseStatement(s, bucket)) };
  return { text, document };
}

function getBucketPolicyHandler(c: S3Ctx): void {
  const bucket = bucketOf(c);
  getBucket(c.deps.store, bucket);
  const policy = getBucketConfig<BucketPolicy>(c.deps.store, bucket, BucketConfigKind.Policy);
  if (!policy) throw new S3Error('NoSuchBucketPolicy', undefined, { BucketName: bucket });
  // The document exactly as it was put.
  send(c, 200, policy.text, { 'content-type': 'application/json' });
}

async function putBucketPolicyHandler(c: S3Ctx): Promise<void> {
  const bucket = bucketOf(c);
  getBucket(c.deps.store, bucket);
  // Whitespace does not count towards the 20 KB, so the body itself may be larger.
  const text = await readVerifiedBody(c, 1024 * 1024);
  putBucketConfig(c.deps.store, bucket, BucketConfigKind.Policy, parseBucketPolicy(text, bucket));
  send(c, 204, null);
}

function deleteBucketPolicyHandler(c: S3Ctx): void {
  deleteBucketConfig(c.deps.store, bucketOf(c), BucketConfigKind.Policy);
  send(c, 204, null);
}

export const bucketPolicyHandlers: S3Handlers = {
  GetBucketPolicy: getBucketPolicyHandler,
  PutBucketPolicy: putBucketPolicyHandler,
  DeleteBucketPolicy: deleteBucketPolicyHandler,
};
