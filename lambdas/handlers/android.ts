import { androidOperations } from '../api/android';
import type { Operations } from '../http/pipeline';
import { surfaceHandler } from './http-handler';

export const handler = surfaceHandler('android', androidOperations as Operations);
