/**
 * Reads a Server-Sent Events stream (GET /_events) the way the tests need it: every complete
 * `id / event / data` frame parsed, until the caller has seen enough or a time limit passes.
 */
import { get } from 'node:http';

export interface SseFrame {
  readonly id: string;
  readonly event: string;
  readonly data: any;
}

export interface SseStream {
  readonly status: number;
  readonly type: string | undefined;
  readonly frames: SseFrame[];
  /** Everything the server sent (an error document, when the status is not 200). */
  readonly raw: string;
}

/** GETs `url` and reads the stream until `until` says so (or `ms` elapse), then disconnects. */
export function readEventStream(url: string, headers: Record<string, string>, until: (frames: readonly SseFrame[]) => boolean, ms: number): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers }, (res) => {
      let raw = '';
      const frames: SseFrame[] = [];
      const done = (): void => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode!, type: res.headers['content-type'], frames, raw });
      };
      const timer = setTimeout(done, ms);
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        raw += c;
        frames.length = 0;
        for (const block of raw.split('\n\n')) {
          const m = /^id: (\d+)\nevent: (\w+)\ndata: (.*)$/.exec(block);
          if (m) frames.push({ id: m[1]!, event: m[2]!, data: JSON.parse(m[3]!) });
        }
        if (until(frames)) done();
      });
      res.on('end', done);
    });
    req.on('error', reject);
  });
}
