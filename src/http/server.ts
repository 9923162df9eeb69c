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
import { getBucket } from '../store/buckets.js';

export interface HttpDeps extends S3Deps {
  readonly s3: S3Handlers;
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

/** Operations that a bucket's owner alone may call until the IAM step adds policies. */
function assertOwner(c: S3Ctx): void {
  if (c.bucket === undefined || c.op === 'CreateBucket' || c.op === 'ListBuckets') return;
  const b = getBucket(c.deps.store, c.bucket);
  if (b.owner !== c.principal.accountId) throw new S3Error('AccessDenied');
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
    try {
      const t = parseTarget(req);
      resource = t.rawPath;
      if (t.rawPath === '/_health' && (method === 'GET' || method === 'HEAD')) {
        res.setHeader('content-type', 'text/plain');
        res.end(method === 'HEAD' ? undefined : 'ok\n');
        return;
      }
      const now = Date.now();
      const auth = verifySigV4({ method, rawPath: t.rawPath, rawQuery: t.rawQuery, headers: req.headers }, (id) => deps.credentials.lookup(id), now);
      if (t.rawPath.startsWith('/v20180820/')) throw new S3Error('NotImplemented', 'The S3 Control jobs API arrives in a later release of s3batch.');
      if (auth && (auth.service === 'iam' || auth.service === 'sts')) throw new S3Error('NotImplemented', `The ${auth.service.toUpperCase()} API arrives in a later release of s3batch.`);
      if (!auth) throw new S3Error('AccessDenied', 'Anonymous access is not allowed: sign the request with SigV4.');
      const principal = deps.credentials.lookup(auth.accessKeyId)!.principal;
      const { bucket, key } = addressOf(t);
      const query = new URLSearchParams(t.rawQuery);
      const resolved = resolveOperation(method, bucket, key, query, req.headers);
      if ('unsupported' in resolved) throw new S3Error('NotImplemented', `s3batch does not implement ${resolved.unsupported}.`);
      if ('methodNotAllowed' in resolved) throw new S3Error('MethodNotAllowed', undefined, { Method: method, ResourceType: key !== undefined ? 'OBJECT' : bucket !== undefined ? 'BUCKET' : 'SERVICE' });
      const handler = deps.s3[resolved.op];
      if (!handler) throw new S3Error('NotImplemented', `s3batch does not implement ${resolved.op}.`);
      const ctx: S3Ctx & RequestContext = {
        req, res, method, requestId, rawPath: t.rawPath, query, headers: req.headers, auth, principal, bucket, key, trailers: {}, deps, op: resolved.op,
      };
      assertOwner(ctx);
      await handler(ctx);
      if (deps.config.logRequests) deps.log(`${method} ${t.rawPath} ${resolved.op} ${res.statusCode}`);
    } catch (e) {
      const err = toS3Error(e, deps.log);
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
