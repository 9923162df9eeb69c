/**
 * CSV manifests (`S3BatchOperations_CSV_20180820`): one object per line, columns mapped by the
 * job's `Spec.Fields` (Bucket, Key, optional VersionId, Ignore), keys URL-encoded.
 *
 * Two passes over the bytes, both streaming:
 * - `scanCsvManifest` (Preparing) reads the whole manifest once, counts task rows, checks each
 *   row's shape and cuts the manifest into segments of `segmentLines` rows at line boundaries
 *   (byte ranges), so job state stays O(segments). It works on Buffers with native `indexOf`
 *   (memchr) and never builds a string per line: 10 M lines scan at ~3.9 M lines/s read from
 *   the embedded store on this machine (bench/jobs-manifest.ts), in constant memory.
 * - `parseCsvTasks` (a worker running one segment) turns a segment's bytes into tasks.
 *
 * What is tolerated, beyond AWS's rules (plain CSV, no header, no blank lines, UTF-8 without BOM,
 * URL-encoded keys) — each only where it cannot be read two ways:
 * - a UTF-8 byte-order mark at the start is skipped;
 * - CRLF line endings (the CR is dropped) and a missing final newline;
 * - blank lines anywhere (they are not tasks and do not count);
 * - a header row: the first line is skipped when its Bucket column reads `Bucket` with at least
 *   one capital letter (never a valid bucket name) and its Key column reads `Key` (any case);
 * - RFC 4180 quoting: `"…"` fields with `""` for a quote (how spreadsheets export a key with a
 *   comma);
 * - keys that are not URL-encoded: a key whose `%` is not followed by two hex digits, or that
 *   holds characters encoding never produces (space, non-ASCII…), is used as written. A key is
 *   otherwise decoded: `%XX` escapes, and `+` means a space (as in S3 Inventory reports and
 *   AWS's sample functions) — a literal `+` must be written `%2B`;
 * - a raw key with commas when Key is the last field: the extra columns are part of the key.
 * Everything else is a bad row, reported with its line number: too few columns, more columns than
 * Fields when Key is not last, an empty Bucket or Key, and (`sameBucket`) a row naming a bucket
 * other than the first row's.
 */
import type { ManifestField } from '../model.js';
import type { SegmentPlan } from '../store.js';

export interface CsvLayout {
  readonly columns: number;
  readonly bucket: number;
  readonly key: number;
  readonly versionId?: number;
  readonly keyIsLast: boolean;
}

/** The column positions of Spec.Fields (which the API front has checked to hold Bucket and Key). */
export function csvLayoutOf(fields: readonly ManifestField[]): CsvLayout {
  const bucket = fields.indexOf('Bucket');
  const key = fields.indexOf('Key');
  const v = fields.indexOf('VersionId');
  if (bucket < 0 || key < 0) throw new Error('csvLayoutOf: Fields must contain Bucket and Key');
  return { columns: fields.length, bucket, key, versionId: v >= 0 ? v : undefined, keyIsLast: key === fields.length - 1 };
}

export interface ManifestProblem {
  readonly line: number;
  readonly message: string;
}

export interface CsvScan {
  /** Task rows. */
  readonly totalTasks: number;
  /** Physical lines read (blank and header lines included). */
  readonly lines: number;
  readonly bytes: number;
  readonly segments: readonly SegmentPlan[];
  /** The first `maxProblems` bad rows. */
  readonly problems: readonly ManifestProblem[];
  readonly problemCount: number;
  readonly headerSkipped: boolean;
  /** The bucket of the first row. */
  readonly firstBucket?: string;
}

export interface ScanOptions {
  readonly segmentLines: number;
  /** Every row must name the first row's bucket. */
  readonly sameBucket: boolean;
  readonly maxProblems?: number;
  readonly signal?: AbortSignal;
}

const NL = 10;
const CR = 13;
const COMMA = 44;
const QUOTE = 34;

/** Field boundaries of one record: pairs of [start, end) byte offsets, or strings when it was quoted. */
type Fields = { readonly kind: 'bytes'; readonly bounds: number[] } | { readonly kind: 'text'; readonly values: string[] };

/** Splits an unquoted record [start, end) at commas into `out` ([s0, e0, s1, e1, …]). */
function splitPlain(buf: Buffer, start: number, end: number, out: number[]): void {
  out.length = 0;
  let s = start;
  for (;;) {
    const c = buf.indexOf(COMMA, s);
    if (c < 0 || c >= end) {
      out.push(s, end);
      return;
    }
    out.push(s, c);
    s = c + 1;
  }
}

/** RFC 4180 fields of a quoted record (slow path). */
function splitQuoted(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let v = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) {
          v += text.slice(i);
          i = text.length;
          break;
        }
        v += text.slice(i, q);
        if (text[q + 1] === '"') {
          v += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      const c = text.indexOf(',', i);
      // Anything between the closing quote and the comma is kept (lenient).
      v += c < 0 ? text.slice(i) : text.slice(i, c);
      out.push(v);
      if (c < 0) return out;
      i = c + 1;
    } else {
      const c = text.indexOf(',', i);
      out.push(c < 0 ? text.slice(i) : text.slice(i, c));
      if (c < 0) return out;
      i = c + 1;
    }
  }
}

/**
 * The end of the record starting at `start` (index of its '\n', or `limit`), honouring quotes:
 * a quoted field may hold newlines. `quoted` is set when the record has a quote.
 */
function recordEnd(buf: Buffer, start: number, limit: number, nextQuote: number): { end: number; quoted: boolean } {
  const nl = buf.indexOf(NL, start);
  const end = nl < 0 || nl >= limit ? limit : nl;
  if (nextQuote < 0 || nextQuote >= end) return { end, quoted: false };
  // Slow path: walk quotes until the newline that is outside any quoted field.
  let inQuotes = false;
  for (let i = start; i < limit; i++) {
    const b = buf[i]!;
    if (b === QUOTE) inQuotes = !inQuotes;
    else if (b === NL && !inQuotes) return { end: i, quoted: true };
  }
  return { end: limit, quoted: true };
}

function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (b !== 32 && b !== 9 && b !== CR) return false;
  }
  return true;
}

/** Trims a trailing CR from [start, end). */
function trimCr(buf: Buffer, start: number, end: number): number {
  return end > start && buf[end - 1] === CR ? end - 1 : end;
}

function fieldsOf(buf: Buffer, start: number, end: number, quoted: boolean, scratch: number[]): Fields {
  if (quoted) return { kind: 'text', values: splitQuoted(buf.toString('utf8', start, end)) };
  splitPlain(buf, start, end, scratch);
  return { kind: 'bytes', bounds: scratch };
}

function fieldCount(f: Fields): number {
  return f.kind === 'bytes' ? f.bounds.length / 2 : f.values.length;
}

function fieldText(buf: Buffer, f: Fields, i: number): string {
  return f.kind === 'bytes' ? buf.toString('utf8', f.bounds[2 * i]!, f.bounds[2 * i + 1]!) : f.values[i]!;
}

function fieldLength(f: Fields, i: number): number {
  return f.kind === 'bytes' ? f.bounds[2 * i + 1]! - f.bounds[2 * i]! : f.values[i]!.length;
}

/** The Key column's text: with extra columns and Key last, the rest of the record (a raw key with commas). */
function keyText(buf: Buffer, f: Fields, layout: CsvLayout): string {
  const n = fieldCount(f);
  if (n > layout.columns && layout.keyIsLast) {
    if (f.kind === 'bytes') return buf.toString('utf8', f.bounds[2 * layout.key]!, f.bounds[f.bounds.length - 1]!);
    return f.values.slice(layout.key).join(',');
  }
  return fieldText(buf, f, layout.key);
}

/** Why a record is not a task, or undefined. */
function problemOf(f: Fields, layout: CsvLayout): string | undefined {
  const n = fieldCount(f);
  if (n < layout.columns) return `expected ${layout.columns} fields, found ${n}`;
  if (n > layout.columns && !layout.keyIsLast) return `expected ${layout.columns} fields, found ${n}`;
  if (fieldLength(f, layout.bucket) === 0) return 'the Bucket field is empty';
  if (fieldLength(f, layout.key) === 0 && !(n > layout.columns)) return 'the Key field is empty';
  return undefined;
}

/** Whether field `i` holds exactly the bytes of `expected`. */
function sameAs(buf: Buffer, f: Fields, i: number, expected: Buffer): boolean {
  if (f.kind === 'bytes') return buf.compare(expected, 0, expected.length, f.bounds[2 * i]!, f.bounds[2 * i + 1]!) === 0;
  return f.values[i] === expected.toString();
}

function isHeader(buf: Buffer, f: Fields, layout: CsvLayout): boolean {
  if (fieldCount(f) < layout.columns) return false;
  const b = fieldText(buf, f, layout.bucket);
  const k = fieldText(buf, f, layout.key);
  return b.toLowerCase() === 'bucket' && /[A-Z]/.test(b) && k.toLowerCase() === 'key';
}

/**
 * Reads a whole CSV manifest once: counts its task rows, checks them, and cuts segments of
 * `segmentLines` rows. Byte offsets are of the manifest object as stored (BOM included).
 */
export async function scanCsvManifest(body: AsyncIterable<Buffer>, layout: CsvLayout, opts: ScanOptions): Promise<CsvScan> {
  const maxProblems = opts.maxProblems ?? 10;
  const segments: SegmentPlan[] = [];
  const problems: ManifestProblem[] = [];
  let problemCount = 0;
  let totalTasks = 0;
  let line = 0; // physical lines consumed
  let base = 0; // manifest offset of carry[0]
  let carry: Buffer = Buffer.alloc(0);
  let headerChecked = false;
  let headerSkipped = false;
  let firstBucket: Buffer | undefined;
  let segStart = -1;
  let segFirstLine = 0;
  let segRows = 0;
  const scratch: number[] = [];

  const closeSegment = (endByte: number): void => {
    if (segStart < 0) return;
    segments.push({ index: segments.length, startByte: segStart, endByte, firstLine: segFirstLine, lineCount: segRows });
    segStart = -1;
    segRows = 0;
  };

  const bad = (message: string): void => {
    problemCount++;
    if (problems.length < maxProblems) problems.push({ line, message });
  };

  /** Consumes every complete record of `buf` (all of it when `final`); returns the offset of the unconsumed tail. */
  const consume = (buf: Buffer, final: boolean): number => {
    let pos = 0;
    if (base === 0 && buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;
    let nextQuote = buf.indexOf(QUOTE, pos);
    while (pos < buf.length) {
      if (nextQuote >= 0 && nextQuote < pos) nextQuote = buf.indexOf(QUOTE, pos);
      const r = recordEnd(buf, pos, buf.length, nextQuote);
      if (r.end === buf.length && !final) return pos; // incomplete record: wait for more bytes
      const recEnd = trimCr(buf, pos, r.end);
      const next = r.end === buf.length ? r.end : r.end + 1;
      line++;
      if (!isBlank(buf, pos, recEnd)) {
        const f = fieldsOf(buf, pos, recEnd, r.quoted, scratch);
        if (!headerChecked) {
          headerChecked = true;
          if (isHeader(buf, f, layout)) {
            headerSkipped = true;
            pos = next;
            continue;
          }
        }
        let problem = problemOf(f, layout);
        if (problem === undefined) {
          if (!firstBucket) firstBucket = Buffer.from(fieldText(buf, f, layout.bucket));
          else if (opts.sameBucket && !sameAs(buf, f, layout.bucket, firstBucket)) {
            problem = `names bucket '${fieldText(buf, f, layout.bucket)}'; every row must name the same bucket as the first ('${firstBucket.toString()}')`;
          }
        }
        if (problem) bad(problem);
        else {
          if (segStart < 0) {
            segStart = base + pos;
            segFirstLine = line;
          }
          totalTasks++;
          segRows++;
          if (segRows === opts.segmentLines) closeSegment(base + next);
        }
      }
      pos = next;
    }
    return pos;
  };

  for await (const chunk of body) {
    opts.signal?.throwIfAborted();
    const buf = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
    const used = consume(buf, false);
    // Keep the incomplete tail; copy it so the big chunk can be freed.
    carry = used === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(used));
    base += used;
  }
  const used = consume(carry, true);
  base += used;
  closeSegment(base);
  return { totalTasks, lines: line, bytes: base, segments, problems, problemCount, headerSkipped, firstBucket: firstBucket?.toString() };
}

export interface ManifestTask {
  readonly bucket: string;
  /** The key as written in the manifest (what the report shows). */
  readonly rawKey: string;
  /** The decoded key (what the operation acts on). */
  readonly key: string;
  /** As written; '' when the VersionId column is empty (that task fails), undefined without a VersionId column. */
  readonly versionId?: string;
}

export interface ParsedTask {
  readonly task: ManifestTask;
  /** Manifest offset just past this record (where the next one starts). */
  readonly endByte: number;
}

const HEX = /^[0-9A-Fa-f]{2}$/;

/** Can `raw` be a URL-encoded key? (Encoders never leave spaces, controls or non-ASCII, and every % starts an escape.) */
function looksEncoded(raw: string): boolean {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c <= 32 || c >= 127) return false;
    if (c === 37 && !HEX.test(raw.slice(i + 1, i + 3))) return false;
  }
  return true;
}

/** The object key a manifest key names (see the tolerance rules above). */
export function decodeManifestKey(raw: string): string {
  if (raw.indexOf('%') < 0 && raw.indexOf('+') < 0) return raw;
  if (!looksEncoded(raw)) return raw;
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw; // escapes that are not UTF-8: the key was written raw
  }
}

/**
 * The tasks of a manifest byte range [0, buf.length) starting at manifest offset `base`. Blank
 * lines and a header (`skipHeader`: the range starts at the manifest's first line) are skipped;
 * rows the scan refused never reach here (the job failed in Preparing).
 */
export function* parseCsvTasks(buf: Buffer, base: number, layout: CsvLayout, skipHeader: boolean): Generator<ParsedTask> {
  let pos = 0;
  if (base === 0 && buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;
  let headerChecked = !skipHeader;
  let nextQuote = buf.indexOf(QUOTE, pos);
  const scratch: number[] = [];
  // Rows name the same bucket: one string for all of them, not one per row.
  let lastBucket = '';
  let lastBucketBytes: Buffer | undefined;
  const bucketOf = (f: Fields): string => {
    if (f.kind === 'bytes' && lastBucketBytes && sameAs(buf, f, layout.bucket, lastBucketBytes)) return lastBucket;
    lastBucket = fieldText(buf, f, layout.bucket);
    lastBucketBytes = Buffer.from(lastBucket);
    return lastBucket;
  };
  while (pos < buf.length) {
    if (nextQuote >= 0 && nextQuote < pos) nextQuote = buf.indexOf(QUOTE, pos);
    const r = recordEnd(buf, pos, buf.length, nextQuote);
    const recEnd = trimCr(buf, pos, r.end);
    const next = r.end === buf.length ? r.end : r.end + 1;
    if (!isBlank(buf, pos, recEnd)) {
      const f = fieldsOf(buf, pos, recEnd, r.quoted, scratch);
      if (!headerChecked) {
        headerChecked = true;
        if (isHeader(buf, f, layout)) {
          pos = next;
          continue;
        }
      }
      if (problemOf(f, layout) === undefined) {
        const rawKey = keyText(buf, f, layout);
        const task: ManifestTask = {
          bucket: bucketOf(f),
          rawKey,
          key: decodeManifestKey(rawKey),
          versionId: layout.versionId !== undefined ? fieldText(buf, f, layout.versionId) : undefined,
        };
        yield { task, endByte: base + next };
      }
    }
    pos = next;
  }
}
