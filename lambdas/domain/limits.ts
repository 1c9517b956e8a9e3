// Bounds on what a device can make the server store (docs/operations.md, "Limits"). A DynamoDB
// item holds at most 400 KB: device input that passed validation but would not fit must not turn
// into a 500 that the device retries forever. Free text is cut with a marker; an inventory over a
// stated limit is refused as a whole (400), so nothing is half-stored. Pure: no I/O here.
import { DomainError } from './errors';
import type { CommandError, Device, Inventory } from './types';

export const TRUNCATION_MARKER = '…[truncated]';

export const STORED_LIMITS = {
  /** A command error's message (Apple ErrorChain description, Android error.message). */
  errorMessageChars: 4096,
  /** Errors kept per command result (an Apple ErrorChain is rarely more than 3 deep). */
  errorsPerResult: 10,
  /** Short device-reported text: error code and domain, device name, model, serial number, OS version, user agent. */
  textChars: 256,
  /** Apps in an inventory (a large real device has about 3,000). */
  inventoryApps: 5000,
  /** Profiles (Apple) or policies (Android) in an inventory. */
  inventoryProfiles: 1000,
  /** Books in an inventory. */
  inventoryBooks: 5000,
  /** An inventory entry's identifier (bundle id, package name, profile identifier). */
  identifierChars: 256,
  /** An inventory entry's other fields (version, UUID, hash). */
  entryFieldChars: 128,
  /** The whole inventory as stored in the device item, compressed (a 3,000-app device takes 20 to 60 KB). */
  storedInventoryBytes: 256 * 1024,
  /** A push token (APNs: 64 hex characters; FCM: about 200) or Apple PushMagic. */
  pushTokenChars: 4096,
  /** An Apple UnlockToken (a few KB in practice). */
  unlockTokenBytes: 64 * 1024,
} as const;

/** Device input over a stored-data limit: a 400 that names the limit. */
export class StoredLimitError extends DomainError {
  constructor(
    message: string,
    readonly limit: keyof typeof STORED_LIMITS,
  ) {
    super('bad-request', message, { limit, max: STORED_LIMITS[limit] });
    this.name = 'StoredLimitError';
  }
}

/**
 * Records a device's report with its result, or without it when the result is over the stored
 * limits: the command then finishes as Error `result-too-large` (the device is not asked again and
 * again) and the device is told with a 400 once the rest of its report is recorded.
 */
export async function recordWithinLimits<T, R>(
  record: (result: R | undefined) => Promise<T>,
  result: R | undefined,
): Promise<{ recorded: T; refused?: StoredLimitError; refusal?: { code: string; domain: string; message: string } }> {
  try {
    return { recorded: await record(result) };
  } catch (err) {
    if (!(err instanceof StoredLimitError)) throw err;
    return {
      recorded: await record(undefined),
      refused: err,
      refusal: { code: 'result-too-large', domain: 'MDMServer', message: err.message },
    };
  }
}

/** `value` cut to `max` characters, the cut marked (the marker counts in the `max`). */
export function truncateText(value: string, max: number = STORED_LIMITS.textChars): string {
  return value.length <= max
    ? value
    : `${value.slice(0, Math.max(0, max - TRUNCATION_MARKER.length))}${TRUNCATION_MARKER}`;
}

const truncateOptional = (value: string | undefined, max?: number) =>
  value === undefined ? undefined : truncateText(value, max);

/** A command's reported errors as they are stored and logged: at most 10, each field cut to its limit. */
export function boundErrors(errors: CommandError[] | undefined): CommandError[] | undefined {
  return errors?.slice(0, STORED_LIMITS.errorsPerResult).map((e) => ({
    code: typeof e.code === 'string' ? truncateText(e.code) : e.code,
    domain: truncateText(e.domain),
    message: truncateText(e.message, STORED_LIMITS.errorMessageChars),
  }));
}

type Entry = { identifier: string } & Record<string, unknown>;

function checkList(name: string, entries: Entry[] | undefined, max: number, limit: keyof typeof STORED_LIMITS): void {
  if (!entries) return;
  if (entries.length > max) {
    throw new StoredLimitError(`inventory not stored: ${entries.length} ${name} is over the limit of ${max}`, limit);
  }
  for (const [index, entry] of entries.entries()) {
    if (entry.identifier.length > STORED_LIMITS.identifierChars) {
      throw new StoredLimitError(
        `inventory not stored: ${name}.${index}.identifier is over ${STORED_LIMITS.identifierChars} characters`,
        'identifierChars',
      );
    }
    for (const [field, value] of Object.entries(entry)) {
      if (field !== 'identifier' && typeof value === 'string' && value.length > STORED_LIMITS.entryFieldChars) {
        throw new StoredLimitError(
          `inventory not stored: ${name}.${index}.${field} is over ${STORED_LIMITS.entryFieldChars} characters`,
          'entryFieldChars',
        );
      }
    }
  }
}

/** Refuses (StoredLimitError) an inventory over the list limits; the stored-size limit is the store's to check. */
export function checkInventoryLimits(inventory: Partial<Inventory> | undefined): void {
  checkList('apps', inventory?.apps, STORED_LIMITS.inventoryApps, 'inventoryApps');
  checkList('profiles', inventory?.profiles, STORED_LIMITS.inventoryProfiles, 'inventoryProfiles');
  checkList('books', inventory?.books, STORED_LIMITS.inventoryBooks, 'inventoryBooks');
}

/**
 * The device as it may be stored: device-reported text cut to its limit, the inventory checked,
 * push addressing checked (a cut token would be useless, so an over-long one is refused).
 */
export function boundDevice(device: Device): Device {
  checkInventoryLimits(device.inventory);
  if (
    device.push &&
    (device.push.token.length > STORED_LIMITS.pushTokenChars ||
      (device.push.magic?.length ?? 0) > STORED_LIMITS.pushTokenChars)
  ) {
    throw new StoredLimitError(
      `push token not stored: over ${STORED_LIMITS.pushTokenChars} characters`,
      'pushTokenChars',
    );
  }
  const bounded: Device = {
    ...device,
    name: truncateOptional(device.name),
    model: truncateOptional(device.model),
    osVersion: truncateOptional(device.osVersion),
    serialNumber: truncateOptional(device.serialNumber),
    userAgent: truncateOptional(device.userAgent),
    checkInAddress: truncateOptional(device.checkInAddress),
  };
  if (device.inventory?.osVersion !== undefined)
    bounded.inventory = { ...device.inventory, osVersion: truncateText(device.inventory.osVersion) };
  for (const key of ['name', 'model', 'osVersion', 'serialNumber', 'userAgent', 'checkInAddress'] as const) {
    if (bounded[key] === undefined) delete bounded[key];
  }
  return bounded;
}
