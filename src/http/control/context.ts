/** What S3 Control handlers receive: the request context, the addressed account and job, and the services they call. */
import type { Config } from '../../config.js';
import type { Credentials, Principal } from '../../auth/credentials.js';
import type { JobStore } from '../../jobs/store.js';
import type { RequestContext } from '../request.js';
import type { ControlAuthInput } from './authorize.js';

export interface ControlDeps {
  readonly config: Config;
  readonly credentials: Credentials;
  /** The job store (src/jobs/store.ts), built in app.ts. */
  readonly jobs: JobStore;
  readonly log: (msg: string) => void;
  /** Tells the job engine a job changed, so it picks it up now rather than at its next poll. */
  readonly jobEngine?: { wake(): void };
  /** The clock (epoch ms); Date.now unless a test injects one. */
  readonly now?: () => number;
}

export interface ControlCtx extends RequestContext {
  readonly deps: ControlDeps;
  readonly principal: Principal;
  /** x-amz-account-id: the account whose jobs the request addresses (the caller's own). */
  readonly accountId: string;
  /** The job id in the path, for the operations on one job (not yet validated). */
  readonly jobId?: string;
  readonly now: number;
  readonly authInput: ControlAuthInput;
}
