/**
 * XML at the edge. Rendering is a small hand-written serializer (element order matters to some
 * clients and it is on the hot path of every listing); parsing uses fast-xml-parser, the parser
 * the AWS SDK itself uses, with well-formedness checked first so bad input is MalformedXML.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { S3Error, type ErrorCode } from '../errors.js';

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** An element's content: text, nested elements (in insertion order), or repeated elements. Keys starting with '@' are attributes. */
export type XmlValue = string | number | boolean | XmlObject | readonly XmlValue[] | undefined | null;
export interface XmlObject {
  readonly [name: string]: XmlValue;
}

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;', '\n': '&#10;', '\t': '&#9;' };

export function escapeXml(s: string): string {
  return /[&<>"'\r\n\t]/.test(s) ? s.replace(/[&<>"'\r\n\t]/g, (c) => escapes[c]!) : s;
}

function renderElement(name: string, v: XmlValue, out: string[]): void {
  if (v === undefined || v === null) return;
  if (Array.isArray(v)) {
    for (const item of v) renderElement(name, item as XmlValue, out);
    return;
  }
  if (typeof v === 'object') {
    out.push('<', name);
    const obj = v as XmlObject;
    const keys = Object.keys(obj);
    for (const k of keys) if (k.charCodeAt(0) === 64 && obj[k] !== undefined) out.push(' ', k.slice(1), '="', escapeXml(String(obj[k])), '"');
    out.push('>');
    for (const k of keys) if (k.charCodeAt(0) !== 64) renderElement(k, obj[k], out);
    out.push('</', name, '>');
    return;
  }
  out.push('<', name, '>', escapeXml(String(v)), '</', name, '>');
}

/** `<?xml …?><Root xmlns="…">…</Root>` */
export function renderXml(root: string, body: XmlObject, xmlns: string | null = S3_XMLNS): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  renderElement(root, xmlns ? { '@xmlns': xmlns, ...body } : body, out);
  return out.join('');
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  ignoreDeclaration: true,
});

export type ParsedXml = Record<string, unknown>;

/**
 * Parses a request body. Throws `errorCode` (MalformedXML unless the operation names another, such
 * as MalformedACLError) for text that is not well-formed XML or whose root is not `root`.
 */
export function parseXml(text: string, root: string, errorCode: ErrorCode = 'MalformedXML'): ParsedXml {
  if (text.trim() === '') throw new S3Error(errorCode);
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new S3Error(errorCode, `${ErrorMessage(errorCode)} (${valid.err.msg} at line ${valid.err.line})`);
  const doc = parser.parse(text) as Record<string, unknown>;
  const top = doc[root];
  if (top === undefined) throw new S3Error(errorCode, `${ErrorMessage(errorCode)} (expected root element ${root})`);
  return typeof top === 'object' && top !== null ? (top as ParsedXml) : {};
}

function ErrorMessage(code: ErrorCode): string {
  return new S3Error(code).message;
}

/** The element as a list: absent → [], one → [it], many → them. */
export function xmlList(v: unknown): unknown[] {
  if (v === undefined || v === null || v === '') return [];
  return Array.isArray(v) ? v : [v];
}

/** The text of a child element, or undefined. Rejects an element that has children where text was expected. */
export function xmlText(parent: unknown, name: string): string | undefined {
  if (typeof parent !== 'object' || parent === null) return undefined;
  const v = (parent as Record<string, unknown>)[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && '#text' in (v as object)) return String((v as Record<string, unknown>)['#text']);
  if (typeof v === 'object' && Object.keys(v as object).every((k) => k.startsWith('@'))) return '';
  throw new S3Error('MalformedXML', `The element ${name} must hold text`);
}

export function xmlChild(parent: unknown, name: string): ParsedXml | undefined {
  if (typeof parent !== 'object' || parent === null) return undefined;
  const v = (parent as Record<string, unknown>)[name];
  if (v === undefined || v === null || v === '') return v === '' ? {} : undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new S3Error('MalformedXML', `The element ${name} must appear once and hold elements`);
  return v as ParsedXml;
}

/** ISO-8601 with milliseconds, as S3 renders timestamps in XML. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}
