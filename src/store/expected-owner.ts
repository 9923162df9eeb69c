/**
 * S3's bucket owner condition: a request that names the account it expects to own the bucket
 * (`x-amz-expected-bucket-owner`; for a copy's source bucket `x-amz-source-expected-bucket-owner`)
 * is refused with 403 AccessDenied, message "Access Denied" and nothing more, when another account
 * owns it — S3 says no more than that, so a caller cannot tell a foreign bucket from a forbidden
 * one. The S3 front (http/s3/authorize-request.ts) and the embedded StorageClient apply this one
 * rule, before authorizing, so a batch job's calls meet the condition exactly as an HTTP client's.
 *
 * A missing bucket passes: the operation itself answers NoSuchBucket. A value that is not an
 * account id (12 digits) is 400 InvalidBucketOwnerAWSAccountID, whatever the bucket (as S3 does).
 */
import { S3Error } from '../errors.js';
import { findBucket } from './buckets.js';
import type { StoreContext } from './context.js';

export function checkExpectedBucketOwner(ctx: StoreContext, bucket: string, expected: string | undefined): void {
  if (expected === undefined) return;
  if (!/^\d{12}$/.test(expected)) {
    throw new S3Error('InvalidBucketOwnerAWSAccountID', `The value of the expected bucket owner parameter must be an AWS Account ID... [${expected}]`);
  }
  const b = findBucket(ctx, bucket);
  if (b && b.owner !== expected) throw new S3Error('AccessDenied');
}
