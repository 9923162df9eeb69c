/** What S3 handlers receive: the request context plus the services they call. */
import type { Config } from '../../config.js';
import type { Credentials, Principal } from '../../auth/credentials.js';
import type { StoreContext } from '../../store/context.js';
import type { RequestContext } from '../request.js';
import type { S3Operation } from './operations.js';
import { S3Error } from '../../errors.js';
import type { RequestBodyFacts } from '../../auth/s3-catalog.js';

export interface S3Deps {
  readonly config: Config;
  readonly store: StoreContext;
  readonly credentials: Credentials;
  readonly log: (msg: string) => void;
}

export interface S3Ctx extends RequestContext {
  readonly deps: S3Deps;
  /** The caller; for an unsigned request, a stand-in owned by the bucket's account (see `anonymous`). */
  readonly principal: Principal;
  readonly anonymous: boolean;
  readonly op: S3Operation;
  /** Body-dependent operations (authorize-request.ts `bodyDependent`) call this once the body is parsed. */
  readonly authorize: (body?: RequestBodyFacts) => void;
  /** DeleteObjects: per-key decisions; the denied keys' indexes with their errors. */
  readonly authorizeDeleteObjects: (objects: readonly { key: string; versionId?: string }[]) => Map<number, S3Error>;
}

export type S3Handler = (c: S3Ctx) => void | Promise<void>;
export type S3Handlers = Partial<Record<S3Operation, S3Handler>>;

export function bucketOf(c: S3Ctx): string {
  if (c.bucket === undefined) throw new S3Error('InvalidRequest', 'A bucket name is required');
  return c.bucket;
}

export function keyOf(c: S3Ctx): string {
  if (c.key === undefined) throw new S3Error('InvalidRequest', 'An object key is required');
  return c.key;
}

/** The canonical user id of the caller's account (Owner/ID in XML). */
export function ownerIdOf(c: S3Ctx, accountId = c.principal.accountId): string {
  return c.deps.credentials.accounts.get(accountId)?.canonicalId ?? accountId;
}

export function ownerNameOf(c: S3Ctx, accountId = c.principal.accountId): string {
  return c.deps.credentials.accounts.get(accountId)?.name ?? accountId;
}
