/**
 * ACL inputs of the StorageClient port → the embedded store's ACLs: canned ACLs resolved against
 * the object's and bucket's owners, grants checked against the accounts this server knows (the same
 * rules the S3 front applies to x-amz-acl / x-amz-grant-* / <AccessControlPolicy>).
 */
import { S3Error } from '../../errors.js';
import type { Credentials } from '../../auth/credentials.js';
import { canonicalIdOf } from '../../auth/credentials.js';
import type { Acl, Grant as StoreGrant } from '../../store/types.js';
import type { AclInput, Grant } from '../storage-client.js';

export const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
export const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
export const LOG_DELIVERY = 'http://acs.amazonaws.com/groups/s3/LogDelivery';

export function canonicalIdOfAccount(credentials: Credentials, accountId: string): string {
  return credentials.accounts.get(accountId)?.canonicalId ?? canonicalIdOf(accountId);
}

function knownCanonicalId(credentials: Credentials, id: string): boolean {
  for (const a of credentials.accounts.values()) if (a.canonicalId === id) return true;
  return false;
}

function checkGrants(credentials: Credentials, grants: readonly Grant[]): StoreGrant[] {
  return grants.map((g) => {
    const ge = g.grantee;
    switch (ge.type) {
      case 'CanonicalUser':
        if (!knownCanonicalId(credentials, ge.id)) throw new S3Error('InvalidArgument', 'Invalid id', { ArgumentName: 'CanonicalUser/ID', ArgumentValue: ge.id });
        return { grantee: { type: 'CanonicalUser', id: ge.id }, permission: g.permission };
      case 'Group':
        if (![ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY].includes(ge.uri)) throw new S3Error('InvalidArgument', 'Invalid group uri', { ArgumentName: 'Group/URI', ArgumentValue: ge.uri });
        return { grantee: { type: 'Group', uri: ge.uri }, permission: g.permission };
      case 'AmazonCustomerByEmail':
        throw new S3Error('NotImplemented', 'Grants to e-mail addresses are not supported by s3batch; grant to a canonical user ID.');
    }
  });
}

/** The grants of a canned ACL (S3 User Guide, "Canned ACL"). */
function cannedGrants(name: string, owner: string, bucketOwner: string): StoreGrant[] {
  const full: StoreGrant = { grantee: { type: 'CanonicalUser', id: owner }, permission: 'FULL_CONTROL' };
  const group = (uri: string, permission: StoreGrant['permission']): StoreGrant => ({ grantee: { type: 'Group', uri }, permission });
  switch (name) {
    case 'private':
    case 'aws-exec-read':
      return [full];
    case 'public-read':
      return [full, group(ALL_USERS, 'READ')];
    case 'public-read-write':
      return [full, group(ALL_USERS, 'READ'), group(ALL_USERS, 'WRITE')];
    case 'authenticated-read':
      return [full, group(AUTHENTICATED_USERS, 'READ')];
    case 'bucket-owner-read':
      return bucketOwner !== owner ? [full, { grantee: { type: 'CanonicalUser', id: bucketOwner }, permission: 'READ' }] : [full];
    case 'bucket-owner-full-control':
      return bucketOwner !== owner ? [full, { grantee: { type: 'CanonicalUser', id: bucketOwner }, permission: 'FULL_CONTROL' }] : [full];
    default:
      throw new S3Error('InvalidArgument', undefined, { ArgumentName: 'x-amz-acl', ArgumentValue: name });
  }
}

/**
 * The store ACL for `input` on an object owned by `ownerAccount` in a bucket owned by
 * `bucketOwnerAccount`; null is the default (owner FULL_CONTROL), which `private` is.
 */
export function toStoreAcl(credentials: Credentials, input: AclInput, ownerAccount: string, bucketOwnerAccount: string): Acl | null {
  const owner = canonicalIdOfAccount(credentials, ownerAccount);
  switch (input.kind) {
    case 'canned':
      return input.canned === 'private' ? null : { owner, grants: cannedGrants(input.canned, owner, canonicalIdOfAccount(credentials, bucketOwnerAccount)) };
    case 'grants':
      return { owner, grants: checkGrants(credentials, input.grants) };
    case 'policy':
      // The policy restates the object's owner; it cannot hand the object to someone else.
      if (input.owner.id !== owner) throw new S3Error('AccessDenied');
      return { owner, grants: checkGrants(credentials, input.grants) };
  }
}

/** The headers an ACL input would travel as (x-amz-acl, x-amz-grant-*), for authorization's condition keys. */
export function aclHeaders(input: AclInput | undefined): Record<string, string> {
  if (!input || input.kind === 'policy') return {}; // a document body carries no ACL headers
  if (input.kind === 'canned') return { 'x-amz-acl': input.canned };
  const out: Record<string, string> = {};
  for (const g of input.grants) {
    const name = `x-amz-grant-${g.permission.toLowerCase().replace('_', '-')}`;
    const ge = g.grantee;
    const v = ge.type === 'CanonicalUser' ? `id="${ge.id}"` : ge.type === 'Group' ? `uri="${ge.uri}"` : `emailAddress="${ge.email}"`;
    out[name] = out[name] ? `${out[name]}, ${v}` : v;
  }
  return out;
}
