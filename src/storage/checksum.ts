/**
 * Checksums of object bytes for every algorithm S3ComputeObjectChecksum names that s3batch can
 * compute: the five S3 flexible checksums (CRC32, CRC32C, CRC64NVME, SHA1, SHA256, from the
 * store's implementations) plus MD5 and SHA512 (node's crypto). The XXHASH family is not
 * available (no maintained implementation in the dependency set); `checksummerFor` answers
 * undefined for it.
 */
import { createHash } from 'node:crypto';
import { createHasher, type ChecksumAlgorithm as FlexibleAlgorithm } from '../store/checksums.js';

export interface Checksummer {
  update(chunk: Buffer): void;
  /** The raw digest bytes. */
  digest(): Buffer;
}

const FLEXIBLE: ReadonlySet<string> = new Set(['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256']);
const NODE: Readonly<Record<string, string>> = { MD5: 'md5', SHA512: 'sha512' };

export function canChecksum(algorithm: string): boolean {
  return FLEXIBLE.has(algorithm) || algorithm in NODE;
}

export function checksummerFor(algorithm: string): (() => Checksummer) | undefined {
  if (FLEXIBLE.has(algorithm)) {
    return () => {
      const h = createHasher(algorithm as FlexibleAlgorithm);
      return { update: (c) => h.update(c), digest: () => Buffer.from(h.digest(), 'base64') };
    };
  }
  const name = NODE[algorithm];
  if (name !== undefined) {
    return () => {
      const h = createHash(name);
      return { update: (c) => void h.update(c), digest: () => h.digest() };
    };
  }
  return undefined;
}
