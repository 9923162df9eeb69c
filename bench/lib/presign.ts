// Presigned SigV4 URLs for the benchmark, computed with @smithy/signature-v4
// (the signer the AWS SDK itself uses) instead of @aws-sdk/s3-request-presigner,
// which is not installed. We reproduce what that presigner does for S3:
// payload hash "UNSIGNED-PAYLOAD" (hoisted into the query as
// X-Amz-Content-Sha256), no double URI-encoding of the path, host signed.
import { createHash, createHmac, type Hash as NodeHash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

type SourceData = string | ArrayBuffer | ArrayBufferView;

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SHA-256 / HMAC-SHA-256 in the shape the smithy signer expects (new (secret?) => {update, digest}). */
class NodeSha256 {
  private readonly h: NodeHash | Hmac;
  constructor(secret?: SourceData) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: SourceData): void {
    this.h.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface PresignInput {
  method: 'GET' | 'PUT';
  bucket: string;
  key: string;
  /** Extra headers that the client will send verbatim; they are signed, not hoisted (e.g. x-amz-copy-source). */
  signedHeaders?: Record<string, string>;
}

/** RFC 3986 escaping, as the SDK's query string builder does. */
function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

export class Presigner {
  private readonly signer: SignatureV4;

  /** host must be exactly the Host header the load generator sends, port included. */
  constructor(
    creds: Credentials,
    private readonly host: string,
    // A day: long enough for any --duration, well under SigV4's 7-day cap.
    private readonly expiresIn = 86_400,
  ) {
    this.signer = new SignatureV4({
      credentials: creds,
      region: 'us-east-1',
      service: 's3',
      sha256: NodeSha256,
      uriEscapePath: false, // S3 signs the path as sent, not double-encoded
      applyChecksum: false,
    });
  }

  /** Returns the request target (path + query) to put on the request line. */
  async presign(input: PresignInput): Promise<string> {
    const extra = input.signedHeaders ?? {};
    const path = `/${input.bucket}/${input.key.split('/').map(escapeUri).join('/')}`;
    const signed = await this.signer.presign(
      {
        method: input.method,
        protocol: 'http:',
        hostname: this.host.split(':')[0] ?? this.host,
        path,
        query: {},
        headers: { host: this.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...extra },
      },
      { expiresIn: this.expiresIn, unhoistableHeaders: new Set(Object.keys(extra).map((h) => h.toLowerCase())) },
    );
    const query = Object.entries(signed.query ?? {})
      .map(([k, v]) => `${escapeUri(k)}=${escapeUri(String(v))}`)
      .join('&');
    return `${path}?${query}`;
  }
}
