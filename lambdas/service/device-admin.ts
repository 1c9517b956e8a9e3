// Admin actions on one device: template assignment, remote commands and retirement (many devices: bulk-commands.ts).

import { conflict, notFound, unprocessable } from '../domain/errors';
import { selectiveWipeActions } from '../domain/sync/plan';
import type { AdminCommandType, Device, PushPriority } from '../domain/types';
import { timeOrderedId } from '../ids';
import type { AdminParams, CommandSpec } from '../ports/platform';
import { releaseAppleIdentity } from './apple-enrollment';
import { logEvent } from './audit';
import { enqueueCommands } from './command-queue';
import type { App } from './container';
import { startDeviceOperation } from './device-operations';
import { getDevice, mutateDevice } from './devices';
import { withdrawDevice } from './enrollment';
import { platformFor } from './platform-adapters';
import { requestPush } from './push-requests';
import { UNLOCK_TOKEN_SECRET } from './secret-names';
import { requestSync } from './sync';

export async function assignTemplate(app: App, tenantId: string, deviceId: string, templateId: string | null) {
  if (templateId && !(await app.stores.templates.get(tenantId, templateId))) throw notFound('template');
  await mutateDevice(app, tenantId, deviceId, (d) =>
    d.templateId === (templateId ?? undefined)
      ? undefined
      : {
          device: { ...d, templateId: templateId ?? undefined },
          logs: [
            {
              event: 'template-assigned',
              message: templateId ? `template ${templateId} assigned` : 'template removed',
              data: { templateId },
            },
          ],
        },
  );
  const device = await requestSync(app, tenantId, deviceId, 'template-assigned', { priority: 'admin' });
  return device ?? getDevice(app, tenantId, deviceId);
}

function requireManaged(device: Device): void {
  if (device.registrationState === 'Withdrawn')
    throw conflict(`the device is withdrawn (${device.withdrawalReason ?? 'unknown reason'}); it takes no commands`);
  if (device.registrationState !== 'Checked-In')
    throw conflict('the device has not checked in yet; commands can be sent once it is enrolled');
}

/** The device commands an admin command becomes, or a refusal (422) that says why. */
async function planAdminCommand(
  app: App,
  device: Device,
  type: Exclude<AdminCommandType, 'Sync' | 'SelectiveWipe'>,
  params: AdminParams,
): Promise<{ specs: CommandSpec[]; warning?: string }> {
  const adapter = platformFor(device.platform);
  const unlockToken =
    type === 'ClearPasscode'
      ? await app.stores.secrets.get(device.tenantId, UNLOCK_TOKEN_SECRET(device.id))
      : undefined;
  const plan = adapter.adminCommand(type, params, device, { unlockToken, tenantId: device.tenantId });
  if ('refused' in plan) throw unprocessable(plan.refused, { type, platform: device.platform });
  return { specs: plan.commands, warning: plan.warning };
}

export interface SendOptions {
  /** Push priority: `admin` for one device, `bulk` for a bulk operation's devices. */
  priority?: PushPriority;
  /** A fixed command id (bulk operations): sending again with the same id queues nothing twice. */
  commandId?: string;
  /** A fixed operation id for Sync and SelectiveWipe (bulk operations), the same on every retry. */
  operationId?: string;
  /** Who asked, for the log: an admin, or a bulk operation. */
  via?: string;
}

/** What the admin follows: the command, or for a type that expands into several commands, their operation. */
export type CommandAccepted = ({ commandId: string } | { operationId: string }) & { warning?: string };

export async function sendCommand(
  app: App,
  tenantId: string,
  deviceId: string,
  type: AdminCommandType,
  params: AdminParams,
  opts: SendOptions = {},
): Promise<CommandAccepted> {
  const priority = opts.priority ?? 'admin';
  const device = await getDevice(app, tenantId, deviceId);
  requireManaged(device);
  if (type === 'Sync') {
    const operationId = await startDeviceOperation(app, device, type, opts.operationId);
    await requestSync(app, tenantId, deviceId, 'admin', { priority, operationId });
    return { operationId };
  }
  if (type === 'SelectiveWipe') return { operationId: await selectiveWipe(app, device, priority, opts) };
  const { specs, warning } = await planAdminCommand(app, device, type, params);
  // A bulk operation's command id; else the first command's own (time-ordered) id, chosen here so the answer always names it.
  const idBase = opts.commandId ?? timeOrderedId(app.clock.now());
  const commands = await enqueueCommands(app, device, specs, 'admin', { adminType: type, idBase });
  await countPending(app, device, type, commands.length);
  // Logged once: a retried bulk step finds its commands already queued and logs nothing more.
  // The params may hold a PIN or passcode: the log names the command only.
  if (commands.length || !opts.commandId) {
    await logEvent(app, tenantId, 'command-requested', `${type} requested ${opts.via ?? 'by an admin'}`, {
      deviceId,
      data: { type, commandIds: commands.map((c) => c.id) },
    });
  }
  await requestPush(app, [{ tenantId, deviceId, priority, reason: `admin:${type}` }]);
  return { commandId: idBase, ...(warning ? { warning } : {}) };
}

async function countPending(app: App, device: Device, type: AdminCommandType, queued: number): Promise<void> {
  if (!queued) return;
  await mutateDevice(app, device.tenantId, device.id, (d) => ({
    device: { ...d, pendingCommands: { ...d.pendingCommands, [type]: (d.pendingCommands[type] ?? 0) + queued } },
  }));
}

/**
 * SelectiveWipe (docs/sync.md §SelectiveWipe): removes everything the server delivered, unassigns
 * the template so that no later sync delivers it again, records what it removed on the device,
 * and ends with a sync whose read-back confirms the device now matches "no template". Returns
 * the operation that follows all of it.
 */
async function selectiveWipe(app: App, device: Device, priority: PushPriority, opts: SendOptions): Promise<string> {
  const operationId = await startDeviceOperation(app, device, 'SelectiveWipe', opts.operationId);
  const template = device.templateId ? await app.stores.templates.get(device.tenantId, device.templateId) : undefined;
  const live = await app.stores.commands.liveQueue(device.tenantId, device.id);
  const actions = selectiveWipeActions(device.inventory, device.deliveredProfiles ?? [], template, {
    platform: device.platform,
    queued: live.flatMap((c) => (c.action ? [c.action as never] : [])),
  });
  const adapter = platformFor(device.platform);
  const commands = await enqueueCommands(
    app,
    device,
    actions.map((a) => adapter.syncAction(a, device)),
    'admin',
    { adminType: 'SelectiveWipe', idBase: opts.commandId, operationId },
  );
  await countPending(app, device, 'SelectiveWipe', commands.length);
  const at = app.clock.now().toISOString();
  await mutateDevice(app, device.tenantId, device.id, (d) => {
    // A retried bulk step: this operation is already recorded.
    if (d.selectiveWipe?.operationId === operationId) return undefined;
    const { templateId, ...rest } = d;
    return {
      device: {
        ...rest,
        selectiveWipe: { at, operationId, templateId, removed: actions.map((a) => a.identifier) },
      },
      logs: [
        {
          event: 'selective-wipe',
          message: `selective wipe requested ${opts.via ?? 'by an admin'}: ${actions.length} item(s) removed${templateId ? `, template ${templateId} unassigned` : ''}`,
          data: {
            operationId,
            templateId: templateId ?? null,
            removed: actions.map((a) => `${a.action} ${a.identifier}`),
          },
        },
      ],
    };
  });
  // The read-back runs after the removals (admin commands are handed out first).
  await requestSync(app, device.tenantId, device.id, 'admin', { priority, operationId });
  return operationId;
}

/**
 * Retire (DELETE /admin/v1/devices/{id}): the server stops managing the device for good. It is
 * Withdrawn (reason `retired`) with its queue dropped and its push token forgotten, and its
 * identity is released, so the same hardware can enroll again with a new profile while its old
 * identity is refused. Idempotent: retiring a withdrawn device releases what is left.
 */
export async function retireDevice(app: App, tenantId: string, deviceId: string): Promise<void> {
  const device = await getDevice(app, tenantId, deviceId);
  await withdrawDevice(app, device, 'retired');
  if (device.platform !== 'android') await releaseAppleIdentity(app, device);
}

export async function deviceCommands(app: App, tenantId: string, deviceId: string, cursor?: string, limit = 50) {
  await getDevice(app, tenantId, deviceId);
  const live = await app.stores.commands.liveQueue(tenantId, deviceId);
  const history = await app.stores.logs.query(tenantId, { deviceId, type: 'command' }, cursor, limit);
  return {
    queue: live.map((c) => ({
      id: c.id,
      type: c.requestType,
      adminType: c.adminType,
      status: c.status,
      createdAt: c.createdAt,
      updatedAt: c.updatedAt,
    })),
    history: history.items.map(({ tenantId: _t, ...rest }) => rest),
    cursor: history.cursor,
  };
}
