/**
 * Finishing: a job in Completing, Failing or Cancelling with no segment lease left (the store
 * fences them all when it hands the job over) gets its completion report — whenever at least one
 * task ran and the report is enabled — and then its terminal status: Complete, Failed or
 * Cancelled. A report that cannot be written (the role may not write the report bucket, the
 * bucket is gone…) fails a completing job with a FailureReason saying so, as AWS does ("The job
 * report could not be written to your report bucket").
 *
 * A job whose manifest was generated without EnableManifestOutput loses its private data files
 * (manifest/generator.ts) before its terminal status: no segment reads them any more (the store
 * fenced every segment lease), and a crash in between only leaves the removal to the next try.
 */
import { S3Error } from '../../errors.js';
import { errorCodeOf } from '../../storage/storage-client.js';
import { removeGeneratedFiles } from '../manifest/generator.js';
import { truncateReason } from '../manifest/prepared.js';
import type { FailureReason, JobStatus } from '../model.js';
import { writeReport } from '../report/write-report.js';
import type { JobLease } from '../store.js';
import type { EngineDeps } from './engine.js';
import { assumeJobRole } from './role.js';

export const ReportFailureCode = 'ReportWriteFailed';

const TERMINAL_OF: Readonly<Partial<Record<JobStatus, JobStatus>>> = { Completing: 'Complete', Failing: 'Failed', Cancelling: 'Cancelled' };

export async function finishJob(deps: EngineDeps, lease: JobLease, signal: AbortSignal): Promise<void> {
  const job = lease.job;
  const terminal = TERMINAL_OF[job.status];
  if (!terminal) return;
  const ran = job.progress.numberOfTasksSucceeded + job.progress.numberOfTasksFailed;
  let failure: FailureReason | undefined;
  if (job.report.enabled && ran > 0) {
    const role = await assumeJobRole(deps.iam, job);
    if (role.failure) failure = { failureCode: ReportFailureCode, failureReason: truncateReason(`The job report could not be written to your report bucket: ${role.failure.failureReason}`) };
    else {
      try {
        await writeReport(deps.storageFor(role.principal), job, deps.jobs.readResults(job.id), deps.now, signal);
      } catch (e) {
        if (!(e instanceof S3Error)) throw e;
        failure = { failureCode: ReportFailureCode, failureReason: truncateReason(`The job report could not be written to your report bucket: ${errorCodeOf(e)}: ${e.message}`) };
      }
    }
  }
  if (job.manifestGenerator) await removeGeneratedFiles(deps.spillDir, job.id);
  const to: JobStatus = failure && job.status === 'Completing' ? 'Failed' : terminal;
  await deps.jobs.transition(job.id, [job.status], to, failure ? { failureReasons: [failure] } : {}, deps.now());
}
