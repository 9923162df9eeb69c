/**
 * `GET /_events?after=<seq>`: the job events of the caller's account as Server-Sent Events, for
 * the console and the CLI. Each event is `id: <seq>`, `event: JobCreated|JobStatusChanged`,
 * `data: <the EventBridge JSON of src/jobs/events/render.ts>`. The stream replays the events after
 * the `Last-Event-ID` header an EventSource sends when it reconnects, else after `?after=` (0:
 * every retained event), then follows new ones by polling the store; a comment line every 15 s
 * keeps proxies from closing an idle stream. The header wins because an EventSource reconnects to
 * the URL it was opened with: its `after` is where the client started, not where it got to.
 *
 * Runs after SigV4 verification: an anonymous caller gets AccessDenied; a signed one sees its own
 * account's events only (what s3:DescribeJob on its jobs would show).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../auth/credentials.js';
import { S3Error } from '../errors.js';
import type { JobEvent, JobStore } from '../jobs/store.js';
import { renderJobEvent } from '../jobs/events/render.js';
import { sendS3Error, writeRequestIdHeaders } from './errors.js';

export interface EventStreamDeps {
  readonly jobs: Pick<JobStore, 'readEvents'>;
  readonly region: string;
  /** The SigV4-verified caller; undefined for an unsigned request. */
  readonly principal: Principal | undefined;
  readonly requestId: string;
  readonly rawQuery: string;
  readonly log: (msg: string) => void;
  readonly pollMs?: number;
  readonly heartbeatMs?: number;
}

const BATCH = 500;

/** A non-negative integer sequence number, or undefined when absent. */
function seqParam(v: string | undefined, what: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^\d{1,15}$/.test(v)) throw new S3Error('InvalidArgument', `${what} must be a non-negative integer event sequence number, got '${v}'.`, { ArgumentName: what, ArgumentValue: v });
  return Number(v);
}

function frame(e: JobEvent, region: string): string {
  return `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(renderJobEvent(e, region))}\n\n`;
}

export async function handleEventStream(req: IncomingMessage, res: ServerResponse, deps: EventStreamDeps): Promise<void> {
  const method = req.method ?? 'GET';
  let cursor: number;
  let accountId: string;
  try {
    if (method !== 'GET') throw new S3Error('MethodNotAllowed', undefined, { Method: method, ResourceType: 'SERVICE' });
    if (deps.principal === undefined || deps.principal.accountId === '') throw new S3Error('AccessDenied');
    accountId = deps.principal.accountId;
    const q = new URLSearchParams(deps.rawQuery);
    const last = req.headers['last-event-id'];
    const after = seqParam(q.get('after') ?? undefined, 'after');
    cursor = seqParam(typeof last === 'string' ? last.trim() : undefined, 'Last-Event-ID') ?? after ?? 0;
  } catch (e) {
    sendS3Error(res, method, e instanceof S3Error ? e : new S3Error('InternalError'), deps.requestId, '/_events');
    return;
  }

  writeRequestIdHeaders(res, deps.requestId);
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write(': s3batch job events\n\n');

  let closed = false;
  let wake: (() => void) | undefined;
  const onClose = (): void => {
    closed = true;
    wake?.();
  };
  res.on('close', onClose);
  const heartbeat = setInterval(() => {
    if (!closed) res.write(': keep-alive\n\n');
  }, deps.heartbeatMs ?? 15_000);
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => ((wake = undefined), resolve()), ms);
      wake = () => (clearTimeout(t), (wake = undefined), resolve());
    });

  try {
    while (!closed) {
      const events = await deps.jobs.readEvents(cursor, BATCH);
      let out = '';
      for (const e of events) {
        if (e.accountId === accountId) out += frame(e, deps.region);
        cursor = e.seq;
      }
      if (out !== '' && !closed && !res.write(out)) {
        // Backpressure: a slow reader holds the loop, not memory.
        await new Promise<void>((resolve) => {
          res.once('drain', resolve);
          wake = resolve;
        });
      }
      if (events.length < BATCH) await pause(deps.pollMs ?? 200);
    }
  } catch (e) {
    deps.log(`events: stream failed: ${(e as Error).message}`);
    res.destroy();
  } finally {
    clearInterval(heartbeat);
    res.off('close', onClose);
    if (!res.writableEnded) res.end();
  }
}
