/**
 * Inventory manifests (`S3InventoryReport_CSV_20161130`): the job's ObjectArn names an S3
 * Inventory `manifest.json`; its `files` are gzipped CSV data files in `destinationBucket`, with
 * columns in `fileSchema` order (Bucket, Key and, when present, VersionId are used). Only CSV
 * inventories are accepted, as AWS: ORC and Parquet fail the job ("Unsupported inventory file
 * format"). Preparing checks manifest.json's ETag, then reads every data file once — checking its
 * MD5 against `MD5checksum` — to count the rows and cut segments (byte ranges of the inflated
 * CSV, see source.ts). Fields are usually quoted ("acme-data","key"…): the CSV reader's RFC 4180
 * path reads them, and keys are URL-encoded as in CSV manifests.
 */
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { S3Error } from '../../errors.js';
import type { StorageClient } from '../../storage/storage-client.js';
import type { EngineOptions } from '../engine/options.js';
import { manifestReadFailure, PrepareError, PrepareFailure, type Prepared } from './prepared.js';
import type { Job } from '../model.js';
import type { SegmentPlan } from '../store.js';
import { scanCsvManifest, type CsvLayout } from './csv.js';
import { gzipSourceText, normalizeEtag } from './source.js';

export interface InventoryManifest {
  readonly sourceBucket?: string;
  readonly destinationBucket?: string;
  readonly version?: string;
  readonly creationTimestamp?: string;
  readonly fileFormat?: string;
  readonly fileSchema?: string;
  readonly files?: readonly { readonly key?: string; readonly size?: number; readonly MD5checksum?: string }[];
}

/** The column layout of a `fileSchema` ("Bucket, Key, VersionId, IsLatest, …"). */
export function inventoryLayout(fileSchema: string): CsvLayout | undefined {
  const cols = fileSchema.split(',').map((c) => c.trim());
  const bucket = cols.indexOf('Bucket');
  const key = cols.indexOf('Key');
  const v = cols.indexOf('VersionId');
  if (bucket < 0 || key < 0) return undefined;
  return { columns: cols.length, bucket, key, versionId: v >= 0 ? v : undefined, keyIsLast: false };
}

export function bucketNameOfArn(arn: string): string {
  const m = /^arn:[^:]+:s3:::([^/]+)$/.exec(arn);
  return m ? m[1]! : arn;
}

async function readAll(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of body) out.push(c);
  return Buffer.concat(out);
}

const bad = (reason: string): PrepareError => new PrepareError(PrepareFailure.InvalidManifestContent, `Invalid inventory manifest: ${reason}`);

export async function prepareInventory(storage: StorageClient, job: Job, options: EngineOptions, sameBucket: boolean, signal: AbortSignal): Promise<Prepared> {
  const loc = job.manifest!.location;
  let doc: InventoryManifest;
  try {
    const { head, body } = await storage.getObject({ bucket: loc.bucket, key: loc.key, versionId: loc.objectVersionId }, { signal });
    if (normalizeEtag(head.etag) !== normalizeEtag(loc.etag)) {
      for await (const _ of body) break;
      throw new PrepareError(PrepareFailure.ManifestETagMismatch, `The ETag of the manifest object (${head.etag}) does not match the ETag in the job's manifest location (${loc.etag}).`);
    }
    const text = (await readAll(body)).toString('utf8');
    try {
      doc = JSON.parse(text) as InventoryManifest;
    } catch {
      throw bad('manifest.json is not valid JSON');
    }
  } catch (e) {
    if (e instanceof S3Error) throw manifestReadFailure(e);
    throw e;
  }
  if (doc === null || typeof doc !== 'object') throw bad('manifest.json is not a JSON object');
  const format = doc.fileFormat ?? '';
  if (format.toUpperCase() !== 'CSV') throw new PrepareError(PrepareFailure.UnsupportedInventoryFormat, `Unsupported inventory file format: ${format || '(none)'}; S3 Batch Operations reads CSV inventories only.`);
  const layout = inventoryLayout(doc.fileSchema ?? '');
  if (!layout) throw bad(`fileSchema must name Bucket and Key columns, not '${doc.fileSchema ?? ''}'`);
  if (!Array.isArray(doc.files) || typeof doc.destinationBucket !== 'string') throw bad('files and destinationBucket are required');
  const dataBucket = bucketNameOfArn(doc.destinationBucket);

  const segments: SegmentPlan[] = [];
  let totalTasks = 0;
  let firstBucket: string | undefined;
  for (const f of doc.files) {
    if (typeof f?.key !== 'string' || f.key === '') throw bad('every entry of files needs a key');
    const md5 = createHash('md5');
    let scan;
    let versionId: string | undefined;
    try {
      const { head, body } = await storage.getObject({ bucket: dataBucket, key: f.key }, { signal });
      versionId = head.versionId;
      const tap = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          md5.update(chunk);
          cb(null, chunk);
        },
      });
      const inflated = Readable.from(body).pipe(tap).pipe(createGunzip());
      try {
        scan = await scanCsvManifest(inflated as AsyncIterable<Buffer>, layout, { segmentLines: options.segmentLines, sameBucket, signal });
      } catch (e) {
        if (e instanceof S3Error || e instanceof PrepareError) throw e;
        if (signal.aborted) throw e;
        throw bad(`data file ${f.key} is not a gzipped CSV file: ${(e as Error).message}`);
      }
    } catch (e) {
      if (e instanceof S3Error) throw manifestReadFailure(e, `the inventory data file ${f.key}`);
      throw e;
    }
    if (f.MD5checksum && md5.digest('hex') !== f.MD5checksum.toLowerCase()) throw bad(`the MD5 of data file ${f.key} does not match its MD5checksum in manifest.json`);
    if (scan.problemCount > 0) {
      const list = scan.problems.map((p) => `line ${p.line}: ${p.message}`).join('; ');
      throw bad(`data file ${f.key}: ${list}`);
    }
    if (sameBucket && firstBucket !== undefined && scan.firstBucket !== undefined && scan.firstBucket !== firstBucket) {
      throw bad(`data file ${f.key} names bucket '${scan.firstBucket}'; every row must name the same bucket ('${firstBucket}')`);
    }
    firstBucket ??= scan.firstBucket;
    const source = gzipSourceText({ bucket: dataBucket, key: f.key, versionId }, layout);
    for (const s of scan.segments) segments.push({ ...s, index: segments.length, source });
    totalTasks += scan.totalTasks;
  }
  return { segments, totalTasks, bucket: firstBucket };
}
