/**
 * The remote StorageClient: the AWS SDK v3 S3 client against any S3-compatible endpoint
 * (path-style addressing, so no DNS set-up is needed), acting as the job's role session:
 * - `assumeRole: true`: the endpoint's STS (AssumeRole of the job's RoleArn with the configured
 *   base credentials) — how it works against AWS, or another s3batch, where the role lives;
 * - otherwise the configured credentials as they are (MinIO, Garage… with one key per server).
 * Authorization is the endpoint's business. Copies of objects over 5 GiB — past CopyObject's
 * limit — switch to multipart UploadPartCopy.
 */
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CopyObjectCommand, CreateMultipartUploadCommand, DeleteObjectCommand,
  DeleteObjectTaggingCommand, GetBucketLocationCommand, GetObjectCommand, GetObjectLockConfigurationCommand, GetObjectTaggingCommand, HeadObjectCommand,
  ListObjectsV2Command, ListObjectVersionsCommand, PutObjectAclCommand, PutObjectCommand, PutObjectLegalHoldCommand,
  PutObjectRetentionCommand, PutObjectTaggingCommand, RestoreObjectCommand, S3Client, UploadPartCopyCommand,
  type CopyObjectCommandInput, type Grant as SdkGrant, type HeadObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { Principal } from '../../auth/credentials.js';
import { S3Error } from '../../errors.js';
import type {
  AclInput, CopyObjectInput, CopyResult, Grant, ListedObject, ListInput, ObjectChecksum, ObjectHead, ObjectRef, StorageClient, Tag,
} from '../storage-client.js';
import { toS3Error } from './errors.js';

export interface RemoteStorageConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** Take the job's role through the endpoint's STS (AssumeRole) rather than use the keys as they are. */
  readonly assumeRole?: boolean;
  /** STS endpoint when it is not the S3 endpoint. */
  readonly stsEndpoint?: string;
  /** Connections per endpoint (default 256: enough for the engine's tasks in flight). */
  readonly maxSockets?: number;
  /** Virtual-host addressing instead of path-style. */
  readonly virtualHosted?: boolean;
  /**
   * Copies of sources larger than this go part by part (UploadPartCopy) from the start, after a
   * HEAD of the source (default: only once CopyObject refuses a source past AWS's 5 GiB). For
   * endpoints with a lower single-copy limit.
   */
  readonly multipartCopyAbove?: number;
  /** Part size of multipart copies (default 512 MiB). */
  readonly copyPartSize?: number;
}

/** AWS's limit for one CopyObject; larger sources are copied part by part. */
export const MAX_COPY_OBJECT = 5 * 1024 ** 3;
/** Part size of multipart copies: 10,000 parts cover 5 TiB (S3's object limit) at 512 MiB. */
export const COPY_PART_SIZE = 512 * 1024 ** 2;

/** S3 clients by endpoint and role session: one connection pool each, reused across segments. */
export type RemoteClients = Map<string, S3Client>;

function clientFor(cfg: RemoteStorageConfig, role: Principal, clients: RemoteClients): S3Client {
  const id = `${cfg.endpoint}\u0000${cfg.assumeRole ? `${role.roleArn}\u0000${role.sessionName}` : cfg.accessKeyId}`;
  let c = clients.get(id);
  if (c) return c;
  const base = { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey, sessionToken: cfg.sessionToken };
  let credentials: S3Client['config']['credentials'] | typeof base = base;
  if (cfg.assumeRole) {
    const sts = new STSClient({ endpoint: cfg.stsEndpoint ?? cfg.endpoint, region: cfg.region, credentials: base });
    credentials = async () => {
      const r = await sts.send(new AssumeRoleCommand({ RoleArn: role.roleArn, RoleSessionName: (role.sessionName ?? 's3batch').slice(0, 64) }));
      const k = r.Credentials!;
      return { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey!, sessionToken: k.SessionToken, expiration: k.Expiration };
    };
  }
  c = new S3Client({
    endpoint: cfg.endpoint,
    region: cfg.region,
    forcePathStyle: !cfg.virtualHosted,
    credentials: credentials as never,
    requestHandler: { httpAgent: { keepAlive: true, maxSockets: cfg.maxSockets ?? 256 }, httpsAgent: { keepAlive: true, maxSockets: cfg.maxSockets ?? 256 } },
  });
  if (clients.size > 1000) clients.clear();
  clients.set(id, c);
  return c;
}

const unquote = (e: string | undefined): string => (e ?? '').replace(/^"+|"+$/g, '');
const ms = (d: Date | undefined): number => (d ? d.getTime() : 0);

function checksumOf(h: { ChecksumCRC32?: string; ChecksumCRC32C?: string; ChecksumCRC64NVME?: string; ChecksumSHA1?: string; ChecksumSHA256?: string; ChecksumType?: string }): ObjectChecksum | undefined {
  const pairs: [string, string | undefined][] = [['CRC32', h.ChecksumCRC32], ['CRC32C', h.ChecksumCRC32C], ['CRC64NVME', h.ChecksumCRC64NVME], ['SHA1', h.ChecksumSHA1], ['SHA256', h.ChecksumSHA256]];
  const hit = pairs.find(([, v]) => v !== undefined);
  if (!hit) return undefined;
  return { algorithm: hit[0], value: hit[1]!, type: h.ChecksumType === 'COMPOSITE' || hit[1]!.includes('-') ? 'COMPOSITE' : 'FULL_OBJECT' };
}

function toHead(ref: ObjectRef, h: HeadObjectCommandOutput): ObjectHead {
  const restore = h.Restore;
  return {
    bucket: ref.bucket,
    key: ref.key,
    versionId: h.VersionId,
    size: h.ContentLength ?? 0,
    etag: unquote(h.ETag),
    lastModified: ms(h.LastModified),
    storageClass: h.StorageClass ?? 'STANDARD',
    metadata: {
      contentType: h.ContentType,
      contentEncoding: h.ContentEncoding,
      contentDisposition: h.ContentDisposition,
      contentLanguage: h.ContentLanguage,
      cacheControl: h.CacheControl,
      expires: h.ExpiresString ?? (h.Expires ? h.Expires.toUTCString() : undefined),
      websiteRedirectLocation: h.WebsiteRedirectLocation,
      userMetadata: h.Metadata ?? {},
    },
    serverSideEncryption: h.ServerSideEncryption,
    checksum: checksumOf(h),
    partsCount: h.PartsCount,
    lockMode: h.ObjectLockMode,
    lockUntil: h.ObjectLockRetainUntilDate ? ms(h.ObjectLockRetainUntilDate) : undefined,
    legalHold: h.ObjectLockLegalHoldStatus === 'ON',
    replicationStatus: h.ReplicationStatus,
    restore: restore ? { ongoing: /ongoing-request="true"/.test(restore), expiresAt: /expiry-date="([^"]+)"/.exec(restore)?.[1] ? Date.parse(/expiry-date="([^"]+)"/.exec(restore)![1]!) : undefined } : undefined,
  };
}

/** x-amz-copy-source: bucket/key (key URL-encoded, '/' kept) [?versionId=]. */
export function copySourceOf(ref: ObjectRef): string {
  const key = encodeURIComponent(ref.key).replace(/%2F/g, '/');
  return `${ref.bucket}/${key}${ref.versionId !== undefined ? `?versionId=${encodeURIComponent(ref.versionId)}` : ''}`;
}

function granteeText(g: Grant['grantee']): string {
  return g.type === 'CanonicalUser' ? `id="${g.id}"` : g.type === 'Group' ? `uri="${g.uri}"` : `emailAddress="${g.email}"`;
}

/** Grant headers (x-amz-grant-*) of explicit grants. */
function grantHeaders(grants: readonly Grant[]): { GrantRead?: string; GrantReadACP?: string; GrantWriteACP?: string; GrantFullControl?: string; GrantWrite?: string } {
  const by = (p: Grant['permission']): string | undefined => {
    const list = grants.filter((g) => g.permission === p).map((g) => granteeText(g.grantee));
    return list.length ? list.join(', ') : undefined;
  };
  return { GrantRead: by('READ'), GrantReadACP: by('READ_ACP'), GrantWriteACP: by('WRITE_ACP'), GrantFullControl: by('FULL_CONTROL'), GrantWrite: by('WRITE') };
}

function sdkGrants(grants: readonly Grant[]): SdkGrant[] {
  return grants.map((g) => {
    const ge = g.grantee;
    const grantee =
      ge.type === 'CanonicalUser' ? { Type: 'CanonicalUser' as const, ID: ge.id, DisplayName: ge.displayName }
      : ge.type === 'Group' ? { Type: 'Group' as const, URI: ge.uri }
      : { Type: 'AmazonCustomerByEmail' as const, EmailAddress: ge.email };
    return { Grantee: grantee, Permission: g.permission };
  });
}

const tagging = (tags: readonly Tag[]): string => tags.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');

export function createRemoteStorage(cfg: RemoteStorageConfig, role: Principal, clients: RemoteClients = new Map()): StorageClient {
  const s3 = clientFor(cfg, role, clients);

  async function call<T>(fn: () => Promise<T>, signal: AbortSignal | undefined, versionId?: string): Promise<T> {
    signal?.throwIfAborted();
    try {
      return await fn();
    } catch (e) {
      if (signal?.aborted) throw signal.reason as Error;
      throw toS3Error(e, { versionId });
    }
  }
  // Only calls that stream a body take the signal into the SDK: each one adds a listener to the
  // (segment-wide) signal, and thousands of short calls sharing it cost more than they save — a
  // short call is not started once the signal has fired (`call`), and finishes fast anyway.
  const opts = (_signal?: AbortSignal): Record<string, never> => ({});
  const streaming = (signal?: AbortSignal): { abortSignal?: AbortSignal } => (signal ? { abortSignal: signal } : {});

  function copyParams(input: CopyObjectInput): Omit<CopyObjectCommandInput, 'CopySource'> {
    const m = input.metadata;
    const acl = input.acl;
    return {
      Bucket: input.bucket,
      Key: input.key,
      MetadataDirective: input.metadataDirective,
      ...(m && input.metadataDirective === 'REPLACE'
        ? {
            ContentType: m.contentType, ContentEncoding: m.contentEncoding, ContentDisposition: m.contentDisposition, ContentLanguage: m.contentLanguage,
            CacheControl: m.cacheControl, Expires: m.expires !== undefined ? new Date(m.expires) : undefined, Metadata: { ...m.userMetadata },
          }
        : {}),
      ...(input.tags !== undefined ? { TaggingDirective: 'REPLACE' as const, Tagging: tagging(input.tags) } : {}),
      ...(acl?.kind === 'canned' ? { ACL: acl.canned } : acl?.kind === 'grants' ? grantHeaders(acl.grants) : {}),
      StorageClass: input.storageClass as CopyObjectCommandInput['StorageClass'],
      WebsiteRedirectLocation: input.websiteRedirectLocation,
      ServerSideEncryption: input.serverSideEncryption,
      SSEKMSKeyId: input.kmsKeyId,
      BucketKeyEnabled: input.bucketKeyEnabled,
      ChecksumAlgorithm: input.checksumAlgorithm as CopyObjectCommandInput['ChecksumAlgorithm'],
      ObjectLockMode: input.lockMode,
      ObjectLockRetainUntilDate: input.lockUntil !== undefined ? new Date(input.lockUntil) : undefined,
      ObjectLockLegalHoldStatus: input.legalHold === undefined ? undefined : input.legalHold ? 'ON' : 'OFF',
      CopySourceIfModifiedSince: input.modifiedSince !== undefined ? new Date(input.modifiedSince) : undefined,
      CopySourceIfUnmodifiedSince: input.unmodifiedSince !== undefined ? new Date(input.unmodifiedSince) : undefined,
      RequestPayer: input.requesterPays ? 'requester' : undefined,
    };
  }

  /** Objects past CopyObject's 5 GiB: CreateMultipartUpload + UploadPartCopy ranges + Complete. */
  const partSize = cfg.copyPartSize ?? COPY_PART_SIZE;

  async function multipartCopy(input: CopyObjectInput, size: number, head: ObjectHead): Promise<CopyResult> {
    const p = copyParams(input);
    const source = copySourceOf({ ...input.source, versionId: input.source.versionId ?? head.versionId });
    // COPY directives are the caller's to honour here: the upload starts empty.
    const meta = input.metadataDirective === 'REPLACE' ? {} : {
      ContentType: head.metadata.contentType, ContentEncoding: head.metadata.contentEncoding, ContentDisposition: head.metadata.contentDisposition,
      ContentLanguage: head.metadata.contentLanguage, CacheControl: head.metadata.cacheControl, Metadata: { ...head.metadata.userMetadata },
    };
    let tags = p.Tagging;
    if (input.tags === undefined) {
      const t = await call(() => s3.send(new GetObjectTaggingCommand({ Bucket: input.source.bucket, Key: input.source.key, VersionId: input.source.versionId }), opts(input.signal)), input.signal);
      tags = tagging((t.TagSet ?? []).map((x) => [x.Key ?? '', x.Value ?? ''] as const));
    }
    const { MetadataDirective: _d, TaggingDirective: _t, CopySourceIfModifiedSince: _a, CopySourceIfUnmodifiedSince: _b, ...create } = p;
    const up = await call(() => s3.send(new CreateMultipartUploadCommand({ ...create, ...meta, Tagging: tags || undefined }), opts(input.signal)), input.signal);
    const uploadId = up.UploadId!;
    try {
      const parts: { ETag: string; PartNumber: number }[] = [];
      for (let start = 0, n = 1; start < size; start += partSize, n++) {
        const end = Math.min(size, start + partSize) - 1;
        const r = await call(
          () => s3.send(new UploadPartCopyCommand({
            Bucket: input.bucket, Key: input.key, UploadId: uploadId, PartNumber: n, CopySource: source, CopySourceRange: `bytes=${start}-${end}`,
            CopySourceIfModifiedSince: p.CopySourceIfModifiedSince, CopySourceIfUnmodifiedSince: p.CopySourceIfUnmodifiedSince,
          }), opts(input.signal)),
          input.signal,
        );
        parts.push({ ETag: r.CopyPartResult!.ETag!, PartNumber: n });
      }
      const done = await call(() => s3.send(new CompleteMultipartUploadCommand({ Bucket: input.bucket, Key: input.key, UploadId: uploadId, MultipartUpload: { Parts: parts } }), opts(input.signal)), input.signal);
      return { etag: unquote(done.ETag), versionId: done.VersionId, sourceVersionId: head.versionId, multipart: true };
    } catch (e) {
      await s3.send(new AbortMultipartUploadCommand({ Bucket: input.bucket, Key: input.key, UploadId: uploadId })).catch(() => undefined);
      throw e;
    }
  }

  async function headObject(ref: ObjectRef, signal?: AbortSignal, partNumber?: number): Promise<ObjectHead> {
    const h = await call(() => s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId, ChecksumMode: 'ENABLED', PartNumber: partNumber }), opts(signal)), signal, ref.versionId);
    return toHead(ref, h);
  }

  return {
    description: `remote:${cfg.endpoint}`,

    headObject: (ref, signal) => headObject(ref, signal),

    async getObject(ref, o = {}) {
      const range = o.range ? `bytes=${o.range.start}-${o.range.end}` : undefined;
      const r = await call(() => s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId, Range: range, PartNumber: o.partNumber }), streaming(o.signal)), o.signal, ref.versionId);
      return { head: toHead(ref, r as HeadObjectCommandOutput), body: r.Body as Readable as AsyncIterable<Buffer> };
    },

    async putObject(input) {
      const r = await call(
        () => s3.send(new PutObjectCommand({
          Bucket: input.bucket, Key: input.key, Body: input.body, ContentType: input.contentType, ContentMD5: input.contentMd5, ServerSideEncryption: input.serverSideEncryption,
          ExpectedBucketOwner: input.expectedBucketOwner,
        }), opts(input.signal)),
        input.signal,
      );
      return { etag: unquote(r.ETag), versionId: r.VersionId };
    },

    async copyObject(input) {
      if (cfg.multipartCopyAbove !== undefined) {
        const head = await headObject(input.source, input.signal);
        if (head.size > cfg.multipartCopyAbove) return multipartCopy(input, head.size, head);
      }
      try {
        const r = await call(() => s3.send(new CopyObjectCommand({ ...copyParams(input), CopySource: copySourceOf(input.source) }), opts(input.signal)), input.signal);
        return { etag: unquote(r.CopyObjectResult?.ETag), versionId: r.VersionId, sourceVersionId: r.CopySourceVersionId };
      } catch (e) {
        // Past 5 GiB CopyObject answers InvalidRequest ("…larger than the maximum allowable size…"): copy part by part.
        if (!(e instanceof S3Error) || (e.code !== 'InvalidRequest' && e.code !== 'EntityTooLarge' && e.code !== 'InvalidArgument')) throw e;
        const head = await headObject(input.source, input.signal);
        if (head.size <= MAX_COPY_OBJECT) throw e;
        return multipartCopy(input, head.size, head);
      }
    },

    async getObjectTagging(ref, signal) {
      const r = await call(() => s3.send(new GetObjectTaggingCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }), opts(signal)), signal, ref.versionId);
      return (r.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? ''] as const);
    },

    async putObjectTagging(ref, tags, signal) {
      const r = await call(
        () => s3.send(new PutObjectTaggingCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId, Tagging: { TagSet: tags.map(([Key, Value]) => ({ Key, Value })) } }), opts(signal)),
        signal,
        ref.versionId,
      );
      return r.VersionId;
    },

    async deleteObjectTagging(ref, signal) {
      const r = await call(() => s3.send(new DeleteObjectTaggingCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }), opts(signal)), signal, ref.versionId);
      return r.VersionId;
    },

    async putObjectAcl(ref, acl: AclInput, signal) {
      const base = { Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId };
      const input =
        acl.kind === 'canned' ? { ...base, ACL: acl.canned }
        : acl.kind === 'grants' ? { ...base, ...grantHeaders(acl.grants) }
        : { ...base, AccessControlPolicy: { Owner: { ID: acl.owner.id, DisplayName: acl.owner.displayName }, Grants: sdkGrants(acl.grants) } };
      await call(() => s3.send(new PutObjectAclCommand(input), opts(signal)), signal, ref.versionId);
    },

    async restoreObject(ref, input, signal) {
      const r = await call(
        () => s3.send(new RestoreObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId, RestoreRequest: { Days: input.days, GlacierJobParameters: { Tier: input.tier } } }), opts(signal)),
        signal,
        ref.versionId,
      );
      return r.$metadata.httpStatusCode === 200 ? 200 : 202;
    },

    async putObjectLegalHold(ref, on, signal) {
      await call(() => s3.send(new PutObjectLegalHoldCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId, LegalHold: { Status: on ? 'ON' : 'OFF' } }), opts(signal)), signal, ref.versionId);
    },

    async putObjectRetention(ref, retention, bypassGovernance, signal) {
      await call(
        () => s3.send(new PutObjectRetentionCommand({
          Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId, BypassGovernanceRetention: bypassGovernance || undefined,
          Retention: retention ? { Mode: retention.mode, RetainUntilDate: new Date(retention.until) } : {},
        }), opts(signal)),
        signal,
        ref.versionId,
      );
    },

    async deleteObject(ref, bypassGovernance, signal) {
      const r = await call(() => s3.send(new DeleteObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId, BypassGovernanceRetention: bypassGovernance || undefined }), opts(signal)), signal, ref.versionId);
      return { versionId: r.VersionId, deleteMarker: r.DeleteMarker === true };
    },

    async getBucketLocation(bucket, o = {}) {
      const r = await call(() => s3.send(new GetBucketLocationCommand({ Bucket: bucket, ExpectedBucketOwner: o.expectedBucketOwner }), opts(o.signal)), o.signal);
      // us-east-1 is the empty LocationConstraint; EU is the old name of eu-west-1.
      const lc = r.LocationConstraint as string | undefined;
      return !lc ? 'us-east-1' : lc === 'EU' ? 'eu-west-1' : lc;
    },

    async getObjectLockEnabled(bucket, signal) {
      try {
        const r = await call(() => s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }), opts(signal)), signal);
        return r.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled';
      } catch (e) {
        if (e instanceof S3Error && (e.code === 'ObjectLockConfigurationNotFoundError' || e.code === 'NoSuchObjectLockConfiguration')) return false;
        throw e;
      }
    },

    listObjects(input: ListInput): AsyncIterable<ListedObject> {
      return input.versions ? listVersions(input) : listCurrent(input);
    },
  };

  async function* listCurrent(input: ListInput): AsyncGenerator<ListedObject> {
    let token: string | undefined;
    do {
      const r = await call(() => s3.send(new ListObjectsV2Command({ Bucket: input.bucket, Prefix: input.prefix || undefined, ContinuationToken: token, ExpectedBucketOwner: input.expectedBucketOwner }), opts(input.signal)), input.signal);
      for (const o of r.Contents ?? []) {
        yield { key: o.Key!, isLatest: true, isDeleteMarker: false, size: o.Size ?? 0, etag: unquote(o.ETag), lastModified: ms(o.LastModified), storageClass: o.StorageClass ?? 'STANDARD' };
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }

  async function* listVersions(input: ListInput): AsyncGenerator<ListedObject> {
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    for (;;) {
      const r = await call(
        () => s3.send(new ListObjectVersionsCommand({ Bucket: input.bucket, Prefix: input.prefix || undefined, KeyMarker: keyMarker, VersionIdMarker: versionMarker, ExpectedBucketOwner: input.expectedBucketOwner }), opts(input.signal)),
        input.signal,
      );
      const all: ListedObject[] = [
        ...(r.Versions ?? []).map((v) => ({ key: v.Key!, versionId: v.VersionId, isLatest: v.IsLatest === true, isDeleteMarker: false, size: v.Size ?? 0, etag: unquote(v.ETag), lastModified: ms(v.LastModified), storageClass: v.StorageClass ?? 'STANDARD' })),
        ...(r.DeleteMarkers ?? []).map((d) => ({ key: d.Key!, versionId: d.VersionId, isLatest: d.IsLatest === true, isDeleteMarker: true, size: 0, etag: '', lastModified: ms(d.LastModified), storageClass: 'STANDARD' })),
      ];
      all.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : b.lastModified - a.lastModified));
      yield* all;
      if (!r.IsTruncated) return;
      keyMarker = r.NextKeyMarker;
      versionMarker = r.NextVersionIdMarker;
    }
  }
}
