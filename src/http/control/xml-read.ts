/**
 * Typed reads of S3 Control request XML, as fast-xml-parser hands it over (src/http/xml.ts):
 * elements by name in any order, namespaces stripped, unknown elements ignored (newer clients send
 * members older servers do not know). Every malformed value is a BadRequestException naming the
 * element by its path (`Operation/S3PutObjectCopy/StorageClass`), so the user sees what to fix.
 */
import { badRequest } from './errors.js';

export type Node = Readonly<Record<string, unknown>>;

const EMPTY: Node = Object.freeze({});

function at(path: string, name: string): string {
  return path === '' ? name : `${path}/${name}`;
}

function single(parent: Node | undefined, name: string, path: string): unknown {
  if (parent === undefined) return undefined;
  const v = parent[name];
  if (Array.isArray(v)) throw badRequest(`The element ${at(path, name)} must appear at most once.`);
  return v;
}

/** A child element holding elements (`<X/>` → {}), or undefined when absent. */
export function child(parent: Node | undefined, name: string, path: string): Node | undefined {
  const v = single(parent, name, path);
  if (v === undefined || v === null) return undefined;
  if (v === '') return EMPTY;
  if (typeof v !== 'object') throw badRequest(`The element ${at(path, name)} must hold elements, not text.`);
  const o = v as Record<string, unknown>;
  if ('#text' in o && String(o['#text']).trim() !== '') throw badRequest(`The element ${at(path, name)} must hold elements, not text.`);
  return o;
}

export function requiredChild(parent: Node | undefined, name: string, path: string): Node {
  const c = child(parent, name, path);
  if (c === undefined) throw badRequest(`The element ${at(path, name)} is required.`);
  return c;
}

/** The text of a child element (`<X/>` → ''), or undefined when absent. */
export function text(parent: Node | undefined, name: string, path: string): string | undefined {
  const v = single(parent, name, path);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('#text' in o) return String(o['#text']);
    if (Object.keys(o).every((k) => k.startsWith('@'))) return '';
  }
  throw badRequest(`The element ${at(path, name)} must hold text.`);
}

export interface Bounds {
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: RegExp;
  /** Shown when the pattern does not match. */
  readonly what?: string;
}

function checkString(v: string, where: string, b: Bounds): string {
  const len = [...v].length;
  if (b.min !== undefined && len < b.min) throw badRequest(b.min === 1 ? `The element ${where} must not be empty.` : `The element ${where} must be at least ${b.min} characters long.`);
  if (b.max !== undefined && len > b.max) throw badRequest(`The element ${where} must be at most ${b.max} characters long (got ${len}).`);
  if (b.pattern !== undefined && !b.pattern.test(v)) throw badRequest(`The value '${clip(v)}' of ${where} is not ${b.what ?? 'valid'}.`);
  return v;
}

export function clip(v: string, n = 120): string {
  return v.length > n ? v.slice(0, n) + '…' : v;
}

export function str(parent: Node | undefined, name: string, path: string, b: Bounds = {}): string | undefined {
  const v = text(parent, name, path);
  return v === undefined ? undefined : checkString(v, at(path, name), b);
}

export function requiredStr(parent: Node | undefined, name: string, path: string, b: Bounds = {}): string {
  const v = str(parent, name, path, b);
  if (v === undefined) throw badRequest(`The element ${at(path, name)} is required.`);
  return v;
}

export function checkedString(v: string, where: string, b: Bounds): string {
  return checkString(v, where, b);
}

export function bool(parent: Node | undefined, name: string, path: string): boolean | undefined {
  const v = text(parent, name, path);
  if (v === undefined) return undefined;
  const t = v.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  throw badRequest(`The value '${clip(v)}' of ${at(path, name)} is not a boolean (true or false).`);
}

export function int(parent: Node | undefined, name: string, path: string, min: number, max: number): number | undefined {
  const v = text(parent, name, path);
  if (v === undefined) return undefined;
  const t = v.trim();
  if (!/^-?\d+$/.test(t)) throw badRequest(`The value '${clip(v)}' of ${at(path, name)} is not an integer.`);
  const n = Number(t);
  if (n < min || n > max || !Number.isSafeInteger(n)) throw badRequest(`The value ${t} of ${at(path, name)} is out of range: it must be from ${min} to ${max}.`);
  return n;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** ISO-8601 timestamp → epoch ms. */
export function timestamp(parent: Node | undefined, name: string, path: string): number | undefined {
  const v = text(parent, name, path);
  if (v === undefined) return undefined;
  const t = v.trim();
  const ms = ISO.test(t) ? Date.parse(t) : NaN;
  if (Number.isNaN(ms)) throw badRequest(`The value '${clip(v)}' of ${at(path, name)} is not an ISO-8601 timestamp (e.g. 2030-01-01T00:00:00Z).`);
  return ms;
}

export function oneOf<T extends string>(parent: Node | undefined, name: string, path: string, values: readonly T[]): T | undefined {
  const v = text(parent, name, path);
  if (v === undefined) return undefined;
  const t = v.trim();
  if (!(values as readonly string[]).includes(t)) throw badRequest(`The value '${clip(v)}' of ${at(path, name)} is not valid: expected one of ${values.join(', ')}.`);
  return t as T;
}

export function requiredOneOf<T extends string>(parent: Node | undefined, name: string, path: string, values: readonly T[]): T {
  const v = oneOf(parent, name, path, values);
  if (v === undefined) throw badRequest(`The element ${at(path, name)} is required.`);
  return v;
}

/**
 * A wrapped list (`<Tags><member>…</member></Tags>`): the member nodes, or undefined when the
 * wrapper is absent. `<Tags/>` is an empty list.
 */
export function members(parent: Node | undefined, name: string, path: string): unknown[] | undefined {
  const wrapper = child(parent, name, path);
  if (wrapper === undefined) return undefined;
  const m = wrapper.member;
  if (m === undefined || m === null) return [];
  return Array.isArray(m) ? m : [m];
}

/** A member as an element node. */
export function memberNode(m: unknown, where: string): Node {
  if (m === '' || m === null || m === undefined) return EMPTY;
  if (typeof m !== 'object') throw badRequest(`Each member of ${where} must hold elements.`);
  return m as Node;
}

/** A member as text. */
export function memberText(m: unknown, where: string): string {
  if (typeof m === 'string') return m;
  if (m !== null && typeof m === 'object' && '#text' in (m as object)) return String((m as Record<string, unknown>)['#text']);
  if (m !== null && typeof m === 'object' && Object.keys(m as object).every((k) => k.startsWith('@'))) return '';
  throw badRequest(`Each member of ${where} must hold text.`);
}

/** A map (`<M><entry><key>k</key><value>v</value></entry>…</M>`), or undefined when absent. */
export function map(parent: Node | undefined, name: string, path: string): Array<[string, string]> | undefined {
  const wrapper = child(parent, name, path);
  if (wrapper === undefined) return undefined;
  const where = at(path, name);
  const raw = wrapper.entry;
  const entries = raw === undefined || raw === null || raw === '' ? [] : Array.isArray(raw) ? raw : [raw];
  return entries.map((e) => {
    const n = memberNode(e, where);
    const k = text(n, 'key', `${where}/entry`);
    if (k === undefined) throw badRequest(`Each entry of ${where} needs a key.`);
    return [k, text(n, 'value', `${where}/entry`) ?? ''];
  });
}
