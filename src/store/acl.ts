/**
 * S3's ACL rules that do not depend on the wire: the grants each canned ACL stands for (S3 User
 * Guide, "Canned ACL") and whom a grant may name. The S3 front (x-amz-acl, x-amz-grant-*,
 * <AccessControlPolicy>) and the embedded StorageClient (batch ACL and copy tasks) both build and
 * check ACLs here, so a job sets exactly the grants a PutObjectAcl would.
 */
import { S3Error } from '../errors.js';
import type { Acl, Grant, Grantee, Permission } from './types.js';

export const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
export const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
export const LOG_DELIVERY = 'http://acs.amazonaws.com/groups/s3/LogDelivery';
const GROUPS: readonly string[] = [ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY];

export const CANNED_ACLS = ['private', 'public-read', 'public-read-write', 'authenticated-read', 'aws-exec-read', 'bucket-owner-read', 'bucket-owner-full-control', 'log-delivery-write'] as const;
export type CannedAcl = (typeof CANNED_ACLS)[number];

/**
 * The ACL canned ACL `name` stands for, on a resource owned by canonical id `owner` in a bucket
 * owned by canonical id `bucketOwner` (bucket-owner-* grant to it when it is someone else). null
 * for `private`: the default ACL (owner FULL_CONTROL), stored as none. An unknown name is S3's
 * InvalidArgument on x-amz-acl.
 */
export function cannedAcl(name: string, owner: string, bucketOwner: string): Acl | null {
  if (!(CANNED_ACLS as readonly string[]).includes(name)) {
    throw new S3Error('InvalidArgument', undefined, { ArgumentName: 'x-amz-acl', ArgumentValue: name });
  }
  if (name === 'private') return null;
  const full: Grant = { grantee: { type: 'CanonicalUser', id: owner }, permission: 'FULL_CONTROL' };
  const group = (uri: string, permission: Permission): Grant => ({ grantee: { type: 'Group', uri }, permission });
  const grants: Grant[] = [full];
  switch (name as Exclude<CannedAcl, 'private'>) {
    case 'public-read':
      grants.push(group(ALL_USERS, 'READ'));
      break;
    case 'public-read-write':
      grants.push(group(ALL_USERS, 'READ'), group(ALL_USERS, 'WRITE'));
      break;
    case 'authenticated-read':
      grants.push(group(AUTHENTICATED_USERS, 'READ'));
      break;
    case 'bucket-owner-read':
      if (bucketOwner !== owner) grants.push({ grantee: { type: 'CanonicalUser', id: bucketOwner }, permission: 'READ' });
      break;
    case 'bucket-owner-full-control':
      if (bucketOwner !== owner) grants.push({ grantee: { type: 'CanonicalUser', id: bucketOwner }, permission: 'FULL_CONTROL' });
      break;
    case 'log-delivery-write':
      grants.push(group(LOG_DELIVERY, 'WRITE'), group(LOG_DELIVERY, 'READ_ACP'));
      break;
    case 'aws-exec-read':
      // AWS adds EC2's read of AMI bundles; there is no EC2 here to grant to.
      break;
  }
  return { owner, grants };
}

/**
 * A grant may name an account this server knows (`knownId`, by canonical id) or one of S3's three
 * groups. Grants to e-mail addresses would need AWS's account directory.
 */
export function checkGrantee(grantee: Grantee, knownId: (id: string) => boolean): void {
  switch (grantee.type) {
    case 'CanonicalUser':
      if (!knownId(grantee.id)) throw new S3Error('InvalidArgument', 'Invalid id', { ArgumentName: 'CanonicalUser/ID', ArgumentValue: grantee.id });
      return;
    case 'Group':
      if (!GROUPS.includes(grantee.uri)) throw new S3Error('InvalidArgument', 'Invalid group uri', { ArgumentName: 'Group/URI', ArgumentValue: grantee.uri });
      return;
    case 'AmazonCustomerByEmail':
      throw new S3Error('NotImplemented', 'Grants to e-mail addresses are not supported by s3batch; grant to a canonical user ID.');
  }
}
