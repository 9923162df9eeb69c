/**
 * What preparing a manifest yields (segments and the task count), and how it fails: a
 * `PrepareError` carries the job's FailureReason. FailureCodes here are s3batch's own (AWS
 * documents none); reasons keep AWS's wording where it is known ("Reading the manifest is
 * forbidden: AccessDenied").
 */
import { S3Error } from '../../errors.js';
import { errorCodeOf } from '../../storage/storage-client.js';
import type { FailureReason } from '../model.js';
import type { SegmentPlan, TransitionPatch } from '../store.js';

export const PrepareFailure = {
  ManifestReadFailed: 'ManifestReadFailed',
  ManifestETagMismatch: 'ManifestETagMismatch',
  InvalidManifestContent: 'InvalidManifestContent',
  EmptyManifest: 'EmptyManifest',
  UnsupportedInventoryFormat: 'UnsupportedInventoryFormat',
  ManifestGenerationFailed: 'ManifestGenerationFailed',
  /** A bucket's owner is not the ExpectedBucketOwner / ExpectedManifestBucketOwner the job names. */
  BucketOwnerMismatch: 'BucketOwnerMismatch',
} as const;

/** FailureReason is 1–256 characters (model). */
export function truncateReason(s: string): string {
  return s.length <= 256 ? s : `${s.slice(0, 253)}...`;
}

export class PrepareError extends Error {
  override name = 'PrepareError';
  readonly failure: FailureReason;
  constructor(code: string, reason: string) {
    super(reason);
    this.failure = { failureCode: code, failureReason: truncateReason(reason) };
  }
}

/** The failure of reading a manifest object, in AWS's words where known. */
export function manifestReadFailure(e: S3Error, what = 'the manifest'): PrepareError {
  const code = errorCodeOf(e);
  if (code === 'AccessDenied') return new PrepareError(PrepareFailure.ManifestReadFailed, `Reading ${what} is forbidden: AccessDenied`);
  return new PrepareError(PrepareFailure.ManifestReadFailed, `Reading ${what} failed: ${code}: ${e.message}`);
}

export interface Prepared {
  readonly segments: readonly SegmentPlan[];
  readonly totalTasks: number;
  /** The bucket the tasks name (the first row's). */
  readonly bucket: string | undefined;
  readonly patch?: TransitionPatch;
}
