/**
 * Real command-line clients against a real `s3batch server` process: the AWS CLI v2 (s3api and
 * the high-level s3 commands), rclone and s3cmd. Each tool's results are checked exactly, and
 * cross-checked with the SDK. Large multipart transfers are covered by the multipart suite.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ACCESS_KEY_ID, AWS_CLI, cliEnv, REGION, s3Client, SECRET_ACCESS_KEY, startProcess, tempDir, type ProcessServer } from '../helpers/server.js';
import { s3Handlers } from '../../src/http/s3/handlers.js';

const run = promisify(execFile);

let server: ProcessServer;
let s3: S3Client;
let work: string;

before(async () => {
  server = await startProcess();
  s3 = s3Client(server.url);
  work = tempDir('s3batch-cli-');
});

after(async () => {
  s3.destroy();
  await server.stop();
  rmSync(work, { recursive: true, force: true });
});

async function tool(cmd: string, args: string[], env: NodeJS.ProcessEnv = cliEnv()): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(cmd, args, { env, maxBuffer: 16 * 1024 * 1024, timeout: 60_000 });
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${x.message}\nstdout: ${x.stdout}\nstderr: ${x.stderr}`);
  }
}

const aws = (...args: string[]) => tool(AWS_CLI, ['--endpoint-url', server.url, '--no-cli-pager', ...args]);
const awsJson = async (...args: string[]): Promise<Record<string, unknown>> => {
  const { stdout } = await aws(...args, '--output', 'json');
  return stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>);
};
const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');
const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Every file under `dir` as relative path → contents. */
function readTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** A tree of 20 files in nested directories, one above the inline threshold, awkward names. */
function makeTree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (let i = 1; i <= 6; i++) files.set(`top-${i}.txt`, Buffer.from(`top file ${i}\n`));
  for (let i = 1; i <= 5; i++) files.set(`a/b/c/deep-${i}.txt`, Buffer.from(`deep ${i}\n`.repeat(i)));
  for (let i = 1; i <= 4; i++) files.set(`a/mid-${i}.csv`, Buffer.from(`${i},${i * i}\n`));
  files.set('sp ace/with space.txt', Buffer.from('space'));
  files.set('plus/a+b=c.txt', Buffer.from('plus'));
  files.set('ünï/cödé 日本.txt', Buffer.from('unicode'));
  files.set('pct/100%.txt', Buffer.from('percent'));
  const big = Buffer.alloc(300 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + 3) & 255;
  files.set('bin/big.bin', big);
  assert.equal(files.size, 20);
  for (const [rel, data] of files) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), data);
  }
  return files;
}

async function listKeys(bucket: string, prefix = ''): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let token: string | undefined;
  do {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const c of r.Contents ?? []) out.set(c.Key!, c.Size!);
    token = r.NextContinuationToken;
  } while (token);
  return out;
}

describe('AWS CLI v2', () => {
  it('s3api: create-bucket, put/head/get-object, list-objects-v2, copy-object, delete-object', async () => {
    const created = await awsJson('s3api', 'create-bucket', '--bucket', 'cli-api');
    assert.deepEqual(created, { Location: '/cli-api' });
    const file = join(work, 'upload.txt');
    writeFileSync(file, 'hello from the aws cli\n');
    const put = await awsJson('s3api', 'put-object', '--bucket', 'cli-api', '--key', 'dir/a b+c.txt', '--body', file, '--metadata', 'colour=blue,size=xl', '--content-type', 'text/plain');
    assert.equal(put.ETag, `"${md5('hello from the aws cli\n')}"`);
    const head = await awsJson('s3api', 'head-object', '--bucket', 'cli-api', '--key', 'dir/a b+c.txt');
    assert.equal(head.ContentLength, 23);
    assert.equal(head.ETag, put.ETag);
    assert.equal(head.ContentType, 'text/plain');
    assert.deepEqual(head.Metadata, { colour: 'blue', size: 'xl' });
    const out = join(work, 'downloaded.txt');
    const got = await awsJson('s3api', 'get-object', '--bucket', 'cli-api', '--key', 'dir/a b+c.txt', out);
    assert.equal(got.ContentLength, 23);
    assert.equal(readFileSync(out, 'utf8'), 'hello from the aws cli\n');
    const copy = await awsJson('s3api', 'copy-object', '--bucket', 'cli-api', '--key', 'copies/ü 1.txt', '--copy-source', 'cli-api/dir/a b+c.txt');
    assert.equal((copy.CopyObjectResult as Record<string, unknown>).ETag, put.ETag);
    // list-objects-v2 asks for encoding-type=url and decodes: keys with ' ', '+', 'ü' come back whole.
    const list = await awsJson('s3api', 'list-objects-v2', '--bucket', 'cli-api');
    const contents = list.Contents as { Key: string; Size: number; ETag: string }[];
    assert.deepEqual(contents.map((c) => [c.Key, c.Size, c.ETag]), [
      ['copies/ü 1.txt', 23, put.ETag],
      ['dir/a b+c.txt', 23, put.ETag],
    ]);
    const page = await awsJson('s3api', 'list-objects-v2', '--bucket', 'cli-api', '--prefix', 'dir/', '--delimiter', '/', '--max-items', '1');
    assert.deepEqual((page.Contents as { Key: string }[]).map((c) => c.Key), ['dir/a b+c.txt']);
    const del = await aws('s3api', 'delete-object', '--bucket', 'cli-api', '--key', 'copies/ü 1.txt');
    assert.equal(del.stdout.trim(), '');
    assert.deepEqual([...(await listKeys('cli-api')).keys()], ['dir/a b+c.txt']);
  });

  it('s3api: put-object-tagging', { skip: s3Handlers.PutObjectTagging && s3Handlers.GetObjectTagging ? false : 'PutObjectTagging is not implemented yet' }, async () => {
    await aws('s3api', 'put-object-tagging', '--bucket', 'cli-api', '--key', 'dir/a b+c.txt', '--tagging', 'TagSet=[{Key=team,Value=blue},{Key=env,Value=test}]');
    const tags = await awsJson('s3api', 'get-object-tagging', '--bucket', 'cli-api', '--key', 'dir/a b+c.txt');
    assert.deepEqual(tags.TagSet, [
      { Key: 'team', Value: 'blue' },
      { Key: 'env', Value: 'test' },
    ]);
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: 'cli-api', Key: 'dir/a b+c.txt' }))).TagCount, 2);
  });

  it('s3: sync a tree up and down, ls, cp, sync --delete, rm', async () => {
    await aws('s3', 'mb', 's3://cli-sync');
    const src = join(work, 'tree');
    const files = makeTree(src);
    const up = await aws('s3', 'sync', src, 's3://cli-sync/tree', '--no-progress');
    assert.equal(up.stdout.split('\n').filter((l) => l.startsWith('upload: ')).length, 20);
    const stored = await listKeys('cli-sync');
    assert.deepEqual([...stored.entries()].sort((a, b) => byteOrder(a[0], b[0])), [...files.entries()].map(([k, v]) => [`tree/${k}`, v.length] as [string, number]).sort((a, b) => byteOrder(a[0], b[0])));
    for (const [k, v] of files) {
      const h = await s3.send(new HeadObjectCommand({ Bucket: 'cli-sync', Key: `tree/${k}` }));
      assert.equal(h.ETag, `"${md5(v)}"`, k);
    }

    // ls --recursive: one line per object, "<date> <time> <size> <key>".
    const ls = await aws('s3', 'ls', '--recursive', 's3://cli-sync/tree/');
    const lines = ls.stdout.trim().split('\n').map((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +(\d+) (.*)$/.exec(l)!);
    assert.ok(lines.every((m) => m !== null), ls.stdout);
    assert.deepEqual(new Map(lines.map((m) => [m[2]!, Number(m[1])])), stored);
    const top = await aws('s3', 'ls', 's3://cli-sync/tree/');
    assert.deepEqual(
      top.stdout.trim().split('\n').filter((l) => l.includes('PRE ')).map((l) => l.trim()),
      ['PRE a/', 'PRE bin/', 'PRE pct/', 'PRE plus/', 'PRE sp ace/', 'PRE ünï/'],
    );

    // A second sync has nothing to do.
    const again = await aws('s3', 'sync', src, 's3://cli-sync/tree', '--no-progress');
    assert.equal(again.stdout.trim(), '');

    const down = join(work, 'down');
    const dl = await aws('s3', 'sync', 's3://cli-sync/tree', down, '--no-progress');
    assert.equal(dl.stdout.split('\n').filter((l) => l.startsWith('download: ')).length, 20);
    assert.deepEqual(readTree(down), files);

    // Change one file, delete another, sync --delete: the bucket follows.
    writeFileSync(join(src, 'top-1.txt'), 'changed and longer\n');
    rmSync(join(src, 'a/mid-2.csv'));
    const sync2 = await aws('s3', 'sync', src, 's3://cli-sync/tree', '--delete', '--no-progress');
    const actions = sync2.stdout.trim().split('\n').map((l) => l.split(':')[0]).sort();
    assert.deepEqual(actions, ['delete', 'upload']);
    const after = await listKeys('cli-sync');
    assert.equal(after.size, 19);
    assert.equal(after.get('tree/top-1.txt'), 19);
    assert.equal(after.has('tree/a/mid-2.csv'), false);

    // cp one file up, down, and to stdout.
    await aws('s3', 'cp', join(src, 'bin/big.bin'), 's3://cli-sync/single/big copy.bin', '--no-progress');
    await aws('s3', 'cp', 's3://cli-sync/single/big copy.bin', join(work, 'big-back.bin'), '--no-progress');
    assert.deepEqual(readFileSync(join(work, 'big-back.bin')), files.get('bin/big.bin'));
    const cat = await aws('s3', 'cp', 's3://cli-sync/tree/sp ace/with space.txt', '-');
    assert.equal(cat.stdout, 'space');

    const rm = await aws('s3', 'rm', '--recursive', 's3://cli-sync/');
    assert.equal(rm.stdout.trim().split('\n').filter((l) => l.startsWith('delete: ')).length, 20);
    assert.equal((await listKeys('cli-sync')).size, 0);
    await aws('s3', 'rb', 's3://cli-sync');
    await assert.rejects(s3.send(new HeadBucketCommand({ Bucket: 'cli-sync' })), { name: 'NotFound' });
  });
});

describe('rclone', () => {
  let env: NodeJS.ProcessEnv;
  before(() => {
    const conf = join(work, 'rclone.conf');
    writeFileSync(conf, '');
    env = {
      ...cliEnv(),
      RCLONE_CONFIG: conf,
      RCLONE_CONFIG_S3B_TYPE: 's3',
      RCLONE_CONFIG_S3B_PROVIDER: 'Other',
      RCLONE_CONFIG_S3B_ENDPOINT: server.url,
      RCLONE_CONFIG_S3B_ACCESS_KEY_ID: ACCESS_KEY_ID,
      RCLONE_CONFIG_S3B_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
      RCLONE_CONFIG_S3B_REGION: REGION,
      RCLONE_CONFIG_S3B_FORCE_PATH_STYLE: 'true',
    };
  });
  const rclone = (...args: string[]) => tool('/usr/bin/rclone', args, env);

  it('mkdir, copy, ls, lsjson, check, sync, delete, purge', async () => {
    await rclone('mkdir', 's3b:rc-bkt');
    await s3.send(new HeadBucketCommand({ Bucket: 'rc-bkt' }));
    const src = join(work, 'rtree');
    const files = makeTree(src);
    await rclone('copy', src, 's3b:rc-bkt/data');
    const stored = await listKeys('rc-bkt');
    assert.deepEqual(new Set(stored.keys()), new Set([...files.keys()].map((k) => `data/${k}`)));

    const ls = await rclone('ls', 's3b:rc-bkt');
    const lsLines = ls.stdout.trim().split('\n').map((l) => /^ *(\d+) (.*)$/.exec(l)!);
    assert.deepEqual(new Map(lsLines.map((m) => [m[2]!, Number(m[1])])), new Map([...files].map(([k, v]) => [`data/${k}`, v.length])));

    const json = JSON.parse((await rclone('lsjson', '-R', '--hash', 's3b:rc-bkt/data')).stdout) as { Path: string; Size: number; IsDir: boolean; Hashes?: { md5?: string } }[];
    const objects = json.filter((e) => !e.IsDir);
    assert.equal(objects.length, 20);
    for (const o of objects) {
      const data = files.get(o.Path);
      assert.ok(data, o.Path);
      assert.equal(o.Size, data.length, o.Path);
      assert.equal(o.Hashes?.md5, md5(data), o.Path);
    }
    assert.deepEqual(json.filter((e) => e.IsDir).map((e) => e.Path).sort(), ['a', 'a/b', 'a/b/c', 'bin', 'pct', 'plus', 'sp ace', 'ünï'].sort());

    const check = await rclone('check', src, 's3b:rc-bkt/data');
    assert.match(check.stderr, /0 differences found/);
    assert.match(check.stderr, /20 matching files/);

    writeFileSync(join(src, 'top-2.txt'), 'rclone changed this\n');
    rmSync(join(src, 'a/b/c'), { recursive: true });
    await rclone('sync', src, 's3b:rc-bkt/data');
    const synced = await listKeys('rc-bkt');
    assert.equal(synced.size, 15);
    assert.equal(synced.get('data/top-2.txt'), 20);
    assert.ok(![...synced.keys()].some((k) => k.startsWith('data/a/b/c/')));
    const body = await s3.send(new GetObjectCommand({ Bucket: 'rc-bkt', Key: 'data/top-2.txt' }));
    assert.equal(await body.Body!.transformToString(), 'rclone changed this\n');
    assert.match((await rclone('check', src, 's3b:rc-bkt/data')).stderr, /0 differences found/);

    await rclone('delete', 's3b:rc-bkt/data/a');
    assert.deepEqual([...(await listKeys('rc-bkt', 'data/a/')).keys()], []);
    assert.equal((await listKeys('rc-bkt')).size, 11);

    await rclone('purge', 's3b:rc-bkt');
    await assert.rejects(s3.send(new HeadBucketCommand({ Bucket: 'rc-bkt' })), { name: 'NotFound' });
    const lsd = await rclone('lsd', 's3b:');
    assert.ok(!lsd.stdout.includes('rc-bkt'));
  });
});

describe('s3cmd', () => {
  let cfg: string;
  before(() => {
    cfg = join(work, 's3cfg');
    const hostPort = `127.0.0.1:${server.port}`;
    writeFileSync(
      cfg,
      ['[default]', `access_key = ${ACCESS_KEY_ID}`, `secret_key = ${SECRET_ACCESS_KEY}`, `host_base = ${hostPort}`, `host_bucket = ${hostPort}`, 'use_https = False', 'signature_v2 = False', `bucket_location = ${REGION}`, ''].join('\n'),
    );
  });
  const s3cmd = (...args: string[]) => tool('/usr/bin/s3cmd', ['-c', cfg, ...args]);

  it('mb, put, ls, get, info, del, rb', async () => {
    assert.equal((await s3cmd('mb', 's3://s3c-bkt')).stdout.trim(), "Bucket 's3://s3c-bkt/' created");
    const f1 = join(work, 's3cmd-1.txt');
    writeFileSync(f1, 'first s3cmd file\n');
    const f2 = join(work, 's3cmd-2.bin');
    const big = Buffer.alloc(100 * 1024, 9);
    writeFileSync(f2, big);
    await s3cmd('put', f1, 's3://s3c-bkt/dir/one.txt');
    await s3cmd('put', f2, 's3://s3c-bkt/sp ace/two+2.bin');

    const ls = await s3cmd('ls', 's3://s3c-bkt');
    assert.deepEqual(ls.stdout.trim().split('\n').map((l) => l.trim().replace(/\s+/g, ' ')), ['DIR s3://s3c-bkt/dir/', 'DIR s3://s3c-bkt/sp ace/']);
    const lsr = await s3cmd('ls', '-r', 's3://s3c-bkt');
    const rows = lsr.stdout.trim().split('\n').map((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d +(\d+) +(s3:\/\/.*)$/.exec(l)!);
    assert.deepEqual(rows.map((m) => [Number(m[1]), m[2]]), [
      [17, 's3://s3c-bkt/dir/one.txt'],
      [102400, 's3://s3c-bkt/sp ace/two+2.bin'],
    ]);

    const back = join(work, 's3cmd-back.bin');
    await s3cmd('get', 's3://s3c-bkt/sp ace/two+2.bin', back);
    assert.deepEqual(readFileSync(back), big);

    const info = (await s3cmd('info', 's3://s3c-bkt/dir/one.txt')).stdout;
    assert.match(info, /File size: 17\n/);
    assert.match(info, new RegExp(`MD5 sum: +${md5('first s3cmd file\n')}\n`));
    assert.match(info, /Storage: +STANDARD\n/);
    const binfo = (await s3cmd('info', 's3://s3c-bkt')).stdout;
    assert.match(binfo, /Location: +us-east-1\n/);

    assert.equal((await s3cmd('del', 's3://s3c-bkt/dir/one.txt')).stdout.trim(), "delete: 's3://s3c-bkt/dir/one.txt'");
    await assert.rejects(s3cmd('rb', 's3://s3c-bkt'), /BucketNotEmpty/);
    await s3cmd('del', 's3://s3c-bkt/sp ace/two+2.bin');
    assert.equal((await s3cmd('rb', 's3://s3c-bkt')).stdout.trim(), "Bucket 's3://s3c-bkt/' removed");
    await assert.rejects(s3.send(new HeadBucketCommand({ Bucket: 's3c-bkt' })), { name: 'NotFound' });
  });
});
