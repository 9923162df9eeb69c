/**
 * S3ComputeObjectChecksum: the checksum of each object at rest, in the report's ResultMessage as
 * JSON (spec §6.4 [REC]: checksum_base64, checksum_hex, checksumAlgorithm, checksumType, etag).
 * A checksum the object already carries in the same algorithm and type is reported without
 * reading the object; otherwise the bytes are streamed through the hash (FULL_OBJECT), or part by
 * part with the checksum of the part checksums and a `-N` suffix (COMPOSITE, multipart objects;
 * a single-part object has no parts and gets its FULL_OBJECT value). The XXHASH algorithms are
 * refused in Preparing: s3batch cannot compute them.
 */
import { canChecksum, checksummerFor, type Checksummer } from '../../storage/checksum.js';
import type { ObjectHead, ObjectRef, StorageClient } from '../../storage/storage-client.js';
import type { S3ComputeObjectChecksumOperation } from '../model.js';
import { succeeded, type Operation } from './types.js';

async function digestOf(storage: StorageClient, ref: ObjectRef, make: () => Checksummer, signal: AbortSignal, partNumber?: number): Promise<{ raw: Buffer; head: ObjectHead }> {
  const h = make();
  const { head, body } = await storage.getObject(ref, { partNumber, signal });
  for await (const c of body) h.update(c);
  return { raw: h.digest(), head };
}

export function computeObjectChecksum(op: S3ComputeObjectChecksumOperation): Operation {
  const alg = op.checksumAlgorithm;
  const make = checksummerFor(alg);
  return {
    sameBucket: true,
    prepare: async () =>
      canChecksum(alg) ? undefined : { code: 'UnsupportedChecksumAlgorithm', reason: `s3batch cannot compute ${alg} checksums; use CRC32, CRC32C, CRC64NVME, SHA1, SHA256, SHA512 or MD5.` },
    run: async (task, ctx) => {
      const head = await ctx.storage.headObject(task, ctx.signal);
      // Pin the version read, so a concurrent overwrite cannot mix two objects' bytes.
      const ref: ObjectRef = { bucket: task.bucket, key: task.key, versionId: task.versionId ?? head.versionId };
      let value: string;
      let type = op.checksumType;
      const stored = head.checksum;
      const parts = head.partsCount ?? 0;
      if (type === 'COMPOSITE' && parts === 0) type = 'FULL_OBJECT';
      if (stored && stored.algorithm === alg && stored.type === type) {
        value = stored.value;
      } else if (type === 'COMPOSITE') {
        const inner = make!();
        for (let n = 1; n <= parts; n++) inner.update((await digestOf(ctx.storage, ref, make!, ctx.signal, n)).raw);
        value = `${inner.digest().toString('base64')}-${parts}`;
      } else {
        value = (await digestOf(ctx.storage, ref, make!, ctx.signal)).raw.toString('base64');
      }
      const dash = value.indexOf('-');
      const hex = Buffer.from(dash >= 0 ? value.slice(0, dash) : value, 'base64').toString('hex') + (dash >= 0 ? value.slice(dash) : '');
      return succeeded(JSON.stringify({ checksum_base64: value, checksum_hex: hex, checksumAlgorithm: alg, checksumType: type, etag: head.etag }));
    },
  };
}
