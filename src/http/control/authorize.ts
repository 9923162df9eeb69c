/**
 * Authorizes S3 Control job requests: the catalog (auth/s3-catalog.ts) names the permissions
 * (s3:CreateJob with s3:RequestJobPriority / s3:RequestJobOperation / aws:RequestTag, iam:PassRole
 * on the RoleArn passed to batchoperations.s3.amazonaws.com, s3:DescribeJob with
 * aws:ResourceTag …); auth/authorize.ts decides each one from the caller's identity policies.
 * Jobs have no resource policy, so only the account's own principals can be allowed, and the
 * account's root user always is.
 */
import { authorize } from '../../auth/authorize.js';
import type { Credentials, Principal } from '../../auth/credentials.js';
import { requiredPermissions, withContext, type CatalogRequest, type ContextValue, type ExistingJobFacts, type RequestBodyFacts, type S3JobOperation } from '../../auth/s3-catalog.js';
import { S3Error } from '../../errors.js';
import type { Job } from '../../jobs/model.js';

export interface ControlAuthInput {
  readonly credentials: Credentials;
  readonly region: string;
  readonly principal: Principal;
  /** The account whose jobs the request addresses (x-amz-account-id). */
  readonly accountId: string;
  readonly query: URLSearchParams;
  readonly headers: CatalogRequest['headers'];
  readonly sourceIp: string;
  readonly now: number;
}

export function jobFacts(j: Job): ExistingJobFacts {
  return { priority: j.priority, operation: j.operation.kind, ...(j.suspendedCause !== undefined ? { suspendedCause: j.suspendedCause } : {}), tags: j.tags };
}

/** Throws AccessDenied unless every permission `op` needs is allowed. */
export function authorizeControl(a: ControlAuthInput, op: S3JobOperation, extra: { jobId?: string; job?: ExistingJobFacts; body?: RequestBodyFacts } = {}): void {
  const p = a.principal;
  const perms = requiredPermissions(op, {
    query: a.query,
    headers: a.headers,
    region: a.region,
    accountId: a.accountId,
    ...(extra.jobId !== undefined ? { jobId: extra.jobId } : {}),
    ...(extra.job !== undefined ? { job: extra.job } : {}),
    ...(extra.body !== undefined ? { body: extra.body } : {}),
    now: a.now,
  });
  for (const perm of perms) {
    // iam:PassRole is decided in the role's account; everything else in the jobs' account.
    const resourceAccount = perm.action === 'iam:PassRole' ? (perm.resource.split(':')[4] ?? '') : a.accountId;
    const isRoot = p.kind === 'root' && p.accountId === resourceAccount;
    if (isRoot) continue;
    const global: [string, ContextValue][] = [
      ['aws:currenttime', new Date(a.now).toISOString()],
      ['aws:epochtime', String(Math.floor(a.now / 1000))],
      ['aws:securetransport', 'false'],
      ['aws:sourceip', a.sourceIp],
      ['s3:resourceaccount', resourceAccount],
    ];
    const ctx = withContext(perm, global);
    const r = authorize({
      principal: p,
      isRootOfResourceAccount: false,
      identityPolicies: a.credentials.identityPoliciesOf(p),
      resourceAccountId: resourceAccount,
      request: { action: ctx.action, resource: ctx.resource, principal: p, context: ctx.context },
    });
    if (r.decision !== 'Allow') throw new S3Error('AccessDenied', r.message);
  }
}
