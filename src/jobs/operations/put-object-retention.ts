/**
 * S3PutObjectRetention: sets (or, with neither Mode nor RetainUntilDate, removes) each object's
 * retention; COMPLIANCE can only be lengthened, GOVERNANCE changed with BypassGovernanceRetention.
 * The bucket must have Object Lock (checked in Preparing, as AWS).
 */
import type { Retention } from '../../storage/storage-client.js';
import type { S3PutObjectRetentionOperation } from '../model.js';
import { objectLockCheck } from './object-lock-check.js';
import { succeeded, type Operation } from './types.js';

export function putObjectRetention(op: S3PutObjectRetentionOperation): Operation {
  const r = op.retention;
  const retention: Retention | null = r.mode !== undefined && r.retainUntilDate !== undefined ? { mode: r.mode, until: r.retainUntilDate } : null;
  const bypass = op.bypassGovernanceRetention === true;
  return {
    sameBucket: true,
    prepare: objectLockCheck,
    run: async (task, ctx) => {
      await ctx.storage.putObjectRetention(task, retention, bypass, ctx.signal);
      return succeeded();
    },
  };
}
