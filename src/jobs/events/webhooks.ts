/**
 * Webhook delivery of job events: every configured webhook gets every event of the job store
 * (optionally only some types), in order, at least once.
 *
 * Each webhook has a cursor: the sequence number of the last event it answered with a 2xx (or
 * that its type filter skipped). Cursors live in `<dataDir>/webhook-cursors.json`, written
 * temp → fsync → rename after each delivery, so a crash between a delivery and the cursor write
 * re-sends that one event (at least once), and a restart never skips one. A webhook is keyed by a
 * hash of its URL (the file holds no URL, which may carry a token, and no secret); a newly
 * configured webhook starts from the oldest retained event.
 *
 * A failed delivery (non-2xx, network error, timeout) is retried, with the same body, after an
 * exponential backoff with jitter (base · 2^attempt, capped, times 0.5–1), forever: later events of
 * that webhook wait (order per webhook), other webhooks are not held up. Secrets are never logged.
 */
import { createHash, createHmac } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { JobEvent, JobEventType, JobStore } from '../store.js';
import { renderJobEvent } from './render.js';

export interface WebhookConfig {
  readonly url: string;
  /** HMAC-SHA256 key of `x-s3batch-signature`. */
  readonly secret: string;
  /** Only these event types (default: all). */
  readonly events?: readonly JobEventType[];
  /** First retry delay, ms (default 1 s). */
  readonly retryBaseMs?: number;
  /** Longest retry delay, ms (default 5 min). */
  readonly retryMaxMs?: number;
}

export interface WebhookDeps {
  readonly jobs: Pick<JobStore, 'readEvents'>;
  readonly region: string;
  readonly dataDir: string;
  readonly fsync: boolean;
  readonly log: (msg: string) => void;
  /** Injectable for tests. */
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  readonly random?: () => number;
  /** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** How often an idle webhook looks for new events, ms. */
  readonly pollMs?: number;
  /** Per-request timeout, ms. */
  readonly timeoutMs?: number;
}

export interface WebhookDispatcher {
  /** Stops every delivery loop (an in-flight request is aborted; its event is re-sent next start). */
  stop(): Promise<void>;
}

export const SIGNATURE_HEADER = 'x-s3batch-signature';
export const EVENT_ID_HEADER = 'x-s3batch-event-id';
export const TIMESTAMP_HEADER = 'x-s3batch-timestamp';

const DEFAULT_BASE_MS = 1000;
const DEFAULT_MAX_MS = 5 * 60 * 1000;
const BATCH = 100;

export function signBody(secret: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

/** The delay before retry number `attempt` (0-based): exponential, capped, with jitter in [½, 1]. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(exp * (0.5 + random() / 2));
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export function webhookKey(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 32);
}

/** Where a URL points, for logs: no user info, query or fragment (they may carry tokens). */
function redact(url: string): string {
  try {
    const u = new URL(url);
    return u.origin + u.pathname;
  } catch {
    return '(invalid url)';
  }
}

/** The cursors file: one JSON object { webhookKey: seq }, replaced atomically. */
function cursorStore(dataDir: string, fsync: boolean): { get(key: string): number; set(key: string, seq: number): void } {
  const path = join(dataDir, 'webhook-cursors.json');
  let cursors: Record<string, number> = {};
  try {
    const doc = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (doc && typeof doc === 'object' && !Array.isArray(doc)) cursors = doc as Record<string, number>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
  return {
    get: (key) => (typeof cursors[key] === 'number' ? cursors[key]! : 0),
    set(key, seq) {
      cursors = { ...cursors, [key]: seq };
      const tmp = `${path}.tmp`;
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, JSON.stringify(cursors));
        if (fsync) fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
    },
  };
}

export function startWebhookDispatcher(webhooks: readonly WebhookConfig[], deps: WebhookDeps): WebhookDispatcher {
  const stopper = new AbortController();
  const signal = stopper.signal;
  const doFetch = deps.fetch ?? fetch;
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const sleep = deps.sleep ?? defaultSleep;
  const pollMs = deps.pollMs ?? 200;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const cursors = cursorStore(deps.dataDir, deps.fsync);

  /** One POST; true on a 2xx. */
  async function post(w: WebhookConfig, e: JobEvent, body: string): Promise<boolean> {
    // One controller per request, detached afterwards (AbortSignal.any would leave a listener
    // on the long-lived stop signal per request).
    const abort = new AbortController();
    const onStop = (): void => abort.abort();
    signal.addEventListener('abort', onStop, { once: true });
    const timer = setTimeout(() => abort.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    try {
      const res = await doFetch(w.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [EVENT_ID_HEADER]: e.eventId,
          [SIGNATURE_HEADER]: signBody(w.secret, body),
          [TIMESTAMP_HEADER]: String(Math.floor(now() / 1000)),
        },
        body,
        signal: abort.signal,
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return true;
      deps.log(`webhook ${redact(w.url)}: event ${e.seq} answered ${res.status}; retrying`);
      return false;
    } catch (err) {
      if (!signal.aborted) deps.log(`webhook ${redact(w.url)}: event ${e.seq} failed: ${(err as Error).message}; retrying`);
      return false;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onStop);
    }
  }

  /** Delivers one event until a 2xx or stop; true when delivered. */
  async function deliver(w: WebhookConfig, e: JobEvent): Promise<boolean> {
    const body = JSON.stringify(renderJobEvent(e, deps.region));
    for (let attempt = 0; !signal.aborted; attempt++) {
      if (await post(w, e, body)) return true;
      await sleep(backoffMs(attempt, w.retryBaseMs ?? DEFAULT_BASE_MS, w.retryMaxMs ?? DEFAULT_MAX_MS, random), signal);
    }
    return false;
  }

  async function run(w: WebhookConfig): Promise<void> {
    const key = webhookKey(w.url);
    let cursor = cursors.get(key);
    while (!signal.aborted) {
      let events: readonly JobEvent[];
      try {
        events = await deps.jobs.readEvents(cursor, BATCH);
      } catch (err) {
        if (signal.aborted) return;
        deps.log(`webhook ${redact(w.url)}: reading events failed: ${(err as Error).message}`);
        await sleep(pollMs * 5, signal);
        continue;
      }
      let skipped = false;
      for (const e of events) {
        if (w.events && !w.events.includes(e.type)) {
          cursor = e.seq;
          skipped = true;
          continue;
        }
        if (!(await deliver(w, e))) return;
        cursor = e.seq;
        cursors.set(key, cursor);
        skipped = false;
      }
      if (skipped) cursors.set(key, cursor);
      if (events.length < BATCH) await sleep(pollMs, signal);
    }
  }

  const loops = webhooks.map((w) =>
    run(w).catch((err: unknown) => deps.log(`webhook ${redact(w.url)}: delivery stopped: ${(err as Error).message}`)),
  );
  return {
    async stop() {
      stopper.abort();
      await Promise.all(loops);
    },
  };
}
