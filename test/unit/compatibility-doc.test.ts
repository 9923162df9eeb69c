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

test('every S3 Control, IAM and STS operation has a row', () => {
  for (const [client, heading] of [['client-s3-control', 'Amazon S3 Control'], ['client-iam', 'AWS IAM'], ['client-sts', 'AWS STS']] as const) {
    const rows = section(doc, heading);
    for (const op of sdkOperations(client)) assert.ok(rows.has(op), `docs/compatibility.md lists no ${heading} operation ${op}`);
  }
});
