/**
 * ExpectedBucketOwner (JobReport, S3JobManifestGenerator) and ExpectedManifestBucketOwner
 * (ManifestOutputLocation): "fail the job if the bucket owner differs" (spec §4.4, §6.1).
 *
 * The owner is learned the way S3 itself lets a client learn it, through the bucket owner
 * condition (`x-amz-expected-bucket-owner`, StorageClient `expectedBucketOwner`), so the same
 * check holds on the embedded store and on any remote endpoint that honours the header:
 * - every call a job makes to such a bucket carries the condition — the generator's listing of its
 *   source, the generated manifest's writes, the report's writes — so nothing is read from or
 *   written to a bucket of another account, whatever happens between Preparing and the report;
 * - Preparing asks first (`checkBucketOwners`), so a wrong owner fails the job before any task
 *   runs: GetBucketLocation with the condition; S3 answers a foreign bucket with a bare 403
 *   AccessDenied, so on a 403 the same call without the condition tells a foreign bucket (it now
 *   succeeds: the job fails, naming the bucket) from a role that may not read the bucket's
 *   location (it fails again: nothing can be concluded here, and the condition on the later calls
 *   still refuses a foreign bucket). Any other answer (NoSuchBucket, a transient failure) is left
 *   to the calls that need the bucket, which fail the way they always have.
 *
 * AWS's Batch Operations policy templates grant s3:GetBucketLocation on the report and manifest
 * buckets; one round trip per bucket with an expected owner, none for jobs without one.
 */
import { S3Error } from '../../errors.js';
import { errorCodeOf, type StorageClient } from '../../storage/storage-client.js';
import type { Job } from '../model.js';
import { PrepareError, PrepareFailure } from '../manifest/prepared.js';

interface ExpectedOwner {
  readonly bucket: string;
  /** How the FailureReason names the bucket. */
  readonly role: string;
  /** The request element that named the owner. */
  readonly element: 'ExpectedBucketOwner' | 'ExpectedManifestBucketOwner';
  readonly owner: string;
}

/** The buckets of `job` that name an expected owner, in the order the job uses them. */
export function expectedOwnersOf(job: Job): ExpectedOwner[] {
  const out: ExpectedOwner[] = [];
  const g = job.manifestGenerator;
  if (g?.expectedBucketOwner !== undefined) out.push({ bucket: g.sourceBucket, role: 'source bucket', element: 'ExpectedBucketOwner', owner: g.expectedBucketOwner });
  const o = g?.enableManifestOutput ? g.manifestOutputLocation : undefined;
  if (o?.expectedManifestBucketOwner !== undefined) out.push({ bucket: o.bucket, role: 'manifest output bucket', element: 'ExpectedManifestBucketOwner', owner: o.expectedManifestBucketOwner });
  const r = job.report;
  if (r.enabled && r.bucket !== undefined && r.expectedBucketOwner !== undefined) out.push({ bucket: r.bucket, role: 'report bucket', element: 'ExpectedBucketOwner', owner: r.expectedBucketOwner });
  return out;
}

const denied = (e: unknown): boolean => e instanceof S3Error && errorCodeOf(e) === 'AccessDenied';

/** Whether `e.bucket` is known to have another owner than `e.owner`. */
async function ownerDiffers(storage: StorageClient, e: ExpectedOwner, signal: AbortSignal): Promise<boolean> {
  try {
    await storage.getBucketLocation(e.bucket, { expectedBucketOwner: e.owner, signal });
    return false;
  } catch (err) {
    if (!denied(err)) {
      if (err instanceof S3Error) return false;
      throw err;
    }
  }
  try {
    await storage.getBucketLocation(e.bucket, { signal });
    return true;
  } catch (err) {
    if (err instanceof S3Error) return false;
    throw err;
  }
}

/** Fails preparation (PrepareError) when a bucket the job names an owner for has another one. */
export async function checkBucketOwners(storage: StorageClient, job: Job, signal: AbortSignal): Promise<void> {
  for (const e of expectedOwnersOf(job)) {
    if (await ownerDiffers(storage, e, signal)) {
      throw new PrepareError(PrepareFailure.BucketOwnerMismatch, `The owner of the ${e.role} ${e.bucket} differs from the ${e.element} ${e.owner}.`);
    }
  }
}
