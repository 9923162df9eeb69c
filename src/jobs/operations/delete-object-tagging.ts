/** S3DeleteObjectTagging: removes every tag of each object (DeleteObjectTagging). */
import { taggingBatch } from './tagging-batch.js';
import { succeeded, type Operation } from './types.js';

export function deleteObjectTagging(): Operation {
  return {
    sameBucket: true,
    runBatch: taggingBatch([], 'DELETE'),
    run: async (task, ctx) => {
      await ctx.storage.deleteObjectTagging(task, ctx.signal);
      return succeeded();
    },
  };
}
