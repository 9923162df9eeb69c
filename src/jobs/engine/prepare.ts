/**
 * Preparing: takes the job's role (an unknown or untrusting role fails the job here, not in
 * CreateJob), reads the manifest as a stream and checks its ETag, counts the tasks and cuts the
 * segments (manifest/csv.ts, manifest/inventory.ts) or runs the manifest generator
 * (manifest/generator.ts), lets the operation check the job (Object Lock for legal hold and
 * retention, a registered Lambda function…), saves the segments and moves the job to Suspended
 * (awaiting confirmation) or Ready.
 *
 * Before reading anything it checks the owners the job expects of its buckets (ExpectedBucketOwner
 * of the report and of the generator's source, ExpectedManifestBucketOwner: bucket-owners.ts).
 *
 * Every problem found here fails the job — Preparing → Failing → Failed — with a FailureReason
 * that says what is wrong; none writes a report (no task ran). AWS's wording is kept where it is
 * known ("Reading the manifest is forbidden: AccessDenied").
 */
import { S3Error } from '../../errors.js';
import type { StorageClient } from '../../storage/storage-client.js';
import { AWAITING_CONFIRMATION, type FailureReason, type Job } from '../model.js';
import { manifestReadFailure, PrepareError, PrepareFailure, type Prepared } from '../manifest/prepared.js';
import { csvLayoutOf, scanCsvManifest, type CsvScan } from '../manifest/csv.js';
import { generateManifest, removeGeneratedFiles } from '../manifest/generator.js';
import { prepareInventory } from '../manifest/inventory.js';
import { csvSourceText, normalizeEtag } from '../manifest/source.js';
import { operationOf, type OperationDeps } from '../operations/index.js';
import type { JobLease, JobStore, TransitionPatch } from '../store.js';
import type { EngineOptions } from './options.js';
import { actionCheckFor, assumeJobRole } from './role.js';
import { checkBucketOwners } from './bucket-owners.js';
import type { EngineDeps } from './engine.js';

async function prepareCsv(storage: StorageClient, job: Job, options: EngineOptions, sameBucket: boolean, signal: AbortSignal): Promise<Prepared> {
  const loc = job.manifest!.location;
  let scan: CsvScan;
  let versionId: string | undefined;
  let etag: string;
  try {
    const { head, body } = await storage.getObject({ bucket: loc.bucket, key: loc.key, versionId: loc.objectVersionId }, { signal });
    if (normalizeEtag(head.etag) !== normalizeEtag(loc.etag)) {
      for await (const _ of body) break;
      throw new PrepareError(PrepareFailure.ManifestETagMismatch, `The ETag of the manifest object (${head.etag}) does not match the ETag in the job's manifest location (${loc.etag}).`);
    }
    versionId = head.versionId;
    etag = head.etag;
    scan = await scanCsvManifest(body, csvLayoutOf(job.manifest!.spec.fields ?? ['Bucket', 'Key']), { segmentLines: options.segmentLines, sameBucket, signal });
  } catch (e) {
    if (e instanceof S3Error) throw manifestReadFailure(e);
    throw e;
  }
  if (scan.problemCount > 0) {
    const list = scan.problems.map((p) => `line ${p.line}: ${p.message}`).join('; ');
    const more = scan.problemCount > scan.problems.length ? ` (${scan.problemCount} bad rows in all)` : '';
    throw new PrepareError(PrepareFailure.InvalidManifestContent, `Invalid manifest content: ${list}${more}`);
  }
  const source = csvSourceText(versionId, etag);
  return { segments: scan.segments.map((s) => ({ ...s, source })), totalTasks: scan.totalTasks, bucket: scan.firstBucket };
}

/** Fails a job that is New or Preparing: Failing, then Failed (no task ran: no report). */
export async function failPreparing(jobs: JobStore, id: string, failure: FailureReason, now: number): Promise<void> {
  const r = await jobs.transition(id, ['New', 'Preparing'], 'Failing', { failureReasons: [failure] }, now);
  if (r.ok) await jobs.transition(id, ['Failing'], 'Failed', {}, now);
}

export async function prepareJob(deps: EngineDeps, options: EngineOptions, opDeps: OperationDeps, lease: JobLease, signal: AbortSignal): Promise<void> {
  const { jobs } = deps;
  let job = lease.job;
  if (job.status === 'New') {
    const r = await jobs.transition(job.id, ['New'], 'Preparing', {}, deps.now());
    if (!r.ok) return; // cancelled meanwhile
    job = r.job;
  }
  const role = await assumeJobRole(deps.iam, job);
  if (role.failure) return failPreparing(jobs, job.id, role.failure, deps.now());
  const storage = deps.storageFor(role.principal);
  const operation = operationOf(job.operation, opDeps);
  let prepared: Prepared;
  try {
    await checkBucketOwners(storage, job, signal);
    if (job.manifest?.spec.format === 'S3BatchOperations_CSV_20180820') prepared = await prepareCsv(storage, job, options, operation.sameBucket, signal);
    else if (job.manifest) prepared = await prepareInventory(storage, job, options, operation.sameBucket, signal);
    else prepared = await generateManifest(storage, job, options, deps.spillDir, deps.now, signal);
    if (prepared.totalTasks === 0) throw new PrepareError(PrepareFailure.EmptyManifest, 'The manifest lists no objects: there is nothing to run.');
    if (operation.prepare && prepared.bucket !== undefined) {
      const check = await operation.prepare(
        { job, region: deps.region, storage, role: role.principal, signal, authorizeAction: actionCheckFor(deps.credentials, role.principal, deps.now), now: deps.now },
        prepared.bucket,
      );
      if (check) throw new PrepareError(check.code, check.reason);
    }
  } catch (e) {
    if (e instanceof PrepareError) {
      // A job failed here never reaches finish.ts: its generated data files go now.
      if (job.manifestGenerator) await removeGeneratedFiles(deps.spillDir, job.id);
      return failPreparing(jobs, job.id, e.failure, deps.now());
    }
    throw e;
  }
  if (!(await jobs.saveSegments(job.id, prepared.segments, prepared.totalTasks, deps.now()))) return; // no longer Preparing (cancelled)
  const patch: TransitionPatch = { ...prepared.patch, ...(job.confirmationRequired ? { suspendedCause: AWAITING_CONFIRMATION } : {}) };
  await jobs.transition(job.id, ['Preparing'], job.confirmationRequired ? 'Suspended' : 'Ready', patch, deps.now());
}
