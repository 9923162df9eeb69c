/** Legal-hold and retention jobs check the bucket's Object Lock before any key (AWS: GetBucketObjectLockConfiguration in Preparing). */
import { S3Error } from '../../errors.js';
import { errorCodeOf } from '../../storage/storage-client.js';
import type { Operation } from './types.js';

export const objectLockCheck: NonNullable<Operation['prepare']> = async (ctx, bucket) => {
  try {
    if (await ctx.storage.getObjectLockEnabled(bucket, ctx.signal)) return undefined;
    return { code: 'ObjectLockNotEnabled', reason: `Object Lock is not enabled on bucket ${bucket}: legal hold and retention jobs need a bucket with Object Lock.` };
  } catch (e) {
    if (!(e instanceof S3Error)) throw e;
    return { code: 'ObjectLockNotEnabled', reason: `Reading the Object Lock configuration of bucket ${bucket} failed: ${errorCodeOf(e)}` };
  }
};
