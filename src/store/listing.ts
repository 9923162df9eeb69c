/**
 * Listings in UTF-8 binary key order (SQLite's BINARY collation on TEXT compares UTF-8 bytes, as
 * S3 does). With a delimiter, a whole common prefix is skipped with one index seek past it rather
 * than by reading every key under it.
 */
import { getBucket } from './buckets.js';
import { toVersion, type StoreContext, type VersionRow } from './context.js';
import type { ObjectVersion } from './types.js';

export interface ListInput {
  readonly bucket: string;
  readonly prefix: string;
  readonly delimiter: string;
  /** Return only keys strictly after this one (start-after, marker, continuation token). */
  readonly after: string;
  readonly maxKeys: number;
}

export interface ListResult {
  readonly objects: ObjectVersion[];
  readonly commonPrefixes: string[];
  readonly isTruncated: boolean;
  /** The last key or common prefix returned (the next marker). */
  readonly last?: string;
}

/** The smallest string greater than every string that starts with `p`. */
function prefixEnd(p: string): string {
  // Incrementing the last code point gives the first string past all strings with this prefix.
  const cps = Array.from(p);
  const last = cps.pop()!.codePointAt(0)!;
  return cps.join('') + String.fromCodePoint(last + 1);
}

/** S3's key order: UTF-8 bytes (JS compares UTF-16 code units, which differs above U+FFFF). */
function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Greater-or-equal seek bound for keys after `after` (exclusive). */
function seekAfter(after: string): string {
  return after + '\u0000';
}

type Scan = (from: string, limit: number) => VersionRow[];

function listGeneric(input: ListInput, scan: Scan, keyOf: (r: VersionRow) => string): { rows: VersionRow[]; prefixes: string[]; isTruncated: boolean; last?: string } {
  const rows: VersionRow[] = [];
  const prefixes: string[] = [];
  let from = input.after === '' ? input.prefix : byteCompare(input.after, input.prefix) >= 0 ? seekAfter(input.after) : input.prefix;
  if (input.after !== '' && input.prefix !== '' && byteCompare(input.after, input.prefix) > 0 && !input.after.startsWith(input.prefix)) {
    return { rows, prefixes, isTruncated: false };
  }
  const limit = input.maxKeys;
  if (limit === 0) return { rows, prefixes, isTruncated: false };
  let count = 0;
  let last: string | undefined;
  const batch = Math.min(1000, limit + 1);
  for (;;) {
    const got = scan(from, batch);
    if (got.length === 0) return { rows, prefixes, isTruncated: false, last };
    let skipped = false;
    for (let i = 0; i < got.length; i++) {
      const r = got[i]!;
      const key = keyOf(r);
      if (!key.startsWith(input.prefix)) return { rows, prefixes, isTruncated: false, last };
      if (input.delimiter) {
        const at = key.indexOf(input.delimiter, input.prefix.length);
        if (at >= 0) {
          const cp = key.slice(0, at + input.delimiter.length);
          // A prefix at or before the marker was returned by an earlier page (the marker is then
          // that prefix, or a key under it): skip it rather than answer it again.
          if (input.after !== '' && byteCompare(cp, input.after) <= 0) {
            from = prefixEnd(cp);
            skipped = true;
            break;
          }
          if (count === limit) return { rows, prefixes, isTruncated: true, last };
          prefixes.push(cp);
          count++;
          last = cp;
          from = prefixEnd(cp);
          skipped = true;
          break;
        }
      }
      if (count === limit) return { rows, prefixes, isTruncated: true, last };
      rows.push(r);
      count++;
      last = key;
    }
    if (!skipped && got.length < batch) return { rows, prefixes, isTruncated: false, last };
    // Each scanned row is one key, so the next batch starts right after the last one.
    if (!skipped) from = seekAfter(keyOf(got[got.length - 1]!));
  }
}

export function listObjects(ctx: StoreContext, input: ListInput): ListResult {
  getBucket(ctx, input.bucket);
  const st = ctx.sql('SELECT * FROM versions WHERE bucket = ? AND latest = 1 AND delete_marker = 0 AND key >= ? ORDER BY key LIMIT ?');
  const res = listGeneric(input, (from, limit) => st.all(input.bucket, from, limit) as VersionRow[], (r) => r.key);
  return { objects: res.rows.map(toVersion), commonPrefixes: res.prefixes, isTruncated: res.isTruncated, last: res.last };
}

export interface ListVersionsInput extends ListInput {
  /** With `after` (key-marker): continue after this version of that key. */
  readonly versionIdMarker: string;
}

export interface ListVersionsResult {
  readonly versions: ObjectVersion[];
  readonly commonPrefixes: string[];
  readonly isTruncated: boolean;
  readonly nextKeyMarker?: string;
  readonly nextVersionIdMarker?: string;
}

/** ListObjectVersions: keys ascending, each key's versions newest first, delete markers included. */
export function listObjectVersions(ctx: StoreContext, input: ListVersionsInput): ListVersionsResult {
  getBucket(ctx, input.bucket);
  const versions: ObjectVersion[] = [];
  let budget = input.maxKeys;
  // Versions of the marker key older than the version-id marker come first.
  if (input.after !== '' && input.versionIdMarker !== '' && budget > 0) {
    const marker = ctx.sql('SELECT seq FROM versions WHERE bucket = ? AND key = ? AND version_id = ?').get(input.bucket, input.after, input.versionIdMarker) as { seq: number } | undefined;
    if (marker) {
      const rest = ctx.sql('SELECT * FROM versions WHERE bucket = ? AND key = ? AND seq < ? ORDER BY seq DESC LIMIT ?').all(input.bucket, input.after, marker.seq, budget + 1) as VersionRow[];
      if (rest.length > budget) {
        const page = rest.slice(0, budget).map(toVersion);
        const lastV = page[page.length - 1]!;
        return { versions: page, commonPrefixes: [], isTruncated: true, nextKeyMarker: lastV.key, nextVersionIdMarker: lastV.versionId };
      }
      versions.push(...rest.map(toVersion));
      budget -= rest.length;
    }
  }
  const keys = ctx.sql('SELECT DISTINCT key FROM versions WHERE bucket = ? AND key >= ? ORDER BY key LIMIT ?');
  const byKey = ctx.sql('SELECT * FROM versions WHERE bucket = ? AND key = ? ORDER BY seq DESC');
  // Walk keys (with delimiter folding) and expand each key into its versions.
  // Every key has at least one version, so budget + 1 keys or prefixes are enough to fill the page.
  const res = listGeneric(
    { ...input, maxKeys: budget + 1 },
    (from, limit) => (keys.all(input.bucket, from, limit) as { key: string }[]) as unknown as VersionRow[],
    (r) => r.key,
  );
  const prefixes: string[] = [];
  // Merge keys and prefixes in order, counting every version and prefix against max-keys.
  const entries: { key: string; prefix: boolean }[] = [
    ...res.rows.map((r) => ({ key: r.key, prefix: false })),
    ...res.prefixes.map((p) => ({ key: p, prefix: true })),
  ].sort((a, b) => byteCompare(a.key, b.key));
  for (const e of entries) {
    if (e.prefix) {
      if (budget === 0) return truncated(versions, prefixes);
      prefixes.push(e.key);
      budget--;
      continue;
    }
    const vs = byKey.all(input.bucket, e.key) as VersionRow[];
    for (const r of vs) {
      if (budget === 0) return truncated(versions, prefixes);
      versions.push(toVersion(r));
      budget--;
    }
  }
  return { versions, commonPrefixes: prefixes, isTruncated: false };
}

function truncated(versions: ObjectVersion[], prefixes: string[]): ListVersionsResult {
  const lastV = versions[versions.length - 1];
  const lastP = prefixes[prefixes.length - 1];
  if (lastP !== undefined && (!lastV || byteCompare(lastP, lastV.key) > 0)) {
    return { versions, commonPrefixes: prefixes, isTruncated: true, nextKeyMarker: lastP };
  }
  return { versions, commonPrefixes: prefixes, isTruncated: true, nextKeyMarker: lastV?.key, nextVersionIdMarker: lastV?.versionId };
}
