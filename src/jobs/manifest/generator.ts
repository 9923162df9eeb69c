/**
 * The manifest generator (`S3JobManifestGenerator`), run in Preparing: lists the source bucket
 * through the job's StorageClient (as the role: s3:ListBucket), keeps the objects every present
 * filter matches (all are ANDed, bounds exclusive — spec §4.4), and writes them, as they come,
 * into gzipped CSV data files of at most ROWS_PER_FILE rows. Job state stays O(segments): each
 * segment is a byte range of one data file, never its rows, and memory holds one segment's rows
 * (and, for a bucket, one data file's gzipped bytes), whatever the object count.
 *
 * Each segment's rows are one gzip member of its data file (a gzip file may hold several; any
 * gunzip reads them as one stream), and its source records that member's compressed byte range:
 * a worker reads and inflates its own member only, not the file from its start.
 *
 * With EnableManifestOutput the data files go where the job asked, as an inventory-style manifest
 * that can be reused as an `S3InventoryReport_CSV_20161130` manifest:
 *
 *   <ManifestPrefix>/job-<id>/manifest.json
 *   <ManifestPrefix>/job-<id>/data/<uuid>.csv.gz     ("Bucket","Key"[,"VersionId"], gzipped)
 *
 * and DescribeJob shows it as GeneratedManifestDescriptor. Without it AWS writes nothing to the
 * user's buckets, so the data files stay private to the server, in its data directory:
 *
 *   <dataDir>/jobs/<id>/generated-<n>.csv.gz
 *
 * fsynced before the segments naming them are saved, removed when the job ends (finish.ts) or
 * fails in Preparing (prepare.ts), and re-made from scratch when preparation re-runs after a
 * crash. A job can also end without the engine — cancelled while Suspended or Ready, failed by
 * the confirmation timeout — so the engine also sweeps the directories of ended or deleted jobs
 * now and then (`sweepGeneratedFiles`, engine/wire.ts). Every worker that runs the job's segments reads them there, so processes sharing one
 * control database must share that directory too (same path).
 *
 * The listing carries the source's ExpectedBucketOwner and every write the
 * ExpectedManifestBucketOwner (S3's bucket owner condition; engine/bucket-owners.ts).
 *
 * Current versions are listed (spec §4.4 [REC]; S3ReplicateObject, which lists every version, is
 * Step 4's). A filter the listing cannot answer — replication status on a remote endpoint,
 * encryption — costs one HEAD per candidate object. No match fails the job with AWS's words:
 * "Manifest generation found no keys matching the filter criteria".
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ListedObject, StorageClient } from '../../storage/storage-client.js';
import { S3Error } from '../../errors.js';
import type { EngineOptions } from '../engine/options.js';
import { GENERATED_MANIFEST_FORMAT, isTerminal, type Job, type ManifestFilter, type ManifestOutputLocation, type ObjectEncryptionFilter } from '../model.js';
import type { JobStore, SegmentPlan } from '../store.js';
import type { CsvLayout } from './csv.js';
import { manifestReadFailure, PrepareError, PrepareFailure, type Prepared } from './prepared.js';
import { fileSourceText, gzipSourceText, type GzipMember } from './source.js';

/**
 * Rows per generated data file. A file bound for a bucket is held whole until its PutObject (the
 * StorageClient has no multipart upload): 100,000 rows are ~10 MB of CSV for 100-byte keys, ~1 MB
 * gzipped, and ~110 MB of CSV at most (1,024-byte keys). S3 Inventory splits its files too.
 */
const ROWS_PER_FILE = 100_000;
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

/** The objects of the source bucket every filter matches, in listing order. */
async function* matching(storage: StorageClient, job: Job, signal: AbortSignal): AsyncGenerator<ListedObject> {
  const g = job.manifestGenerator!;
  const f = g.filter;
  const prefixes = f?.keyNameConstraint?.matchAnyPrefix;
  const listPrefix = prefixes && prefixes.length === 1 ? prefixes[0] : undefined;
  const needHead = (f?.objectReplicationStatuses !== undefined && f.objectReplicationStatuses.length > 0) || (f?.matchAnyObjectEncryption !== undefined && f.matchAnyObjectEncryption.length > 0);
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
    yield o;
  }
}

/** Where the data files go: one file open at a time, written as gzip members. */
interface DataSink {
  /** Starts data file `n` (0, 1, 2 …). */
  open(n: number): Promise<void>;
  write(member: Buffer): Promise<void>;
  /** Ends the open file; gives the source text of a segment that is `member` of it. */
  close(layout: CsvLayout): Promise<(member: GzipMember) => string>;
  /** Lets go of an unfinished file (preparation failed or stopped). */
  abandon(): Promise<void>;
}

interface DataFile {
  readonly key: string;
  readonly size: number;
  readonly MD5checksum: string;
}

const writeFailure = (where: string, e: { code?: string; message: string }): PrepareError =>
  new PrepareError(PrepareFailure.ManifestGenerationFailed, `Writing the generated manifest to ${where} failed: ${e.code ?? 'Error'}: ${e.message}`);

/** Data files in the job's ManifestOutputLocation, one PutObject each. */
function bucketSink(storage: StorageClient, out: ManifestOutputLocation, root: string, files: DataFile[], signal: AbortSignal): DataSink {
  const sse = out.manifestEncryption?.kind === 'SSE-KMS' ? undefined : ('AES256' as const);
  let chunks: Buffer[] = [];
  let key = '';
  return {
    async open() {
      chunks = [];
      key = `${root}/data/${randomUUID()}.csv.gz`;
    },
    async write(member) {
      chunks.push(member);
    },
    async close(layout) {
      const body = Buffer.concat(chunks);
      chunks = [];
      const md5 = createHash('md5').update(body).digest();
      let versionId: string | undefined;
      try {
        // Every write holds the bucket to its expected owner: a foreign bucket refuses the first one.
        const put = await storage.putObject({ bucket: out.bucket, key, body, contentType: 'application/gzip', contentMd5: md5.toString('base64'), serverSideEncryption: sse, expectedBucketOwner: out.expectedManifestBucketOwner, signal });
        versionId = put.versionId;
      } catch (e) {
        if (e instanceof S3Error) throw writeFailure(`bucket ${out.bucket}`, e);
        throw e;
      }
      files.push({ key, size: body.length, MD5checksum: md5.toString('hex') });
      const ref = { bucket: out.bucket, key, versionId };
      return (member) => gzipSourceText(ref, layout, member);
    },
    async abandon() {
      chunks = [];
    },
  };
}

/** Data files in the job's private directory (EnableManifestOutput false). */
function directorySink(dir: string): DataSink {
  let fh: FileHandle | undefined;
  let path = '';
  const failed = (e: unknown): never => {
    if ((e as NodeJS.ErrnoException).code !== undefined) throw writeFailure('the data directory', e as NodeJS.ErrnoException);
    throw e;
  };
  return {
    async open(n) {
      path = join(dir, `generated-${n}.csv.gz`);
      fh = await open(path, 'w', 0o600).catch(failed);
    },
    async write(member) {
      await fh!.writeFile(member).catch(failed);
    },
    async close(layout) {
      const done = fh!;
      fh = undefined;
      try {
        // Durable before the segments that name it are committed: a power loss must not leave
        // saved segments pointing into a file that never reached the disk.
        await done.sync();
      } catch (e) {
        failed(e);
      } finally {
        await done.close();
      }
      const file = path;
      return (member) => fileSourceText(file, layout, member);
    },
    async abandon() {
      await fh?.close().catch(() => undefined);
      fh = undefined;
    },
  };
}

/** The private directory of a job's generated data files, under the engine's `spillDir`. */
export const generatedDir = (spillDir: string, jobId: string): string => join(spillDir, jobId);

/** Removes a job's private data files, if it has any (its end, or a failed preparation). */
export async function removeGeneratedFiles(spillDir: string, jobId: string): Promise<void> {
  await rm(generatedDir(spillDir, jobId), { recursive: true, force: true });
}

/**
 * Removes the private data files of jobs that ended or are gone; returns how many directories
 * went. O(directories): one job read each.
 */
export async function sweepGeneratedFiles(spillDir: string, jobs: Pick<JobStore, 'get'>): Promise<number> {
  let names: string[];
  try {
    names = await readdir(spillDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  let removed = 0;
  for (const id of names) {
    const job = await jobs.get(id);
    if (job && !isTerminal(job.status)) continue;
    await removeGeneratedFiles(spillDir, id);
    removed++;
  }
  return removed;
}

interface PendingSegment {
  readonly startByte: number;
  readonly endByte: number;
  readonly firstLine: number;
  readonly lineCount: number;
  readonly member: GzipMember;
}

/**
 * Lists, filters and writes the matching objects as data files; segments of `segmentLines` rows
 * (fewer at the end of a file) whose offsets are those of the file's inflated text, as for an
 * inventory data file, and line numbers the file's. `spillDir` holds the private data files.
 */
export async function generateManifest(storage: StorageClient, job: Job, options: EngineOptions, spillDir: string, now: () => number, signal: AbortSignal): Promise<Prepared> {
  const g = job.manifestGenerator!;
  if (g.filter?.eligibleForReplication !== undefined) {
    throw new PrepareError(PrepareFailure.ManifestGenerationFailed, 'The EligibleForReplication filter needs bucket replication, which arrives in a later release of s3batch.');
  }
  const out = g.enableManifestOutput ? g.manifestOutputLocation : undefined;
  const root = out ? `${(out.manifestPrefix ?? '').replace(/\/+$/, '')}${out.manifestPrefix ? '/' : ''}job-${job.id}` : '';
  const files: DataFile[] = [];
  let sink: DataSink;
  if (out) sink = bucketSink(storage, out, root, files, signal);
  else {
    // A re-run after a crash starts over: what an earlier run wrote is no one's.
    const dir = generatedDir(spillDir, job.id);
    await removeGeneratedFiles(spillDir, job.id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    sink = directorySink(dir);
  }

  const segments: SegmentPlan[] = [];
  const bucket = quote(g.sourceBucket);
  let layout: CsvLayout | undefined;
  let withVersions = false;
  let total = 0;
  // The segment being filled, and the data file being written.
  let text = '';
  let rows = 0;
  let pending: PendingSegment[] = [];
  let fileOpen = false;
  let fileN = 0;
  let fileRows = 0;
  let fileBytes = 0;
  let fileGzBytes = 0;

  const endSegment = async (): Promise<void> => {
    if (rows === 0) return;
    if (!fileOpen) {
      await sink.open(fileN);
      fileOpen = true;
    }
    const member = gzipSync(text);
    const bytes = Buffer.byteLength(text);
    await sink.write(member);
    pending.push({ startByte: fileBytes, endByte: fileBytes + bytes, firstLine: fileRows + 1, lineCount: rows, member: { start: fileGzBytes, end: fileGzBytes + member.length, at: fileBytes } });
    fileRows += rows;
    fileBytes += bytes;
    fileGzBytes += member.length;
    text = '';
    rows = 0;
  };
  const endFile = async (): Promise<void> => {
    if (!fileOpen) return;
    const sourceOf = await sink.close(layout!);
    for (const p of pending) segments.push({ index: segments.length, startByte: p.startByte, endByte: p.endByte, firstLine: p.firstLine, lineCount: p.lineCount, source: sourceOf(p.member) });
    pending = [];
    fileOpen = false;
    fileN++;
    fileRows = fileBytes = fileGzBytes = 0;
  };

  try {
    try {
      for await (const o of matching(storage, job, signal)) {
        if (layout === undefined) {
          // A listing gives version IDs for all its objects or for none (the bucket's versioning
          // is read once per listing): the first match fixes the columns.
          withVersions = o.versionId !== undefined;
          layout = withVersions ? { columns: 3, bucket: 0, key: 1, versionId: 2, keyIsLast: false } : { columns: 2, bucket: 0, key: 1, keyIsLast: false };
        } else if ((o.versionId !== undefined) !== withVersions) {
          throw new PrepareError(PrepareFailure.ManifestGenerationFailed, `The listing of bucket ${g.sourceBucket} mixed objects with and without version IDs; list it again once its versioning settles.`);
        }
        text += `${bucket},${quote(encodeManifestKey(o.key))}${withVersions ? `,${quote(o.versionId!)}` : ''}\n`;
        rows++;
        total++;
        if (rows === options.segmentLines || fileRows + rows === ROWS_PER_FILE) await endSegment();
        if (fileRows === ROWS_PER_FILE) await endFile();
      }
    } catch (e) {
      if (e instanceof S3Error) throw manifestReadFailure(e, `the source bucket ${g.sourceBucket}`);
      throw e;
    }
    await endSegment();
    await endFile();
  } finally {
    await sink.abandon();
  }
  if (total === 0) throw new PrepareError(PrepareFailure.ManifestGenerationFailed, 'Manifest generation found no keys matching the filter criteria');
  if (!out) return { segments, totalTasks: total, bucket: g.sourceBucket };

  const manifest = {
    sourceBucket: g.sourceBucket,
    destinationBucket: `arn:aws:s3:::${out.bucket}`,
    version: '2016-11-30',
    creationTimestamp: String(now()),
    fileFormat: 'CSV',
    fileSchema: withVersions ? 'Bucket, Key, VersionId' : 'Bucket, Key',
    files,
  };
  const sse = out.manifestEncryption?.kind === 'SSE-KMS' ? undefined : ('AES256' as const);
  const expectedBucketOwner = out.expectedManifestBucketOwner;
  const manifestKey = `${root}/manifest.json`;
  try {
    const body = JSON.stringify(manifest);
    const put = await storage.putObject({ bucket: out.bucket, key: manifestKey, body, contentType: 'application/json', serverSideEncryption: sse, expectedBucketOwner, signal });
    const checksum = createHash('md5').update(body).digest('hex');
    await storage.putObject({ bucket: out.bucket, key: `${root}/manifest.checksum`, body: checksum, contentType: 'text/plain', serverSideEncryption: sse, expectedBucketOwner, signal });
    return {
      segments,
      totalTasks: total,
      bucket: g.sourceBucket,
      patch: {
        generatedManifestDescriptor: {
          format: GENERATED_MANIFEST_FORMAT,
          location: { objectArn: `arn:aws:s3:::${out.bucket}/${manifestKey}`, bucket: out.bucket, key: manifestKey, objectVersionId: put.versionId, etag: put.etag },
        },
      },
    };
  } catch (e) {
    if (e instanceof S3Error) throw writeFailure(`bucket ${out.bucket}`, e);
    throw e;
  }
}
