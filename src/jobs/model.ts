/**
 * The batch job as readonly data: what CreateJob asked for (operation, manifest or generator,
 * report, role, priority), and what has happened since (status, progress, failure reasons,
 * timestamps). Every field of the S3 Control wire request is parsed into a typed value here
 * (times as epoch ms, booleans as booleans, ARNs kept as given plus their parsed bucket/key); the
 * XML element names live at the edge (src/http/control/), the CSV columns in jobs/report/.
 *
 * Who does what (agreed between the API front and the engine, keep this comment current):
 * - The API front (src/http/control/) validates CreateJob synchronously (shapes, enums, lengths,
 *   ARNs, exactly-one rules, tags), authorizes the caller (s3:CreateJob, iam:PassRole…), and
 *   stores the job `New` through `JobStore.create`. It does NOT check the role's trust policy.
 * - The engine (src/jobs/engine/) takes `New` jobs (`JobStore.leaseJob(['New','Preparing'])`),
 *   moves them to `Preparing`, and FIRST takes the job's role with
 *   `assumeRoleAsService(iam, job.roleArn, 'batchoperations.s3.amazonaws.com', …)`
 *   (src/auth/sts.ts). A role that does not exist or does not trust the service fails the job:
 *   Preparing → Failing → Failed with `FailureCodes.RoleNotTrusted` / `FailureCodes.NoSuchRole`
 *   and the error's message as FailureReason (no report: no task ran). Then it reads the
 *   manifest, saves segments (`saveSegments`) and moves to Suspended (confirmationRequired,
 *   suspendedCause `AwaitingConfirmation`) or Ready.
 * - Ready → Active happens inside `JobStore.leaseSegment` (the first lease of a job activates it,
 *   and so does a lease of a Pausing or Paused job). Active → Completing, Active → Failing
 *   (failure threshold, `state.ts`) and Active → Pausing (pre-emption by a higher-priority job)
 *   happen inside `JobStore.checkpointSegment`, in the checkpoint's transaction; Pausing → Paused
 *   when the job's last segment lease ends (`releaseLease`, or the checkpoint that finishes it).
 * - UpdateJobStatus (Ready / Cancelled) and UpdateJobPriority are the API front's, through
 *   `state.ts`'s rules and `JobStore.transition` / `updatePriority`.
 * - Completing / Failing / Cancelling are finished by the engine (report, then the terminal
 *   status) after `leaseJob` hands it the job with no segment lease left.
 * - The 30-day confirmation expiry and the 90-day retention are `JobStore.sweep`.
 */

// ---------------------------------------------------------------------------------------------
// Closed sets

export const JobStatus = {
  New: 'New',
  Preparing: 'Preparing',
  Suspended: 'Suspended',
  Ready: 'Ready',
  Active: 'Active',
  Pausing: 'Pausing',
  Paused: 'Paused',
  Completing: 'Completing',
  Complete: 'Complete',
  Failing: 'Failing',
  Failed: 'Failed',
  Cancelling: 'Cancelling',
  Cancelled: 'Cancelled',
} as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];
export const JOB_STATUSES: readonly JobStatus[] = Object.freeze(Object.values(JobStatus));

export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set<JobStatus>(['Complete', 'Failed', 'Cancelled']);
export function isTerminal(s: JobStatus): boolean {
  return TERMINAL_STATUSES.has(s);
}

/** The operations a job can run, keyed by the AWS element name (S3DeleteObject is s3batch's extension). */
export const JobOperationName = {
  LambdaInvoke: 'LambdaInvoke',
  S3PutObjectCopy: 'S3PutObjectCopy',
  S3PutObjectAcl: 'S3PutObjectAcl',
  S3PutObjectTagging: 'S3PutObjectTagging',
  S3DeleteObjectTagging: 'S3DeleteObjectTagging',
  S3InitiateRestoreObject: 'S3InitiateRestoreObject',
  S3PutObjectLegalHold: 'S3PutObjectLegalHold',
  S3PutObjectRetention: 'S3PutObjectRetention',
  S3ReplicateObject: 'S3ReplicateObject',
  S3ComputeObjectChecksum: 'S3ComputeObjectChecksum',
  S3DeleteObject: 'S3DeleteObject',
} as const;
export type JobOperationName = (typeof JobOperationName)[keyof typeof JobOperationName];

export const CannedAcl = {
  private: 'private',
  'public-read': 'public-read',
  'public-read-write': 'public-read-write',
  'aws-exec-read': 'aws-exec-read',
  'authenticated-read': 'authenticated-read',
  'bucket-owner-read': 'bucket-owner-read',
  'bucket-owner-full-control': 'bucket-owner-full-control',
} as const;
export type CannedAcl = (typeof CannedAcl)[keyof typeof CannedAcl];

export const GrantPermission = { FULL_CONTROL: 'FULL_CONTROL', READ: 'READ', WRITE: 'WRITE', READ_ACP: 'READ_ACP', WRITE_ACP: 'WRITE_ACP' } as const;
export type GrantPermission = (typeof GrantPermission)[keyof typeof GrantPermission];

export const GranteeType = { id: 'id', emailAddress: 'emailAddress', uri: 'uri' } as const;
export type GranteeType = (typeof GranteeType)[keyof typeof GranteeType];

export const CopyStorageClass = {
  STANDARD: 'STANDARD',
  STANDARD_IA: 'STANDARD_IA',
  ONEZONE_IA: 'ONEZONE_IA',
  GLACIER: 'GLACIER',
  INTELLIGENT_TIERING: 'INTELLIGENT_TIERING',
  DEEP_ARCHIVE: 'DEEP_ARCHIVE',
  GLACIER_IR: 'GLACIER_IR',
} as const;
export type CopyStorageClass = (typeof CopyStorageClass)[keyof typeof CopyStorageClass];

export const ChecksumAlgorithm = {
  CRC32: 'CRC32',
  CRC32C: 'CRC32C',
  CRC64NVME: 'CRC64NVME',
  SHA1: 'SHA1',
  SHA256: 'SHA256',
  SHA512: 'SHA512',
  MD5: 'MD5',
  XXHASH64: 'XXHASH64',
  XXHASH3: 'XXHASH3',
  XXHASH128: 'XXHASH128',
} as const;
export type ChecksumAlgorithm = (typeof ChecksumAlgorithm)[keyof typeof ChecksumAlgorithm];

export const ChecksumType = { FULL_OBJECT: 'FULL_OBJECT', COMPOSITE: 'COMPOSITE' } as const;
export type ChecksumType = (typeof ChecksumType)[keyof typeof ChecksumType];

export const LockMode = { COMPLIANCE: 'COMPLIANCE', GOVERNANCE: 'GOVERNANCE' } as const;
export type LockMode = (typeof LockMode)[keyof typeof LockMode];

export const OnOff = { ON: 'ON', OFF: 'OFF' } as const;
export type OnOff = (typeof OnOff)[keyof typeof OnOff];

export const ManifestFormat = { Csv: 'S3BatchOperations_CSV_20180820', Inventory: 'S3InventoryReport_CSV_20161130' } as const;
export type ManifestFormat = (typeof ManifestFormat)[keyof typeof ManifestFormat];

export const ManifestField = { Ignore: 'Ignore', Bucket: 'Bucket', Key: 'Key', VersionId: 'VersionId' } as const;
export type ManifestField = (typeof ManifestField)[keyof typeof ManifestField];

/** The one format of generated manifests (ManifestOutputLocation / GeneratedManifestDescriptor). */
export const GENERATED_MANIFEST_FORMAT = 'S3InventoryReport_CSV_20211130';
export const REPORT_FORMAT = 'Report_CSV_20180820';

export const ReportScope = { AllTasks: 'AllTasks', FailedTasksOnly: 'FailedTasksOnly' } as const;
export type ReportScope = (typeof ReportScope)[keyof typeof ReportScope];

export const ReplicationStatus = { COMPLETED: 'COMPLETED', FAILED: 'FAILED', REPLICA: 'REPLICA', NONE: 'NONE' } as const;
export type ReplicationStatus = (typeof ReplicationStatus)[keyof typeof ReplicationStatus];

/** SuspendedCause of a job awaiting confirmation (spec §5.3 [REC]; the text is undocumented). */
export const AWAITING_CONFIRMATION = 'AwaitingConfirmation';

/** FailureCode values s3batch writes (AWS documents none; spec §11). Messages go in FailureReason. */
export const FailureCodes = {
  /** Preparing: the role does not exist (engine). */
  NoSuchRole: 'NoSuchRole',
  /** Preparing: the role's trust policy does not allow batchoperations.s3.amazonaws.com (engine). */
  RoleNotTrusted: 'RoleNotTrusted',
  /** ≥ 1,000 tasks ran and more than 50 % failed (state.ts, applied by checkpointSegment). */
  TaskFailureThresholdExceeded: 'TaskFailureThresholdExceeded',
  /** Left in Suspended longer than the confirmation window (JobStore.sweep). */
  ConfirmationExpired: 'ConfirmationExpired',
} as const;

// ---------------------------------------------------------------------------------------------
// Operations

/** A tag: [key, value] (as src/store/types.ts). */
export type Tag = readonly [key: string, value: string];

export interface S3Grantee {
  readonly typeIdentifier?: GranteeType;
  readonly identifier?: string;
  readonly displayName?: string;
}

export interface S3Grant {
  readonly grantee?: S3Grantee;
  readonly permission?: GrantPermission;
}

export interface S3ObjectMetadata {
  readonly cacheControl?: string;
  readonly contentDisposition?: string;
  readonly contentEncoding?: string;
  readonly contentLanguage?: string;
  /** x-amz-meta-* as given (names without the prefix). */
  readonly userMetadata?: Readonly<Record<string, string>>;
  /** Deprecated by AWS; accepted and echoed, not used. */
  readonly contentLength?: number;
  readonly contentMD5?: string;
  readonly contentType?: string;
  /** Expires header, epoch ms. */
  readonly httpExpiresDate?: number;
  /** Deprecated by AWS; accepted and echoed, not used. */
  readonly requesterCharged?: boolean;
  readonly sseAlgorithm?: 'AES256' | 'KMS';
}

export interface LambdaInvokeOperation {
  readonly kind: 'LambdaInvoke';
  readonly functionArn: string;
  /** '1.0' unless given. */
  readonly invocationSchemaVersion: '1.0' | '2.0';
  /** Only with schema 2.0. */
  readonly userArguments?: Readonly<Record<string, string>>;
}

export interface S3PutObjectCopyOperation {
  readonly kind: 'S3PutObjectCopy';
  /** As given: arn:aws:s3:::bucket (or a directory-bucket ARN). */
  readonly targetResource: string;
  /** The destination bucket's name, parsed from targetResource. */
  readonly targetBucket: string;
  readonly cannedAccessControlList?: CannedAcl;
  readonly accessControlGrants?: readonly S3Grant[];
  readonly metadataDirective?: 'COPY' | 'REPLACE';
  /** Epoch ms. */
  readonly modifiedSinceConstraint?: number;
  readonly unModifiedSinceConstraint?: number;
  readonly newObjectMetadata?: S3ObjectMetadata;
  /** Absent: the source's tags are copied. Present (even empty): replaces them. */
  readonly newObjectTagging?: readonly Tag[];
  readonly redirectLocation?: string;
  readonly requesterPays?: boolean;
  readonly storageClass?: CopyStorageClass;
  readonly sseAwsKmsKeyId?: string;
  /** Destination key = prefix + '/' + source key unless the prefix ends with '/' (spec §3.2 [REC]). */
  readonly targetKeyPrefix?: string;
  readonly objectLockLegalHoldStatus?: OnOff;
  readonly objectLockMode?: LockMode;
  /** Epoch ms. */
  readonly objectLockRetainUntilDate?: number;
  readonly bucketKeyEnabled?: boolean;
  readonly checksumAlgorithm?: ChecksumAlgorithm;
}

export interface S3AccessControlList {
  readonly owner: { readonly id: string; readonly displayName?: string };
  readonly grants?: readonly S3Grant[];
}

export interface S3PutObjectAclOperation {
  readonly kind: 'S3PutObjectAcl';
  readonly accessControlPolicy: {
    readonly accessControlList?: S3AccessControlList;
    readonly cannedAccessControlList?: CannedAcl;
  };
}

export interface S3PutObjectTaggingOperation {
  readonly kind: 'S3PutObjectTagging';
  /** Replaces each object's whole tag set (may be empty: removes all tags). */
  readonly tagSet: readonly Tag[];
}

export interface S3DeleteObjectTaggingOperation {
  readonly kind: 'S3DeleteObjectTagging';
}

export interface S3InitiateRestoreObjectOperation {
  readonly kind: 'S3InitiateRestoreObject';
  readonly expirationInDays?: number;
  readonly glacierJobTier?: 'BULK' | 'STANDARD';
}

export interface S3PutObjectLegalHoldOperation {
  readonly kind: 'S3PutObjectLegalHold';
  readonly legalHold: { readonly status: OnOff };
}

export interface S3PutObjectRetentionOperation {
  readonly kind: 'S3PutObjectRetention';
  readonly bypassGovernanceRetention?: boolean;
  /** Neither mode nor date: removes the retention. */
  readonly retention: { readonly retainUntilDate?: number; readonly mode?: LockMode };
}

export interface S3ReplicateObjectOperation {
  readonly kind: 'S3ReplicateObject';
}

export interface S3ComputeObjectChecksumOperation {
  readonly kind: 'S3ComputeObjectChecksum';
  readonly checksumAlgorithm: ChecksumAlgorithm;
  readonly checksumType: ChecksumType;
}

/**
 * s3batch's extension (AWS has none): deletes each listed object version (the current version
 * when the manifest has no VersionId column: a delete marker in versioned buckets), respecting
 * Object Lock. Wire: `<Operation><S3DeleteObject><BypassGovernanceRetention>true</…></S3DeleteObject></Operation>`.
 */
export interface S3DeleteObjectOperation {
  readonly kind: 'S3DeleteObject';
  readonly bypassGovernanceRetention?: boolean;
}

export type JobOperation =
  | LambdaInvokeOperation
  | S3PutObjectCopyOperation
  | S3PutObjectAclOperation
  | S3PutObjectTaggingOperation
  | S3DeleteObjectTaggingOperation
  | S3InitiateRestoreObjectOperation
  | S3PutObjectLegalHoldOperation
  | S3PutObjectRetentionOperation
  | S3ReplicateObjectOperation
  | S3ComputeObjectChecksumOperation
  | S3DeleteObjectOperation;

// ---------------------------------------------------------------------------------------------
// Manifest, generator, report

export interface ManifestLocation {
  /** As given: arn:aws:s3:::bucket/key. */
  readonly objectArn: string;
  /** Parsed from objectArn. */
  readonly bucket: string;
  readonly key: string;
  readonly objectVersionId?: string;
  /** Without surrounding double quotes (clients send either). Compare case-insensitively. */
  readonly etag: string;
}

export interface JobManifest {
  readonly spec: {
    readonly format: ManifestFormat;
    /** CSV manifests: the column layout (contains Bucket and Key). Absent for inventory manifests. */
    readonly fields?: readonly ManifestField[];
  };
  readonly location: ManifestLocation;
}

export type ManifestEncryption = { readonly kind: 'SSE-S3' } | { readonly kind: 'SSE-KMS'; readonly keyId: string };

export interface ManifestOutputLocation {
  readonly expectedManifestBucketOwner?: string;
  /** As given (arn:aws:s3:::name) and parsed. */
  readonly bucketArn: string;
  readonly bucket: string;
  readonly manifestPrefix?: string;
  readonly manifestEncryption?: ManifestEncryption;
  readonly manifestFormat: typeof GENERATED_MANIFEST_FORMAT;
}

export type ObjectEncryptionFilter =
  | { readonly kind: 'SSE-S3' }
  | { readonly kind: 'SSE-KMS'; readonly kmsKeyArn?: string; readonly bucketKeyEnabled?: boolean }
  | { readonly kind: 'DSSE-KMS'; readonly kmsKeyArn?: string }
  | { readonly kind: 'SSE-C' }
  | { readonly kind: 'NOT-SSE' };

/** All present criteria are ANDed (spec §4.4). Bounds are exclusive. */
export interface ManifestFilter {
  readonly eligibleForReplication?: boolean;
  /** Epoch ms. */
  readonly createdAfter?: number;
  readonly createdBefore?: number;
  readonly objectReplicationStatuses?: readonly ReplicationStatus[];
  readonly keyNameConstraint?: {
    readonly matchAnyPrefix?: readonly string[];
    readonly matchAnySuffix?: readonly string[];
    readonly matchAnySubstring?: readonly string[];
  };
  readonly objectSizeGreaterThanBytes?: number;
  readonly objectSizeLessThanBytes?: number;
  readonly matchAnyStorageClass?: readonly string[];
  readonly matchAnyObjectEncryption?: readonly ObjectEncryptionFilter[];
}

export interface S3JobManifestGenerator {
  readonly kind: 'S3JobManifestGenerator';
  readonly expectedBucketOwner?: string;
  /** As given (arn:aws:s3:::name) and parsed. */
  readonly sourceBucketArn: string;
  readonly sourceBucket: string;
  readonly enableManifestOutput: boolean;
  /** Present when enableManifestOutput. */
  readonly manifestOutputLocation?: ManifestOutputLocation;
  readonly filter?: ManifestFilter;
}

export type ManifestGenerator = S3JobManifestGenerator;

export interface GeneratedManifestDescriptor {
  readonly format: typeof GENERATED_MANIFEST_FORMAT;
  readonly location: ManifestLocation;
}

export interface JobReport {
  readonly enabled: boolean;
  /** When enabled: the ARN as given, and the bucket's name. */
  readonly bucketArn?: string;
  readonly bucket?: string;
  readonly format?: typeof REPORT_FORMAT;
  readonly prefix?: string;
  readonly reportScope?: ReportScope;
  readonly expectedBucketOwner?: string;
}

// ---------------------------------------------------------------------------------------------
// The job

export interface FailureReason {
  readonly failureCode: string;
  readonly failureReason: string;
}

export interface JobProgress {
  /** Manifest rows; 0 until preparation has counted them. */
  readonly totalNumberOfTasks: number;
  readonly numberOfTasksSucceeded: number;
  readonly numberOfTasksFailed: number;
  /** Cumulative time spent Active before the current Active period, ms. */
  readonly activeMs: number;
  /** When the current Active period began (epoch ms), while Active/Pausing. */
  readonly activeSince?: number;
}

/** Timers.ElapsedTimeInActiveSeconds at `now`. */
export function elapsedActiveSeconds(p: JobProgress, now: number): number {
  const ms = p.activeMs + (p.activeSince !== undefined ? Math.max(0, now - p.activeSince) : 0);
  return Math.floor(ms / 1000);
}

/** What CreateJob decided: immutable for the job's life. */
export interface JobDefinition {
  readonly operation: JobOperation;
  /** Exactly one of manifest / manifestGenerator. */
  readonly manifest?: JobManifest;
  readonly manifestGenerator?: ManifestGenerator;
  readonly report: JobReport;
  readonly description?: string;
  readonly roleArn: string;
  /** Omitted in the request means true (spec §5.3). */
  readonly confirmationRequired: boolean;
}

export interface Job extends JobDefinition {
  /** UUID v4 (36 chars, what the CLI's 5–36 length check accepts). */
  readonly id: string;
  readonly accountId: string;
  readonly status: JobStatus;
  readonly priority: number;
  readonly progress: JobProgress;
  readonly failureReasons: readonly FailureReason[];
  readonly statusUpdateReason?: string;
  readonly suspendedCause?: string;
  /** Epoch ms. */
  readonly suspendedDate?: number;
  readonly creationTime: number;
  readonly terminationDate?: number;
  readonly generatedManifestDescriptor?: GeneratedManifestDescriptor;
  readonly tags: readonly Tag[];
  readonly clientRequestToken: string;
  /** Hash of the normalised CreateJob request (without its token): idempotency (same token, same hash). */
  readonly requestHash: string;
  /** Bumped by every change to the job row; optimistic concurrency for readers that care. */
  readonly version: number;
}

/** arn:aws:s3:{region}:{account}:job/{id} */
export function jobArn(region: string, accountId: string, id: string): string {
  return `arn:aws:s3:${region}:${accountId}:job/${id}`;
}
