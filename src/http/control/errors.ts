/**
 * S3 Control's errors: the modeled job-API codes (spec §1.4) with the HTTP status s3batch sends
 * (the model encodes none; clients classify by Code), and the `<ErrorResponse>` rendering both
 * the AWS CLI and SDK v3 map to their typed exceptions. S3 errors raised on the way (signature,
 * body reading, AccessDenied) keep their S3 code and status in the same envelope.
 */
import type { ServerResponse } from 'node:http';
import { S3Error } from '../../errors.js';
import { escapeXml } from '../xml.js';

export const ControlErrorCatalog = {
  BadRequestException: 400,
  IdempotencyException: 400,
  NotFoundException: 404,
  JobStatusException: 400,
  TooManyRequestsException: 429,
  TooManyTagsException: 400,
  InvalidRequestException: 400,
  InvalidNextTokenException: 400,
  InternalServiceException: 500,
} as const satisfies Record<string, number>;

export type ControlErrorCode = keyof typeof ControlErrorCatalog;

export class ControlError extends Error {
  readonly code: ControlErrorCode;
  readonly status: number;
  constructor(code: ControlErrorCode, message: string) {
    super(message);
    this.name = 'ControlError';
    this.code = code;
    this.status = ControlErrorCatalog[code];
  }
}

export const badRequest = (message: string): ControlError => new ControlError('BadRequestException', message);

export function noSuchJob(id: string): ControlError {
  return new ControlError('NotFoundException', `The specified job does not exist: ${id}`);
}

/** What goes on the wire for any error: code, status, message. Internal errors are logged, never described. */
export function toWireError(e: unknown, log: (msg: string) => void): { code: string; status: number; message: string } {
  if (e instanceof ControlError) return { code: e.code, status: e.status, message: e.message };
  if (e instanceof S3Error) {
    if (e.status >= 500 && e.code === 'InternalError') return { code: 'InternalServiceException', status: 500, message: 'We encountered an internal error. Please try again.' };
    return { code: e.code, status: e.status, message: e.message };
  }
  log(`internal error: ${(e as Error)?.stack ?? String(e)}`);
  return { code: 'InternalServiceException', status: 500, message: 'We encountered an internal error. Please try again.' };
}

const keptOnError = new Set(['x-amz-request-id', 'x-amz-id-2', 'server', 'connection']);

export function sendControlError(res: ServerResponse, method: string, err: { code: string; status: number; message: string }, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const name of res.getHeaderNames()) if (!keptOnError.has(name)) res.removeHeader(name);
  if (!res.hasHeader('x-amz-request-id')) {
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('x-amz-id-2', requestId);
    res.setHeader('server', 's3batch');
  }
  res.statusCode = err.status;
  if (method === 'HEAD') {
    res.end();
    return;
  }
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error>' +
    `<Code>${escapeXml(err.code)}</Code><Message>${escapeXml(err.message)}</Message>` +
    `</Error><RequestId>${requestId}</RequestId><HostId>${requestId}</HostId></ErrorResponse>`;
  res.setHeader('content-type', 'application/xml');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}
