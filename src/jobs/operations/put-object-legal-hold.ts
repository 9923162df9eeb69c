/** S3PutObjectLegalHold: sets each object's legal hold ON or OFF. The bucket must have Object Lock (checked in Preparing, as AWS). */
import type { S3PutObjectLegalHoldOperation } from '../model.js';
import { objectLockCheck } from './object-lock-check.js';
import { succeeded, type Operation } from './types.js';

export function putObjectLegalHold(op: S3PutObjectLegalHoldOperation): Operation {
  const on = op.legalHold.status === 'ON';
  return {
    sameBucket: true,
    prepare: objectLockCheck,
    run: async (task, ctx) => {
      await ctx.storage.putObjectLegalHold(task, on, ctx.signal);
      return succeeded();
    },
  };
}
