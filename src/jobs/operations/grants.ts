/** S3Grant (the job model's wire-shaped grants) → the StorageClient's grants. */
import type { Grant } from '../../storage/storage-client.js';
import type { S3Grant } from '../model.js';

export function toGrants(grants: readonly S3Grant[]): Grant[] {
  const out: Grant[] = [];
  for (const g of grants) {
    const ge = g.grantee;
    if (!ge?.identifier || !g.permission) continue; // the API front refuses incomplete grants
    switch (ge.typeIdentifier ?? 'id') {
      case 'id':
        out.push({ grantee: { type: 'CanonicalUser', id: ge.identifier, displayName: ge.displayName }, permission: g.permission });
        break;
      case 'uri':
        out.push({ grantee: { type: 'Group', uri: ge.identifier }, permission: g.permission });
        break;
      case 'emailAddress':
        out.push({ grantee: { type: 'AmazonCustomerByEmail', email: ge.identifier }, permission: g.permission });
        break;
    }
  }
  return out;
}
