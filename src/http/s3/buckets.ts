/**
 * Bucket handlers: ListBuckets, CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation,
 * Get/PutBucketVersioning.
 */
import { S3Error } from '../../errors.js';
import { createBucket, deleteBucket, getBucket, listBuckets, setBucketVersioning } from '../../store/buckets.js';
import { header, send, sendXml } from '../request.js';
import { isoDate, parseXml, renderXml, xmlText } from '../xml.js';
import { aclFromHeaders } from './acl.js';
import { bucketOf, ownerIdOf, ownerNameOf, type S3Ctx, type S3Handlers } from './context.js';
import { readVerifiedBody } from './object-headers.js';

function listBucketsHandler(c: S3Ctx): void {
  const prefix = c.query.get('prefix') ?? '';
  const region = c.query.get('bucket-region');
  const after = c.query.get('continuation-token') ?? '';
  const maxRaw = c.query.get('max-buckets');
  const max = maxRaw === null ? 10000 : Number(maxRaw);
  if (!Number.isInteger(max) || max < 1 || max > 10000) throw new S3Error('InvalidArgument', 'max-buckets must be an integer from 1 to 10000', { ArgumentName: 'max-buckets', ArgumentValue: maxRaw ?? '' });
  const all = listBuckets(c.deps.store, c.principal.accountId).filter((b) => b.name.startsWith(prefix) && (region === null || b.region === region) && b.name > after);
  const page = all.slice(0, max);
  sendXml(
    c,
    renderXml('ListAllMyBucketsResult', {
      Owner: { ID: ownerIdOf(c), DisplayName: ownerNameOf(c) },
      Buckets: { Bucket: page.map((b) => ({ Name: b.name, CreationDate: isoDate(b.createdAt), BucketRegion: b.region })) },
      ContinuationToken: all.length > max ? page[page.length - 1]!.name : undefined,
      Prefix: c.query.has('prefix') ? prefix : undefined,
    }),
  );
}

async function createBucketHandler(c: S3Ctx): Promise<void> {
  const name = bucketOf(c);
  const text = await readVerifiedBody(c, 64 * 1024);
  let region = c.deps.config.region;
  if (text.trim() !== '') {
    const doc = parseXml(text, 'CreateBucketConfiguration');
    const lc = xmlText(doc, 'LocationConstraint');
    if (lc !== undefined && lc !== '') {
      if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(lc) && lc !== 'EU') throw new S3Error('InvalidLocationConstraint', 'The specified location-constraint is not valid', { LocationConstraint: lc });
      region = lc === 'EU' ? 'eu-west-1' : lc;
    }
  }
  const lock = (header(c, 'x-amz-bucket-object-lock-enabled') ?? '').toLowerCase() === 'true';
  const owner = ownerIdOf(c);
  c.authorize({ locationConstraint: region });
  createBucket(c.deps.store, { name, owner: c.principal.accountId, region, objectLock: lock, acl: aclFromHeaders(c, owner, owner) });
  send(c, 200, null, { location: `/${name}`, 'content-length': 0 });
}

function deleteBucketHandler(c: S3Ctx): void {
  deleteBucket(c.deps.store, bucketOf(c));
  send(c, 204, null);
}

function headBucketHandler(c: S3Ctx): void {
  const b = getBucket(c.deps.store, bucketOf(c));
  send(c, 200, null, { 'x-amz-bucket-region': b.region, 'x-amz-access-point-alias': 'false', 'content-length': 0 });
}

function getBucketLocationHandler(c: S3Ctx): void {
  const b = getBucket(c.deps.store, bucketOf(c));
  // us-east-1 is the empty LocationConstraint, as AWS answers.
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${b.region === 'us-east-1' ? '' : b.region}</LocationConstraint>`;
  sendXml(c, body);
}

function getBucketVersioningHandler(c: S3Ctx): void {
  const b = getBucket(c.deps.store, bucketOf(c));
  sendXml(c, renderXml('VersioningConfiguration', { Status: b.versioning === '' ? undefined : b.versioning }));
}

async function putBucketVersioningHandler(c: S3Ctx): Promise<void> {
  const bucket = bucketOf(c);
  const doc = parseXml(await readVerifiedBody(c, 64 * 1024), 'VersioningConfiguration');
  const status = xmlText(doc, 'Status');
  const mfa = xmlText(doc, 'MfaDelete');
  if (status !== 'Enabled' && status !== 'Suspended') {
    throw new S3Error('IllegalVersioningConfigurationException', 'The Versioning element must be specified as Enabled or Suspended');
  }
  if (mfa === 'Enabled') throw new S3Error('NotImplemented', 'MFA Delete is not supported by s3batch.');
  if (mfa !== undefined && mfa !== 'Disabled') throw new S3Error('IllegalVersioningConfigurationException', 'The MfaDelete element must be Enabled or Disabled');
  setBucketVersioning(c.deps.store, bucket, status);
  send(c, 200, null, { 'content-length': 0 });
}

export const bucketHandlers: S3Handlers = {
  ListBuckets: listBucketsHandler,
  CreateBucket: createBucketHandler,
  DeleteBucket: deleteBucketHandler,
  HeadBucket: headBucketHandler,
  GetBucketLocation: getBucketLocationHandler,
  GetBucketVersioning: getBucketVersioningHandler,
  PutBucketVersioning: putBucketVersioningHandler,
};
