import type { S3Handlers } from './context.js';

export const bucketConfigHandlers: S3Handlers = {};
