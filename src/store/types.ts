/**
 * The embedded store's domain types. Wire names (XML elements, headers) live at the HTTP edge;
 * these are the store's own, readonly, plain data.
 */

export const Versioning = { Unversioned: '', Enabled: 'Enabled', Suspended: 'Suspended' } as const;
export type Versioning = (typeof Versioning)[keyof typeof Versioning];

export const StorageClass = {
  STANDARD: 'STANDARD',
  REDUCED_REDUNDANCY: 'REDUCED_REDUNDANCY',
  STANDARD_IA: 'STANDARD_IA',
  ONEZONE_IA: 'ONEZONE_IA',
  INTELLIGENT_TIERING: 'INTELLIGENT_TIERING',
  GLACIER: 'GLACIER',
  DEEP_ARCHIVE: 'DEEP_ARCHIVE',
  GLACIER_IR: 'GLACIER_IR',
  OUTPOSTS: 'OUTPOSTS',
  SNOW: 'SNOW',
  EXPRESS_ONEZONE: 'EXPRESS_ONEZONE',
} as const;
export type StorageClass = (typeof StorageClass)[keyof typeof StorageClass];

/** Storage classes whose objects must be restored before they can be read. */
export function isArchived(sc: StorageClass): boolean {
  return sc === 'GLACIER' || sc === 'DEEP_ARCHIVE';
}

export interface Bucket {
  readonly name: string;
  readonly owner: string; // account id
  readonly region: string;
  readonly createdAt: number; // ms
  readonly versioning: Versioning;
  readonly objectLock: boolean;
  readonly acl: Acl | null; // null: private (owner FULL_CONTROL)
}

/** Content headers and user metadata, stored as given and returned on GET/HEAD. */
export interface ObjectHeaders {
  readonly contentType?: string;
  readonly contentEncoding?: string;
  readonly contentDisposition?: string;
  readonly contentLanguage?: string;
  readonly cacheControl?: string;
  readonly expires?: string;
  readonly websiteRedirectLocation?: string;
  readonly serverSideEncryption?: string;
  readonly meta: Readonly<Record<string, string>>; // lower-case names without the x-amz-meta- prefix
}

/** A byte range of a blob: [blobId, offset, length]. An object's data is a list of extents. */
export type Extent = readonly [number, number, number];

export interface Checksum {
  readonly algorithm: string; // ChecksumAlgorithm
  readonly value: string; // base64; composite values carry a -N suffix
  readonly type: 'FULL_OBJECT' | 'COMPOSITE';
}

/** For multipart objects: the size (and checksum) of each part, for GET ?partNumber= and attributes. */
export interface PartInfo {
  readonly size: number;
  readonly etag?: string;
  readonly checksum?: string;
}

export type Tag = readonly [key: string, value: string];

export type Grantee =
  | { readonly type: 'CanonicalUser'; readonly id: string; readonly displayName?: string }
  | { readonly type: 'Group'; readonly uri: string }
  | { readonly type: 'AmazonCustomerByEmail'; readonly email: string };

export const Permission = { FULL_CONTROL: 'FULL_CONTROL', READ: 'READ', WRITE: 'WRITE', READ_ACP: 'READ_ACP', WRITE_ACP: 'WRITE_ACP' } as const;
export type Permission = (typeof Permission)[keyof typeof Permission];

export interface Grant {
  readonly grantee: Grantee;
  readonly permission: Permission;
}

export interface Acl {
  readonly owner: string; // canonical user id
  readonly grants: readonly Grant[];
}

export const LockMode = { GOVERNANCE: 'GOVERNANCE', COMPLIANCE: 'COMPLIANCE' } as const;
export type LockMode = (typeof LockMode)[keyof typeof LockMode];

export interface RestoreState {
  readonly tier: 'Expedited' | 'Standard' | 'Bulk';
  readonly days: number;
  readonly requestedAt: number; // ms
  readonly readyAt: number; // ms: when the restored copy becomes readable
  readonly expiresAt: number; // ms: when the restored copy goes away
}

export interface ObjectVersion {
  readonly seq: number;
  readonly bucket: string;
  readonly key: string;
  readonly versionId: string; // 'null' for the null version
  readonly isLatest: boolean;
  readonly isDeleteMarker: boolean;
  readonly size: number;
  readonly etag: string; // without quotes
  readonly lastModified: number; // ms
  readonly storageClass: StorageClass;
  readonly owner: string; // account id
  readonly headers: ObjectHeaders;
  readonly extents: readonly Extent[];
  readonly parts: readonly PartInfo[] | null;
  readonly checksum: Checksum | null;
  readonly tags: readonly Tag[];
  readonly acl: Acl | null;
  readonly lockMode: LockMode | null;
  readonly lockUntil: number | null; // ms
  /** A legal hold is in effect (blocks deletes). */
  readonly legalHold: boolean;
  /** Whether a legal hold was ever applied: HEAD/GET name its status only then (ON or OFF). */
  readonly legalHoldSet: boolean;
  readonly restore: RestoreState | null;
  readonly replicationStatus: string | null;
}

export const emptyHeaders: ObjectHeaders = Object.freeze({ meta: Object.freeze({}) });
