/**
 * Renders errors at the edge: S3's `<Error>` XML with RequestId and HostId. Unknown exceptions
 * become InternalError; their message is logged, never sent.
 */
import { S3Error } from '../errors.js';
import { escapeXml } from './xml.js';
import type { ServerResponse } from 'node:http';

export function toS3Error(e: unknown, log: (msg: string) => void): S3Error {
  if (e instanceof S3Error) return e;
  log(`internal error: ${(e as Error)?.stack ?? String(e)}`);
  return new S3Error('InternalError');
}

export function renderS3ErrorXml(err: S3Error, requestId: string, resource?: string): string {
  let details = '';
  for (const [k, v] of Object.entries(err.details)) if (v !== undefined) details += `<${k}>${escapeXml(String(v))}</${k}>`;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error>' +
    `<Code>${err.code}</Code><Message>${escapeXml(err.message)}</Message>${details}` +
    (resource !== undefined ? `<Resource>${escapeXml(resource)}</Resource>` : '') +
    `<RequestId>${requestId}</RequestId><HostId>${requestId}</HostId></Error>`
  );
}

const keptOnError = new Set(['x-amz-request-id', 'x-amz-id-2', 'server', 'connection']);

/** The headers every response carries first (S3 handlers write them with the rest, see request.ts `send`). */
export function writeRequestIdHeaders(res: ServerResponse, requestId: string): void {
  res.setHeader('x-amz-request-id', requestId);
  res.setHeader('x-amz-id-2', requestId);
  res.setHeader('server', 's3batch');
}

/** Writes an S3 error response; HEAD and 304 responses carry no body, as with S3. */
export function sendS3Error(res: ServerResponse, method: string, err: S3Error, requestId: string, resource?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // Headers a handler set before it failed (an object's ETag, checksum, Content-Length…) describe
  // a response that is not being sent; clients would validate the error body against them.
  for (const name of res.getHeaderNames()) if (!keptOnError.has(name)) res.removeHeader(name);
  if (!res.hasHeader('x-amz-request-id')) {
    // S3 handlers write these with their response (request.ts `send`); keep them first.
    const connection = res.getHeader('connection');
    if (connection !== undefined) res.removeHeader('connection');
    writeRequestIdHeaders(res, requestId);
    if (connection !== undefined) res.setHeader('connection', connection);
  }
  res.statusCode = err.status;
  for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
  if (method === 'HEAD' || err.status === 304) {
    res.end();
    return;
  }
  const body = renderS3ErrorXml(err, requestId, resource);
  res.setHeader('content-type', 'application/xml');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}
