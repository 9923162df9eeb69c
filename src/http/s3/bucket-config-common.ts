/**
 * What the bucket configuration handlers share: strict element-by-element reading of the parsed XML (S3 answers
 * MalformedXML to an element its schema does not have, a repeated one, or a bad enum value).
 */
import { ErrorCatalog, S3Error } from '../../errors.js';
import { Status } from '../../store/bucket-configs.js';
import type { ParsedXml } from '../xml.js';
import { xmlChild, xmlText } from '../xml.js';

/** MalformedXML with AWS's message and, in parentheses, what was wrong. */
export function malformed(why: string): S3Error {
  return new S3Error('MalformedXML', `${ErrorCatalog.MalformedXML[1]} (${why})`);
}

/** Rejects child elements outside `allowed` (attributes such as xmlns are not elements). */
export function assertElements(el: ParsedXml, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(el)) {
    if (k.startsWith('@')) continue;
    if (k === '#text') throw malformed(`${where} holds text where elements were expected`);
    if (!allowed.includes(k)) throw malformed(`${where} has no element ${k}`);
  }
}

export function requiredText(el: unknown, name: string, where: string): string {
  const v = xmlText(el, name);
  if (v === undefined) throw malformed(`${where}/${name} is required`);
  return v;
}

export function requiredChild(el: unknown, name: string, where: string): ParsedXml {
  const v = xmlChild(el, name);
  if (v === undefined) throw malformed(`${where}/${name} is required`);
  return v;
}

/** A value of a closed set, or MalformedXML naming the element. */
export function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw malformed(`${what} must be one of ${allowed.join(', ')}, not '${value}'`);
  return value as T;
}

export function parseStatus(value: string, what: string): Status {
  return oneOf(value, Object.values(Status), what);
}

/** A decimal integer in [min, max] as xs:int allows it, or MalformedXML. */
export function parseInteger(value: string, what: string, min = -2147483648, max = 2147483647): number {
  if (!/^[+-]?\d+$/.test(value)) throw malformed(`${what} must be an integer, not '${value}'`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw malformed(`${what} is out of range: ${value}`);
  return n;
}

export function parseBoolean(value: string, what: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw malformed(`${what} must be true or false, not '${value}'`);
}

/** Matches `pattern` with IAM's wildcards (`*` any run, `?` one character) against `s`. */
export function globMatch(pattern: string, s: string): boolean {
  let p = 0;
  let i = 0;
  let star = -1;
  let mark = 0;
  while (i < s.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === s[i])) {
      p++;
      i++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = i;
    } else if (star >= 0) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}
