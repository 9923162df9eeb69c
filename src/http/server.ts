/**
 * The one HTTP port: S3 REST, S3 Control (/v20180820/…), IAM and STS (Query API), health.
 *
 * Request targets may be origin-form (`/bucket/key`) or absolute-form
 * (`http://host:port/bucket/key`, when clients use the server as an HTTP proxy). Hosts may be
 * `127.0.0.1:7070` (path-style), `<bucket>.localhost:7070` (virtual-host style) or, for S3
 * Control, `<account-id>.<endpoint host>`.
 *
 * Hot path (1 KiB GET/PUT at 64 connections, docs/benchmarks.md): the dispatch below allocates
 * one request object (`S3Request`, methods on its prototype instead of per-request closures),
 * builds the URLSearchParams only when something reads it (a presigned URL's query holds only
 * X-Amz-* parameters, which name no sub-resource), and stays synchronous for synchronous handlers
 * (GET/HEAD). With the response head written at once (request.ts writeS3Head) this took a
 * presigned 1 KiB GET from ~115 to ~103 µs of server CPU (9.0k → 10.1k GET/s).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { S3Error } from '../errors.js';
import { sendS3Error, toS3Error, writeRequestIdHeaders } from './errors.js';
import { addHoistedAmzHeaders, type RequestContext } from './request.js';
import { resolveOperation, type S3Operation } from './s3/operations.js';
import type { S3Ctx, S3Deps, S3Handlers } from './s3/context.js';
import { verifySigV4, type SigV4Auth } from './sigv4.js';
import { findBucket } from '../store/buckets.js';
import { checkSessionToken, type Principal } from '../auth/credentials.js';
import type { IamContext } from '../auth/iam-authorize.js';
import type { RequestBodyFacts } from '../auth/s3-catalog.js';
import { handleQueryApi, queryApiServiceOf } from './query-api.js';
import { handleControlRequest } from './control/index.js';
import { authorizeControl } from './control/authorize.js';
import { handleEventStream } from './events.js';
import type { JobStore } from '../jobs/store.js';
import { authorizeDeleteObjects, authorizeRequest, bodyDependent, type AuthorizationInput } from './s3/authorize-request.js';

export interface HttpDeps extends S3Deps {
  readonly s3: S3Handlers;
  /** IAM and STS (the Query API front, src/http/query-api.ts). */
  readonly iam: IamContext;
  /** Batch jobs: the S3 Control front (src/http/control/). */
  readonly jobs: JobStore;
}

const MAX_KEY_BYTES = 1024;

interface Target {
  host: string; // without port, lower-case
  rawPath: string;
  rawQuery: string;
}

function parseTarget(req: IncomingMessage): Target {
  let url = req.url ?? '/';
  let host = (req.headers.host ?? '').toLowerCase();
  if (!url.startsWith('/')) {
    // absolute-form: http://host[:port]/path?query
    const m = /^https?:\/\/([^/?#]*)(.*)$/i.exec(url);
    if (!m) throw new S3Error('InvalidURI');
    host = m[1]!.toLowerCase();
    url = m[2] || '/';
    if (!url.startsWith('/')) url = '/' + url;
  }
  const q = url.indexOf('?');
  const rawPath = q >= 0 ? url.slice(0, q) : url;
  const rawQuery = q >= 0 ? url.slice(q + 1) : '';
  // Strip the port; keep IPv6 literals whole.
  if (host.startsWith('[')) host = host.slice(0, host.indexOf(']') + 1);
  else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) host = host.slice(0, colon);
  }
  return { host, rawPath, rawQuery };
}

function decode(s: string): string {
  // Most keys need no decoding: decodeURIComponent of a string without '%' returns it unchanged.
  if (s.indexOf('%') === -1) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    throw new S3Error('InvalidURI', 'Couldn\'t parse the specified URI.');
  }
}

/** Bucket and key from a virtual-host (`<bucket>.localhost`) or path-style request. */
function addressOf(t: Target): { bucket?: string; key?: string } {
  let bucket: string | undefined;
  let rest = t.rawPath.slice(1);
  const vh = t.host.endsWith('.localhost') ? t.host.slice(0, -'.localhost'.length) : undefined;
  if (vh) bucket = vh;
  else {
    const slash = rest.indexOf('/');
    const seg = slash >= 0 ? rest.slice(0, slash) : rest;
    if (seg !== '') bucket = decode(seg);
    rest = slash >= 0 ? rest.slice(slash + 1) : '';
    if (slash < 0) return { bucket };
  }
  if (rest === '' ) return { bucket };
  const key = decode(rest);
  // A key of at most 341 chars is at most 1023 UTF-8 bytes: no need to count them.
  if (key.length > MAX_KEY_BYTES / 3 && Buffer.byteLength(key) > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError', undefined, { MaxSizeAllowed: MAX_KEY_BYTES, Size: Buffer.byteLength(key) });
  return { bucket, key };
}

/**
 * Whether every query parameter is named `X-Amz-…` in any case (presigned-URL authentication;
 * the SDK's presigner sends `x-amz-content-sha256` lower-case) or there is none. Such a query names
 * no sub-resource, versionId, partNumber or response-* override (all of which start otherwise),
 * so the operation follows from the method alone; a name that merely decodes to `X-Amz-…` fails
 * this test and takes the general path.
 */
function authOnlyQuery(rawQuery: string): boolean {
  let pos = 0;
  const n = rawQuery.length;
  while (pos < n) {
    const amp = rawQuery.indexOf('&', pos);
    const end = amp === -1 ? n : amp;
    if (end > pos && !startsWithXAmz(rawQuery, pos)) return false;
    pos = end + 1;
  }
  return true;
}

/** `x-amz-` in any case at `pos`. */
function startsWithXAmz(s: string, pos: number): boolean {
  return (
    (s.charCodeAt(pos) | 0x20) === 120 /* x */ &&
    s.charCodeAt(pos + 1) === 45 /* - */ &&
    (s.charCodeAt(pos + 2) | 0x20) === 97 /* a */ &&
    (s.charCodeAt(pos + 3) | 0x20) === 109 /* m */ &&
    (s.charCodeAt(pos + 4) | 0x20) === 122 /* z */ &&
    s.charCodeAt(pos + 5) === 45 /* - */
  );
}

/** The operation of a request whose query holds no sub-resource (see authOnlyQuery), as resolveOperation would name it. */
function plainObjectOperation(method: string, req: IncomingMessage): S3Operation | undefined {
  switch (method) {
    case 'GET':
      return 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'PUT':
      return req.headers['x-amz-copy-source'] !== undefined ? 'CopyObject' : 'PutObject';
    case 'DELETE':
      return 'DeleteObject';
    default:
      return undefined;
  }
}

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

function newRequestIdFactory(): () => string {
  const prefix = randomBytes(4).toString('hex').toUpperCase();
  let n = 0;
  return () => prefix + (++n).toString(16).toUpperCase().padStart(8, '0');
}

/** The principal S3 handlers see for an unsigned request: objects it writes belong to the bucket owner (S3's default "bucket owner enforced" ownership). */
function anonymousPrincipal(deps: HttpDeps, bucket: string | undefined): Principal {
  const owner = bucket !== undefined ? findBucket(deps.store, bucket)?.owner : undefined;
  return { kind: 'user', accountId: owner ?? '', arn: '*', accessKeyId: '', userId: 'anonymous', tags: {} };
}

/**
 * GET/HEAD of a missing key answers 403, not 404, to a caller that may not list the bucket, so
 * that key existence does not leak (S3's documented behaviour).
 */
function hideMissingKey(a: AuthorizationInput, err: S3Error): S3Error {
  if (err.code !== 'NoSuchKey' || (a.op !== 'GetObject' && a.op !== 'HeadObject' && a.op !== 'GetObjectAttributes')) return err;
  try {
    authorizeRequest({ deps: a.deps, op: 'ListObjects', principal: a.principal, bucket: a.bucket, key: undefined, query: new URLSearchParams(), headers: a.headers, sourceIp: a.sourceIp, signed: a.signed });
    return err;
  } catch {
    return new S3Error('AccessDenied');
  }
}

function sourceIpOf(req: IncomingMessage): string {
  const ip = req.socket.remoteAddress ?? '';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

class AuthorizationView implements AuthorizationInput {
  readonly deps: S3Deps;
  readonly op: S3Operation;
  readonly bucket: string | undefined;
  readonly key: string | undefined;
  readonly headers: IncomingMessage['headers'];
  readonly signed: boolean;
  constructor(
    private readonly r: S3Request,
    readonly principal: Principal | undefined,
  ) {
    this.deps = r.deps;
    this.op = r.op;
    this.bucket = r.bucket;
    this.key = r.key;
    this.headers = r.headers;
    this.signed = r.signed;
  }

  get query(): URLSearchParams {
    return this.r.query;
  }

  get sourceIp(): string {
    return this.r.sourceIp;
  }
}

/**
 * One S3 request: the handler's context (S3Ctx) and the authorizer's input (AuthorizationInput)
 * in one object. `query` is parsed on first use.
 */
class S3Request implements S3Ctx, RequestContext, AuthorizationInput {
  readonly headers: IncomingMessage['headers'];
  trailers: Record<string, string> = {};
  readonly principal: Principal;
  readonly anonymous: boolean;
  readonly signed: boolean;
  /** Set once the request's permissions have been checked (see `authorize`). */
  authorized = false;
  private parsedQuery: URLSearchParams | undefined = undefined;
  private ip: string | undefined = undefined;
  private authzView: AuthorizationView | undefined = undefined;

  constructor(
    readonly deps: HttpDeps,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly method: string,
    readonly requestId: string,
    readonly rawPath: string,
    private readonly rawQuery: string,
    readonly queryIsAuthOnly: boolean,
    readonly auth: SigV4Auth | undefined,
    private readonly caller: Principal | undefined,
    readonly bucket: string | undefined,
    readonly key: string | undefined,
    readonly op: S3Operation,
  ) {
    this.headers = req.headers;
    this.anonymous = caller === undefined;
    this.signed = auth !== undefined;
    this.principal = caller ?? anonymousPrincipal(deps, bucket);
  }

  get query(): URLSearchParams {
    return (this.parsedQuery ??= new URLSearchParams(this.rawQuery));
  }

  get sourceIp(): string {
    return (this.ip ??= sourceIpOf(this.req));
  }

  /** The authorizer's view: the caller as signed (undefined when anonymous); query and source IP read on demand. */
  authorizationInput(): AuthorizationInput {
    return (this.authzView ??= new AuthorizationView(this, this.caller));
  }

  authorize(body?: RequestBodyFacts): void {
    authorizeRequest(this.authorizationInput(), body);
    this.authorized = true;
  }

  authorizeDeleteObjects(objects: readonly { key: string; versionId?: string }[]): Map<number, S3Error> {
    this.authorized = true;
    return authorizeDeleteObjects(this.authorizationInput(), objects);
  }
}

export function createHttpServer(deps: HttpDeps): Server {
  const nextId = newRequestIdFactory();
  const lookup = (id: string) => deps.credentials.lookup(id);
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, maxHeaderSize: 16 * 1024 }, (req, res) => {
    handle(req, res);
  });
  server.on('clientError', (err, socket) => {
    // Oversized or malformed request heads never reach the handler: answer like S3 does.
    if (!socket.writable) return socket.destroy();
    const tooLarge = (err as NodeJS.ErrnoException).code === 'HPE_HEADER_OVERFLOW';
    const e = new S3Error(tooLarge ? 'RequestHeaderSectionTooLarge' : 'InvalidRequest', tooLarge ? undefined : 'The request could not be parsed.');
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${e.code}</Code><Message>${e.message}</Message></Error>`;
    socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });

  function fail(req: IncomingMessage, res: ServerResponse, method: string, requestId: string, resource: string | undefined, s3: S3Request | undefined, e: unknown): void {
    let err = toS3Error(e, deps.log);
    if (s3) err = hideMissingKey(s3.authorizationInput(), err);
    if (deps.config.logRequests) deps.log(`${method} ${resource ?? req.url} -> ${err.code}`);
    // Unread request bodies would otherwise be parsed as the next request on this connection. A
    // request without a body is not complete yet while its handler runs synchronously, but has
    // nothing left to read: keep its connection.
    if (!req.complete && hasBody(req)) res.setHeader('connection', 'close');
    sendS3Error(res, method, err, requestId, resource);
  }

  function finished(s3: S3Request): void {
    // Every body-dependent handler must authorize once it has parsed its body; a test covers
    // each one, and this catches a new handler that forgets.
    if (!s3.authorized) deps.log(`BUG: ${s3.op} finished without authorizing its request`);
    if (deps.config.logRequests) deps.log(`${s3.method} ${s3.rawPath} ${s3.op} ${s3.res.statusCode}`);
  }

  /**
   * S3 responses carry x-amz-request-id, x-amz-id-2 and server; S3 handlers write them with the
   * rest of their headers (request.ts `send`, objects.ts getOrHead, errors.ts sendS3Error), so a
   * response can go out through one writeHead. Other responses get them here first.
   */
  function handle(req: IncomingMessage, res: ServerResponse): void {
    const requestId = nextId();
    const method = req.method ?? 'GET';
    let resource: string | undefined;
    let s3: S3Request | undefined;
    try {
      const t = parseTarget(req);
      resource = t.rawPath;
      if (t.rawPath === '/_health' && (method === 'GET' || method === 'HEAD')) {
        writeRequestIdHeaders(res, requestId);
        res.setHeader('content-type', 'text/plain');
        res.end(method === 'HEAD' ? undefined : 'ok\n');
        return;
      }
      const queryService = queryApiServiceOf(req.headers, t.rawQuery);
      if (queryService !== undefined) {
        writeRequestIdHeaders(res, requestId);
        handleQueryApi(queryService, req, res, { iam: deps.iam, log: deps.log, logRequests: deps.config.logRequests }, requestId).then(undefined, (e: unknown) =>
          fail(req, res, method, requestId, resource, undefined, e),
        );
        return;
      }
      const now = Date.now();
      const auth = verifySigV4({ method, rawPath: t.rawPath, rawQuery: t.rawQuery, headers: req.headers }, lookup, now);
      let caller: Principal | undefined;
      if (auth) {
        const entry = deps.credentials.lookup(auth.accessKeyId)!;
        checkSessionToken(entry, auth.sessionToken, now);
        caller = entry.principal;
        // Lower-case x-amz-* query parameters of a presigned URL are the headers it was signed with.
        if (auth.presigned && t.rawQuery.includes('x-amz-')) addHoistedAmzHeaders(req.headers, t.rawQuery);
      }
      if (t.rawPath === '/_events') {
        // Job events as Server-Sent Events (src/http/events.ts): after SigV4, the caller's account
        // only, and only for a caller its policies allow s3:ListJobs (the stream shows what
        // ListJobs and DescribeJob would).
        if (caller) {
          authorizeControl({
            credentials: deps.credentials, region: deps.config.region, principal: caller, accountId: caller.accountId,
            query: new URLSearchParams(t.rawQuery), headers: req.headers, sourceIp: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''), now,
          }, 'ListJobs');
        }
        void handleEventStream(req, res, { jobs: deps.jobs, region: deps.config.region, principal: caller, requestId, rawQuery: t.rawQuery, log: deps.log });
        return;
      }
      if (t.rawPath.startsWith('/v20180820/')) {
        // S3 Control (batch jobs): the front writes its own responses and errors, and never throws.
        void handleControlRequest(deps, { req, res, method, requestId, rawPath: t.rawPath, rawQuery: t.rawQuery, auth, principal: caller });
        return;
      }
      const { bucket, key } = addressOf(t);
      const authOnly = authOnlyQuery(t.rawQuery);
      let op = authOnly && key !== undefined ? plainObjectOperation(method, req) : undefined;
      if (op === undefined) {
        const resolved = resolveOperation(method, bucket, key, new URLSearchParams(t.rawQuery), req.headers);
        if ('unsupported' in resolved) throw new S3Error('NotImplemented', `s3batch does not implement ${resolved.unsupported}.`);
        if ('methodNotAllowed' in resolved) throw new S3Error('MethodNotAllowed', undefined, { Method: method, ResourceType: key !== undefined ? 'OBJECT' : bucket !== undefined ? 'BUCKET' : 'SERVICE' });
        op = resolved.op;
      }
      const handler = deps.s3[op];
      if (!handler) throw new S3Error('NotImplemented', `s3batch does not implement ${op}.`);
      s3 = new S3Request(deps, req, res, method, requestId, t.rawPath, t.rawQuery, authOnly, auth, caller, bucket, key, op);
      if (!bodyDependent.has(op)) s3.authorize();
      const pending = handler(s3);
      if (pending !== undefined) {
        const r = s3;
        pending.then(
          () => finished(r),
          (e: unknown) => fail(req, res, method, requestId, resource, r, e),
        );
        return;
      }
      finished(s3);
    } catch (e) {
      fail(req, res, method, requestId, resource, s3, e);
    }
  }
  return server;
}
