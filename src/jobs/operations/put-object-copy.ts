/**
 * S3PutObjectCopy: copies each object into the target bucket (CopyObject), with every field of
 * the operation (spec §3.2): ACL (canned or grants), metadata directive and new metadata, new tag
 * set (absent: the source's tags are copied), storage class, SSE / KMS key / bucket key, redirect,
 * requester pays, Object Lock mode / date / legal hold, checksum algorithm, (un)modified-since
 * constraints, and TargetKeyPrefix. Objects over 5 GiB — AWS's limit for this operation — are
 * copied too: the remote adapter switches to multipart UploadPartCopy, the embedded store copies
 * by reference whatever the size.
 */
import type { AclInput, CopyObjectInput, ObjectMetadata } from '../../storage/storage-client.js';
import type { S3ObjectMetadata, S3PutObjectCopyOperation } from '../model.js';
import { toGrants } from './grants.js';
import { S3Error } from '../../errors.js';
import { errorCodeOf } from '../../storage/storage-client.js';
import { failed, succeeded, type Operation, type TaskResult } from './types.js';

/** Destination key: prefix + key, with one '/' between unless the prefix ends with one (spec §3.2 [REC]). */
export function targetKey(prefix: string | undefined, key: string): string {
  if (prefix === undefined || prefix === '') return key;
  return prefix.endsWith('/') ? prefix + key : `${prefix}/${key}`;
}

function metadataOf(m: S3ObjectMetadata): ObjectMetadata {
  return {
    contentType: m.contentType,
    contentEncoding: m.contentEncoding,
    contentDisposition: m.contentDisposition,
    contentLanguage: m.contentLanguage,
    cacheControl: m.cacheControl,
    expires: m.httpExpiresDate !== undefined ? new Date(m.httpExpiresDate).toUTCString() : undefined,
    userMetadata: m.userMetadata ?? {},
  };
}

function aclOf(op: S3PutObjectCopyOperation): AclInput | undefined {
  if (op.cannedAccessControlList) return { kind: 'canned', canned: op.cannedAccessControlList };
  if (op.accessControlGrants && op.accessControlGrants.length > 0) return { kind: 'grants', grants: toGrants(op.accessControlGrants) };
  return undefined;
}

/** The CopyObject request of one task, less its source and key. */
export function copyTemplate(op: S3PutObjectCopyOperation): Omit<CopyObjectInput, 'source' | 'key' | 'signal'> {
  const meta = op.newObjectMetadata;
  // NewObjectMetadata without a directive means REPLACE: the metadata would otherwise be ignored.
  const directive = op.metadataDirective ?? (meta ? 'REPLACE' : undefined);
  const sse = op.sseAwsKmsKeyId !== undefined || meta?.sseAlgorithm === 'KMS' ? 'aws:kms' : meta?.sseAlgorithm === 'AES256' ? 'AES256' : undefined;
  return {
    bucket: op.targetBucket,
    metadataDirective: directive,
    metadata: meta ? metadataOf(meta) : undefined,
    tags: op.newObjectTagging,
    acl: aclOf(op),
    storageClass: op.storageClass,
    websiteRedirectLocation: op.redirectLocation,
    serverSideEncryption: sse,
    kmsKeyId: op.sseAwsKmsKeyId,
    bucketKeyEnabled: op.bucketKeyEnabled,
    checksumAlgorithm: op.checksumAlgorithm,
    lockMode: op.objectLockMode,
    lockUntil: op.objectLockRetainUntilDate,
    legalHold: op.objectLockLegalHoldStatus !== undefined ? op.objectLockLegalHoldStatus === 'ON' : undefined,
    modifiedSince: op.modifiedSinceConstraint,
    unmodifiedSince: op.unModifiedSinceConstraint,
    requesterPays: op.requesterPays,
  };
}

export function putObjectCopy(op: S3PutObjectCopyOperation): Operation {
  const template = copyTemplate(op);
  return {
    sameBucket: true,
    runBatch: async (tasks, ctx) => {
      const outs = await ctx.storage.batch!.copyObjects(template, tasks.map((t) => ({ source: t, key: targetKey(op.targetKeyPrefix, t.key) })), ctx.signal);
      return outs.map((o): TaskResult | undefined => {
        if (!(o instanceof S3Error)) return succeeded();
        return o.retryable ? undefined : failed(o.status, errorCodeOf(o), o.message);
      });
    },
    run: async (task, ctx) => {
      await ctx.storage.copyObject({ ...template, source: task, key: targetKey(op.targetKeyPrefix, task.key), signal: ctx.signal });
      return succeeded();
    },
  };
}
