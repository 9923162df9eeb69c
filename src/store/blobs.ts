/**
 * Object bytes on disk. A file blob is written to tmp/, fsynced, then renamed into blobs/xx/<id>
 * before the metadata transaction that makes it visible commits; a crash between the rename and
 * the commit leaves an orphan file that `cleanOrphans` removes at the next start. File names are
 * random hex: no path is ever built from a bucket name or an object key.
 *
 * Small bodies (≤ inlineThreshold) never touch the file system: they are returned as a Buffer and
 * stored inline in the metadata database.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

export interface Ingested {
  readonly size: number;
  /** The bytes, when small enough to store inline. */
  readonly data?: Buffer;
  /** The blob file name (under blobs/), when stored as a file. */
  readonly file?: string;
}

export interface BlobFiles {
  /** Reads `source` to its end, feeding every chunk to `onChunk`, and stores it inline or as a file. */
  ingest(source: AsyncIterable<Buffer>, onChunk: (chunk: Buffer) => void, signal?: AbortSignal): Promise<Ingested>;
  /** A stream of `length` bytes of a file blob from `offset`. */
  read(file: string, offset: number, length: number): Readable;
  /** Removes a file blob whose last reference is gone (after the commit that dropped it). */
  remove(file: string): void;
  /** Deletes temp files and blob files that no committed metadata knows (crash leftovers). */
  cleanOrphans(known: (file: string) => boolean): number;
}

export function createBlobFiles(root: string, opts: { inlineThreshold: number; fsync: boolean }): BlobFiles {
  const blobsDir = join(root, 'blobs');
  const tmpDir = join(root, 'tmp');
  mkdirSync(blobsDir, { recursive: true });
  mkdirSync(tmpDir, { recursive: true });
  const pathOf = (file: string): string => join(blobsDir, file.slice(0, 2), file);
  const madeDirs = new Set<string>();

  async function ingest(source: AsyncIterable<Buffer>, onChunk: (c: Buffer) => void, signal?: AbortSignal): Promise<Ingested> {
    const pending: Buffer[] = [];
    let size = 0;
    const iterator = source[Symbol.asyncIterator]();
    // Buffer in memory until the body proves larger than the inline threshold.
    for (;;) {
      const r = await iterator.next();
      if (r.done) {
        return { size, data: pending.length === 1 ? pending[0]! : Buffer.concat(pending, size) };
      }
      const chunk = r.value;
      onChunk(chunk);
      size += chunk.length;
      pending.push(chunk);
      if (size > opts.inlineThreshold) break;
    }
    const file = randomBytes(16).toString('hex');
    const tmp = join(tmpDir, file);
    const fh = await open(tmp, 'wx', 0o600);
    let ok = false;
    try {
      await fh.writev(pending);
      for (;;) {
        signal?.throwIfAborted();
        const r = await iterator.next();
        if (r.done) break;
        onChunk(r.value);
        size += r.value.length;
        await fh.write(r.value);
      }
      if (opts.fsync) await fh.sync();
      ok = true;
    } finally {
      await fh.close();
      if (!ok) {
        await unlink(tmp).catch(() => undefined);
        await iterator.return?.();
      }
    }
    const dir = join(blobsDir, file.slice(0, 2));
    if (!madeDirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      madeDirs.add(dir);
    }
    await rename(tmp, pathOf(file));
    return { size, file };
  }

  function read(file: string, offset: number, length: number): Readable {
    return createReadStream(pathOf(file), { start: offset, end: offset + length - 1, highWaterMark: 256 * 1024 });
  }

  // Synchronous, so that once a delete has answered its bytes are gone too (and tests that count
  // files see a settled disk). A crash before the unlink leaves an orphan that start-up removes.
  function remove(file: string): void {
    try {
      unlinkSync(pathOf(file));
    } catch {
      // already gone
    }
  }

  function cleanOrphans(known: (file: string) => boolean): number {
    let removed = 0;
    for (const f of readdirSync(tmpDir)) {
      rmSync(join(tmpDir, f), { force: true, recursive: true });
      removed++;
    }
    for (const sub of readdirSync(blobsDir)) {
      const dir = join(blobsDir, sub);
      for (const f of readdirSync(dir)) {
        if (!known(f)) {
          rmSync(join(dir, f), { force: true });
          removed++;
        }
      }
    }
    return removed;
  }

  return { ingest, read, remove, cleanOrphans };
}
