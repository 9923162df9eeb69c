/** S3PutObjectAcl: replaces each object's ACL (PutObjectAcl) with a canned ACL or a whole AccessControlList. */
import type { AclInput } from '../../storage/storage-client.js';
import type { S3PutObjectAclOperation } from '../model.js';
import { toGrants } from './grants.js';
import { succeeded, type Operation } from './types.js';

export function toAclInput(op: S3PutObjectAclOperation): AclInput {
  const p = op.accessControlPolicy;
  if (p.accessControlList) return { kind: 'policy', owner: p.accessControlList.owner, grants: toGrants(p.accessControlList.grants ?? []) };
  return { kind: 'canned', canned: p.cannedAccessControlList ?? 'private' };
}

export function putObjectAcl(op: S3PutObjectAclOperation): Operation {
  const acl = toAclInput(op);
  return {
    sameBucket: true,
    run: async (task, ctx) => {
      await ctx.storage.putObjectAcl(task, acl, ctx.signal);
      return succeeded();
    },
  };
}
