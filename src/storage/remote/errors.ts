/**
 * SDK failures → S3Error, so code above the port sees the same errors from a remote endpoint as
 * from the embedded store. The wire's own code and HTTP status are kept exactly (the completion
 * report records them): a code the catalog lacks keeps its name in `details.Code` (see
 * `errorCodeOf`), and `status`/`retryable` are set from the response rather than from the
 * catalog's entry. Network failures (no response) are 503s and retryable.
 */
import { ErrorCatalog, S3Error, type ErrorCode } from '../../errors.js';

interface SdkError {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: unknown;
}

/** The catalog code closest to an unknown wire code, by status. */
function standIn(status: number): ErrorCode {
  if (status === 403) return 'AccessDenied';
  if (status === 404) return 'NoSuchKey';
  if (status === 409) return 'InvalidBucketState';
  if (status === 412) return 'PreconditionFailed';
  if (status === 429 || status === 503) return 'SlowDown';
  if (status >= 500) return 'InternalError';
  return 'InvalidRequest';
}

function withWire(e: S3Error, status: number, wireCode: string | undefined): S3Error {
  const details = wireCode !== undefined ? { ...e.details, Code: wireCode } : e.details;
  const retryable = status >= 500 || status === 429 || wireCode === 'SlowDown' || wireCode === 'RequestTimeout' || wireCode === 'Throttling' || wireCode === 'ThrottlingException';
  Object.defineProperty(e, 'status', { value: status });
  Object.defineProperty(e, 'details', { value: details });
  Object.defineProperty(e, 'retryable', { value: retryable });
  return e;
}

/** HEAD answers carry no body: the SDK names them by status only ('NotFound', 'Forbidden' …). */
const HEAD_NAMES: Readonly<Record<string, ErrorCode>> = { NotFound: 'NoSuchKey', Forbidden: 'AccessDenied', BadRequest: 'InvalidRequest', MovedPermanently: 'InvalidRequest' };

export function toS3Error(err: unknown, ctx: { versionId?: string } = {}): S3Error {
  if (err instanceof S3Error) return err;
  const e = (err ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  if (status === undefined) {
    const net = new S3Error('ServiceUnavailable', `Could not reach the storage endpoint: ${e.message ?? String(err)}`);
    return withWire(net, 503, e.code ?? 'NetworkingError');
  }
  const name = e.name ?? 'UnknownError';
  let code: ErrorCode;
  let wire: string | undefined;
  if (HEAD_NAMES[name] !== undefined) {
    code = name === 'NotFound' && ctx.versionId !== undefined ? 'NoSuchVersion' : HEAD_NAMES[name]!;
  } else if (name in ErrorCatalog) {
    code = name as ErrorCode;
  } else {
    code = standIn(status);
    wire = name;
  }
  const msg = e.message && e.message !== 'UnknownError' && e.message !== name ? e.message : undefined;
  return withWire(new S3Error(code, msg), status, wire);
}
