/**
 * Tag sets: the `x-amz-tagging` header (URL-encoded query string), the <Tagging> document, and
 * AWS's limits (objects: 10 tags; buckets: 50; key ≤ 128 and value ≤ 256 Unicode characters;
 * keys unique; aws: prefix reserved).
 */
import { S3Error } from '../../errors.js';
import type { Tag } from '../../store/types.js';
import { parseXml, renderXml, xmlChild, xmlList, xmlText } from '../xml.js';

export function validateTags(tags: readonly Tag[], max: number): void {
  if (tags.length > max) throw new S3Error('InvalidTag', max === 10 ? 'Object tags cannot be greater than 10' : `Bucket tag count cannot be greater than ${max}`);
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

/** x-amz-tagging: `k1=v1&k2=v2`. */
export function parseTagHeader(value: string | undefined): Tag[] {
  if (value === undefined || value === '') return [];
  const tags: Tag[] = [];
  for (const part of value.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const dec = (s: string): string => {
      try {
        return decodeURIComponent(s.replace(/\+/g, ' '));
      } catch {
        throw new S3Error('InvalidArgument', 'The header \'x-amz-tagging\' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.');
      }
    };
    tags.push(eq >= 0 ? [dec(part.slice(0, eq)), dec(part.slice(eq + 1))] : [dec(part), '']);
  }
  validateTags(tags, 10);
  return tags;
}

export function parseTaggingXml(text: string, max: number): Tag[] {
  const doc = parseXml(text, 'Tagging');
  const set = xmlChild(doc, 'TagSet');
  if (!set) throw new S3Error('MalformedXML');
  const tags: Tag[] = xmlList(set.Tag).map((t) => {
    const k = xmlText(t, 'Key');
    const v = xmlText(t, 'Value');
    if (k === undefined || v === undefined) throw new S3Error('MalformedXML', 'Each Tag needs a Key and a Value');
    return [k, v] as const;
  });
  validateTags(tags, max);
  return tags;
}

export function renderTagging(tags: readonly Tag[]): string {
  return renderXml('Tagging', { TagSet: { Tag: tags.map(([Key, Value]) => ({ Key, Value })) } });
}
