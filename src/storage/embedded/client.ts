/**
 * The embedded StorageClient: in-process calls into src/store/, each authorized for the acting
 * principal (a job's role session) with the decision the S3 front would make for the same request
 * (auth/object-access.ts). Writes go through the store's group commit (`commitBatched`), so the
 * hundreds of tasks a job has in flight share one SQLite transaction per turn of the event loop
 * instead of paying a commit each; tag and ACL writes use store/batch.ts, which authorizes against
 * the row it updates and needs no savepoint.
 */
import { S3Error } from '../../errors.js';
import { authorizeOperation, operationAuthorizer, type ObjectAccessDeps, type ObjectFacts, type OperationRequest } from '../../auth/object-access.js';
import type { Principal } from '../../auth/credentials.js';
import type { CatalogOperation } from '../../auth/s3-catalog.js';
import { copyMany, setAclChecked } from '../../store/batch.js';
import { enqueueTagWrite, tagWriteMany } from './tag-batcher.js';
import { findBucket, getBucket } from '../../store/buckets.js';
import { checkExpectedBucketOwner } from '../../store/expected-owner.js';
import { parseChecksumAlgorithm } from '../../store/checksums.js';
import { commitBatched, commitBatchedRerunnable } from '../../store/context.js';
import { listObjects as storeListObjects, listObjectVersions } from '../../store/listing.js';
import { getAddressedVersion, putObjectLegalHold, putObjectRetention, restoreObject } from '../../store/object-attrs.js';
import {
  assertReadable, copyObjectIn, copyWithChecksum, deleteObject as storeDeleteObject, getVersion, putObject as storePutObject, readVersion, type CopyObjectInput as StoreCopyInput,
} from '../../store/objects.js';
import { MAX_OBJECT_TAGS, validateTags } from '../../store/tags.js';
import { StorageClass, type Acl, type ObjectHeaders, type ObjectVersion } from '../../store/types.js';
import type {
  AclInput, BucketCallOptions, CopyObjectInput, CopyResult, DeleteResult, GetObjectOptions, ListedObject, ListInput, ObjectBody, ObjectHead, ObjectMetadata, ObjectRef,
  PutObjectInput, RestoreInput, Retention, StorageClient, Tag, WriteResult,
} from '../storage-client.js';
import { aclHeaders, toStoreAcl } from './acl.js';

const MAX_USER_METADATA = 2048; // bytes of x-amz-meta-* names + values, as AWS counts them

function versionIdOf(ctx: ObjectAccessDeps['store'], bucket: string, versionId: string): string | undefined {
  return getBucket(ctx, bucket).versioning !== '' ? versionId : undefined;
}

export function toObjectHead(v: ObjectVersion, versioned: boolean, now: number): ObjectHead {
  const h = v.headers;
  return {
    bucket: v.bucket,
    key: v.key,
    versionId: versioned ? v.versionId : undefined,
    size: v.size,
    etag: v.etag,
    lastModified: v.lastModified,
    storageClass: v.storageClass,
    metadata: {
      contentType: h.contentType,
      contentEncoding: h.contentEncoding,
      contentDisposition: h.contentDisposition,
      contentLanguage: h.contentLanguage,
      cacheControl: h.cacheControl,
      expires: h.expires,
      websiteRedirectLocation: h.websiteRedirectLocation,
      userMetadata: h.meta,
    },
    serverSideEncryption: h.serverSideEncryption ?? 'AES256',
    checksum: v.checksum ?? undefined,
    partsCount: v.parts?.length,
    lockMode: v.lockMode ?? undefined,
    lockUntil: v.lockUntil ?? undefined,
    legalHold: v.legalHold,
    replicationStatus: v.replicationStatus ?? undefined,
    tagCount: v.tags.length,
    restore: v.restore ? { ongoing: v.restore.readyAt > now, expiresAt: v.restore.readyAt > now ? undefined : v.restore.expiresAt } : undefined,
  };
}

function toObjectHeaders(m: ObjectMetadata, sse: string | undefined, redirect: string | undefined): ObjectHeaders {
  let size = 0;
  for (const [k, v] of Object.entries(m.userMetadata)) size += Buffer.byteLength(k) + Buffer.byteLength(v);
  if (size > MAX_USER_METADATA) throw new S3Error('MetadataTooLarge', undefined, { Size: size, MaxSizeAllowed: MAX_USER_METADATA });
  return {
    contentType: m.contentType,
    contentEncoding: m.contentEncoding,
    contentDisposition: m.contentDisposition,
    contentLanguage: m.contentLanguage,
    cacheControl: m.cacheControl,
    expires: m.expires,
    websiteRedirectLocation: redirect ?? m.websiteRedirectLocation,
    serverSideEncryption: sse,
    meta: Object.fromEntries(Object.entries(m.userMetadata).map(([k, v]) => [k.toLowerCase(), v])),
  };
}

const NO_TAGS: readonly Tag[] = Object.freeze([]);
/** Tag sets already validated: a job sends the same array with every task. */
const validTagSets = new WeakSet<readonly Tag[]>();

function validateTagsOnce(tags: readonly Tag[]): void {
  if (validTagSets.has(tags)) return;
  validateTags(tags, MAX_OBJECT_TAGS);
  validTagSets.add(tags);
}

function tagHeader(tags: readonly Tag[]): string {
  return tags.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

/** The headers a CopyObject with `input` would carry on the wire (for authorization's condition keys). */
/** A CopyObject request but for its source and target key: what a batch of copies shares. */
type CopyTemplate = Omit<CopyObjectInput, 'source' | 'key' | 'signal'>;

function copyHeaders(input: CopyTemplate): Record<string, string> {
  const headers: Record<string, string> = { ...aclHeaders(input.acl) };
  if (input.metadataDirective) headers['x-amz-metadata-directive'] = input.metadataDirective;
  if (input.tags !== undefined) {
    validateTagsOnce(input.tags);
    headers['x-amz-tagging-directive'] = 'REPLACE';
    headers['x-amz-tagging'] = tagHeader(input.tags);
  }
  if (input.storageClass) headers['x-amz-storage-class'] = input.storageClass;
  if (input.serverSideEncryption) headers['x-amz-server-side-encryption'] = input.serverSideEncryption;
  if (input.kmsKeyId) headers['x-amz-server-side-encryption-aws-kms-key-id'] = input.kmsKeyId;
  if (input.websiteRedirectLocation) headers['x-amz-website-redirect-location'] = input.websiteRedirectLocation;
  if (input.lockMode) headers['x-amz-object-lock-mode'] = input.lockMode;
  if (input.lockUntil !== undefined) headers['x-amz-object-lock-retain-until-date'] = new Date(input.lockUntil).toISOString();
  if (input.legalHold !== undefined) headers['x-amz-object-lock-legal-hold'] = input.legalHold ? 'ON' : 'OFF';
  return headers;
}

/** What a CopyObject request refuses before looking at its source: storage class, Object Lock settings. */
function checkCopy(input: CopyTemplate, dst: { objectLock: boolean }, now: number): void {
  if (input.storageClass !== undefined && (!(input.storageClass in StorageClass) || ['OUTPOSTS', 'SNOW', 'EXPRESS_ONEZONE'].includes(input.storageClass))) {
    throw new S3Error('InvalidStorageClass', undefined, { StorageClassRequested: input.storageClass });
  }
  const locks = input.lockMode !== undefined || input.lockUntil !== undefined || input.legalHold !== undefined;
  if (locks && !dst.objectLock) throw new S3Error('InvalidRequest', 'Bucket is missing Object Lock Configuration');
  if ((input.lockMode === undefined) !== (input.lockUntil === undefined)) {
    throw new S3Error('InvalidArgument', 'x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied');
  }
  if (input.lockUntil !== undefined && input.lockUntil <= now) throw new S3Error('InvalidArgument', 'The retain until date must be in the future!');
}

/**
 * What a copy asks of the store but for its source, target key and storage class. `headers`: the
 * new metadata (the store keeps the source's under COPY); `checksum`: a checksum was asked for,
 * which makes copying an object onto itself legal.
 */
function toStoreCopy(input: CopyTemplate, owner: string, headers: ObjectHeaders, acl: Acl | null, checksum: boolean): Omit<StoreCopyInput, 'srcBucket' | 'srcKey' | 'srcVersionId' | 'key' | 'storageClass'> {
  const replace = input.metadataDirective === 'REPLACE';
  return {
    bucket: input.bucket,
    conditions: {
      ifModifiedSince: input.modifiedSince !== undefined ? new Date(input.modifiedSince).toUTCString() : undefined,
      ifUnmodifiedSince: input.unmodifiedSince !== undefined ? new Date(input.unmodifiedSince).toUTCString() : undefined,
    },
    changesSomething: replace || input.storageClass !== undefined || input.websiteRedirectLocation !== undefined || input.serverSideEncryption !== undefined || checksum,
    metadataDirective: replace ? 'REPLACE' : 'COPY',
    taggingDirective: input.tags !== undefined ? 'REPLACE' : 'COPY',
    owner,
    headers,
    tags: input.tags ?? [],
    acl,
    lockMode: input.lockMode ?? null,
    lockUntil: input.lockUntil ?? null,
    legalHold: input.legalHold,
  };
}

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  if (b.length > 0) yield b;
}

function aborted(signal: AbortSignal | undefined): void {
  signal?.throwIfAborted();
}

/** A StorageClient acting as `principal` on the embedded store. */
export function createEmbeddedStorage(deps: ObjectAccessDeps, principal: Principal): StorageClient {
  const ctx = deps.store;

  function authorized(op: CatalogOperation, r: OperationRequest, version?: ObjectVersion | null): void {
    const denied = authorizeOperation(deps, principal, op, r, ctx.now(), version);
    if (denied) throw denied;
  }

  /** Authorization for store/batch.ts: decides against the row the write is about to change. */
  const checkFor = (op: CatalogOperation, r: OperationRequest) => (v: ObjectFacts | null): S3Error | undefined => authorizeOperation(deps, principal, op, r, ctx.now(), v);

  function readHead(ref: ObjectRef, op: 'HeadObject' | 'GetObject'): ObjectVersion {
    authorized(op, ref);
    return getVersion(ctx, ref.bucket, ref.key, ref.versionId);
  }

  const client: StorageClient = {
    description: 'embedded',

    batch: {
      async copyObjects(template, items, signal): Promise<(CopyResult | S3Error)[]> {
        aborted(signal);
        const one = (it: { source: ObjectRef; key: string }): Promise<CopyResult | S3Error> =>
          client.copyObject({ ...template, source: it.source, key: it.key, signal }).catch((e: unknown) => {
            if (e instanceof S3Error) return e;
            throw e;
          });
        const replace = template.metadataDirective === 'REPLACE';
        // Per-object work (a checksum to compute; SSE or a redirect over copied metadata) takes the per-object path.
        if (template.checksumAlgorithm !== undefined || (!replace && (template.serverSideEncryption !== undefined || template.websiteRedirectLocation !== undefined))) {
          return Promise.all(items.map(one));
        }
        const headers = copyHeaders(template);
        const dst = findBucket(ctx, template.bucket);
        try {
          if (dst) checkCopy(template, dst, ctx.now());
        } catch (e) {
          if (!(e instanceof S3Error)) throw e;
          return items.map(() => e);
        }
        const acl = template.acl && dst ? toStoreAcl(deps.credentials, template.acl, principal.accountId, dst.owner) : null;
        const headersOut = replace ? toObjectHeaders(template.metadata ?? { userMetadata: {} }, template.serverSideEncryption, template.websiteRedirectLocation) : { meta: {} };
        const input = { ...toStoreCopy(template, principal.accountId, headersOut, acl, false), storageClass: template.storageClass as StorageClass | undefined };
        // The target's own tags and ACL matter only to the permissions a tag set or an ACL adds.
        const targetFacts = template.tags !== undefined || template.acl !== undefined;
        const bySource = new Map<string, number[]>();
        items.forEach((it, i) => {
          let l = bySource.get(it.source.bucket);
          if (!l) bySource.set(it.source.bucket, (l = []));
          l.push(i);
        });
        const out: (CopyResult | S3Error)[] = new Array(items.length);
        await Promise.all(
          [...bySource].map(async ([srcBucket, idx]) => {
            const authorize = operationAuthorizer(deps, principal, 'CopyObject', { bucket: template.bucket, headers, copySourceBucket: srcBucket });
            const list = idx.map((i) => items[i]!);
            const results = await commitBatched(ctx, () => {
              const decide = authorize.at(ctx.now());
              const facts = (key: string): ObjectFacts | null => {
                if (!targetFacts) return null;
                try {
                  return getVersion(ctx, template.bucket, key);
                } catch {
                  return null;
                }
              };
              return copyMany(
                ctx,
                list.map((it) => ({ srcBucket, srcKey: it.source.key, srcVersionId: it.source.versionId, key: it.key })),
                input,
                (j, src) => decide({ key: list[j]!.key, facts: facts(list[j]!.key) }, { key: list[j]!.source.key, versionId: list[j]!.source.versionId, facts: src }),
              );
            });
            const dstVersioned = dst !== undefined && dst.versioning !== '';
            const srcVersioned = getBucket(ctx, srcBucket).versioning !== '';
            idx.forEach((i, j) => {
              const r = results[j]!;
              out[i] = r instanceof S3Error ? r : { etag: r.etag, versionId: dstVersioned ? r.versionId : undefined, sourceVersionId: srcVersioned ? r.srcVersionId : undefined };
            });
          }),
        );
        return out;
      },

      async putObjectTagging(refs, tags, method, signal) {
        aborted(signal);
        if (method === 'PUT') validateTagsOnce(tags);
        const outs = await tagWriteMany(deps, principal, refs, method === 'PUT' ? tags : NO_TAGS, method);
        const versioned = new Map<string, boolean>();
        return outs.map((o, i) => {
          if (typeof o !== 'string') return o;
          const b = refs[i]!.bucket;
          let v = versioned.get(b);
          if (v === undefined) versioned.set(b, (v = getBucket(ctx, b).versioning !== ''));
          return v ? o : undefined;
        });
      },
    },

    async headObject(ref, signal) {
      aborted(signal);
      const v = readHead(ref, 'HeadObject');
      return toObjectHead(v, getBucket(ctx, ref.bucket).versioning !== '', ctx.now());
    },

    async getObject(ref, opts: GetObjectOptions = {}): Promise<ObjectBody> {
      aborted(opts.signal);
      const v = readHead(ref, 'GetObject');
      assertReadable(ctx, v);
      let start = 0;
      let end = v.size - 1;
      if (opts.partNumber !== undefined && v.parts) {
        const n = opts.partNumber;
        if (n < 1 || n > v.parts.length) throw new S3Error('InvalidPartNumber', undefined, { PartNumberRequested: n, ActualPartCount: v.parts.length });
        for (let i = 0; i < n - 1; i++) start += v.parts[i]!.size;
        end = start + v.parts[n - 1]!.size - 1;
      } else if (opts.range) {
        if (opts.range.start >= v.size && v.size > 0) throw new S3Error('InvalidRange', undefined, { ActualObjectSize: v.size });
        start = opts.range.start;
        end = Math.min(opts.range.end, v.size - 1);
      }
      const data = readVersion(ctx, v, start, end);
      const head = toObjectHead(v, getBucket(ctx, ref.bucket).versioning !== '', ctx.now());
      return { head, body: Buffer.isBuffer(data) ? once(data) : (data as AsyncIterable<Buffer>) };
    },

    async putObject(input: PutObjectInput): Promise<WriteResult> {
      aborted(input.signal);
      checkExpectedBucketOwner(ctx, input.bucket, input.expectedBucketOwner);
      const headers: Record<string, string> = input.serverSideEncryption ? { 'x-amz-server-side-encryption': input.serverSideEncryption } : {};
      authorized('PutObject', { bucket: input.bucket, key: input.key, headers });
      const body = typeof input.body === 'string' ? Buffer.from(input.body) : input.body;
      const bucket = getBucket(ctx, input.bucket);
      const r = await storePutObject(ctx, {
        bucket: input.bucket,
        key: input.key,
        body: once(body),
        owner: principal.accountId,
        headers: { contentType: input.contentType, serverSideEncryption: input.serverSideEncryption, meta: {} },
        storageClass: 'STANDARD',
        tags: [],
        acl: null,
        contentMd5: input.contentMd5,
        signal: input.signal,
      });
      return { etag: r.etag, versionId: bucket.versioning !== '' ? r.versionId : undefined };
    },

    async copyObject(input: CopyObjectInput): Promise<CopyResult> {
      aborted(input.signal);
      const headers = copyHeaders(input);
      // The source is read once: its tags and ACL feed the authorization of s3:GetObject on it.
      let src: ObjectVersion | undefined;
      let srcError: unknown;
      try {
        src = getVersion(ctx, input.source.bucket, input.source.key, input.source.versionId);
      } catch (e) {
        srcError = e;
      }
      const denied = authorizeOperation(deps, principal, 'CopyObject', { bucket: input.bucket, key: input.key, headers, copySource: input.source }, ctx.now(), undefined, src ?? null);
      if (denied) throw denied;
      if (!src) throw srcError;
      const dst = getBucket(ctx, input.bucket);
      checkCopy(input, dst, ctx.now());
      const alg = input.checksumAlgorithm !== undefined ? parseChecksumAlgorithm(input.checksumAlgorithm) : undefined;
      const replace = input.metadataDirective === 'REPLACE';
      const sse = input.serverSideEncryption ?? src.headers.serverSideEncryption;
      const headersOut = replace ? toObjectHeaders(input.metadata ?? { userMetadata: {} }, sse, input.websiteRedirectLocation) : { ...src.headers, serverSideEncryption: sse, websiteRedirectLocation: input.websiteRedirectLocation ?? src.headers.websiteRedirectLocation };
      const storageClass = (input.storageClass ?? (src.storageClass === 'GLACIER' || src.storageClass === 'DEEP_ARCHIVE' ? 'STANDARD' : src.storageClass)) as StorageClass;
      const acl = input.acl ? toStoreAcl(deps.credentials, input.acl, principal.accountId, dst.owner) : null;
      const copy: StoreCopyInput = {
        ...toStoreCopy(input, principal.accountId, headersOut, acl, alg !== undefined),
        srcBucket: input.source.bucket,
        srcKey: input.source.key,
        srcVersionId: input.source.versionId,
        key: input.key,
        storageClass,
      };
      // As the S3 front's CopyObject: a checksum the source lacks is computed from its bytes and
      // committed pinned to the source's ETag, computed again should an overwrite land in between.
      const r = await copyWithChecksum(ctx, input.source, alg, (newChecksum) => commitBatchedRerunnable(ctx, (unlink) => copyObjectIn(ctx, { ...copy, newChecksum }, unlink)), input.signal);
      return { etag: r.etag, versionId: dst.versioning !== '' ? r.versionId : undefined, sourceVersionId: getBucket(ctx, input.source.bucket).versioning !== '' ? r.srcVersionId : undefined };
    },

    async getObjectTagging(ref, signal) {
      aborted(signal);
      authorized('GetObjectTagging', ref);
      return getAddressedVersion(ctx, ref).tags;
    },

    async putObjectTagging(ref, tags, signal) {
      aborted(signal);
      validateTagsOnce(tags);
      const id = await enqueueTagWrite(deps, principal, ref, tags, 'PUT');
      return versionIdOf(ctx, ref.bucket, id);
    },

    async deleteObjectTagging(ref, signal) {
      aborted(signal);
      const id = await enqueueTagWrite(deps, principal, ref, NO_TAGS, 'DELETE');
      return versionIdOf(ctx, ref.bucket, id);
    },

    async putObjectAcl(ref, acl: AclInput, signal) {
      aborted(signal);
      const req: OperationRequest = { ...ref, headers: aclHeaders(acl) };
      const bucket = getBucket(ctx, ref.bucket);
      await commitBatched(ctx, () => setAclChecked(ctx, ref, (owner) => toStoreAcl(deps.credentials, acl, owner, bucket.owner), checkFor('PutObjectAcl', req)));
    },

    async restoreObject(ref, input: RestoreInput, signal) {
      aborted(signal);
      authorized('RestoreObject', ref);
      if (input.days === undefined) {
        // Intelligent-Tiering archive tiers take no Days; the embedded store has none of them.
        const v = getVersion(ctx, ref.bucket, ref.key, ref.versionId);
        throw new S3Error('InvalidObjectState', 'Restore is not allowed for the object\'s current storage class', { StorageClass: v.storageClass });
      }
      const days = input.days;
      const r = await commitBatched(ctx, () => restoreObject(ctx, ref, { days, tier: input.tier }));
      return r.status;
    },

    async putObjectLegalHold(ref, on, signal) {
      aborted(signal);
      authorized('PutObjectLegalHold', { ...ref, body: { legalHold: on ? 'ON' : 'OFF' } });
      await commitBatched(ctx, () => putObjectLegalHold(ctx, ref, on));
    },

    async putObjectRetention(ref, retention: Retention | null, bypassGovernance, signal) {
      aborted(signal);
      const headers: Record<string, string> = bypassGovernance ? { 'x-amz-bypass-governance-retention': 'true' } : {};
      const body = { retention: retention ? { mode: retention.mode, retainUntilDate: new Date(retention.until).toISOString() } : {} };
      authorized('PutObjectRetention', { ...ref, headers, body });
      await commitBatched(ctx, () => putObjectRetention(ctx, ref, retention, bypassGovernance));
    },

    async deleteObject(ref, bypassGovernance, signal): Promise<DeleteResult> {
      aborted(signal);
      const headers: Record<string, string> = bypassGovernance ? { 'x-amz-bypass-governance-retention': 'true' } : {};
      authorized('DeleteObject', { ...ref, headers });
      const r = await commitBatched(ctx, () => storeDeleteObject(ctx, { ...ref, owner: principal.accountId, bypassGovernance }));
      return { versionId: r.versionId, deleteMarker: r.deleteMarker };
    },

    async getBucketLocation(bucket, opts: BucketCallOptions = {}) {
      aborted(opts.signal);
      checkExpectedBucketOwner(ctx, bucket, opts.expectedBucketOwner);
      authorized('GetBucketLocation', { bucket });
      return getBucket(ctx, bucket).region;
    },

    async getObjectLockEnabled(bucket, signal) {
      aborted(signal);
      authorized('GetObjectLockConfiguration', { bucket });
      return getBucket(ctx, bucket).objectLock;
    },

    listObjects(input: ListInput): AsyncIterable<ListedObject> {
      return listAll(input);
    },
  };

  return client;

  async function* listAll(input: ListInput): AsyncGenerator<ListedObject> {
    checkExpectedBucketOwner(ctx, input.bucket, input.expectedBucketOwner);
    authorized(input.versions ? 'ListObjectVersions' : 'ListObjects', { bucket: input.bucket });
    const prefix = input.prefix ?? '';
    const versioned = getBucket(ctx, input.bucket).versioning !== '';
    const toListed = (v: ObjectVersion): ListedObject => ({
      key: v.key,
      versionId: versioned ? v.versionId : undefined,
      isLatest: v.isLatest,
      isDeleteMarker: v.isDeleteMarker,
      size: v.size,
      etag: v.etag,
      lastModified: v.lastModified,
      storageClass: v.storageClass,
      replicationStatus: v.replicationStatus ?? undefined,
    });
    if (!input.versions) {
      let after = '';
      for (;;) {
        aborted(input.signal);
        const page = storeListObjects(ctx, { bucket: input.bucket, prefix, delimiter: '', after, maxKeys: 1000 });
        for (const v of page.objects) yield toListed(v);
        if (!page.isTruncated || page.last === undefined) return;
        after = page.last;
      }
    }
    let keyMarker = '';
    let versionMarker = '';
    for (;;) {
      aborted(input.signal);
      const page = listObjectVersions(ctx, { bucket: input.bucket, prefix, delimiter: '', after: keyMarker, versionIdMarker: versionMarker, maxKeys: 1000 });
      for (const v of page.versions) yield toListed(v);
      if (!page.isTruncated || page.nextKeyMarker === undefined) return;
      keyMarker = page.nextKeyMarker;
      versionMarker = page.nextVersionIdMarker ?? '';
    }
  }
}

