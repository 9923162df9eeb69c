/**
 * The IAM Query API: one handler per action, keyed by the AWS action name. Handlers read their
 * members (params.ts), call the domain (src/auth/iam-*.ts) and return the members of the action's
 * `<…Result>` element (render.ts).
 */
import * as policies from '../../auth/iam-policies.js';
import * as roles from '../../auth/iam-roles.js';
import { simulatePrincipalPolicy } from '../../auth/iam-simulate.js';
import type { AccessKeyStatus } from '../../auth/iam-types.js';
import * as users from '../../auth/iam-users.js';
import { IamError } from '../../auth/iam-errors.js';
import type { QueryHandler } from './context.js';
import { Rules } from './params.js';
import {
  encodeDocument,
  members,
  renderAccessKeyMeta,
  renderAttachedPolicy,
  renderEvaluationResult,
  renderNewAccessKey,
  renderPage,
  renderPolicy,
  renderPolicyVersion,
  renderRole,
  renderUser,
} from './render.js';

const req = { required: true } as const;

export const IamHandlers: Readonly<Record<string, QueryHandler>> = {
  // --- users -------------------------------------------------------------------------------------
  async CreateUser(c, p) {
    const input = { path: p.str('Path', Rules.path), userName: p.str('UserName', { ...Rules.userName, ...req }), tags: p.tags() };
    p.done();
    return { User: renderUser(await users.createUser(c.iam, c.caller, input), { tags: true }) };
  },
  async GetUser(c, p) {
    const name = p.str('UserName', Rules.existingUserName);
    p.done();
    return { User: renderUser(await users.getUser(c.iam, c.caller, name), { tags: true }) };
  },
  async ListUsers(c, p) {
    const input = { pathPrefix: p.str('PathPrefix', Rules.pathPrefix), ...p.page() };
    p.done();
    return renderPage('Users', await users.listUsers(c.iam, c.caller, input), (u) => renderUser(u, { tags: false }));
  },
  async DeleteUser(c, p) {
    const name = p.str('UserName', { ...Rules.existingUserName, ...req });
    p.done();
    await users.deleteUser(c.iam, c.caller, name);
    return undefined;
  },

  // --- access keys -------------------------------------------------------------------------------
  async CreateAccessKey(c, p) {
    const name = p.str('UserName', Rules.existingUserName);
    p.done();
    return { AccessKey: renderNewAccessKey(await users.createAccessKey(c.iam, c.caller, name)) };
  },
  async ListAccessKeys(c, p) {
    const input = { userName: p.str('UserName', Rules.existingUserName), ...p.page() };
    p.done();
    return renderPage('AccessKeyMetadata', await users.listAccessKeys(c.iam, c.caller, input), renderAccessKeyMeta);
  },
  async UpdateAccessKey(c, p) {
    const input = {
      userName: p.str('UserName', Rules.existingUserName),
      accessKeyId: p.str('AccessKeyId', { ...Rules.accessKeyId, ...req }),
      status: p.str('Status', { ...Rules.status, ...req }) as AccessKeyStatus,
    };
    p.done();
    await users.updateAccessKey(c.iam, c.caller, input);
    return undefined;
  },
  async DeleteAccessKey(c, p) {
    const input = { userName: p.str('UserName', Rules.existingUserName), accessKeyId: p.str('AccessKeyId', { ...Rules.accessKeyId, ...req }) };
    p.done();
    await users.deleteAccessKey(c.iam, c.caller, input);
    return undefined;
  },

  // --- user inline policies ----------------------------------------------------------------------
  async PutUserPolicy(c, p) {
    const input = {
      userName: p.str('UserName', { ...Rules.existingUserName, ...req }),
      policyName: p.str('PolicyName', { ...Rules.policyName, ...req }),
      policyDocument: p.str('PolicyDocument', { ...Rules.policyDocument, ...req }),
    };
    p.done();
    await users.putUserPolicy(c.iam, c.caller, input);
    return undefined;
  },
  async GetUserPolicy(c, p) {
    const input = { userName: p.str('UserName', { ...Rules.existingUserName, ...req }), policyName: p.str('PolicyName', { ...Rules.policyName, ...req }) };
    p.done();
    const r = await users.getUserPolicy(c.iam, c.caller, input);
    return { UserName: r.userName, PolicyName: r.policyName, PolicyDocument: encodeDocument(r.document) };
  },
  async ListUserPolicies(c, p) {
    const input = { userName: p.str('UserName', { ...Rules.existingUserName, ...req }), ...p.page() };
    p.done();
    return renderPage('PolicyNames', await users.listUserPolicies(c.iam, c.caller, input), (n) => n);
  },
  async DeleteUserPolicy(c, p) {
    const input = { userName: p.str('UserName', { ...Rules.existingUserName, ...req }), policyName: p.str('PolicyName', { ...Rules.policyName, ...req }) };
    p.done();
    await users.deleteUserPolicy(c.iam, c.caller, input);
    return undefined;
  },

  // --- roles -------------------------------------------------------------------------------------
  async CreateRole(c, p) {
    const input = {
      path: p.str('Path', Rules.path),
      roleName: p.str('RoleName', { ...Rules.roleName, ...req }),
      assumeRolePolicyDocument: p.str('AssumeRolePolicyDocument', { ...Rules.policyDocument, ...req }),
      description: p.str('Description', Rules.roleDescription),
      maxSessionDuration: p.int('MaxSessionDuration', { min: roles.MIN_MAX_SESSION, max: roles.MAX_MAX_SESSION }),
      tags: p.tags(),
    };
    p.done();
    return { Role: renderRole(await roles.createRole(c.iam, c.caller, input), { tags: true, lastUsed: false }) };
  },
  async GetRole(c, p) {
    const name = p.str('RoleName', { ...Rules.roleName, ...req });
    p.done();
    return { Role: renderRole(await roles.getRole(c.iam, c.caller, name), { tags: true, lastUsed: true }) };
  },
  async ListRoles(c, p) {
    const input = { pathPrefix: p.str('PathPrefix', Rules.pathPrefix), ...p.page() };
    p.done();
    return renderPage('Roles', await roles.listRoles(c.iam, c.caller, input), (r) => renderRole(r, { tags: false, lastUsed: false }));
  },
  async DeleteRole(c, p) {
    const name = p.str('RoleName', { ...Rules.roleName, ...req });
    p.done();
    await roles.deleteRole(c.iam, c.caller, name);
    return undefined;
  },
  async UpdateAssumeRolePolicy(c, p) {
    const input = { roleName: p.str('RoleName', { ...Rules.roleName, ...req }), policyDocument: p.str('PolicyDocument', { ...Rules.policyDocument, ...req }) };
    p.done();
    await roles.updateAssumeRolePolicy(c.iam, c.caller, input);
    return undefined;
  },
  async UpdateRole(c, p) {
    const input = {
      roleName: p.str('RoleName', { ...Rules.roleName, ...req }),
      description: p.str('Description', Rules.roleDescription),
      maxSessionDuration: p.int('MaxSessionDuration', { min: roles.MIN_MAX_SESSION, max: roles.MAX_MAX_SESSION }),
    };
    p.done();
    await roles.updateRole(c.iam, c.caller, input);
    return {};
  },

  // --- role inline policies ----------------------------------------------------------------------
  async PutRolePolicy(c, p) {
    const input = {
      roleName: p.str('RoleName', { ...Rules.roleName, ...req }),
      policyName: p.str('PolicyName', { ...Rules.policyName, ...req }),
      policyDocument: p.str('PolicyDocument', { ...Rules.policyDocument, ...req }),
    };
    p.done();
    await roles.putRolePolicy(c.iam, c.caller, input);
    return undefined;
  },
  async GetRolePolicy(c, p) {
    const input = { roleName: p.str('RoleName', { ...Rules.roleName, ...req }), policyName: p.str('PolicyName', { ...Rules.policyName, ...req }) };
    p.done();
    const r = await roles.getRolePolicy(c.iam, c.caller, input);
    return { RoleName: r.roleName, PolicyName: r.policyName, PolicyDocument: encodeDocument(r.document) };
  },
  async ListRolePolicies(c, p) {
    const input = { roleName: p.str('RoleName', { ...Rules.roleName, ...req }), ...p.page() };
    p.done();
    return renderPage('PolicyNames', await roles.listRolePolicies(c.iam, c.caller, input), (n) => n);
  },
  async DeleteRolePolicy(c, p) {
    const input = { roleName: p.str('RoleName', { ...Rules.roleName, ...req }), policyName: p.str('PolicyName', { ...Rules.policyName, ...req }) };
    p.done();
    await roles.deleteRolePolicy(c.iam, c.caller, input);
    return undefined;
  },

  // --- managed policies --------------------------------------------------------------------------
  async CreatePolicy(c, p) {
    const input = {
      policyName: p.str('PolicyName', { ...Rules.policyName, ...req }),
      path: p.str('Path', Rules.policyPath),
      policyDocument: p.str('PolicyDocument', { ...Rules.policyDocument, ...req }),
      description: p.str('Description', Rules.policyDescription),
      tags: p.tags(),
    };
    p.done();
    return { Policy: renderPolicy(await policies.createPolicy(c.iam, c.caller, input), { description: false }) };
  },
  async GetPolicy(c, p) {
    const arn = p.str('PolicyArn', { ...Rules.arn, ...req });
    p.done();
    return { Policy: renderPolicy(await policies.getPolicy(c.iam, c.caller, arn), { description: true }) };
  },
  async ListPolicies(c, p) {
    const input = {
      scope: p.str('Scope', Rules.policyScope) as 'All' | 'AWS' | 'Local' | undefined,
      onlyAttached: p.bool('OnlyAttached'),
      pathPrefix: p.str('PathPrefix', Rules.policyPath),
      ...p.page(),
    };
    p.str('PolicyUsageFilter', { enum: ['PermissionsPolicy', 'PermissionsBoundary'] });
    p.done();
    return renderPage('Policies', await policies.listPolicies(c.iam, c.caller, input), (x) => renderPolicy(x, { description: false }));
  },
  async DeletePolicy(c, p) {
    const arn = p.str('PolicyArn', { ...Rules.arn, ...req });
    p.done();
    await policies.deletePolicy(c.iam, c.caller, arn);
    return undefined;
  },
  async CreatePolicyVersion(c, p) {
    const input = {
      policyArn: p.str('PolicyArn', { ...Rules.arn, ...req }),
      policyDocument: p.str('PolicyDocument', { ...Rules.policyDocument, ...req }),
      setAsDefault: p.bool('SetAsDefault'),
    };
    p.done();
    return { PolicyVersion: renderPolicyVersion(await policies.createPolicyVersion(c.iam, c.caller, input), { document: false }) };
  },
  async GetPolicyVersion(c, p) {
    const input = { policyArn: p.str('PolicyArn', { ...Rules.arn, ...req }), versionId: p.str('VersionId', { ...Rules.versionId, ...req }) };
    p.done();
    return { PolicyVersion: renderPolicyVersion(await policies.getPolicyVersion(c.iam, c.caller, input), { document: true }) };
  },
  async ListPolicyVersions(c, p) {
    const input = { policyArn: p.str('PolicyArn', { ...Rules.arn, ...req }), ...p.page() };
    p.done();
    return renderPage('Versions', await policies.listPolicyVersions(c.iam, c.caller, input), (v) => renderPolicyVersion(v, { document: false }));
  },
  async SetDefaultPolicyVersion(c, p) {
    const input = { policyArn: p.str('PolicyArn', { ...Rules.arn, ...req }), versionId: p.str('VersionId', { ...Rules.versionId, ...req }) };
    p.done();
    await policies.setDefaultPolicyVersion(c.iam, c.caller, input);
    return undefined;
  },
  async DeletePolicyVersion(c, p) {
    const input = { policyArn: p.str('PolicyArn', { ...Rules.arn, ...req }), versionId: p.str('VersionId', { ...Rules.versionId, ...req }) };
    p.done();
    await policies.deletePolicyVersion(c.iam, c.caller, input);
    return undefined;
  },

  // --- attachments -------------------------------------------------------------------------------
  async AttachRolePolicy(c, p) {
    const name = p.str('RoleName', { ...Rules.roleName, ...req });
    const arn = p.str('PolicyArn', { ...Rules.arn, ...req });
    p.done();
    await policies.attachPolicy(c.iam, c.caller, 'role', name, arn);
    return undefined;
  },
  async DetachRolePolicy(c, p) {
    const name = p.str('RoleName', { ...Rules.roleName, ...req });
    const arn = p.str('PolicyArn', { ...Rules.arn, ...req });
    p.done();
    await policies.detachPolicy(c.iam, c.caller, 'role', name, arn);
    return undefined;
  },
  async ListAttachedRolePolicies(c, p) {
    const input = { name: p.str('RoleName', { ...Rules.roleName, ...req }), pathPrefix: p.str('PathPrefix', Rules.policyPath), ...p.page() };
    p.done();
    return renderPage('AttachedPolicies', await policies.listAttachedPolicies(c.iam, c.caller, 'role', input), renderAttachedPolicy);
  },
  async AttachUserPolicy(c, p) {
    const name = p.str('UserName', { ...Rules.userName, ...req });
    const arn = p.str('PolicyArn', { ...Rules.arn, ...req });
    p.done();
    await policies.attachPolicy(c.iam, c.caller, 'user', name, arn);
    return undefined;
  },
  async DetachUserPolicy(c, p) {
    const name = p.str('UserName', { ...Rules.userName, ...req });
    const arn = p.str('PolicyArn', { ...Rules.arn, ...req });
    p.done();
    await policies.detachPolicy(c.iam, c.caller, 'user', name, arn);
    return undefined;
  },
  async ListAttachedUserPolicies(c, p) {
    const input = { name: p.str('UserName', { ...Rules.userName, ...req }), pathPrefix: p.str('PathPrefix', Rules.policyPath), ...p.page() };
    p.done();
    return renderPage('AttachedPolicies', await policies.listAttachedPolicies(c.iam, c.caller, 'user', input), renderAttachedPolicy);
  },

  // --- simulation --------------------------------------------------------------------------------
  async SimulatePrincipalPolicy(c, p) {
    const policySourceArn = p.str('PolicySourceArn', { ...Rules.arn, ...req });
    const actionNames = p.list('ActionNames');
    if (actionNames === undefined) p.fail('actionNames', null, 'Member must not be null');
    const resourceArns = p.list('ResourceArns');
    for (const unsupported of ['PolicyInputList', 'PermissionsBoundaryPolicyInputList', 'ResourcePolicy', 'CallerArn']) {
      if ([...(p.list(unsupported) ?? []), p.str(unsupported) ?? ''].some((v) => v !== '')) {
        throw new IamError('InvalidInput', `s3batch does not support ${unsupported} in SimulatePrincipalPolicy: it simulates the principal's stored policies.`);
      }
    }
    const context = new Map<string, string | readonly string[]>();
    const entries = p.structs('ContextEntries', ['ContextKeyName', 'ContextKeyType']);
    entries.forEach((e, idx) => {
      const values = p.list(`ContextEntries.member.${idx + 1}.ContextKeyValues`) ?? [];
      if (e.ContextKeyName === undefined) return p.fail('contextEntries.member.contextKeyName', null, 'Member must not be null');
      context.set(e.ContextKeyName, (e.ContextKeyType ?? 'string').endsWith('List') ? values : values.length === 1 ? values[0]! : values);
    });
    p.page();
    p.done();
    const results = await simulatePrincipalPolicy(c.iam, c.caller, { policySourceArn, actionNames: actionNames!, resourceArns, context });
    return { EvaluationResults: members(results, renderEvaluationResult), IsTruncated: false };
  },
};
