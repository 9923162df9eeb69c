/**
 * `s3batch jobs watch` on a TTY: the progress line it redraws (bar, % done, tasks/s, failures,
 * ETA; no ETA once terminal), and the redraw itself — `\r`, erase line, the line, a newline at
 * the end — through watchJob against a real in-process server with a TTY-like stdout.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { progressLine } from '../../src/cli/jobs-format.js';
import { watchJob } from '../../src/cli/jobs-watch.js';
import { controlClient, createRole, csvJobDefinition, putObject, startJobsServer, submitJob, waitForStatus, ACCOUNT, type JobsServer } from '../e2e/jobs-fixtures.js';

describe('progressLine', () => {
  it('Active, half done, with a rate: bar, %, tasks/s, failures, ETA in seconds', () => {
    assert.equal(progressLine({ status: 'Active', done: 50, total: 100, failed: 1, rate: 12.345 }, 10), '[#####.....]  Active  50/100 tasks  50.0%  12.3 tasks/s  1 failed  ETA 4s');
  });

  it('without a bar (width 0) the same text, as printed when stdout is not a TTY', () => {
    assert.equal(progressLine({ status: 'Active', done: 50, total: 100, failed: 1, rate: 12.345 }, 0), 'Active  50/100 tasks  50.0%  12.3 tasks/s  1 failed  ETA 4s');
  });

  it('the bar rounds to the nearest cell and the percentage keeps one decimal', () => {
    assert.equal(progressLine({ status: 'Active', done: 1, total: 3, failed: 0, rate: 1 }, 10), '[###.......]  Active  1/3 tasks  33.3%  1.0 tasks/s  0 failed  ETA 2s');
    assert.equal(progressLine({ status: 'Active', done: 2, total: 3, failed: 2, rate: 0.5 }, 10), '[#######...]  Active  2/3 tasks  66.7%  0.5 tasks/s  2 failed  ETA 2s');
    assert.equal(progressLine({ status: 'Active', done: 1, total: 1000, failed: 0, rate: 100 }, 20), `[${'.'.repeat(20)}]  Active  1/1000 tasks  0.1%  100.0 tasks/s  0 failed  ETA 10s`);
  });

  it('no rate yet (or a zero rate): "- tasks/s" and ETA ?', () => {
    assert.equal(progressLine({ status: 'Active', done: 0, total: 40, failed: 0 }, 10), '[..........]  Active  0/40 tasks  0.0%  - tasks/s  0 failed  ETA ?');
    assert.equal(progressLine({ status: 'Active', done: 10, total: 40, failed: 0, rate: 0 }, 4), '[#...]  Active  10/40 tasks  25.0%  0.0 tasks/s  0 failed  ETA ?');
  });

  it('before preparation has counted the tasks (total 0): an empty bar, 0.0%, ETA ?', () => {
    assert.equal(progressLine({ status: 'Preparing', done: 0, total: 0, failed: 0 }, 10), '[..........]  Preparing  0/0 tasks  0.0%  - tasks/s  0 failed  ETA ?');
    assert.equal(progressLine({ status: 'Suspended', done: 0, total: 7, failed: 0 }, 0), 'Suspended  0/7 tasks  0.0%  - tasks/s  0 failed  ETA ?');
  });

  it('ETA in minutes and seconds, then hours and minutes', () => {
    assert.match(progressLine({ status: 'Active', done: 100, total: 1000, failed: 0, rate: 10 }, 0), /  ETA 1m30s$/);
    assert.match(progressLine({ status: 'Active', done: 0, total: 3725, failed: 0, rate: 1 }, 0), /  ETA 1h02m$/);
    assert.match(progressLine({ status: 'Active', done: 0, total: 36_000, failed: 0, rate: 1 }, 0), /  ETA 10h00m$/);
    assert.match(progressLine({ status: 'Active', done: 0, total: 59, failed: 0, rate: 1 }, 0), /  ETA 59s$/);
  });

  it('terminal states show no ETA: Complete full, Failed and Cancelled part-way', () => {
    assert.equal(progressLine({ status: 'Complete', done: 100, total: 100, failed: 3, rate: 50 }, 20), `[${'#'.repeat(20)}]  Complete  100/100 tasks  100.0%  50.0 tasks/s  3 failed`);
    assert.equal(progressLine({ status: 'Failed', done: 1200, total: 2000, failed: 700, rate: 400 }, 10), '[######....]  Failed  1200/2000 tasks  60.0%  400.0 tasks/s  700 failed');
    assert.equal(progressLine({ status: 'Cancelled', done: 30, total: 120, failed: 0 }, 8), '[##......]  Cancelled  30/120 tasks  25.0%  - tasks/s  0 failed');
  });

  it('more done than counted never overfills the bar nor passes 100%', () => {
    assert.match(progressLine({ status: 'Active', done: 105, total: 100, failed: 0, rate: 5 }, 10), /^\[##########\]  Active  105\/100 tasks  100\.0%  5\.0 tasks\/s  0 failed  ETA /);
  });
});

describe('watchJob on a TTY', () => {
  let srv: JobsServer;
  let roleArn: string;

  /** A stdout that says it is a terminal of `columns` columns, and keeps what is written. */
  function tty(columns: number): { io: Parameters<typeof watchJob>[3]; text: () => string } {
    let out = '';
    const stdout = { isTTY: true, columns, write: (s: string) => (out += s) };
    return { io: { env: {}, stdout, stderr: { write: (s: string) => (out += `[stderr]${s}`) } }, text: () => out };
  }

  before(async () => {
    srv = await startJobsServer();
    for (const b of ['data', 'manifests']) await srv.s3.send(new CreateBucketCommand({ Bucket: b }));
    for (const k of ['a', 'b', 'c']) await putObject(srv.s3, 'data', k, k);
    roleArn = await createRole(srv.iam, 'batch-watch', ['s3:PutObjectTagging', 's3:GetObject', 's3:GetObjectVersion']);
  });

  after(async () => {
    await srv?.stop();
  });

  it('redraws one line in place and ends it with a newline and the final status; exit 0 for Complete', async () => {
    const etag = await putObject(srv.s3, 'manifests', 'm.csv', 'data,a\ndata,b\ndata,c\ndata,missing\n');
    const id = await submitJob(srv.app, csvJobDefinition({ operation: { kind: 'S3PutObjectTagging', tagSet: [['w', '1']] }, roleArn, manifest: { bucket: 'manifests', key: 'm.csv', etag }, report: false }));
    const t = tty(100); // bar width: columns − 70, between 10 and 40
    const code = await watchJob(controlClient(srv.url), ACCOUNT, id, t.io, { intervalMs: 20 });
    assert.equal(code, 0);
    const out = t.text();
    assert.ok(out.startsWith('\r\x1b[2K'), JSON.stringify(out));
    const frames = out.split('\r\x1b[2K').slice(1);
    // Only the last frame ends a line; every earlier one is overwritten in place.
    for (const f of frames.slice(0, -1)) assert.ok(!f.includes('\n'), JSON.stringify(f));
    assert.match(frames.at(-1)!, new RegExp(`^\\[#{30}\\]  Complete  4/4 tasks  100\\.0%  \\d+\\.\\d tasks/s  1 failed\\nJob ${id} Complete\\n$`));
  });

  it('a cancelled job: its last frame without ETA, the reason, exit 1', async () => {
    const etag = await putObject(srv.s3, 'manifests', 'c.csv', 'data,a\n');
    const id = await submitJob(srv.app, csvJobDefinition({ operation: { kind: 'S3PutObjectTagging', tagSet: [['w', '2']] }, roleArn, manifest: { bucket: 'manifests', key: 'c.csv', etag }, report: false, confirmationRequired: true }));
    await waitForStatus(srv.app, id, ['Suspended']);
    assert.ok((await srv.app.jobs.transition(id, ['Suspended'], 'Cancelled', { statusUpdateReason: 'not needed' }, Date.now())).ok);
    const t = tty(60); // narrow terminal: the bar keeps its 10 cells
    const code = await watchJob(controlClient(srv.url), ACCOUNT, id, t.io, { intervalMs: 20 });
    assert.equal(code, 1);
    assert.equal(t.text(), `\r\x1b[2K[..........]  Cancelled  0/1 tasks  0.0%  - tasks/s  0 failed\nreason: not needed\nJob ${id} Cancelled\n`);
  });
});
