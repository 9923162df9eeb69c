/**
 * Get/Put/Delete/ListBucketInventoryConfiguration(s). Configurations are stored one per id (up to
 * 1,000 a bucket) and validated as S3 validates them: the schema's elements and enums
 * (MalformedXML), the document's Id equal to the `id` parameter (IdMismatch), the destination an
 * `arn:aws:s3:::<bucket>` (InvalidS3DestinationBucket), as LocalStack recorded S3 answering.
 * Producing the inventory reports themselves is a later step; it reads `InventoryConfiguration`.
 */
import { S3Error } from '../../errors.js';
import {
  BucketConfigKind,
  IncludedObjectVersions,
  InventoryFormat,
  InventoryFrequency,
  InventoryOptionalField,
  MAX_INVENTORY_CONFIGURATIONS,
  type InventoryConfiguration,
  type InventoryDestination,
} from '../../store/bucket-configs.js';
import { deleteBucketConfig, getBucket, getBucketConfig, listBucketConfigs, putBucketConfig } from '../../store/buckets.js';
import { send, sendXml } from '../request.js';
import { parseXml, renderXml, xmlChild, xmlList, xmlText, type ParsedXml, type XmlObject } from '../xml.js';
import { assertElements, malformed, oneOf, parseBoolean, requiredChild, requiredText } from './bucket-config-common.js';
import { readVerifiedBody } from './object-headers.js';
import { bucketOf, type S3Ctx, type S3Handlers } from './context.js';

/** ListBucketInventoryConfigurations returns up to 100 configurations a page, as AWS documents. */
const PAGE_SIZE = 100;
const MAX_BODY = 64 * 1024;

function idParam(c: S3Ctx): string {
  const id = c.query.get('id');
  if (id === null || id === '') throw new S3Error('InvalidArgument', 'Missing required parameter id', { ArgumentName: 'id', ArgumentValue: id ?? '' });
  return id;
}

function parseDestination(dest: ParsedXml): InventoryDestination {
  assertElements(dest, ['S3BucketDestination'], 'Destination');
  const s3 = requiredChild(dest, 'S3BucketDestination', 'Destination');
  const where = 'Destination/S3BucketDestination';
  assertElements(s3, ['AccountId', 'Bucket', 'Format', 'Prefix', 'Encryption'], where);
  const bucket = requiredText(s3, 'Bucket', where);
  const format = oneOf(requiredText(s3, 'Format', where), Object.values(InventoryFormat), `${where}/Format`);
  const out: { -readonly [K in keyof InventoryDestination]: InventoryDestination[K] } = { bucket, format };
  const accountId = xmlText(s3, 'AccountId');
  if (accountId !== undefined) out.accountId = accountId;
  const prefix = xmlText(s3, 'Prefix');
  if (prefix !== undefined) out.prefix = prefix;
  const enc = xmlChild(s3, 'Encryption');
  if (enc) {
    assertElements(enc, ['SSE-S3', 'SSE-KMS'], `${where}/Encryption`);
    const sseS3 = xmlChild(enc, 'SSE-S3');
    const sseKms = xmlChild(enc, 'SSE-KMS');
    if ((sseS3 === undefined) === (sseKms === undefined)) throw malformed(`${where}/Encryption must hold one of SSE-S3 or SSE-KMS`);
    if (sseS3) {
      assertElements(sseS3, [], `${where}/Encryption/SSE-S3`);
      out.encryption = { kind: 'SSE-S3' };
    } else {
      assertElements(sseKms!, ['KeyId'], `${where}/Encryption/SSE-KMS`);
      out.encryption = { kind: 'SSE-KMS', keyId: requiredText(sseKms, 'KeyId', `${where}/Encryption/SSE-KMS`) };
    }
  }
  return out;
}

/** Parses and validates an <InventoryConfiguration> sent with `?inventory&id=<id>`. */
export function parseInventoryConfiguration(text: string, id: string): InventoryConfiguration {
  const doc = parseXml(text, 'InventoryConfiguration');
  const where = 'InventoryConfiguration';
  assertElements(doc, ['Destination', 'IsEnabled', 'Filter', 'Id', 'IncludedObjectVersions', 'OptionalFields', 'Schedule'], where);
  const destination = parseDestination(requiredChild(doc, 'Destination', where));
  const isEnabled = parseBoolean(requiredText(doc, 'IsEnabled', where), `${where}/IsEnabled`);
  const docId = requiredText(doc, 'Id', where);
  const includedObjectVersions = oneOf(requiredText(doc, 'IncludedObjectVersions', where), Object.values(IncludedObjectVersions), `${where}/IncludedObjectVersions`);
  const schedule = requiredChild(doc, 'Schedule', where);
  assertElements(schedule, ['Frequency'], `${where}/Schedule`);
  const frequency = oneOf(requiredText(schedule, 'Frequency', `${where}/Schedule`), Object.values(InventoryFrequency), `${where}/Schedule/Frequency`);
  const out: { -readonly [K in keyof InventoryConfiguration]: InventoryConfiguration[K] } = { id: docId, isEnabled, destination, includedObjectVersions, frequency };
  const filter = xmlChild(doc, 'Filter');
  if (filter) {
    assertElements(filter, ['Prefix'], `${where}/Filter`);
    out.filterPrefix = requiredText(filter, 'Prefix', `${where}/Filter`);
  }
  if ('OptionalFields' in doc) {
    const fields = xmlChild(doc, 'OptionalFields')!;
    assertElements(fields, ['Field'], `${where}/OptionalFields`);
    if (fields.Field === '') throw malformed(`${where}/OptionalFields/Field must not be empty`);
    out.optionalFields = xmlList(fields.Field).map((f) => {
      if (typeof f !== 'string') throw malformed(`${where}/OptionalFields/Field must hold text`);
      return oneOf(f, Object.values(InventoryOptionalField), `${where}/OptionalFields/Field`);
    });
  }
  // After the schema, the Id, then the destination, as S3 checks them.
  if (docId !== id) throw new S3Error('IdMismatch', 'Document ID does not match the specified configuration ID.');
  const m = /^arn:aws:s3:::([^/:]+)$/.exec(destination.bucket);
  if (!m) throw new S3Error('InvalidS3DestinationBucket', 'Invalid bucket ARN.');
  return out;
}

/** Element order of AWS's GetBucketInventoryConfiguration example. */
function inventoryXml(cfg: InventoryConfiguration): XmlObject {
  const d = cfg.destination;
  return {
    Id: cfg.id,
    IsEnabled: cfg.isEnabled ? 'true' : 'false',
    Filter: cfg.filterPrefix !== undefined ? { Prefix: cfg.filterPrefix } : undefined,
    Destination: {
      S3BucketDestination: {
        Format: d.format,
        AccountId: d.accountId,
        Bucket: d.bucket,
        Prefix: d.prefix,
        Encryption: d.encryption ? (d.encryption.kind === 'SSE-S3' ? { 'SSE-S3': {} } : { 'SSE-KMS': { KeyId: d.encryption.keyId } }) : undefined,
      },
    },
    Schedule: { Frequency: cfg.frequency },
    IncludedObjectVersions: cfg.includedObjectVersions,
    OptionalFields: cfg.optionalFields ? { Field: cfg.optionalFields } : undefined,
  };
}

async function putInventoryHandler(c: S3Ctx): Promise<void> {
  const bucket = bucketOf(c);
  getBucket(c.deps.store, bucket);
  const id = idParam(c);
  const cfg = parseInventoryConfiguration(await readVerifiedBody(c, MAX_BODY), id);
  c.authorize({ inventoryOptionalFields: cfg.optionalFields ?? [] });
  const store = c.deps.store;
  if (!getBucketConfig(store, bucket, BucketConfigKind.Inventory, id) && listBucketConfigs(store, bucket, BucketConfigKind.Inventory).length >= MAX_INVENTORY_CONFIGURATIONS) {
    throw new S3Error('TooManyConfigurations');
  }
  putBucketConfig(store, bucket, BucketConfigKind.Inventory, cfg, id);
  // AWS documents 200 here, but answers 204 (OpenStack Swift's cross-compatibility tests against S3).
  send(c, 204, null);
}

function getInventoryHandler(c: S3Ctx): void {
  const bucket = bucketOf(c);
  getBucket(c.deps.store, bucket);
  const cfg = getBucketConfig<InventoryConfiguration>(c.deps.store, bucket, BucketConfigKind.Inventory, idParam(c));
  if (!cfg) throw new S3Error('NoSuchConfiguration');
  sendXml(c, renderXml('InventoryConfiguration', inventoryXml(cfg)));
}

function deleteInventoryHandler(c: S3Ctx): void {
  const bucket = bucketOf(c);
  if (!deleteBucketConfig(c.deps.store, bucket, BucketConfigKind.Inventory, idParam(c))) throw new S3Error('NoSuchConfiguration');
  send(c, 204, null);
}

/** Continuation tokens are opaque to clients: the last id of the previous page, base64url. */
function decodeToken(token: string): string {
  const id = Buffer.from(token, 'base64url').toString('utf8');
  if (token === '' || Buffer.from(id, 'utf8').toString('base64url') !== token) {
    throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token', ArgumentValue: token });
  }
  return id;
}

function listInventoryHandler(c: S3Ctx): void {
  const bucket = bucketOf(c);
  getBucket(c.deps.store, bucket);
  const token = c.query.get('continuation-token');
  const after = token !== null ? decodeToken(token) : undefined;
  // Ids sort as SQLite's BINARY collation sorts them: by their UTF-8 bytes.
  const afterBytes = after !== undefined ? Buffer.from(after, 'utf8') : undefined;
  const all = listBucketConfigs<InventoryConfiguration>(c.deps.store, bucket, BucketConfigKind.Inventory).filter(
    (e) => afterBytes === undefined || Buffer.compare(Buffer.from(e.id, 'utf8'), afterBytes) > 0,
  );
  const page = all.slice(0, PAGE_SIZE);
  const truncated = all.length > PAGE_SIZE;
  sendXml(
    c,
    renderXml('ListInventoryConfigurationsResult', {
      ContinuationToken: token ?? undefined,
      InventoryConfiguration: page.map((e) => inventoryXml(e.value)),
      IsTruncated: truncated ? 'true' : 'false',
      NextContinuationToken: truncated ? Buffer.from(page[page.length - 1]!.id, 'utf8').toString('base64url') : undefined,
    }),
  );
}

export const bucketInventoryHandlers: S3Handlers = {
  PutBucketInventoryConfiguration: putInventoryHandler,
  GetBucketInventoryConfiguration: getInventoryHandler,
  DeleteBucketInventoryConfiguration: deleteInventoryHandler,
  ListBucketInventoryConfigurations: listInventoryHandler,
};
