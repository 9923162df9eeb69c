/**
 * The AWS Query API front for IAM and STS on the server's one port. A request belongs here when
 * its SigV4 credential scope names the service `iam` or `sts` (Authorization header or
 * X-Amz-Credential); the server dispatches it before anything S3 runs.
 *
 * Parameters come form-encoded in a POST body (how the CLI and the SDKs send them) or in the query
 * string (GET). IAM/STS clients do not send x-amz-content-sha256, so the body is read first (at
 * most 1 MiB), hashed, and the hash handed to the SigV4 verifier. S3-flavoured authentication
 * errors are answered with the codes IAM and STS use (InvalidClientTokenId, SignatureDoesNotMatch,
 * ExpiredToken, IncompleteSignature, MissingAuthenticationToken), in their `<ErrorResponse>`.
 */
import { knownIamActions, knownStsActions } from './iam/known-actions.js';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { checkSessionToken } from '../auth/credentials.js';
import type { IamContext } from '../auth/iam-authorize.js';
import { IamError } from '../auth/iam-errors.js';
import { S3Error } from '../errors.js';
import type { QueryHandler } from './iam/context.js';
import { IamHandlers } from './iam/handlers.js';
import { ParamReader } from './iam/params.js';
import { IAM_XMLNS } from './iam/render.js';
import { parseAmzDate, formatAmzDate, MAX_SKEW_MS, sha256Hex, verifySigV4 } from './sigv4.js';
import { StsHandlers, STS_XMLNS } from './sts/handlers.js';
import { escapeXml, renderXml, type XmlObject } from './xml.js';

export type QueryService = 'iam' | 'sts';

export interface QueryApiDeps {
  readonly iam: IamContext;
  readonly log: (msg: string) => void;
  readonly logRequests?: boolean;
}

/** The most a Query-API request body may hold (the largest member, a policy document, is 128 KiB). */
export const MAX_QUERY_BODY = 1024 * 1024;

const services = {
  iam: { version: '2010-05-08', xmlns: IAM_XMLNS, handlers: IamHandlers },
  sts: { version: '2011-06-15', xmlns: STS_XMLNS, handlers: StsHandlers },
} as const satisfies Record<QueryService, { version: string; xmlns: string; handlers: Readonly<Record<string, QueryHandler>> }>;

function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * 'iam' or 'sts' when the request is signed for one of them (credential scope
 * `<key>/<date>/<region>/<service>/aws4_request`), else undefined (S3 and everything else).
 */
export function queryApiServiceOf(headers: IncomingHttpHeaders, rawQuery: string): QueryService | undefined {
  let credential: string | undefined;
  const auth = headerText(headers.authorization);
  if (auth !== undefined) {
    // This runs before every S3 request: a substring test settles nearly all of them.
    if (!auth.includes('/iam/aws4_request') && !auth.includes('/sts/aws4_request')) return undefined;
    credential = /Credential=([^,\s]+)/.exec(auth)?.[1];
  }
  else if (rawQuery.includes('X-Amz-Credential=')) {
    // A presigned S3 URL (scope `…/s3/aws4_request`, URL-encoded) settles it without a regex.
    const at = rawQuery.indexOf('X-Amz-Credential=');
    const end = rawQuery.indexOf('&', at);
    if ((at === 0 || rawQuery[at - 1] === '&') && rawQuery.endsWith('%2Fs3%2Faws4_request', end === -1 ? rawQuery.length : end)) return undefined;
    const raw = /(?:^|&)X-Amz-Credential=([^&]*)/.exec(rawQuery)?.[1];
    if (raw === undefined) return undefined;
    // Presigned URLs carry the same credential all day: remember what each one names (~1 µs of
    // regex, decoding and splitting per S3 request otherwise).
    const known = serviceOfRawCredential.get(raw);
    if (known !== undefined) return known === '' ? undefined : known;
    try {
      credential = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    const service = serviceOfCredential(credential);
    if (serviceOfRawCredential.size >= 256) serviceOfRawCredential.clear();
    serviceOfRawCredential.set(raw, service ?? '');
    return service;
  }
  if (credential === undefined) return undefined;
  return serviceOfCredential(credential);
}

const serviceOfRawCredential = new Map<string, QueryService | ''>();

function serviceOfCredential(credential: string): QueryService | undefined {
  const parts = credential.split('/');
  const service = parts.length >= 5 ? parts[parts.length - 2] : undefined;
  return service === 'iam' || service === 'sts' ? service : undefined;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(headerText(req.headers['content-length']) ?? '0');
  const tooLarge = (): IamError => new IamError('RequestEntityTooLarge', `Request body too large: the limit is ${MAX_QUERY_BODY} bytes.`);
  if (declared > MAX_QUERY_BODY) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_QUERY_BODY) throw tooLarge();
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks, size);
}

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const INVALID_TOKEN = 'The security token included in the request is invalid.';

/** An authentication failure as IAM and STS word it. */
function authError(e: S3Error, headers: IncomingHttpHeaders, now: number): IamError {
  switch (e.code) {
    case 'InvalidAccessKeyId':
    case 'InvalidToken':
      return new IamError('InvalidClientTokenId', INVALID_TOKEN);
    case 'ExpiredToken':
      return new IamError('ExpiredToken', 'The security token included in the request is expired');
    case 'SignatureDoesNotMatch':
      return new IamError('SignatureDoesNotMatch', SIGNATURE_MISMATCH);
    case 'RequestTimeTooSkewed': {
      const sent = headerText(headers['x-amz-date']) ?? '';
      const t = parseAmzDate(sent);
      return t < now
        ? new IamError('SignatureDoesNotMatch', `Signature expired: ${sent} is now earlier than ${formatAmzDate(now - MAX_SKEW_MS)} (${formatAmzDate(now)} - 15 min.)`)
        : new IamError('SignatureDoesNotMatch', `Signature not yet current: ${sent} is still later than ${formatAmzDate(now + MAX_SKEW_MS)} (${formatAmzDate(now)} + 15 min.)`);
    }
    default:
      return new IamError('IncompleteSignature', e.message);
  }
}

/** Request members: the query string (minus SigV4's own parameters), overlaid with a form body's. */
function requestParams(rawQuery: string, headers: IncomingHttpHeaders, body: Buffer): Map<string, string> {
  const params = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(rawQuery)) if (!k.startsWith('X-Amz-') && !params.has(k)) params.set(k, v);
  const type = (headerText(headers['content-type']) ?? '').toLowerCase();
  if (body.length > 0 && (type === '' || type.startsWith('application/x-www-form-urlencoded'))) {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.set(k, v);
  }
  return params;
}

function sourceIpOf(req: IncomingMessage): string | undefined {
  const a = req.socket.remoteAddress;
  return a?.startsWith('::ffff:') ? a.slice(7) : a;
}

/** Handles one IAM or STS request to the end (response sent, errors included). */
export async function handleQueryApi(service: QueryService, req: IncomingMessage, res: ServerResponse, deps: QueryApiDeps, requestId: string): Promise<void> {
  const svc = services[service];
  let action = '';
  try {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q >= 0 ? url.slice(0, q) : url;
    const rawQuery = q >= 0 ? url.slice(q + 1) : '';
    const body = await readBody(req);
    const now = deps.iam.now();
    const bodySha = sha256Hex(body);
    const credentials = deps.iam.credentials;

    let auth;
    try {
      auth = verifySigV4({ method: req.method ?? 'GET', rawPath: rawPath.startsWith('/') ? rawPath : '/', rawQuery, headers: req.headers, payloadSha256: bodySha }, (id) => credentials.lookup(id), now);
      if (auth !== undefined) {
        if (auth.payload !== 'SHA256' || auth.payloadSha256 !== bodySha) throw new S3Error('SignatureDoesNotMatch');
        checkSessionToken(credentials.lookup(auth.accessKeyId)!, auth.sessionToken, now);
      }
    } catch (e) {
      throw e instanceof S3Error ? authError(e, req.headers, now) : e;
    }
    if (auth === undefined) throw new IamError('MissingAuthenticationToken', 'Request is missing Authentication Token');
    const principal = credentials.lookup(auth.accessKeyId)!.principal;

    const params = requestParams(rawQuery, req.headers, body);
    action = params.get('Action') ?? '';
    if (action === '') throw new IamError('MissingAction', 'Missing Action');
    const version = params.get('Version');
    const handler = Object.hasOwn(svc.handlers, action) ? svc.handlers[action] : undefined;
    if (handler === undefined) {
      const known = service === 'iam' ? knownIamActions : knownStsActions;
      if (known.has(action)) throw new IamError('NotImplemented', `s3batch does not implement ${service}:${action}.`);
      throw new IamError('InvalidAction', `The action ${action} is not valid for this web service.`);
    }
    if (version !== undefined && version !== svc.version) throw new IamError('InvalidAction', `Could not find operation ${action} for version ${version}`);
    params.delete('Action');
    params.delete('Version');

    const result = await handler({ iam: deps.iam, caller: { principal, sourceIp: sourceIpOf(req), secureTransport: false } }, new ParamReader(params));
    const response: XmlObject = { ...(result !== undefined ? { [`${action}Result`]: result } : {}), ResponseMetadata: { RequestId: requestId } };
    send(res, 200, renderXml(`${action}Response`, response, svc.xmlns), requestId);
    if (deps.logRequests) deps.log(`${req.method} ${service}:${action} 200`);
  } catch (e) {
    if (clientGone(e)) {
      res.destroy();
      return;
    }
    const err = toIamError(e, deps.log);
    if (deps.logRequests) deps.log(`${req.method} ${service}:${action || '?'} -> ${err.code}`);
    if (!req.complete) res.setHeader('connection', 'close');
    const xml =
      `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${svc.xmlns}"><Error><Type>${err.type}</Type><Code>${err.code}</Code>` +
      `<Message>${escapeXml(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
    send(res, err.status, xml, requestId);
  }
}

/** The client went away mid-request: there is no one to answer. */
function clientGone(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'ECONNABORTED' || (e as Error | undefined)?.message === 'aborted';
}

function toIamError(e: unknown, log: (msg: string) => void): IamError {
  if (e instanceof IamError) return e;
  log(`internal error: ${(e as Error)?.stack ?? String(e)}`);
  return new IamError('ServiceFailure', 'We encountered an internal error. Please try again.');
}

function send(res: ServerResponse, status: number, xml: string, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = status;
  res.setHeader('content-type', 'text/xml');
  res.setHeader('x-amzn-requestid', requestId);
  res.setHeader('content-length', Buffer.byteLength(xml));
  res.end(xml);
}
