/**
 * CreateJob and PutJobTagging request bodies → typed values (src/jobs/model.ts). Only what the
 * request itself shows is checked here (spec §2.1 "synchronous vs asynchronous validation"):
 * required members, enums, lengths, ARN shapes, exactly-one rules, tags. Whatever needs reading
 * S3 or IAM (manifest ETag, role trust) is the engine's, in Preparing.
 *
 * Idempotency compares requests after parsing: the hash covers the normalised definition,
 * priority and tags, so the CLI's and the SDK's different element orders hash alike.
 */
import { createHash } from 'node:crypto';
import {
  GENERATED_MANIFEST_FORMAT, ManifestField, ManifestFormat, REPORT_FORMAT, ReplicationStatus, ReportScope,
  type JobDefinition, type JobManifest, type JobReport, type ManifestEncryption, type ManifestFilter, type ManifestLocation,
  type ManifestOutputLocation, type ObjectEncryptionFilter, type S3JobManifestGenerator, type Tag,
} from '../../jobs/model.js';
import { badRequest, ControlError } from './errors.js';
import { parseOperation } from './parse-operation.js';
import {
  bool, child, clip, int, memberNode, members, memberText, oneOf, requiredChild, requiredOneOf, requiredStr, str, timestamp, type Node,
} from './xml-read.js';

const values = <T extends Record<string, string>>(o: T): Array<T[keyof T]> => Object.values(o) as Array<T[keyof T]>;

export const MAX_JOB_TAGS = 50;
const ROLE_ARN = /^arn:[^:]+:iam::\d{12}:role\/.+$/;
const ACCOUNT_ID = /^\d{12}$/;
/** Bucket names as S3 accepts them (legacy names may hold upper case and underscores). */
const BUCKET_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{2,254}$/;
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** arn:aws:s3:::bucket → bucket. */
export function bucketOfArn(arn: string, where: string): string {
  const m = /^arn:[^:]+:s3:::([^/]+)$/.exec(arn);
  if (!m || !BUCKET_NAME.test(m[1]!)) throw badRequest(`The value '${clip(arn)}' of ${where} is not a bucket ARN (arn:aws:s3:::bucket-name).`);
  return m[1]!;
}

/** arn:aws:s3:::bucket/key → { bucket, key }. */
export function objectOfArn(arn: string, where: string): { bucket: string; key: string } {
  const m = /^arn:[^:]+:s3:::([^/]+)\/(.+)$/s.exec(arn);
  if (!m || !BUCKET_NAME.test(m[1]!)) throw badRequest(`The value '${clip(arn)}' of ${where} is not an object ARN (arn:aws:s3:::bucket-name/key).`);
  return { bucket: m[1]!, key: m[2]! };
}

function unquoteEtag(e: string): string {
  const t = e.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

function parseLocation(n: Node, path: string): ManifestLocation {
  const objectArn = requiredStr(n, 'ObjectArn', path, { min: 1, max: 2000 });
  const { bucket, key } = objectOfArn(objectArn, `${path}/ObjectArn`);
  const etag = unquoteEtag(requiredStr(n, 'ETag', path, { min: 1, max: 1024 }));
  if (etag === '') throw badRequest(`The element ${path}/ETag must not be empty.`);
  return compact({ objectArn, bucket, key, objectVersionId: str(n, 'ObjectVersionId', path, { min: 1, max: 2000 }), etag });
}

function parseManifest(n: Node): JobManifest {
  const spec = requiredChild(n, 'Spec', 'Manifest');
  const format = requiredOneOf(spec, 'Format', 'Manifest/Spec', values(ManifestFormat));
  const location = parseLocation(requiredChild(n, 'Location', 'Manifest'), 'Manifest/Location');
  if (format === ManifestFormat.Inventory) return { spec: { format }, location };
  const raw = members(spec, 'Fields', 'Manifest/Spec');
  if (raw === undefined || raw.length === 0) throw badRequest('Manifest/Spec/Fields is required for S3BatchOperations_CSV_20180820 manifests: list the columns, e.g. Bucket, Key.');
  const fields = raw.map((m) => {
    const v = memberText(m, 'Manifest/Spec/Fields').trim();
    if (!(values(ManifestField) as string[]).includes(v)) throw badRequest(`The value '${clip(v)}' of Manifest/Spec/Fields is not valid: expected one of Ignore, Bucket, Key, VersionId.`);
    return v as ManifestField;
  });
  for (const f of ['Bucket', 'Key'] as const) if (!fields.includes(f)) throw badRequest(`Manifest/Spec/Fields must include ${f} (got ${fields.join(', ')}).`);
  for (const f of ['Bucket', 'Key', 'VersionId'] as const) if (fields.filter((x) => x === f).length > 1) throw badRequest(`Manifest/Spec/Fields names ${f} more than once.`);
  return { spec: { format, fields }, location };
}

function parseReport(n: Node): JobReport {
  const p = 'Report';
  const enabled = bool(n, 'Enabled', p);
  if (enabled === undefined) throw badRequest('The element Report/Enabled is required.');
  const bucketArn = str(n, 'Bucket', p, { min: 1, max: 128 });
  const report = compact({
    enabled,
    bucketArn,
    bucket: bucketArn !== undefined ? bucketOfArn(bucketArn, 'Report/Bucket') : undefined,
    format: oneOf(n, 'Format', p, [REPORT_FORMAT] as const),
    prefix: str(n, 'Prefix', p, { min: 1, max: 512 }),
    reportScope: oneOf(n, 'ReportScope', p, values(ReportScope)),
    expectedBucketOwner: str(n, 'ExpectedBucketOwner', p, { pattern: ACCOUNT_ID, what: 'a 12-digit account id' }),
  });
  if (enabled) {
    for (const [field, name] of [['bucketArn', 'Bucket'], ['format', 'Format'], ['reportScope', 'ReportScope']] as const) {
      if (report[field] === undefined) throw badRequest(`The element Report/${name} is required when Report/Enabled is true.`);
    }
  }
  return report;
}

function stringList(n: Node, name: string, path: string, exactlyOne: boolean): string[] | undefined {
  const list = members(n, name, path);
  if (list === undefined) return undefined;
  const where = `${path}/${name}`;
  if (exactlyOne && list.length !== 1) throw badRequest(`${where} must hold exactly one string (got ${list.length}).`);
  return list.map((m) => {
    const v = memberText(m, where);
    if (v.length < 1 || v.length > 1024) throw badRequest(`Each member of ${where} must be from 1 to 1024 characters long.`);
    return v;
  });
}

function parseEncryptionFilter(m: unknown, where: string): ObjectEncryptionFilter {
  const n = memberNode(m, where);
  const kinds = Object.keys(n).filter((k) => !k.startsWith('@'));
  if (kinds.length !== 1) throw badRequest(`Each ${where} must name exactly one of SSE-S3, SSE-KMS, DSSE-KMS, SSE-C, NOT-SSE.`);
  const kind = kinds[0]!;
  const body = child(n, kind, where);
  switch (kind) {
    case 'SSE-S3':
    case 'SSE-C':
    case 'NOT-SSE':
      return { kind };
    case 'SSE-KMS':
      return compact({ kind, kmsKeyArn: str(body, 'KmsKeyArn', `${where}/SSE-KMS`, { min: 1, max: 2048 }), bucketKeyEnabled: bool(body, 'BucketKeyEnabled', `${where}/SSE-KMS`) });
    case 'DSSE-KMS':
      return compact({ kind, kmsKeyArn: str(body, 'KmsKeyArn', `${where}/DSSE-KMS`, { min: 1, max: 2048 }) });
    default:
      throw badRequest(`${where}/${kind} is not an object encryption type: expected SSE-S3, SSE-KMS, DSSE-KMS, SSE-C or NOT-SSE.`);
  }
}

function parseFilter(n: Node, p: string): ManifestFilter {
  const knc = child(n, 'KeyNameConstraint', p);
  const kp = `${p}/KeyNameConstraint`;
  const statuses = members(n, 'ObjectReplicationStatuses', p)?.map((m) => {
    const v = memberText(m, `${p}/ObjectReplicationStatuses`).trim();
    if (!(values(ReplicationStatus) as string[]).includes(v)) throw badRequest(`The value '${clip(v)}' of ${p}/ObjectReplicationStatuses is not valid: expected COMPLETED, FAILED, REPLICA or NONE.`);
    return v as ReplicationStatus;
  });
  const classes = members(n, 'MatchAnyStorageClass', p)?.map((m) => {
    const v = memberText(m, `${p}/MatchAnyStorageClass`).trim();
    const ok = ['STANDARD', 'STANDARD_IA', 'ONEZONE_IA', 'GLACIER', 'INTELLIGENT_TIERING', 'DEEP_ARCHIVE', 'GLACIER_IR'];
    if (!ok.includes(v)) throw badRequest(`The value '${clip(v)}' of ${p}/MatchAnyStorageClass is not valid: expected one of ${ok.join(', ')}.`);
    return v;
  });
  // The list's members are <ObjectEncryption> elements (the model's member name), not <member>.
  const encWrap = child(n, 'MatchAnyObjectEncryption', p);
  let encNodes: unknown[] | undefined;
  if (encWrap !== undefined) {
    const o = encWrap.ObjectEncryption ?? encWrap.member;
    encNodes = o === undefined || o === '' ? [] : Array.isArray(o) ? o : [o];
    if (encNodes.length !== 1) throw badRequest(`${p}/MatchAnyObjectEncryption must hold exactly one ObjectEncryption (got ${encNodes.length}).`);
  }
  return compact({
    eligibleForReplication: bool(n, 'EligibleForReplication', p),
    createdAfter: timestamp(n, 'CreatedAfter', p),
    createdBefore: timestamp(n, 'CreatedBefore', p),
    objectReplicationStatuses: statuses,
    keyNameConstraint: knc !== undefined ? compact({
      matchAnyPrefix: stringList(knc, 'MatchAnyPrefix', kp, true),
      matchAnySuffix: stringList(knc, 'MatchAnySuffix', kp, true),
      matchAnySubstring: stringList(knc, 'MatchAnySubstring', kp, true),
    }) : undefined,
    objectSizeGreaterThanBytes: int(n, 'ObjectSizeGreaterThanBytes', p, 0, Number.MAX_SAFE_INTEGER),
    objectSizeLessThanBytes: int(n, 'ObjectSizeLessThanBytes', p, 0, Number.MAX_SAFE_INTEGER),
    matchAnyStorageClass: classes,
    matchAnyObjectEncryption: encNodes?.map((m) => parseEncryptionFilter(m, `${p}/MatchAnyObjectEncryption/ObjectEncryption`)),
  });
}

function parseGenerator(n: Node): S3JobManifestGenerator {
  const present = Object.keys(n).filter((k) => !k.startsWith('@'));
  if (!present.includes('S3JobManifestGenerator') || present.length !== 1) throw badRequest('ManifestGenerator must hold exactly one S3JobManifestGenerator.');
  const p = 'ManifestGenerator/S3JobManifestGenerator';
  const g = child(n, 'S3JobManifestGenerator', 'ManifestGenerator')!;
  const sourceBucketArn = requiredStr(g, 'SourceBucket', p, { min: 1, max: 128 });
  const enableManifestOutput = bool(g, 'EnableManifestOutput', p);
  if (enableManifestOutput === undefined) throw badRequest(`The element ${p}/EnableManifestOutput is required.`);
  const out = child(g, 'ManifestOutputLocation', p);
  if (enableManifestOutput && out === undefined) throw badRequest(`The element ${p}/ManifestOutputLocation is required when EnableManifestOutput is true.`);
  let manifestOutputLocation: ManifestOutputLocation | undefined;
  if (out !== undefined) {
    const op = `${p}/ManifestOutputLocation`;
    const bucketArn = requiredStr(out, 'Bucket', op, { min: 1, max: 128 });
    const encNode = child(out, 'ManifestEncryption', op);
    let manifestEncryption: ManifestEncryption | undefined;
    if (encNode !== undefined) {
      const kms = child(encNode, 'SSE-KMS', `${op}/ManifestEncryption`);
      const s3 = child(encNode, 'SSE-S3', `${op}/ManifestEncryption`);
      if ((kms === undefined) === (s3 === undefined)) throw badRequest(`${op}/ManifestEncryption must hold exactly one of SSE-S3, SSE-KMS.`);
      manifestEncryption = kms !== undefined ? { kind: 'SSE-KMS', keyId: requiredStr(kms, 'KeyId', `${op}/ManifestEncryption/SSE-KMS`, { min: 1, max: 2000 }) } : { kind: 'SSE-S3' };
    }
    manifestOutputLocation = compact({
      expectedManifestBucketOwner: str(out, 'ExpectedManifestBucketOwner', op, { pattern: ACCOUNT_ID, what: 'a 12-digit account id' }),
      bucketArn,
      bucket: bucketOfArn(bucketArn, `${op}/Bucket`),
      manifestPrefix: str(out, 'ManifestPrefix', op, { min: 1, max: 512 }),
      manifestEncryption,
      manifestFormat: requiredOneOf(out, 'ManifestFormat', op, [GENERATED_MANIFEST_FORMAT] as const),
    });
  }
  const filter = child(g, 'Filter', p);
  return compact({
    kind: 'S3JobManifestGenerator' as const,
    expectedBucketOwner: str(g, 'ExpectedBucketOwner', p, { pattern: ACCOUNT_ID, what: 'a 12-digit account id' }),
    sourceBucketArn,
    sourceBucket: bucketOfArn(sourceBucketArn, `${p}/SourceBucket`),
    enableManifestOutput,
    manifestOutputLocation,
    filter: filter !== undefined ? parseFilter(filter, `${p}/Filter`) : undefined,
  });
}

/**
 * Job tags (S3Tag list, spec §2.1/§9): ≤ 50, unique keys, key 1–128 and value 0–256 characters
 * of letters, spaces, digits and `_ . : / = + - @`. `tooMany` is the error for more than 50:
 * BadRequestException in CreateJob, TooManyTagsException in PutJobTagging.
 */
export function parseJobTags(n: Node | undefined, path: string, tooMany: (count: number) => ControlError): Tag[] | undefined {
  const list = members(n, 'Tags', path);
  if (list === undefined) return undefined;
  const where = path === '' ? 'Tags' : `${path}/Tags`;
  if (list.length > MAX_JOB_TAGS) throw tooMany(list.length);
  const seen = new Set<string>();
  return list.map((m) => {
    const t = memberNode(m, where);
    const key = requiredStr(t, 'Key', `${where}/member`, { min: 1, max: 128 });
    const value = str(t, 'Value', `${where}/member`, { max: 256 }) ?? '';
    if (!TAG_CHARS.test(key)) throw badRequest(`The tag key '${clip(key)}' holds characters a tag may not: use letters, digits, spaces and _ . : / = + - @.`);
    if (!TAG_CHARS.test(value)) throw badRequest(`The value of tag '${clip(key)}' holds characters a tag may not: use letters, digits, spaces and _ . : / = + - @.`);
    if (key.toLowerCase().startsWith('aws:')) throw badRequest(`The tag key '${clip(key)}' uses the reserved prefix aws:.`);
    if (seen.has(key)) throw badRequest(`The tag key '${clip(key)}' appears more than once: tag keys must be unique.`);
    seen.add(key);
    return [key, value] as const;
  });
}

export interface ParsedCreateJob {
  readonly definition: JobDefinition;
  readonly priority: number;
  readonly tags: readonly Tag[];
  readonly clientRequestToken: string;
  /** SHA-256 of the normalised request without its token. */
  readonly requestHash: string;
}

/** JSON with sorted keys: the same value always serialises the same way. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The parsed `<CreateJobRequest>` root. */
export function parseCreateJob(root: Node): ParsedCreateJob {
  const clientRequestToken = requiredStr(root, 'ClientRequestToken', '', { min: 1, max: 64 });
  const priority = int(root, 'Priority', '', 0, 2147483647);
  if (priority === undefined) throw badRequest('The element Priority is required: an integer from 0 to 2147483647 (higher runs first).');
  const roleArn = requiredStr(root, 'RoleArn', '', { min: 1, max: 2048, pattern: ROLE_ARN, what: 'an IAM role ARN (arn:aws:iam::123456789012:role/name)' });
  const description = str(root, 'Description', '', { min: 1, max: 256 });
  const confirmationRequired = bool(root, 'ConfirmationRequired', '') ?? true;
  const operation = parseOperation(root);
  const report = parseReport(requiredChild(root, 'Report', ''));
  const manifestNode = child(root, 'Manifest', '');
  const generatorNode = child(root, 'ManifestGenerator', '');
  if ((manifestNode === undefined) === (generatorNode === undefined)) {
    throw badRequest(manifestNode === undefined ? 'A job needs a Manifest or a ManifestGenerator.' : 'A job takes a Manifest or a ManifestGenerator, not both.');
  }
  const tags = parseJobTags(root, '', (n) => badRequest(`A job may have at most ${MAX_JOB_TAGS} tags (got ${n}).`)) ?? [];
  const definition: JobDefinition = compact({
    operation,
    manifest: manifestNode !== undefined ? parseManifest(manifestNode) : undefined,
    manifestGenerator: generatorNode !== undefined ? parseGenerator(generatorNode) : undefined,
    report,
    description,
    roleArn,
    confirmationRequired,
  });
  const requestHash = createHash('sha256').update(canonical({ definition, priority, tags })).digest('hex');
  return { definition, priority, tags, clientRequestToken, requestHash };
}

