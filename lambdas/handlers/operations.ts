// Every surface's operations, keyed by the route table's `op`.
import { adminOperations } from '../api/admin';
import { androidOperations } from '../api/android';
import { appleOperations } from '../api/apple';
import type { Operations } from '../http/pipeline';

export const allOperations: Operations = { ...adminOperations, ...appleOperations, ...androidOperations } as Operations;
