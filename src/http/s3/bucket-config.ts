/**
 * Bucket configuration sub-resources: tagging, default encryption, Object Lock configuration and
 * the bucket ACL here; policy, replication and inventory in their own files. Every document is
 * validated as S3 validates it and stored as its typed domain form (`store/bucket-configs.ts`)
 * through the generic bucket-config store.
 */
import { S3Error } from '../../errors.js';
import {
  BucketConfigKind,
  DEFAULT_BUCKET_ENCRYPTION,
  EncryptionType,
  MAX_RETENTION_DAYS,
  MAX_RETENTION_YEARS,
  SseAlgorithm,
  type BucketEncryption,
  type BucketTagging,
  type DefaultRetention,
  type EncryptionRule,
  type ObjectLockConfiguration,
} from '../../store/bucket-configs.js';
import { deleteBucketConfig, enableBucketObjectLock, getBucket, getBucketConfig, putBucketConfig, setBucketAcl } from '../../store/buckets.js';
import { writeTx } from '../../store/context.js';
import { MAX_BUCKET_TAGS } from '../../store/tags.js';
import { LockMode, type Acl } from '../../store/types.js';
import { header, send, sendXml } from '../request.js';
import { parseXml, renderXml, xmlChild, xmlList, xmlText } from '../xml.js';
import { aclFromHeaders, parseAclXml, renderAcl } from './acl.js';
import { bucketInventoryHandlers } from './bucket-inventory.js';
import { bucketPolicyHandlers } from './bucket-policy.js';
import { bucketReplicationHandlers } from './bucket-replication.js';
import { assertElements, malformed, oneOf, parseBoolean, parseInteger, requiredChild, requiredText } from './bucket-config-common.js';
import { readVerifiedBody } from './object-headers.js';
import { bucketOf, ownerIdOf, type S3Ctx, type S3Handlers } from './context.js';
import { parseTaggingXml, renderTagging } from './tags.js';

const MAX_BODY = 64 * 1024;
/** AWS's limit of tags on a bucket (objects have 10). */

// ---------------------------------------------------------------------------------------------
// Tagging

function getBucketTaggingHandler(c: S3Ctx): void {
  const bucket = bucketOf(c);
  getBucket(c.deps.store, bucket);
  const cfg = getBucketConfig<BucketTagging>(c.deps.store, bucket, BucketConfigKind.Tagging);
  if (!cfg || cfg.tags.length === 0) throw new S3Error('NoSuchTagSet', undefined, { BucketName: bucket });
  sendXml(c, renderTagging(cfg.tags));
}

async function putBucketTaggingHandler(c: S3Ctx): Promise<void> {
  const bucket = bucketOf(c);
  getBucket(c.deps.store, bucket);
  const tags = parseTaggingXml(await readVerifiedBody(c, MAX_BODY), MAX_BUCKET_TAGS);
  // An empty TagSet leaves the bucket without tags, as DeleteBucketTagging does.
  if (tags.length === 0) deleteBucketConfig(c.deps.store, bucket, BucketConfigKind.Tagging);
  else putBucketConfig(c.deps.store, bucket, BucketConfigKind.Tagging, { tags } satisfies BucketTagging);
  send(c, 204, null);
}

function deleteBucketTaggingHandler(c: S3Ctx): void {
  deleteBucketConfig(c.deps.store, bucketOf(c), BucketConfigKind.Tagging);
  send(c, 204, null);
}

// ---------------------------------------------------------------------------------------------
// Default encryption

/** Parses a <ServerSideEncryptionConfiguration>: exactly one rule, as S3 requires. */
export function parseEncryptionConfiguration(text: string): BucketEncryption {
  const doc = parseXml(text, 'ServerSideEncryptionConfiguration');
  assertElements(doc, ['Rule'], 'ServerSideEncryptionConfiguration');
  const rules = xmlList(doc.Rule);
  if (rules.length !== 1) throw malformed('ServerSideEncryptionConfiguration must hold exactly one Rule');
  const rule = xmlChild(doc, 'Rule') ?? {};
  assertElements(rule, ['ApplyServerSideEncryptionByDefault', 'BucketKeyEnabled', 'BlockedEncryptionTypes'], 'Rule');
  const by = requiredChild(rule, 'ApplyServerSideEncryptionByDefault', 'Rule');
  assertElements(by, ['SSEAlgorithm', 'KMSMasterKeyID'], 'Rule/ApplyServerSideEncryptionByDefault');
  const sseAlgorithm = oneOf(requiredText(by, 'SSEAlgorithm', 'Rule/ApplyServerSideEncryptionByDefault'), Object.values(SseAlgorithm), 'SSEAlgorithm');
  const out: { -readonly [K in keyof EncryptionRule]: EncryptionRule[K] } = { sseAlgorithm };
  const kmsKey = xmlText(by, 'KMSMasterKeyID');
  if (kmsKey !== undefined) {
    if (sseAlgorithm === 'AES256') {
      throw new S3Error('InvalidArgument', 'a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse', { ArgumentName: 'ApplyServerSideEncryptionByDefault' });
    }
    out.kmsMasterKeyId = kmsKey;
  }
  const bucketKey = xmlText(rule, 'BucketKeyEnabled');
  if (bucketKey !== undefined) out.bucketKeyEnabled = parseBoolean(bucketKey, 'Rule/BucketKeyEnabled');
  const blocked = xmlChild(rule, 'BlockedEncryptionTypes');
  if (blocked) {
    assertElements(blocked, ['EncryptionType'], 'Rule/BlockedEncryptionTypes');
    out.blockedEncryptionTypes = xmlList(blocked.EncryptionType).map((t) => oneOf(String(t), Object.values(EncryptionType), 'Rule/BlockedEncryptionTypes/EncryptionType'));
  }
  return { rule: out };
}

export function renderEncryptionConfiguration(cfg: BucketEncryption): string {
  const r = cfg.rule;
  return renderXml('ServerSideEncryptionConfiguration', {
    Rule: {
      ApplyServerSideEncryptionByDefault: { SSEAlgorithm: r.sseAlgorithm, KMSMasterKeyID: r.kmsMasterKeyId },
      // S3 always answers BucketKeyEnabled, false unless it was set.
      BucketKeyEnabled: r.bucketKeyEnabled ? 'true' : 'false',
      BlockedEncryptionTypes: r.blockedEncryptionTypes ? { EncryptionType: r.blockedEncryptionTypes } : undefined,
    },
  });
}

function getBucketEncryptionHandler(c: S3Ctx): void {
  const bucket = bucketOf(c);
  getBucket(c.deps.store, bucket);
  // Since January 2023 every bucket has a default encryption; a bucket never configured answers SSE-S3.
  const cfg = getBucketConfig<BucketEncryption>(c.deps.store, bucket, BucketConfigKind.Encryption) ?? DEFAULT_BUCKET_ENCRYPTION;
  sendXml(c, renderEncryptionConfiguration(cfg));
}

async function putBucketEncryptionHandler(c: S3Ctx): Promise<void> {
  const bucket = bucketOf(c);
  getBucket(c.deps.store, bucket);
  const cfg = parseEncryptionConfiguration(await readVerifiedBody(c, MAX_BODY));
  putBucketConfig(c.deps.store, bucket, BucketConfigKind.Encryption, cfg);
  send(c, 200, null, { 'content-length': 0 });
}

/** Resets the bucket to the SSE-S3 default; 204 whether or not a configuration was set. */
function deleteBucketEncryptionHandler(c: S3Ctx): void {
  deleteBucketConfig(c.deps.store, bucketOf(c), BucketConfigKind.Encryption);
  send(c, 204, null);
}

// ---------------------------------------------------------------------------------------------
// Object Lock configuration

function retentionPeriod(text: string, name: 'Days' | 'Years', max: number): number {
  const n = parseInteger(text, `DefaultRetention/${name}`);
  if (n <= 0) throw new S3Error('InvalidArgument', 'Default retention period must be a positive integer value.', { ArgumentName: name, ArgumentValue: text });
  if (n > max) throw new S3Error('InvalidArgument', 'Default retention period too large.', { ArgumentName: name, ArgumentValue: text });
  return n;
}

/**
 * Parses an <ObjectLockConfiguration>. Every shape but ObjectLockEnabled=Enabled with an optional
 * rule of a mode and one period is MalformedXML, as S3 answers.
 */
export function parseObjectLockConfiguration(text: string): ObjectLockConfiguration {
  const doc = parseXml(text, 'ObjectLockConfiguration');
  assertElements(doc, ['ObjectLockEnabled', 'Rule'], 'ObjectLockConfiguration');
  if (xmlText(doc, 'ObjectLockEnabled') !== 'Enabled') throw malformed('ObjectLockEnabled must be Enabled');
  const rule = xmlChild(doc, 'Rule');
  if (!rule) return { enabled: true };
  assertElements(rule, ['DefaultRetention'], 'Rule');
  const dr = requiredChild(rule, 'DefaultRetention', 'Rule');
  if ('DefaultEventHold' in dr) throw new S3Error('NotImplemented', 'Object Lock event holds are not supported by s3batch.');
  assertElements(dr, ['Mode', 'Days', 'Years'], 'Rule/DefaultRetention');
  const mode = oneOf(requiredText(dr, 'Mode', 'Rule/DefaultRetention'), Object.values(LockMode), 'Rule/DefaultRetention/Mode');
  const days = xmlText(dr, 'Days');
  const years = xmlText(dr, 'Years');
  if ((days === undefined) === (years === undefined)) throw malformed('DefaultRetention needs either Days or Years');
  const retention: DefaultRetention = days !== undefined ? { mode, days: retentionPeriod(days, 'Days', MAX_RETENTION_DAYS) } : { mode, years: retentionPeriod(years!, 'Years', MAX_RETENTION_YEARS) };
  return { enabled: true, rule: retention };
}

function getObjectLockConfigurationHandler(c: S3Ctx): void {
  const name = bucketOf(c);
  const bucket = getBucket(c.deps.store, name);
  if (!bucket.objectLock) throw new S3Error('ObjectLockConfigurationNotFoundError', undefined, { BucketName: name });
  const rule = getBucketConfig<ObjectLockConfiguration>(c.deps.store, name, BucketConfigKind.ObjectLock)?.rule;
  sendXml(
    c,
    renderXml('ObjectLockConfiguration', {
      ObjectLockEnabled: 'Enabled',
      Rule: rule ? { DefaultRetention: { Mode: rule.mode, Days: rule.days, Years: rule.years } } : undefined,
    }),
  );
}

async function putObjectLockConfigurationHandler(c: S3Ctx): Promise<void> {
  const name = bucketOf(c);
  const store = c.deps.store;
  getBucket(store, name);
  const cfg = parseObjectLockConfiguration(await readVerifiedBody(c, MAX_BODY));
  // A versioned bucket without Object Lock gets it enabled here (S3 allows this since November
  // 2023); an unversioned one is InvalidBucketState. Both writes commit together.
  writeTx(store, () => {
    if (!getBucket(store, name).objectLock) enableBucketObjectLock(store, name);
    putBucketConfig(store, name, BucketConfigKind.ObjectLock, cfg);
  });
  send(c, 200, null, { 'content-length': 0 });
}

// ---------------------------------------------------------------------------------------------
// ACL

function displayNameOf(c: S3Ctx): (canonicalId: string) => string | undefined {
  return (id) => {
    for (const a of c.deps.credentials.accounts.values()) if (a.canonicalId === id) return a.name;
    return undefined;
  };
}

function getBucketAclHandler(c: S3Ctx): void {
  const bucket = getBucket(c.deps.store, bucketOf(c));
  sendXml(c, renderAcl(bucket.acl, ownerIdOf(c, bucket.owner), displayNameOf(c)));
}

const grantHeaderNames = ['x-amz-grant-read', 'x-amz-grant-write', 'x-amz-grant-read-acp', 'x-amz-grant-write-acp', 'x-amz-grant-full-control'];

async function putBucketAclHandler(c: S3Ctx): Promise<void> {
  const name = bucketOf(c);
  const bucket = getBucket(c.deps.store, name);
  const owner = ownerIdOf(c, bucket.owner);
  const knownId = (id: string): boolean => [...c.deps.credentials.accounts.values()].some((a) => a.canonicalId === id);
  const text = await readVerifiedBody(c, MAX_BODY);
  const byHeaders = header(c, 'x-amz-acl') !== undefined || grantHeaderNames.some((h) => header(c, h) !== undefined);
  let acl: Acl | null;
  if (text.trim() !== '') {
    if (byHeaders) throw new S3Error('UnexpectedContent', 'This request does not support content');
    acl = parseAclXml(text, knownId);
  } else if (byHeaders) {
    acl = aclFromHeaders(c, owner, owner);
    for (const g of acl?.grants ?? []) {
      if (g.grantee.type === 'CanonicalUser' && !knownId(g.grantee.id)) throw new S3Error('InvalidArgument', 'Invalid id', { ArgumentName: 'CanonicalUser/ID', ArgumentValue: g.grantee.id });
      if (g.grantee.type === 'AmazonCustomerByEmail') throw new S3Error('NotImplemented', 'Grants to e-mail addresses are not supported by s3batch; grant to a canonical user ID.');
    }
  } else {
    throw new S3Error('MissingSecurityHeader', 'Your request was missing a required header', { MissingHeaderName: 'x-amz-acl' });
  }
  setBucketAcl(c.deps.store, name, acl);
  send(c, 200, null, { 'content-length': 0 });
}

export const bucketConfigHandlers: S3Handlers = {
  GetBucketTagging: getBucketTaggingHandler,
  PutBucketTagging: putBucketTaggingHandler,
  DeleteBucketTagging: deleteBucketTaggingHandler,
  GetBucketEncryption: getBucketEncryptionHandler,
  PutBucketEncryption: putBucketEncryptionHandler,
  DeleteBucketEncryption: deleteBucketEncryptionHandler,
  GetObjectLockConfiguration: getObjectLockConfigurationHandler,
  PutObjectLockConfiguration: putObjectLockConfigurationHandler,
  GetBucketAcl: getBucketAclHandler,
  PutBucketAcl: putBucketAclHandler,
  ...bucketPolicyHandlers,
  ...bucketReplicationHandlers,
  ...bucketInventoryHandlers,
};
