/**
 * The per-request context handed to API handlers, and the body readers that undo aws-chunked
 * framing and verify x-amz-content-sha256 as the bytes stream by.
 */
import * as nodeCrypto from 'node:crypto';
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { S3Error } from '../errors.js';
import type { Principal } from '../auth/credentials.js';
import { createChunkedDecoder } from './aws-chunked.js';
import type { SigV4Auth } from './sigv4.js';

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  readonly requestId: string;
  readonly rawPath: string;
  readonly query: URLSearchParams;
  /** The query holds only X-Amz-* (presigned authentication) parameters, or none: no sub-resource, no response-* override, no versionId. */
  readonly queryIsAuthOnly?: boolean;
  readonly headers: IncomingMessage['headers'];
  readonly auth: SigV4Auth | undefined;
  readonly principal: Principal | undefined;
  /** The bucket and key addressed (path-style or virtual-host), when any. */
  readonly bucket?: string;
  readonly key?: string;
  /** Trailing headers of an aws-chunked body, once it has been read. */
  trailers: Record<string, string>;
}

export function header(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * A client that disconnects mid-body ('aborted', ECONNRESET) sent fewer bytes than it declared:
 * S3's IncompleteBody, not an internal error.
 */
function clientAbort(e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNRESET' || code === 'ECONNABORTED' || (e as Error | undefined)?.message === 'aborted') return new S3Error('IncompleteBody');
  return e;
}

/** The request body as bytes: aws-chunked framing removed, signatures and declared SHA-256 verified. */
export async function* bodyOf(ctx: RequestContext): AsyncGenerator<Buffer> {
  try {
    yield* rawBodyOf(ctx);
  } catch (e) {
    throw clientAbort(e);
  }
}

async function* rawBodyOf(ctx: RequestContext): AsyncGenerator<Buffer> {
  const auth = ctx.auth;
  const payload = auth?.payload ?? 'UNSIGNED-PAYLOAD';
  const decodedLength = header(ctx, 'x-amz-decoded-content-length');
  if (payload.startsWith('STREAMING-')) {
    const decoder = createChunkedDecoder({
      signing: payload.startsWith('STREAMING-AWS4') ? { signingKey: auth!.signingKey, amzDate: auth!.amzDate, scope: auth!.scope, seedSignature: auth!.signature } : undefined,
      trailer: payload.endsWith('TRAILER'),
      decodedLength: decodedLength !== undefined ? Number(decodedLength) : undefined,
    });
    ctx.req.on('error', (e) => decoder.destroy(e));
    ctx.req.pipe(decoder);
    for await (const c of decoder) yield c as Buffer;
    ctx.trailers = decoder.trailers;
    return;
  }
  if (payload === 'SHA256') {
    const h = createHash('sha256');
    for await (const c of ctx.req) {
      h.update(c as Buffer);
      yield c as Buffer;
    }
    if (h.digest('hex') !== auth!.payloadSha256) throw new S3Error('XAmzContentSHA256Mismatch');
    return;
  }
  for await (const c of ctx.req) yield c as Buffer;
}

/**
 * The whole body of a request that is neither aws-chunked nor larger than `limit` bytes (by its
 * Content-Length), its declared SHA-256 verified; undefined when the request does not qualify
 * (read it with bodyOf). Collects 'data' events into one Buffer instead of going through the async
 * iterators of bodyOf and the blob ingest; with objects.ts storeSmallBody this took a 1 KiB PUT
 * from ~123 to ~99 µs of server CPU (8.4k → 10.3k PUT/s).
 */
export function readPlainBody(ctx: RequestContext, limit: number): Promise<Buffer> | undefined {
  const auth = ctx.auth;
  const payload = auth?.payload ?? 'UNSIGNED-PAYLOAD';
  if (payload !== 'UNSIGNED-PAYLOAD' && payload !== 'SHA256') return undefined;
  const headers = ctx.headers;
  const declared = headers['content-length'];
  if (declared === undefined || headers['transfer-encoding'] !== undefined || !(Number(declared) <= limit)) return undefined;
  const req = ctx.req;
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    // The listeners stay until the request is gone: once settled, later events change nothing
    // (removing four listeners per request cost more than leaving them). Errors are built only
    // when they are the outcome: 'close' follows every 'end', and an Error's stack trace cost
    // ~5 µs.
    req.on('data', (c: Buffer) => {
      chunks.push(c);
      size += c.length;
    });
    req.on('end', () => {
      if (settled) return;
      settled = true;
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      if (payload === 'SHA256' && sha256HexOf(body) !== auth!.payloadSha256) reject(new S3Error('XAmzContentSHA256Mismatch'));
      else resolve(body);
    });
    req.on('error', (e: unknown) => {
      if (settled) return;
      settled = true;
      reject(clientAbort(e));
    });
    // Closed before its end without an error: the client went away mid-body.
    req.on('close', () => {
      if (settled) return;
      settled = true;
      reject(new S3Error('IncompleteBody'));
    });
  });
}

const oneShotHash: typeof nodeCrypto.hash | undefined = (nodeCrypto as { hash?: typeof nodeCrypto.hash }).hash;

function sha256HexOf(data: Buffer): string {
  return oneShotHash !== undefined ? oneShotHash('sha256', data, 'hex') : createHash('sha256').update(data).digest('hex');
}

/** Reads a small body (XML or JSON document) whole, refusing more than `limit` bytes. */
export async function readSmallBody(ctx: RequestContext, limit = 1024 * 1024): Promise<Buffer> {
  const declared = Number(header(ctx, 'content-length') ?? '0');
  if (declared > limit) throw new S3Error('MaxMessageLengthExceeded', `Your request was too big (limit ${limit} bytes).`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of bodyOf(ctx)) {
    size += c.length;
    if (size > limit) throw new S3Error('MaxMessageLengthExceeded', `Your request was too big (limit ${limit} bytes).`);
    chunks.push(c);
  }
  return Buffer.concat(chunks, size);
}

export async function readTextBody(ctx: RequestContext, limit?: number): Promise<string> {
  return (await readSmallBody(ctx, limit)).toString('utf8');
}

/**
 * The response head of an S3 response, written at once: x-amz-request-id, x-amz-id-2 and server
 * first, then `headers` (name, value, name, value…). One writeHead with a flat array instead of a
 * setHeader per header: Node validates and stores each setHeader in a map, then renders the map
 * (the lead's instrumentation put the setHeaders of a GET at ~5.7 µs; part of server.ts's gain).
 */
export function writeS3Head(ctx: RequestContext, status: number, headers: (string | number)[]): void {
  ctx.res.writeHead(status, headers);
}

/**
 * Ends `res` with `body` at the end of this turn of the event loop, together with every other
 * response finished in it, instead of at once. Each response write wakes the client if it sleeps;
 * on loopback a client that answers faster than the server (wrk) sleeps between any two
 * responses, and waking it was a sixth of a 1 KiB GET's CPU (the kernel's wake-up path under
 * writev). Written back to back, one wake-up serves the whole turn's responses: 1 KiB GETs went
 * from 16.1k to 24.9k/s (event-loop CPU per GET 60 → 39 µs), and p50 latency from 3.6 to 2.3 ms.
 * For responses finished synchronously in the I/O phase (GET, HEAD); group-committed writes
 * already finish together (context.ts flushBatch), and deferring PUTs measured slower.
 */
export function endSoon(res: ServerResponse, body?: Buffer): void {
  pendingEnds.push(res, body);
  if (!immediateScheduled) {
    immediateScheduled = true;
    setImmediate(flushEnds);
  }
}

const pendingEnds: (ServerResponse | Buffer | undefined)[] = [];
let immediateScheduled = false;

function flushEnds(): void {
  immediateScheduled = false;
  const n = pendingEnds.length;
  for (let i = 0; i < n; i += 2) {
    const res = pendingEnds[i] as ServerResponse;
    const body = pendingEnds[i + 1] as Buffer | undefined;
    pendingEnds[i] = pendingEnds[i + 1] = undefined;
    if (!res.destroyed) res.end(body);
  }
  pendingEnds.length = 0;
}

/** The first six entries of every S3 response head (see writeS3Head). */
export function s3HeadOf(ctx: RequestContext): (string | number)[] {
  return ['x-amz-request-id', ctx.requestId, 'x-amz-id-2', ctx.requestId, 'server', 's3batch'];
}

/** Sends a response with a complete body. */
export function send(ctx: RequestContext, status: number, body: string | Buffer | null, headers: Record<string, string | number> = {}): void {
  const res = ctx.res;
  const head = s3HeadOf(ctx);
  const withBody = body !== null && ctx.method !== 'HEAD';
  // With a body sent, its length wins over any content-length in `headers`.
  for (const k in headers) if (!withBody || k !== 'content-length') head.push(k, headers[k]!);
  if (body === null || !withBody) {
    if (body !== null && !('content-length' in headers)) head.push('content-length', Buffer.byteLength(body));
    writeS3Head(ctx, status, head);
    res.end();
    return;
  }
  head.push('content-length', Buffer.byteLength(body));
  writeS3Head(ctx, status, head);
  res.end(body);
}

export function sendXml(ctx: RequestContext, xml: string, status = 200, headers: Record<string, string | number> = {}): void {
  send(ctx, status, xml, { 'content-type': 'application/xml', ...headers });
}

/**
 * The x-amz-* request headers a presigned URL carries in its query string. A presigner hoists
 * signed headers into the query (the AWS SDK's moves every x-amz-* header there by default:
 * x-amz-meta-*, x-amz-acl, x-amz-tagging, x-amz-storage-class …), and S3 honours them as the
 * headers they stand for; the signature covered them as query parameters. A header actually sent
 * wins. The authentication parameters (X-Amz-Algorithm, X-Amz-Signature …) are capitalised, so
 * only lower-case names are taken.
 */
export function addHoistedAmzHeaders(headers: IncomingHttpHeaders, rawQuery: string): void {
  for (const part of rawQuery.split('&')) {
    if (!part.startsWith('x-amz-')) continue;
    const eq = part.indexOf('=');
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(eq === -1 ? part : part.slice(0, eq)).toLowerCase();
      // '+' stays a literal '+', as SigV4 signed it (sigv4.ts parseQuery), not a space.
      value = eq === -1 ? '' : decodeURIComponent(part.slice(eq + 1));
    } catch {
      continue; // malformed escapes: not a header anyone signed for us to honour
    }
    if (headers[name] === undefined) headers[name] = value;
  }
}
