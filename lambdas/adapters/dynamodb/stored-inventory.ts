// A device's inventory is by far the largest part of its item (a real device can list 3,000
// apps): it is stored gzip-compressed in one binary attribute, which keeps a large device well
// under DynamoDB's 400 KB item limit. Over the stated limit it is refused, never half-written.
import { gunzipSync, gzipSync } from 'node:zlib';
import { STORED_LIMITS, StoredLimitError } from '../../domain/limits';
import type { Inventory } from '../../domain/types';

export const INVENTORY_ATTRIBUTE = 'inventoryGz';

export function packInventory(inventory: Inventory): Uint8Array {
  const packed = gzipSync(JSON.stringify(inventory));
  if (packed.length > STORED_LIMITS.storedInventoryBytes) {
    throw new StoredLimitError(
      `inventory not stored: ${Math.ceil(packed.length / 1024)} KB compressed is over the limit of ` +
        `${STORED_LIMITS.storedInventoryBytes / 1024} KB`,
      'storedInventoryBytes',
    );
  }
  return packed;
}

export function unpackInventory(packed: Uint8Array): Inventory {
  return JSON.parse(gunzipSync(packed).toString('utf8')) as Inventory;
}
