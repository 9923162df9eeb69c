#!/usr/bin/env node
/**
 * The `s3batch` command. The only place that reads process.argv / process.env and calls
 * process.exit.
 */
import { loadConfig, parseArgs, ConfigError } from '../config.js';
import { startApp } from '../app.js';
import { DataDirInUseError } from '../data-dir-lock.js';
import { runJobs } from './jobs.js';

const usage = `usage: s3batch <command> [options]

commands:
  server    serve the S3 API, the S3 Control jobs API, IAM and STS on one port (a web console comes later)
  jobs      create, list, describe, confirm, cancel, reprioritize, watch Batch Operations jobs and
            read their reports, over a server's S3 Control API ('s3batch jobs --help')

server options (environment variable in brackets):
  --host HOST          address to listen on (default 127.0.0.1; 'localhost' also listens on ::1) [S3BATCH_HOST]
  --port PORT          port (default 7070; 0 picks a free one) [S3BATCH_PORT]
  --data-dir DIR       where data lives (default ./data) [S3BATCH_DATA_DIR]
  --config FILE        YAML or JSON configuration file [S3BATCH_CONFIG]
  --region REGION      region of new buckets (default us-east-1) [S3BATCH_REGION]
  --account-id ID      the default account's 12-digit id (default 000000000000) [S3BATCH_ACCOUNT_ID]
  root credentials: [S3BATCH_ROOT_ACCESS_KEY_ID] [S3BATCH_ROOT_SECRET_ACCESS_KEY]
  (generated on first start and kept in <data-dir>/root-credentials.json when unset)
`;

async function server(flags: Record<string, string | boolean>): Promise<void> {
  const config = loadConfig(flags, process.env);
  const app = await startApp(config);
  const g = app.credentials.generated;
  if (g) {
    process.stdout.write(
      `Generated root credentials for account ${config.accountId} (kept in ${g.file}, mode 0600; shown once):\n` +
        `  AWS_ACCESS_KEY_ID=${g.accessKeyId}\n  AWS_SECRET_ACCESS_KEY=${g.secretAccessKey}\n`,
    );
  }
  process.stdout.write(`s3batch listening on ${app.url} (data in ${config.dataDir})\n`);
  let closing = false;
  const stop = (signal: string): void => {
    if (closing) return;
    closing = true;
    process.stdout.write(`${signal}: shutting down\n`);
    app.close().then(
      () => process.exit(0),
      (e) => {
        process.stderr.write(`shutdown failed: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function main(): Promise<void> {
  const { positional, flags } = parseArgs(process.argv.slice(2));
  const command = positional[0];
  if (command === 'jobs') {
    // Its own parser (boolean flags such as --json must not swallow the job id); its own --help.
    // The package supports Node 20; the SDK's "will require node >=22" notice is noise here.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const argv = process.argv.slice(2);
    argv.splice(argv.indexOf('jobs'), 1);
    process.exit(await runJobs(argv, { env: process.env, stdout: process.stdout, stderr: process.stderr }));
  }
  if (flags.help || flags.h || command === 'help' || command === undefined) {
    process.stdout.write(usage);
    process.exit(command === undefined && !flags.help ? 2 : 0);
  }
  switch (command) {
    case 'server':
      await server(flags);
      return;
    case 'jobs': // handled above, before the top-level --help
      return;
    default:
      process.stderr.write(`s3batch: unknown command '${command}'\n${usage}`);
      process.exit(2);
  }
}

main().catch((e: unknown) => {
  // A user's mistake (bad option, data directory in use) is a sentence, not a stack trace.
  if (e instanceof ConfigError || e instanceof DataDirInUseError) process.stderr.write(`s3batch: ${e.message}\n`);
  else process.stderr.write(`s3batch: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
