/**
 * Query-protocol request members (`UserName=…`, `Tags.member.1.Key=…`, `ActionNames.member.2=…`)
 * read and checked against the constraints of the IAM/STS models (length, pattern, range, enum),
 * with AWS's wording: "2 validation errors detected: Value 'a b' at 'userName' failed to satisfy
 * constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+; …". Every member of a
 * request is read first and the failures are reported together by `done()`.
 */
import { IamError, validationError } from '../../auth/iam-errors.js';
import type { Tag } from '../../auth/iam-types.js';

export interface StringRule {
  readonly required?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** Tested against the whole value. */
  readonly pattern?: RegExp;
  /** The pattern as AWS's model writes it (shown in the message). */
  readonly patternText?: string;
  readonly enum?: readonly string[];
}

/** The constraints IAM's and STS's models put on their members, by shape. */
export const Rules = {
  userName: { min: 1, max: 64, pattern: /^[\w+=,.@-]+$/, patternText: '[\\w+=,.@-]+' },
  existingUserName: { min: 1, max: 128, pattern: /^[\w+=,.@-]+$/, patternText: '[\\w+=,.@-]+' },
  roleName: { min: 1, max: 64, pattern: /^[\w+=,.@-]+$/, patternText: '[\\w+=,.@-]+' },
  policyName: { min: 1, max: 128, pattern: /^[\w+=,.@-]+$/, patternText: '[\\w+=,.@-]+' },
  path: { min: 1, max: 512, pattern: /^(?:\/|\/[\u0021-\u007F]+\/)$/, patternText: '(\\u002F)|(\\u002F[\\u0021-\\u007F]+\\u002F)' },
  pathPrefix: { min: 1, max: 512, pattern: /^\/[\u0021-\u007F]*$/, patternText: '\\u002F[\\u0021-\\u007F]*' },
  policyPath: { min: 1, max: 512, pattern: /^(?:\/[A-Za-z0-9.,+@=_-]+)*\/$/, patternText: '((/[A-Za-z0-9\\.,\\+@=_-]+)*)/' },
  policyDocument: { min: 1, max: 131072, pattern: /^[\u0009\u000A\u000D\u0020-\u00FF]+$/, patternText: '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+' },
  roleDescription: { max: 1000, pattern: /^[\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]*$/u, patternText: '[\\p{L}\\p{M}\\p{Z}\\p{S}\\p{N}\\p{P}]*' },
  policyDescription: { max: 1000 },
  arn: { min: 20, max: 2048 },
  accessKeyId: { min: 16, max: 128, pattern: /^[\w]+$/, patternText: '[\\w]+' },
  status: { enum: ['Active', 'Inactive'] },
  versionId: { pattern: /^v[1-9][0-9]*(?:\.[A-Za-z0-9-]*)?$/, patternText: 'v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?' },
  marker: { min: 1, max: 320, pattern: /^[\u0020-\u00FF]+$/, patternText: '[\\u0020-\\u00FF]+' },
  policyScope: { enum: ['All', 'AWS', 'Local'] },
  // STS
  roleArn: { min: 20, max: 2048 },
  roleSessionName: { min: 2, max: 64, pattern: /^[\w+=,.@-]*$/, patternText: '[\\w+=,.@-]*' },
  externalId: { min: 2, max: 1224, pattern: /^[\w+=,.@:/-]*$/, patternText: '[\\w+=,.@:\\/-]*' },
  sourceIdentity: { min: 2, max: 64, pattern: /^[\w+=,.@-]*$/, patternText: '[\\w+=,.@-]*' },
  sessionPolicy: { min: 1, max: 2048, pattern: /^[\u0009\u000A\u000D\u0020-\u00FF]+$/, patternText: '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+' },
} as const satisfies Record<string, StringRule>;

const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const TAG_PATTERN_TEXT = '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+';
const MAX_TAGS = 50;

/** 'UserName' → 'userName', as AWS names members in validation messages. */
const fieldName = (member: string): string => member.charAt(0).toLowerCase() + member.slice(1);

export class ParamReader {
  private readonly failures: string[] = [];

  constructor(private readonly params: ReadonlyMap<string, string>) {}

  /** Records a constraint failure of `member` ("Value 'x' at 'member' failed to satisfy constraint: …"). */
  fail(member: string, value: string | null, constraint: string): void {
    const v = value === null ? 'null' : `'${value}'`;
    this.failures.push(`Value ${v} at '${member}' failed to satisfy constraint: ${constraint}`);
  }

  str(name: string, rule: StringRule & { required: true }): string;
  str(name: string, rule?: StringRule): string | undefined;
  str(name: string, rule: StringRule = {}): string | undefined {
    const v = this.params.get(name);
    const field = fieldName(name);
    if (v === undefined) {
      if (rule.required) this.fail(field, null, 'Member must not be null');
      return undefined;
    }
    this.checkString(field, v, rule);
    return v;
  }

  private checkString(field: string, v: string, rule: StringRule): void {
    const len = [...v].length;
    if (rule.min !== undefined && len < rule.min) this.fail(field, v, `Member must have length greater than or equal to ${rule.min}`);
    if (rule.max !== undefined && len > rule.max) this.fail(field, v, `Member must have length less than or equal to ${rule.max}`);
    if (rule.pattern !== undefined && !rule.pattern.test(v)) this.fail(field, v, `Member must satisfy regular expression pattern: ${rule.patternText}`);
    if (rule.enum !== undefined && !rule.enum.includes(v)) this.fail(field, v, `Member must satisfy enum value set: [${rule.enum.join(', ')}]`);
  }

  int(name: string, rule: { min?: number; max?: number; required?: boolean } = {}): number | undefined {
    const v = this.params.get(name);
    const field = fieldName(name);
    if (v === undefined) {
      if (rule.required) this.fail(field, null, 'Member must not be null');
      return undefined;
    }
    if (!/^-?\d+$/.test(v.trim())) {
      throw new IamError('ValidationError', `Invalid value '${v}' for ${name}: an integer is required.`);
    }
    const n = Number(v.trim());
    if (rule.min !== undefined && n < rule.min) this.fail(field, v.trim(), `Member must have value greater than or equal to ${rule.min}`);
    if (rule.max !== undefined && n > rule.max) this.fail(field, v.trim(), `Member must have value less than or equal to ${rule.max}`);
    return n;
  }

  bool(name: string): boolean | undefined {
    const v = this.params.get(name);
    if (v === undefined) return undefined;
    if (v.toLowerCase() === 'true') return true;
    if (v.toLowerCase() === 'false') return false;
    throw new IamError('ValidationError', `Invalid value '${v}' for ${name}: true or false is required.`);
  }

  /** `Name.member.1`, `Name.member.2`, … (contiguous from 1). */
  list(name: string): string[] | undefined {
    const out: string[] = [];
    for (let i = 1; ; i++) {
      const v = this.params.get(`${name}.member.${i}`);
      if (v === undefined) break;
      out.push(v);
    }
    return out.length === 0 && !this.params.has(name) ? undefined : out;
  }

  /** `Prefix.member.N.<field>` structures. */
  structs(name: string, fields: readonly string[]): Record<string, string | undefined>[] {
    const out: Record<string, string | undefined>[] = [];
    for (let i = 1; ; i++) {
      const base = `${name}.member.${i}.`;
      const present = [...this.params.keys()].some((k) => k.startsWith(base));
      if (!present) break;
      const s: Record<string, string | undefined> = {};
      for (const f of fields) s[f] = this.params.get(base + f);
      out.push(s);
    }
    return out;
  }

  /** `Tags.member.N.Key/Value`, checked as IAM checks tags. */
  tags(name = 'Tags'): Tag[] | undefined {
    const raw = this.structs(name, ['Key', 'Value']);
    if (raw.length === 0) return undefined;
    if (raw.length > MAX_TAGS) this.fail('tags', `[${raw.map((t) => t.Key).join(', ')}]`, `Member must have length less than or equal to ${MAX_TAGS}`);
    const tags: Tag[] = [];
    const seen = new Set<string>();
    for (const t of raw) {
      const key = t.Key ?? '';
      const value = t.Value ?? '';
      if (t.Key === undefined) this.fail('tags.X.member.key', null, 'Member must not be null');
      else if ([...key].length > 128) this.fail('tags.X.member.key', key, 'Member must have length less than or equal to 128');
      else if (!TAG_KEY.test(key)) this.fail('tags.X.member.key', key, `Member must satisfy regular expression pattern: ${TAG_PATTERN_TEXT}`);
      if ([...value].length > 256) this.fail('tags.X.member.value', value, 'Member must have length less than or equal to 256');
      else if (!TAG_VALUE.test(value)) this.fail('tags.X.member.value', value, `Member must satisfy regular expression pattern: ${TAG_PATTERN_TEXT.replace(/\+$/, '*')}`);
      if (seen.has(key.toLowerCase())) throw new IamError('InvalidInput', 'Duplicate tag keys found. Please note that Tag keys are case insensitive.');
      seen.add(key.toLowerCase());
      tags.push({ Key: key, Value: value });
    }
    return tags;
  }

  /** Marker and MaxItems of listing operations. */
  page(): { marker?: string; maxItems?: number } {
    return { marker: this.str('Marker', Rules.marker), maxItems: this.int('MaxItems', { min: 1, max: 1000 }) };
  }

  /** Throws every failure recorded so far as one ValidationError. */
  done(): void {
    if (this.failures.length > 0) throw validationError(this.failures);
  }
}
