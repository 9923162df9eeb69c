// Preparing a CSV manifest: the scan that counts the rows and cuts the segments, reading the
// manifest from the embedded store through the StorageClient as Preparing does. For each size
// (default 100 k and 10 M lines) one child process writes the manifest into a fresh store and a
// second, fresh child scans it and reports lines/s and its peak RSS, so the two sizes' memory can
// be compared: the scan streams, so 10 M lines must not cost more than 50 MB above 100 k.
//
//   npx tsc -p . && node dist/bench/jobs-manifest.js [--sizes 100000,10000000]
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { rootPrincipal, loadCredentials } from '../src/auth/credentials.js';
import { loadConfig } from '../src/config.js';
import { csvLayoutOf, scanCsvManifest } from '../src/jobs/manifest/csv.js';
import { createEmbeddedStorage } from '../src/storage/embedded/client.js';
import { createBucket } from '../src/store/buckets.js';
import { putObject } from '../src/store/objects.js';
import { openStore } from '../src/store/open.js';
import { tempDir } from '../test/helpers/server.js';

const ACCOUNT = '000000000000';
const { values } = parseArgs({ options: { sizes: { type: 'string', default: '100000,10000000' }, role: { type: 'string' }, dir: { type: 'string' }, lines: { type: 'string' } } });

function open(dir: string) {
  return openStore(dir, { inlineThreshold: 65536, fsync: false, restoreDelays: { Expedited: 1, Standard: 1, Bulk: 1 } });
}

async function write(dir: string, n: number): Promise<void> {
  const store = open(dir);
  createBucket(store.ctx, { name: 'manifests', owner: ACCOUNT, region: 'us-east-1', objectLock: false, acl: null });
  async function* body(): AsyncGenerator<Buffer> {
    for (let i = 0; i < n; i += 10_000) {
      let s = '';
      for (let j = i; j < Math.min(n, i + 10_000); j++) s += `my-data-bucket,photos/2024/01/img_${String(j).padStart(8, '0')}.jpg\n`;
      yield Buffer.from(s);
    }
  }
  await putObject(store.ctx, { bucket: 'manifests', key: 'm.csv', body: body(), owner: ACCOUNT, headers: { meta: {} }, storageClass: 'STANDARD', tags: [], acl: null });
  store.close();
}

async function scan(dir: string): Promise<void> {
  const store = open(dir);
  const config = loadConfig({ 'data-dir': dir, 'root-access-key-id': 'AKIAX', 'root-secret-access-key': 'x' }, {});
  const storage = createEmbeddedStorage({ store: store.ctx, credentials: loadCredentials(config), region: 'us-east-1' }, rootPrincipal(ACCOUNT, 'AKIAX'));
  const t0 = performance.now();
  const { body } = await storage.getObject({ bucket: 'manifests', key: 'm.csv' });
  const r = await scanCsvManifest(body, csvLayoutOf(['Bucket', 'Key']), { segmentLines: 10_000, sameBucket: true });
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ lines: r.totalTasks, segments: r.segments.length, ms: Math.round(ms), linesPerSecond: Math.round(r.totalTasks / (ms / 1000)), maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }));
  store.close();
}

if (values.role === 'write') await write(values.dir!, Number(values.lines));
else if (values.role === 'scan') await scan(values.dir!);
else {
  const self = fileURLToPath(import.meta.url);
  const results = [];
  for (const n of values.sizes!.split(',').map(Number)) {
    const dir = tempDir('s3batch-bench-manifest-');
    try {
      execFileSync(process.execPath, [self, '--role', 'write', '--dir', dir, '--lines', String(n)], { stdio: ['ignore', 'ignore', 'inherit'] });
      const out = execFileSync(process.execPath, [self, '--role', 'scan', '--dir', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const r = JSON.parse(out.trim().split('\n').pop()!);
      results.push(r);
      console.log(JSON.stringify(r));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (results.length >= 2) console.log(JSON.stringify({ rssGrowthMB: results[results.length - 1].maxRssMB - results[0].maxRssMB }));
}
