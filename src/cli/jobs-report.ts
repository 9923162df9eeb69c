/**
 * `s3batch jobs report ID`: finds the completion report through DescribeJob (Report.Bucket and
 * Prefix), reads `<prefix>/job-<id>/manifest.json`, then every results CSV it lists, and prints
 * a summary; `--failed` also prints the failed rows. Row layout (as AWS writes it): Bucket, Key,
 * VersionId, TaskStatus, HTTPStatusCode, ErrorCode, ResultMessage.
 */
import { DescribeJobCommand, type S3ControlClient } from '@aws-sdk/client-s3-control';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { JobsIo } from './jobs-args.js';

interface ReportManifest {
  readonly Format?: string;
  readonly ReportCreationDate?: string;
  readonly Results?: readonly { TaskExecutionStatus?: string; Bucket?: string; Key?: string; MD5Checksum?: string }[];
}

/** A report problem that is not an AWS error (no report, bad manifest.json): exit 1. */
export class ReportError extends Error {}

/** RFC 4180 lines, quoted fields may hold commas, quotes and newlines. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else if (c !== '\r') field += c;
  }
  if (field !== '' || row.length > 0) row.push(field), rows.push(row);
  return rows;
}

async function text(s3: S3Client, bucket: string, key: string): Promise<string> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return r.Body!.transformToString();
}

export async function printReport(control: S3ControlClient, s3: S3Client, accountId: string, id: string, io: JobsIo, o: { failed: boolean; json: boolean }): Promise<number> {
  const job = (await control.send(new DescribeJobCommand({ AccountId: accountId, JobId: id }))).Job ?? {};
  const rep = job.Report;
  if (!rep?.Enabled || !rep.Bucket) throw new ReportError(`job ${id} has no completion report (Report.Enabled is false)`);
  const bucket = rep.Bucket.replace(/^arn:[^:]+:s3:::/, '');
  const p = (rep.Prefix ?? '').replace(/\/+$/, '');
  const root = p === '' ? `job-${id}` : `${p}/job-${id}`;
  let manifestText: string;
  try {
    manifestText = await text(s3, bucket, `${root}/manifest.json`);
  } catch (e) {
    if ((e as { name?: string }).name === 'NoSuchKey') throw new ReportError(`no report at s3://${bucket}/${root}/manifest.json yet (job status ${job.Status})`);
    throw e;
  }
  let manifest: ReportManifest;
  try {
    manifest = JSON.parse(manifestText) as ReportManifest;
  } catch {
    throw new ReportError(`s3://${bucket}/${root}/manifest.json is not valid JSON`);
  }
  const succeeded: string[][] = [];
  const failed: string[][] = [];
  for (const f of manifest.Results ?? []) {
    if (!f.Key) continue;
    const rows = parseCsv(await text(s3, f.Bucket ?? bucket, f.Key));
    (f.TaskExecutionStatus === 'failed' ? failed : succeeded).push(...rows);
  }
  if (o.json) {
    const row = (r: string[]): object => ({ Bucket: r[0], Key: r[1], VersionId: r[2] || undefined, TaskStatus: r[3], HTTPStatusCode: Number(r[4]), ErrorCode: r[5], ResultMessage: r[6] });
    io.stdout.write(JSON.stringify({ JobId: id, Status: job.Status, Report: `s3://${bucket}/${root}/`, Succeeded: succeeded.length, Failed: failed.length, FailedTasks: failed.map(row) }, null, 2) + '\n');
    return 0;
  }
  const errorCodes = new Map<string, number>();
  for (const r of failed) errorCodes.set(r[5] || '-', (errorCodes.get(r[5] || '-') ?? 0) + 1);
  io.stdout.write(
    `Report     s3://${bucket}/${root}/\n` +
      `Job        ${id} (${job.Status})\n` +
      (manifest.ReportCreationDate ? `Created    ${manifest.ReportCreationDate}\n` : '') +
      `Files      ${(manifest.Results ?? []).length}\n` +
      `Succeeded  ${succeeded.length}\n` +
      `Failed     ${failed.length}\n`,
  );
  for (const [code, n] of [...errorCodes].sort((a, b) => b[1] - a[1])) io.stdout.write(`  ${code}: ${n}\n`);
  if (o.failed && failed.length > 0) {
    io.stdout.write('\nfailed tasks (bucket, key, version, HTTP status, error code, message):\n');
    for (const r of failed) io.stdout.write(`${r[0]}\t${r[1]}\t${r[2] || '-'}\t${r[4]}\t${r[5]}\t${r[6] ?? ''}\n`);
  }
  return 0;
}
