/**
 * docs/compatibility.md must list every operation of the SDK clients we serve, and each S3 row's
 * status must match the server: a handler exists exactly for the rows marked supported / partial.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/server.js';
import { s3Handlers } from '../../src/http/s3/handlers.js';
import { IamHandlers } from '../../src/http/iam/handlers.js';
import { StsHandlers } from '../../src/http/sts/handlers.js';
import { ControlHandlers } from '../../src/http/control/handlers.js';
import { IAMClient, TagUserCommand } from '@aws-sdk/client-iam';
import { ACCESS_KEY_ID, SECRET_ACCESS_KEY, startInProcess } from '../helpers/server.js';

function sdkOperations(client: string): string[] {
  const dir = join(repoRoot, 'node_modules', '@aws-sdk', client, 'dist-types', 'commands');
  return readdirSync(dir)
    .filter((f) => f.endsWith('Command.d.ts'))
    .map((f) => f.slice(0, -'Command.d.ts'.length));
}

/** The rows of the table under `## heading`: operation → status. */
function section(doc: string, heading: string): Map<string, string> {
  const start = doc.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `docs/compatibility.md has no section ${heading}`);
  const end = doc.indexOf('\n## ', start + 1);
  const rows = new Map<string, string>();
  for (const line of doc.slice(start, end < 0 ? undefined : end).split('\n')) {
    const m = /^\| (\w+) \| (supported|partial|NotImplemented) \|/.exec(line);
    if (m) rows.set(m[1]!, m[2]!);
  }
  return rows;
}

const doc = readFileSync(join(repoRoot, 'docs', 'compatibility.md'), 'utf8');

test('every S3 operation has a row whose status matches the handler table', () => {
  const rows = section(doc, 'Amazon S3');
  for (const op of sdkOperations('client-s3')) {
    const status = rows.get(op);
    assert.ok(status, `docs/compatibility.md lists no S3 operation ${op}`);
    const handled = op in s3Handlers;
    assert.equal(status !== 'NotImplemented', handled, `${op} is documented as ${status} but ${handled ? 'has' : 'has no'} handler`);
  }
  for (const op of Object.keys(s3Handlers)) assert.ok(rows.has(op), `handler ${op} is not documented`);
});

test('every S3 Control operation has a row whose status matches the jobs API handlers', () => {
  const rows = section(doc, 'Amazon S3 Control');
  for (const op of sdkOperations('client-s3-control')) {
    const status = rows.get(op);
    assert.ok(status, `docs/compatibility.md lists no S3 Control operation ${op}`);
    const handled = Object.hasOwn(ControlHandlers, op);
    assert.equal(status !== 'NotImplemented', handled, `S3 Control ${op} is documented as ${status} but ${handled ? 'has' : 'has no'} handler`);
  }
});

test('every IAM and STS operation has a row whose status matches the Query API handlers', () => {
  for (const [client, heading, handlers] of [['client-iam', 'AWS IAM', IamHandlers], ['client-sts', 'AWS STS', StsHandlers]] as const) {
    const rows = section(doc, heading);
    for (const op of sdkOperations(client)) {
      const status = rows.get(op);
      assert.ok(status, `docs/compatibility.md lists no ${heading} operation ${op}`);
      const handled = Object.hasOwn(handlers, op);
      assert.equal(status !== 'NotImplemented', handled, `${heading} ${op} is documented as ${status} but ${handled ? 'has' : 'has no'} handler`);
    }
  }
});

test('a real IAM operation s3batch does not serve answers NotImplemented', async () => {
  const server = await startInProcess();
  const iam = new IAMClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }, maxAttempts: 1 });
  try {
    await assert.rejects(iam.send(new TagUserCommand({ UserName: 'bob', Tags: [{ Key: 'k', Value: 'v' }] })), (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(e.name, 'NotImplemented');
      assert.equal(e.$metadata?.httpStatusCode, 501);
      return true;
    });
  } finally {
    iam.destroy();
    await server.stop();
  }
});
