import { appleOperations } from '../api/apple';
import type { Operations } from '../http/pipeline';
import { surfaceHandler } from './http-handler';

export const handler = surfaceHandler('apple', appleOperations as Operations);
