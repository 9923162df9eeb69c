/**
 * Shared set-up of the batch job tests: an in-process server with job tuning, a role made through
 * the IAM API, manifests uploaded through S3, jobs created straight in the JobStore (as the S3
 * Control front does), and the completion report read back and parsed.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { S3ControlClient } from '@aws-sdk/client-s3-control';
import { loadConfig } from '../../src/config.js';
import { startApp, type App } from '../../src/app.js';
import type { JobRuntimeOptions } from '../../src/jobs/engine/wire.js';
import type { Job, JobDefinition, JobStatus } from '../../src/jobs/model.js';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, s3Client, tempDir } from '../helpers/server.js';

export const ACCOUNT = '000000000000';

export interface JobsServer {
  readonly app: App;
  readonly url: string;
  readonly s3: S3Client;
  readonly iam: IAMClient;
  stop(): Promise<void>;
}

export async function startJobsServer(runtime: JobRuntimeOptions = {}, opts: { dataDir?: string } = {}): Promise<JobsServer> {
  const dataDir = opts.dataDir ?? tempDir('s3batch-jobs-');
  const config = loadConfig({ port: '0', 'data-dir': dataDir }, { S3BATCH_ROOT_ACCESS_KEY_ID: ACCESS_KEY_ID, S3BATCH_ROOT_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY, S3BATCH_FSYNC: 'false' });
  const app = await startApp(config, () => undefined, { ...runtime, engine: { pollMs: 20, ...runtime.engine } });
  const iam = new IAMClient({ endpoint: app.url, region: REGION, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }, maxAttempts: 1 });
  return {
    app,
    url: app.url,
    s3: s3Client(app.url),
    iam,
    async stop() {
      await app.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** An S3 Control client for the server at `url` (root credentials; no account-id host prefix). */
export function controlClient(url: string): S3ControlClient {
  return new S3ControlClient({ region: REGION, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }, endpointProvider: () => ({ url: new URL(`${url}/`) }), maxAttempts: 1 });
}

export const BATCH_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'batchoperations.s3.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** A role with `trust` and one inline policy allowing `actions` on everything. */
export async function createRole(iam: IAMClient, name: string, actions: readonly string[], trust = BATCH_TRUST): Promise<string> {
  const r = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust }));
  if (actions.length > 0) {
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: [...actions], Resource: '*' }] });
    await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'batch', PolicyDocument: policy }));
  }
  return r.Role!.Arn!;
}

export async function putObject(s3: S3Client, bucket: string, key: string, body: string | Buffer): Promise<string> {
  const r = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return r.ETag!.replace(/"/g, '');
}

/** A CreateJob as the API front stores it, for a CSV manifest. */
export function csvJobDefinition(o: {
  operation: JobDefinition['operation'];
  roleArn: string;
  manifest: { bucket: string; key: string; etag: string; fields?: ('Bucket' | 'Key' | 'VersionId' | 'Ignore')[] };
  report?: { bucket: string; prefix?: string; scope?: 'AllTasks' | 'FailedTasksOnly' } | false;
  confirmationRequired?: boolean;
}): JobDefinition {
  const m = o.manifest;
  return {
    operation: o.operation,
    manifest: {
      spec: { format: 'S3BatchOperations_CSV_20180820', fields: m.fields ?? ['Bucket', 'Key'] },
      location: { objectArn: `arn:aws:s3:::${m.bucket}/${m.key}`, bucket: m.bucket, key: m.key, etag: m.etag },
    },
    report: o.report
      ? { enabled: true, bucketArn: `arn:aws:s3:::${o.report.bucket}`, bucket: o.report.bucket, format: 'Report_CSV_20180820', prefix: o.report.prefix, reportScope: o.report.scope ?? 'AllTasks' }
      : { enabled: false },
    roleArn: o.roleArn,
    confirmationRequired: o.confirmationRequired ?? false,
  };
}

/** Stores a job `New` straight in the JobStore (what CreateJob does) and wakes the engine. */
export async function submitJob(app: App, def: JobDefinition, priority = 10): Promise<string> {
  const id = randomUUID();
  const r = await app.jobs.create({ ...def, id, accountId: ACCOUNT, priority, tags: [], clientRequestToken: id, requestHash: id }, Date.now());
  if (!r.job) throw new Error('job not created');
  app.jobEngine.wake();
  return id;
}

export async function waitForStatus(app: App, id: string, statuses: readonly JobStatus[], timeoutMs = 20_000): Promise<Job> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const job = await app.jobs.get(id);
    if (job && statuses.includes(job.status)) return job;
    if (Date.now() > until) throw new Error(`job ${id} is ${job?.status}, not ${statuses.join('/')}, after ${timeoutMs} ms: ${JSON.stringify(job?.failureReasons)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function getText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return r.Body!.transformToString();
}

/** RFC 4180 split of one CSV line. */
export function splitCsv(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        v += line.slice(i, q);
        if (line[q + 1] === '"') {
          v += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(v);
      if (line[i] !== ',') return out;
      i++;
    } else {
      const c = line.indexOf(',', i);
      if (c < 0) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, c));
      i = c + 1;
    }
  }
}

export interface ReadReport {
  readonly manifest: { Format: string; ReportCreationDate: string; Results: { TaskExecutionStatus: string; Bucket: string; MD5Checksum: string; Key: string }[]; ReportSchema: string };
  readonly keys: readonly string[];
  /** Every row of every results file, split into fields. */
  readonly rows: string[][];
}

export async function readReport(s3: S3Client, bucket: string, root: string): Promise<ReadReport> {
  const manifest = JSON.parse(await getText(s3, bucket, `${root}/manifest.json`)) as ReadReport['manifest'];
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${root}/` }));
  const rows: string[][] = [];
  for (const f of manifest.Results) {
    const text = await getText(s3, bucket, f.Key);
    for (const line of text.split('\n')) if (line !== '') rows.push(splitCsv(line));
  }
  return { manifest, keys: (listed.Contents ?? []).map((c) => c.Key!).sort(), rows };
}
