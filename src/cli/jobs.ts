/**
 * `s3batch jobs …`: Batch Operations jobs over the public S3 Control API of a running server,
 * with @aws-sdk/client-s3-control (and @aws-sdk/client-s3 for manifests and reports). Returns the
 * exit code: 0 ok, 1 an AWS error or a failed/cancelled job, 2 a usage error.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateJobCommand, DescribeJobCommand, ListJobsCommand, UpdateJobPriorityCommand, UpdateJobStatusCommand,
  type CreateJobCommandInput, type JobListDescriptor, type JobManifest, type JobOperation, type JobReport, type JobStatus,
} from '@aws-sdk/client-s3-control';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import {
  controlClient, flagInt, flagStr, jsonArg, parseIntArg, parseJobsArgs, requireId, s3Client, s3Url, target, UsageError,
  type JobsIo, type ParsedArgs, type Target,
} from './jobs-args.js';
import { formatJob, formatList } from './jobs-format.js';
import { watchJob } from './jobs-watch.js';
import { printReport, ReportError } from './jobs-report.js';
import { renderS3DeleteObject } from './delete-object-extension.js';

export const jobsUsage = `usage: s3batch jobs <command> [options]

commands:
  create                 create a job (prints its id)
  list [--status S[,S]]  list jobs (all statuses unless --status)
  describe ID [--json]   show a job (--json: the raw DescribeJob Job)
  confirm ID             start a job awaiting confirmation (status Ready)
  cancel ID [--reason T] cancel a job
  priority ID N          set a job's priority
  watch ID [--interval SECONDS]
                         show progress until the job ends (exit 0 Complete, 1 Failed/Cancelled)
  report ID [--failed] [--json]
                         read the completion report: counts, and with --failed the failed rows

create options:
  --operation JSON|@file     e.g. '{"S3PutObjectTagging":{"TagSet":[{"Key":"k","Value":"v"}]}}', or
                             s3batch's '{"S3DeleteObject":{"BypassGovernanceRetention":false}}'
  --manifest JSON|@file      a JobManifest ({"Spec":…,"Location":…}), or
  --manifest-csv s3://bucket/key [--manifest-fields Bucket,Key[,VersionId]]  (looks up the ETag)
  --manifest-generator JSON|@file   an S3JobManifestGenerator instead of a manifest
  --report JSON|@file        a JobReport, or
  --report-prefix s3://bucket/prefix [--report-scope AllTasks|FailedTasksOnly]  (default: no report)
  --role-arn ARN             the role the job runs as (required)
  --priority N               default 10
  --no-confirmation          run at once (default: the job waits for 'confirm')
  --description TEXT
  --client-request-token T   default: a random UUID

common options (environment variable in brackets):
  --endpoint URL       default http://127.0.0.1:7070 [S3BATCH_ENDPOINT]
  --account-id ID      default 000000000000 [S3BATCH_ACCOUNT_ID]
  --region REGION      default us-east-1 [AWS_REGION]
  credentials: [AWS_ACCESS_KEY_ID] [AWS_SECRET_ACCESS_KEY] [AWS_SESSION_TOKEN], or
  --data-dir DIR       use the root credentials the server keeps in DIR/root-credentials.json
`;

const JOB_STATUSES = ['Active', 'Cancelled', 'Cancelling', 'Complete', 'Completing', 'Failed', 'Failing', 'New', 'Paused', 'Pausing', 'Preparing', 'Ready', 'Suspended'] as const;

function print(io: JobsIo, v: unknown): void {
  io.stdout.write(JSON.stringify(v, null, 2) + '\n');
}

async function manifestOf(args: ParsedArgs, t: Target): Promise<Pick<CreateJobCommandInput, 'Manifest' | 'ManifestGenerator'>> {
  const json = flagStr(args, 'manifest');
  const csv = flagStr(args, 'manifest-csv');
  const gen = flagStr(args, 'manifest-generator');
  if ([json, csv, gen].filter((x) => x !== undefined).length !== 1) throw new UsageError('jobs create needs exactly one of --manifest, --manifest-csv, --manifest-generator');
  if (json !== undefined) return { Manifest: jsonArg(json, '--manifest') as JobManifest };
  if (gen !== undefined) return { ManifestGenerator: jsonArg(gen, '--manifest-generator') as CreateJobCommandInput['ManifestGenerator'] };
  const { bucket, key } = s3Url(csv!, '--manifest-csv');
  if (key === '') throw new UsageError('--manifest-csv needs an object key: s3://bucket/key');
  const fields = (flagStr(args, 'manifest-fields') ?? 'Bucket,Key').split(',').map((f) => f.trim());
  const head = await s3Client(t).send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return {
    Manifest: {
      Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: fields as NonNullable<JobManifest['Spec']>['Fields'] },
      Location: { ObjectArn: `arn:aws:s3:::${bucket}/${key}`, ETag: head.ETag, ObjectVersionId: head.VersionId },
    },
  };
}

function reportOf(args: ParsedArgs): JobReport {
  const json = flagStr(args, 'report');
  const prefix = flagStr(args, 'report-prefix');
  if (json !== undefined && prefix !== undefined) throw new UsageError('give --report or --report-prefix, not both');
  if (json !== undefined) return jsonArg(json, '--report') as JobReport;
  if (prefix === undefined) return { Enabled: false };
  const { bucket, key } = s3Url(prefix, '--report-prefix');
  const scope = flagStr(args, 'report-scope') ?? 'AllTasks';
  if (scope !== 'AllTasks' && scope !== 'FailedTasksOnly') throw new UsageError(`--report-scope must be AllTasks or FailedTasksOnly, got '${scope}'`);
  return { Enabled: true, Bucket: `arn:aws:s3:::${bucket}`, Prefix: key.replace(/\/+$/, '') || undefined, Format: 'Report_CSV_20180820', ReportScope: scope };
}

async function create(args: ParsedArgs, t: Target, io: JobsIo): Promise<number> {
  const op = flagStr(args, 'operation');
  if (op === undefined) throw new UsageError('jobs create needs --operation');
  const roleArn = flagStr(args, 'role-arn');
  if (roleArn === undefined) throw new UsageError('jobs create needs --role-arn');
  const operation = jsonArg(op, '--operation') as JobOperation & { S3DeleteObject?: unknown };
  if (operation !== null && typeof operation === 'object' && Object.hasOwn(operation, 'S3DeleteObject')) {
    try {
      renderS3DeleteObject(operation.S3DeleteObject);
    } catch (e) {
      throw new UsageError(`--operation: ${(e as Error).message}`);
    }
  }
  const input: CreateJobCommandInput = {
    AccountId: t.accountId,
    Operation: operation,
    ...(await manifestOf(args, t)),
    Report: reportOf(args),
    RoleArn: roleArn,
    Priority: flagInt(args, 'priority', 0, 2147483647) ?? 10,
    ConfirmationRequired: args.flags['no-confirmation'] !== true,
    Description: flagStr(args, 'description'),
    ClientRequestToken: flagStr(args, 'client-request-token') ?? randomUUID(),
  };
  const r = await controlClient(t).send(new CreateJobCommand(input));
  if (args.flags.json) print(io, { JobId: r.JobId });
  else io.stdout.write(`${r.JobId}\n`);
  return 0;
}

async function list(args: ParsedArgs, t: Target, io: JobsIo): Promise<number> {
  const s = flagStr(args, 'status');
  const statuses = s === undefined ? undefined : s.split(',').map((x) => x.trim());
  for (const x of statuses ?? []) {
    if (!(JOB_STATUSES as readonly string[]).includes(x)) throw new UsageError(`--status must be one of ${JOB_STATUSES.join(', ')}; got '${x}'`);
  }
  const control = controlClient(t);
  const jobs: JobListDescriptor[] = [];
  let token: string | undefined;
  do {
    const r = await control.send(new ListJobsCommand({ AccountId: t.accountId, JobStatuses: statuses as JobStatus[] | undefined, NextToken: token }));
    jobs.push(...(r.Jobs ?? []));
    token = r.NextToken;
  } while (token);
  if (args.flags.json) print(io, { Jobs: jobs });
  else io.stdout.write(formatList(jobs));
  return 0;
}

async function describe(args: ParsedArgs, t: Target, io: JobsIo): Promise<number> {
  const id = requireId(args, 'describe');
  const r = await controlClient(t).send(new DescribeJobCommand({ AccountId: t.accountId, JobId: id }));
  if (args.flags.json) print(io, r.Job);
  else io.stdout.write(formatJob(r.Job ?? {}));
  return 0;
}

async function setStatus(args: ParsedArgs, t: Target, io: JobsIo, cmd: string, to: 'Ready' | 'Cancelled'): Promise<number> {
  const id = requireId(args, cmd);
  const r = await controlClient(t).send(new UpdateJobStatusCommand({ AccountId: t.accountId, JobId: id, RequestedJobStatus: to, StatusUpdateReason: flagStr(args, 'reason') }));
  if (args.flags.json) print(io, { JobId: r.JobId, Status: r.Status, StatusUpdateReason: r.StatusUpdateReason });
  else io.stdout.write(`${r.JobId} ${r.Status}\n`);
  return 0;
}

async function priority(args: ParsedArgs, t: Target, io: JobsIo): Promise<number> {
  const id = requireId(args, 'priority');
  const n = args.positional[2];
  if (n === undefined) throw new UsageError('jobs priority needs a job id and a priority');
  const r = await controlClient(t).send(new UpdateJobPriorityCommand({ AccountId: t.accountId, JobId: id, Priority: parseIntArg(n, 'priority', 0, 2147483647) }));
  if (args.flags.json) print(io, { JobId: r.JobId, Priority: r.Priority });
  else io.stdout.write(`${r.JobId} priority ${r.Priority}\n`);
  return 0;
}

function intervalMs(args: ParsedArgs): number {
  const s = flagStr(args, 'interval');
  if (s === undefined) return 1000;
  const n = Number(s);
  if (!Number.isFinite(n) || n < 0.05 || n > 3600) throw new UsageError(`--interval must be seconds from 0.05 to 3600, got '${s}'`);
  return Math.round(n * 1000);
}

async function run(args: ParsedArgs, io: JobsIo): Promise<number> {
  const cmd = args.positional[0];
  if (cmd === undefined || cmd === 'help' || args.flags.help || args.flags.h) {
    io.stdout.write(jobsUsage);
    return cmd === undefined && !args.flags.help && !args.flags.h ? 2 : 0;
  }
  const t = target(args, io.env);
  switch (cmd) {
    case 'create': return create(args, t, io);
    case 'list': return list(args, t, io);
    case 'describe': return describe(args, t, io);
    case 'confirm': return setStatus(args, t, io, 'confirm', 'Ready');
    case 'cancel': return setStatus(args, t, io, 'cancel', 'Cancelled');
    case 'priority': return priority(args, t, io);
    case 'watch': return watchJob(controlClient(t), t.accountId, requireId(args, 'watch'), io, { intervalMs: intervalMs(args) });
    case 'report': return printReport(controlClient(t), s3Client(t), t.accountId, requireId(args, 'report'), io, { failed: args.flags.failed === true, json: args.flags.json === true });
    default: throw new UsageError(`unknown jobs command '${cmd}'`);
  }
}

/** Entry point from main.ts: `argv` is what follows `jobs`. */
export async function runJobs(argv: readonly string[], io: JobsIo): Promise<number> {
  try {
    return await run(parseJobsArgs(argv), io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`s3batch jobs: ${e.message}\n(see 's3batch jobs --help')\n`);
      return 2;
    }
    if (e instanceof ReportError) {
      io.stderr.write(`s3batch jobs: ${e.message}\n`);
      return 1;
    }
    const code = (e as { code?: string }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ECONNRESET' || code === 'EHOSTUNREACH') {
      io.stderr.write(`s3batch jobs: cannot reach the server (${code}); is 's3batch server' running at --endpoint / S3BATCH_ENDPOINT?\n`);
      return 1;
    }
    const err = e as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = err.$metadata?.httpStatusCode;
    if (status !== undefined) {
      // An AWS error: its code and message, as the AWS CLI shows them.
      io.stderr.write(`s3batch jobs: ${err.Code ?? err.name} (HTTP ${status}): ${err.message}\n`);
      return 1;
    }
    io.stderr.write(`s3batch jobs: ${err.message || String(e)}\n`);
    return 1;
  }
}
