/**
 * The one HTTP port: S3 REST, S3 Control (/v20180820/…), IAM and STS (Query API), health.
 *
 * Request targets may be origin-form (`/bucket/key`) or absolute-form
 * (`http://host:port/bucket/key`, when clients use the server as an HTTP proxy). Hosts may be
 * `127.0.0.1:7070` (path-style), `<bucket>.localhost:7070` (virtual-host style) or, for S3
 * Control, `<account-id>.<endpoint host>`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { S3Error } from '../errors.js';
import { sendS3Error, toS3Error } from './errors.js';
import type { RequestContext } from './request.js';
import { resolveOperation } from './s3/operations.js';
import type { S3Ctx, S3Deps, S3Handlers } from './s3/context.js';
import { verifySigV4 } from './sigv4.js';
import { findBucket } from '../store/buckets.js';
import { checkSessionToken, type Principal } from '../auth/credentials.js';
import type { IamContext } from '../auth/iam-authorize.js';
import { handleQueryApi, queryApiServiceOf } from './query-api.js';
import { authorizeDeleteObjects, authorizeRequest, bodyDependent, type AuthorizationInput } from './s3/authorize-request.js';

export interface HttpDeps extends S3Deps {
  readonly s3: S3Handlers;
  /** IAM and STS (the Query API front, src/http/query-api.ts). */
  readonly iam: IamContext;
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
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError', undefined, { MaxSizeAllowed: MAX_KEY_BYTES, Size: Buffer.byteLength(key) });
  return { bucket, key };
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
    authorizeRequest({ ...a, op: 'ListObjects', key: undefined, query: new URLSearchParams() });
    return err;
  } catch {
    return new S3Error('AccessDenied');
  }
}

export function createHttpServer(deps: HttpDeps): Server {
  const nextId = newRequestIdFactory();
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, maxHeaderSize: 16 * 1024 }, (req, res) => {
    void handle(req, res);
  });
  server.on('clientError', (err, socket) => {
    // Oversized or malformed request heads never reach the handler: answer like S3 does.
    if (!socket.writable) return socket.destroy();
    const tooLarge = (err as NodeJS.ErrnoException).code === 'HPE_HEADER_OVERFLOW';
    const e = new S3Error(tooLarge ? 'RequestHeaderSectionTooLarge' : 'InvalidRequest', tooLarge ? undefined : 'The request could not be parsed.');
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${e.code}</Code><Message>${e.message}</Message></Error>`;
    socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = nextId();
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('x-amz-id-2', requestId);
    res.setHeader('server', 's3batch');
    const method = req.method ?? 'GET';
    let resource: string | undefined;
    let authz: AuthorizationInput | undefined;
    try {
      const t = parseTarget(req);
      resource = t.rawPath;
      if (t.rawPath === '/_health' && (method === 'GET' || method === 'HEAD')) {
        res.setHeader('content-type', 'text/plain');
        res.end(method === 'HEAD' ? undefined : 'ok\n');
        return;
      }
      const queryService = queryApiServiceOf(req.headers, t.rawQuery);
      if (queryService !== undefined) {
        await handleQueryApi(queryService, req, res, { iam: deps.iam, log: deps.log, logRequests: deps.config.logRequests }, requestId);
        return;
      }
      const now = Date.now();
      const auth = verifySigV4({ method, rawPath: t.rawPath, rawQuery: t.rawQuery, headers: req.headers }, (id) => deps.credentials.lookup(id), now);
      if (t.rawPath.startsWith('/v20180820/')) throw new S3Error('NotImplemented', 'The S3 Control jobs API arrives in a later release of s3batch.');
      let caller: Principal | undefined;
      if (auth) {
        const entry = deps.credentials.lookup(auth.accessKeyId)!;
        checkSessionToken(entry, auth.sessionToken, now);
        caller = entry.principal;
      }
      const { bucket, key } = addressOf(t);
      const query = new URLSearchParams(t.rawQuery);
      const resolved = resolveOperation(method, bucket, key, query, req.headers);
      if ('unsupported' in resolved) throw new S3Error('NotImplemented', `s3batch does not implement ${resolved.unsupported}.`);
      if ('methodNotAllowed' in resolved) throw new S3Error('MethodNotAllowed', undefined, { Method: method, ResourceType: key !== undefined ? 'OBJECT' : bucket !== undefined ? 'BUCKET' : 'SERVICE' });
      const handler = deps.s3[resolved.op];
      if (!handler) throw new S3Error('NotImplemented', `s3batch does not implement ${resolved.op}.`);
      authz = {
        deps, op: resolved.op, principal: caller, bucket, key, query, headers: req.headers, signed: auth !== undefined,
        sourceIp: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
      };
      const a = authz;
      let authorized = !bodyDependent.has(resolved.op);
      if (authorized) authorizeRequest(a);
      const ctx: S3Ctx & RequestContext = {
        req, res, method, requestId, rawPath: t.rawPath, query, headers: req.headers, auth, bucket, key, trailers: {}, deps, op: resolved.op,
        principal: caller ?? anonymousPrincipal(deps, bucket),
        anonymous: caller === undefined,
        authorize: (body) => {
          authorizeRequest(a, body);
          authorized = true;
        },
        authorizeDeleteObjects: (objects) => {
          authorized = true;
          return authorizeDeleteObjects(a, objects);
        },
      };
      await handler(ctx);
      // Every body-dependent handler must authorize once it has parsed its body; a test covers
      // each one, and this catches a new handler that forgets.
      if (!authorized) deps.log(`BUG: ${resolved.op} finished without authorizing its request`);
      if (deps.config.logRequests) deps.log(`${method} ${t.rawPath} ${resolved.op} ${res.statusCode}`);
    } catch (e) {
      let err = toS3Error(e, deps.log);
      if (authz) err = hideMissingKey(authz, err);
      if (deps.config.logRequests) deps.log(`${method} ${resource ?? req.url} -> ${err.code}`);
      // Unread request bodies would otherwise be parsed as the next request on this connection. A
      // request without a body is not complete yet while its handler runs synchronously, but has
      // nothing left to read: keep its connection.
      if (!req.complete && hasBody(req)) res.setHeader('connection', 'close');
      sendS3Error(res, method, err, requestId, resource);
    }
  }
  return server;
}
