/**
 * The manifest generator (`S3JobManifestGenerator`), run in Preparing: lists the source bucket
 * through the job's StorageClient (as the role: s3:ListBucket), keeps the objects every present
 * filter matches (all are ANDed, bounds exclusive — spec §4.4), and turns them into the job's
 * segments. With EnableManifestOutput the result is also written where the job asked, as an
 * inventory-style manifest that can be reused as an `S3InventoryReport_CSV_20161130` manifest:
 *
 *   <ManifestPrefix>/job-<id>/manifest.json
 *   <ManifestPrefix>/job-<id>/data/<uuid>.csv.gz     ("Bucket","Key"[,"VersionId"], gzipped)
 *
 * and DescribeJob shows it as GeneratedManifestDescriptor. Without it, each segment keeps its own
 * rows (gzipped) in the job store. The listing carries the source's ExpectedBucketOwner and every
 * write the ExpectedManifestBucketOwner (S3's bucket owner condition; engine/bucket-owners.ts).
 *
 * Current versions are listed (spec §4.4 [REC]; S3ReplicateObject, which lists every version, is
 * Step 4's). A filter the listing cannot answer — replication status on a remote endpoint,
 * encryption — costs one HEAD per candidate object. No match fails the job with AWS's words:
 * "Manifest generation found no keys matching the filter criteria".
 */
import { createHash, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { ListedObject, StorageClient } from '../../storage/storage-client.js';
import { S3Error } from '../../errors.js';
import type { EngineOptions } from '../engine/options.js';
import { GENERATED_MANIFEST_FORMAT, type Job, type ManifestFilter, type ObjectEncryptionFilter } from '../model.js';
import type { SegmentPlan } from '../store.js';
import type { CsvLayout } from './csv.js';
import { manifestReadFailure, PrepareError, PrepareFailure, type Prepared } from './prepared.js';
import { gzipSourceText, inlineSourceText } from './source.js';

/** Rows per generated data file (AWS Inventory splits its files too). */
const ROWS_PER_FILE = 1_000_000;

const quote = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/** Keys in generated manifests are URL-encoded, as S3 Inventory writes them ('/' kept). */
export function encodeManifestKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/');
}

function matchesName(key: string, c: NonNullable<ManifestFilter['keyNameConstraint']>): boolean {
  if (c.matchAnyPrefix && c.matchAnyPrefix.length > 0 && !c.matchAnyPrefix.some((p) => key.startsWith(p))) return false;
  if (c.matchAnySuffix && c.matchAnySuffix.length > 0 && !c.matchAnySuffix.some((p) => key.endsWith(p))) return false;
  if (c.matchAnySubstring && c.matchAnySubstring.length > 0 && !c.matchAnySubstring.some((p) => key.includes(p))) return false;
  return true;
}

/** The listing's own filters (no extra request). */
export function matchesListing(o: ListedObject, f: ManifestFilter | undefined): boolean {
  if (!f) return true;
  if (f.createdAfter !== undefined && !(o.lastModified > f.createdAfter)) return false;
  if (f.createdBefore !== undefined && !(o.lastModified < f.createdBefore)) return false;
  if (f.objectSizeGreaterThanBytes !== undefined && !(o.size > f.objectSizeGreaterThanBytes)) return false;
  if (f.objectSizeLessThanBytes !== undefined && !(o.size < f.objectSizeLessThanBytes)) return false;
  if (f.matchAnyStorageClass && f.matchAnyStorageClass.length > 0 && !f.matchAnyStorageClass.includes(o.storageClass)) return false;
  if (f.keyNameConstraint && !matchesName(o.key, f.keyNameConstraint)) return false;
  return true;
}

function encryptionMatches(sse: string | undefined, filters: readonly ObjectEncryptionFilter[]): boolean {
  return filters.some((e) => {
    switch (e.kind) {
      case 'SSE-S3':
        return sse === 'AES256';
      case 'SSE-KMS':
        return sse === 'aws:kms';
      case 'DSSE-KMS':
        return sse === 'aws:kms:dsse';
      case 'SSE-C':
        return false; // s3batch stores no SSE-C objects
      case 'NOT-SSE':
        return sse === undefined;
    }
  });
}

const REPLICATION_OF: Readonly<Record<string, string>> = { COMPLETED: 'COMPLETED', FAILED: 'FAILED', REPLICA: 'REPLICA' };

interface Collected {
  readonly rows: string[];
  readonly withVersions: boolean;
}

async function collect(storage: StorageClient, job: Job, signal: AbortSignal): Promise<Collected> {
  const g = job.manifestGenerator!;
  const f = g.filter;
  const prefixes = f?.keyNameConstraint?.matchAnyPrefix;
  const listPrefix = prefixes && prefixes.length === 1 ? prefixes[0] : undefined;
  const needHead = (f?.objectReplicationStatuses !== undefined && f.objectReplicationStatuses.length > 0) || (f?.matchAnyObjectEncryption !== undefined && f.matchAnyObjectEncryption.length > 0);
  const matched: ListedObject[] = [];
  for await (const o of storage.listObjects({ bucket: g.sourceBucket, prefix: listPrefix, expectedBucketOwner: g.expectedBucketOwner, signal })) {
    if (!matchesListing(o, f)) continue;
    if (needHead) {
      let replication = o.replicationStatus;
      let sse: string | undefined;
      if (f?.matchAnyObjectEncryption?.length || replication === undefined) {
        const head = await storage.headObject({ bucket: g.sourceBucket, key: o.key, versionId: o.versionId }, signal);
        replication = head.replicationStatus;
        sse = head.serverSideEncryption;
      }
      const statuses = f?.objectReplicationStatuses;
      if (statuses && statuses.length > 0 && !statuses.includes((REPLICATION_OF[replication ?? ''] ?? 'NONE') as never)) continue;
      if (f?.matchAnyObjectEncryption?.length && !encryptionMatches(sse, f.matchAnyObjectEncryption)) continue;
    }
    matched.push(o);
  }
  const withVersions = matched.length > 0 && matched.every((o) => o.versionId !== undefined);
  const bucket = quote(g.sourceBucket);
  const rows = matched.map((o) => `${bucket},${quote(encodeManifestKey(o.key))}${withVersions ? `,${quote(o.versionId!)}` : ''}\n`);
  return { rows, withVersions };
}

/** Segments of `rows` (one data file's), each `lineCount` rows, offsets in the file's text. */
function cut(rows: readonly string[], segmentLines: number, first: number, source: (from: number, to: number, text: string) => string): SegmentPlan[] {
  const out: SegmentPlan[] = [];
  let offset = 0;
  for (let i = 0; i < rows.length; i += segmentLines) {
    const part = rows.slice(i, i + segmentLines).join('');
    const bytes = Buffer.byteLength(part);
    out.push({ index: first + out.length, startByte: offset, endByte: offset + bytes, firstLine: i + 1, lineCount: Math.min(segmentLines, rows.length - i), source: source(offset, offset + bytes, part) });
    offset += bytes;
  }
  return out;
}

export async function generateManifest(storage: StorageClient, job: Job, options: EngineOptions, now: () => number, signal: AbortSignal): Promise<Prepared> {
  const g = job.manifestGenerator!;
  if (g.filter?.eligibleForReplication !== undefined) {
    throw new PrepareError(PrepareFailure.ManifestGenerationFailed, 'The EligibleForReplication filter needs bucket replication, which arrives in a later release of s3batch.');
  }
  let collected: Collected;
  try {
    collected = await collect(storage, job, signal);
  } catch (e) {
    if (e instanceof S3Error) throw manifestReadFailure(e, `the source bucket ${g.sourceBucket}`);
    throw e;
  }
  const { rows, withVersions } = collected;
  if (rows.length === 0) throw new PrepareError(PrepareFailure.ManifestGenerationFailed, 'Manifest generation found no keys matching the filter criteria');
  const layout: CsvLayout = withVersions ? { columns: 3, bucket: 0, key: 1, versionId: 2, keyIsLast: false } : { columns: 2, bucket: 0, key: 1, keyIsLast: false };
  const schema = withVersions ? 'Bucket, Key, VersionId' : 'Bucket, Key';
  const out = g.enableManifestOutput ? g.manifestOutputLocation : undefined;
  if (!out) {
    const segments = cut(rows, options.segmentLines, 0, (_from, _to, text) => inlineSourceText(gzipSync(text), { ...layout }));
    // Inline segments count their offsets from their own first row.
    return { segments: segments.map((s) => ({ ...s, endByte: s.endByte - s.startByte, startByte: 0 })), totalTasks: rows.length, bucket: g.sourceBucket };
  }
  const root = `${(out.manifestPrefix ?? '').replace(/\/+$/, '')}${out.manifestPrefix ? '/' : ''}job-${job.id}`;
  const files: { key: string; size: number; MD5checksum: string }[] = [];
  const segments: SegmentPlan[] = [];
  const sse = out.manifestEncryption?.kind === 'SSE-KMS' ? undefined : ('AES256' as const);
  // Every write holds the bucket to its expected owner: a foreign bucket refuses the first one.
  const expectedBucketOwner = out.expectedManifestBucketOwner;
  try {
    for (let i = 0; i < rows.length; i += ROWS_PER_FILE) {
      const part = rows.slice(i, i + ROWS_PER_FILE);
      const body = gzipSync(part.join(''));
      const key = `${root}/data/${randomUUID()}.csv.gz`;
      const md5 = createHash('md5').update(body).digest();
      const put = await storage.putObject({ bucket: out.bucket, key, body, contentType: 'application/gzip', contentMd5: md5.toString('base64'), serverSideEncryption: sse, expectedBucketOwner, signal });
      files.push({ key, size: body.length, MD5checksum: md5.toString('hex') });
      const source = gzipSourceText({ bucket: out.bucket, key, versionId: put.versionId }, layout);
      segments.push(...cut(part, options.segmentLines, segments.length, () => source));
    }
    const manifest = {
      sourceBucket: g.sourceBucket,
      destinationBucket: `arn:aws:s3:::${out.bucket}`,
      version: '2016-11-30',
      creationTimestamp: String(now()),
      fileFormat: 'CSV',
      fileSchema: schema,
      files,
    };
    const manifestKey = `${root}/manifest.json`;
    const body = JSON.stringify(manifest);
    const put = await storage.putObject({ bucket: out.bucket, key: manifestKey, body, contentType: 'application/json', serverSideEncryption: sse, expectedBucketOwner, signal });
    const checksum = createHash('md5').update(body).digest('hex');
    await storage.putObject({ bucket: out.bucket, key: `${root}/manifest.checksum`, body: checksum, contentType: 'text/plain', serverSideEncryption: sse, expectedBucketOwner, signal });
    return {
      segments,
      totalTasks: rows.length,
      bucket: g.sourceBucket,
      patch: {
        generatedManifestDescriptor: {
          format: GENERATED_MANIFEST_FORMAT,
          location: { objectArn: `arn:aws:s3:::${out.bucket}/${manifestKey}`, bucket: out.bucket, key: manifestKey, objectVersionId: put.versionId, etag: put.etag },
        },
      },
    };
  } catch (e) {
    if (e instanceof S3Error) throw new PrepareError(PrepareFailure.ManifestGenerationFailed, `Writing the generated manifest to bucket ${out.bucket} failed: ${e.code}: ${e.message}`);
    throw e;
  }
}
