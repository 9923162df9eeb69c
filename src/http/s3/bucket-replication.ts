/**
 * Get/Put/DeleteBucketReplication. A configuration is checked as S3 checks one: the source bucket
 * versioned; the Role an IAM role ARN; 1–1,000 rules with unique IDs (≤ 255 characters, generated
 * when absent); the V1 schema (Prefix in the rule, no Priority, no DeleteMarkerReplication) or V2
 * (Filter, with Priority unique and DeleteMarkerReplication required); destinations
 * `arn:aws:s3:::<bucket>`, versioned when the bucket lives on this server (a bucket elsewhere may be
 * a remote endpoint's, so it is not required to exist here). Messages are S3's, as recorded by
 * moto, LocalStack and others that compared against it. The parsed `ReplicationConfiguration`
 * is what the replication worker and Batch Replication read.
 */
import { randomUUID } from 'node:crypto';
import { S3Error } from '../../errors.js';
import { BucketConfigKind, type ReplicationConfiguration, type ReplicationDestination, type ReplicationFilter, type ReplicationRule, type Status } from '../../store/bucket-configs.js';
import { bucketNameProblem, deleteBucketConfig, findBucket, getBucket, getBucketConfig, putBucketConfig } from '../../store/buckets.js';
import type { StorageClass, Tag } from '../../store/types.js';
import { send, sendXml } from '../request.js';
import { parseXml, renderXml, xmlChild, xmlList, xmlText, type ParsedXml, type XmlObject } from '../xml.js';
import { assertElements, malformed, oneOf, parseInteger, parseStatus, requiredChild, requiredText } from './bucket-config-common.js';
import { readVerifiedBody } from './object-headers.js';
import { bucketOf, type S3Ctx, type S3Handlers } from './context.js';
import { MAX_BUCKET_TAGS, validateTags } from '../../store/tags.js';

const MAX_RULES = 1000;
const MAX_RULE_ID = 255;
/** AWS: "The maximum size of a replication configuration is 2 MB." */
const MAX_BODY = 2 * 1024 * 1024;
const REPLICATION_STORAGE_CLASSES: readonly StorageClass[] = ['STANDARD', 'REDUCED_REDUNDANCY', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER', 'DEEP_ARCHIVE', 'GLACIER_IR'];

function invalidRequest(message: string): S3Error {
  return new S3Error('InvalidRequest', message);
}

function invalidArgument(name: string, value: string, message: string): S3Error {
  return new S3Error('InvalidArgument', message, { ArgumentName: name, ArgumentValue: value });
}

function schemaError(field: string, required: boolean): S3Error {
  return invalidRequest(`${field} ${required ? 'must be specified' : 'cannot be used'} for this version of Cross Region Replication configuration schema. Please refer to S3 Developer Guide for more information.`);
}

function parseRole(role: string): string {
  const m = /^arn:aws:iam::(\d{12}|\*):(.*)$/.exec(role);
  if (!m) throw invalidArgument('Role', role, 'Invalid Role specified in replication configuration');
  if (!m[2]!.startsWith('role/') || m[2]!.length === 'role/'.length) throw invalidArgument('Role', role, 'The relative id should start with role');
  return role;
}

function parseTag(el: unknown, where: string): Tag {
  if (typeof el !== 'object' || el === null || Array.isArray(el)) throw malformed(`${where} must hold Key and Value`);
  assertElements(el as ParsedXml, ['Key', 'Value'], where);
  return [requiredText(el, 'Key', where), requiredText(el, 'Value', where)];
}

function checkFilterTags(tags: readonly Tag[]): void {
  const seen = new Set<string>();
  for (const [k] of tags) {
    if (seen.has(k)) throw invalidRequest('Duplicate Tag Keys are not allowed.');
    seen.add(k);
  }
  validateTags(tags, MAX_BUCKET_TAGS);
}

function parseFilter(f: ParsedXml): ReplicationFilter {
  assertElements(f, ['Prefix', 'Tag', 'And'], 'Rule/Filter');
  const members = ['Prefix', 'Tag', 'And'].filter((k) => k in f);
  if (members.length > 1) throw malformed('Rule/Filter must hold one of Prefix, Tag or And');
  if ('Prefix' in f) return { kind: 'prefix', prefix: xmlText(f, 'Prefix')! };
  if ('Tag' in f) {
    const tag = parseTag(xmlChild(f, 'Tag'), 'Rule/Filter/Tag');
    checkFilterTags([tag]);
    return { kind: 'tag', tag };
  }
  if ('And' in f) {
    const and = xmlChild(f, 'And')!;
    assertElements(and, ['Prefix', 'Tag'], 'Rule/Filter/And');
    const prefix = xmlText(and, 'Prefix');
    const tags = xmlList(and.Tag).map((t) => parseTag(t, 'Rule/Filter/And/Tag'));
    if (tags.length + (prefix !== undefined ? 1 : 0) < 2) throw malformed('Rule/Filter/And must combine at least two of Prefix and Tag');
    checkFilterTags(tags);
    return prefix !== undefined ? { kind: 'and', prefix, tags } : { kind: 'and', tags };
  }
  return { kind: 'all' };
}

function parseStatusElement(el: ParsedXml, where: string): Status {
  assertElements(el, ['Status'], where);
  return parseStatus(requiredText(el, 'Status', where), `${where}/Status`);
}

function parseMinutes(el: ParsedXml, where: string): number | undefined {
  assertElements(el, ['Minutes'], where);
  const m = xmlText(el, 'Minutes');
  return m === undefined ? undefined : parseInteger(m, `${where}/Minutes`);
}

function parseDestination(d: ParsedXml, source: string, kmsSelector: boolean): ReplicationDestination {
  const where = 'Rule/Destination';
  assertElements(d, ['Bucket', 'Account', 'StorageClass', 'AccessControlTranslation', 'EncryptionConfiguration', 'ReplicationTime', 'Metrics'], where);
  const arn = requiredText(d, 'Bucket', where);
  const m = /^arn:aws:s3:::(.*)$/.exec(arn);
  if (!m || m[1] === '' || m[1]!.includes('/') || m[1]!.includes(':')) throw invalidArgument('Bucket', arn, 'Invalid bucket ARN');
  if (bucketNameProblem(m[1]!)) throw invalidArgument('Bucket', arn, 'The specified bucket is not valid.');
  if (m[1] === source) throw invalidRequest('Destination bucket cannot be the same as the source bucket.');
  const account = xmlText(d, 'Account');
  const sc = xmlText(d, 'StorageClass');
  const out: { -readonly [K in keyof ReplicationDestination]: ReplicationDestination[K] } = { bucket: arn };
  if (account !== undefined) out.account = account;
  if (sc !== undefined) out.storageClass = oneOf(sc, REPLICATION_STORAGE_CLASSES, `${where}/StorageClass`);
  const act = xmlChild(d, 'AccessControlTranslation');
  if (act) {
    assertElements(act, ['Owner'], `${where}/AccessControlTranslation`);
    oneOf(requiredText(act, 'Owner', `${where}/AccessControlTranslation`), ['Destination'], `${where}/AccessControlTranslation/Owner`);
    if (account === undefined) throw invalidRequest('Account must be specified if the Owner in AccessControlTranslation has a value');
    out.accessControlTranslation = { owner: 'Destination' };
  }
  const enc = xmlChild(d, 'EncryptionConfiguration');
  if (enc) {
    assertElements(enc, ['ReplicaKmsKeyID'], `${where}/EncryptionConfiguration`);
    if (!kmsSelector) throw invalidRequest('SseKmsEncryptedObjects must be specified if EncryptionConfiguration is present.');
    const key = xmlText(enc, 'ReplicaKmsKeyID') ?? '';
    if (key !== '') {
      if (!/^arn:aws:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[^/]+$/.test(key)) throw invalidArgument('ReplicaKmsKeyID', key, 'Invalid ReplicaKmsKeyID ARN.');
      out.encryptionConfiguration = { replicaKmsKeyId: key };
    }
  }
  if (kmsSelector && !out.encryptionConfiguration) throw invalidRequest('ReplicaKmsKeyID must be specified if SseKmsEncryptedObjects tag is present.');
  const metrics = xmlChild(d, 'Metrics');
  let thresholdMinutes: number | undefined;
  if (metrics) {
    assertElements(metrics, ['Status', 'EventThreshold'], `${where}/Metrics`);
    const status = parseStatus(requiredText(metrics, 'Status', `${where}/Metrics`), `${where}/Metrics/Status`);
    const threshold = xmlChild(metrics, 'EventThreshold');
    thresholdMinutes = threshold ? parseMinutes(threshold, `${where}/Metrics/EventThreshold`) : undefined;
    out.metrics = thresholdMinutes !== undefined ? { status, eventThresholdMinutes: thresholdMinutes } : { status };
  }
  const rtc = xmlChild(d, 'ReplicationTime');
  if (rtc) {
    assertElements(rtc, ['Status', 'Time'], `${where}/ReplicationTime`);
    const status = parseStatus(requiredText(rtc, 'Status', `${where}/ReplicationTime`), `${where}/ReplicationTime/Status`);
    const minutes = parseMinutes(requiredChild(rtc, 'Time', `${where}/ReplicationTime`), `${where}/ReplicationTime/Time`);
    if (!metrics) throw invalidRequest('Replication destination must contain both ReplicationTime and Metrics or neither.');
    if (minutes !== 15) throw invalidArgument('ReplicationTime', String(minutes ?? ''), 'Invalid time minute value');
    out.replicationTime = { status, minutes };
  }
  if (out.replicationTime?.status === 'Enabled') {
    if (thresholdMinutes === undefined) throw invalidArgument('ReplicationMetrics', '', 'ReplicationMetrics must contain an event threshold');
    if (thresholdMinutes !== 15) throw invalidArgument('ReplicationMetrics', String(thresholdMinutes), 'Invalid event threshold minute value');
  } else if (thresholdMinutes !== undefined) {
    throw invalidArgument('Metrics', String(thresholdMinutes), 'Metrics cannot contain an event threshold when ReplicationTime is not specified or Disabled');
  }
  return out;
}

/** An ID as S3 generates one for a rule that has none: base64 of a random UUID. */
function generatedRuleId(): string {
  return Buffer.from(randomUUID()).toString('base64');
}

/** Parses and validates a <ReplicationConfiguration> for the bucket `source`. */
export function parseReplicationConfiguration(text: string, source: string): ReplicationConfiguration {
  const doc = parseXml(text, 'ReplicationConfiguration');
  assertElements(doc, ['Role', 'Rule'], 'ReplicationConfiguration');
  const role = parseRole(requiredText(doc, 'Role', 'ReplicationConfiguration'));
  const rawRules = xmlList(doc.Rule);
  if (rawRules.length === 0) throw malformed('ReplicationConfiguration needs at least one Rule');
  if (rawRules.length > MAX_RULES) throw invalidRequest(`Number of defined replication rules cannot exceed ${MAX_RULES}`);
  const rules = rawRules.map((r) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw malformed('Rule must hold elements');
    return r as ParsedXml;
  });
  // One rule without a Filter puts the whole configuration in the V1 schema.
  const legacy = rules.some((r) => !('Filter' in r));
  const ids = new Set<string>();
  const priorities = new Set<number>();
  const out: ReplicationRule[] = [];
  for (const r of rules) {
    assertElements(r, ['ID', 'Priority', 'Prefix', 'Filter', 'Status', 'SourceSelectionCriteria', 'ExistingObjectReplication', 'Destination', 'DeleteMarkerReplication'], 'Rule');
    const status = parseStatus(requiredText(r, 'Status', 'Rule'), 'Rule/Status');
    let filter: ReplicationFilter;
    if ('Filter' in r) {
      if ('Prefix' in r) throw malformed('Rule cannot hold both Prefix and Filter');
      filter = parseFilter(xmlChild(r, 'Filter')!);
    } else {
      const prefix = xmlText(r, 'Prefix');
      if (prefix === undefined) throw malformed('Rule needs a Filter or a Prefix');
      filter = { kind: 'legacy-prefix', prefix };
    }
    if (legacy) {
      if ('Priority' in r) throw schemaError('Priority', false);
      if ('DeleteMarkerReplication' in r) throw schemaError('DeleteMarkerReplication', false);
    } else {
      if (!('Priority' in r)) throw schemaError('Priority', true);
      if (!('DeleteMarkerReplication' in r)) throw schemaError('DeleteMarkerReplication', true);
    }
    const rawId = xmlText(r, 'ID') ?? '';
    if ([...rawId].length > MAX_RULE_ID) throw invalidArgument('ID', rawId, `Rule Id cannot be greater than ${MAX_RULE_ID}`);
    const id = rawId === '' ? generatedRuleId() : rawId;
    if (ids.has(id)) throw invalidArgument('ID', id, 'Rule Id must be unique');
    ids.add(id);
    const rule: { -readonly [K in keyof ReplicationRule]: ReplicationRule[K] } = { id, status, filter, destination: { bucket: '' } };
    const rawPriority = xmlText(r, 'Priority');
    if (rawPriority !== undefined) {
      const p = parseInteger(rawPriority, 'Rule/Priority', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
      if (p < 0 || p > 2147483647) throw invalidRequest('Priority must be between 0 and 2147483647.');
      if (priorities.has(p)) throw invalidRequest(`Found duplicate priority ${p}.`);
      priorities.add(p);
      rule.priority = p;
    }
    const dmr = xmlChild(r, 'DeleteMarkerReplication');
    if (dmr) {
      rule.deleteMarkerReplication = parseStatusElement(dmr, 'Rule/DeleteMarkerReplication');
      const tagged = filter.kind === 'tag' || (filter.kind === 'and' && filter.tags.length > 0);
      if (rule.deleteMarkerReplication === 'Enabled' && tagged) {
        throw invalidRequest('Delete marker replication is not supported if any Tag filter is specified. Please refer to S3 Developer Guide for more information.');
      }
    }
    const ssc = xmlChild(r, 'SourceSelectionCriteria');
    if (ssc) {
      assertElements(ssc, ['SseKmsEncryptedObjects', 'ReplicaModifications'], 'Rule/SourceSelectionCriteria');
      const kms = xmlChild(ssc, 'SseKmsEncryptedObjects');
      const mods = xmlChild(ssc, 'ReplicaModifications');
      if (!kms && !mods) throw invalidRequest('SourceSelectionCriteria cannot be empty.');
      rule.sourceSelectionCriteria = {
        ...(kms ? { sseKmsEncryptedObjects: parseStatusElement(kms, 'Rule/SourceSelectionCriteria/SseKmsEncryptedObjects') } : {}),
        ...(mods ? { replicaModifications: parseStatusElement(mods, 'Rule/SourceSelectionCriteria/ReplicaModifications') } : {}),
      };
    }
    const eor = xmlChild(r, 'ExistingObjectReplication');
    if (eor) rule.existingObjectReplication = parseStatusElement(eor, 'Rule/ExistingObjectReplication');
    rule.destination = parseDestination(requiredChild(r, 'Destination', 'Rule'), source, rule.sourceSelectionCriteria?.sseKmsEncryptedObjects !== undefined);
    out.push(rule);
  }
  if (legacy) {
    // V1 rules select by prefix alone, so two prefixes where one starts the other would both claim an object.
    const prefixes = out.map((r) => (r.filter.kind === 'legacy-prefix' || r.filter.kind === 'prefix' ? r.filter.prefix : ''));
    for (let i = 0; i < prefixes.length; i++) {
      for (let j = 0; j < i; j++) {
        const a = prefixes[j]!;
        const b = prefixes[i]!;
        if (a.startsWith(b) || b.startsWith(a)) throw invalidRequest(`Found overlapping prefixes '${a}' and '${b}'`);
      }
    }
  }
  return { role, rules: out };
}

function renderFilter(f: ReplicationFilter): XmlObject {
  switch (f.kind) {
    case 'legacy-prefix':
      return { Prefix: f.prefix };
    case 'all':
      return { Filter: {} };
    case 'prefix':
      return { Filter: { Prefix: f.prefix } };
    case 'tag':
      return { Filter: { Tag: { Key: f.tag[0], Value: f.tag[1] } } };
    case 'and':
      return { Filter: { And: { Prefix: f.prefix, Tag: f.tags.map(([Key, Value]) => ({ Key, Value })) } } };
    default: {
      const never: never = f;
      return never;
    }
  }
}

function renderDestination(d: ReplicationDestination): XmlObject {
  return {
    Bucket: d.bucket,
    Account: d.account,
    StorageClass: d.storageClass,
    AccessControlTranslation: d.accessControlTranslation ? { Owner: d.accessControlTranslation.owner } : undefined,
    EncryptionConfiguration: d.encryptionConfiguration ? { ReplicaKmsKeyID: d.encryptionConfiguration.replicaKmsKeyId } : undefined,
    ReplicationTime: d.replicationTime ? { Status: d.replicationTime.status, Time: { Minutes: d.replicationTime.minutes } } : undefined,
    Metrics: d.metrics
      ? { Status: d.metrics.status, EventThreshold: d.metrics.eventThresholdMinutes !== undefined ? { Minutes: d.metrics.eventThresholdMinutes } : undefined }
      : undefined,
  };
}

/** The elements the client sent, in the order of AWS's GetBucketReplication example. */
export function renderReplicationConfiguration(cfg: ReplicationConfiguration): string {
  return renderXml('ReplicationConfiguration', {
    Role: cfg.role,
    Rule: cfg.rules.map((r) => ({
      ID: r.id,
      Status: r.status,
      Priority: r.priority,
      DeleteMarkerReplication: r.deleteMarkerReplication ? { Status: r.deleteMarkerReplication } : undefined,
      ...renderFilter(r.filter),
      SourceSelectionCriteria: r.sourceSelectionCriteria
        ? {
            SseKmsEncryptedObjects: r.sourceSelectionCriteria.sseKmsEncryptedObjects ? { Status: r.sourceSelectionCriteria.sseKmsEncryptedObjects } : undefined,
            ReplicaModifications: r.sourceSelectionCriteria.replicaModifications ? { Status: r.sourceSelectionCriteria.replicaModifications } : undefined,
          }
        : undefined,
      ExistingObjectReplication: r.existingObjectReplication ? { Status: r.existingObjectReplication } : undefined,
      Destination: renderDestination(r.destination),
    })),
  });
}

async function putBucketReplicationHandler(c: S3Ctx): Promise<void> {
  const name = bucketOf(c);
  const bucket = getBucket(c.deps.store, name);
  const text = await readVerifiedBody(c, MAX_BODY);
  if (bucket.versioning !== 'Enabled') {
    throw new S3Error('InvalidRequest', 'Versioning must be \'Enabled\' on the bucket to apply a replication configuration', { BucketName: name });
  }
  const cfg = parseReplicationConfiguration(text, name);
  c.authorize({ roleArn: cfg.role });
  for (const dest of new Set(cfg.rules.map((r) => r.destination.bucket.slice('arn:aws:s3:::'.length)))) {
    const d = findBucket(c.deps.store, dest);
    if (d && d.versioning !== 'Enabled') throw new S3Error('InvalidRequest', 'Destination bucket must have versioning enabled.');
  }
  putBucketConfig(c.deps.store, name, BucketConfigKind.Replication, cfg);
  send(c, 200, null, { 'content-length': 0 });
}

function getBucketReplicationHandler(c: S3Ctx): void {
  const name = bucketOf(c);
  getBucket(c.deps.store, name);
  const cfg = getBucketConfig<ReplicationConfiguration>(c.deps.store, name, BucketConfigKind.Replication);
  if (!cfg) throw new S3Error('ReplicationConfigurationNotFoundError', undefined, { BucketName: name });
  sendXml(c, renderReplicationConfiguration(cfg));
}

function deleteBucketReplicationHandler(c: S3Ctx): void {
  deleteBucketConfig(c.deps.store, bucketOf(c), BucketConfigKind.Replication);
  send(c, 204, null);
}

export const bucketReplicationHandlers: S3Handlers = {
  GetBucketReplication: getBucketReplicationHandler,
  PutBucketReplication: putBucketReplicationHandler,
  DeleteBucketReplication: deleteBucketReplicationHandler,
};
