/**
 * Lambda functions for LambdaInvoke jobs: s3batch has no Lambda service, so functions are
 * registered with the server as HTTP endpoints under a function ARN (configuration:
 * `lambda: { functions: [{ arn, url }] }`). An invocation is a POST of the event JSON to the URL,
 * synchronous (RequestResponse), one task per invocation, as AWS Batch Operations does.
 *
 * The endpoint's answer maps onto Lambda's Invoke API:
 * - 200 with a JSON body: the function's response document;
 * - 200 with `X-Amz-Function-Error` set, or 500: a function error (the body is the error payload);
 * - 429, 502, 503, 504, a network error or a timeout: the Lambda service failed — retried;
 * - any other status: an Invoke error (404 ResourceNotFoundException, 403 AccessDeniedException…).
 */
import { randomBytes } from 'node:crypto';

export interface LambdaFunction {
  /** arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>] */
  readonly arn: string;
  readonly url: string;
}

export interface LambdaRegistry {
  /** The registered function a job's FunctionArn names (full, partial or bare name; any qualifier), or undefined. */
  resolve(functionArn: string): LambdaFunction | undefined;
}

export type InvokeResponse =
  | { readonly kind: 'ok'; readonly payload: string }
  | { readonly kind: 'function-error'; readonly payload: string }
  /** The service failed or is throttling: retry. */
  | { readonly kind: 'service-error'; readonly status: number; readonly code: string; readonly message: string; readonly retryable: boolean };

export type LambdaInvoker = (fn: LambdaFunction, event: unknown, signal: AbortSignal) => Promise<InvokeResponse>;

interface ParsedFunctionRef {
  readonly account?: string;
  readonly name: string;
}

/** name, account:function:name, arn:aws:lambda:region:account:function:name — each with an optional :qualifier. */
function parseFunctionRef(ref: string): ParsedFunctionRef {
  const parts = ref.split(':');
  if (parts[0] === 'arn') return { account: parts[4], name: parts[6] ?? '' };
  if (parts.length >= 3 && parts[1] === 'function') return { account: parts[0], name: parts[2]! };
  return { name: parts[0]! };
}

export function createLambdaRegistry(functions: readonly LambdaFunction[]): LambdaRegistry {
  return {
    resolve(functionArn) {
      const exact = functions.find((f) => f.arn === functionArn);
      if (exact) return exact;
      const want = parseFunctionRef(functionArn);
      return functions.find((f) => {
        const have = parseFunctionRef(f.arn);
        return have.name === want.name && (want.account === undefined || want.account === have.account);
      });
    },
  };
}

const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

const INVOKE_ERRORS: Readonly<Record<number, string>> = {
  400: 'InvalidRequestContentException',
  403: 'AccessDeniedException',
  404: 'ResourceNotFoundException',
  413: 'RequestTooLargeException',
  415: 'UnsupportedMediaTypeException',
  429: 'TooManyRequestsException',
  502: 'ServiceException',
  503: 'ServiceException',
  504: 'ServiceException',
};

/** Invocations over HTTP (fetch), each bounded by `timeoutMs`. */
export function createHttpInvoker(timeoutMs: number): LambdaInvoker {
  return async (fn, event, signal) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const both = AbortSignal.any([signal, timeout]);
    let res: Response;
    try {
      res = await fetch(fn.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event), signal: both });
    } catch (e) {
      signal.throwIfAborted();
      if (timeout.aborted) return { kind: 'function-error', payload: JSON.stringify({ errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds` }) };
      return { kind: 'service-error', status: 503, code: 'ServiceException', message: `The Lambda endpoint of ${fn.arn} could not be reached: ${(e as Error).message}`, retryable: true };
    }
    const payload = await res.text();
    if (res.status === 200 && !res.headers.has('x-amz-function-error')) return { kind: 'ok', payload };
    if (res.status === 200 || res.status === 500) return { kind: 'function-error', payload };
    const code = INVOKE_ERRORS[res.status] ?? 'ServiceException';
    return { kind: 'service-error', status: res.status, code, message: `Lambda ${code}: ${payload.slice(0, 200)}`, retryable: RETRY_STATUSES.has(res.status) };
  };
}

/** Opaque ids like AWS's (base64 tokens). */
export function newInvocationId(): string {
  return randomBytes(18).toString('base64');
}
