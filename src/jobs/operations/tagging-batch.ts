/** The set-based form shared by S3PutObjectTagging and S3DeleteObjectTagging (StorageClient.batch). */
import { S3Error } from '../../errors.js';
import { errorCodeOf, type Tag } from '../../storage/storage-client.js';
import { failed, succeeded, type RunBatch, type TaskResult } from './types.js';

export function taggingBatch(tags: readonly Tag[], method: 'PUT' | 'DELETE'): RunBatch {
  return async (tasks, ctx) => {
    const outs = await ctx.storage.batch!.putObjectTagging(tasks, tags, method, ctx.signal);
    return outs.map((o): TaskResult | undefined => {
      if (!(o instanceof S3Error)) return succeeded();
      return o.retryable ? undefined : failed(o.status, errorCodeOf(o), o.message);
    });
  };
}
