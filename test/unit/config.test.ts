import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';
import { tempDir } from '../helpers/server.js';

function withFile(yaml: string): string {
  const f = join(tempDir('s3batch-config-'), 'c.yaml');
  writeFileSync(f, yaml);
  return f;
}

test('defaults, then file < env < flags', () => {
  const d = loadConfig({}, {});
  assert.equal(d.port, 7070);
  assert.equal(d.host, '127.0.0.1');
  assert.equal(d.accountId, '000000000000');
  assert.deepEqual(d.storage, { kind: 'embedded' });
  assert.deepEqual(d.lambdaFunctions, []);
  const f = withFile('port: 7100\nregion: eu-west-1\njobs: { maxTasks: 64 }\n');
  const c = loadConfig({ config: f, port: '7300' }, { S3BATCH_PORT: '7200', S3BATCH_JOB_MAX_TASKS_PER_JOB: '8' });
  assert.equal(c.port, 7300);
  assert.equal(c.region, 'eu-west-1');
  assert.equal(c.jobs.maxTasks, 64);
  assert.equal(c.jobs.maxTasksPerJob, 8);
});

test('lambda functions and remote storage are read and checked', () => {
  const f = withFile(`lambda:
  functions:
    - { arn: "arn:aws:lambda:us-east-1:000000000000:function:resize", url: "http://127.0.0.1:9000/resize" }
storage: { kind: remote, endpoint: "http://127.0.0.1:9100", region: us-east-1, accessKeyId: AK, secretAccessKey: SK, assumeRole: true }
`);
  const c = loadConfig({ config: f }, {});
  assert.deepEqual(c.lambdaFunctions, [{ arn: 'arn:aws:lambda:us-east-1:000000000000:function:resize', url: 'http://127.0.0.1:9000/resize' }]);
  assert.deepEqual(c.storage, { kind: 'remote', endpoint: 'http://127.0.0.1:9100', region: 'us-east-1', accessKeyId: 'AK', secretAccessKey: 'SK', assumeRole: true });
  for (const [yaml, message] of [
    ['lambda: { functions: [{ arn: "resize", url: "http://x" }] }', /lambda\.functions\[0\]\.arn must be a Lambda function ARN/],
    ['lambda: { functions: [{ arn: "arn:aws:lambda:us-east-1:000000000000:function:f", url: "ftp://x" }] }', /url must be an http\(s\) URL/],
    ['storage: { kind: remote, endpoint: "http://x" }', /storage\.region is required/],
    ['storage: { kind: tape }', /storage\.kind must be embedded or remote/],
    ['port: 99999', /port must be an integer from 0 to 65535/],
    ['accountId: "12"', /account id must be 12 digits/],
  ] as const) {
    assert.throws(() => loadConfig({ config: withFile(yaml) }, {}), (e: Error) => e instanceof ConfigError && message.test(e.message), yaml);
  }
});
