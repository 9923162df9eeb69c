/**
 * The bucket configuration documents' domain types: tagging, policy, replication, inventory,
 * default encryption and Object Lock. They are stored by `store/buckets.ts`'s generic
 * `putBucketConfig(ctx, bucket, kind, value, id)` as JSON of these shapes (never as XML), so the
 * replication worker, the inventory producer and the batch-job engine read typed values. Wire
 * names live at the HTTP edge (`http/s3/bucket-*.ts`); the shapes here keep just enough to render
 * back exactly the elements a client sent.
 */
import type { LockMode, StorageClass, Tag } from './types.js';

/** The `kind` column of bucket_configs for each document. Inventory configurations use `id` too. */
export const BucketConfigKind = {
  Tagging: 'tagging',
  Policy: 'policy',
  Replication: 'replication',
  Inventory: 'inventory',
  Encryption: 'encryption',
  ObjectLock: 'object-lock',
} as const;
export type BucketConfigKind = (typeof BucketConfigKind)[keyof typeof BucketConfigKind];

export const Status = { Enabled: 'Enabled', Disabled: 'Disabled' } as const;
export type Status = (typeof Status)[keyof typeof Status];

// ---------------------------------------------------------------------------------------------
// Tagging

export interface BucketTagging {
  readonly tags: readonly Tag[];
}

// ---------------------------------------------------------------------------------------------
// Policy

export const PrincipalType = { AWS: 'AWS', Service: 'Service', Federated: 'Federated', CanonicalUser: 'CanonicalUser' } as const;
export type PrincipalType = (typeof PrincipalType)[keyof typeof PrincipalType];

/** `"*"` (everyone, anonymous included) or named principals by type, each value a list. */
export type PolicyPrincipal = '*' | Readonly<Partial<Record<PrincipalType, readonly string[]>>>;

/** Condition operator → condition key → values (IAM's grammar; values kept as strings). */
export type PolicyCondition = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;

export interface PolicyStatement {
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
  /** Exactly one of principal / notPrincipal. */
  readonly principal?: PolicyPrincipal;
  readonly notPrincipal?: PolicyPrincipal;
  /** Exactly one of action / notAction; patterns as written (`s3:Get*`, `*`). */
  readonly action?: readonly string[];
  readonly notAction?: readonly string[];
  /** Exactly one of resource / notResource; ARN patterns as written. */
  readonly resource?: readonly string[];
  readonly notResource?: readonly string[];
  readonly condition?: PolicyCondition;
}

export interface PolicyDocument {
  readonly version: '2008-10-17' | '2012-10-17';
  readonly id?: string;
  readonly statements: readonly PolicyStatement[];
}

/** A bucket policy: the text as the client sent it (GetBucketPolicy returns it) and its parsed form. */
export interface BucketPolicy {
  readonly text: string;
  readonly document: PolicyDocument;
}

// ---------------------------------------------------------------------------------------------
// Replication

/**
 * Which objects a rule selects. `legacy-prefix` is the V1 schema (`<Prefix>` directly in the rule,
 * no Priority, delete markers always replicated); the others are V2's `<Filter>`: empty (`all`),
 * one prefix, one tag, or an `And` of an optional prefix and tags.
 */
export type ReplicationFilter =
  | { readonly kind: 'legacy-prefix'; readonly prefix: string }
  | { readonly kind: 'all' }
  | { readonly kind: 'prefix'; readonly prefix: string }
  | { readonly kind: 'tag'; readonly tag: Tag }
  | { readonly kind: 'and'; readonly prefix?: string; readonly tags: readonly Tag[] };

export interface ReplicationDestination {
  /** `arn:aws:s3:::<bucket>`. */
  readonly bucket: string;
  /** The destination bucket's owner, required with accessControlTranslation. */
  readonly account?: string;
  readonly storageClass?: StorageClass;
  /** Owner override: replicas are owned by the destination account. */
  readonly accessControlTranslation?: { readonly owner: 'Destination' };
  readonly encryptionConfiguration?: { readonly replicaKmsKeyId: string };
  /** S3 Replication Time Control; minutes is always 15 on AWS. */
  readonly replicationTime?: { readonly status: Status; readonly minutes: number };
  readonly metrics?: { readonly status: Status; readonly eventThresholdMinutes?: number };
}

export interface ReplicationRule {
  readonly id: string;
  /** V2 only; higher wins when rules overlap. */
  readonly priority?: number;
  readonly status: Status;
  readonly filter: ReplicationFilter;
  readonly destination: ReplicationDestination;
  /** V2 only (required there). */
  readonly deleteMarkerReplication?: Status;
  readonly sourceSelectionCriteria?: {
    readonly sseKmsEncryptedObjects?: Status;
    readonly replicaModifications?: Status;
  };
  /** Whether existing objects are in scope (AWS gates it behind a support case; here it is open). */
  readonly existingObjectReplication?: Status;
}

export interface ReplicationConfiguration {
  /** The IAM role ARN S3 assumes to replicate. */
  readonly role: string;
  readonly rules: readonly ReplicationRule[];
}

/** The bucket name of an `arn:aws:s3:::<bucket>` destination. */
export function bucketOfArn(arn: string): string {
  return arn.startsWith('arn:aws:s3:::') ? arn.slice('arn:aws:s3:::'.length) : arn;
}

/** Whether a rule's filter selects an object by its key and tags (status and priority aside). */
export function replicationFilterMatches(filter: ReplicationFilter, key: string, tags: readonly Tag[]): boolean {
  const hasTag = (t: Tag): boolean => tags.some(([k, v]) => k === t[0] && v === t[1]);
  switch (filter.kind) {
    case 'all':
      return true;
    case 'legacy-prefix':
    case 'prefix':
      return key.startsWith(filter.prefix);
    case 'tag':
      return hasTag(filter.tag);
    case 'and':
      return (filter.prefix === undefined || key.startsWith(filter.prefix)) && filter.tags.every(hasTag);
    default: {
      const never: never = filter;
      return never;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Inventory

export const InventoryFormat = { CSV: 'CSV', ORC: 'ORC', Parquet: 'Parquet' } as const;
export type InventoryFormat = (typeof InventoryFormat)[keyof typeof InventoryFormat];

export const InventoryFrequency = { Daily: 'Daily', Weekly: 'Weekly' } as const;
export type InventoryFrequency = (typeof InventoryFrequency)[keyof typeof InventoryFrequency];

export const IncludedObjectVersions = { All: 'All', Current: 'Current' } as const;
export type IncludedObjectVersions = (typeof IncludedObjectVersions)[keyof typeof IncludedObjectVersions];

/** AWS's InventoryOptionalField values (the SDK's enum, 3.1175). */
export const InventoryOptionalField = {
  Size: 'Size',
  LastModifiedDate: 'LastModifiedDate',
  StorageClass: 'StorageClass',
  ETag: 'ETag',
  IsMultipartUploaded: 'IsMultipartUploaded',
  ReplicationStatus: 'ReplicationStatus',
  EncryptionStatus: 'EncryptionStatus',
  ObjectLockRetainUntilDate: 'ObjectLockRetainUntilDate',
  ObjectLockMode: 'ObjectLockMode',
  ObjectLockLegalHoldStatus: 'ObjectLockLegalHoldStatus',
  IntelligentTieringAccessTier: 'IntelligentTieringAccessTier',
  IntelligentTieringReferenceDate: 'IntelligentTieringReferenceDate',
  BucketKeyStatus: 'BucketKeyStatus',
  ChecksumAlgorithm: 'ChecksumAlgorithm',
  ObjectAccessControlList: 'ObjectAccessControlList',
  ObjectOwner: 'ObjectOwner',
  LifecycleExpirationDate: 'LifecycleExpirationDate',
  ObjectLockEventHoldStatus: 'ObjectLockEventHoldStatus',
  ObjectLockEventHoldDuration: 'ObjectLockEventHoldDuration',
} as const;
export type InventoryOptionalField = (typeof InventoryOptionalField)[keyof typeof InventoryOptionalField];

export type InventoryEncryption = { readonly kind: 'SSE-S3' } | { readonly kind: 'SSE-KMS'; readonly keyId: string };

export interface InventoryDestination {
  /** `arn:aws:s3:::<bucket>`. */
  readonly bucket: string;
  readonly format: InventoryFormat;
  readonly accountId?: string;
  readonly prefix?: string;
  readonly encryption?: InventoryEncryption;
}

export interface InventoryConfiguration {
  readonly id: string;
  readonly isEnabled: boolean;
  readonly destination: InventoryDestination;
  /** Absent: no <Filter>; present: its Prefix. */
  readonly filterPrefix?: string;
  readonly includedObjectVersions: IncludedObjectVersions;
  /** Absent: no <OptionalFields> element; present: its fields in the order sent. */
  readonly optionalFields?: readonly InventoryOptionalField[];
  readonly frequency: InventoryFrequency;
}

/** AWS's limit of inventory configurations per bucket. */
export const MAX_INVENTORY_CONFIGURATIONS = 1000;

// ---------------------------------------------------------------------------------------------
// Default encryption

export const SseAlgorithm = { AES256: 'AES256', KMS: 'aws:kms', KMS_DSSE: 'aws:kms:dsse' } as const;
export type SseAlgorithm = (typeof SseAlgorithm)[keyof typeof SseAlgorithm];

export const EncryptionType = { NONE: 'NONE', SSE_C: 'SSE-C' } as const;
export type EncryptionType = (typeof EncryptionType)[keyof typeof EncryptionType];

export interface EncryptionRule {
  readonly sseAlgorithm: SseAlgorithm;
  readonly kmsMasterKeyId?: string;
  readonly bucketKeyEnabled?: boolean;
  readonly blockedEncryptionTypes?: readonly EncryptionType[];
}

/** A bucket's default encryption (AWS allows exactly one rule). */
export interface BucketEncryption {
  readonly rule: EncryptionRule;
}

/** Every bucket without a configuration encrypts with SSE-S3, as AWS does since January 2023. */
export const DEFAULT_BUCKET_ENCRYPTION: BucketEncryption = Object.freeze({ rule: Object.freeze({ sseAlgorithm: 'AES256', bucketKeyEnabled: false }) });

// ---------------------------------------------------------------------------------------------
// Object Lock

export interface DefaultRetention {
  readonly mode: LockMode;
  /** Exactly one of days / years, positive. */
  readonly days?: number;
  readonly years?: number;
}

/**
 * Stored under kind 'object-lock'. `store/objects.ts` (withDefaultRetention) reads
 * `rule.mode/days/years` from exactly this shape when it stamps new versions.
 */
export interface ObjectLockConfiguration {
  readonly enabled: true;
  readonly rule?: DefaultRetention;
}

/** AWS's upper bounds for a default retention period. */
export const MAX_RETENTION_DAYS = 36500;
export const MAX_RETENTION_YEARS = 100;
