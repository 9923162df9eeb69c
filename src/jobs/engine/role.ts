/**
 * The job's role: a session of `roleArn` for batchoperations.s3.amazonaws.com (auth/sts.ts
 * `assumeRoleAsService`, which checks the trust policy), and what the engine derives from it —
 * the StorageClient acting as that session, and decisions on non-S3 actions (lambda:InvokeFunction)
 * from the role's identity policies.
 */
import { authorize } from '../../auth/authorize.js';
import type { Credentials, Principal } from '../../auth/credentials.js';
import type { IamContext } from '../../auth/iam-authorize.js';
import { assumeRoleAsService, AssumeRoleAsServiceError, ServicePrincipal } from '../../auth/sts.js';
import { S3Error } from '../../errors.js';
import { FailureCodes, type FailureReason, type Job } from '../model.js';
import type { ActionCheck } from '../operations/types.js';
import { truncateReason } from '../manifest/prepared.js';

export type RoleResult = { readonly principal: Principal; readonly failure?: never } | { readonly failure: FailureReason; readonly principal?: never };

export async function assumeJobRole(iam: IamContext, job: Job): Promise<RoleResult> {
  try {
    const principal = await assumeRoleAsService(iam, job.roleArn, ServicePrincipal.BatchOperations, `s3batch-job-${job.id}`.slice(0, 64));
    return { principal };
  } catch (e) {
    if (!(e instanceof AssumeRoleAsServiceError)) throw e;
    return { failure: { failureCode: e.reason === 'NoSuchRole' ? FailureCodes.NoSuchRole : FailureCodes.RoleNotTrusted, failureReason: truncateReason(e.message) } };
  }
}


/** Decisions on actions outside S3 (lambda:InvokeFunction) from the role's identity policies. */
export function actionCheckFor(credentials: Credentials, role: Principal, now: () => number): ActionCheck {
  return (action, resource) => {
    const t = now();
    const context = new Map<string, string>([
      ['aws:currenttime', new Date(t).toISOString()],
      ['aws:epochtime', String(Math.floor(t / 1000))],
    ]);
    const account = resource.split(':')[4] ?? role.accountId;
    const r = authorize({
      principal: role,
      isRootOfResourceAccount: false,
      identityPolicies: credentials.identityPoliciesOf(role),
      resourceAccountId: account,
      request: { action, resource, principal: role, context },
    });
    return r.decision === 'Allow' ? undefined : new S3Error('AccessDenied', r.message);
  };
}
