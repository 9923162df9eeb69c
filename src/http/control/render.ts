/**
 * Jobs on the wire: DescribeJob's JobDescriptor and ListJobs' JobListDescriptor, element names and
 * order as spec §2.2/§2.3 show (served to CLI v1, v2 and SDK v3 there). The operation is echoed
 * with the same structure the request used; times are ISO-8601 with milliseconds.
 */
import {
  elapsedActiveSeconds, jobArn,
  type Job, type JobManifest, type JobOperation, type JobReport, type ManifestFilter, type ManifestLocation, type S3Grant,
  type S3JobManifestGenerator, type S3ObjectMetadata, type Tag,
} from '../../jobs/model.js';
import { isoDate, type XmlObject, type XmlValue } from '../xml.js';

export const CONTROL_XMLNS = 'http://awss3control.amazonaws.com/doc/2018-08-20/';

const time = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : isoDate(ms));
const list = (items: readonly XmlValue[] | undefined): XmlObject | undefined => (items === undefined ? undefined : { member: items });
const entries = (m: Readonly<Record<string, string>> | undefined): XmlObject | undefined =>
  m === undefined ? undefined : { entry: Object.entries(m).map(([key, value]) => ({ key, value })) };

export function renderTags(tags: readonly Tag[]): XmlObject {
  return { member: tags.map(([Key, Value]) => ({ Key, Value })) };
}

function grants(g: readonly S3Grant[] | undefined): XmlObject | undefined {
  return list(
    g?.map((x) => ({
      Grantee: x.grantee ? { TypeIdentifier: x.grantee.typeIdentifier, Identifier: x.grantee.identifier, DisplayName: x.grantee.displayName } : undefined,
      Permission: x.permission,
    })),
  );
}

function metadata(m: S3ObjectMetadata | undefined): XmlObject | undefined {
  if (m === undefined) return undefined;
  return {
    CacheControl: m.cacheControl,
    ContentDisposition: m.contentDisposition,
    ContentEncoding: m.contentEncoding,
    ContentLanguage: m.contentLanguage,
    UserMetadata: entries(m.userMetadata),
    ContentLength: m.contentLength,
    ContentMD5: m.contentMD5,
    ContentType: m.contentType,
    HttpExpiresDate: time(m.httpExpiresDate),
    RequesterCharged: m.requesterCharged,
    SSEAlgorithm: m.sseAlgorithm,
  };
}

function operationBody(op: JobOperation): XmlObject {
  switch (op.kind) {
    case 'LambdaInvoke':
      return { FunctionArn: op.functionArn, InvocationSchemaVersion: op.invocationSchemaVersion, UserArguments: entries(op.userArguments) };
    case 'S3PutObjectCopy':
      return {
        TargetResource: op.targetResource,
        CannedAccessControlList: op.cannedAccessControlList,
        AccessControlGrants: grants(op.accessControlGrants),
        MetadataDirective: op.metadataDirective,
        ModifiedSinceConstraint: time(op.modifiedSinceConstraint),
        NewObjectMetadata: metadata(op.newObjectMetadata),
        NewObjectTagging: op.newObjectTagging ? renderTags(op.newObjectTagging) : undefined,
        RedirectLocation: op.redirectLocation,
        RequesterPays: op.requesterPays,
        StorageClass: op.storageClass,
        UnModifiedSinceConstraint: time(op.unModifiedSinceConstraint),
        SSEAwsKmsKeyId: op.sseAwsKmsKeyId,
        TargetKeyPrefix: op.targetKeyPrefix,
        ObjectLockLegalHoldStatus: op.objectLockLegalHoldStatus,
        ObjectLockMode: op.objectLockMode,
        ObjectLockRetainUntilDate: time(op.objectLockRetainUntilDate),
        BucketKeyEnabled: op.bucketKeyEnabled,
        ChecksumAlgorithm: op.checksumAlgorithm,
      };
    case 'S3PutObjectAcl': {
      const p = op.accessControlPolicy;
      const acl = p.accessControlList;
      return {
        AccessControlPolicy: {
          AccessControlList: acl ? { Owner: { ID: acl.owner.id, DisplayName: acl.owner.displayName }, Grants: grants(acl.grants) } : undefined,
          CannedAccessControlList: p.cannedAccessControlList,
        },
      };
    }
    case 'S3PutObjectTagging':
      return { TagSet: renderTags(op.tagSet) };
    case 'S3DeleteObjectTagging':
    case 'S3ReplicateObject':
      return {};
    case 'S3InitiateRestoreObject':
      return { ExpirationInDays: op.expirationInDays, GlacierJobTier: op.glacierJobTier };
    case 'S3PutObjectLegalHold':
      return { LegalHold: { Status: op.legalHold.status } };
    case 'S3PutObjectRetention':
      return { BypassGovernanceRetention: op.bypassGovernanceRetention, Retention: { RetainUntilDate: time(op.retention.retainUntilDate), Mode: op.retention.mode } };
    case 'S3ComputeObjectChecksum':
      return { ChecksumAlgorithm: op.checksumAlgorithm, ChecksumType: op.checksumType };
    case 'S3DeleteObject':
      return { BypassGovernanceRetention: op.bypassGovernanceRetention };
    default: {
      const never: never = op;
      throw new Error(`unknown operation ${(never as JobOperation).kind}`);
    }
  }
}

export function renderOperation(op: JobOperation): XmlObject {
  return { [op.kind]: operationBody(op) };
}

function location(l: ManifestLocation): XmlObject {
  return { ObjectArn: l.objectArn, ObjectVersionId: l.objectVersionId, ETag: l.etag };
}

function manifest(m: JobManifest): XmlObject {
  return { Spec: { Format: m.spec.format, Fields: list(m.spec.fields) }, Location: location(m.location) };
}

function report(r: JobReport): XmlObject {
  return { Bucket: r.bucketArn, Format: r.format, Enabled: r.enabled, Prefix: r.prefix, ReportScope: r.reportScope, ExpectedBucketOwner: r.expectedBucketOwner };
}

function filter(f: ManifestFilter): XmlObject {
  const k = f.keyNameConstraint;
  return {
    EligibleForReplication: f.eligibleForReplication,
    CreatedAfter: time(f.createdAfter),
    CreatedBefore: time(f.createdBefore),
    ObjectReplicationStatuses: list(f.objectReplicationStatuses),
    KeyNameConstraint: k ? { MatchAnyPrefix: list(k.matchAnyPrefix), MatchAnySuffix: list(k.matchAnySuffix), MatchAnySubstring: list(k.matchAnySubstring) } : undefined,
    ObjectSizeGreaterThanBytes: f.objectSizeGreaterThanBytes,
    ObjectSizeLessThanBytes: f.objectSizeLessThanBytes,
    MatchAnyStorageClass: list(f.matchAnyStorageClass),
    MatchAnyObjectEncryption: f.matchAnyObjectEncryption
      ? {
          ObjectEncryption: f.matchAnyObjectEncryption.map((e) => {
            switch (e.kind) {
              case 'SSE-KMS':
                return { 'SSE-KMS': { KmsKeyArn: e.kmsKeyArn, BucketKeyEnabled: e.bucketKeyEnabled } };
              case 'DSSE-KMS':
                return { 'DSSE-KMS': { KmsKeyArn: e.kmsKeyArn } };
              default:
                return { [e.kind]: {} };
            }
          }),
        }
      : undefined,
  };
}

function generator(g: S3JobManifestGenerator): XmlObject {
  const o = g.manifestOutputLocation;
  return {
    S3JobManifestGenerator: {
      ExpectedBucketOwner: g.expectedBucketOwner,
      SourceBucket: g.sourceBucketArn,
      ManifestOutputLocation: o
        ? {
            ExpectedManifestBucketOwner: o.expectedManifestBucketOwner,
            Bucket: o.bucketArn,
            ManifestPrefix: o.manifestPrefix,
            ManifestEncryption: o.manifestEncryption ? (o.manifestEncryption.kind === 'SSE-S3' ? { 'SSE-S3': {} } : { 'SSE-KMS': { KeyId: o.manifestEncryption.keyId } }) : undefined,
            ManifestFormat: o.manifestFormat,
          }
        : undefined,
      Filter: g.filter ? filter(g.filter) : undefined,
      EnableManifestOutput: g.enableManifestOutput,
    },
  };
}

function progress(j: Job, now: number): XmlObject {
  const p = j.progress;
  return {
    TotalNumberOfTasks: p.totalNumberOfTasks,
    NumberOfTasksSucceeded: p.numberOfTasksSucceeded,
    NumberOfTasksFailed: p.numberOfTasksFailed,
    Timers: { ElapsedTimeInActiveSeconds: elapsedActiveSeconds(p, now) },
  };
}

/** DescribeJob's <Job>. */
export function renderJobDescriptor(j: Job, region: string, now: number): XmlObject {
  return {
    JobId: j.id,
    ConfirmationRequired: j.confirmationRequired,
    Description: j.description,
    JobArn: jobArn(region, j.accountId, j.id),
    Status: j.status,
    Manifest: j.manifest ? manifest(j.manifest) : undefined,
    Operation: renderOperation(j.operation),
    Priority: j.priority,
    ProgressSummary: progress(j, now),
    StatusUpdateReason: j.statusUpdateReason,
    FailureReasons: { member: j.failureReasons.map((f) => ({ FailureCode: f.failureCode, FailureReason: f.failureReason })) },
    Report: report(j.report),
    CreationTime: isoDate(j.creationTime),
    TerminationDate: time(j.terminationDate),
    RoleArn: j.roleArn,
    SuspendedDate: time(j.suspendedDate),
    SuspendedCause: j.suspendedCause,
    ManifestGenerator: j.manifestGenerator ? generator(j.manifestGenerator) : undefined,
    GeneratedManifestDescriptor: j.generatedManifestDescriptor ? { Format: j.generatedManifestDescriptor.format, Location: location(j.generatedManifestDescriptor.location) } : undefined,
  };
}

/** One ListJobs <member>. */
export function renderJobListDescriptor(j: Job, now: number): XmlObject {
  return {
    JobId: j.id,
    Description: j.description,
    Operation: j.operation.kind,
    Priority: j.priority,
    Status: j.status,
    CreationTime: isoDate(j.creationTime),
    TerminationDate: time(j.terminationDate),
    ProgressSummary: progress(j, now),
  };
}
