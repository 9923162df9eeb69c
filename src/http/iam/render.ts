/**
 * IAM's wire shapes, member order as in the service model (the XML object's key order is the
 * element order). Policy documents go out URL-encoded, as IAM returns them; the CLI decodes them,
 * SDK users call decodeURIComponent.
 */
import type { AccessKeyMeta, AttachedPolicy, IamRole, IamUser, ManagedPolicy, Page, PolicyVersion, Tag } from '../../auth/iam-types.js';
import { iamDate } from '../../auth/iam-types.js';
import type { NewAccessKey, RootUser } from '../../auth/iam-users.js';
import type { EvaluationResult } from '../../auth/iam-simulate.js';
import type { XmlObject, XmlValue } from '../xml.js';

export const IAM_XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';

export const encodeDocument = (doc: string): string => encodeURIComponent(doc);

/** A list member: `<Name><member>…</member>…</Name>` (present and empty when the list is). */
export function members<T>(items: readonly T[], render: (t: T) => XmlValue): XmlObject {
  return { member: items.map(render) };
}

export function renderTags(tags: readonly Tag[]): XmlObject | undefined {
  return tags.length === 0 ? undefined : members(tags, (t) => ({ Key: t.Key, Value: t.Value }));
}

/** A listing's result members: the list, IsTruncated, and Marker when truncated. */
export function renderPage<T>(listName: string, page: Page<T>, render: (t: T) => XmlValue): XmlObject {
  return { [listName]: members(page.items, render), IsTruncated: page.marker !== undefined, Marker: page.marker };
}

export function renderUser(u: IamUser | RootUser, opts: { tags: boolean }): XmlObject {
  if ('root' in u) return { UserId: u.accountId, Arn: u.arn, CreateDate: iamDate(u.createdAt) };
  return {
    Path: u.path,
    UserName: u.name,
    UserId: u.userId,
    Arn: u.arn,
    CreateDate: iamDate(u.createdAt),
    Tags: opts.tags ? renderTags(u.tags) : undefined,
  };
}

export function renderAccessKeyMeta(k: AccessKeyMeta): XmlObject {
  return { UserName: k.userName, AccessKeyId: k.accessKeyId, Status: k.status, CreateDate: iamDate(k.createdAt) };
}

export function renderNewAccessKey(k: NewAccessKey): XmlObject {
  return { UserName: k.userName, AccessKeyId: k.accessKeyId, Status: k.status, SecretAccessKey: k.secretAccessKey, CreateDate: iamDate(k.createdAt) };
}

export function renderRole(r: IamRole, opts: { tags: boolean; lastUsed: boolean }): XmlObject {
  return {
    Path: r.path,
    RoleName: r.name,
    RoleId: r.roleId,
    Arn: r.arn,
    CreateDate: iamDate(r.createdAt),
    AssumeRolePolicyDocument: encodeDocument(r.trustPolicy),
    Description: r.description,
    MaxSessionDuration: r.maxSessionDuration,
    Tags: opts.tags ? renderTags(r.tags) : undefined,
    RoleLastUsed: opts.lastUsed ? {} : undefined,
  };
}

export function renderPolicy(p: ManagedPolicy, opts: { description: boolean }): XmlObject {
  return {
    PolicyName: p.name,
    PolicyId: p.policyId,
    Arn: p.arn,
    Path: p.path,
    DefaultVersionId: p.defaultVersionId,
    AttachmentCount: p.attachmentCount,
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    Description: opts.description ? p.description : undefined,
    CreateDate: iamDate(p.createdAt),
    UpdateDate: iamDate(p.updatedAt),
    Tags: renderTags(p.tags),
  };
}

export function renderPolicyVersion(v: PolicyVersion, opts: { document: boolean }): XmlObject {
  return {
    Document: opts.document ? encodeDocument(v.document) : undefined,
    VersionId: v.versionId,
    IsDefaultVersion: v.isDefault,
    CreateDate: iamDate(v.createdAt),
  };
}

export function renderAttachedPolicy(a: AttachedPolicy): XmlObject {
  return { PolicyName: a.policyName, PolicyArn: a.policyArn };
}

export function renderEvaluationResult(r: EvaluationResult): XmlObject {
  return {
    EvalActionName: r.action,
    EvalResourceName: r.resource,
    EvalDecision: r.decision,
    MatchedStatements: members(r.matched, (m) => ({ SourcePolicyId: m.sourcePolicyId, SourcePolicyType: m.sourcePolicyType })),
    MissingContextValues: members([], (x: string) => x),
  };
}
