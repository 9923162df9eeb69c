/**
 * One server per data directory (src/data-dir-lock.ts): a second server on a directory in use is
 * refused with a message that says so; a lock left by a killed server is taken over; closing
 * releases it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { DataDirInUseError } from '../../src/data-dir-lock.js';
import { ACCESS_KEY_ID, SECRET_ACCESS_KEY, tempDir } from '../helpers/server.js';

const configFor = (dir: string) => loadConfig({ port: '0', 'data-dir': dir }, { S3BATCH_ROOT_ACCESS_KEY_ID: ACCESS_KEY_ID, S3BATCH_ROOT_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY, S3BATCH_FSYNC: 'false' });

test('a second server on a data directory in use is refused; closing releases it', async () => {
  const dir = tempDir('s3batch-lock-');
  try {
    const first = await startApp(configFor(dir), () => undefined);
    assert.equal(readFileSync(join(dir, 'server.lock'), 'utf8').trim(), String(process.pid));
    await assert.rejects(startApp(configFor(dir), () => undefined), (e: unknown) => e instanceof DataDirInUseError && /in use by another s3batch server/.test(e.message));
    await first.close();
    assert.equal(existsSync(join(dir, 'server.lock')), false);
    const again = await startApp(configFor(dir), () => undefined);
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the lock of a server that was killed (its pid gone) is taken over', async () => {
  const dir = tempDir('s3batch-lock-');
  try {
    // A pid that certainly is not running: a child that has exited.
    const child = spawn(process.execPath, ['-e', '0']);
    const pid = child.pid!;
    await new Promise((r) => child.once('exit', r));
    writeFileSync(join(dir, 'server.lock'), `${pid}\n`);
    const app = await startApp(configFor(dir), () => undefined);
    assert.equal(readFileSync(join(dir, 'server.lock'), 'utf8').trim(), String(process.pid));
    await app.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
