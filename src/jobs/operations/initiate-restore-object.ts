/**
 * S3InitiateRestoreObject: starts a restore of each archived object (RestoreObject). A task
 * succeeds when the request is accepted, not when the restored copy is ready (AWS).
 */
import type { RestoreTier } from '../../storage/storage-client.js';
import type { S3InitiateRestoreObjectOperation } from '../model.js';
import { succeeded, type Operation } from './types.js';

export function initiateRestoreObject(op: S3InitiateRestoreObjectOperation): Operation {
  const tier: RestoreTier = op.glacierJobTier === 'BULK' ? 'Bulk' : 'Standard';
  return {
    sameBucket: true,
    run: async (task, ctx) => {
      await ctx.storage.restoreObject(task, { days: op.expirationInDays, tier }, ctx.signal);
      return succeeded();
    },
  };
}
