// A device is stored as two items in its partition (docs/architecture.md §DynamoDB key design):
//
// - the device item (sk `DEVICE`): what changes often — sync state and phase, the last push, answer
//   and sync times, counters' inputs, the index keys — kept well under 1 KB, so each of its many small
//   writes costs one write unit;
// - the detail item (sk `DEVICE#DETAIL`): what rarely changes — the inventory (a real device can list
//   3,000 apps), the facts the device reports about itself, its push address and certificate, the
//   profiles the server delivered — gzip-compressed in one binary attribute. The device item keeps the
//   hash of the stored detail (`detailHash`), and a write whose detail hashes the same leaves the
//   detail item alone: a daily read of an unchanged device stores nothing new.
//
// Over the stated limit an inventory is refused, never half-written.
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { STORED_LIMITS, StoredLimitError } from '../../domain/limits';
import type { Device, Inventory } from '../../domain/types';

export const DETAIL_SK = 'DEVICE#DETAIL';
export const DETAIL_ATTRIBUTE = 'detailGz';
/** Before the detail item, the inventory was stored gzip-compressed in the device item; read on, rewritten on the next write. */
const LEGACY_INVENTORY_ATTRIBUTE = 'inventoryGz';

/** Device fields that rarely change after enrollment: kept in the detail item with the inventory. */
const DETAIL_FIELDS = [
  'name',
  'model',
  'osVersion',
  'serialNumber',
  'supervised',
  'push',
  'deviceTokenHash',
  'identityCertHash',
  'identityCertNotAfter',
  'enrolledVia',
  'checkedInAt',
  'checkInAddress',
  'userAgent',
  'accessRights',
  'deliveredProfiles',
  'selectiveWipe',
  'createdAt',
] as const satisfies ReadonlyArray<keyof Device>;

/**
 * What every device starts with: left out of the device item while it holds (a write costs one
 * unit per started KB, and these would be written on every one) and restored on read.
 */
const STARTING_VALUES = { adminLocked: false, prohibitedApps: [], pendingCommands: {} } satisfies Partial<Device>;

/** Held by the item's key (`DEVICE#{tenant}#{id}`), so not repeated in it: the store reads them from the key. */
const IN_THE_KEY = new Set(['id', 'tenantId']);

function isStartingValue(field: string, value: unknown): boolean {
  if (!(field in STARTING_VALUES)) return false;
  if (Array.isArray(value)) return value.length === 0;
  if (value && typeof value === 'object') return Object.keys(value).length === 0;
  return value === false;
}

type Detail = Partial<Pick<Device, (typeof DETAIL_FIELDS)[number]>> & { inventory?: Omit<Inventory, 'readAt'> };

export interface SplitDevice {
  /** The device item's attributes (without keys). */
  fields: Record<string, unknown>;
  /** The detail item's content, its hash, and the packed bytes when it differs from what is stored. */
  hash: string;
  packed?: Uint8Array;
}

/** The content of the detail item; `readAt` stays on the device item (a read that finds nothing new changes nothing). */
function detailOf(device: Device): Detail {
  const detail: Record<string, unknown> = {};
  for (const field of DETAIL_FIELDS) if (device[field] !== undefined) detail[field] = device[field];
  if (device.inventory) {
    const { readAt: _readAt, ...content } = device.inventory;
    detail.inventory = content;
  }
  return detail as Detail;
}

/**
 * Splits a device into its two items. The detail is packed only when its hash differs from the one
 * the device was read with; packing checks the inventory limit before anything is written.
 */
export function splitDevice(device: Device): SplitDevice {
  const detail = detailOf(device);
  const json = JSON.stringify(detail);
  const hash = createHash('sha256').update(json).digest('base64url').slice(0, 22);
  const fields: Record<string, unknown> = {};
  const inDetail = new Set<string>(DETAIL_FIELDS);
  for (const [k, v] of Object.entries(device))
    if (!inDetail.has(k) && !IN_THE_KEY.has(k) && k !== 'inventory' && !isStartingValue(k, v)) fields[k] = v;
  fields.detailHash = hash;
  if (device.inventory?.readAt) fields.inventoryReadAt = device.inventory.readAt;
  return { fields, hash, packed: hash === device.detailHash ? undefined : pack(json, detail) };
}

function pack(json: string, detail: Detail): Uint8Array {
  const packed = gzipSync(json);
  if (packed.length > STORED_LIMITS.storedInventoryBytes) {
    const inventory = detail.inventory ? gzipSync(JSON.stringify(detail.inventory)).length : 0;
    throw new StoredLimitError(
      `inventory not stored: ${Math.ceil(inventory / 1024)} KB compressed is over the limit of ` +
        `${STORED_LIMITS.storedInventoryBytes / 1024} KB`,
      'storedInventoryBytes',
    );
  }
  return packed;
}

/** The device from its device item (keys stripped) and its detail item, when there is one. */
export function joinDevice(fields: Record<string, unknown>, detailItem?: Record<string, unknown>): Device {
  const {
    inventoryReadAt,
    detailHash: _hash,
    [LEGACY_INVENTORY_ATTRIBUTE]: legacy,
    ...rest
  } = fields as Record<string, unknown> & { inventoryReadAt?: string };
  const device = { ...structuredClone(STARTING_VALUES), ...rest } as unknown as Device;
  const packed = detailItem?.[DETAIL_ATTRIBUTE];
  if (packed instanceof Uint8Array) {
    const { inventory, ...detail } = JSON.parse(gunzipSync(packed).toString('utf8')) as Detail;
    Object.assign(device, detail);
    if (inventory) device.inventory = inventoryReadAt ? { ...inventory, readAt: inventoryReadAt } : inventory;
    // The detail item's own hash: if a crash came between the device write and the detail write,
    // the next write sees the difference and stores the detail again.
    device.detailHash = String(detailItem?.hash);
  } else if (legacy instanceof Uint8Array) {
    device.inventory = JSON.parse(gunzipSync(legacy).toString('utf8')) as Inventory;
  }
  return device;
}

/** An inventory alone, packed as the detail item packs it (for the limit's own test). */
export function packInventory(inventory: Inventory): Uint8Array {
  const { readAt: _readAt, ...content } = inventory;
  return pack(JSON.stringify({ inventory: content }), { inventory: content });
}

export function unpackInventory(packed: Uint8Array): Inventory {
  return (JSON.parse(gunzipSync(packed).toString('utf8')) as Detail).inventory as Inventory;
}
