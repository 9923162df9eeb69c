/**
 * Streaming decoder for `Content-Encoding: aws-chunked` request bodies.
 *
 * Signed (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]):
 *   <hex-size>;chunk-signature=<sig>\r\n<data>\r\n ... 0;chunk-signature=<sig>\r\n
 *   then either \r\n (no trailer) or trailer lines `name:value\r\n`, `x-amz-trailer-signature:<sig>\r\n`, \r\n.
 * Unsigned (STREAMING-UNSIGNED-PAYLOAD-TRAILER, what SDK v3 sends for streamed PutObject/UploadPart):
 *   <hex-size>\r\n<data>\r\n ... 0\r\n then trailer lines `x-amz-checksum-crc32:AAAAAA==\r\n` and \r\n.
 *
 * Data is passed downstream as zero-copy slices of the input as soon as it arrives, i.e. *before* the
 * signature of its chunk has been checked: a bad signature, bad framing or a length mismatch errors the
 * stream, so consumers must never commit a body whose stream errored.
 */
import { createHash, createHmac, timingSafeEqual, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { S3Error } from '../errors.js';

export interface ChunkSigning { signingKey: Buffer; amzDate: string; scope: string; seedSignature: string }

export interface ChunkedDecoder extends Transform {
  /** Trailing headers (lower-case names), filled once the stream ends. */
  readonly trailers: Record<string, string>;
}

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const MAX_LINE = 4096;
const MAX_TRAILERS = 64;
const CR = 13;
const LF = 10;
const SIG_HEX = /^[0-9a-fA-F]{64}$/;
const HEX_SIZE = /^[0-9a-fA-F]{1,13}$/; // up to 2^52: keeps sizes safe integers

const S_HEADER = 0; // expecting a chunk header line
const S_DATA = 1; // inside chunk data
const S_DATA_CR = 2; // expecting CR after chunk data
const S_DATA_LF = 3; // expecting LF after chunk data
const S_TRAILER = 4; // expecting trailer lines or the empty line ending them
const S_FINAL = 5; // expecting the empty line after the final chunk (no-trailer variants)
const S_DONE = 6;

function malformed(why: string): S3Error {
  return new S3Error('InvalidArgument', `Malformed aws-chunked body: ${why}`);
}

class AwsChunkedDecoder extends Transform implements ChunkedDecoder {
  readonly trailers: Record<string, string> = {};

  private state = S_HEADER;
  private readonly signing: ChunkSigning | undefined;
  private readonly expectTrailer: boolean;
  private readonly decodedLength: number | undefined;
  private readonly stsPrefix: string = '';
  private prevSignature = '';

  private lineParts: Buffer[] = [];
  private lineLen = 0;

  private remaining = 0;
  private total = 0;
  private chunkHash: Hash | undefined;
  private chunkSignature = '';

  private trailerCanonical = '';
  private trailerCount = 0;
  private trailerSignature: string | undefined;

  constructor(opts: { signing?: ChunkSigning; trailer: boolean; decodedLength?: number }) {
    super();
    this.signing = opts.signing;
    this.expectTrailer = opts.trailer;
    this.decodedLength = opts.decodedLength;
    if (this.signing !== undefined) {
      this.stsPrefix = `${this.signing.amzDate}\n${this.signing.scope}\n`;
      this.prevSignature = this.signing.seedSignature.toLowerCase();
    }
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
    } catch (err) {
      callback(err as Error);
      return;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    let done = this.state === S_DONE;
    // Tolerated endings: EOF instead of the last empty line after a final chunk without trailers
    // (SDK v3's encoder ends with `0\r\n` when it has no checksum to send).
    if (!done && this.lineLen === 0) {
      if (this.state === S_FINAL) done = true;
      else if (this.state === S_TRAILER && this.trailerCount === 0 && this.signing === undefined) done = true;
    }
    if (!done) {
      callback(new S3Error('IncompleteBody', 'The aws-chunked body ended before its final chunk.'));
      return;
    }
    if (this.decodedLength !== undefined && this.total !== this.decodedLength) {
      callback(new S3Error('IncompleteBody', `Decoded ${this.total} bytes but x-amz-decoded-content-length is ${this.decodedLength}.`));
      return;
    }
    callback();
  }

  private consume(buf: Buffer): void {
    const len = buf.length;
    let pos = 0;
    while (pos < len) {
      switch (this.state) {
        case S_DATA: {
          const n = Math.min(this.remaining, len - pos);
          const slice = buf.subarray(pos, pos + n);
          pos += n;
          this.remaining -= n;
          this.total += n;
          if (this.decodedLength !== undefined && this.total > this.decodedLength) {
            throw new S3Error('IncompleteBody', `The aws-chunked body is longer than x-amz-decoded-content-length (${this.decodedLength}).`);
          }
          if (this.chunkHash !== undefined) this.chunkHash.update(slice);
          this.push(slice);
          if (this.remaining === 0) {
            if (this.chunkHash !== undefined) {
              this.verifyChunk(this.chunkHash.digest('hex'));
              this.chunkHash = undefined;
            }
            this.state = S_DATA_CR;
          }
          break;
        }
        case S_DATA_CR:
          if (buf[pos] !== CR) throw malformed('chunk data is not followed by CRLF (chunk size mismatch?)');
          pos++;
          this.state = S_DATA_LF;
          break;
        case S_DATA_LF:
          if (buf[pos] !== LF) throw malformed('chunk data is not followed by CRLF (chunk size mismatch?)');
          pos++;
          this.state = S_HEADER;
          break;
        case S_DONE:
          throw malformed('unexpected data after the final chunk');
        default: {
          // Line-oriented states.
          const nl = buf.indexOf(LF, pos);
          if (nl === -1) {
            const part = buf.subarray(pos);
            this.lineLen += part.length;
            if (this.lineLen > MAX_LINE) throw malformed('line too long');
            this.lineParts.push(Buffer.from(part)); // copy: don't pin the (possibly large) input buffer
            pos = len;
            break;
          }
          let lineBuf: Buffer;
          if (this.lineParts.length === 0) {
            lineBuf = buf.subarray(pos, nl);
          } else {
            this.lineParts.push(buf.subarray(pos, nl));
            lineBuf = Buffer.concat(this.lineParts, this.lineLen + (nl - pos));
            this.lineParts = [];
          }
          this.lineLen = 0;
          pos = nl + 1;
          if (lineBuf.length > MAX_LINE) throw malformed('line too long');
          if (lineBuf.length === 0 || lineBuf[lineBuf.length - 1] !== CR) throw malformed('line not terminated by CRLF');
          this.onLine(lineBuf.toString('latin1', 0, lineBuf.length - 1));
        }
      }
    }
  }

  private onLine(line: string): void {
    switch (this.state) {
      case S_HEADER:
        this.onChunkHeader(line);
        return;
      case S_TRAILER:
        this.onTrailerLine(line);
        return;
      case S_FINAL:
        if (line !== '') throw malformed('unexpected data after the final chunk');
        this.state = S_DONE;
        return;
    }
  }

  private onChunkHeader(line: string): void {
    const semi = line.indexOf(';');
    const sizeStr = semi === -1 ? line : line.slice(0, semi);
    if (!HEX_SIZE.test(sizeStr)) throw malformed(`invalid chunk size "${sizeStr.slice(0, 32)}"`);
    const size = parseInt(sizeStr, 16);
    if (this.signing !== undefined) {
      const ext = semi === -1 ? '' : line.slice(semi + 1).trim();
      if (!ext.startsWith('chunk-signature=')) throw malformed('missing chunk-signature');
      const sig = ext.slice(16);
      if (!SIG_HEX.test(sig)) throw new S3Error('SignatureDoesNotMatch', 'The chunk signature is malformed.');
      this.chunkSignature = sig;
    }
    if (size > 0) {
      this.remaining = size;
      if (this.signing !== undefined) this.chunkHash = createHash('sha256');
      this.state = S_DATA;
      return;
    }
    if (this.signing !== undefined) this.verifyChunk(EMPTY_SHA256);
    this.state = this.expectTrailer ? S_TRAILER : S_FINAL;
  }

  private onTrailerLine(line: string): void {
    if (line === '') {
      if (this.signing !== undefined) {
        if (this.trailerSignature === undefined) throw new S3Error('SignatureDoesNotMatch', 'Missing x-amz-trailer-signature.');
        this.verifyTrailer(this.trailerSignature);
      }
      this.state = S_DONE;
      return;
    }
    if (this.trailerSignature !== undefined) throw malformed('trailer after x-amz-trailer-signature');
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed('invalid trailer line');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature') {
      if (this.signing !== undefined) {
        if (!SIG_HEX.test(value)) throw new S3Error('SignatureDoesNotMatch', 'The trailer signature is malformed.');
        this.trailerSignature = value;
      }
      return;
    }
    if (++this.trailerCount > MAX_TRAILERS) throw malformed('too many trailers');
    this.trailerCanonical += line + '\n';
    Object.defineProperty(this.trailers, name, { value, enumerable: true, writable: true, configurable: true });
  }

  private verifyChunk(dataSha256Hex: string): void {
    const signing = this.signing!;
    const sts = `AWS4-HMAC-SHA256-PAYLOAD\n${this.stsPrefix}${this.prevSignature}\n${EMPTY_SHA256}\n${dataSha256Hex}`;
    const expected = createHmac('sha256', signing.signingKey).update(sts).digest();
    if (!timingSafeEqual(expected, Buffer.from(this.chunkSignature, 'hex'))) {
      throw new S3Error('SignatureDoesNotMatch', 'The chunk signature we calculated does not match the signature you provided.', {
        StringToSign: sts,
        SignatureProvided: this.chunkSignature,
      });
    }
    this.prevSignature = expected.toString('hex');
  }

  private verifyTrailer(signature: string): void {
    const signing = this.signing!;
    const trailerHash = createHash('sha256').update(this.trailerCanonical, 'latin1').digest('hex');
    const sts = `AWS4-HMAC-SHA256-TRAILER\n${this.stsPrefix}${this.prevSignature}\n${trailerHash}`;
    const expected = createHmac('sha256', signing.signingKey).update(sts).digest();
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
      throw new S3Error('SignatureDoesNotMatch', 'The trailer signature we calculated does not match the signature you provided.', {
        StringToSign: sts,
        SignatureProvided: signature,
      });
    }
  }
}

export function createChunkedDecoder(opts: { signing?: ChunkSigning; trailer: boolean; decodedLength?: number }): ChunkedDecoder {
  return new AwsChunkedDecoder(opts);
}
