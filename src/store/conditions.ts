/**
 * Conditional request headers (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since and
 * their x-amz-copy-source-if-* twins), evaluated in the order RFC 7232 and S3 use.
 */
import { S3Error } from '../errors.js';

export interface Conditions {
  readonly ifMatch?: string;
  readonly ifNoneMatch?: string;
  readonly ifModifiedSince?: string;
  readonly ifUnmodifiedSince?: string;
}

function etagMatches(list: string, etag: string): boolean {
  for (const raw of list.split(',')) {
    const t = raw.trim();
    if (t === '*') return true;
    const bare = t.startsWith('W/') ? t.slice(2) : t;
    if (bare.replace(/^"|"$/g, '') === etag) return true;
  }
  return false;
}

function parseDate(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Throws PreconditionFailed (412) or NotModified (304) when a condition fails. For copy sources,
 * S3 answers 412 where a GET would answer 304.
 */
export function checkConditions(c: Conditions, etag: string, lastModified: number, forCopy = false): void {
  const mtime = Math.floor(lastModified / 1000) * 1000; // HTTP dates have second precision
  if (c.ifMatch !== undefined) {
    if (!etagMatches(c.ifMatch, etag)) throw new S3Error('PreconditionFailed', undefined, { Condition: forCopy ? 'x-amz-copy-source-If-Match' : 'If-Match' });
  } else {
    const since = parseDate(c.ifUnmodifiedSince);
    if (since !== undefined && mtime > since) throw new S3Error('PreconditionFailed', undefined, { Condition: forCopy ? 'x-amz-copy-source-If-Unmodified-Since' : 'If-Unmodified-Since' });
  }
  if (c.ifNoneMatch !== undefined) {
    if (etagMatches(c.ifNoneMatch, etag)) {
      if (forCopy) throw new S3Error('PreconditionFailed', undefined, { Condition: 'x-amz-copy-source-If-None-Match' });
      throw new S3Error('NotModified');
    }
  } else {
    const since = parseDate(c.ifModifiedSince);
    if (since !== undefined && mtime <= since) {
      if (forCopy) throw new S3Error('PreconditionFailed', undefined, { Condition: 'x-amz-copy-source-If-Modified-Since' });
      throw new S3Error('NotModified');
    }
  }
}
