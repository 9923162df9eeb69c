/**
 * AWS's rules for a tag set, with its error codes and messages: objects carry at most 10 tags,
 * buckets 50; a key is 1–128 and a value at most 256 Unicode characters (not UTF-16 units); keys
 * are unique and the aws: prefix is reserved. The S3 front (x-amz-tagging, <Tagging>) and the
 * embedded StorageClient (batch tagging and copy tasks) both check through here, so a job refuses
 * exactly the tag sets a PutObjectTagging would.
 */
import { S3Error } from '../errors.js';
import type { Tag } from './types.js';

export const MAX_OBJECT_TAGS = 10;
export const MAX_BUCKET_TAGS = 50;

/** Throws AWS's InvalidTag for the first rule `tags` breaks, `max` being the object or bucket limit. */
export function validateTags(tags: readonly Tag[], max: number): void {
  if (tags.length > max) throw new S3Error('InvalidTag', max === MAX_OBJECT_TAGS ? `Object tags cannot be greater than ${max}` : `Bucket tag count cannot be greater than ${max}`);
  const seen = new Set<string>();
  for (const [k, v] of tags) {
    const klen = [...k].length;
    if (klen === 0 || klen > 128) throw new S3Error('InvalidTag', 'The TagKey you have provided is invalid', { TagKey: k });
    if ([...v].length > 256) throw new S3Error('InvalidTag', 'The TagValue you have provided is invalid', { TagKey: k, TagValue: v });
    if (k.toLowerCase().startsWith('aws:')) throw new S3Error('InvalidTag', 'Your TagKey cannot be prefixed with aws:', { TagKey: k });
    if (seen.has(k)) throw new S3Error('InvalidTag', 'Cannot provide multiple Tags with the same key', { TagKey: k });
    seen.add(k);
  }
}
