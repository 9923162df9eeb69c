/** Every S3 handler, by operation name. An operation with no handler answers NotImplemented. */
import { bucketConfigHandlers } from './bucket-config.js';
import { bucketHandlers } from './buckets.js';
import type { S3Handlers } from './context.js';
import { listingHandlers } from './listing.js';
import { multipartHandlers } from './multipart.js';
import { objectConfigHandlers } from './object-config.js';
import { objectHandlers } from './objects.js';

export const s3Handlers: S3Handlers = {
  ...bucketHandlers,
  ...bucketConfigHandlers,
  ...listingHandlers,
  ...objectHandlers,
  ...objectConfigHandlers,
  ...multipartHandlers,
};
