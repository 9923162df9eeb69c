/**
 * The S3 Control jobs API front (`/v20180820/jobs…` on the server's one port). The server
 * dispatches here after SigV4 verification and the session-token check, with the caller's
 * principal; this module routes on method and path only (the Host may carry the `<account>.`
 * label the clients prepend, spec §1.2), checks `x-amz-account-id` against the caller, runs the
 * operation and renders every error in S3 Control's `<ErrorResponse>` (it never throws).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../../auth/credentials.js';
import { S3Error } from '../../errors.js';
import type { SigV4Auth } from '../sigv4.js';
import type { ControlCtx, ControlDeps } from './context.js';
import { noSuchJob, sendControlError, toWireError } from './errors.js';
import { ControlHandlers, type ControlOperation } from './handlers.js';

export type { ControlDeps } from './context.js';

export interface ControlRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  readonly requestId: string;
  /** The path, still percent-encoded, without the query. */
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly auth: SigV4Auth | undefined;
  /** The authenticated caller; undefined for an unsigned request (always refused). */
  readonly principal: Principal | undefined;
}

const JOBS_PATH = /^\/v20180820\/jobs(?:\/([^/]+)(?:\/([^/]+))?)?\/?$/;

/** (method, path) → operation and job id; an S3Error for paths and methods the jobs API does not have. */
export function routeControl(method: string, rawPath: string): { op: ControlOperation; jobId?: string } {
  const m = JOBS_PATH.exec(rawPath);
  if (!m) throw new S3Error('NotImplemented', 's3batch implements the S3 Control jobs API (/v20180820/jobs…) only.');
  const [, rawId, sub] = m;
  let jobId: string | undefined;
  if (rawId !== undefined) {
    try {
      jobId = decodeURIComponent(rawId);
    } catch {
      throw noSuchJob(rawId);
    }
  }
  const notAllowed = (): S3Error => new S3Error('MethodNotAllowed', `The method ${method} is not allowed on ${rawPath}.`, { Method: method, ResourceType: 'JOB' });
  if (jobId === undefined) {
    if (method === 'POST') return { op: 'CreateJob' };
    if (method === 'GET') return { op: 'ListJobs' };
    throw notAllowed();
  }
  switch (sub) {
    case undefined:
      if (method === 'GET') return { op: 'DescribeJob', jobId };
      throw notAllowed();
    case 'priority':
      if (method === 'POST') return { op: 'UpdateJobPriority', jobId };
      throw notAllowed();
    case 'status':
      if (method === 'POST') return { op: 'UpdateJobStatus', jobId };
      throw notAllowed();
    case 'tagging':
      if (method === 'GET') return { op: 'GetJobTagging', jobId };
      if (method === 'PUT') return { op: 'PutJobTagging', jobId };
      if (method === 'DELETE') return { op: 'DeleteJobTagging', jobId };
      throw notAllowed();
    default:
      throw new S3Error('NotImplemented', `s3batch does not implement ${rawPath}.`);
  }
}

function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

/** Serves one S3 Control request completely (response or error); never throws. */
export async function handleControlRequest(deps: ControlDeps, r: ControlRequest): Promise<void> {
  const { req, res, method, requestId } = r;
  let op: string = 'unknown';
  try {
    const route = routeControl(method, r.rawPath);
    op = route.op;
    const accountId = headerText(req.headers['x-amz-account-id']);
    if (accountId === undefined || accountId === '') throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-account-id.');
    if (!/^\d{12}$/.test(accountId)) throw new S3Error('InvalidRequest', `The x-amz-account-id header '${accountId.slice(0, 64)}' is not a 12-digit AWS account id.`);
    const principal = r.principal;
    if (principal === undefined) throw new S3Error('AccessDenied', 'Access Denied');
    // Jobs have no resource policies: only the account's own principals may reach them.
    if (principal.accountId !== accountId) {
      throw new S3Error('AccessDenied', `User: ${principal.arn} is not authorized to access the jobs of account ${accountId}: x-amz-account-id must name the caller's own account (${principal.accountId}).`);
    }
    const now = (deps.now ?? Date.now)();
    const query = new URLSearchParams(r.rawQuery);
    const ctx: ControlCtx = {
      req, res, method, requestId, rawPath: r.rawPath, query, headers: req.headers, auth: r.auth, principal, trailers: {},
      deps, accountId, now,
      ...(route.jobId !== undefined ? { jobId: route.jobId } : {}),
      authInput: {
        credentials: deps.credentials, region: deps.config.region, principal, accountId, query, headers: req.headers,
        sourceIp: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''), now,
      },
    };
    await ControlHandlers[route.op](ctx);
    if (deps.config.logRequests) deps.log(`${method} ${r.rawPath} ${op} ${res.statusCode}`);
  } catch (e) {
    const err = toWireError(e, deps.log);
    if (deps.config.logRequests) deps.log(`${method} ${r.rawPath} ${op} -> ${err.code}`);
    if (!req.complete && hasBody(req)) res.setHeader('connection', 'close');
    sendControlError(res, method, err, requestId);
  }
}
