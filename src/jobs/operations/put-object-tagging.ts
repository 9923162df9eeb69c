/** S3PutObjectTagging: replaces each object's whole tag set (PutObjectTagging; no merge mode, as AWS). */
import type { S3PutObjectTaggingOperation } from '../model.js';
import { taggingBatch } from './tagging-batch.js';
import { succeeded, type Operation } from './types.js';

export function putObjectTagging(op: S3PutObjectTaggingOperation): Operation {
  return {
    sameBucket: true,
    runBatch: taggingBatch(op.tagSet, 'PUT'),
    run: async (task, ctx) => {
      await ctx.storage.putObjectTagging(task, op.tagSet, ctx.signal);
      return succeeded();
    },
  };
}
