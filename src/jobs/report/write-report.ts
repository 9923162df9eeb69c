/**
 * Writes a job's completion report exactly in AWS's layout (spec §6.2–6.3):
 *
 *   {Prefix}/job-{JobId}/manifest.json
 *   {Prefix}/job-{JobId}/results/{40 lowercase hex}.csv     (one or more)
 *
 * Succeeded and failed rows go to separate files (TaskExecutionStatus in manifest.json), each file
 * cut at FILE_MAX_BYTES; manifest.json lists every file with the report bucket's name, the file's
 * key and the hex MD5 of its bytes. Files are written SSE-S3 (AES256), as AWS always does, through
 * the job's StorageClient, so the role needs s3:PutObject on the report location. A file's name
 * is the SHA-1 of job id, status and part number: a report written again after a crash replaces
 * the same objects. Every write carries the report's ExpectedBucketOwner (S3's bucket owner
 * condition): a report bucket of another account refuses it with AccessDenied.
 */
import { createHash } from 'node:crypto';
import type { StorageClient } from '../../storage/storage-client.js';
import type { Job } from '../model.js';
import { REPORT_FORMAT } from '../model.js';
import type { ResultChunk } from '../store.js';
import { decodeChunk } from './rows.js';

/** Bytes per results file: bounds the memory a report holds (AWS splits large reports too). */
export const FILE_MAX_BYTES = 64 * 1024 * 1024;

export const REPORT_SCHEMA = 'Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage';

export interface ReportFile {
  readonly TaskExecutionStatus: 'succeeded' | 'failed';
  readonly Bucket: string;
  readonly MD5Checksum: string;
  readonly Key: string;
}

/** `{prefix}/job-{id}` (a trailing '/' of the prefix is not doubled), or `job-{id}`. */
export function reportRoot(prefix: string | undefined, jobId: string): string {
  const p = (prefix ?? '').replace(/\/+$/, '');
  return p === '' ? `job-${jobId}` : `${p}/job-${jobId}`;
}

export async function writeReport(storage: StorageClient, job: Job, chunks: AsyncIterable<ResultChunk>, now: () => number, signal?: AbortSignal): Promise<{ manifestKey: string; files: readonly ReportFile[] }> {
  const bucket = job.report.bucket!;
  const expectedBucketOwner = job.report.expectedBucketOwner;
  const root = reportRoot(job.report.prefix, job.id);
  const files: ReportFile[] = [];
  const parts = { succeeded: 0, failed: 0 };
  const pending: Record<'succeeded' | 'failed', string[]> = { succeeded: [], failed: [] };
  const sizes = { succeeded: 0, failed: 0 };

  const flush = async (status: 'succeeded' | 'failed'): Promise<void> => {
    if (sizes[status] === 0) return;
    const body = Buffer.from(pending[status].join(''), 'utf8');
    pending[status] = [];
    sizes[status] = 0;
    const name = createHash('sha1').update(`${job.id}/${status}/${parts[status]++}`).digest('hex');
    const key = `${root}/results/${name}.csv`;
    const md5 = createHash('md5').update(body).digest();
    await storage.putObject({ bucket, key, body, contentType: 'text/csv', contentMd5: md5.toString('base64'), serverSideEncryption: 'AES256', expectedBucketOwner, signal });
    files.push({ TaskExecutionStatus: status, Bucket: bucket, MD5Checksum: md5.toString('hex'), Key: key });
  };

  for await (const c of chunks) {
    signal?.throwIfAborted();
    const { succeeded, failed } = decodeChunk(c.results);
    for (const [status, rows] of [['succeeded', succeeded], ['failed', failed]] as const) {
      if (rows === '') continue;
      pending[status].push(rows);
      sizes[status] += rows.length;
      if (sizes[status] >= FILE_MAX_BYTES) await flush(status);
    }
  }
  await flush('succeeded');
  await flush('failed');
  const manifest = { Format: REPORT_FORMAT, ReportCreationDate: new Date(now()).toISOString(), Results: files, ReportSchema: REPORT_SCHEMA };
  const manifestKey = `${root}/manifest.json`;
  await storage.putObject({ bucket, key: manifestKey, body: JSON.stringify(manifest), contentType: 'application/json', serverSideEncryption: 'AES256', expectedBucketOwner, signal });
  return { manifestKey, files };
}
