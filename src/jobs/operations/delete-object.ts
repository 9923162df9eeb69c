/**
 * S3DeleteObject — an s3batch extension (AWS Batch Operations has no delete): deletes each listed
 * version (DeleteObject with versionId), or, without a VersionId column, the current object (a
 * delete marker in a versioned bucket). Object Lock is respected: a version under legal hold or
 * an unexpired retention fails its task with 403 AccessDenied; GOVERNANCE retention yields to
 * BypassGovernanceRetention when the role may s3:BypassGovernanceRetention.
 */
import type { S3DeleteObjectOperation } from '../model.js';
import { succeeded, type Operation } from './types.js';

export function deleteObject(op: S3DeleteObjectOperation): Operation {
  const bypass = op.bypassGovernanceRetention === true;
  return {
    sameBucket: true,
    run: async (task, ctx) => {
      await ctx.storage.deleteObject(task, bypass, ctx.signal);
      return succeeded();
    },
  };
}
