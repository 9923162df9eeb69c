/**
 * ACL inputs of the StorageClient port → the embedded store's ACLs: canned ACLs resolved against
 * the object's and bucket's owners, grants checked against the accounts this server knows, both by
 * store/acl.ts, which the S3 front applies to x-amz-acl / x-amz-grant-* / <AccessControlPolicy>.
 */
import { S3Error } from '../../errors.js';
import type { Credentials } from '../../auth/credentials.js';
import { canonicalIdOfAccount } from '../../auth/object-access.js';
import { cannedAcl, checkGrantee } from '../../store/acl.js';
import type { Acl, Grant as StoreGrant } from '../../store/types.js';
import type { AclInput, Grant } from '../storage-client.js';

function knownCanonicalId(credentials: Credentials, id: string): boolean {
  for (const a of credentials.accounts.values()) if (a.canonicalId === id) return true;
  return false;
}

function checkGrants(credentials: Credentials, grants: readonly Grant[]): StoreGrant[] {
  const known = (id: string): boolean => knownCanonicalId(credentials, id);
  return grants.map((g) => {
    const ge = g.grantee;
    checkGrantee(ge, known);
    // A display name is the server's to render, never stored from a request.
    return { grantee: ge.type === 'CanonicalUser' ? { type: 'CanonicalUser', id: ge.id } : ge, permission: g.permission };
  });
}

/**
 * The store ACL for `input` on an object owned by `ownerAccount` in a bucket owned by
 * `bucketOwnerAccount`; null is the default (owner FULL_CONTROL), which `private` is.
 */
export function toStoreAcl(credentials: Credentials, input: AclInput, ownerAccount: string, bucketOwnerAccount: string): Acl | null {
  const owner = canonicalIdOfAccount(credentials, ownerAccount);
  switch (input.kind) {
    case 'canned':
      return cannedAcl(input.canned, owner, canonicalIdOfAccount(credentials, bucketOwnerAccount));
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
