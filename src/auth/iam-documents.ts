/**
 * Policy documents as IAM accepts them on write: AWS's size quotas (counted without white space,
 * as IAM does), the policy engine's parser for the grammar, and — for trust policies — the check
 * that every IAM user or role named as an AWS principal in an account of this server exists.
 * Nothing is stored unless the whole document passes.
 */
import type { ControlQuery } from '../db/control-db.js';
import { findRoleByName, findUserByName } from '../db/iam-principals.js';
import { IamError } from './iam-errors.js';
import { parseIamArn } from './iam-types.js';
import { parsePolicyDocument, principalArns, type ParseOptions, policySize } from './policy/parse.js';
import { PolicyDocumentError, type PolicyDocument, type PolicyKind } from './policy/types.js';

/** IAM's default quotas, in characters without white space. */
export const PolicyQuota = {
  /** A customer-managed policy version. */
  ManagedPolicy: 6144,
  /** All inline policies of one user together. */
  UserInline: 2048,
  /** All inline policies of one role together. */
  RoleInline: 10240,
  /** A role's trust policy ("ACLSizePerRole"). */
  TrustPolicy: 2048,
} as const;

/** The size IAM counts against its quotas (the policy engine's count: characters other than white space). */
export { policySize };

export function parseDocument(text: string, kind: PolicyKind, opts: ParseOptions = {}): PolicyDocument {
  try {
    return parsePolicyDocument(text, kind, opts);
  } catch (e) {
    if (e instanceof PolicyDocumentError) throw new IamError(e.code, e.message);
    throw e;
  }
}

/** A managed policy version: quota, then grammar. */
export function parseManagedDocument(text: string): PolicyDocument {
  if (policySize(text) > PolicyQuota.ManagedPolicy) throw new IamError('LimitExceeded', `Cannot exceed quota for PolicySize: ${PolicyQuota.ManagedPolicy}`);
  return parseDocument(text, 'identity', { requireCurrentVersion: true });
}

/**
 * A trust policy: quota, grammar, then principals. AWS refuses a trust policy that names an IAM
 * user or role that does not exist (it stores principals by their unique ids); this server can
 * only know that for its own accounts, and checks those.
 */
export async function parseTrustDocument(q: ControlQuery, text: string, accounts: ReadonlyMap<string, unknown>): Promise<PolicyDocument> {
  if (policySize(text) > PolicyQuota.TrustPolicy) throw new IamError('LimitExceeded', `Cannot exceed quota for ACLSizePerRole: ${PolicyQuota.TrustPolicy}`);
  const doc = parseDocument(text, 'trust');
  for (const arn of principalArns(doc)) {
    const p = parseIamArn(arn);
    if (p === undefined || !accounts.has(p.accountId) || (p.type !== 'user' && p.type !== 'role')) continue;
    const row = p.type === 'user' ? await findUserByName(q, p.accountId, p.name) : await findRoleByName(q, p.accountId, p.name);
    // Names match whatever their case, but a principal ARN names one exact path and name.
    if (row === undefined || row.path !== p.path || row.name !== p.name) {
      throw new IamError('MalformedPolicyDocument', `Invalid principal in policy: "AWS":"${arn}"`);
    }
  }
  return doc;
}
