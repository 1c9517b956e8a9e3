import fc from 'fast-check';
import { dashboardSchema } from '../../lambdas/api/admin-schemas';
import {
  addCounters,
  counterDeltas,
  dashboardFromCounters,
  deviceCounterKeys,
  recount,
} from '../../lambdas/domain/counters';
import type { Alarm, Device } from '../../lambdas/domain/types';
import { PLATFORMS, REGISTRATION_STATES, SYNC_STATES } from '../../lambdas/domain/types';
import { newDevice } from '../support/factories';

describe('deviceCounterKeys', () => {
  it('a plain checked-in device counts its sync and registration state', () => {
    expect(deviceCounterKeys(newDevice({ syncState: 'Synchronized' }))).toEqual([
      'reg:Checked-In',
      'sync:Synchronized',
    ]);
  });
  it('admin lock counts on iOS and Android, never macOS', () => {
    expect(deviceCounterKeys(newDevice({ platform: 'ios', adminLocked: true }))).toContain('adminLocked:ios');
    expect(deviceCounterKeys(newDevice({ platform: 'android', adminLocked: true }))).toContain('adminLocked:android');
    expect(
      deviceCounterKeys(newDevice({ platform: 'macos', adminLocked: true })).some((k) => k.startsWith('adminLocked')),
    ).toBe(false);
  });
  it('prohibited apps count per platform (macOS too); pending commands when the count is > 0', () => {
    const keys = deviceCounterKeys(
      newDevice({
        platform: 'macos',
        prohibitedApps: ['x'],
        pendingCommands: { Wipe: 1, Lock: 0, ClearPasscode: 2, Restart: 4 },
      }),
    );
    expect(keys).toEqual(expect.arrayContaining(['prohibited:macos', 'pending:Wipe', 'pending:ClearPasscode']));
    expect(keys).not.toContain('pending:Lock');
    expect(keys.some((k) => k.includes('Restart'))).toBe(false);
  });
  it('Withdrawn and Expired devices count only under their registration state', () => {
    expect(
      deviceCounterKeys(
        newDevice({
          registrationState: 'Withdrawn',
          adminLocked: true,
          prohibitedApps: ['x'],
          pendingCommands: { Wipe: 1 },
        }),
      ),
    ).toEqual(['reg:Withdrawn']);
    expect(deviceCounterKeys(newDevice({ registrationState: 'Expired' }))).toEqual(['reg:Expired']);
  });
});

describe('counterDeltas', () => {
  it('creation adds, deletion subtracts, no change gives nothing', () => {
    const d = newDevice({ syncState: 'Sync-Required' });
    expect(counterDeltas(undefined, d)).toEqual({ 'reg:Checked-In': 1, 'sync:Sync-Required': 1 });
    expect(counterDeltas(d, undefined)).toEqual({ 'reg:Checked-In': -1, 'sync:Sync-Required': -1 });
    const renamed: Device = { ...d, name: 'renamed' };
    expect(counterDeltas(d, renamed)).toEqual({});
    expect(counterDeltas(undefined, undefined)).toEqual({});
  });
  it('a state change moves one count from the old key to the new', () => {
    const d = newDevice({ syncState: 'Sync-Requested' });
    expect(counterDeltas(d, { ...d, syncState: 'Not-Responding' })).toEqual({
      'sync:Sync-Requested': -1,
      'sync:Not-Responding': 1,
    });
  });
  it('withdrawal removes everything but the registration move', () => {
    const d = newDevice({ platform: 'android', adminLocked: true, syncState: 'Synchronized' });
    const withdrawn: Device = { ...d, registrationState: 'Withdrawn', withdrawalReason: 'wiped' };
    expect(counterDeltas(d, withdrawn)).toEqual({
      'reg:Checked-In': -1,
      'reg:Withdrawn': 1,
      'sync:Synchronized': -1,
      'adminLocked:android': -1,
    });
  });
});

describe('dashboardFromCounters', () => {
  const alarm: Alarm = {
    tenantId: 'acme',
    key: 'apns-certificate',
    severity: 'critical',
    message: 'renew the Apple push certificate',
    raisedAt: '2026-11-23T09:00:00.000Z',
  };
  it('has every key, zero when absent, and matches the API schema', () => {
    const dash = dashboardFromCounters({}, []);
    expect(Object.keys(dash.syncStates)).toEqual([...SYNC_STATES]);
    expect(Object.keys(dash.registrationStates)).toEqual([...REGISTRATION_STATES]);
    expect(dash.alarms).toEqual({ critical: 0, major: 0, minor: 0, warning: 0 });
    expect(dash.adminLocked).toEqual({ ios: 0, android: 0 });
    expect(dash.prohibitedApps).toEqual({ ios: 0, android: 0, macos: 0 });
    expect(dash.pendingCommands).toEqual({ ClearPasscode: 0, Wipe: 0, SelectiveWipe: 0, Lock: 0 });
    expect(dashboardSchema.parse(dash)).toEqual(dash);
  });
  it('reads the counters and the alarm counts; lists alarms without the tenant; clamps negatives', () => {
    const dash = dashboardFromCounters(
      {
        'sync:Synchronized': 5,
        'reg:Checked-In': 5,
        'alarm:critical': 1,
        'adminLocked:ios': 2,
        'prohibited:macos': 1,
        'pending:Wipe': 3,
        'sync:Not-Responding': -1,
      },
      [alarm],
    );
    expect(dash.syncStates.Synchronized).toBe(5);
    expect(dash.syncStates['Not-Responding']).toBe(0);
    expect(dash.alarms.critical).toBe(1);
    expect(dash.adminLocked.ios).toBe(2);
    expect(dash.prohibitedApps.macos).toBe(1);
    expect(dash.pendingCommands.Wipe).toBe(3);
    expect(dash.activeAlarms).toEqual([
      { key: 'apns-certificate', severity: 'critical', message: alarm.message, raisedAt: alarm.raisedAt },
    ]);
    expect(dashboardSchema.parse(dash)).toEqual(dash);
  });
});

// ---------------------------------------------------------------------------------------------
// Generated: counters kept on write equal a recount of the final devices.

const deviceFields = fc.record({
  platform: fc.constantFrom(...PLATFORMS),
  syncState: fc.constantFrom(...SYNC_STATES),
  registrationState: fc.constantFrom(...REGISTRATION_STATES),
  adminLocked: fc.boolean(),
  prohibitedApps: fc.array(fc.constantFrom('com.bad.a', 'com.bad.b'), { maxLength: 2 }),
  pendingCommands: fc.dictionary(
    fc.constantFrom('ClearPasscode', 'Wipe', 'SelectiveWipe', 'Lock', 'Restart'),
    fc.integer({ min: 0, max: 2 }),
  ),
});
const op = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), id: fc.integer({ min: 0, max: 9 }), fields: deviceFields }),
  fc.record({
    kind: fc.constant('update' as const),
    id: fc.integer({ min: 0, max: 9 }),
    fields: fc.record(
      {
        syncState: fc.constantFrom(...SYNC_STATES),
        registrationState: fc.constantFrom(...REGISTRATION_STATES),
        adminLocked: fc.boolean(),
        prohibitedApps: fc.array(fc.constant('com.bad.a'), { maxLength: 1 }),
        pendingCommands: fc.dictionary(fc.constantFrom('Wipe', 'Lock'), fc.integer({ min: 0, max: 1 })),
      },
      { requiredKeys: [] },
    ),
  }),
  fc.record({ kind: fc.constant('delete' as const), id: fc.integer({ min: 0, max: 9 }) }),
);

describe('generated: sum of deltas == recount', () => {
  it('for any sequence of creations, changes and deletions', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const devices = new Map<number, Device>();
        let counters: Record<string, number> = {};
        for (const o of ops) {
          const before = devices.get(o.id);
          let after: Device | undefined;
          if (o.kind === 'create') {
            if (before) continue; // create conflicts when it exists
            after = newDevice({ ...o.fields, pendingCommands: o.fields.pendingCommands as Device['pendingCommands'] });
          } else if (o.kind === 'update') {
            if (!before) continue;
            after = { ...before, ...(o.fields as Partial<Device>) };
          } else {
            after = undefined;
          }
          counters = addCounters(counters, counterDeltas(before, after));
          if (after) devices.set(o.id, after);
          else devices.delete(o.id);
        }
        expect(counters).toEqual(recount(devices.values()));
        expect(Object.values(counters).every((n) => n > 0)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
