/**
 * Where a segment's bytes come from, as recorded in `SegmentPlan.source` at preparation, and how a
 * worker reads them back:
 * - CSV manifests: a byte range of the manifest object, pinned to the version preparation read
 *   (`{"v": versionId}`) — or, in an unversioned bucket, checked against the ETag it had;
 * - inventory manifests: a byte range of one data file once gunzipped (`{"b","k","v","l"}`:
 *   bucket, key, version, column layout). Gzip cannot be entered in the middle, so a worker
 *   inflates the file from its start and drops the bytes before its range: a data file of S
 *   segments is inflated S·(S+1)/2 times in all, cheap next to the tasks for the file sizes S3
 *   Inventory writes.
 * - generated manifests (manifest/generator.ts) write each segment as its own gzip member, and
 *   the source adds that member's compressed byte range and the inflated offset it starts at
 *   (`"z","ze","u"`): a worker reads and inflates its member only. Written to a bucket
 *   (EnableManifestOutput), the data file is an object as above; kept private, it is a file in the
 *   server's data directory (`{"f","z","ze","u","l"}`).
 * - `{"d","l"}`: a segment's rows gzipped in the record itself, as generated manifests were kept
 *   before they were spilled to files; read for jobs prepared then.
 * Byte offsets are of the (inflated) CSV text, so a checkpoint's `resumeAt` is one too.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { S3Error } from '../../errors.js';
import type { ObjectRef, StorageClient } from '../../storage/storage-client.js';
import type { SegmentState } from '../store.js';
import type { CsvLayout } from './csv.js';

export type SegmentSource =
  | { readonly kind: 'csv'; readonly ref: ObjectRef; readonly etag: string; readonly layout: CsvLayout }
  /** `member`: the segment's own gzip member in the file (generated manifests); none: inflate from the start. */
  | { readonly kind: 'gzip'; readonly ref: ObjectRef; readonly layout: CsvLayout; readonly member?: GzipMember }
  /** A generated data file private to the server (EnableManifestOutput false). */
  | { readonly kind: 'file'; readonly path: string; readonly layout: CsvLayout; readonly member: GzipMember }
  /** Rows kept in the segment record by earlier versions (jobs prepared before generated manifests were spilled). */
  | { readonly kind: 'inline'; readonly data: Buffer; readonly layout: CsvLayout };

/** A gzip member of a data file: compressed bytes [start, end), whose inflated text starts at offset `at` of the file's. */
export interface GzipMember {
  readonly start: number;
  readonly end: number;
  readonly at: number;
}

interface StoredCsv {
  readonly v?: string;
  readonly e: string;
}
interface StoredMember {
  readonly z?: number;
  readonly ze?: number;
  readonly u?: number;
}
interface StoredGzip extends StoredMember {
  readonly b: string;
  readonly k: string;
  readonly v?: string;
  readonly l: CsvLayout;
}
interface StoredFile extends StoredMember {
  readonly f: string;
  readonly l: CsvLayout;
}

interface StoredInline {
  readonly d: string;
  readonly l: CsvLayout;
}

export function csvSourceText(versionId: string | undefined, etag: string): string {
  const s: StoredCsv = versionId !== undefined ? { v: versionId, e: etag } : { e: etag };
  return JSON.stringify(s);
}

export function gzipSourceText(ref: ObjectRef, layout: CsvLayout, member?: GzipMember): string {
  const s: StoredGzip = { b: ref.bucket, k: ref.key, v: ref.versionId, l: layout, ...(member ? { z: member.start, ze: member.end, u: member.at } : {}) };
  return JSON.stringify(s);
}

export function fileSourceText(path: string, layout: CsvLayout, member: GzipMember): string {
  const s: StoredFile = { f: path, l: layout, z: member.start, ze: member.end, u: member.at };
  return JSON.stringify(s);
}

const memberOf = (s: StoredMember): GzipMember | undefined => (s.z !== undefined && s.ze !== undefined && s.u !== undefined ? { start: s.z, end: s.ze, at: s.u } : undefined);

/** The source of a segment: `manifest` is the job's CSV manifest object and Fields layout (CSV jobs). */
export function segmentSource(seg: SegmentState, manifest: { ref: ObjectRef; layout: CsvLayout } | undefined): SegmentSource {
  const parsed = JSON.parse(seg.source ?? '{}') as Partial<StoredCsv & StoredGzip & StoredFile & StoredInline>;
  if (parsed.d !== undefined && parsed.l !== undefined) return { kind: 'inline', data: Buffer.from(parsed.d, 'base64'), layout: parsed.l };
  const member = memberOf(parsed);
  if (parsed.f !== undefined && parsed.l !== undefined && member) return { kind: 'file', path: parsed.f, layout: parsed.l, member };
  if (parsed.k !== undefined && parsed.b !== undefined && parsed.l !== undefined) {
    return { kind: 'gzip', ref: { bucket: parsed.b, key: parsed.k, versionId: parsed.v }, layout: parsed.l, ...(member ? { member } : {}) };
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
  if (src.kind === 'file') {
    // Missing or unreadable (a worker that does not share the data directory): the job cannot go on.
    const raw = createReadStream(src.path, { start: src.member.start, end: src.member.end - 1 });
    return inflateRange(raw, from - src.member.at, to - from, `The generated manifest file ${src.path}`, signal);
  }
  const m = src.member;
  const { body } = await storage.getObject(src.ref, { ...(m ? { range: { start: m.start, end: m.end - 1 } } : {}), signal });
  return inflateRange(Readable.from(body), from - (m?.at ?? 0), to - from, `The ${m ? 'generated manifest' : 'inventory'} data file ${src.ref.key}`, signal);
}

/** `take` bytes from `skip` of the gunzipped `raw`. */
async function inflateRange(raw: Readable, skip: number, take: number, what: string, signal?: AbortSignal): Promise<Buffer> {
  const inflated = raw.pipe(createGunzip());
  raw.once('error', (e) => inflated.destroy(e));
  try {
    return await collect(inflated as AsyncIterable<Buffer>, skip, take, signal);
  } catch (e) {
    if (e instanceof S3Error) throw e;
    throw new ManifestChangedError(`${what} could not be read: ${(e as Error).message}`);
  } finally {
    inflated.destroy();
    raw.destroy();
  }
}
