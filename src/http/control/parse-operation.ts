/**
 * CreateJob's `<Operation>`: exactly one member, each parsed into the typed operation of
 * src/jobs/model.ts with every field the S3 Control model defines (spec §3), checked against the
 * model's enums and bounds. S3DeleteObject is s3batch's extension.
 */
import {
  CannedAcl, ChecksumAlgorithm, ChecksumType, CopyStorageClass, GranteeType, GrantPermission, LockMode, OnOff,
  type JobOperation, type JobOperationName, type S3AccessControlList, type S3Grant, type S3ObjectMetadata, type Tag,
} from '../../jobs/model.js';
import { badRequest } from './errors.js';
import {
  bool, checkedString, child, int, map, memberNode, members, oneOf, requiredChild, requiredOneOf, requiredStr, str, timestamp, type Node,
} from './xml-read.js';

const values = <T extends Record<string, string>>(o: T): Array<T[keyof T]> => Object.values(o) as Array<T[keyof T]>;

/** Operations s3batch runs. The AWS model has two more: S3ReplicateObject (arrives with replication) and S3UpdateObjectEncryption (no KMS here). */
const NOT_YET: Readonly<Record<string, string>> = {
  S3ReplicateObject: 'The operation S3ReplicateObject is not supported yet: it arrives with bucket replication in a later release of s3batch.',
  S3UpdateObjectEncryption: 'The operation S3UpdateObjectEncryption is not supported: s3batch has no AWS KMS keys to re-encrypt objects with.',
};

const OPERATION_NAMES: readonly JobOperationName[] = [
  'LambdaInvoke', 'S3PutObjectCopy', 'S3PutObjectAcl', 'S3PutObjectTagging', 'S3DeleteObjectTagging', 'S3InitiateRestoreObject',
  'S3PutObjectLegalHold', 'S3PutObjectRetention', 'S3ReplicateObject', 'S3ComputeObjectChecksum', 'S3DeleteObject',
];

/** The characters the S3 Control model allows in FunctionArn (full, partial or bare name, optional qualifier). */
const FUNCTION_ARN = /^(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?$/;
const TARGET_RESOURCE = /^arn:[^:]+:(s3|s3express):.*$/;

/** The bucket named by a copy's TargetResource: arn:aws:s3:::name, or a directory-bucket ARN (…:bucket/name or …:/bucket/name). */
export function bucketOfTargetResource(arn: string, where: string): string {
  const plain = /^arn:[^:]+:s3:::([^/:]+)$/.exec(arn);
  if (plain) return plain[1]!;
  const dir = /^arn:[^:]+:s3express:[^:]*:\d{12}:\/?bucket\/([^/:]+)$/.exec(arn);
  if (dir) return dir[1]!;
  throw badRequest(`The value '${arn}' of ${where} is not a bucket ARN (arn:aws:s3:::bucket-name).`);
}

/** S3 tags (S3Tag in the model: key 1–1024, value 0–1024). */
export function parseS3TagSet(node: Node | undefined, name: string, path: string): Tag[] | undefined {
  const list = members(node, name, path);
  if (list === undefined) return undefined;
  const where = `${path}/${name}`;
  return list.map((m) => {
    const n = memberNode(m, where);
    const key = requiredStr(n, 'Key', `${where}/member`, { min: 1, max: 1024 });
    const value = str(n, 'Value', `${where}/member`, { max: 1024 }) ?? '';
    return [key, value] as const;
  });
}

function parseGrants(node: Node | undefined, name: string, path: string): S3Grant[] | undefined {
  const list = members(node, name, path);
  if (list === undefined) return undefined;
  const where = `${path}/${name}/member`;
  return list.map((m) => {
    const n = memberNode(m, where);
    const g = child(n, 'Grantee', where);
    const grant: { -readonly [K in keyof S3Grant]: S3Grant[K] } = {};
    if (g !== undefined) {
      const p = `${where}/Grantee`;
      const typeIdentifier = oneOf(g, 'TypeIdentifier', p, values(GranteeType));
      const identifier = str(g, 'Identifier', p, { min: 1, max: 1024 });
      const displayName = str(g, 'DisplayName', p, { min: 1, max: 1024 });
      grant.grantee = { ...(typeIdentifier !== undefined ? { typeIdentifier } : {}), ...(identifier !== undefined ? { identifier } : {}), ...(displayName !== undefined ? { displayName } : {}) };
    }
    const permission = oneOf(n, 'Permission', where, values(GrantPermission));
    if (permission !== undefined) grant.permission = permission;
    return grant;
  });
}

function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function parseMetadata(n: Node, path: string): S3ObjectMetadata {
  const userMetadata = map(n, 'UserMetadata', path);
  if (userMetadata !== undefined) {
    if (userMetadata.length > 8192) throw badRequest(`${path}/UserMetadata has ${userMetadata.length} entries; at most 8192 are allowed.`);
    for (const [k, v] of userMetadata) {
      checkedString(k, `${path}/UserMetadata key`, { min: 1, max: 1024 });
      checkedString(v, `${path}/UserMetadata value`, { max: 1024 });
    }
  }
  return compact({
    cacheControl: str(n, 'CacheControl', path, { min: 1, max: 1024 }),
    contentDisposition: str(n, 'ContentDisposition', path, { min: 1, max: 1024 }),
    contentEncoding: str(n, 'ContentEncoding', path, { min: 1, max: 1024 }),
    contentLanguage: str(n, 'ContentLanguage', path, { min: 1, max: 1024 }),
    userMetadata: userMetadata !== undefined ? Object.fromEntries(userMetadata) : undefined,
    contentLength: int(n, 'ContentLength', path, 0, Number.MAX_SAFE_INTEGER),
    contentMD5: str(n, 'ContentMD5', path, { min: 1, max: 1024 }),
    contentType: str(n, 'ContentType', path, { min: 1, max: 1024 }),
    httpExpiresDate: timestamp(n, 'HttpExpiresDate', path),
    requesterCharged: bool(n, 'RequesterCharged', path),
    sseAlgorithm: oneOf(n, 'SSEAlgorithm', path, ['AES256', 'KMS'] as const),
  });
}

function parseCopy(n: Node, p: string): JobOperation {
  const targetResource = requiredStr(n, 'TargetResource', p, { min: 1, max: 128, pattern: TARGET_RESOURCE, what: 'a bucket ARN (arn:aws:s3:::bucket-name)' });
  const meta = child(n, 'NewObjectMetadata', p);
  const lockMode = oneOf(n, 'ObjectLockMode', p, values(LockMode));
  const lockUntil = timestamp(n, 'ObjectLockRetainUntilDate', p);
  if ((lockMode === undefined) !== (lockUntil === undefined)) throw badRequest(`${p}: ObjectLockMode and ObjectLockRetainUntilDate go together: give both or neither.`);
  return compact({
    kind: 'S3PutObjectCopy' as const,
    targetResource,
    targetBucket: bucketOfTargetResource(targetResource, `${p}/TargetResource`),
    cannedAccessControlList: oneOf(n, 'CannedAccessControlList', p, values(CannedAcl)),
    accessControlGrants: parseGrants(n, 'AccessControlGrants', p),
    metadataDirective: oneOf(n, 'MetadataDirective', p, ['COPY', 'REPLACE'] as const),
    modifiedSinceConstraint: timestamp(n, 'ModifiedSinceConstraint', p),
    unModifiedSinceConstraint: timestamp(n, 'UnModifiedSinceConstraint', p),
    newObjectMetadata: meta !== undefined ? parseMetadata(meta, `${p}/NewObjectMetadata`) : undefined,
    newObjectTagging: parseS3TagSet(n, 'NewObjectTagging', p),
    redirectLocation: str(n, 'RedirectLocation', p, { min: 1, max: 2048 }),
    requesterPays: bool(n, 'RequesterPays', p),
    storageClass: oneOf(n, 'StorageClass', p, values(CopyStorageClass)),
    sseAwsKmsKeyId: str(n, 'SSEAwsKmsKeyId', p, { min: 1, max: 2000 }),
    targetKeyPrefix: str(n, 'TargetKeyPrefix', p, { min: 1, max: 1024 }),
    objectLockLegalHoldStatus: oneOf(n, 'ObjectLockLegalHoldStatus', p, values(OnOff)),
    objectLockMode: lockMode,
    objectLockRetainUntilDate: lockUntil,
    bucketKeyEnabled: bool(n, 'BucketKeyEnabled', p),
    checksumAlgorithm: oneOf(n, 'ChecksumAlgorithm', p, values(ChecksumAlgorithm)),
  });
}

function parseAcl(n: Node, p: string): JobOperation {
  const policy = requiredChild(n, 'AccessControlPolicy', p);
  const pp = `${p}/AccessControlPolicy`;
  const canned = oneOf(policy, 'CannedAccessControlList', pp, values(CannedAcl));
  const listNode = child(policy, 'AccessControlList', pp);
  let accessControlList: S3AccessControlList | undefined;
  if (listNode !== undefined) {
    const lp = `${pp}/AccessControlList`;
    const owner = requiredChild(listNode, 'Owner', lp);
    const displayName = str(owner, 'DisplayName', `${lp}/Owner`, { min: 1, max: 1024 });
    accessControlList = compact({
      owner: { id: requiredStr(owner, 'ID', `${lp}/Owner`, { min: 1, max: 1024 }), ...(displayName !== undefined ? { displayName } : {}) },
      grants: parseGrants(listNode, 'Grants', lp),
    });
  }
  if (canned === undefined && accessControlList === undefined) throw badRequest(`${pp} needs an AccessControlList or a CannedAccessControlList.`);
  return { kind: 'S3PutObjectAcl', accessControlPolicy: compact({ accessControlList, cannedAccessControlList: canned }) };
}

function parseLambda(n: Node, p: string): JobOperation {
  const functionArn = requiredStr(n, 'FunctionArn', p, { min: 1, max: 1024, pattern: FUNCTION_ARN, what: 'a Lambda function ARN or name' });
  const version = str(n, 'InvocationSchemaVersion', p, { min: 1, max: 64 });
  if (version !== undefined && version !== '1.0' && version !== '2.0') throw badRequest(`The value '${version}' of ${p}/InvocationSchemaVersion is not valid: expected 1.0 or 2.0.`);
  const args = map(n, 'UserArguments', p);
  if (args !== undefined) {
    if (version !== '2.0') throw badRequest(`${p}/UserArguments require InvocationSchemaVersion 2.0.`);
    if (args.length < 1 || args.length > 10) throw badRequest(`${p}/UserArguments must have from 1 to 10 entries (got ${args.length}).`);
    for (const [k, v] of args) {
      checkedString(k, `${p}/UserArguments key`, { min: 1, max: 64 });
      checkedString(v, `${p}/UserArguments value`, { max: 1024 });
    }
  }
  return compact({
    kind: 'LambdaInvoke' as const,
    functionArn,
    invocationSchemaVersion: version ?? '1.0',
    userArguments: args !== undefined ? Object.fromEntries(args) : undefined,
  });
}

function parseOne(name: JobOperationName, n: Node, p: string): JobOperation {
  switch (name) {
    case 'LambdaInvoke':
      return parseLambda(n, p);
    case 'S3PutObjectCopy':
      return parseCopy(n, p);
    case 'S3PutObjectAcl':
      return parseAcl(n, p);
    case 'S3PutObjectTagging':
      return { kind: 'S3PutObjectTagging', tagSet: parseS3TagSet(n, 'TagSet', p) ?? [] };
    case 'S3DeleteObjectTagging':
      return { kind: 'S3DeleteObjectTagging' };
    case 'S3InitiateRestoreObject':
      return compact({
        kind: 'S3InitiateRestoreObject' as const,
        expirationInDays: int(n, 'ExpirationInDays', p, 0, 2147483647),
        glacierJobTier: oneOf(n, 'GlacierJobTier', p, ['BULK', 'STANDARD'] as const),
      });
    case 'S3PutObjectLegalHold': {
      const hold = requiredChild(n, 'LegalHold', p);
      return { kind: 'S3PutObjectLegalHold', legalHold: { status: requiredOneOf(hold, 'Status', `${p}/LegalHold`, values(OnOff)) } };
    }
    case 'S3PutObjectRetention': {
      const r = requiredChild(n, 'Retention', p);
      const rp = `${p}/Retention`;
      const mode = oneOf(r, 'Mode', rp, values(LockMode));
      const retainUntilDate = timestamp(r, 'RetainUntilDate', rp);
      if ((mode === undefined) !== (retainUntilDate === undefined)) throw badRequest(`${rp} needs both Mode and RetainUntilDate, or neither (to remove the retention).`);
      return compact({ kind: 'S3PutObjectRetention' as const, bypassGovernanceRetention: bool(n, 'BypassGovernanceRetention', p), retention: compact({ mode, retainUntilDate }) });
    }
    case 'S3ReplicateObject':
      return { kind: 'S3ReplicateObject' };
    case 'S3ComputeObjectChecksum': {
      const checksumAlgorithm = requiredOneOf(n, 'ChecksumAlgorithm', p, values(ChecksumAlgorithm));
      const checksumType = requiredOneOf(n, 'ChecksumType', p, values(ChecksumType));
      if (checksumAlgorithm === 'CRC64NVME' && checksumType !== 'FULL_OBJECT') throw badRequest(`${p}: CRC64NVME checksums are FULL_OBJECT only.`);
      return { kind: 'S3ComputeObjectChecksum', checksumAlgorithm, checksumType };
    }
    case 'S3DeleteObject':
      return compact({ kind: 'S3DeleteObject' as const, bypassGovernanceRetention: bool(n, 'BypassGovernanceRetention', p) });
  }
}

/** `<Operation>` → the job's operation. */
export function parseOperation(root: Node): JobOperation {
  const op = requiredChild(root, 'Operation', '');
  const present = Object.keys(op).filter((k) => !k.startsWith('@') && k !== '#text');
  for (const k of present) if (NOT_YET[k] !== undefined) throw badRequest(NOT_YET[k]!);
  const known = present.filter((k) => (OPERATION_NAMES as readonly string[]).includes(k)) as JobOperationName[];
  if (known.length !== 1) {
    throw badRequest(
      known.length === 0
        ? `Operation must name exactly one operation (${OPERATION_NAMES.filter((n) => NOT_YET[n] === undefined).join(', ')}); it names none${present.length > 0 ? ` s3batch knows (got ${present.join(', ')})` : ''}.`
        : `Operation must name exactly one operation; it names ${known.length}: ${known.join(', ')}.`,
    );
  }
  const name = known[0]!;
  return parseOne(name, child(op, name, 'Operation')!, `Operation/${name}`);
}
