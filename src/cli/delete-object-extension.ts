/**
 * S3DeleteObject through @aws-sdk/client-s3-control. The operation is s3batch's extension, so the
 * SDK's model has no such JobOperation member: its serializer drops it from CreateJob (sending an
 * empty `<Operation/>`, which the server refuses) and its deserializer drops it from DescribeJob
 * (an empty Operation). This plugin writes the element into the CreateJob body the SDK built —
 * in the serialize step, right after the serializer, so the content length (build step), payload
 * hash and signature (finalizeRequest) are computed over the final body — and reads it back from
 * DescribeJob's raw XML into `Job.Operation.S3DeleteObject`.
 *
 *   const control = new S3ControlClient({ … });
 *   control.middlewareStack.use(s3DeleteObjectPlugin);
 *   await control.send(new CreateJobCommand({ …, Operation: { S3DeleteObject: { BypassGovernanceRetention: true } } as JobOperation }));
 */
import type { S3ControlClient, ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-s3-control';
// Types only (erased): the SDK's own type package, which every @aws-sdk client depends on.
import type { DeserializeMiddleware, InitializeMiddleware, SerializeMiddleware } from '@smithy/types';

/** What CreateJob's `Operation` takes for S3DeleteObject (the server's parse-operation.ts). */
export interface S3DeleteObjectOperation {
  readonly BypassGovernanceRetention?: boolean;
}

type Stack = S3ControlClient['middlewareStack'];

const FIELDS: readonly string[] = ['BypassGovernanceRetention'];

/** `{ BypassGovernanceRetention? }` → `<S3DeleteObject>…</S3DeleteObject>`; anything else throws, as the SDK would otherwise drop it unseen. */
export function renderS3DeleteObject(value: unknown): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`S3DeleteObject must be an object such as {"BypassGovernanceRetention":true}, got ${JSON.stringify(value)}`);
  const unknown = Object.keys(value).filter((k) => !FIELDS.includes(k));
  if (unknown.length > 0) throw new TypeError(`S3DeleteObject has one field, BypassGovernanceRetention; got ${unknown.join(', ')}`);
  const bypass = (value as S3DeleteObjectOperation).BypassGovernanceRetention;
  if (bypass === undefined) return '<S3DeleteObject/>';
  if (typeof bypass !== 'boolean') throw new TypeError(`S3DeleteObject.BypassGovernanceRetention must be true or false, got ${JSON.stringify(bypass)}`);
  return `<S3DeleteObject><BypassGovernanceRetention>${bypass}</BypassGovernanceRetention></S3DeleteObject>`;
}

/** The body with `element` inside its `<Operation>` (the only element of that name: text is escaped, so a Description cannot hold one). */
function withOperation(body: string, element: string): string {
  if (body.includes('<Operation/>')) return body.replace('<Operation/>', `<Operation>${element}</Operation>`);
  if (body.includes('<Operation>')) return body.replace('<Operation>', `<Operation>${element}`);
  throw new Error('CreateJob: the serialized request has no <Operation> element to put S3DeleteObject into');
}

/** DescribeJob's raw XML → its S3DeleteObject operation, if that is the job's (Operation appears once in a JobDescriptor). */
function parseS3DeleteObject(xml: string): S3DeleteObjectOperation | undefined {
  const m = /<Operation>\s*<S3DeleteObject(?:\s*\/>|>([\s\S]*?)<\/S3DeleteObject>)/.exec(xml);
  if (!m) return undefined;
  const bypass = /<BypassGovernanceRetention>\s*(true|false)\s*<\/BypassGovernanceRetention>/.exec(m[1] ?? '');
  return bypass ? { BypassGovernanceRetention: bypass[1] === 'true' } : {};
}

/** Pass to `client.middlewareStack.use(…)` of an S3ControlClient. */
export const s3DeleteObjectPlugin = {
  applyToStack(stack: Stack): void {
    const createJob: SerializeMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next, context) => async (args) => {
      const op = (args.input as { Operation?: Record<string, unknown> }).Operation;
      const request = args.request as { body?: unknown } | undefined;
      if (context.commandName === 'CreateJobCommand' && op !== undefined && Object.hasOwn(op, 'S3DeleteObject') && request !== undefined) {
        if (typeof request.body !== 'string') throw new Error('CreateJob: the SDK built a body that is not text; cannot add S3DeleteObject');
        request.body = withOperation(request.body, renderS3DeleteObject(op.S3DeleteObject));
      }
      return next(args);
    };
    // The deserializer consumes the body, so the raw XML is read underneath it (and handed on as
    // bytes, which it accepts) and the operation set on its output above it.
    const found = new WeakMap<object, S3DeleteObjectOperation>();
    const describeJobBody: DeserializeMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next, context) => async (args) => {
      const result = await next(args);
      const response = result.response as { body?: unknown };
      if (context.commandName !== 'DescribeJobCommand' || response.body === undefined || response.body === null) return result;
      const chunks: Buffer[] = [];
      if (response.body instanceof Uint8Array) chunks.push(Buffer.from(response.body));
      else for await (const c of response.body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(c));
      const bytes = Buffer.concat(chunks);
      response.body = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const op = parseS3DeleteObject(bytes.toString('utf8'));
      if (op !== undefined) found.set(context, op);
      return result;
    };
    const describeJob: InitializeMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next, context) => async (args) => {
      const result = await next(args);
      const op = found.get(context);
      const job = (result.output as { Job?: { Operation?: object } }).Job;
      if (op !== undefined && job !== undefined) job.Operation = { S3DeleteObject: op };
      return result;
    };
    stack.addRelativeTo(createJob, { name: 's3batchS3DeleteObjectCreateJob', relation: 'after', toMiddleware: 'serializerMiddleware', override: true });
    stack.addRelativeTo(describeJobBody, { name: 's3batchS3DeleteObjectDescribeJobBody', relation: 'after', toMiddleware: 'deserializerMiddleware', override: true });
    stack.add(describeJob, { step: 'initialize', name: 's3batchS3DeleteObjectDescribeJob', override: true });
  },
};
