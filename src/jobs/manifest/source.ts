/**
 * Where a segment's bytes come from, as recorded in `SegmentPlan.source` at preparation, and how a
 * worker reads them back:
 * - CSV manifests: a byte range of the manifest object, pinned to the version preparation read
 *   (`{"v": versionId}`) — or, in an unversioned bucket, checked against the ETag it had;
 * - inventory manifests (and generated ones): a byte range of one data file once gunzipped
 *   (`{"b","k","v","l"}`: bucket, key, version, column layout). Gzip cannot be entered in the
 *   middle, so a worker inflates the file from its start and drops the bytes before its range:
 *   a data file of S segments is inflated S·(S+1)/2 times in all, cheap next to the tasks for the
 *   file sizes S3 Inventory writes.
 * - generated manifests kept with the job (EnableManifestOutput false): the segment's own rows,
 *   gzipped, in the segment record (`{"d","l"}`), offsets counted from the segment's first row.
 * Byte offsets are of the (inflated) CSV text, so a checkpoint's `resumeAt` is one too.
 */
import { Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { S3Error } from '../../errors.js';
import type { ObjectRef, StorageClient } from '../../storage/storage-client.js';
import type { SegmentState } from '../store.js';
import type { CsvLayout } from './csv.js';

export type SegmentSource =
  | { readonly kind: 'csv'; readonly ref: ObjectRef; readonly etag: string; readonly layout: CsvLayout }
  | { readonly kind: 'gzip'; readonly ref: ObjectRef; readonly layout: CsvLayout }
  /** A generated manifest kept with the job (EnableManifestOutput false): the segment's rows, gzipped. */
  | { readonly kind: 'inline'; readonly data: Buffer; readonly layout: CsvLayout };

interface StoredCsv {
  readonly v?: string;
  readonly e: string;
}
interface StoredGzip {
  readonly b: string;
  readonly k: string;
  readonly v?: string;
  readonly l: CsvLayout;
}

interface StoredInline {
  readonly d: string;
  readonly l: CsvLayout;
}

export function inlineSourceText(gzipped: Buffer, layout: CsvLayout): string {
  const s: StoredInline = { d: gzipped.toString('base64'), l: layout };
  return JSON.stringify(s);
}

export function csvSourceText(versionId: string | undefined, etag: string): string {
  const s: StoredCsv = versionId !== undefined ? { v: versionId, e: etag } : { e: etag };
  return JSON.stringify(s);
}

export function gzipSourceText(ref: ObjectRef, layout: CsvLayout): string {
  const s: StoredGzip = { b: ref.bucket, k: ref.key, v: ref.versionId, l: layout };
  return JSON.stringify(s);
}

/** The source of a segment: `manifest` is the job's CSV manifest object and Fields layout (CSV jobs). */
export function segmentSource(seg: SegmentState, manifest: { ref: ObjectRef; layout: CsvLayout } | undefined): SegmentSource {
  const parsed = JSON.parse(seg.source ?? '{}') as Partial<StoredCsv & StoredGzip & StoredInline>;
  if (parsed.d !== undefined && parsed.l !== undefined) return { kind: 'inline', data: Buffer.from(parsed.d, 'base64'), layout: parsed.l };
  if (parsed.k !== undefined && parsed.b !== undefined && parsed.l !== undefined) {
    return { kind: 'gzip', ref: { bucket: parsed.b, key: parsed.k, versionId: parsed.v }, layout: parsed.l };
  }
  if (!manifest) throw new Error(`segment ${seg.index} has no source`);
  return { kind: 'csv', ref: { ...manifest.ref, versionId: parsed.v ?? manifest.ref.versionId }, etag: parsed.e ?? '', layout: manifest.layout };
}

export const normalizeEtag = (e: string): string => e.replace(/^"+|"+$/g, '').toLowerCase();

/** Thrown when the manifest changed under a running job (a different ETag at the same key). */
export class ManifestChangedError extends Error {
  override name = 'ManifestChangedError';
}

async function collect(body: AsyncIterable<Buffer>, skip: number, take: number, signal?: AbortSignal): Promise<Buffer> {
  const out: Buffer[] = [];
  let pos = 0;
  let got = 0;
  for await (const c of body) {
    signal?.throwIfAborted();
    const end = pos + c.length;
    if (end > skip) {
      const from = Math.max(0, skip - pos);
      const piece = c.subarray(from, Math.min(c.length, from + (take - got)));
      out.push(piece);
      got += piece.length;
      if (got >= take) break;
    }
    pos = end;
  }
  return out.length === 1 ? out[0]! : Buffer.concat(out, got);
}

/** The bytes [from, to) of a segment's source. */
export async function readSourceRange(storage: StorageClient, src: SegmentSource, from: number, to: number, signal?: AbortSignal): Promise<Buffer> {
  if (to <= from) return Buffer.alloc(0);
  if (src.kind === 'inline') return gunzipSync(src.data).subarray(from, to);
  if (src.kind === 'csv') {
    const { head, body } = await storage.getObject(src.ref, { range: { start: from, end: to - 1 }, signal });
    if (src.etag !== '' && normalizeEtag(head.etag) !== normalizeEtag(src.etag)) {
      for await (const _ of body) break; // release the stream
      throw new ManifestChangedError(`The manifest object changed while the job ran: its ETag is now "${head.etag}", the job was prepared with "${src.etag}".`);
    }
    return collect(body, 0, to - from, signal);
  }
  const { body } = await storage.getObject(src.ref, { signal });
  const inflated = Readable.from(body).pipe(createGunzip());
  try {
    return await collect(inflated as AsyncIterable<Buffer>, from, to - from, signal);
  } catch (e) {
    if (e instanceof S3Error) throw e;
    throw new ManifestChangedError(`The inventory data file ${src.ref.key} could not be read: ${(e as Error).message}`);
  } finally {
    inflated.destroy();
  }
}
