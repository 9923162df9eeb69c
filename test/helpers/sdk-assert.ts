/**
 * Assertions on AWS SDK v3 calls shared by the e2e tests: the error a call must fail with, and the
 * bytes of a GetObject body.
 */
import assert from 'node:assert/strict';

/** What the SDK's service exceptions carry (S3, S3 Control, IAM, STS alike), plus modelled fields. */
export type SdkError = Error & {
  readonly name: string;
  readonly Code?: string;
  readonly $metadata: { readonly httpStatusCode?: number };
  /** The raw HTTP response (headers of an error answer, e.g. x-amz-delete-marker). */
  readonly $response?: { readonly headers: Record<string, string> };
} & Record<string, unknown>;

/**
 * Awaits `p`, which must fail with error code `code` (the SDK's `Code`, else its `name`), HTTP
 * status `status` and, when given, exactly this message (or one matching the RegExp).
 */
export async function rejects(p: Promise<unknown>, code: string, status: number, message?: string | RegExp): Promise<SdkError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof Error, `expected ${code}, got ${caught === undefined ? 'success' : String(caught)}`);
  const err = caught as SdkError;
  assert.equal(err.Code ?? err.name, code, `code (message: ${err.message})`);
  assert.equal(err.$metadata?.httpStatusCode, status, `status of ${code}`);
  if (typeof message === 'string') assert.equal(err.message, message);
  else if (message) assert.match(err.message, message);
  return err;
}

/** The whole body of a GetObject answer. */
export async function bodyOf(r: { Body?: unknown }): Promise<Buffer> {
  return Buffer.from(await (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}
