/**
 * Authorization of object and bucket operations: `checkPermission` decides one permission the
 * catalog (s3-catalog.ts) says an operation needs — it gathers the principal's identity policies,
 * the bucket policy, the bucket or object ACL and the object's tags, and asks authorize.ts. The S3
 * front (src/http/s3/authorize-request.ts) calls it for each HTTP request; callers inside the
 * process — batch tasks run as a job's role through the embedded StorageClient, replication as its
 * role — through `authorizeOperation` and, for many objects at once, `operationAuthorizer`.
 *
 * Differences of an in-process call from an HTTP request: there is no signature, source IP or TLS
 * (aws:SourceIp is absent, aws:SecureTransport is 'true': the call never leaves the process), and
 * the caller may pass the object version it already read (`version`), so a task reads its row once.
 */
import { S3Error } from '../errors.js';
import { getBucketConfig, findBucket } from '../store/buckets.js';
import type { PolicyDocument as StoredPolicyDocument } from '../store/bucket-configs.js';
import type { StoreContext } from '../store/context.js';
import { getVersion } from '../store/objects.js';
import type { Acl, Bucket, ObjectVersion } from '../store/types.js';
import { aclAllows, authorize, compileResourcePolicy, fromStoredPolicy, privateAcl, type AclAccess, type ResourcePolicy } from './authorize.js';
import { canonicalIdOf, type Credentials, type Principal } from './credentials.js';
import type { RequestPrincipal } from './policy/types.js';
import { requiredPermissions, withContext, withExistingObjectTags, type CatalogOperation, type CatalogRequest, type ContextValue, type Permission, type RequestBodyFacts } from './s3-catalog.js';

/** What authorization needs of the object a permission names: its owner, tags and ACL. */
export type ObjectFacts = Pick<ObjectVersion, 'owner' | 'tags' | 'acl'>;

export interface ObjectAccessDeps {
  readonly store: StoreContext;
  readonly credentials: Credentials;
  readonly region: string;
}

/** What deciding one permission reads: the S3 front's deps have these too. */
export type PermissionDeps = Pick<ObjectAccessDeps, 'store' | 'credentials'>;

interface StoredPolicy {
  readonly text: string;
  readonly document: StoredPolicyDocument;
}

/** Compiled bucket policies per store; the stored text is the cache key, so a Put/Delete invalidates by itself. */
const compiledPolicies = new WeakMap<StoreContext, Map<string, { text: string; rp: ResourcePolicy }>>();

export function bucketResourcePolicy(store: StoreContext, bucket: string): ResourcePolicy | undefined {
  const stored = getBucketConfig<StoredPolicy>(store, bucket, 'policy');
  let cache = compiledPolicies.get(store);
  if (!cache) compiledPolicies.set(store, (cache = new Map()));
  if (!stored) {
    cache.delete(bucket);
    return undefined;
  }
  const hit = cache.get(bucket);
  if (hit && hit.text === stored.text) return hit.rp;
  const rp = compileResourcePolicy(fromStoredPolicy(stored.document));
  cache.set(bucket, { text: stored.text, rp });
  return rp;
}

/** An account's canonical user id, as ACLs name it. */
export function canonicalIdOfAccount(credentials: Credentials, accountId: string): string {
  return credentials.accounts.get(accountId)?.canonicalId ?? canonicalIdOf(accountId);
}

/** An unsigned request's principal: only `"Principal": "*"` and the AllUsers group match it. */
export const ANONYMOUS: RequestPrincipal = Object.freeze({ kind: 'anonymous', arn: '*', accountId: null, userId: 'anonymous', tags: Object.freeze({}) });

/**
 * How a request reached the server, for aws:SecureTransport and aws:SourceIp. The S3 front's
 * plain HTTP is not secure and has a source address; a call inside the process (`IN_PROCESS`)
 * never leaves it: secure, with no address (a policy conditioned on aws:SourceIp does not match).
 */
export interface RequestOrigin {
  readonly secureTransport: boolean;
  readonly sourceIp?: string;
}

export const IN_PROCESS: RequestOrigin = Object.freeze({ secureTransport: true });

export interface PermissionCheck {
  readonly origin: RequestOrigin;
  /**
   * The object the permission names, when the caller has read it (for its tags and ACL); null
   * when the caller knows it is missing; undefined: looked up here.
   */
  readonly version?: ObjectFacts | null;
  /** CreateBucket: its bucket does not exist yet, and its permissions are decided all the same. */
  readonly createsBucket?: boolean;
}

/** The condition keys every permission of a request carries, whatever it names. */
function requestContext(now: number, origin: RequestOrigin, owner: string): [string, ContextValue][] {
  const out: [string, ContextValue][] = [
    ['aws:currenttime', new Date(now).toISOString()],
    ['aws:epochtime', String(Math.floor(now / 1000))],
    ['aws:securetransport', origin.secureTransport ? 'true' : 'false'],
  ];
  if (origin.sourceIp !== undefined) out.push(['aws:sourceip', origin.sourceIp]);
  out.push(['s3:resourceaccount', owner]);
  return out;
}

/** What an ACL grants `principal` for `perm`; a resource without one has its owner's private ACL. */
function aclAccess(credentials: Credentials, of: { readonly acl: Acl | null; readonly owner: string }, principal: RequestPrincipal, perm: Permission): AclAccess {
  return aclAllows(of.acl ?? privateAcl(canonicalIdOfAccount(credentials, of.owner)), principal, perm);
}

/** The object version a permission is about, when the caller has not read it yet (undefined: missing). */
function lookupVersion(store: StoreContext, perm: Permission): ObjectFacts | undefined {
  try {
    return getVersion(store, perm.bucket!, perm.key!, perm.versionId);
  } catch {
    return undefined; // missing object: the operation itself answers
  }
}

/**
 * Decides one permission for `principal` (undefined: anonymous): the identity policies, the bucket
 * policy, the bucket or object ACL and the object's tags, through authorize.ts. Returns the
 * AccessDenied (or MethodNotAllowed) error, or undefined when allowed. The S3 front and the
 * in-process callers differ only by `check.origin`.
 */
export function checkPermission(deps: PermissionDeps, principal: Principal | undefined, perm: Permission, now: number, check: PermissionCheck): S3Error | undefined {
  const b: Bucket | undefined = perm.bucket !== undefined ? findBucket(deps.store, perm.bucket) : undefined;
  // A missing bucket is the operation's to answer: NoSuchBucket for every caller, anonymous ones
  // included (bucket names are global, so this tells nothing).
  if (perm.bucket !== undefined && !b && !check.createsBucket) return undefined;
  // iam:PassRole names a role, whose account is in its ARN.
  const owner = b?.owner ?? (perm.action === 'iam:PassRole' ? perm.resource.split(':')[4]! : (principal?.accountId ?? ''));
  const isRoot = principal?.kind === 'root' && principal.accountId === owner;
  const rp = b ? bucketResourcePolicy(deps.store, b.name) : undefined;
  // Fast path, same decision: the owner's root user with no bucket policy is always allowed.
  if (isRoot && !rp) return undefined;
  const requester: RequestPrincipal = principal ?? ANONYMOUS;
  let p = withContext(perm, requestContext(now, check.origin, owner));
  let acl: AclAccess = 'none';
  if (perm.key !== undefined && (perm.needsExistingObjectTags || perm.aclScope === 'object')) {
    const v = check.version === undefined ? lookupVersion(deps.store, perm) : (check.version ?? undefined);
    if (v) {
      if (perm.needsExistingObjectTags) p = withExistingObjectTags(p, v.tags);
      if (perm.aclScope === 'object') acl = aclAccess(deps.credentials, v, requester, perm);
    }
  }
  if (perm.aclScope === 'bucket' && b) acl = aclAccess(deps.credentials, b, requester, perm);
  const policies = principal && principal.kind !== 'root' ? deps.credentials.identityPoliciesOf(principal) : [];
  return decide(requester, perm, { isRoot, rp, owner, bucket: b }, policies, acl, p.resource, p.context);
}

/** The resource-side facts of a permission: who owns what it names, and the bucket's policy. */
interface ResourceFacts {
  readonly isRoot: boolean;
  readonly rp?: ResourcePolicy;
  readonly owner: string;
  readonly bucket?: Bucket;
}

/**
 * One permission's decision once its facts are gathered: authorize.ts, then S3's owner-account-only
 * rule (another account's identity gets 405 even when its policies allow).
 */
function decide(
  principal: RequestPrincipal,
  perm: Permission,
  r: ResourceFacts,
  identityPolicies: ReturnType<Credentials['identityPoliciesOf']>,
  acl: AclAccess,
  resource: string,
  context: ReadonlyMap<string, ContextValue>,
): S3Error | undefined {
  const d = authorize({
    principal,
    isRootOfResourceAccount: r.isRoot,
    identityPolicies,
    resourcePolicy: r.rp,
    resourceAccountId: r.owner,
    aclAllows: acl,
    request: { action: perm.action, resource, principal, context },
  });
  if (d.decision !== 'Allow') return new S3Error('AccessDenied', d.message);
  if (perm.ownerAccountOnly && r.bucket && principal.accountId !== r.bucket.owner) {
    return new S3Error('MethodNotAllowed', undefined, { Method: 'PUT', ResourceType: 'BUCKET' });
  }
  return undefined;
}

export interface OperationRequest {
  readonly bucket?: string;
  readonly key?: string;
  readonly versionId?: string;
  /** Headers the operation would carry on the wire (x-amz-acl, x-amz-tagging, x-amz-bypass-governance-retention …), lower-case. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly copySource?: { readonly bucket: string; readonly key: string; readonly versionId?: string };
  readonly body?: RequestBodyFacts;
}

const EMPTY_QUERY = new URLSearchParams();
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** The catalog request of an in-process operation. */
export function catalogRequestOf(deps: ObjectAccessDeps, principal: Principal, r: OperationRequest, now: number): CatalogRequest {
  return {
    bucket: r.bucket,
    key: r.key,
    query: r.versionId !== undefined ? new URLSearchParams({ versionId: r.versionId }) : EMPTY_QUERY,
    headers: r.headers ?? NO_HEADERS,
    copySource: r.copySource,
    region: deps.region,
    accountId: principal.accountId,
    body: r.body,
    now,
  };
}

/**
 * Fast path, same decision as the full evaluation: an account's root user acting on its own
 * bucket is allowed unless a bucket policy says otherwise.
 */
function rootOfOwnBucket(deps: ObjectAccessDeps, principal: Principal, op: CatalogOperation, bucket: string | undefined): boolean {
  if (principal.kind !== 'root' || op === 'CopyObject' || op === 'UploadPartCopy') return false;
  if (bucket === undefined) return true;
  const b = findBucket(deps.store, bucket);
  if (!b) return true;
  return b.owner === principal.accountId && bucketResourcePolicy(deps.store, b.name) === undefined;
}

/**
 * Authorizes every permission `op` needs for `principal`; returns the first denial, or undefined.
 * `version` / `sourceVersion`: the addressed object and a copy's source, when the caller has read
 * them (their tags feed s3:ExistingObjectTag; undefined: looked up here).
 */
export function authorizeOperation(deps: ObjectAccessDeps, principal: Principal, op: CatalogOperation, r: OperationRequest, now: number, version?: ObjectFacts | null, sourceVersion?: ObjectFacts | null): S3Error | undefined {
  if (rootOfOwnBucket(deps, principal, op, r.bucket)) return undefined;
  for (const perm of requiredPermissions(op, catalogRequestOf(deps, principal, r, now))) {
    const facts =
      perm.bucket === r.bucket && perm.key === r.key ? version
      : r.copySource && perm.bucket === r.copySource.bucket && perm.key === r.copySource.key ? sourceVersion
      : undefined;
    const denied = checkPermission(deps, principal, perm, now, { origin: IN_PROCESS, version: facts });
    if (denied) return denied;
  }
  return undefined;
}

const KEY_MARK = '\u0000key\u0000';
const VERSION_MARK = '\u0000version\u0000';
const SOURCE_KEY_MARK = '\u0000source-key\u0000';
const SOURCE_VERSION_MARK = '\u0000source-version\u0000';

/** One object a batch decision is about: its key, version id, and facts (null: missing). */
export interface ObjectInBatch {
  readonly key: string;
  readonly versionId?: string;
  readonly facts: ObjectFacts | null;
}

/** Decides one task of a batch: the object it addresses, and a copy's source object. */
export type ObjectDecision = (target: ObjectInBatch, source?: ObjectInBatch) => S3Error | undefined;

interface Prepared extends ResourceFacts {
  readonly perm: Permission;
  /** Which object the permission names: the target, a copy's source, or neither (decided the same for all). */
  readonly names: 'target' | 'source' | 'fixed';
  readonly context: ReadonlyMap<string, ContextValue>;
  /** Context keys whose values hold a mark (x-amz-copy-source), filled per task. */
  readonly marked: readonly string[];
}

/**
 * A request context with a few per-object keys laid over a shared one: `get` (all the policy
 * engine reads) costs two lookups instead of copying the shared map for every object.
 */
class ContextOverlay implements ReadonlyMap<string, ContextValue> {
  private merged?: Map<string, ContextValue>;
  constructor(
    private readonly base: ReadonlyMap<string, ContextValue>,
    private readonly extra: ReadonlyMap<string, ContextValue>,
  ) {}
  get(k: string): ContextValue | undefined {
    const v = this.extra.get(k);
    return v !== undefined ? v : this.base.get(k);
  }
  has(k: string): boolean {
    return this.extra.has(k) || this.base.has(k);
  }
  private all(): Map<string, ContextValue> {
    return (this.merged ??= new Map([...this.base, ...this.extra]));
  }
  get size(): number {
    return this.all().size;
  }
  forEach(fn: (v: ContextValue, k: string, m: ReadonlyMap<string, ContextValue>) => void): void {
    this.all().forEach((v, k) => fn(v, k, this));
  }
  entries(): MapIterator<[string, ContextValue]> {
    return this.all().entries();
  }
  keys(): MapIterator<string> {
    return this.all().keys();
  }
  values(): MapIterator<ContextValue> {
    return this.all().values();
  }
  [Symbol.iterator](): MapIterator<[string, ContextValue]> {
    return this.all()[Symbol.iterator]();
  }
}

const hasMark = (v: ContextValue): boolean => (typeof v === 'string' ? v.includes('\u0000') : v.some((x) => x.includes('\u0000')));

function fill(v: ContextValue, t: ObjectInBatch, src: ObjectInBatch | undefined): ContextValue {
  const one = (x: string): string =>
    x.replace(KEY_MARK, t.key).replace(VERSION_MARK, t.versionId ?? '').replace(SOURCE_KEY_MARK, src?.key ?? '').replace(SOURCE_VERSION_MARK, src?.versionId ?? '');
  return typeof v === 'string' ? one(v) : v.map(one);
}

/**
 * `authorizeOperation` for many objects with one request shape (a batch task's operation), made
 * cheap per object: the catalog's permissions are built once per shape (whether the target and
 * the source carry version ids), and everything that does not depend on the object — the
 * buckets, their policies, the identity policies, the request's condition keys and the time —
 * once per call of `at(now)`; per object only the resource ARNs, s3:versionid, the copy source
 * key and the objects' own tags and ACLs change. Only for operations whose condition keys do not
 * depend on the time (tagging, ACL, copy — not retention, whose remaining-days key does). Same
 * decisions as `authorizeOperation`.
 */
export function operationAuthorizer(deps: ObjectAccessDeps, principal: Principal, op: CatalogOperation, base: Omit<OperationRequest, 'key' | 'versionId' | 'copySource'> & { readonly copySourceBucket?: string }): { at(now: number): ObjectDecision } {
  const shapes = new Map<number, readonly Permission[]>();
  return {
    at(now) {
      if (rootOfOwnBucket(deps, principal, op, base.bucket)) return () => undefined;
      const policies = principal.kind !== 'root' ? deps.credentials.identityPoliciesOf(principal) : [];
      const prepared = new Map<number, Prepared[]>();
      const prepare = (shape: number): Prepared[] => {
        let perms = shapes.get(shape);
        if (!perms) {
          const { copySourceBucket, ...rest } = base;
          const req: OperationRequest = {
            ...rest,
            key: KEY_MARK,
            versionId: shape & 1 ? VERSION_MARK : undefined,
            copySource: copySourceBucket !== undefined ? { bucket: copySourceBucket, key: SOURCE_KEY_MARK, versionId: shape & 2 ? SOURCE_VERSION_MARK : undefined } : undefined,
          };
          shapes.set(shape, (perms = requiredPermissions(op, catalogRequestOf(deps, principal, req, now))));
        }
        return perms.map((perm) => {
          const b = perm.bucket !== undefined ? findBucket(deps.store, perm.bucket) : undefined;
          const owner = b?.owner ?? principal.accountId;
          const context = withContext(perm, requestContext(now, IN_PROCESS, owner)).context;
          const marked = [...context].filter(([, v]) => hasMark(v)).map(([k]) => k);
          const names = perm.key === KEY_MARK ? 'target' : perm.key === SOURCE_KEY_MARK ? 'source' : 'fixed';
          return { perm, names, context, marked, bucket: b, rp: b ? bucketResourcePolicy(deps.store, b.name) : undefined, isRoot: principal.kind === 'root' && principal.accountId === owner, owner };
        });
      };
      return (target, source) => {
        const shape = (target.versionId !== undefined ? 1 : 0) | (source?.versionId !== undefined ? 2 : 0);
        let list = prepared.get(shape);
        if (!list) prepared.set(shape, (list = prepare(shape)));
        for (const p of list) {
          if (p.perm.bucket !== undefined && !p.bucket) continue; // a missing bucket is the operation's to answer
          if (p.isRoot && !p.rp) continue;
          const perm = p.perm;
          const obj = p.names === 'target' ? target : p.names === 'source' ? source : undefined;
          let resource = perm.resource;
          let context = p.context;
          let acl: AclAccess = 'none';
          if (obj) resource = resource.replace(p.names === 'target' ? KEY_MARK : SOURCE_KEY_MARK, obj.key);
          const tags = obj && perm.needsExistingObjectTags && obj.facts ? obj.facts.tags : undefined;
          if (p.marked.length > 0 || (tags && tags.length > 0)) {
            const extra = new Map<string, ContextValue>();
            for (const k of p.marked) extra.set(k, fill(context.get(k)!, target, source));
            if (tags) for (const [k, val] of tags) extra.set(`s3:existingobjecttag/${k.toLowerCase()}`, val);
            context = new ContextOverlay(context, extra);
          }
          if (obj && perm.aclScope === 'object' && obj.facts) acl = aclAccess(deps.credentials, obj.facts, principal, perm);
          if (perm.aclScope === 'bucket' && p.bucket) acl = aclAccess(deps.credentials, p.bucket, principal, perm);
          const denied = decide(principal, perm, p, policies, acl, resource, context);
          if (denied) return denied;
        }
        return undefined;
      };
    },
  };
}
