/**
 * The one catalog of what each S3 operation asks of IAM: the action(s), the resource ARN each
 * applies to, and the condition keys the request carries for each action. The S3 front authorizes
 * every request with it, the job engine every batch task (as the job's role), and the console's
 * policy templates and SimulatePrincipalPolicy read their action lists from it.
 *
 * Sources, checked operation by operation:
 * - the Service Authorization Reference for Amazon S3 ("Actions, resources, and condition keys for
 *   Amazon S3", service-authorization/latest/reference/list_amazons3.html): which condition keys
 *   each action supports (`actionConditionKeys` below is that table, for the actions used here),
 *   resource ARN formats, and its "API operations" table (e.g. CopyObject → s3:GetObject |
 *   s3:GetObjectVersion, s3:PutObject, s3:PutObjectAcl, s3:PutObjectTagging,
 *   s3:PutObjectRetention, s3:PutObjectLegalHold);
 * - the "Permissions" section of each S3 API operation (e.g. CreateBucket: x-amz-acl other than
 *   `private` or x-amz-grant-* → also s3:PutBucketAcl; x-amz-bucket-object-lock-enabled: true →
 *   s3:PutBucketObjectLockConfiguration and s3:PutBucketVersioning; x-amz-object-ownership →
 *   s3:PutBucketOwnershipControls. GetObjectAttributes: s3:GetObject AND s3:GetObjectAttributes,
 *   or with versionId s3:GetObjectVersion AND s3:GetObjectVersionAttributes. DeleteBucketTagging →
 *   s3:PutBucketTagging, DeleteBucketEncryption → s3:PutEncryptionConfiguration, …).
 *
 * A request asks for every permission in the list (AND). Keys the catalog cannot know are the
 * caller's to add: the object's own tags (`needsExistingObjectTags` → `withExistingObjectTags`),
 * s3:ResourceAccount, s3:TlsVersion and the global aws:* keys (aws:SourceIp, aws:SecureTransport,
 * aws:CurrentTime…). Values S3 reads from a request body (a TagSet, a Retention document, the keys
 * of a DeleteObjects request, a job's Priority) come in `CatalogRequest.body`, parsed by the
 * handler before it authorizes.
 *
 * The operation names are AWS's (the http front's `S3Operation` union plus the S3 Control job
 * operations); they are restated here because domain modules do not import `http/`. A unit test
 * proves the two unions equal.
 */
import type { Tag } from '../store/types.js';

// ---------------------------------------------------------------------------------------------
// Operations

export const S3DataOperations = [
  'ListBuckets', 'CreateBucket', 'DeleteBucket', 'HeadBucket', 'GetBucketLocation',
  'GetBucketVersioning', 'PutBucketVersioning',
  'GetBucketTagging', 'PutBucketTagging', 'DeleteBucketTagging',
  'GetBucketPolicy', 'PutBucketPolicy', 'DeleteBucketPolicy',
  'GetBucketReplication', 'PutBucketReplication', 'DeleteBucketReplication',
  'GetBucketInventoryConfiguration', 'PutBucketInventoryConfiguration', 'DeleteBucketInventoryConfiguration', 'ListBucketInventoryConfigurations',
  'GetBucketEncryption', 'PutBucketEncryption', 'DeleteBucketEncryption',
  'GetObjectLockConfiguration', 'PutObjectLockConfiguration',
  'GetBucketAcl', 'PutBucketAcl',
  'ListObjects', 'ListObjectsV2', 'ListObjectVersions', 'ListMultipartUploads',
  'DeleteObjects',
  'GetObject', 'HeadObject', 'PutObject', 'CopyObject', 'DeleteObject',
  'GetObjectTagging', 'PutObjectTagging', 'DeleteObjectTagging',
  'GetObjectAcl', 'PutObjectAcl',
  'GetObjectRetention', 'PutObjectRetention', 'GetObjectLegalHold', 'PutObjectLegalHold',
  'GetObjectAttributes', 'RestoreObject',
  'CreateMultipartUpload', 'UploadPart', 'UploadPartCopy', 'CompleteMultipartUpload', 'AbortMultipartUpload', 'ListParts',
] as const;
export type S3DataOperation = (typeof S3DataOperations)[number];

export const S3JobOperations = ['CreateJob', 'DescribeJob', 'ListJobs', 'UpdateJobPriority', 'UpdateJobStatus', 'GetJobTagging', 'PutJobTagging', 'DeleteJobTagging'] as const;
export type S3JobOperation = (typeof S3JobOperations)[number];

export type CatalogOperation = S3DataOperation | S3JobOperation;

// ---------------------------------------------------------------------------------------------
// Condition keys per action (Service Authorization Reference). Lower-cased, as the evaluator looks
// them up. Keys ending in '/' are families (s3:existingobjecttag/<key>, aws:requesttag/<key>).
// Every s3: action also takes COMMON_S3_KEYS.

const ACL_KEYS = ['s3:x-amz-acl', 's3:x-amz-grant-full-control', 's3:x-amz-grant-read', 's3:x-amz-grant-read-acp', 's3:x-amz-grant-write', 's3:x-amz-grant-write-acp'] as const;
const EXISTING_TAG = 's3:existingobjecttag/';
const REQUEST_TAG_KEYS = ['s3:requestobjecttag/', 's3:requestobjecttagkeys'] as const;
const LOCK_KEYS = ['s3:object-lock-mode', 's3:object-lock-retain-until-date', 's3:object-lock-remaining-retention-days'] as const;
const WRITE_KEYS = [
  ...ACL_KEYS, ...REQUEST_TAG_KEYS, 's3:x-amz-copy-source', 's3:x-amz-metadata-directive', 's3:x-amz-server-side-encryption',
  's3:x-amz-server-side-encryption-aws-kms-key-id', 's3:x-amz-server-side-encryption-customer-algorithm', 's3:x-amz-storage-class',
  's3:x-amz-website-redirect-location',
] as const;
const JOB_EXISTING = ['s3:existingjoboperation', 's3:existingjobpriority', 'aws:resourcetag/'] as const;

/** Keys every s3: action supports; the catalog fills those it can derive from the request. */
export const COMMON_S3_KEYS = ['s3:authtype', 's3:signatureversion', 's3:signatureage', 's3:x-amz-content-sha256', 's3:resourceaccount', 's3:tlsversion'] as const;

/**
 * Global keys (IAM User Guide, "AWS global condition context keys") that every action carries when
 * the request has them, and that the catalog derives from the request itself: aws:Referer and
 * aws:UserAgent from their headers (the S3 User Guide's "restricting access to a specific HTTP
 * referer" bucket policy reads the first), and aws:ResourceAccount — the same value as
 * s3:ResourceAccount, which the caller adds (`withContext`).
 */
export const GLOBAL_REQUEST_KEYS = ['aws:referer', 'aws:useragent', 'aws:resourceaccount'] as const;

export const actionConditionKeys = {
  's3:ListAllMyBuckets': [],
  's3:CreateBucket': [...ACL_KEYS, 's3:locationconstraint', 's3:x-amz-object-ownership', 'aws:requesttag/', 'aws:tagkeys'],
  's3:DeleteBucket': [],
  's3:ListBucket': ['s3:prefix', 's3:delimiter', 's3:max-keys'],
  's3:ListBucketVersions': ['s3:prefix', 's3:delimiter', 's3:max-keys'],
  's3:ListBucketMultipartUploads': [],
  's3:GetBucketLocation': [],
  's3:GetBucketVersioning': [],
  's3:PutBucketVersioning': [],
  's3:GetBucketTagging': [],
  's3:PutBucketTagging': [],
  's3:GetBucketPolicy': [],
  's3:PutBucketPolicy': [],
  's3:DeleteBucketPolicy': [],
  's3:GetReplicationConfiguration': [],
  's3:PutReplicationConfiguration': [],
  's3:GetInventoryConfiguration': [],
  's3:PutInventoryConfiguration': ['s3:inventoryaccessibleoptionalfields'],
  's3:GetEncryptionConfiguration': [],
  's3:PutEncryptionConfiguration': [],
  's3:GetBucketObjectLockConfiguration': [],
  's3:PutBucketObjectLockConfiguration': [],
  's3:GetBucketAcl': [],
  's3:PutBucketAcl': [...ACL_KEYS],
  's3:PutBucketOwnershipControls': [],
  's3:GetObject': [EXISTING_TAG],
  's3:GetObjectVersion': [EXISTING_TAG, 's3:versionid'],
  's3:PutObject': [...WRITE_KEYS, ...LOCK_KEYS, 's3:object-lock-legal-hold', 's3:if-match', 's3:if-none-match'],
  's3:DeleteObject': ['s3:if-match'],
  's3:DeleteObjectVersion': ['s3:versionid'],
  's3:GetObjectTagging': [EXISTING_TAG],
  's3:GetObjectVersionTagging': [EXISTING_TAG, 's3:versionid'],
  's3:PutObjectTagging': [EXISTING_TAG, ...REQUEST_TAG_KEYS],
  's3:PutObjectVersionTagging': [EXISTING_TAG, ...REQUEST_TAG_KEYS, 's3:versionid'],
  's3:DeleteObjectTagging': [EXISTING_TAG],
  's3:DeleteObjectVersionTagging': [EXISTING_TAG, 's3:versionid'],
  's3:GetObjectAcl': [EXISTING_TAG],
  's3:GetObjectVersionAcl': [EXISTING_TAG, 's3:versionid'],
  's3:PutObjectAcl': [EXISTING_TAG, ...ACL_KEYS, 's3:x-amz-storage-class'],
  's3:PutObjectVersionAcl': [EXISTING_TAG, ...ACL_KEYS, 's3:x-amz-storage-class', 's3:versionid'],
  's3:GetObjectRetention': [],
  's3:PutObjectRetention': [...LOCK_KEYS],
  's3:GetObjectLegalHold': [],
  's3:PutObjectLegalHold': ['s3:object-lock-legal-hold'],
  's3:BypassGovernanceRetention': [...WRITE_KEYS],
  's3:GetObjectAttributes': [EXISTING_TAG],
  's3:GetObjectVersionAttributes': [EXISTING_TAG, 's3:versionid'],
  's3:RestoreObject': [],
  's3:AbortMultipartUpload': [],
  's3:ListMultipartUploadParts': [],
  's3:CreateJob': ['s3:requestjobpriority', 's3:requestjoboperation', 'aws:requesttag/', 'aws:tagkeys'],
  's3:DescribeJob': ['aws:resourcetag/'],
  's3:ListJobs': [],
  's3:UpdateJobPriority': [...JOB_EXISTING, 's3:requestjobpriority'],
  's3:UpdateJobStatus': [...JOB_EXISTING, 's3:jobsuspendedcause'],
  's3:GetJobTagging': ['aws:resourcetag/'],
  's3:PutJobTagging': [...JOB_EXISTING, 'aws:requesttag/', 'aws:tagkeys'],
  's3:DeleteJobTagging': [...JOB_EXISTING],
  'iam:PassRole': ['iam:passedtoservice', 'iam:associatedresourcearn'],
} as const satisfies Record<string, readonly string[]>;
export type CatalogAction = keyof typeof actionConditionKeys;

/** Every action the catalog can require (the S3 actions s3batch enforces), for the console's policy templates. */
export const allS3Actions: readonly CatalogAction[] = Object.freeze(
  (Object.keys(actionConditionKeys) as CatalogAction[]).filter((a) => a.startsWith('s3:')).sort(),
);
/** The S3 Batch Operations job actions (resource `arn:aws:s3:<region>:<account>:job/<id>`, or `*` for CreateJob/ListJobs). */
export const s3JobActions: readonly CatalogAction[] = Object.freeze(S3JobOperations.map((op) => `s3:${op}` as CatalogAction));

/** The service a batch job's role is passed to, and the one replication's role is passed to. */
export const BATCH_OPERATIONS_SERVICE = 'batchoperations.s3.amazonaws.com';
export const S3_SERVICE = 's3.amazonaws.com';

/** Does `action` support condition key `key` (lower-case)? Families match by prefix. */
export function actionSupportsKey(action: CatalogAction, key: string): boolean {
  const keys: readonly string[] = actionConditionKeys[action];
  if (keys.includes(key)) return true;
  for (const k of keys) if (k.endsWith('/') && key.startsWith(k)) return true;
  if ((GLOBAL_REQUEST_KEYS as readonly string[]).includes(key)) return true;
  return action.startsWith('s3:') && (COMMON_S3_KEYS as readonly string[]).includes(key);
}

// ---------------------------------------------------------------------------------------------
// The table

/** What the primary ARN names: `*` (account), a bucket, an object, or a batch job. */
type ResourceKind = 'account' | 'bucket' | 'object' | 'job';

/**
 * Permissions a request's headers add: `objectTagging` (x-amz-tagging → s3:PutObjectTagging),
 * `objectAcl` / `bucketAcl` (x-amz-acl other than private, or any x-amz-grant-*),
 * `objectLock` (x-amz-object-lock-mode / -retain-until-date → s3:PutObjectRetention,
 * x-amz-object-lock-legal-hold → s3:PutObjectLegalHold), `bypassGovernance`
 * (x-amz-bypass-governance-retention: true → s3:BypassGovernanceRetention), `bucketObjectLock`
 * (x-amz-bucket-object-lock-enabled: true), `bucketOwnership` (x-amz-object-ownership).
 */
type Extra = 'objectTagging' | 'objectAcl' | 'objectLock' | 'bypassGovernance' | 'bucketAcl' | 'bucketObjectLock' | 'bucketOwnership';

export interface OperationSpec {
  readonly resource: ResourceKind;
  /** The action, and the one asked instead when the request names a version (?versionId=). */
  readonly action: CatalogAction;
  readonly versionAction?: CatalogAction;
  /** Further actions on the same resource, always asked (GetObjectAttributes needs two). */
  readonly also?: readonly CatalogAction[];
  readonly versionAlso?: readonly CatalogAction[];
  readonly extras?: readonly Extra[];
  /** CopyObject / UploadPartCopy: s3:GetObject (s3:GetObjectVersion with a source versionId) on the copy source. */
  readonly copySource?: true;
  /** DeleteObjects: s3:DeleteObject (s3:DeleteObjectVersion) for each key of the body, authorized one by one. */
  readonly perKey?: true;
  /** iam:PassRole on the role the body names, passed to this service. */
  readonly passRoleTo?: string;
  /** Only identities of the bucket owner's account may call it: others get 405 MethodNotAllowed even when allowed. */
  readonly ownerAccountOnly?: true;
}

const objectRead = (action: CatalogAction, versionAction: CatalogAction): OperationSpec => ({ resource: 'object', action, versionAction });
const bucket = (action: CatalogAction, more: Partial<OperationSpec> = {}): OperationSpec => ({ resource: 'bucket', action, ...more });
const job = (action: CatalogAction): OperationSpec => ({ resource: 'job', action });
const objectWrite: OperationSpec = { resource: 'object', action: 's3:PutObject', extras: ['objectTagging', 'objectAcl', 'objectLock'] };

export const s3Catalog = {
  ListBuckets: { resource: 'account', action: 's3:ListAllMyBuckets' },
  CreateBucket: bucket('s3:CreateBucket', { extras: ['bucketAcl', 'bucketObjectLock', 'bucketOwnership'] }),
  DeleteBucket: bucket('s3:DeleteBucket'),
  HeadBucket: bucket('s3:ListBucket'),
  GetBucketLocation: bucket('s3:GetBucketLocation'),
  GetBucketVersioning: bucket('s3:GetBucketVersioning'),
  PutBucketVersioning: bucket('s3:PutBucketVersioning'),
  GetBucketTagging: bucket('s3:GetBucketTagging'),
  PutBucketTagging: bucket('s3:PutBucketTagging'),
  DeleteBucketTagging: bucket('s3:PutBucketTagging'),
  GetBucketPolicy: bucket('s3:GetBucketPolicy', { ownerAccountOnly: true }),
  PutBucketPolicy: bucket('s3:PutBucketPolicy', { ownerAccountOnly: true }),
  DeleteBucketPolicy: bucket('s3:DeleteBucketPolicy', { ownerAccountOnly: true }),
  GetBucketReplication: bucket('s3:GetReplicationConfiguration'),
  PutBucketReplication: bucket('s3:PutReplicationConfiguration', { passRoleTo: S3_SERVICE }),
  DeleteBucketReplication: bucket('s3:PutReplicationConfiguration'),
  GetBucketInventoryConfiguration: bucket('s3:GetInventoryConfiguration'),
  PutBucketInventoryConfiguration: bucket('s3:PutInventoryConfiguration'),
  DeleteBucketInventoryConfiguration: bucket('s3:PutInventoryConfiguration'),
  ListBucketInventoryConfigurations: bucket('s3:GetInventoryConfiguration'),
  GetBucketEncryption: bucket('s3:GetEncryptionConfiguration'),
  PutBucketEncryption: bucket('s3:PutEncryptionConfiguration'),
  DeleteBucketEncryption: bucket('s3:PutEncryptionConfiguration'),
  GetObjectLockConfiguration: bucket('s3:GetBucketObjectLockConfiguration'),
  PutObjectLockConfiguration: bucket('s3:PutBucketObjectLockConfiguration'),
  GetBucketAcl: bucket('s3:GetBucketAcl'),
  PutBucketAcl: bucket('s3:PutBucketAcl'),
  ListObjects: bucket('s3:ListBucket'),
  ListObjectsV2: bucket('s3:ListBucket'),
  ListObjectVersions: bucket('s3:ListBucketVersions'),
  ListMultipartUploads: bucket('s3:ListBucketMultipartUploads'),
  DeleteObjects: { resource: 'object', action: 's3:DeleteObject', versionAction: 's3:DeleteObjectVersion', extras: ['bypassGovernance'], perKey: true },
  GetObject: objectRead('s3:GetObject', 's3:GetObjectVersion'),
  HeadObject: objectRead('s3:GetObject', 's3:GetObjectVersion'),
  PutObject: objectWrite,
  CopyObject: { ...objectWrite, copySource: true },
  DeleteObject: { resource: 'object', action: 's3:DeleteObject', versionAction: 's3:DeleteObjectVersion', extras: ['bypassGovernance'] },
  GetObjectTagging: objectRead('s3:GetObjectTagging', 's3:GetObjectVersionTagging'),
  PutObjectTagging: objectRead('s3:PutObjectTagging', 's3:PutObjectVersionTagging'),
  DeleteObjectTagging: objectRead('s3:DeleteObjectTagging', 's3:DeleteObjectVersionTagging'),
  GetObjectAcl: objectRead('s3:GetObjectAcl', 's3:GetObjectVersionAcl'),
  PutObjectAcl: objectRead('s3:PutObjectAcl', 's3:PutObjectVersionAcl'),
  GetObjectRetention: { resource: 'object', action: 's3:GetObjectRetention' },
  PutObjectRetention: { resource: 'object', action: 's3:PutObjectRetention', extras: ['bypassGovernance'] },
  GetObjectLegalHold: { resource: 'object', action: 's3:GetObjectLegalHold' },
  PutObjectLegalHold: { resource: 'object', action: 's3:PutObjectLegalHold' },
  GetObjectAttributes: {
    resource: 'object', action: 's3:GetObject', also: ['s3:GetObjectAttributes'],
    versionAction: 's3:GetObjectVersion', versionAlso: ['s3:GetObjectVersionAttributes'],
  },
  RestoreObject: { resource: 'object', action: 's3:RestoreObject' },
  CreateMultipartUpload: objectWrite,
  UploadPart: { resource: 'object', action: 's3:PutObject' },
  UploadPartCopy: { resource: 'object', action: 's3:PutObject', copySource: true },
  CompleteMultipartUpload: { resource: 'object', action: 's3:PutObject' },
  AbortMultipartUpload: { resource: 'object', action: 's3:AbortMultipartUpload' },
  ListParts: { resource: 'object', action: 's3:ListMultipartUploadParts' },
  CreateJob: { resource: 'account', action: 's3:CreateJob', passRoleTo: BATCH_OPERATIONS_SERVICE },
  DescribeJob: job('s3:DescribeJob'),
  ListJobs: { resource: 'account', action: 's3:ListJobs' },
  UpdateJobPriority: job('s3:UpdateJobPriority'),
  UpdateJobStatus: job('s3:UpdateJobStatus'),
  GetJobTagging: job('s3:GetJobTagging'),
  PutJobTagging: job('s3:PutJobTagging'),
  DeleteJobTagging: job('s3:DeleteJobTagging'),
} as const satisfies Record<CatalogOperation, OperationSpec>;

export const catalogOperations: readonly CatalogOperation[] = Object.freeze(Object.keys(s3Catalog) as CatalogOperation[]);

const extraActions: Record<Extra, readonly CatalogAction[]> = {
  objectTagging: ['s3:PutObjectTagging'],
  objectAcl: ['s3:PutObjectAcl'],
  objectLock: ['s3:PutObjectRetention', 's3:PutObjectLegalHold'],
  bypassGovernance: ['s3:BypassGovernanceRetention'],
  bucketAcl: ['s3:PutBucketAcl'],
  bucketObjectLock: ['s3:PutBucketObjectLockConfiguration', 's3:PutBucketVersioning'],
  bucketOwnership: ['s3:PutBucketOwnershipControls'],
};

/** Every action an operation may require, whatever the request carries (for templates and docs). */
export function actionsOf(op: CatalogOperation): readonly CatalogAction[] {
  const s: OperationSpec = s3Catalog[op];
  const out = new Set<CatalogAction>([s.action]);
  for (const a of s.also ?? []) out.add(a);
  if (s.versionAction) out.add(s.versionAction);
  for (const a of s.versionAlso ?? []) out.add(a);
  if (s.copySource) out.add('s3:GetObject').add('s3:GetObjectVersion');
  for (const e of s.extras ?? []) for (const a of extraActions[e]) out.add(a);
  if (s.passRoleTo) out.add('iam:PassRole');
  return [...out];
}

// ---------------------------------------------------------------------------------------------
// Requests and permissions

export type ContextValue = string | readonly string[];

/** Values S3 reads from a request body; the handler parses the body and passes them before it authorizes. */
export interface RequestBodyFacts {
  /** PutObjectTagging's TagSet (→ s3:RequestObjectTag/<k>), CreateJob's / PutJobTagging's tags (→ aws:RequestTag/<k>). */
  readonly tags?: readonly Tag[];
  /** PutObjectRetention's <Retention>. */
  readonly retention?: { readonly mode?: string; readonly retainUntilDate?: string };
  /** PutObjectLegalHold's <Status>: ON | OFF. */
  readonly legalHold?: string;
  /** DeleteObjects: the <Object> entries, in request order (required for DeleteObjects). */
  readonly objects?: readonly { readonly key: string; readonly versionId?: string }[];
  /** CreateBucket: CreateBucketConfiguration/LocationConstraint. */
  readonly locationConstraint?: string;
  /** PutBucketInventoryConfiguration: OptionalFields/Field values. */
  readonly inventoryOptionalFields?: readonly string[];
  /** CreateJob: Priority, and the operation's element name (S3PutObjectCopy, S3PutObjectTagging, LambdaInvoke…). */
  readonly jobPriority?: number;
  readonly jobOperation?: string;
  /** CreateJob's RoleArn, PutBucketReplication's <Role> (required for those two). */
  readonly roleArn?: string;
}

/** The job an S3 Control request names, as stored (for s3:Existing* and aws:ResourceTag/* keys). */
export interface ExistingJobFacts {
  readonly priority: number;
  readonly operation: string;
  /** e.g. AWAITING_CONFIRMATION, for a Suspended job. */
  readonly suspendedCause?: string;
  readonly tags?: readonly Tag[];
}

export interface CatalogRequest {
  readonly bucket?: string;
  readonly key?: string;
  readonly query: URLSearchParams;
  /** Lower-case header names, as node gives them. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** CopyObject / UploadPartCopy: x-amz-copy-source, decoded. */
  readonly copySource?: { readonly bucket: string; readonly key: string; readonly versionId?: string };
  readonly region: string;
  /** The account whose jobs an S3 Control request addresses (x-amz-account-id). */
  readonly accountId: string;
  /** S3 Control: the job id in the path. */
  readonly jobId?: string;
  readonly job?: ExistingJobFacts;
  readonly body?: RequestBodyFacts;
  /** ms since the epoch: enables s3:object-lock-remaining-retention-days and s3:signatureAge. */
  readonly now?: number;
}

export interface Permission {
  readonly action: CatalogAction;
  /** The resource ARN, or '*'. */
  readonly resource: string;
  /** Condition keys (lower-case) this action supports that the request supplies. */
  readonly context: ReadonlyMap<string, ContextValue>;
  /** The action supports s3:ExistingObjectTag/<k>: add the object's tags (`withExistingObjectTags`). */
  readonly needsExistingObjectTags?: boolean;
  /** Which bucket (and object) the ARN names: whose policy, ACL and tags apply. */
  readonly bucket?: string;
  readonly key?: string;
  readonly versionId?: string;
  /** DeleteObjects: index into `body.objects` of the key this permission is for. */
  readonly item?: number;
  /** Which ACL can grant this action (AWS's ACL-to-action mapping), when one can. */
  readonly aclScope?: 'bucket' | 'object';
  /** Only identities of the bucket owner's account may call (405 MethodNotAllowed for others, after authorization). */
  readonly ownerAccountOnly?: boolean;
}

/** Actions an ACL grant can allow (Amazon S3 User Guide, "Mapping of ACL permissions and access policy permissions"). */
const bucketAclActions: ReadonlySet<string> = new Set(['s3:ListBucket', 's3:ListBucketVersions', 's3:ListBucketMultipartUploads', 's3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:GetBucketAcl', 's3:PutBucketAcl']);
const objectAclActions: ReadonlySet<string> = new Set(['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectAcl', 's3:GetObjectVersionAcl', 's3:PutObjectAcl', 's3:PutObjectVersionAcl']);

function headerOf(req: CatalogRequest, name: string): string | undefined {
  const v = req.headers[name];
  return v === undefined ? undefined : typeof v === 'string' ? v : v.join(',');
}

function decodeLoose(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s; // the handler refuses a malformed header; authorization sees it raw
  }
}

/** x-amz-tagging: `k1=v1&k2=v2` (URL-encoded). */
function tagsOfHeader(value: string): Tag[] {
  const out: Tag[] = [];
  for (const part of value.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    out.push(eq >= 0 ? [decodeLoose(part.slice(0, eq)), decodeLoose(part.slice(eq + 1))] : [decodeLoose(part), '']);
  }
  return out;
}

function addTags(keys: Map<string, ContextValue>, tags: readonly Tag[]): void {
  for (const [k, v] of tags) {
    keys.set(`s3:requestobjecttag/${k.toLowerCase()}`, v);
    keys.set(`aws:requesttag/${k.toLowerCase()}`, v);
  }
  const names = tags.map(([k]) => k);
  keys.set('s3:requestobjecttagkeys', names);
  keys.set('aws:tagkeys', names);
}

const DAY_MS = 86_400_000;

function addRetention(keys: Map<string, ContextValue>, mode: string | undefined, until: string | undefined, now: number | undefined): void {
  if (mode !== undefined) keys.set('s3:object-lock-mode', mode);
  if (until === undefined) return;
  keys.set('s3:object-lock-retain-until-date', until);
  const t = Date.parse(until);
  // Whole days left, rounded up: a retention set "30 days from now" reads 30, not 29.
  if (now !== undefined && Number.isFinite(t)) keys.set('s3:object-lock-remaining-retention-days', String(Math.max(0, Math.ceil((t - now) / DAY_MS))));
}

/** 20130524T000000Z → ms. */
function parseAmzDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : undefined;
}

const headerKeys = [
  'x-amz-acl', 'x-amz-grant-full-control', 'x-amz-grant-read', 'x-amz-grant-read-acp', 'x-amz-grant-write', 'x-amz-grant-write-acp',
  'x-amz-metadata-directive', 'x-amz-server-side-encryption', 'x-amz-server-side-encryption-aws-kms-key-id',
  'x-amz-server-side-encryption-customer-algorithm', 'x-amz-storage-class', 'x-amz-website-redirect-location',
  'x-amz-object-ownership', 'x-amz-content-sha256',
] as const;

/** The condition keys a request carries, before each action keeps those it supports. */
function requestKeys(op: CatalogOperation, req: CatalogRequest): Map<string, ContextValue> {
  const keys = new Map<string, ContextValue>();
  const q = req.query;
  // Common S3 keys: how the request was signed.
  if (q.has('X-Amz-Signature')) {
    keys.set('s3:authtype', 'REST-QUERY-STRING');
    keys.set('s3:signatureversion', q.get('X-Amz-Algorithm') ?? 'AWS4-HMAC-SHA256');
    const signedAt = parseAmzDate(q.get('X-Amz-Date') ?? '');
    if (req.now !== undefined && signedAt !== undefined) keys.set('s3:signatureage', String(Math.max(0, req.now - signedAt)));
  } else if (headerOf(req, 'authorization') !== undefined) {
    keys.set('s3:authtype', 'REST-HEADER');
    keys.set('s3:signatureversion', 'AWS4-HMAC-SHA256');
  }
  for (const h of headerKeys) {
    const v = headerOf(req, h);
    if (v !== undefined) keys.set(`s3:${h}`, v);
  }
  // Global keys read from the request.
  const referer = headerOf(req, 'referer');
  if (referer !== undefined) keys.set('aws:referer', referer);
  const userAgent = headerOf(req, 'user-agent');
  if (userAgent !== undefined) keys.set('aws:useragent', userAgent);
  // Listing.
  for (const p of ['prefix', 'delimiter', 'max-keys'] as const) {
    const v = q.get(p);
    if (v !== null) keys.set(`s3:${p}`, v);
  }
  // Object writes.
  const tagging = headerOf(req, 'x-amz-tagging');
  if (tagging !== undefined && op !== 'PutObjectTagging') addTags(keys, tagsOfHeader(tagging));
  if (req.copySource) keys.set('s3:x-amz-copy-source', `${req.copySource.bucket}/${req.copySource.key}`);
  addRetention(keys, headerOf(req, 'x-amz-object-lock-mode'), headerOf(req, 'x-amz-object-lock-retain-until-date'), req.now);
  const hold = headerOf(req, 'x-amz-object-lock-legal-hold');
  if (hold !== undefined) keys.set('s3:object-lock-legal-hold', hold);
  const ifMatch = headerOf(req, 'if-match');
  if (ifMatch !== undefined) keys.set('s3:if-match', ifMatch);
  const ifNoneMatch = headerOf(req, 'if-none-match');
  if (ifNoneMatch !== undefined) keys.set('s3:if-none-match', ifNoneMatch);
  // Bodies.
  const b = req.body;
  if (b) {
    if (b.tags) addTags(keys, b.tags);
    if (b.retention) addRetention(keys, b.retention.mode, b.retention.retainUntilDate, req.now);
    if (b.legalHold !== undefined) keys.set('s3:object-lock-legal-hold', b.legalHold);
    if (b.locationConstraint !== undefined) keys.set('s3:locationconstraint', b.locationConstraint);
    if (b.inventoryOptionalFields) keys.set('s3:inventoryaccessibleoptionalfields', b.inventoryOptionalFields);
    if (b.jobOperation !== undefined) keys.set('s3:requestjoboperation', b.jobOperation);
    if (b.jobPriority !== undefined) keys.set('s3:requestjobpriority', String(b.jobPriority));
  }
  // S3 Control.
  const priority = q.get('priority');
  if (op === 'UpdateJobPriority' && priority !== null) keys.set('s3:requestjobpriority', priority);
  if (req.job) {
    keys.set('s3:existingjobpriority', String(req.job.priority));
    keys.set('s3:existingjoboperation', req.job.operation);
    if (req.job.suspendedCause !== undefined) keys.set('s3:jobsuspendedcause', req.job.suspendedCause);
    for (const [k, v] of req.job.tags ?? []) keys.set(`aws:resourcetag/${k.toLowerCase()}`, v);
  }
  return keys;
}

interface Target {
  readonly bucket?: string;
  readonly key?: string;
  readonly versionId?: string;
  readonly item?: number;
}

function arnOf(kind: ResourceKind, t: Target, req: CatalogRequest): string {
  switch (kind) {
    case 'account':
      return '*';
    case 'bucket':
      return `arn:aws:s3:::${need(t.bucket, 'a bucket')}`;
    case 'object':
      return `arn:aws:s3:::${need(t.bucket, 'a bucket')}/${need(t.key, 'an object key')}`;
    case 'job':
      return `arn:aws:s3:${req.region}:${req.accountId}:job/${need(req.jobId, 'a job id')}`;
  }
}

/** A request the catalog cannot describe is a programming error at the call site: fail closed. */
function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`s3-catalog: the request needs ${what}`);
  return v;
}

function permission(action: CatalogAction, kind: ResourceKind, t: Target, req: CatalogRequest, keys: ReadonlyMap<string, ContextValue>, spec: OperationSpec): Permission {
  const context = new Map<string, ContextValue>();
  for (const [k, v] of keys) if (actionSupportsKey(action, k)) context.set(k, v);
  if (t.versionId !== undefined && actionSupportsKey(action, 's3:versionid')) context.set('s3:versionid', t.versionId);
  const p: { -readonly [K in keyof Permission]: Permission[K] } = { action, resource: arnOf(kind, t, req), context };
  if (actionSupportsKey(action, EXISTING_TAG)) p.needsExistingObjectTags = true;
  if (t.bucket !== undefined && (kind === 'bucket' || kind === 'object')) p.bucket = t.bucket;
  if (t.key !== undefined && kind === 'object') p.key = t.key;
  if (t.versionId !== undefined && kind === 'object') p.versionId = t.versionId;
  if (t.item !== undefined) p.item = t.item;
  if (kind === 'bucket' ? bucketAclActions.has(action) : kind === 'object' && (objectAclActions.has(action) || bucketAclActions.has(action))) {
    // s3:PutObject / s3:DeleteObject on an object are granted by the bucket's WRITE.
    p.aclScope = objectAclActions.has(action) ? 'object' : 'bucket';
  }
  if (spec.ownerAccountOnly) p.ownerAccountOnly = true;
  return p;
}

const isTrue = (v: string | undefined): boolean => v !== undefined && v.trim().toLowerCase() === 'true';

/** Does the request set an ACL (x-amz-acl other than `private`, or any x-amz-grant-*)? */
function setsAcl(req: CatalogRequest): boolean {
  const canned = headerOf(req, 'x-amz-acl');
  if (canned !== undefined && canned.trim() !== 'private') return true;
  return ['x-amz-grant-full-control', 'x-amz-grant-read', 'x-amz-grant-read-acp', 'x-amz-grant-write', 'x-amz-grant-write-acp'].some((h) => headerOf(req, h) !== undefined);
}

function extraApplies(extra: Extra, action: CatalogAction, op: CatalogOperation, req: CatalogRequest): boolean {
  switch (extra) {
    case 'objectTagging': {
      const t = headerOf(req, 'x-amz-tagging');
      // CopyObject takes x-amz-tagging only with x-amz-tagging-directive: REPLACE.
      if (op === 'CopyObject' && headerOf(req, 'x-amz-tagging-directive')?.trim().toUpperCase() !== 'REPLACE') return false;
      return t !== undefined && t !== '';
    }
    case 'objectAcl':
    case 'bucketAcl':
      return setsAcl(req);
    case 'objectLock':
      return action === 's3:PutObjectRetention'
        ? headerOf(req, 'x-amz-object-lock-mode') !== undefined || headerOf(req, 'x-amz-object-lock-retain-until-date') !== undefined
        : headerOf(req, 'x-amz-object-lock-legal-hold') !== undefined;
    case 'bypassGovernance':
      return isTrue(headerOf(req, 'x-amz-bypass-governance-retention'));
    case 'bucketObjectLock':
      return isTrue(headerOf(req, 'x-amz-bucket-object-lock-enabled'));
    case 'bucketOwnership':
      return headerOf(req, 'x-amz-object-ownership') !== undefined;
  }
}

/**
 * The permissions a request needs, all of which must be allowed. Throws (a programming error, not
 * a client one) when the request lacks what its operation's permissions depend on: DeleteObjects
 * without `body.objects`, CreateJob / PutBucketReplication without `body.roleArn`, an object
 * operation without a key, CopyObject without `copySource`.
 */
export function requiredPermissions(op: CatalogOperation, req: CatalogRequest): readonly Permission[] {
  const spec: OperationSpec = s3Catalog[op];
  const keys = requestKeys(op, req);
  const out: Permission[] = [];
  const add = (action: CatalogAction, kind: ResourceKind, t: Target): void => {
    out.push(permission(action, kind, t, req, keys, spec));
  };
  const addExtras = (t: Target): void => {
    for (const e of spec.extras ?? []) for (const a of extraActions[e]) if (extraApplies(e, a, op, req)) add(a, spec.resource, t);
  };

  if (spec.perKey) {
    const objects = need(req.body?.objects, 'body.objects (DeleteObjects is authorized key by key)');
    objects.forEach((o, item) => {
      const t: Target = { bucket: req.bucket, key: o.key, versionId: o.versionId, item };
      add(o.versionId !== undefined && spec.versionAction ? spec.versionAction : spec.action, 'object', t);
      addExtras(t);
    });
    return out;
  }

  const versionId = spec.resource === 'object' ? (req.query.get('versionId') ?? undefined) : undefined;
  const target: Target = { bucket: req.bucket, key: req.key, versionId };
  const versioned = versionId !== undefined && spec.versionAction !== undefined;
  add(versioned ? spec.versionAction! : spec.action, spec.resource, target);
  for (const a of (versioned ? spec.versionAlso : spec.also) ?? []) add(a, spec.resource, target);
  if (spec.copySource) {
    const src = need(req.copySource, 'copySource');
    const t: Target = { bucket: src.bucket, key: src.key, versionId: src.versionId };
    add(src.versionId !== undefined ? 's3:GetObjectVersion' : 's3:GetObject', 'object', t);
  }
  addExtras(target);
  if (spec.passRoleTo) {
    const role = need(req.body?.roleArn, `body.roleArn (${op} passes a role)`);
    out.push({ action: 'iam:PassRole', resource: role, context: new Map([['iam:passedtoservice', spec.passRoleTo]]) });
  }
  return out;
}

/**
 * A permission with more condition keys (s3:ResourceAccount, aws:SourceIp…), lower-cased.
 * s3:ResourceAccount also sets aws:ResourceAccount: both name the account that owns the resource.
 */
export function withContext(p: Permission, entries: Iterable<readonly [string, ContextValue]>): Permission {
  const context = new Map(p.context);
  for (const [k, v] of entries) {
    const key = k.toLowerCase();
    context.set(key, v);
    if (key === 's3:resourceaccount' && !context.has('aws:resourceaccount')) context.set('aws:resourceaccount', v);
  }
  return { ...p, context };
}

/** A permission with the object's own tags as s3:ExistingObjectTag/<k>, for the actions that take them. */
export function withExistingObjectTags(p: Permission, tags: readonly Tag[]): Permission {
  if (!p.needsExistingObjectTags || tags.length === 0) return p;
  return withContext(p, tags.map(([k, v]) => [`${EXISTING_TAG}${k.toLowerCase()}`, v] as const));
}
