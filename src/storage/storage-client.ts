/**
 * StorageClient: the one interface batch jobs (and replication) speak to reach objects. Two
 * adapters implement it — `embedded` (in-process calls into src/store/, each call authorized for
 * the acting principal exactly as the S3 front would) and `remote` (the AWS SDK v3 against any
 * S3-compatible endpoint). Code above this interface never knows which one it has.
 *
 * Semantics every adapter guarantees (the conformance tests in test/e2e/jobs-*.test.ts run the
 * same jobs over both):
 * - failures are `S3Error`s with AWS's code, HTTP status and message; `retryable` says whether
 *   the same call may succeed later (throttling, 5xx, network). A code the catalog lacks (from a
 *   remote endpoint) keeps its wire name in `details.Code` (see `errorCodeOf`);
 * - an `ObjectRef` without `versionId` means the current version at call time;
 * - etags are bare hex (no quotes); times are epoch ms;
 * - every call takes an optional AbortSignal; an aborted call rejects with the signal's reason;
 * - `expectedBucketOwner` (where a call takes one) is S3's bucket owner condition, the
 *   `x-amz-expected-bucket-owner` header: a bucket another account owns answers 403 AccessDenied
 *   ("Access Denied", indistinguishable from a denied permission) and the call does nothing.
 *   An endpoint that ignores the header (not every S3-compatible store checks it) cannot be held
 *   to it.
 */
import type { S3Error } from '../errors.js';

export type Tag = readonly [key: string, value: string];

export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
  /** 'null' addresses the null version. */
  readonly versionId?: string;
}

export interface ByteRange {
  /** Inclusive bounds, as HTTP Range. */
  readonly start: number;
  readonly end: number;
}

export interface ObjectChecksum {
  readonly algorithm: string;
  /** base64; COMPOSITE values carry a -N suffix. */
  readonly value: string;
  readonly type: 'FULL_OBJECT' | 'COMPOSITE';
}

/** Content headers and user metadata. */
export interface ObjectMetadata {
  readonly contentType?: string;
  readonly contentEncoding?: string;
  readonly contentDisposition?: string;
  readonly contentLanguage?: string;
  readonly cacheControl?: string;
  /** HTTP date text, as stored. */
  readonly expires?: string;
  readonly websiteRedirectLocation?: string;
  /** Lower-case names without the x-amz-meta- prefix. */
  readonly userMetadata: Readonly<Record<string, string>>;
}

export interface ObjectHead {
  readonly bucket: string;
  readonly key: string;
  /** Undefined in a bucket that never had versioning. */
  readonly versionId?: string;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: number;
  readonly storageClass: string;
  readonly metadata: ObjectMetadata;
  readonly serverSideEncryption?: string;
  readonly checksum?: ObjectChecksum;
  /** Multipart objects: the number of parts. */
  readonly partsCount?: number;
  readonly lockMode?: 'GOVERNANCE' | 'COMPLIANCE';
  readonly lockUntil?: number;
  readonly legalHold?: boolean;
  readonly replicationStatus?: string;
  readonly tagCount?: number;
  /** Archived objects: whether a restore is under way, and when the restored copy expires. */
  readonly restore?: { readonly ongoing: boolean; readonly expiresAt?: number };
}

export interface ObjectBody {
  readonly head: ObjectHead;
  readonly body: AsyncIterable<Buffer>;
}

export interface GetObjectOptions {
  readonly range?: ByteRange;
  /** Only this part of a multipart object (1-based). */
  readonly partNumber?: number;
  readonly signal?: AbortSignal;
}

export type CannedAcl = 'private' | 'public-read' | 'public-read-write' | 'aws-exec-read' | 'authenticated-read' | 'bucket-owner-read' | 'bucket-owner-full-control';

export type Grantee =
  | { readonly type: 'CanonicalUser'; readonly id: string; readonly displayName?: string }
  | { readonly type: 'Group'; readonly uri: string }
  | { readonly type: 'AmazonCustomerByEmail'; readonly email: string };

export type GrantPermission = 'FULL_CONTROL' | 'READ' | 'WRITE' | 'READ_ACP' | 'WRITE_ACP';

export interface Grant {
  readonly grantee: Grantee;
  readonly permission: GrantPermission;
}

/** An ACL to set: a canned one, explicit grants (header form), or a whole policy document. */
export type AclInput =
  | { readonly kind: 'canned'; readonly canned: CannedAcl }
  | { readonly kind: 'grants'; readonly grants: readonly Grant[] }
  | { readonly kind: 'policy'; readonly owner: { readonly id: string; readonly displayName?: string }; readonly grants: readonly Grant[] };

export interface PutObjectInput {
  readonly bucket: string;
  readonly key: string;
  readonly body: Buffer | string;
  readonly contentType?: string;
  /** base64 MD5 the server checks. */
  readonly contentMd5?: string;
  readonly serverSideEncryption?: 'AES256';
  /** The account that must own the bucket (see the module doc). */
  readonly expectedBucketOwner?: string;
  readonly signal?: AbortSignal;
}

export interface WriteResult {
  readonly etag: string;
  readonly versionId?: string;
}

export type Directive = 'COPY' | 'REPLACE';

export interface CopyObjectInput {
  readonly source: ObjectRef;
  readonly bucket: string;
  readonly key: string;
  readonly metadataDirective?: Directive;
  /** With REPLACE: the new metadata. */
  readonly metadata?: ObjectMetadata;
  /** Set: the new tag set (REPLACE); undefined: the source's tags are copied. */
  readonly tags?: readonly Tag[];
  readonly acl?: AclInput;
  readonly storageClass?: string;
  readonly websiteRedirectLocation?: string;
  readonly serverSideEncryption?: 'AES256' | 'aws:kms';
  readonly kmsKeyId?: string;
  readonly bucketKeyEnabled?: boolean;
  readonly checksumAlgorithm?: string;
  readonly lockMode?: 'GOVERNANCE' | 'COMPLIANCE';
  readonly lockUntil?: number;
  readonly legalHold?: boolean;
  /** x-amz-copy-source-if-(un)modified-since, epoch ms. */
  readonly modifiedSince?: number;
  readonly unmodifiedSince?: number;
  readonly requesterPays?: boolean;
  readonly signal?: AbortSignal;
}

export interface CopyResult extends WriteResult {
  readonly sourceVersionId?: string;
  /** Whether the copy went through multipart UploadPartCopy (objects over 5 GiB, remote only). */
  readonly multipart?: boolean;
}

export type RestoreTier = 'Expedited' | 'Standard' | 'Bulk';

export interface RestoreInput {
  /** Required for GLACIER / DEEP_ARCHIVE; absent for Intelligent-Tiering archive tiers. */
  readonly days?: number;
  readonly tier: RestoreTier;
}

export interface Retention {
  readonly mode: 'GOVERNANCE' | 'COMPLIANCE';
  readonly until: number;
}

export interface DeleteResult {
  readonly versionId?: string;
  readonly deleteMarker: boolean;
}

export interface ListInput {
  readonly bucket: string;
  readonly prefix?: string;
  /** Every version and delete marker instead of the current objects. */
  readonly versions?: boolean;
  /** The account that must own the bucket (see the module doc). */
  readonly expectedBucketOwner?: string;
  readonly signal?: AbortSignal;
}

export interface BucketCallOptions {
  /** The account that must own the bucket (see the module doc). */
  readonly expectedBucketOwner?: string;
  readonly signal?: AbortSignal;
}

export interface ListedObject {
  readonly key: string;
  readonly versionId?: string;
  readonly isLatest: boolean;
  readonly isDeleteMarker: boolean;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: number;
  readonly storageClass: string;
  /** Known to the embedded adapter; a remote listing has none (HEAD the object when needed). */
  readonly replicationStatus?: string;
}

/**
 * Set-based forms of per-object calls, for adapters that can do many objects in one step (the
 * embedded store: one transaction, set-based SQL). Same semantics as the per-object call for each
 * object, each object with its own outcome: the version id changed, or the S3Error it met.
 */
export interface BatchCapability {
  /** PutObjectTagging (`tags`) or DeleteObjectTagging (`tags` empty, `method` DELETE) of every ref. */
  putObjectTagging(refs: readonly ObjectRef[], tags: readonly Tag[], method: 'PUT' | 'DELETE', signal?: AbortSignal): Promise<(string | undefined | S3Error)[]>;
  /** CopyObject of every item with the same request (`template`): each item its source and target key. */
  copyObjects(template: Omit<CopyObjectInput, 'source' | 'key' | 'signal'>, items: readonly { readonly source: ObjectRef; readonly key: string }[], signal?: AbortSignal): Promise<(CopyResult | S3Error)[]>;
}

export interface StorageClient {
  /** For logs and capability decisions only ('embedded', 'remote:http://…'). */
  readonly description: string;
  /** Present when the adapter can run many objects in one step (a capability, as Kysely's `supportsReturning`). */
  readonly batch?: BatchCapability;
  headObject(ref: ObjectRef, signal?: AbortSignal): Promise<ObjectHead>;
  getObject(ref: ObjectRef, opts?: GetObjectOptions): Promise<ObjectBody>;
  putObject(input: PutObjectInput): Promise<WriteResult>;
  copyObject(input: CopyObjectInput): Promise<CopyResult>;
  getObjectTagging(ref: ObjectRef, signal?: AbortSignal): Promise<readonly Tag[]>;
  /** Replaces the whole tag set. Returns the version id changed. */
  putObjectTagging(ref: ObjectRef, tags: readonly Tag[], signal?: AbortSignal): Promise<string | undefined>;
  deleteObjectTagging(ref: ObjectRef, signal?: AbortSignal): Promise<string | undefined>;
  putObjectAcl(ref: ObjectRef, acl: AclInput, signal?: AbortSignal): Promise<void>;
  /** 202 when a restore was started, 200 when a restored copy existed and its expiry moved. */
  restoreObject(ref: ObjectRef, input: RestoreInput, signal?: AbortSignal): Promise<200 | 202>;
  putObjectLegalHold(ref: ObjectRef, on: boolean, signal?: AbortSignal): Promise<void>;
  /** null removes the retention. */
  putObjectRetention(ref: ObjectRef, retention: Retention | null, bypassGovernance: boolean, signal?: AbortSignal): Promise<void>;
  deleteObject(ref: ObjectRef, bypassGovernance: boolean, signal?: AbortSignal): Promise<DeleteResult>;
  /**
   * The bucket's region (GetBucketLocation; s3:GetBucketLocation, which AWS's Batch Operations
   * policy templates grant on the report and manifest buckets). With `expectedBucketOwner` it is
   * also how a job learns, before it writes anything, whether the bucket has the owner it expects.
   */
  getBucketLocation(bucket: string, opts?: BucketCallOptions): Promise<string>;
  /** Whether the bucket has Object Lock enabled (GetObjectLockConfiguration). */
  getObjectLockEnabled(bucket: string, signal?: AbortSignal): Promise<boolean>;
  /** Every object (or version) of a bucket under a prefix, in key order. */
  listObjects(input: ListInput): AsyncIterable<ListedObject>;
}

/** The AWS error code of a failure: the catalog's, or the remote's own when the catalog lacks it. */
export function errorCodeOf(e: S3Error): string {
  const wire = e.details.Code;
  return typeof wire === 'string' && wire !== '' ? wire : e.code;
}
