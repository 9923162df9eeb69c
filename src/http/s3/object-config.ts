/**
 * Object sub-resource handlers: ?tagging, ?acl, ?retention, ?legal-hold, POST ?restore and
 * GET ?attributes. The wire (XML documents, headers, AWS's messages) lives here; the state changes
 * are in store/object-attrs.ts.
 */
import { S3Error } from '../../errors.js';
import type { Account } from '../../auth/credentials.js';
import { getBucket } from '../../store/buckets.js';
import type { ChecksumAlgorithm } from '../../store/checksums.js';
import {
  getAddressedVersion,
  getObjectLock,
  putObjectAcl,
  putObjectLegalHold,
  putObjectRetention,
  putObjectTags,
  restoreObject,
  type RestoreTier,
  type Retention,
  type VersionAddress,
} from '../../store/object-attrs.js';
import { checkGrantee } from '../../store/acl.js';
import { MAX_OBJECT_TAGS } from '../../store/tags.js';
import { LockMode, type Acl, type ObjectVersion } from '../../store/types.js';
import { header, send, sendXml } from '../request.js';
import { isoDate, parseXml, renderXml, xmlChild, xmlText, type XmlObject, type XmlValue } from '../xml.js';
import { aclFromHeaders, parseAclXml, renderAcl } from './acl.js';
import { bucketOf, keyOf, ownerIdOf, type S3Ctx, type S3Handlers } from './context.js';
import { bodyChecksFrom, readVerifiedBody } from './object-headers.js';
import { parseTaggingXml, renderTagging } from './tags.js';

function addressOf(c: S3Ctx): VersionAddress {
  return { bucket: bucketOf(c), key: keyOf(c), versionId: c.query.get('versionId') ?? undefined };
}

/** x-amz-version-id on answers about a version of an object in a versioned (or suspended) bucket. */
function versionHeader(c: S3Ctx, bucket: string, versionId: string): Record<string, string> {
  return getBucket(c.deps.store, bucket).versioning !== '' ? { 'x-amz-version-id': versionId } : {};
}

function sendEmpty(c: S3Ctx, status: number, headers: Record<string, string> = {}): void {
  send(c, status, null, status === 204 ? headers : { ...headers, 'content-length': 0 });
}

/**
 * Reads a small request document and verifies Content-MD5 / x-amz-checksum-* when sent. S3 requires
 * one of them on PutObjectRetention and PutObjectLegalHold (`requireDigest`).
 */
async function readDocument(c: S3Ctx, requireDigest: boolean): Promise<string> {
  const checks = bodyChecksFrom(c);
  if (requireDigest && checks.contentMd5 === undefined && checks.checksumAlgorithm === undefined) {
    throw new S3Error('InvalidRequest', 'Missing required header for this request: Content-MD5 OR x-amz-checksum-*');
  }
  return readVerifiedBody(c);
}

function bypassGovernance(c: S3Ctx): boolean {
  return (header(c, 'x-amz-bypass-governance-retention') ?? '').trim().toLowerCase() === 'true';
}

// ---------------------------------------------------------------------------------------------
// Tagging

function getObjectTagging(c: S3Ctx): void {
  const a = addressOf(c);
  const v = getAddressedVersion(c.deps.store, a);
  sendXml(c, renderTagging(v.tags), 200, versionHeader(c, a.bucket, v.versionId));
}

async function putObjectTagging(c: S3Ctx): Promise<void> {
  const a = addressOf(c);
  const tags = parseTaggingXml(await readDocument(c, false), MAX_OBJECT_TAGS);
  c.authorize({ tags });
  const versionId = putObjectTags(c.deps.store, a, tags);
  sendEmpty(c, 200, versionHeader(c, a.bucket, versionId));
}

function deleteObjectTagging(c: S3Ctx): void {
  const a = addressOf(c);
  const versionId = putObjectTags(c.deps.store, a, [], 'DELETE');
  sendEmpty(c, 204, versionHeader(c, a.bucket, versionId));
}

// ---------------------------------------------------------------------------------------------
// ACL

function accountByCanonicalId(c: S3Ctx, id: string): Account | undefined {
  for (const a of c.deps.credentials.accounts.values()) if (a.canonicalId === id) return a;
  return undefined;
}

const grantHeaderNames = ['x-amz-grant-read', 'x-amz-grant-write', 'x-amz-grant-read-acp', 'x-amz-grant-write-acp', 'x-amz-grant-full-control'];

/** Grant headers name grantees freely; only accounts this server knows and S3's three groups can be granted to. */
function assertKnownGrantees(c: S3Ctx, acl: Acl): void {
  for (const { grantee } of acl.grants) checkGrantee(grantee, (id) => accountByCanonicalId(c, id) !== undefined);
}

function getObjectAcl(c: S3Ctx): void {
  const v = getAddressedVersion(c.deps.store, addressOf(c));
  sendXml(c, renderAcl(v.acl, ownerIdOf(c, v.owner), (id) => accountByCanonicalId(c, id)?.name));
}

/**
 * The new ACL comes from exactly one of: x-amz-acl, x-amz-grant-* headers, or an
 * <AccessControlPolicy> body. S3 answers UnexpectedContent to headers with a body and
 * MissingSecurityHeader to neither.
 */
async function putObjectAclHandler(c: S3Ctx): Promise<void> {
  const a = addressOf(c);
  const hasHeaders = header(c, 'x-amz-acl') !== undefined || grantHeaderNames.some((h) => header(c, h) !== undefined);
  const text = await readDocument(c, false);
  const hasBody = text.trim() !== '';
  if (hasHeaders && hasBody) throw new S3Error('UnexpectedContent', 'This request does not support content');
  if (!hasHeaders && !hasBody) throw new S3Error('MissingSecurityHeader', 'Your request was missing a required header', { MissingHeaderName: 'x-amz-acl' });
  const bucket = getBucket(c.deps.store, a.bucket);
  const fromBody = hasBody ? parseAclXml(text, (id) => accountByCanonicalId(c, id) !== undefined) : undefined;
  putObjectAcl(c.deps.store, a, (ownerAccount) => {
    const owner = ownerIdOf(c, ownerAccount);
    if (fromBody) {
      // The policy restates the object's owner; it cannot hand the object to someone else.
      if (fromBody.owner !== owner) throw new S3Error('AccessDenied');
      return fromBody;
    }
    const acl = aclFromHeaders(c, owner, ownerIdOf(c, bucket.owner));
    if (acl) assertKnownGrantees(c, acl);
    return acl;
  });
  sendEmpty(c, 200);
}

// ---------------------------------------------------------------------------------------------
// Object lock: retention and legal hold

const noLockOfObject = (): S3Error => new S3Error('NoSuchObjectLockConfiguration', 'The specified object does not have a ObjectLock configuration');

function getObjectRetention(c: S3Ctx): void {
  const { version: v } = getObjectLock(c.deps.store, addressOf(c));
  if (!v.lockMode || v.lockUntil === null) throw noLockOfObject();
  sendXml(c, renderXml('Retention', { Mode: v.lockMode, RetainUntilDate: isoDate(v.lockUntil) }));
}

/** <Retention><Mode/><RetainUntilDate/></Retention>; an empty <Retention/> removes the retention. */
function parseRetention(text: string): Retention | null {
  const doc = parseXml(text, 'Retention');
  const mode = xmlText(doc, 'Mode');
  const date = xmlText(doc, 'RetainUntilDate');
  if (mode === undefined && date === undefined) return null;
  if (mode === undefined || date === undefined) throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema (Retention needs both Mode and RetainUntilDate, or neither to remove it)');
  if (!(mode in LockMode)) throw new S3Error('MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema (Mode must be GOVERNANCE or COMPLIANCE, not '${mode}')`);
  const until = /^\d{4}-\d{2}-\d{2}T/.test(date) ? Date.parse(date) : NaN;
  if (Number.isNaN(until)) throw new S3Error('MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema (RetainUntilDate must be an ISO 8601 timestamp, not '${date}')`);
  return { mode: mode as LockMode, until };
}

async function putObjectRetentionHandler(c: S3Ctx): Promise<void> {
  const retention = parseRetention(await readDocument(c, true));
  c.authorize({ retention: retention ? { mode: retention.mode, retainUntilDate: new Date(retention.until).toISOString() } : {} });
  putObjectRetention(c.deps.store, addressOf(c), retention, bypassGovernance(c));
  sendEmpty(c, 200);
}

function getObjectLegalHold(c: S3Ctx): void {
  const { legalHold } = getObjectLock(c.deps.store, addressOf(c));
  if (!legalHold) throw noLockOfObject();
  sendXml(c, renderXml('LegalHold', { Status: legalHold }));
}

async function putObjectLegalHoldHandler(c: S3Ctx): Promise<void> {
  const doc = parseXml(await readDocument(c, true), 'LegalHold');
  const status = xmlText(doc, 'Status');
  if (status !== 'ON' && status !== 'OFF') {
    throw new S3Error('MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema (Status must be ON or OFF, not '${status ?? ''}')`);
  }
  c.authorize({ legalHold: status });
  putObjectLegalHold(c.deps.store, addressOf(c), status === 'ON');
  sendEmpty(c, 200);
}

// ---------------------------------------------------------------------------------------------
// Restore

const tiers: readonly RestoreTier[] = ['Expedited', 'Standard', 'Bulk'];

/** <RestoreRequest><Days>n</Days><GlacierJobParameters><Tier>…</Tier></GlacierJobParameters></RestoreRequest> */
function parseRestoreRequest(text: string): { days: number; tier: RestoreTier } {
  const doc = parseXml(text, 'RestoreRequest');
  if (xmlText(doc, 'Type') !== undefined || xmlChild(doc, 'SelectParameters') || xmlChild(doc, 'OutputLocation')) {
    throw new S3Error('NotImplemented', 's3batch does not implement SELECT restore requests (Type, SelectParameters, OutputLocation).');
  }
  const daysText = xmlText(doc, 'Days');
  if (daysText === undefined) throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema (Days is required to restore a GLACIER or DEEP_ARCHIVE object)');
  if (!/^\d+$/.test(daysText) || Number(daysText) < 1 || Number(daysText) > 2_147_483_647) {
    throw new S3Error('MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema (Days must be a whole number of at least 1, not '${daysText}')`);
  }
  const tier = xmlText(xmlChild(doc, 'GlacierJobParameters'), 'Tier') ?? xmlText(doc, 'Tier') ?? 'Standard';
  if (!(tiers as readonly string[]).includes(tier)) {
    throw new S3Error('MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema (Tier must be Expedited, Standard or Bulk, not '${tier}')`);
  }
  return { days: Number(daysText), tier: tier as RestoreTier };
}

async function restoreObjectHandler(c: S3Ctx): Promise<void> {
  const request = parseRestoreRequest(await readDocument(c, false));
  const r = restoreObject(c.deps.store, addressOf(c), request);
  sendEmpty(c, r.status);
}

// ---------------------------------------------------------------------------------------------
// GetObjectAttributes

const objectAttributes = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'] as const;
type ObjectAttribute = (typeof objectAttributes)[number];

function parseObjectAttributes(c: S3Ctx): Set<ObjectAttribute> {
  const names = (header(c, 'x-amz-object-attributes') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new S3Error('InvalidRequest', 'The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty');
  const bad = names.find((n) => !(objectAttributes as readonly string[]).includes(n));
  if (bad !== undefined) throw new S3Error('InvalidArgument', 'Invalid attribute name specified.', { ArgumentName: 'x-amz-object-attributes', ArgumentValue: bad });
  return new Set(names as ObjectAttribute[]);
}

function intHeader(c: S3Ctx, name: string, fallback: number, max: number): number {
  const v = header(c, name);
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v.trim()) || Number(v) > 2_147_483_647) throw new S3Error('InvalidArgument', `Provided ${name} not an integer or within integer range`, { ArgumentName: name, ArgumentValue: v });
  return Math.min(Number(v), max);
}

/**
 * ObjectParts of a multipart version. As S3: single-part objects have none; the part list itself
 * (sizes and per-part checksums, paged by x-amz-max-parts / x-amz-part-number-marker) is shown
 * only when the object carries a COMPOSITE checksum, else just PartsCount.
 */
function renderObjectParts(v: ObjectVersion, maxParts: number, marker: number): XmlObject | undefined {
  const parts = v.parts;
  if (!parts) return undefined;
  if (v.checksum?.type !== 'COMPOSITE') return { PartsCount: parts.length };
  const alg = v.checksum.algorithm as ChecksumAlgorithm;
  const after = parts.map((p, i) => ({ n: i + 1, p })).filter(({ n }) => n > marker);
  const page = after.slice(0, maxParts);
  return {
    PartsCount: parts.length,
    PartNumberMarker: marker,
    NextPartNumberMarker: page.length ? page[page.length - 1]!.n : marker,
    MaxParts: maxParts,
    IsTruncated: after.length > page.length,
    Part: page.map(({ n, p }) => ({ PartNumber: n, Size: p.size, [`Checksum${alg}`]: p.checksum })),
  };
}

function getObjectAttributes(c: S3Ctx): void {
  const want = parseObjectAttributes(c);
  const maxParts = intHeader(c, 'x-amz-max-parts', 1000, 1000);
  const marker = intHeader(c, 'x-amz-part-number-marker', 0, 10_000);
  const a = addressOf(c);
  const v = getAddressedVersion(c.deps.store, a);
  const body: Record<string, XmlValue> = {};
  if (want.has('ETag')) body.ETag = v.etag;
  if (want.has('Checksum') && v.checksum) body.Checksum = { [`Checksum${v.checksum.algorithm}`]: v.checksum.value, ChecksumType: v.checksum.type };
  if (want.has('ObjectParts')) body.ObjectParts = renderObjectParts(v, maxParts, marker);
  if (want.has('StorageClass')) body.StorageClass = v.storageClass;
  if (want.has('ObjectSize')) body.ObjectSize = v.size;
  sendXml(c, renderXml('GetObjectAttributesResponse', body), 200, {
    'last-modified': new Date(v.lastModified).toUTCString(),
    ...versionHeader(c, a.bucket, v.versionId),
  });
}

export const objectConfigHandlers: S3Handlers = {
  GetObjectTagging: getObjectTagging,
  PutObjectTagging: putObjectTagging,
  DeleteObjectTagging: deleteObjectTagging,
  GetObjectAcl: getObjectAcl,
  PutObjectAcl: putObjectAclHandler,
  GetObjectRetention: getObjectRetention,
  PutObjectRetention: putObjectRetentionHandler,
  GetObjectLegalHold: getObjectLegalHold,
  PutObjectLegalHold: putObjectLegalHoldHandler,
  RestoreObject: restoreObjectHandler,
  GetObjectAttributes: getObjectAttributes,
};
