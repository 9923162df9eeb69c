/**
 * Which S3 operation a request is: method + bucket/key presence + sub-resource query parameters,
 * as AWS routes them. Operation names are AWS's own, so they line up with the SDK, the docs and
 * (in the IAM step) the action catalog.
 */
export type S3Operation =
  | 'ListBuckets' | 'CreateBucket' | 'DeleteBucket' | 'HeadBucket' | 'GetBucketLocation'
  | 'GetBucketVersioning' | 'PutBucketVersioning'
  | 'GetBucketTagging' | 'PutBucketTagging' | 'DeleteBucketTagging'
  | 'GetBucketPolicy' | 'PutBucketPolicy' | 'DeleteBucketPolicy'
  | 'GetBucketReplication' | 'PutBucketReplication' | 'DeleteBucketReplication'
  | 'GetBucketInventoryConfiguration' | 'PutBucketInventoryConfiguration' | 'DeleteBucketInventoryConfiguration' | 'ListBucketInventoryConfigurations'
  | 'GetBucketEncryption' | 'PutBucketEncryption' | 'DeleteBucketEncryption'
  | 'GetObjectLockConfiguration' | 'PutObjectLockConfiguration'
  | 'GetBucketAcl' | 'PutBucketAcl'
  | 'ListObjects' | 'ListObjectsV2' | 'ListObjectVersions' | 'ListMultipartUploads'
  | 'DeleteObjects'
  | 'GetObject' | 'HeadObject' | 'PutObject' | 'CopyObject' | 'DeleteObject'
  | 'GetObjectTagging' | 'PutObjectTagging' | 'DeleteObjectTagging'
  | 'GetObjectAcl' | 'PutObjectAcl'
  | 'GetObjectRetention' | 'PutObjectRetention' | 'GetObjectLegalHold' | 'PutObjectLegalHold'
  | 'GetObjectAttributes' | 'RestoreObject'
  | 'CreateMultipartUpload' | 'UploadPart' | 'UploadPartCopy' | 'CompleteMultipartUpload' | 'AbortMultipartUpload' | 'ListParts';

/** Sub-resources S3 has that s3batch does not implement: answered with NotImplemented, named. */
const unsupportedBucketSubresources: Record<string, string> = {
  lifecycle: 'BucketLifecycleConfiguration',
  cors: 'BucketCors',
  website: 'BucketWebsite',
  logging: 'BucketLogging',
  notification: 'BucketNotificationConfiguration',
  ownershipControls: 'BucketOwnershipControls',
  publicAccessBlock: 'PublicAccessBlock',
  accelerate: 'BucketAccelerateConfiguration',
  requestPayment: 'BucketRequestPayment',
  analytics: 'BucketAnalyticsConfiguration',
  metrics: 'BucketMetricsConfiguration',
  'intelligent-tiering': 'BucketIntelligentTieringConfiguration',
  policyStatus: 'BucketPolicyStatus',
  metadataTable: 'BucketMetadataTableConfiguration',
  metadataConfiguration: 'BucketMetadataConfiguration',
  metadataInventoryTable: 'BucketMetadataInventoryTableConfiguration',
  metadataJournalTable: 'BucketMetadataJournalTableConfiguration',
  abac: 'BucketAbac',
  session: 'CreateSession',
};
// Without these entries a request for an unknown sub-resource would fall through to the plain
// operation (PUT /bucket?abac would be CreateBucket), so every sub-resource S3 has is named here.
const unsupportedObjectSubresources: Record<string, string> = {
  torrent: 'GetObjectTorrent',
  select: 'SelectObjectContent',
  renameObject: 'RenameObject',
  annotation: 'ObjectAnnotation',
  encryption: 'UpdateObjectEncryption',
};

export type Resolved = { op: S3Operation } | { unsupported: string } | { methodNotAllowed: true };

export function resolveOperation(method: string, bucket: string | undefined, key: string | undefined, q: URLSearchParams, headers: Record<string, unknown>): Resolved {
  const has = (n: string): boolean => q.has(n);
  if (bucket === undefined) return method === 'GET' ? { op: 'ListBuckets' } : { methodNotAllowed: true };
  if (key === undefined) {
    for (const sub in unsupportedBucketSubresources) if (has(sub)) return { unsupported: unsupportedBucketSubresources[sub]! };
    switch (method) {
      case 'GET':
        if (has('versioning')) return { op: 'GetBucketVersioning' };
        if (has('location')) return { op: 'GetBucketLocation' };
        if (has('tagging')) return { op: 'GetBucketTagging' };
        if (has('policy')) return { op: 'GetBucketPolicy' };
        if (has('replication')) return { op: 'GetBucketReplication' };
        if (has('inventory')) return { op: has('id') ? 'GetBucketInventoryConfiguration' : 'ListBucketInventoryConfigurations' };
        if (has('encryption')) return { op: 'GetBucketEncryption' };
        if (has('object-lock')) return { op: 'GetObjectLockConfiguration' };
        if (has('acl')) return { op: 'GetBucketAcl' };
        if (has('uploads')) return { op: 'ListMultipartUploads' };
        if (has('versions')) return { op: 'ListObjectVersions' };
        return { op: q.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects' };
      case 'HEAD':
        return { op: 'HeadBucket' };
      case 'PUT':
        if (has('versioning')) return { op: 'PutBucketVersioning' };
        if (has('tagging')) return { op: 'PutBucketTagging' };
        if (has('policy')) return { op: 'PutBucketPolicy' };
        if (has('replication')) return { op: 'PutBucketReplication' };
        if (has('inventory')) return { op: 'PutBucketInventoryConfiguration' };
        if (has('encryption')) return { op: 'PutBucketEncryption' };
        if (has('object-lock')) return { op: 'PutObjectLockConfiguration' };
        if (has('acl')) return { op: 'PutBucketAcl' };
        return { op: 'CreateBucket' };
      case 'DELETE':
        if (has('tagging')) return { op: 'DeleteBucketTagging' };
        if (has('policy')) return { op: 'DeleteBucketPolicy' };
        if (has('replication')) return { op: 'DeleteBucketReplication' };
        if (has('inventory')) return { op: 'DeleteBucketInventoryConfiguration' };
        if (has('encryption')) return { op: 'DeleteBucketEncryption' };
        return { op: 'DeleteBucket' };
      case 'POST':
        if (has('delete')) return { op: 'DeleteObjects' };
        return { methodNotAllowed: true };
      default:
        return { methodNotAllowed: true };
    }
  }
  for (const sub in unsupportedObjectSubresources) if (has(sub)) return { unsupported: unsupportedObjectSubresources[sub]! };
  switch (method) {
    case 'GET':
      if (has('tagging')) return { op: 'GetObjectTagging' };
      if (has('acl')) return { op: 'GetObjectAcl' };
      if (has('retention')) return { op: 'GetObjectRetention' };
      if (has('legal-hold')) return { op: 'GetObjectLegalHold' };
      if (has('attributes')) return { op: 'GetObjectAttributes' };
      if (has('uploadId')) return { op: 'ListParts' };
      return { op: 'GetObject' };
    case 'HEAD':
      return { op: 'HeadObject' };
    case 'PUT':
      if (has('tagging')) return { op: 'PutObjectTagging' };
      if (has('acl')) return { op: 'PutObjectAcl' };
      if (has('retention')) return { op: 'PutObjectRetention' };
      if (has('legal-hold')) return { op: 'PutObjectLegalHold' };
      if (has('uploadId') && has('partNumber')) return { op: headers['x-amz-copy-source'] !== undefined ? 'UploadPartCopy' : 'UploadPart' };
      return { op: headers['x-amz-copy-source'] !== undefined ? 'CopyObject' : 'PutObject' };
    case 'DELETE':
      if (has('tagging')) return { op: 'DeleteObjectTagging' };
      if (has('uploadId')) return { op: 'AbortMultipartUpload' };
      return { op: 'DeleteObject' };
    case 'POST':
      if (has('uploads')) return { op: 'CreateMultipartUpload' };
      if (has('uploadId')) return { op: 'CompleteMultipartUpload' };
      if (has('restore')) return { op: 'RestoreObject' };
      return { methodNotAllowed: true };
    default:
      return { methodNotAllowed: true };
  }
}
