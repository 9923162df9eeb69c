/**
 * The eight S3 Control job operations. Thin: parse (parse-job.ts), authorize (authorize.ts), ask
 * the JobStore and the state machine (src/jobs/), render (render.ts). A job of another account is
 * answered as one that does not exist.
 */
import { randomUUID } from 'node:crypto';
import { S3Error } from '../../errors.js';
import type { RequestBodyFacts } from '../../auth/s3-catalog.js';
import { JOB_STATUSES, type Job, type JobStatus } from '../../jobs/model.js';
import { planStatusUpdate, type RequestedJobStatus } from '../../jobs/state.js';
import { InvalidCursorError } from '../../jobs/store.js';
import { bodyOf, readTextBody, sendXml, send } from '../request.js';
import { parseXml, renderXml, type XmlObject } from '../xml.js';
import { authorizeControl, jobFacts } from './authorize.js';
import type { ControlCtx } from './context.js';
import { badRequest, ControlError, noSuchJob } from './errors.js';
import { MAX_JOB_TAGS, parseCreateJob, parseJobTags } from './parse-job.js';
import { CONTROL_XMLNS, renderJobDescriptor, renderJobListDescriptor, renderTags } from './render.js';
import { clip } from './xml-read.js';

/** CreateJob bodies: UserMetadata may hold 8,192 entries. */
const MAX_CREATE_JOB_BODY = 4 * 1024 * 1024;
const DEFAULT_PAGE = 1000;
const DAY_MS = 86_400_000;

function reply(c: ControlCtx, root: string, body: XmlObject): void {
  sendXml(c, renderXml(root, body, CONTROL_XMLNS));
}

function replyEmpty(c: ControlCtx): void {
  send(c, 200, '');
}

/** Reads and discards a body an operation does not take (checking its signature all the same). */
async function drain(c: ControlCtx): Promise<void> {
  for await (const _ of bodyOf(c)) void _;
}

async function readXml(c: ControlCtx, root: string, limit: number): Promise<Record<string, unknown>> {
  const text = await readTextBody(c, limit);
  if (text.trim() === '') throw badRequest(`The request body must be a ${root} XML document.`);
  try {
    return parseXml(text, root);
  } catch (e) {
    if (e instanceof S3Error && e.code === 'MalformedXML') throw badRequest(e.message);
    throw e;
  }
}

/** The job the path names, when it belongs to the addressed account. */
async function loadJob(c: ControlCtx): Promise<Job | undefined> {
  const id = c.jobId!;
  if (!/^[a-zA-Z0-9_-]{5,36}$/.test(id)) return undefined;
  const j = await c.deps.jobs.get(id);
  return j !== undefined && j.accountId === c.accountId ? j : undefined;
}

/** Authorizes an operation on the job in the path, then answers NotFound when there is no such job. */
async function addressedJob(c: ControlCtx, op: Parameters<typeof authorizeControl>[1], body?: RequestBodyFacts): Promise<Job> {
  const job = await loadJob(c);
  authorizeControl(c.authInput, op, { jobId: c.jobId!, ...(job ? { job: jobFacts(job) } : {}), ...(body ? { body } : {}) });
  if (!job) throw noSuchJob(c.jobId!);
  return job;
}

async function createJob(c: ControlCtx): Promise<void> {
  const root = await readXml(c, 'CreateJobRequest', MAX_CREATE_JOB_BODY);
  const p = parseCreateJob(root);
  const id = randomUUID();
  authorizeControl(c.authInput, 'CreateJob', {
    body: { tags: p.tags, jobPriority: p.priority, jobOperation: p.definition.operation.kind, roleArn: p.definition.roleArn },
  });
  // Tagging a job at creation also needs s3:PutJobTagging (S3 User Guide, "Controlling access and labeling jobs using tags").
  if (p.tags.length > 0) authorizeControl(c.authInput, 'PutJobTagging', { jobId: id, body: { tags: p.tags } });
  const r = await c.deps.jobs.create(
    { ...p.definition, id, accountId: c.accountId, priority: p.priority, tags: p.tags, clientRequestToken: p.clientRequestToken, requestHash: p.requestHash },
    c.now,
  );
  if (r.conflict) {
    throw new ControlError('IdempotencyException', `The ClientRequestToken '${clip(p.clientRequestToken, 64)}' was already used for a different CreateJob request (job ${r.conflict.id}): use a new token for a new job.`);
  }
  c.deps.jobEngine?.wake();
  reply(c, 'CreateJobResult', { JobId: r.job.id });
}

async function describeJob(c: ControlCtx): Promise<void> {
  await drain(c);
  const job = await addressedJob(c, 'DescribeJob');
  reply(c, 'DescribeJobResult', { Job: renderJobDescriptor(job, c.deps.config.region, c.now) });
}

async function listJobs(c: ControlCtx): Promise<void> {
  await drain(c);
  const q = c.query;
  const statuses = q.getAll('jobStatuses');
  for (const s of statuses) {
    if (!(JOB_STATUSES as readonly string[]).includes(s)) throw new ControlError('InvalidRequestException', `The job status '${clip(s)}' is not valid: expected one of ${JOB_STATUSES.join(', ')}.`);
  }
  const rawMax = q.get('maxResults');
  let limit = DEFAULT_PAGE;
  if (rawMax !== null) {
    const n = /^\d+$/.test(rawMax) ? Number(rawMax) : NaN;
    if (!(n >= 0 && n <= 1000)) throw new ControlError('InvalidRequestException', `The value '${clip(rawMax)}' of maxResults is not valid: it must be an integer from 0 to 1000.`);
    if (n > 0) limit = n;
  }
  const token = q.get('nextToken');
  if (token !== null && (token.length < 1 || token.length > 1024)) throw new ControlError('InvalidNextTokenException', 'The nextToken is not valid: it must be 1 to 1024 characters long.');
  authorizeControl(c.authInput, 'ListJobs');
  let page;
  try {
    page = await c.deps.jobs.list({
      accountId: c.accountId,
      ...(statuses.length > 0 ? { statuses: statuses as JobStatus[] } : {}),
      limit,
      ...(token !== null ? { after: token } : {}),
      terminatedAfter: c.now - c.deps.config.jobs.retentionDays * DAY_MS,
    });
  } catch (e) {
    if (e instanceof InvalidCursorError) throw new ControlError('InvalidNextTokenException', `The nextToken is not valid: ${e.message}`);
    throw e;
  }
  reply(c, 'ListJobsResult', { NextToken: page.next, Jobs: { member: page.jobs.map((j) => renderJobListDescriptor(j, c.now)) } });
}

async function updateJobPriority(c: ControlCtx): Promise<void> {
  await drain(c);
  const raw = c.query.get('priority');
  if (raw === null) throw badRequest('The query parameter priority is required: an integer from 0 to 2147483647.');
  const priority = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(priority >= 0 && priority <= 2147483647)) throw badRequest(`The priority '${clip(raw)}' is not valid: it must be an integer from 0 to 2147483647.`);
  const job = await addressedJob(c, 'UpdateJobPriority');
  const r = await c.deps.jobs.updatePriority(job.id, priority, c.now);
  if (!r.ok) {
    if (!r.job) throw noSuchJob(job.id);
    throw badRequest(`The job is ${r.job.status}: the priority of a terminated job cannot change.`);
  }
  c.deps.jobEngine?.wake();
  reply(c, 'UpdateJobPriorityResult', { JobId: r.job.id, Priority: r.job.priority });
}

async function updateJobStatus(c: ControlCtx): Promise<void> {
  await drain(c);
  const requested = c.query.get('requestedJobStatus');
  if (requested === null) throw badRequest('The query parameter requestedJobStatus is required: Ready or Cancelled.');
  if (requested !== 'Ready' && requested !== 'Cancelled') throw badRequest(`The requestedJobStatus '${clip(requested)}' is not valid: expected Ready or Cancelled.`);
  const reason = c.query.get('statusUpdateReason') ?? undefined;
  if (reason !== undefined && (reason.length < 1 || reason.length > 256)) throw badRequest('The statusUpdateReason must be from 1 to 256 characters long.');
  let job = await addressedJob(c, 'UpdateJobStatus');
  // Compare-and-set: the engine may move the job between the read and the write; re-plan then.
  for (let attempt = 0; ; attempt++) {
    const plan = planStatusUpdate(job.status, requested as RequestedJobStatus);
    if (plan.kind === 'refused') throw new ControlError('JobStatusException', plan.message);
    if (plan.kind === 'unchanged') {
      reply(c, 'UpdateJobStatusResult', { JobId: job.id, Status: plan.status, StatusUpdateReason: reason });
      return;
    }
    const r = await c.deps.jobs.transition(job.id, [plan.from], plan.to, reason !== undefined ? { statusUpdateReason: reason } : {}, c.now);
    if (r.ok) {
      c.deps.jobEngine?.wake();
      reply(c, 'UpdateJobStatusResult', { JobId: r.job.id, Status: r.job.status, StatusUpdateReason: reason });
      return;
    }
    if (!r.job) throw noSuchJob(job.id);
    if (attempt >= 5) throw new S3Error('SlowDown', 'The job is changing status; retry the request.');
    job = r.job;
  }
}

async function getJobTagging(c: ControlCtx): Promise<void> {
  await drain(c);
  const job = await addressedJob(c, 'GetJobTagging');
  reply(c, 'GetJobTaggingResult', { Tags: renderTags(job.tags) });
}

async function putJobTagging(c: ControlCtx): Promise<void> {
  const root = await readXml(c, 'PutJobTaggingRequest', 1024 * 1024);
  const tags = parseJobTags(root, '', (n) => new ControlError('TooManyTagsException', `A job may have at most ${MAX_JOB_TAGS} tags (got ${n}).`));
  if (tags === undefined) throw badRequest('The element Tags is required (an empty <Tags/> removes every tag).');
  const job = await addressedJob(c, 'PutJobTagging', { tags });
  if (!(await c.deps.jobs.putTags(job.id, tags, c.now))) throw noSuchJob(job.id);
  replyEmpty(c);
}

async function deleteJobTagging(c: ControlCtx): Promise<void> {
  await drain(c);
  const job = await addressedJob(c, 'DeleteJobTagging');
  if (!(await c.deps.jobs.deleteTags(job.id, c.now))) throw noSuchJob(job.id);
  replyEmpty(c);
}

export type ControlHandler = (c: ControlCtx) => Promise<void>;

export const ControlHandlers = {
  CreateJob: createJob,
  DescribeJob: describeJob,
  ListJobs: listJobs,
  UpdateJobPriority: updateJobPriority,
  UpdateJobStatus: updateJobStatus,
  GetJobTagging: getJobTagging,
  PutJobTagging: putJobTagging,
  DeleteJobTagging: deleteJobTagging,
} as const satisfies Record<string, ControlHandler>;

export type ControlOperation = keyof typeof ControlHandlers;

