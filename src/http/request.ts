/**
 * The per-request context handed to API handlers, and the body readers that undo aws-chunked
 * framing and verify x-amz-content-sha256 as the bytes stream by.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
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

/** Sends a response with a complete body. */
export function send(ctx: RequestContext, status: number, body: string | Buffer | null, headers: Record<string, string | number> = {}): void {
  const res = ctx.res;
  res.statusCode = status;
  for (const k in headers) res.setHeader(k, headers[k]!);
  if (body === null || ctx.method === 'HEAD') {
    if (body !== null && !('content-length' in headers)) res.setHeader('content-length', Buffer.byteLength(body));
    res.end();
    return;
  }
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

export function sendXml(ctx: RequestContext, xml: string, status = 200, headers: Record<string, string | number> = {}): void {
  send(ctx, status, xml, { 'content-type': 'application/xml', ...headers });
}
