/**
 * Tag writes of many tasks, gathered into one set-based store call (store/batch.ts
 * `setTagsMany`): every PutObjectTagging / DeleteObjectTagging the embedded StorageClient receives
 * in one turn of the event loop, for the same principal, bucket and tag set, becomes one group;
 * each group is one item of the store's group commit, so all of them share one transaction with
 * the turn's other writes. Each task still gets its own answer (version id or S3Error), decided
 * against its own row by the same authorization as a single request.
 */
import type { Principal } from '../../auth/credentials.js';
import { operationAuthorizer, type ObjectAccessDeps } from '../../auth/object-access.js';
import type { S3Error } from '../../errors.js';
import { setTagsMany, type BatchItem } from '../../store/batch.js';
import { commitBatched, type StoreContext } from '../../store/context.js';
import type { Tag } from '../storage-client.js';

interface Pending extends BatchItem {
  resolve(versionId: string): void;
  reject(e: unknown): void;
}

type Authorize = ReturnType<typeof operationAuthorizer>;

/** Groups still taking items (not yet run by the group commit), per store. */
const openGroups = new WeakMap<StoreContext, Map<string, Pending[]>>();
const principalIds = new WeakMap<Principal, number>();
const tagKeys = new WeakMap<readonly Tag[], string>();
const authorizers = new WeakMap<Principal, Map<string, Authorize>>();
let nextPrincipalId = 0;

function tagKey(tags: readonly Tag[]): string {
  let k = tagKeys.get(tags);
  if (k === undefined) tagKeys.set(tags, (k = JSON.stringify(tags)));
  return k;
}

function authorizerFor(deps: ObjectAccessDeps, principal: Principal, method: 'PUT' | 'DELETE', bucket: string, tags: readonly Tag[], tk: string): Authorize {
  let byShape = authorizers.get(principal);
  if (!byShape) authorizers.set(principal, (byShape = new Map()));
  const shape = `${method}\u0000${bucket}\u0000${tk}`;
  let a = byShape.get(shape);
  if (!a) {
    a = method === 'PUT'
      ? operationAuthorizer(deps, principal, 'PutObjectTagging', { bucket, body: { tags } })
      : operationAuthorizer(deps, principal, 'DeleteObjectTagging', { bucket });
    byShape.set(shape, a);
  }
  return a;
}

/** Queues one tag write; settles once the shared transaction has committed. */
export function enqueueTagWrite(deps: ObjectAccessDeps, principal: Principal, item: BatchItem & { bucket: string }, tags: readonly Tag[], method: 'PUT' | 'DELETE'): Promise<string> {
  const ctx = deps.store;
  let open = openGroups.get(ctx);
  if (!open) openGroups.set(ctx, (open = new Map()));
  let pid = principalIds.get(principal);
  if (pid === undefined) principalIds.set(principal, (pid = nextPrincipalId++));
  const tk = tagKey(tags);
  const key = `${pid}\u0000${method}\u0000${item.bucket}\u0000${tk}`;
  let group = open.get(key);
  if (!group) {
    const g: Pending[] = (group = []);
    const groups = open;
    const authorize = authorizerFor(deps, principal, method, item.bucket, tags, tk);
    commitBatched(ctx, () => {
      groups.delete(key); // later writes start a new group
      const decide = authorize.at(ctx.now());
      return setTagsMany(ctx, item.bucket, g, tags, method, (i, facts) => decide({ key: g[i]!.key, versionId: g[i]!.versionId, facts }));
    }).then(
      (outs) => {
        for (let i = 0; i < g.length; i++) {
          const o = outs[i]!;
          if (typeof o === 'string') g[i]!.resolve(o);
          else g[i]!.reject(o as S3Error);
        }
      },
      (e: unknown) => {
        for (const p of g) p.reject(e);
      },
    );
    open.set(key, group);
  }
  return new Promise<string>((resolve, reject) => group!.push({ key: item.key, versionId: item.versionId, resolve, reject }));
}

/**
 * Tag writes of many objects at once (BatchCapability): one group-commit item per bucket, each
 * object with its own outcome.
 */
export async function tagWriteMany(deps: ObjectAccessDeps, principal: Principal, refs: readonly (BatchItem & { bucket: string })[], tags: readonly Tag[], method: 'PUT' | 'DELETE'): Promise<(string | S3Error)[]> {
  const ctx = deps.store;
  const byBucket = new Map<string, number[]>();
  refs.forEach((r, i) => {
    let list = byBucket.get(r.bucket);
    if (!list) byBucket.set(r.bucket, (list = []));
    list.push(i);
  });
  const out: (string | S3Error)[] = new Array(refs.length);
  const tk = tagKey(tags);
  await Promise.all(
    [...byBucket].map(async ([bucket, idx]) => {
      const authorize = authorizerFor(deps, principal, method, bucket, tags, tk);
      const items = idx.map((i) => refs[i]!);
      const outs = await commitBatched(ctx, () => {
        const decide = authorize.at(ctx.now());
        return setTagsMany(ctx, bucket, items, tags, method, (i, facts) => decide({ key: items[i]!.key, versionId: items[i]!.versionId, facts }));
      });
      idx.forEach((i, j) => (out[i] = outs[j]!));
    }),
  );
  return out;
}
