/**
 * Listing handlers: ListObjects (v1), ListObjectsV2, ListObjectVersions. Continuation tokens are
 * the base64 of the last key returned (opaque to clients, stable across restarts).
 */
import { S3Error } from '../../errors.js';
import { listObjects, listObjectVersions } from '../../store/listing.js';
import type { ObjectVersion } from '../../store/types.js';
import { sendXml } from '../request.js';
import { isoDate, renderXml, type XmlObject } from '../xml.js';
import { bucketOf, ownerIdOf, ownerNameOf, type S3Ctx, type S3Handlers } from './context.js';

function maxKeysOf(c: S3Ctx): number {
  const raw = c.query.get('max-keys');
  if (raw === null) return 1000;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range', { ArgumentName: 'max-keys', ArgumentValue: raw });
  return Math.min(n, 1000);
}

function encodingOf(c: S3Ctx): (s: string) => string {
  const e = c.query.get('encoding-type');
  if (e === null) return (s) => s;
  if (e !== 'url') throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: e });
  return urlEncodeKey;
}

/**
 * encoding-type=url as S3 answers it (measured against AWS): form-style, so a space is '+' and a
 * literal '+' is %2B; every UTF-8 byte outside A-Z a-z 0-9 - _ . / * is %XX (so '~' is %7E).
 */
export function urlEncodeKey(s: string): string {
  return encodeURIComponent(s).replace(/%2F|%20|[!'()~]/g, (m) => (m === '%2F' ? '/' : m === '%20' ? '+' : '%' + m.charCodeAt(0).toString(16).toUpperCase()));
}

function owner(c: S3Ctx, accountId: string): XmlObject {
  return { ID: ownerIdOf(c, accountId), DisplayName: ownerNameOf(c, accountId) };
}

function contents(c: S3Ctx, v: ObjectVersion, enc: (s: string) => string, withOwner: boolean): XmlObject {
  return {
    Key: enc(v.key),
    LastModified: isoDate(v.lastModified),
    ETag: `"${v.etag}"`,
    ChecksumAlgorithm: v.checksum?.algorithm,
    ChecksumType: v.checksum?.type,
    Size: v.size,
    Owner: withOwner ? owner(c, v.owner) : undefined,
    StorageClass: v.storageClass,
    RestoreStatus: v.restore ? { IsRestoreInProgress: v.restore.readyAt > c.deps.store.now(), RestoreExpiryDate: v.restore.readyAt > c.deps.store.now() ? undefined : isoDate(v.restore.expiresAt) } : undefined,
  };
}

function listV2(c: S3Ctx): void {
  const bucket = bucketOf(c);
  const enc = encodingOf(c);
  const prefix = c.query.get('prefix') ?? '';
  const delimiter = c.query.get('delimiter') ?? '';
  const startAfter = c.query.get('start-after') ?? '';
  const token = c.query.get('continuation-token');
  let after = startAfter;
  if (token !== null) {
    const decoded = Buffer.from(token, 'base64').toString('utf8');
    if (token === '' || Buffer.from(decoded, 'utf8').toString('base64') !== token) throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
    after = decoded;
  }
  const maxKeys = maxKeysOf(c);
  const r = listObjects(c.deps.store, { bucket, prefix, delimiter, after, maxKeys });
  const fetchOwner = c.query.get('fetch-owner') === 'true';
  sendXml(
    c,
    renderXml('ListBucketResult', {
      Name: bucket,
      Prefix: enc(prefix),
      Delimiter: delimiter ? enc(delimiter) : undefined,
      MaxKeys: maxKeys,
      EncodingType: c.query.get('encoding-type') ?? undefined,
      KeyCount: r.objects.length + r.commonPrefixes.length,
      IsTruncated: r.isTruncated,
      ContinuationToken: token ?? undefined,
      NextContinuationToken: r.isTruncated && r.last !== undefined ? Buffer.from(r.last, 'utf8').toString('base64') : undefined,
      StartAfter: c.query.has('start-after') ? enc(startAfter) : undefined,
      Contents: r.objects.map((v) => contents(c, v, enc, fetchOwner)),
      CommonPrefixes: r.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
    }),
  );
}

function listV1(c: S3Ctx): void {
  const bucket = bucketOf(c);
  const enc = encodingOf(c);
  const prefix = c.query.get('prefix') ?? '';
  const delimiter = c.query.get('delimiter') ?? '';
  const marker = c.query.get('marker') ?? '';
  const maxKeys = maxKeysOf(c);
  const r = listObjects(c.deps.store, { bucket, prefix, delimiter, after: marker, maxKeys });
  sendXml(
    c,
    renderXml('ListBucketResult', {
      Name: bucket,
      Prefix: enc(prefix),
      Marker: enc(marker),
      // S3 sends NextMarker only with a delimiter; clients use the last key otherwise.
      NextMarker: r.isTruncated && delimiter && r.last !== undefined ? enc(r.last) : undefined,
      MaxKeys: maxKeys,
      Delimiter: delimiter ? enc(delimiter) : undefined,
      EncodingType: c.query.get('encoding-type') ?? undefined,
      IsTruncated: r.isTruncated,
      Contents: r.objects.map((v) => contents(c, v, enc, true)),
      CommonPrefixes: r.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
    }),
  );
}

function listVersions(c: S3Ctx): void {
  const bucket = bucketOf(c);
  const enc = encodingOf(c);
  const prefix = c.query.get('prefix') ?? '';
  const delimiter = c.query.get('delimiter') ?? '';
  const keyMarker = c.query.get('key-marker') ?? '';
  const versionIdMarker = c.query.get('version-id-marker') ?? '';
  if (versionIdMarker !== '' && keyMarker === '') throw new S3Error('InvalidArgument', 'A version-id marker cannot be specified without a key marker.', { ArgumentName: 'version-id-marker', ArgumentValue: versionIdMarker });
  const maxKeys = maxKeysOf(c);
  const r = listObjectVersions(c.deps.store, { bucket, prefix, delimiter, after: keyMarker, versionIdMarker, maxKeys });
  // Versions and delete markers are interleaved in key order, as S3 returns them.
  const items: [string, XmlObject][] = r.versions.map((v) => {
    if (v.isDeleteMarker) {
      return ['DeleteMarker', { Key: enc(v.key), VersionId: v.versionId, IsLatest: v.isLatest, LastModified: isoDate(v.lastModified), Owner: owner(c, v.owner) }];
    }
    return [
      'Version',
      {
        Key: enc(v.key),
        VersionId: v.versionId,
        IsLatest: v.isLatest,
        LastModified: isoDate(v.lastModified),
        ETag: `"${v.etag}"`,
        ChecksumAlgorithm: v.checksum?.algorithm,
        ChecksumType: v.checksum?.type,
        Size: v.size,
        StorageClass: v.storageClass,
        Owner: owner(c, v.owner),
      },
    ];
  });
  const head: XmlObject = {
    Name: bucket,
    Prefix: enc(prefix),
    KeyMarker: enc(keyMarker),
    VersionIdMarker: versionIdMarker,
    NextKeyMarker: r.nextKeyMarker !== undefined ? enc(r.nextKeyMarker) : undefined,
    NextVersionIdMarker: r.nextVersionIdMarker,
    MaxKeys: maxKeys,
    Delimiter: delimiter ? enc(delimiter) : undefined,
    EncodingType: c.query.get('encoding-type') ?? undefined,
    IsTruncated: r.isTruncated,
  };
  // renderXml keeps insertion order; build the interleaved body by hand around it.
  const xml = renderXml('ListVersionsResult', head);
  const close = '</ListVersionsResult>';
  const body = items.map(([tag, o]) => renderXml(tag, o, null).replace(/^<\?xml[^>]*>\n/, '')).join('');
  const prefixes = r.commonPrefixes.map((p) => renderXml('CommonPrefixes', { Prefix: enc(p) }, null).replace(/^<\?xml[^>]*>\n/, '')).join('');
  sendXml(c, xml.slice(0, -close.length) + body + prefixes + close);
}

export const listingHandlers: S3Handlers = {
  ListObjectsV2: listV2,
  ListObjects: listV1,
  ListObjectVersions: listVersions,
};
