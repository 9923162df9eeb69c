/**
 * Tag sets on the wire: the `x-amz-tagging` header (URL-encoded query string) and the <Tagging>
 * document. AWS's limits are checked by store/tags.ts, which the embedded StorageClient shares.
 */
import { S3Error } from '../../errors.js';
import { MAX_OBJECT_TAGS, validateTags } from '../../store/tags.js';
import type { Tag } from '../../store/types.js';
import { parseXml, renderXml, xmlChild, xmlList, xmlText } from '../xml.js';

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
  validateTags(tags, MAX_OBJECT_TAGS);
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
