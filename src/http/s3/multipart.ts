/**
 * Multipart upload handlers: CreateMultipartUpload, UploadPart, UploadPartCopy,
 * CompleteMultipartUpload, AbortMultipartUpload, ListParts, ListMultipartUploads. Wire parsing and
 * rendering only; the rules live in store/multipart.ts.
 */
import { S3Error } from '../../errors.js';
import { getBucket } from '../../store/buckets.js';
import { ChecksumAlgorithm, checksumHeaderName, parseChecksumAlgorithm, parseChecksumType, resolveChecksumType, type ChecksumType } from '../../store/checksums.js';
import {
  MAX_PART_NUMBER,
  MAX_PART_SIZE,
  abortUpload,
  completeUpload,
  createUpload,
  getUpload,
  listParts,
  listUploads,
  uploadPart,
  uploadPartCopy,
  type CompletedPartInput,
  type PartChecksum,
  type Upload,
} from '../../store/multipart.js';
import { bodyOf, header, readTextBody, send, sendXml } from '../request.js';
import { isoDate, parseXml, renderXml, xmlList, xmlText, type XmlObject } from '../xml.js';
import { aclFromHeaders } from './acl.js';
import { bucketOf, keyOf, ownerIdOf, ownerNameOf, type S3Ctx, type S3Handlers } from './context.js';
import { bodyChecksFrom, lockHeadersFrom, objectHeadersFrom, storageClassFrom } from './object-headers.js';
import { copySourceConditions, parseCopySource } from './objects.js';
import { parseTagHeader } from './tags.js';

/** A CompleteMultipartUpload document lists up to 10 000 parts of ~200 bytes each. */
const COMPLETE_BODY_LIMIT = 8 * 1024 * 1024;
const MAX_LIST = 1000;
const MAX_INT32 = 2147483647;

function uploadIdOf(c: S3Ctx): string {
  return c.query.get('uploadId') ?? '';
}

/** The upload addressed, checked before anything else about the request (as S3 orders its errors). */
function addressedUpload(c: S3Ctx): Upload {
  return getUpload(c.deps.store, bucketOf(c), keyOf(c), uploadIdOf(c));
}

function partNumberOf(c: S3Ctx): number {
  const raw = c.query.get('partNumber') ?? '';
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_PART_NUMBER) {
    throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`, { ArgumentName: 'partNumber', ArgumentValue: raw });
  }
  return n;
}

function sseHeader(upload: Upload): Record<string, string> {
  return upload.headers.serverSideEncryption ? { 'x-amz-server-side-encryption': upload.headers.serverSideEncryption } : {};
}

function partChecksumHeader(checksum: PartChecksum | null): Record<string, string> {
  return checksum ? { [checksumHeaderName(checksum.algorithm)]: checksum.value } : {};
}

/** x-amz-checksum-algorithm and x-amz-checksum-type of CreateMultipartUpload. */
function uploadChecksumFrom(c: S3Ctx): { checksumAlgorithm?: ChecksumAlgorithm; checksumType?: ChecksumType } {
  const alg = header(c, 'x-amz-checksum-algorithm');
  const type = header(c, 'x-amz-checksum-type');
  if (alg === undefined) {
    if (type !== undefined) throw new S3Error('InvalidRequest', 'The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.');
    return {};
  }
  const checksumAlgorithm = parseChecksumAlgorithm(alg);
  return { checksumAlgorithm, checksumType: resolveChecksumType(checksumAlgorithm, type !== undefined ? parseChecksumType(type) : undefined) };
}

function createHandler(c: S3Ctx): void {
  const bucketName = bucketOf(c);
  const key = keyOf(c);
  const bucket = getBucket(c.deps.store, bucketName);
  const checksum = uploadChecksumFrom(c);
  const upload = createUpload(c.deps.store, {
    bucket: bucketName,
    key,
    owner: c.principal.accountId,
    initiator: c.principal.arn,
    headers: objectHeadersFrom(c),
    storageClass: storageClassFrom(c),
    tags: parseTagHeader(header(c, 'x-amz-tagging')),
    acl: aclFromHeaders(c, ownerIdOf(c), ownerIdOf(c, bucket.owner)),
    ...lockHeadersFrom(c, bucket.objectLock, c.deps.store.now()),
    ...checksum,
  });
  const headers: Record<string, string> = sseHeader(upload);
  if (checksum.checksumAlgorithm && checksum.checksumType) {
    headers['x-amz-checksum-algorithm'] = checksum.checksumAlgorithm;
    headers['x-amz-checksum-type'] = checksum.checksumType;
  }
  sendXml(c, renderXml('InitiateMultipartUploadResult', { Bucket: bucketName, Key: key, UploadId: upload.uploadId }), 200, headers);
}

function assertPartLength(c: S3Ctx): void {
  const declared = header(c, 'x-amz-decoded-content-length') ?? header(c, 'content-length');
  if (declared === undefined && header(c, 'transfer-encoding') === undefined) throw new S3Error('MissingContentLength');
  if (declared !== undefined && Number(declared) > MAX_PART_SIZE) {
    throw new S3Error('EntityTooLarge', undefined, { ProposedSize: declared, MaxSizeAllowed: MAX_PART_SIZE });
  }
}

async function uploadPartHandler(c: S3Ctx): Promise<void> {
  addressedUpload(c);
  const partNumber = partNumberOf(c);
  assertPartLength(c);
  const r = await uploadPart(c.deps.store, {
    bucket: bucketOf(c),
    key: keyOf(c),
    uploadId: uploadIdOf(c),
    partNumber,
    body: bodyOf(c),
    ...bodyChecksFrom(c),
  });
  send(c, 200, null, { etag: `"${r.etag}"`, ...partChecksumHeader(r.checksum), ...sseHeader(r.upload), 'content-length': 0 });
}

async function uploadPartCopyHandler(c: S3Ctx): Promise<void> {
  addressedUpload(c);
  const partNumber = partNumberOf(c);
  const src = parseCopySource(header(c, 'x-amz-copy-source')!);
  const srcBucket = getBucket(c.deps.store, src.bucket);
  if (srcBucket.owner !== c.principal.accountId) throw new S3Error('AccessDenied');
  const r = await uploadPartCopy(c.deps.store, {
    bucket: bucketOf(c),
    key: keyOf(c),
    uploadId: uploadIdOf(c),
    partNumber,
    srcBucket: src.bucket,
    srcKey: src.key,
    srcVersionId: src.versionId,
    range: header(c, 'x-amz-copy-source-range'),
    conditions: copySourceConditions(c),
  });
  const headers: Record<string, string> = sseHeader(r.upload);
  if (srcBucket.versioning !== '') headers['x-amz-copy-source-version-id'] = r.srcVersionId;
  const result: Record<string, string> = { ETag: `"${r.etag}"`, LastModified: isoDate(r.lastModified) };
  if (r.checksum) result[`Checksum${r.checksum.algorithm}`] = r.checksum.value;
  sendXml(c, renderXml('CopyPartResult', result), 200, headers);
}

/** The <CompleteMultipartUpload> document: its parts with their numbers, ETags and checksums. */
export function parseCompleteXml(text: string): CompletedPartInput[] {
  const doc = parseXml(text, 'CompleteMultipartUpload');
  const entries = xmlList(doc.Part);
  if (entries.length === 0) throw new S3Error('MalformedXML');
  return entries.map((p) => {
    const n = xmlText(p, 'PartNumber');
    const etag = xmlText(p, 'ETag');
    if (n === undefined || etag === undefined || !/^-?\d+$/.test(n)) throw new S3Error('MalformedXML');
    if (Number(n) < 1) throw new S3Error('InvalidArgument', 'PartNumber must be >= 1', { ArgumentName: 'PartNumber', ArgumentValue: n });
    const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
    for (const alg of Object.values(ChecksumAlgorithm)) {
      const v = xmlText(p, `Checksum${alg}`);
      if (v !== undefined) checksums[alg] = v;
    }
    return { partNumber: Number(n), etag, checksums };
  });
}

/** The object checksum a CompleteMultipartUpload request states in an x-amz-checksum-<alg> header. */
function completeChecksumFrom(c: S3Ctx): { algorithm: ChecksumAlgorithm; value: string } | undefined {
  let found: { algorithm: ChecksumAlgorithm; value: string } | undefined;
  for (const algorithm of Object.values(ChecksumAlgorithm)) {
    const value = header(c, checksumHeaderName(algorithm));
    if (value === undefined) continue;
    if (found) throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
    found = { algorithm, value };
  }
  return found;
}

function objectSizeFrom(c: S3Ctx): number | undefined {
  const v = header(c, 'x-amz-mp-object-size');
  if (v === undefined) return undefined;
  if (/^-\d+$/.test(v)) throw new S3Error('InvalidRequest', `Value for x-amz-mp-object-size header is less than zero: '${v}'`);
  if (!/^\d+$/.test(v)) throw new S3Error('InvalidRequest', 'Value for x-amz-mp-object-size header is invalid.');
  return Number(v);
}

/** The object's URL as S3 gives it in <Location>: the key fully percent-encoded, '/' included. */
function locationOf(c: S3Ctx, bucket: string, key: string): string {
  const host = header(c, 'host') ?? '127.0.0.1';
  const virtualHost = host.toLowerCase().startsWith(`${bucket}.`);
  return virtualHost ? `http://${host}/${encodeURIComponent(key)}` : `http://${host}/${bucket}/${encodeURIComponent(key)}`;
}

async function completeHandler(c: S3Ctx): Promise<void> {
  const bucketName = bucketOf(c);
  const key = keyOf(c);
  addressedUpload(c);
  const typeHeader = header(c, 'x-amz-checksum-type');
  const checksumType = typeHeader !== undefined ? parseChecksumType(typeHeader) : undefined;
  const checksum = completeChecksumFrom(c);
  const objectSize = objectSizeFrom(c);
  const parts = parseCompleteXml(await readTextBody(c, COMPLETE_BODY_LIMIT));
  const r = completeUpload(c.deps.store, {
    bucket: bucketName,
    key,
    uploadId: uploadIdOf(c),
    parts,
    checksumType,
    checksum,
    objectSize,
    ifMatch: header(c, 'if-match'),
    ifNoneMatch: header(c, 'if-none-match'),
  });
  const headers: Record<string, string> = sseHeader(r.upload);
  if (getBucket(c.deps.store, bucketName).versioning !== '') headers['x-amz-version-id'] = r.versionId;
  const result: Record<string, string> = { Location: locationOf(c, bucketName, key), Bucket: bucketName, Key: key, ETag: `"${r.etag}"` };
  if (r.checksum) {
    result[`Checksum${r.checksum.algorithm}`] = r.checksum.value;
    result.ChecksumType = r.checksum.type;
  }
  sendXml(c, renderXml('CompleteMultipartUploadResult', result), 200, headers);
}

function abortHandler(c: S3Ctx): void {
  abortUpload(c.deps.store, bucketOf(c), keyOf(c), uploadIdOf(c));
  send(c, 204, null);
}

/** A non-negative int32 query parameter; above `cap` it is capped (S3 returns at most 1000 entries). */
function countParam(c: S3Ctx, name: string, fallback: number, cap = MAX_INT32): number {
  const raw = c.query.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > MAX_INT32) {
    throw new S3Error('InvalidArgument', `Argument ${name} must be an integer between 0 and ${MAX_INT32}`, { ArgumentName: name, ArgumentValue: raw });
  }
  return Math.min(n, cap);
}

/** Initiator: the account itself for a root user (as Owner), else the principal's ARN. */
function initiatorOf(c: S3Ctx, upload: Upload): XmlObject {
  if (upload.initiator.endsWith(':root')) return { ID: ownerIdOf(c, upload.owner), DisplayName: ownerNameOf(c, upload.owner) };
  return { ID: upload.initiator, DisplayName: upload.initiator.slice(upload.initiator.lastIndexOf('/') + 1) };
}

function ownerOf(c: S3Ctx, upload: Upload): XmlObject {
  return { ID: ownerIdOf(c, upload.owner), DisplayName: ownerNameOf(c, upload.owner) };
}

function listPartsHandler(c: S3Ctx): void {
  const maxParts = countParam(c, 'max-parts', MAX_LIST, MAX_LIST);
  const marker = countParam(c, 'part-number-marker', 0);
  const r = listParts(c.deps.store, { bucket: bucketOf(c), key: keyOf(c), uploadId: uploadIdOf(c), marker, maxParts });
  const u = r.upload;
  const last = r.parts[r.parts.length - 1];
  sendXml(
    c,
    renderXml('ListPartsResult', {
      Bucket: u.bucket,
      Key: u.key,
      UploadId: u.uploadId,
      PartNumberMarker: marker,
      NextPartNumberMarker: last?.partNumber ?? marker,
      MaxParts: maxParts,
      IsTruncated: r.isTruncated,
      Part: r.parts.map((p) => ({
        PartNumber: p.partNumber,
        LastModified: isoDate(p.lastModified),
        ETag: `"${p.etag}"`,
        Size: p.size,
        ...(p.checksum ? { [`Checksum${p.checksum.algorithm}`]: p.checksum.value } : {}),
      })),
      Initiator: initiatorOf(c, u),
      Owner: ownerOf(c, u),
      StorageClass: u.storageClass,
      ChecksumAlgorithm: u.checksumAlgorithm,
      ChecksumType: u.checksumType,
    }),
  );
}

/**
 * encoding-type=url: S3 encodes as application/x-www-form-urlencoded (space → '+', only
 * A-Z a-z 0-9 . - _ * kept), except that '/' stays as it is.
 */
function urlEncoder(c: S3Ctx): (s: string) => string {
  const e = c.query.get('encoding-type');
  if (e === null) return (s) => s;
  if (e !== 'url') throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: e });
  return (s) =>
    encodeURIComponent(s)
      .replace(/%2F/g, '/')
      .replace(/%20/g, '+')
      .replace(/[!'()~]/g, (ch) => '%' + ch.charCodeAt(0).toString(16).toUpperCase());
}

function listUploadsHandler(c: S3Ctx): void {
  const bucket = bucketOf(c);
  const maxUploads = countParam(c, 'max-uploads', MAX_LIST, MAX_LIST);
  const enc = urlEncoder(c);
  const prefix = c.query.get('prefix') ?? '';
  const delimiter = c.query.get('delimiter') ?? '';
  const keyMarker = c.query.get('key-marker') ?? '';
  // S3 ignores an upload-id marker that comes without a key marker.
  const uploadIdMarker = keyMarker !== '' ? (c.query.get('upload-id-marker') ?? '') : '';
  const r = listUploads(c.deps.store, { bucket, prefix, delimiter, keyMarker, uploadIdMarker, maxUploads });
  sendXml(
    c,
    renderXml('ListMultipartUploadsResult', {
      Bucket: bucket,
      KeyMarker: enc(keyMarker),
      UploadIdMarker: uploadIdMarker,
      NextKeyMarker: enc(r.nextKeyMarker),
      NextUploadIdMarker: r.nextUploadIdMarker,
      Delimiter: delimiter !== '' ? enc(delimiter) : undefined,
      Prefix: enc(prefix),
      EncodingType: c.query.get('encoding-type') ?? undefined,
      MaxUploads: maxUploads,
      IsTruncated: r.isTruncated,
      Upload: r.uploads.map((u) => ({
        Key: enc(u.key),
        UploadId: u.uploadId,
        Initiator: initiatorOf(c, u),
        Owner: ownerOf(c, u),
        StorageClass: u.storageClass,
        Initiated: isoDate(u.initiated),
        ChecksumAlgorithm: u.checksumAlgorithm,
        ChecksumType: u.checksumType,
      })),
      CommonPrefixes: r.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
    }),
  );
}

export const multipartHandlers: S3Handlers = {
  CreateMultipartUpload: createHandler,
  UploadPart: uploadPartHandler,
  UploadPartCopy: uploadPartCopyHandler,
  CompleteMultipartUpload: completeHandler,
  AbortMultipartUpload: abortHandler,
  ListParts: listPartsHandler,
  ListMultipartUploads: listUploadsHandler,
};
