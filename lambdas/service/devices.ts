// Every device write goes through here: optimistic concurrency with retries, the dashboard
// counters moved by the same change, and the change's logs written once it has landed.
import { counterDeltas } from '../domain/counters';
import { ConcurrentUpdateError, notFound } from '../domain/errors';
import { deviceChangeEvents } from '../domain/events';
import { boundDevice } from '../domain/limits';
import { applyTransition, type SyncEvent, transition } from '../domain/sync/state-machine';
import type { Device, Severity } from '../domain/types';
import { logEvent } from './audit';
import type { App } from './container';
import { emitEvents } from './events';

export interface DeviceLog {
  event: string;
  message: string;
  severity?: Severity;
  data?: Record<string, unknown>;
}

export interface DeviceChange {
  device: Device;
  logs?: DeviceLog[];
}

/**
 * Applies a sync event to a device and returns the change with its state log. Here rather than in
 * sync.ts: the push worker and the jobs record sync events without running the sync engine (and
 * without bundling the platform adapters it drives).
 */
export function syncChange(device: Device, event: SyncEvent, at: string, extraLogs: DeviceLog[] = []): DeviceChange {
  const result = transition(device, event, at);
  const next = applyTransition(device, result) as Device;
  const logs = [
    ...(result.log
      ? [
          {
            event: 'sync-state',
            message: result.log.message,
            severity: result.log.severity,
            data: { to: result.syncState, from: device.syncState },
          },
        ]
      : []),
    ...extraLogs,
  ];
  return { device: next, logs };
}

const MAX_ATTEMPTS = 8;

export async function getDevice(app: App, tenantId: string, id: string): Promise<Device> {
  const device = await app.stores.devices.get(tenantId, id);
  if (!device) throw notFound('device');
  return device;
}

export async function createDevice(app: App, device: Device, logs: DeviceLog[] = []): Promise<Device> {
  await app.stores.devices.create(boundDevice(device));
  await app.stores.counters.add(device.tenantId, counterDeltas(undefined, device), device.id);
  for (const log of logs)
    await logEvent(app, device.tenantId, log.event, log.message, {
      deviceId: device.id,
      severity: log.severity,
      data: log.data,
    });
  await emitEvents(app, device.tenantId, deviceChangeEvents(undefined, device));
  return device;
}

/**
 * Reads the device, applies `change` (pure: it may run again after a lost race), and writes the
 * result if nobody else wrote in between. `change` returns undefined for "nothing to do".
 * Throws StoredLimitError (400, nothing written) when the result is over a stored-data limit.
 */
export async function mutateDevice(
  app: App,
  tenantId: string,
  id: string,
  change: (device: Device) => DeviceChange | undefined,
): Promise<Device> {
  for (let attempt = 1; ; attempt++) {
    const before = await getDevice(app, tenantId, id);
    const result = change(structuredClone(before));
    if (!result) return before;
    try {
      // Device-reported fields within their stored limits (docs/operations.md "Limits"); an inventory over them is refused.
      const after = await app.stores.devices.save({
        ...boundDevice(result.device),
        rev: before.rev,
        updatedAt: app.clock.now().toISOString(),
      });
      await app.stores.counters.add(tenantId, counterDeltas(before, after), id);
      for (const log of result.logs ?? []) {
        await logEvent(app, tenantId, log.event, log.message, { deviceId: id, severity: log.severity, data: log.data });
      }
      await emitEvents(app, tenantId, deviceChangeEvents(before, after));
      return after;
    } catch (err) {
      if (!(err instanceof ConcurrentUpdateError) || attempt >= MAX_ATTEMPTS) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
    }
  }
}

/** The device as admins see it (docs/api.md §Device detail): every field present, `null` when unset; internal fields stay inside. */
export function deviceView(d: Device) {
  return {
    id: d.id,
    platform: d.platform,
    name: d.name ?? null,
    model: d.model ?? null,
    osVersion: d.osVersion ?? null,
    serialNumber: d.serialNumber ?? null,
    templateId: d.templateId ?? null,
    syncState: d.syncState,
    registrationState: d.registrationState,
    withdrawalReason: d.withdrawalReason ?? null,
    lastPushAt: d.lastPushAt ?? null,
    lastSeenAt: d.lastSeenAt ?? null,
    lastUnlockedSeenAt: d.lastUnlockedSeenAt ?? null,
    lastSyncedAt: d.lastSyncedAt ?? null,
    checkedInAt: d.checkedInAt ?? null,
    checkInAddress: d.checkInAddress ?? null,
    userAgent: d.userAgent ?? null,
    accessRights: d.accessRights ?? null,
    identityCertNotAfter: d.identityCertNotAfter ?? null,
    adminLocked: d.adminLocked,
    prohibitedApps: d.prohibitedApps,
    pendingCommands: d.pendingCommands,
    pushTokenDead: d.push?.dead ?? false,
    supervised: d.supervised ?? null,
    syncRequestedAt: d.syncRequestedAt ?? null,
    syncRequestedBy: d.syncRequestedBy ?? null,
    selectiveWipe: d.selectiveWipe
      ? { at: d.selectiveWipe.at, templateId: d.selectiveWipe.templateId ?? null, removed: d.selectiveWipe.removed }
      : null,
  };
}

/** The device's inventory as the server last read it (docs/api.md §Device inventory); lists not read yet are absent. */
export async function deviceInventory(app: App, tenantId: string, id: string) {
  const { readAt, apps, profiles, books, osVersion, locked, passcodeSet } =
    (await getDevice(app, tenantId, id)).inventory ?? {};
  return { deviceId: id, readAt, apps, profiles, books, osVersion, locked, passcodeSet };
}
