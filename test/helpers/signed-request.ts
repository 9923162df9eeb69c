/**
 * Raw HTTP requests for the tests that an SDK cannot make: virtual-host style Host headers,
 * absolute-form request targets, hand-made bodies, stale dates, wrong keys. Requests are signed
 * with @smithy/signature-v4 (the SDK's own signer), independent of the server's SigV4 code.
 */
import { createHash, createHmac } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY } from './server.js';

function toBytes(d: string | ArrayBuffer | ArrayBufferView): string | Buffer {
  if (typeof d === 'string') return d;
  if (ArrayBuffer.isView(d)) return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  return Buffer.from(d);
}

class Sha256 {
  private readonly h: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret !== undefined ? createHmac('sha256', toBytes(secret)) : createHash('sha256');
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {}
}

export interface RawRequest {
  readonly method: string;
  /** Already percent-encoded path, starting with '/'. */
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** Host header (default 127.0.0.1:<port>). */
  readonly host?: string;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly date?: Date;
  /** Sign the body's SHA-256 (default) or send UNSIGNED-PAYLOAD. */
  readonly unsignedPayload?: boolean;
  /** Do not sign at all (anonymous). */
  readonly anonymous?: boolean;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function signer(accessKeyId: string, secretAccessKey: string): SignatureV4 {
  return new SignatureV4({
    service: 's3',
    region: REGION,
    credentials: { accessKeyId, secretAccessKey },
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: true,
  });
}

function queryString(q: Record<string, string>): string {
  return Object.entries(q)
    .map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
    .join('&');
}

/** Signs a request for 127.0.0.1:port; returns the headers to send. */
export async function signRequest(port: number, r: RawRequest): Promise<Record<string, string>> {
  const host = r.host ?? `127.0.0.1:${port}`;
  const body = r.body ?? '';
  const headers: Record<string, string> = { host, ...(r.headers ?? {}) };
  if (r.anonymous) return headers;
  headers['x-amz-content-sha256'] = r.unsignedPayload ? 'UNSIGNED-PAYLOAD' : createHash('sha256').update(body).digest('hex');
  const signed = await signer(r.accessKeyId ?? ACCESS_KEY_ID, r.secretAccessKey ?? SECRET_ACCESS_KEY).sign(
    { method: r.method, protocol: 'http:', hostname: host.replace(/:\d+$/, ''), port, path: r.path, query: r.query ?? {}, headers, body },
    { signingDate: r.date ?? new Date() },
  );
  return signed.headers as Record<string, string>;
}

/** Sends a (signed) request to 127.0.0.1:port and reads the whole response. */
export async function rawRequest(port: number, r: RawRequest): Promise<RawResponse> {
  const headers = await signRequest(port, r);
  const qs = r.query && Object.keys(r.query).length ? '?' + queryString(r.query) : '';
  return send(port, r.method, r.path + qs, headers, r.body);
}

export function send(port: number, method: string, target: string, headers: Record<string, string>, body?: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: target, headers, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A presigned URL (query-string auth) for 127.0.0.1:port. */
/**
 * A presigned URL for the server on `port`. `headers` are signed too; the x-amz-* ones are hoisted
 * into the query string, as the SDK's presigner does by default.
 */
export async function presignedUrl(port: number, r: { method: string; path: string; expiresIn: number; date?: Date; query?: Record<string, string>; headers?: Record<string, string> }): Promise<string> {
  const host = `127.0.0.1:${port}`;
  const signed = await signer(ACCESS_KEY_ID, SECRET_ACCESS_KEY).presign(
    // S3 presigned URLs sign UNSIGNED-PAYLOAD, as @aws-sdk/s3-request-presigner does.
    { method: r.method, protocol: 'http:', hostname: '127.0.0.1', port, path: r.path, query: r.query ?? {}, headers: { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...r.headers } },
    { expiresIn: r.expiresIn, signingDate: r.date ?? new Date(), unhoistableHeaders: new Set(['x-amz-content-sha256']), unsignableHeaders: new Set(['x-amz-content-sha256']) },
  );
  const q = signed.query as Record<string, string>;
  return `http://${host}${r.path}?${queryString(q)}`;
}

/** Writes `text` on a fresh TCP connection and returns everything the server sends until it closes. */
export function rawSocket(port: number, text: string | Buffer, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      resolve(Buffer.concat(chunks).toString('utf8'));
    }, timeoutMs);
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', (e) => {
      clearTimeout(timer);
      if (chunks.length) resolve(Buffer.concat(chunks).toString('utf8'));
      else reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    sock.write(text);
  });
}

/** The <Code> of an S3 error body. */
export function errorCode(body: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
}
