/**
 * The CSV manifest reader: segment cutting at line boundaries whatever the chunking of the
 * stream, the tolerated deviations (BOM, CRLF, blank lines, header row, quoting, raw keys), bad
 * rows with their line numbers, and the tasks a segment's bytes give back.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { csvLayoutOf, decodeManifestKey, parseCsvTasks, scanCsvManifest, type CsvLayout } from '../../src/jobs/manifest/csv.js';

const two = csvLayoutOf(['Bucket', 'Key']);
const three = csvLayoutOf(['Bucket', 'Key', 'VersionId']);

async function* chunks(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

function tasksOf(buf: Buffer, layout: CsvLayout, from = 0, to = buf.length) {
  return [...parseCsvTasks(buf.subarray(from, to), from, layout, false)].map((p) => p.task);
}

describe('scanCsvManifest', () => {
  it('cuts segments at line boundaries whatever the chunk size', async () => {
    const lines = Array.from({ length: 25 }, (_, i) => `bkt,key-${i}.txt`);
    const buf = Buffer.from(lines.join('\n') + '\n');
    for (const size of [1, 3, 7, 64, 1 << 20]) {
      const scan = await scanCsvManifest(chunks(buf, size), two, { segmentLines: 10, sameBucket: true });
      assert.equal(scan.totalTasks, 25);
      assert.equal(scan.bytes, buf.length);
      assert.deepEqual(scan.segments.map((s) => [s.index, s.firstLine, s.lineCount]), [[0, 1, 10], [1, 11, 10], [2, 21, 5]]);
      assert.equal(scan.segments[0]!.startByte, 0);
      assert.equal(scan.segments[2]!.endByte, buf.length);
      // Segments are contiguous, and each parses back to exactly its rows.
      const keys: string[] = [];
      for (let i = 0; i < scan.segments.length; i++) {
        const s = scan.segments[i]!;
        if (i > 0) assert.equal(s.startByte, scan.segments[i - 1]!.endByte);
        const t = tasksOf(buf, two, s.startByte, s.endByte);
        assert.equal(t.length, s.lineCount);
        keys.push(...t.map((x) => x.key));
      }
      assert.deepEqual(keys, lines.map((l) => l.slice(4)));
    }
  });

  it('tolerates a BOM, CRLF, blank lines, no final newline and a header row', async () => {
    const buf = Buffer.from('\ufeffBucket,Key\r\nbkt,a\r\n\r\nbkt,b\r\n   \nbkt,c');
    const scan = await scanCsvManifest(chunks(buf, 4), two, { segmentLines: 2, sameBucket: true });
    assert.equal(scan.headerSkipped, true);
    assert.equal(scan.totalTasks, 3);
    assert.equal(scan.lines, 6);
    assert.deepEqual(scan.problems, []);
    assert.deepEqual(scan.segments.map((s) => [s.firstLine, s.lineCount]), [[2, 2], [6, 1]]);
    const all = scan.segments.flatMap((s) => tasksOf(buf, two, s.startByte, s.endByte).map((t) => t.key));
    assert.deepEqual(all, ['a', 'b', 'c']);
  });

  it('reads a lower-case "bucket,key" first line as an object: it is a valid bucket name', async () => {
    const scan = await scanCsvManifest(chunks(Buffer.from('bucket,key\n'), 100), two, { segmentLines: 10, sameBucket: true });
    assert.equal(scan.headerSkipped, false);
    assert.equal(scan.totalTasks, 1);
  });

  it('reports bad rows with their line numbers', async () => {
    const buf = Buffer.from('bkt,a,v1\nbkt,b\n,c,v\nbkt,,v\nother,d,v\nbkt,e,\n');
    const scan = await scanCsvManifest(chunks(buf, 5), three, { segmentLines: 10, sameBucket: true });
    assert.deepEqual(scan.problems, [
      { line: 2, message: 'expected 3 fields, found 2' },
      { line: 3, message: 'the Bucket field is empty' },
      { line: 4, message: 'the Key field is empty' },
      { line: 5, message: "names bucket 'other'; every row must name the same bucket as the first ('bkt')" },
    ]);
    assert.equal(scan.problemCount, 4);
    // An empty VersionId is not a bad row: that task fails on its own (AWS).
    assert.equal(scan.totalTasks, 2);
  });

  it('caps the problems it keeps but counts them all', async () => {
    const buf = Buffer.from('x\n'.repeat(50));
    const scan = await scanCsvManifest(chunks(buf, 16), two, { segmentLines: 10, sameBucket: true, maxProblems: 3 });
    assert.equal(scan.problems.length, 3);
    assert.equal(scan.problemCount, 50);
  });

  it('allows several buckets when the operation does', async () => {
    const scan = await scanCsvManifest(chunks(Buffer.from('b1,k\nb2,k\n'), 100), two, { segmentLines: 10, sameBucket: false });
    assert.deepEqual(scan.problems, []);
    assert.equal(scan.firstBucket, 'b1');
  });

  it('reads RFC 4180 quoted fields, commas and newlines inside them included', async () => {
    const buf = Buffer.from('"bkt","a,b"\nbkt,"say ""hi"""\n"bkt","multi\nline"\nbkt,plain\n');
    const scan = await scanCsvManifest(chunks(buf, 3), two, { segmentLines: 3, sameBucket: true });
    assert.deepEqual(scan.problems, []);
    assert.equal(scan.totalTasks, 4);
    const all = scan.segments.flatMap((s) => tasksOf(buf, two, s.startByte, s.endByte).map((t) => t.key));
    assert.deepEqual(all, ['a,b', 'say "hi"', 'multi\nline', 'plain']);
  });
});

describe('keys', () => {
  it('decodes URL-encoded keys, + as a space', () => {
    assert.equal(decodeManifestKey('photos/a%20b.jpg'), 'photos/a b.jpg');
    assert.equal(decodeManifestKey('logs/app%2Bweb/x+y.log'), 'logs/app+web/x y.log');
    assert.equal(decodeManifestKey('%E2%82%AC.txt'), '€.txt');
  });

  it('uses keys that cannot be URL-encoded as written', () => {
    assert.equal(decodeManifestKey('100% sure.txt'), '100% sure.txt');
    assert.equal(decodeManifestKey('a b+c.txt'), 'a b+c.txt');
    assert.equal(decodeManifestKey('café+1.txt'), 'café+1.txt');
    assert.equal(decodeManifestKey('bad%ZZ'), 'bad%ZZ');
    assert.equal(decodeManifestKey('%C3%28'), '%C3%28'); // not UTF-8
  });

  it('keeps the key as written for the report, and the extra columns of a raw key with commas when Key is last', () => {
    const t = tasksOf(Buffer.from('bkt,a%20b\nbkt,x,y,z\n'), two);
    assert.deepEqual(t, [
      { bucket: 'bkt', rawKey: 'a%20b', key: 'a b', versionId: undefined },
      { bucket: 'bkt', rawKey: 'x,y,z', key: 'x,y,z', versionId: undefined },
    ]);
  });

  it('maps columns by Fields, Ignore included', () => {
    const layout = csvLayoutOf(['Ignore', 'Key', 'Bucket', 'VersionId']);
    const t = tasksOf(Buffer.from('zzz,k1,bkt,null\nzzz,k2,bkt,\n'), layout);
    assert.deepEqual(t, [
      { bucket: 'bkt', rawKey: 'k1', key: 'k1', versionId: 'null' },
      { bucket: 'bkt', rawKey: 'k2', key: 'k2', versionId: '' },
    ]);
  });
});
