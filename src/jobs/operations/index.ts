/** The operation of a job, by its AWS name (a closed set, switched exhaustively). */
import type { LambdaInvoker, LambdaRegistry } from '../lambda.js';
import type { JobOperation } from '../model.js';
import { computeObjectChecksum } from './compute-object-checksum.js';
import { deleteObject } from './delete-object.js';
import { deleteObjectTagging } from './delete-object-tagging.js';
import { initiateRestoreObject } from './initiate-restore-object.js';
import { lambdaInvoke } from './lambda-invoke.js';
import { putObjectAcl } from './put-object-acl.js';
import { putObjectCopy } from './put-object-copy.js';
import { putObjectLegalHold } from './put-object-legal-hold.js';
import { putObjectRetention } from './put-object-retention.js';
import { putObjectTagging } from './put-object-tagging.js';
import type { Operation } from './types.js';

export interface OperationDeps {
  readonly lambda: LambdaRegistry;
  readonly invoke: LambdaInvoker;
}

export function operationOf(op: JobOperation, deps: OperationDeps): Operation {
  switch (op.kind) {
    case 'S3PutObjectTagging':
      return putObjectTagging(op);
    case 'S3DeleteObjectTagging':
      return deleteObjectTagging();
    case 'S3PutObjectAcl':
      return putObjectAcl(op);
    case 'S3PutObjectCopy':
      return putObjectCopy(op);
    case 'S3InitiateRestoreObject':
      return initiateRestoreObject(op);
    case 'S3PutObjectLegalHold':
      return putObjectLegalHold(op);
    case 'S3PutObjectRetention':
      return putObjectRetention(op);
    case 'S3ComputeObjectChecksum':
      return computeObjectChecksum(op);
    case 'S3DeleteObject':
      return deleteObject(op);
    case 'LambdaInvoke':
      return lambdaInvoke(op, deps.lambda, deps.invoke);
    case 'S3ReplicateObject':
      // Replication arrives in Step 4: refuse in Preparing rather than fail every task.
      return {
        sameBucket: true,
        prepare: async () => ({ code: 'UnsupportedOperation', reason: 'S3ReplicateObject is not supported by this release of s3batch.' }),
        run: async () => {
          throw new Error('S3ReplicateObject has no runner');
        },
      };
    default: {
      const never: never = op;
      return never;
    }
  }
}
