/**
 * LambdaInvoke: one synchronous invocation per task with the Batch Operations event (schema 1.0:
 * s3BucketArn; 2.0: s3Bucket and job.userArguments — spec §7), and the function's response
 * document read back (spec §7.3): Succeeded → the resultString is the report's message;
 * PermanentFailure → failed,200,PermanentFailure; TemporaryFailure → re-driven later by the engine
 * (with backoff, up to its redrive limit), then failed,200,TemporaryFailure with the last
 * resultString. A task missing from `results` takes `treatMissingKeysAs` (PermanentFailure when
 * absent or invalid). A function error fails the task: `Lambda returned function error: <payload>`;
 * a payload that is not such a document: `Invalid JSON returned in Lambda payload`. The job's
 * role must be allowed lambda:InvokeFunction on the function.
 */
import { newInvocationId, type LambdaInvoker, type LambdaRegistry } from '../lambda.js';
import type { LambdaInvokeOperation } from '../model.js';
import { failed, RetryableTaskError, succeeded, type Operation, type TaskOutcome } from './types.js';

const RESULT_CODES = new Set(['Succeeded', 'TemporaryFailure', 'PermanentFailure']);
const MAX_RESULT_STRING = 1024;

interface ResponseDocument {
  readonly treatMissingKeysAs?: unknown;
  readonly results?: unknown;
}

function outcomeOf(code: string, resultString: string): TaskOutcome {
  const msg = resultString.length > MAX_RESULT_STRING ? resultString.slice(0, MAX_RESULT_STRING) : resultString;
  if (code === 'Succeeded') return succeeded(msg);
  if (code === 'TemporaryFailure') return { redrive: true, final: failed(200, 'TemporaryFailure', msg) };
  return failed(200, 'PermanentFailure', msg);
}

/** The task's outcome in a response document, or undefined when the payload is not one. */
export function readResponse(payload: string, taskId: string): TaskOutcome | undefined {
  let doc: ResponseDocument;
  try {
    doc = JSON.parse(payload) as ResponseDocument;
  } catch {
    return undefined;
  }
  if (doc === null || typeof doc !== 'object' || !Array.isArray(doc.results)) return undefined;
  const entry = (doc.results as unknown[]).find((r) => r !== null && typeof r === 'object' && (r as { taskId?: unknown }).taskId === taskId) as
    | { resultCode?: unknown; resultString?: unknown }
    | undefined;
  if (!entry) {
    const missing = typeof doc.treatMissingKeysAs === 'string' && RESULT_CODES.has(doc.treatMissingKeysAs) ? doc.treatMissingKeysAs : 'PermanentFailure';
    return outcomeOf(missing, '');
  }
  if (typeof entry.resultCode !== 'string' || !RESULT_CODES.has(entry.resultCode)) return undefined;
  const rs = entry.resultString === undefined || entry.resultString === null ? '' : typeof entry.resultString === 'string' ? entry.resultString : JSON.stringify(entry.resultString);
  return outcomeOf(entry.resultCode, rs);
}

export function lambdaInvoke(op: LambdaInvokeOperation, registry: LambdaRegistry, invoke: LambdaInvoker): Operation {
  const fn = registry.resolve(op.functionArn);
  const v2 = op.invocationSchemaVersion === '2.0';
  return {
    sameBucket: false,
    prepare: async () =>
      fn ? undefined : { code: 'LambdaFunctionNotFound', reason: `Lambda function ${op.functionArn} is not registered with s3batch (configuration: lambda.functions).` },
    run: async (task, ctx) => {
      const resource = op.functionArn.startsWith('arn:') ? op.functionArn : fn!.arn;
      const denied = ctx.authorizeAction('lambda:InvokeFunction', resource);
      if (denied) return failed(denied.status, denied.code, denied.message);
      const invocationId = newInvocationId();
      const taskId = newInvocationId();
      const event = v2
        ? {
            invocationSchemaVersion: '2.0',
            invocationId,
            job: { id: ctx.job.id, userArguments: op.userArguments ?? {} },
            tasks: [{ taskId, s3Key: task.rawKey, s3VersionId: task.versionId ?? null, s3Bucket: task.bucket }],
          }
        : {
            invocationSchemaVersion: '1.0',
            invocationId,
            job: { id: ctx.job.id },
            tasks: [{ taskId, s3Key: task.rawKey, s3VersionId: task.versionId ?? null, s3BucketArn: `arn:aws:s3:::${task.bucket}` }],
          };
      const r = await invoke(fn!, event, ctx.signal);
      switch (r.kind) {
        case 'ok':
          return readResponse(r.payload, taskId) ?? failed(200, 'PermanentFailure', 'Invalid JSON returned in Lambda payload');
        case 'function-error':
          return failed(200, 'PermanentFailure', `Lambda returned function error: ${r.payload.slice(0, MAX_RESULT_STRING)}`);
        case 'service-error': {
          const final = failed(r.status, r.code, r.message);
          if (r.retryable) throw new RetryableTaskError(final);
          return final;
        }
      }
    },
  };
}
