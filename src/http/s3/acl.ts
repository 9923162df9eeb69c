/**
 * Access control lists on the wire: canned ACLs (x-amz-acl), explicit grant headers
 * (x-amz-grant-*), the <AccessControlPolicy> document, and their rendering. What a canned ACL
 * grants and whom a grant may name are store/acl.ts's, shared with the embedded StorageClient.
 */
import { S3Error } from '../../errors.js';
import { cannedAcl, checkGrantee } from '../../store/acl.js';
import type { Acl, Grant, Grantee, Permission } from '../../store/types.js';
import { parseXml, renderXml, xmlChild, xmlList, xmlText, type XmlObject } from '../xml.js';
import type { S3Ctx } from './context.js';
import { header } from '../request.js';

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
  if (canned !== undefined) return cannedAcl(canned, owner, bucketOwner);
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
      grantee = { type, id };
    } else if (type === 'Group') {
      grantee = { type, uri: xmlText(ge, 'URI') ?? '' };
    } else if (type === 'AmazonCustomerByEmail') {
      grantee = { type, email: xmlText(ge, 'EmailAddress') ?? '' };
    } else {
      throw new S3Error('MalformedACLError', `Invalid Grantee type ${type}`);
    }
    checkGrantee(grantee, knownId);
    return { grantee, permission: permission as Permission };
  });
  return { owner, grants };
}
