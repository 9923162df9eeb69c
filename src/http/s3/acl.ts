/**
 * Access control lists: canned ACLs (x-amz-acl), explicit grant headers (x-amz-grant-*), the
 * <AccessControlPolicy> document, and their rendering.
 */
import { S3Error } from '../../errors.js';
import type { Acl, Grant, Grantee, Permission } from '../../store/types.js';
import { parseXml, renderXml, xmlChild, xmlList, xmlText, type XmlObject } from '../xml.js';
import type { S3Ctx } from './context.js';
import { header } from '../request.js';

export const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
export const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
export const LOG_DELIVERY = 'http://acs.amazonaws.com/groups/s3/LogDelivery';

const cannedAcls = ['private', 'public-read', 'public-read-write', 'authenticated-read', 'aws-exec-read', 'bucket-owner-read', 'bucket-owner-full-control', 'log-delivery-write'] as const;
export type CannedAcl = (typeof cannedAcls)[number];

/** The grants of a canned ACL. `bucketOwner` is the bucket owner's canonical id (for bucket-owner-*). */
export function cannedAcl(name: string, owner: string, bucketOwner: string): Acl {
  if (!(cannedAcls as readonly string[]).includes(name)) {
    throw new S3Error('InvalidArgument', undefined, { ArgumentName: 'x-amz-acl', ArgumentValue: name });
  }
  const full: Grant = { grantee: { type: 'CanonicalUser', id: owner }, permission: 'FULL_CONTROL' };
  const group = (uri: string, permission: Permission): Grant => ({ grantee: { type: 'Group', uri }, permission });
  const grants: Grant[] = [full];
  switch (name as CannedAcl) {
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
    case 'private':
    case 'aws-exec-read':
      break;
  }
  return { owner, grants };
}

const grantHeaders: Record<string, Permission> = {
  'x-amz-grant-read': 'READ',
  'x-amz-grant-write': 'WRITE',
  'x-amz-grant-read-acp': 'READ_ACP',
  'x-amz-grant-write-acp': 'WRITE_ACP',
  'x-amz-grant-full-control': 'FULL_CONTROL',
};

/** `id="…", uri="…", emailAddress="…"` lists of x-amz-grant-* headers. */
function parseGrantees(value: string): Grantee[] {
  const out: Grantee[] = [];
  for (const part of value.split(',')) {
    const m = /^\s*(id|uri|emailAddress)\s*=\s*"?([^"]*)"?\s*$/i.exec(part);
    if (!m) throw new S3Error('InvalidArgument', `Invalid grantee in grant header: ${part.trim()}`);
    const kind = m[1]!.toLowerCase();
    if (kind === 'id') out.push({ type: 'CanonicalUser', id: m[2]! });
    else if (kind === 'uri') out.push({ type: 'Group', uri: m[2]! });
    else out.push({ type: 'AmazonCustomerByEmail', email: m[2]! });
  }
  return out;
}

/**
 * The ACL a request's headers ask for: x-amz-acl or x-amz-grant-* (not both), or null when it asks
 * for none (the default, private).
 */
export function aclFromHeaders(c: S3Ctx, owner: string, bucketOwner: string): Acl | null {
  const canned = header(c, 'x-amz-acl');
  const grants: Grant[] = [];
  for (const [h, permission] of Object.entries(grantHeaders)) {
    const v = header(c, h);
    if (v !== undefined) for (const grantee of parseGrantees(v)) grants.push({ grantee, permission });
  }
  if (canned !== undefined && grants.length > 0) {
    throw new S3Error('InvalidRequest', 'Specifying both Canned ACLs and Header Grants is not allowed');
  }
  if (canned !== undefined) return canned === 'private' ? null : cannedAcl(canned, owner, bucketOwner);
  if (grants.length > 0) return { owner, grants };
  return null;
}

function renderGrantee(g: Grantee, displayName: (id: string) => string | undefined): XmlObject {
  const xsi = 'http://www.w3.org/2001/XMLSchema-instance';
  switch (g.type) {
    case 'CanonicalUser':
      return { '@xmlns:xsi': xsi, '@xsi:type': 'CanonicalUser', ID: g.id, DisplayName: g.displayName ?? displayName(g.id) };
    case 'Group':
      return { '@xmlns:xsi': xsi, '@xsi:type': 'Group', URI: g.uri };
    case 'AmazonCustomerByEmail':
      return { '@xmlns:xsi': xsi, '@xsi:type': 'AmazonCustomerByEmail', EmailAddress: g.email };
  }
}

/** <AccessControlPolicy>; a null ACL renders as the owner's FULL_CONTROL. */
export function renderAcl(acl: Acl | null, owner: string, displayName: (id: string) => string | undefined): string {
  const a = acl ?? { owner, grants: [{ grantee: { type: 'CanonicalUser', id: owner }, permission: 'FULL_CONTROL' } as Grant] };
  return renderXml('AccessControlPolicy', {
    Owner: { ID: a.owner, DisplayName: displayName(a.owner) },
    AccessControlList: { Grant: a.grants.map((g) => ({ Grantee: renderGrantee(g.grantee, displayName), Permission: g.permission })) },
  });
}

const permissions = new Set<string>(['FULL_CONTROL', 'READ', 'WRITE', 'READ_ACP', 'WRITE_ACP']);

/** Parses an <AccessControlPolicy> body into an ACL. Unknown canonical ids are rejected by `knownId`. */
export function parseAclXml(text: string, knownId: (id: string) => boolean): Acl {
  const doc = parseXml(text, 'AccessControlPolicy', 'MalformedACLError');
  const owner = xmlText(xmlChild(doc, 'Owner'), 'ID');
  if (!owner) throw new S3Error('MalformedACLError', 'The XML you provided was not well-formed or did not validate against our published schema (Owner/ID is required)');
  const list = xmlChild(doc, 'AccessControlList');
  const grants: Grant[] = xmlList(list?.Grant).map((g) => {
    const permission = xmlText(g, 'Permission');
    if (!permission || !permissions.has(permission)) throw new S3Error('MalformedACLError', `Invalid Permission: ${permission ?? '(missing)'}`);
    const ge = xmlChild(g, 'Grantee');
    if (!ge) throw new S3Error('MalformedACLError', 'Each Grant needs a Grantee');
    const type = (ge['@type'] as string | undefined) ?? (xmlText(ge, 'ID') ? 'CanonicalUser' : xmlText(ge, 'URI') ? 'Group' : 'AmazonCustomerByEmail');
    let grantee: Grantee;
    if (type === 'CanonicalUser') {
      const id = xmlText(ge, 'ID');
      if (!id) throw new S3Error('MalformedACLError', 'A CanonicalUser grantee needs an ID');
      if (!knownId(id)) throw new S3Error('InvalidArgument', 'Invalid id', { ArgumentName: 'CanonicalUser/ID', ArgumentValue: id });
      grantee = { type, id };
    } else if (type === 'Group') {
      const uri = xmlText(ge, 'URI');
      if (!uri || ![ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY].includes(uri)) throw new S3Error('InvalidArgument', 'Invalid group uri', { ArgumentName: 'Group/URI', ArgumentValue: uri ?? '' });
      grantee = { type, uri };
    } else if (type === 'AmazonCustomerByEmail') {
      throw new S3Error('NotImplemented', 'Grants to e-mail addresses are not supported by s3batch; grant to a canonical user ID.');
    } else {
      throw new S3Error('MalformedACLError', `Invalid Grantee type ${type}`);
    }
    return { grantee, permission: permission as Permission };
  });
  return { owner, grants };
}
