/** The STS Query API (namespace https://sts.amazonaws.com/doc/2011-06-15/): AssumeRole, GetCallerIdentity. */
import { IamError } from '../../auth/iam-errors.js';
import { iamDate } from '../../auth/iam-types.js';
import { assumeRole, getCallerIdentity, MIN_SESSION_SECONDS } from '../../auth/sts.js';
import type { QueryHandler } from '../iam/context.js';
import { Rules } from '../iam/params.js';

export const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** AWS's ceiling for DurationSeconds (a role's MaxSessionDuration may lower it). */
export const MAX_SESSION_SECONDS = 43200;

export const StsHandlers: Readonly<Record<string, QueryHandler>> = {
  async AssumeRole(c, p) {
    const input = {
      roleArn: p.str('RoleArn', { ...Rules.roleArn, required: true }),
      roleSessionName: p.str('RoleSessionName', { ...Rules.roleSessionName, required: true }),
      durationSeconds: p.int('DurationSeconds', { min: MIN_SESSION_SECONDS, max: MAX_SESSION_SECONDS }),
      externalId: p.str('ExternalId', Rules.externalId),
      sourceIdentity: p.str('SourceIdentity', Rules.sourceIdentity),
      tags: p.tags(),
      transitiveTagKeys: p.list('TransitiveTagKeys'),
    };
    const policy = p.str('Policy', Rules.sessionPolicy);
    const policyArns = p.structs('PolicyArns', ['arn']);
    p.str('SerialNumber', { min: 9, max: 256 });
    p.str('TokenCode', { min: 6, max: 6 });
    p.done();
    // A session policy narrows the session to the intersection of the role's policies and it.
    // Accepting one without enforcing it would hand out more than was asked for: refuse instead.
    if (policy !== undefined || policyArns.length > 0) {
      throw new IamError('NotImplemented', 's3batch does not support session policies (Policy, PolicyArns) in AssumeRole yet.');
    }
    const r = await assumeRole(c.iam, c.caller, input);
    return {
      Credentials: {
        AccessKeyId: r.credentials.accessKeyId,
        SecretAccessKey: r.credentials.secretAccessKey,
        SessionToken: r.credentials.sessionToken,
        Expiration: iamDate(r.credentials.expiration),
      },
      AssumedRoleUser: { AssumedRoleId: r.assumedRoleId, Arn: r.arn },
      SourceIdentity: r.sourceIdentity,
    };
  },
  async GetCallerIdentity(c, p) {
    p.done();
    const id = getCallerIdentity(c.caller);
    return { UserId: id.userId, Account: id.account, Arn: id.arn };
  },
};
