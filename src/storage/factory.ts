/**
 * Which StorageClient a job's role gets: the embedded store (default), or a remote S3-compatible
 * endpoint through the AWS SDK (MinIO, Ceph RGW, Garage, R2, AWS itself, another s3batch).
 */
import type { Principal } from '../auth/credentials.js';
import type { ObjectAccessDeps } from '../auth/object-access.js';
import { createEmbeddedStorage } from './embedded/client.js';
import { createRemoteStorage, type RemoteClients, type RemoteStorageConfig } from './remote/client.js';
import type { StorageClient } from './storage-client.js';

export type StorageConfig = { readonly kind: 'embedded' } | ({ readonly kind: 'remote' } & RemoteStorageConfig);

export function storageFactory(cfg: StorageConfig, embedded: ObjectAccessDeps): (role: Principal) => StorageClient {
  if (cfg.kind === 'embedded') return (role) => createEmbeddedStorage(embedded, role);
  const clients: RemoteClients = new Map();
  return (role) => createRemoteStorage(cfg, role, clients);
}
