import type { S3Handlers } from './context.js';

export const multipartHandlers: S3Handlers = {};
