import type { S3Handlers } from './context.js';

export const objectConfigHandlers: S3Handlers = {};
