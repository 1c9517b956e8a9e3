// The sync engine (docs/sync.md): requests, the device session's progress through
// inventory → applying → verifying, and the commands in between. Platform-neutral: Apple and
// Android differ only in their PlatformAdapter.
import { ConcurrentUpdateError } from '../domain/errors';
import { planSync } from '../domain/sync/plan';
import type { SyncRequester } from '../domain/sync/state-machine';
import type { Command, Device, PushPriority, Template } from '../domain/types';
import type { InventoryUpdate } from '../ports/platform';
import { clearAlarm, raiseAlarm } from './audit';
import { enqueueCommands } from './command-queue';
import type { App } from './container';
import { mutateDevice, syncChange } from './devices';
import { platformFor } from './platform-adapters';
import { requestPush } from './push-requests';

async function templateOf(app: App, device: Device): Promise<Template | undefined> {
  return device.templateId ? app.stores.templates.get(device.tenantId, device.templateId) : undefined;
}

/**
 * Queues the inventory read unless one is already queued (dedup by request type). A read already
 * queued serves the new cycle: it is handed over to the cycle's operation, if it has one.
 */
async function queueInventoryRead(app: App, device: Device, live: Command[]): Promise<void> {
  const pending = live.filter((c) => c.origin === 'verify');
  const operationId = device.syncOperationId;
  for (const c of pending) {
    if (!operationId || c.operationId === operationId || c.status !== 'Queued') continue;
    // Finished meanwhile: nothing to hand over.
    await app.stores.commands.update({ ...c, operationId }).catch((err) => {
      if (!(err instanceof ConcurrentUpdateError)) throw err;
    });
  }
  const queued = new Set(pending.map((c) => c.requestType));
  const specs = platformFor(device.platform)
    .inventoryQueries(device, await templateOf(app, device))
    .filter((s) => !queued.has(s.requestType));
  await enqueueCommands(app, device, specs, 'verify', { operationId: device.syncOperationId });
}

/**
 * Marks a device Sync-Required, queues the inventory read that starts the cycle and, unless the
 * caller batches pushes itself, asks for a push. With `operationId` (an admin's Sync or
 * SelectiveWipe), every command of the cycle carries that id; a sync requested without one ends that.
 */
export async function requestSync(
  app: App,
  tenantId: string,
  deviceId: string,
  by: SyncRequester,
  opts: { push?: boolean; priority?: PushPriority; operationId?: string } = {},
): Promise<Device | undefined> {
  const at = app.clock.now().toISOString();
  const device = await mutateDevice(app, tenantId, deviceId, (d) => {
    if (d.registrationState !== 'Checked-In') return undefined;
    const change = syncChange(d, { type: 'sync-requested', by }, at);
    change.device.syncPhase = 'inventory';
    if (opts.operationId) change.device.syncOperationId = opts.operationId;
    else delete change.device.syncOperationId;
    return change;
  });
  if (device.registrationState !== 'Checked-In') return undefined;
  await queueInventoryRead(app, device, await app.stores.commands.liveQueue(tenantId, deviceId));
  if (opts.push !== false)
    await requestPush(app, [
      { tenantId, deviceId, priority: opts.priority ?? (by === 'admin' ? 'admin' : 'bulk'), reason: by },
    ]);
  return device;
}

/** Merges a query result into the stored inventory (each query replaces its own part). */
export function mergeInventory(device: Device, update: InventoryUpdate, at: string): Device {
  const next = { ...device };
  if (update.inventory) next.inventory = { ...device.inventory, ...update.inventory, readAt: at };
  if (update.device) {
    const { lostMode: _lostMode, ...facts } = update.device;
    for (const [k, v] of Object.entries(facts)) if (v !== undefined) (next as Record<string, unknown>)[k] = v;
  }
  return next;
}

/** Updates the prohibited-apps finding and its per-device warning alarm. */
async function reportProhibited(app: App, device: Device, found: string[]): Promise<void> {
  const key = `prohibited-app#${device.id}`;
  if (found.length)
    await raiseAlarm(
      app,
      device.tenantId,
      key,
      'warning',
      `prohibited app${found.length > 1 ? 's' : ''} on ${device.name ?? device.id}: ${found.join(', ')}`,
      device.id,
    );
  else if (device.prohibitedApps.length)
    await clearAlarm(app, device.tenantId, key, `no prohibited app left on ${device.name ?? device.id}`);
}

/**
 * Moves the sync forward after the device finished a command (or checked in with inventory):
 * once no sync work is left in its queue, the phase ends — the inventory read leads to a plan,
 * the applied plan leads to a verification read, and a matching read makes it Synchronized.
 */
export async function advanceSync(app: App, tenantId: string, deviceId: string): Promise<void> {
  const live = await app.stores.commands.liveQueue(tenantId, deviceId);
  if (live.some((c) => c.origin === 'sync' || c.origin === 'verify')) return;
  const device = await app.stores.devices.get(tenantId, deviceId);
  if (!device?.syncPhase || device.registrationState !== 'Checked-In') return;
  const at = app.clock.now().toISOString();
  const template = await templateOf(app, device);

  if (device.syncPhase === 'applying') {
    await mutateDevice(app, tenantId, deviceId, (d) =>
      d.syncPhase === 'applying' ? { device: { ...d, syncPhase: 'verifying' } } : undefined,
    );
    await queueInventoryRead(app, device, live);
    return;
  }

  const plan = planSync({
    template,
    inventory: device.inventory,
    platform: device.platform,
    delivered: device.deliveredProfiles ?? [],
    queued: live.flatMap((c) => (c.action ? [c.action as never] : [])),
  });
  const phase = device.syncPhase;
  const prohibitedChanged = plan.prohibitedFound.join('\n') !== device.prohibitedApps.join('\n');
  if (prohibitedChanged) await reportProhibited(app, device, plan.prohibitedFound);
  const matches = plan.actions.length === 0;
  const updated = await mutateDevice(app, tenantId, deviceId, (d) => {
    if (d.syncPhase !== phase) return undefined; // another session moved on
    // A read with nothing left to do is itself the confirmation; after applying, the read-back is.
    const change = syncChange(d, { type: 'inventory-compared', matches, verified: matches }, at);
    change.device.prohibitedApps = plan.prohibitedFound;
    change.device.syncPhase = matches || phase === 'verifying' ? undefined : 'applying';
    if (!matches && phase === 'verifying') {
      change.logs?.push({
        event: 'sync-incomplete',
        message: `${plan.actions.length} item(s) still differ after applying; see the command log`,
        severity: 'minor',
        data: { actions: plan.actions.map((a) => `${a.action} ${a.identifier}`) },
      });
    }
    return change;
  });
  if (!matches && phase === 'inventory' && updated.syncPhase === 'applying') {
    const adapter = platformFor(device.platform);
    await enqueueCommands(
      app,
      updated,
      plan.actions.map((a) => adapter.syncAction(a, updated)),
      'sync',
      { operationId: updated.syncOperationId },
    );
  }
}

/** Records the device's answer: resets the Not-Responding clock and moves Sync-Requested on. */
export async function deviceAnswered(
  app: App,
  tenantId: string,
  deviceId: string,
  unlocked: boolean,
  extra?: (d: Device) => void,
): Promise<Device> {
  const at = app.clock.now().toISOString();
  return mutateDevice(app, tenantId, deviceId, (d) => {
    const change = syncChange(d, { type: 'device-answered', unlocked }, at);
    extra?.(change.device);
    return change;
  });
}
