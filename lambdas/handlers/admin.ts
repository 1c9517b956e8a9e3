import { adminOperations } from '../api/admin';
import type { Operations } from '../http/pipeline';
import { surfaceHandler } from './http-handler';

export const handler = surfaceHandler('admin', adminOperations as Operations);
