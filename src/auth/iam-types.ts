/**
 * IAM's domain records and the ARN and id conventions they follow. Nothing here knows SQL or XML.
 */
import type { Principal } from './credentials.js';

export interface Tag {
  readonly Key: string;
  readonly Value: string;
}

export interface IamUser {
  readonly userId: string;
  readonly accountId: string;
  readonly name: string;
  readonly path: string;
  readonly arn: string;
  readonly createdAt: number;
  readonly tags: readonly Tag[];
}

export const AccessKeyStatus = { Active: 'Active', Inactive: 'Inactive' } as const;
export type AccessKeyStatus = (typeof AccessKeyStatus)[keyof typeof AccessKeyStatus];

export interface AccessKeyMeta {
  /** Absent for the root user's keys. */
  readonly userName?: string;
  readonly accessKeyId: string;
  readonly status: AccessKeyStatus;
  readonly createdAt: number;
}

export interface IamRole {
  readonly roleId: string;
  readonly accountId: string;
  readonly name: string;
  readonly path: string;
  readonly arn: string;
  readonly createdAt: number;
  /** The trust policy exactly as submitted. */
  readonly trustPolicy: string;
  readonly description?: string;
  readonly maxSessionDuration: number;
  readonly tags: readonly Tag[];
}

export interface ManagedPolicy {
  readonly policyId: string;
  readonly accountId: string;
  readonly name: string;
  readonly path: string;
  readonly arn: string;
  readonly defaultVersionId: string;
  readonly attachmentCount: number;
  readonly description?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly tags: readonly Tag[];
}

export interface PolicyVersion {
  readonly document: string;
  readonly versionId: string;
  readonly isDefault: boolean;
  readonly createdAt: number;
}

export interface AttachedPolicy {
  readonly policyName: string;
  readonly policyArn: string;
}

/** A page of a listing: the items, and the marker of the next page when truncated. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly marker?: string;
}

export interface PageRequest {
  readonly marker?: string;
  /** 1–1000; AWS's default is 100. */
  readonly maxItems?: number;
}

/** Who calls, and from where: the request context IAM conditions see. */
export interface Caller {
  readonly principal: Principal;
  readonly sourceIp?: string;
  readonly secureTransport: boolean;
}

export const OwnerKind = { User: 'user', Role: 'role' } as const;
export type OwnerKind = (typeof OwnerKind)[keyof typeof OwnerKind];

// ---------------------------------------------------------------------------------------------
// ARNs
// ---------------------------------------------------------------------------------------------

export const userArn = (accountId: string, path: string, name: string): string => `arn:aws:iam::${accountId}:user${path}${name}`;
export const roleArn = (accountId: string, path: string, name: string): string => `arn:aws:iam::${accountId}:role${path}${name}`;
export const policyArn = (accountId: string, path: string, name: string): string => `arn:aws:iam::${accountId}:policy${path}${name}`;
export const assumedRoleArn = (accountId: string, roleName: string, sessionName: string): string =>
  `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;

export interface ParsedIamArn {
  readonly accountId: string;
  /** 'user' | 'role' | 'policy' | … */
  readonly type: string;
  /** '/' or '/a/b/' */
  readonly path: string;
  readonly name: string;
}

/** arn:aws:iam::<12 digits>:<type>/<path…>/<name>; undefined for anything else. */
export function parseIamArn(arn: string): ParsedIamArn | undefined {
  const m = /^arn:aws:iam::(\d{12}|aws):([a-z-]+)(\/(?:.*\/)?)([^/]+)$/.exec(arn);
  if (!m) return undefined;
  return { accountId: m[1]!, type: m[2]!, path: m[3]!, name: m[4]! };
}

/** IAM's timestamps: ISO-8601 to the second ('2024-05-01T12:00:00Z'). */
export function iamDate(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
