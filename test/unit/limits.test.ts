// The stored-data limits (docs/operations.md "Limits"): what is cut, what is refused, and that a
// real large device fits its item with room to spare.
import { randomBytes } from 'node:crypto';
import { packInventory, unpackInventory } from '../../lambdas/adapters/dynamodb/device-detail';
import {
  boundDevice,
  boundErrors,
  checkInventoryLimits,
  STORED_LIMITS,
  StoredLimitError,
  TRUNCATION_MARKER,
  truncateText,
} from '../../lambdas/domain/limits';
import type { Device, Inventory } from '../../lambdas/domain/types';

const device = (over: Partial<Device> = {}): Device => ({
  tenantId: 't',
  id: 'd',
  platform: 'ios',
  syncState: 'Synchronized',
  registrationState: 'Checked-In',
  adminLocked: false,
  prohibitedApps: [],
  pendingCommands: {},
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  rev: 1,
  ...over,
});

describe('stored-data limits', () => {
  it('cuts text to its limit with a marker, and leaves short text alone', () => {
    expect(truncateText('short')).toBe('short');
    const cut = truncateText('x'.repeat(10_000), 100);
    expect(cut).toHaveLength(100);
    expect(cut.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(truncateText('y'.repeat(100), 100)).toBe('y'.repeat(100));
  });

  it('keeps at most 10 errors, each cut to its limits', () => {
    const errors = boundErrors(
      Array.from({ length: 50 }, () => ({
        code: 'c'.repeat(1000),
        domain: 'd'.repeat(1000),
        message: 'm'.repeat(100_000),
      })),
    )!;
    expect(errors).toHaveLength(STORED_LIMITS.errorsPerResult);
    expect(errors[0].code).toHaveLength(STORED_LIMITS.textChars);
    expect(errors[0].domain).toHaveLength(STORED_LIMITS.textChars);
    expect(errors[0].message).toHaveLength(STORED_LIMITS.errorMessageChars);
    expect(boundErrors([{ code: 4027, domain: 'MCInstallationErrorDomain', message: 'ok' }])).toEqual([
      { code: 4027, domain: 'MCInstallationErrorDomain', message: 'ok' },
    ]);
  });

  it('refuses an inventory over a list limit as a whole, naming it', () => {
    const apps = (n: number, id = (i: number) => `com.example.app${i}`) =>
      Array.from({ length: n }, (_, i) => ({ identifier: id(i), version: '1' }));
    expect(() => checkInventoryLimits({ apps: apps(STORED_LIMITS.inventoryApps) })).not.toThrow();
    expect(() => checkInventoryLimits({ apps: apps(STORED_LIMITS.inventoryApps + 1) })).toThrow(
      /5001 apps is over the limit of 5000/,
    );
    expect(() => checkInventoryLimits({ apps: apps(3, (i) => (i === 2 ? 'x'.repeat(257) : `a${i}`)) })).toThrow(
      /apps\.2\.identifier is over 256 characters/,
    );
    expect(() => checkInventoryLimits({ profiles: [{ identifier: 'p', uuid: 'u'.repeat(129) }] })).toThrow(
      StoredLimitError,
    );
    expect(() =>
      checkInventoryLimits({ profiles: Array.from({ length: 1001 }, (_, i) => ({ identifier: `p${i}` })) }),
    ).toThrow(/1001 profiles/);
  });

  it('cuts device-reported text and refuses a push token no APNs or FCM would issue', () => {
    const bounded = boundDevice(
      device({
        name: 'n'.repeat(600_000),
        userAgent: 'u'.repeat(20_000),
        serialNumber: 'C02XYZ',
        inventory: { osVersion: 'v'.repeat(1000) },
      }),
    );
    expect(bounded.name).toHaveLength(STORED_LIMITS.textChars);
    expect(bounded.userAgent).toHaveLength(STORED_LIMITS.textChars);
    expect(bounded.serialNumber).toBe('C02XYZ');
    expect(bounded.inventory?.osVersion).toHaveLength(STORED_LIMITS.textChars);
    expect('model' in bounded).toBe(false);
    expect(() => boundDevice(device({ push: { token: 'a'.repeat(600_000) } }))).toThrow(/push token not stored/);
  });

  it('stores a 3,000-app inventory in a small part of the 400 KB item, and refuses one that cannot fit', () => {
    const inventory: Inventory = {
      apps: Array.from({ length: 3000 }, (_, i) => ({
        identifier: `com.vendor${i % 250}.product.app${i}.mobile`,
        version: `${i % 20}.${i % 10}.${i % 7}`,
        managed: i % 5 === 0,
      })),
      profiles: Array.from({ length: 50 }, (_, i) => ({
        identifier: `com.example.profile${i}`,
        uuid: '3F2504E0-4F89-11D3-9A0C-0305E82C3301',
        managed: true,
      })),
      osVersion: '18.1',
    };
    const packed = packInventory(inventory);
    expect(packed.length).toBeLessThan(64 * 1024);
    expect(unpackInventory(packed)).toEqual(inventory);
    const incompressible: Inventory = {
      apps: Array.from({ length: 5000 }, () => ({ identifier: randomBytes(180).toString('base64url'), version: '1' })),
    };
    expect(() => packInventory(incompressible)).toThrow(
      /inventory not stored: \d+ KB compressed is over the limit of 256 KB/,
    );
  });
});
