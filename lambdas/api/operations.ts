// Every surface's operations, keyed by the route table's `op`.

import type { Operations } from '../http/pipeline';
import { adminOperations } from './admin';
import { androidOperations } from './android';
import { appleOperations } from './apple';

export const allOperations: Operations = { ...adminOperations, ...appleOperations, ...androidOperations } as Operations;
