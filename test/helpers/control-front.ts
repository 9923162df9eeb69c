/**
 * A small HTTP front for S3 Control tests: SigV4 and the session token verified against the app's
 * credentials (as src/http/server.ts does before it dispatches), then `handleControlRequest` with
 * a JobStore of its own (a fresh control database, which the app's job engine never sees, so job
 * statuses only change when a test changes them). Accepts absolute-form targets, so it also works
 * as the HTTP proxy the AWS CLI needs for `<account>.localhost` hosts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import type { App } from '../../src/app.js';
import { checkSessionToken, type Principal } from '../../src/auth/credentials.js';
import { openControlDb } from '../../src/db/open.js';
import { handleControlRequest } from '../../src/http/control/index.js';
import { sendControlError, toWireError } from '../../src/http/control/errors.js';
import { verifySigV4 } from '../../src/http/sigv4.js';
import { createSqlJobStore } from '../../src/jobs/store-sql.js';
import type { JobStore } from '../../src/jobs/store.js';
import { tempDir } from './server.js';

export interface ControlFront {
  readonly url: string;
  readonly port: number;
  readonly jobs: JobStore;
  /** Requests received, as "METHOD host target" (to check what clients send). */
  readonly seen: string[];
  close(): Promise<void>;
}

export async function startControlFront(app: App, opts: { now?: () => number } = {}): Promise<ControlFront> {
  const dir = tempDir('s3batch-control-');
  const cdb = await openControlDb(dir);
  const jobs = createSqlJobStore(cdb);
  const deps = { config: app.config, credentials: app.credentials, jobs, log: () => undefined, ...(opts.now ? { now: opts.now } : {}) };
  const seen: string[] = [];
  let n = 0;
  const server: Server = createServer((req, res) => {
    const requestId = `FRONT${(++n).toString().padStart(8, '0')}`;
    const method = req.method ?? 'GET';
    seen.push(`${method} ${req.headers.host ?? ''} ${req.url ?? ''}`);
    try {
      let url = req.url ?? '/';
      if (!url.startsWith('/')) url = /^https?:\/\/[^/?#]*(.*)$/i.exec(url)?.[1] || '/';
      const q = url.indexOf('?');
      const rawPath = q >= 0 ? url.slice(0, q) : url;
      const rawQuery = q >= 0 ? url.slice(q + 1) : '';
      const now = Date.now();
      const auth = verifySigV4({ method, rawPath, rawQuery, headers: req.headers }, (id) => app.credentials.lookup(id), now);
      let principal: Principal | undefined;
      if (auth) {
        const entry = app.credentials.lookup(auth.accessKeyId)!;
        checkSessionToken(entry, auth.sessionToken, now);
        principal = entry.principal;
      }
      void handleControlRequest(deps, { req, res, method, requestId, rawPath, rawQuery, auth, principal });
    } catch (e) {
      sendControlError(res, method, toWireError(e, () => undefined), requestId);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    jobs,
    seen,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await cdb.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
