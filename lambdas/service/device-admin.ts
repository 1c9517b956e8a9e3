// Admin actions on one device: template assignment and remote commands (many devices: bulk-commands.ts).

import { conflict, notFound, unprocessable } from '../domain/errors';
import { selectiveWipeActions } from '../domain/sync/plan';
import type { AdminCommandType, Command, Device, PushPriority } from '../domain/types';
import type { AdminParams, CommandSpec } from '../ports/platform';
import { logEvent } from './audit';
import { enqueueCommands } from './command-queue';
import type { App } from './container';
import { getDevice, mutateDevice } from './devices';
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
  type: Exclude<AdminCommandType, 'Sync'>,
  params: AdminParams,
): Promise<{ specs: CommandSpec[]; warning?: string }> {
  const adapter = platformFor(device.platform);
  if (type === 'SelectiveWipe') {
    const template = device.templateId ? await app.stores.templates.get(device.tenantId, device.templateId) : undefined;
    const live = await app.stores.commands.liveQueue(device.tenantId, device.id);
    const actions = selectiveWipeActions(device.inventory, device.deliveredProfiles ?? [], template, {
      platform: device.platform,
      queued: live.flatMap((c) => (c.action ? [c.action as never] : [])),
    });
    return { specs: actions.map((a) => adapter.syncAction(a, device)) };
  }
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
  /** Who asked, for the log: an admin, or a bulk operation. */
  via?: string;
}

export async function sendCommand(
  app: App,
  tenantId: string,
  deviceId: string,
  type: AdminCommandType,
  params: AdminParams,
  opts: SendOptions = {},
): Promise<{ commandId: string; warning?: string }> {
  const priority = opts.priority ?? 'admin';
  const device = await getDevice(app, tenantId, deviceId);
  requireManaged(device);
  if (type === 'Sync') {
    await requestSync(app, tenantId, deviceId, 'admin', { priority });
    const queued = (await app.stores.commands.liveQueue(tenantId, deviceId)).find((c) => c.origin === 'verify');
    return { commandId: queued?.id ?? '' };
  }
  const { specs, warning } = await planAdminCommand(app, device, type, params);
  const commands: Command[] = await enqueueCommands(app, device, specs, 'admin', {
    adminType: type,
    idBase: opts.commandId,
  });
  if (commands.length) {
    await mutateDevice(app, tenantId, deviceId, (d) => ({
      device: {
        ...d,
        pendingCommands: { ...d.pendingCommands, [type]: (d.pendingCommands[type] ?? 0) + commands.length },
      },
    }));
  }
  // Logged once: a retried bulk step finds its commands already queued and logs nothing more.
  // The params may hold a PIN or passcode: the log names the command only.
  if (commands.length || !opts.commandId) {
    await logEvent(app, tenantId, 'command-requested', `${type} requested ${opts.via ?? 'by an admin'}`, {
      deviceId,
      data: { type, commandIds: commands.map((c) => c.id) },
    });
  }
  await requestPush(app, [{ tenantId, deviceId, priority, reason: `admin:${type}` }]);
  return { commandId: opts.commandId ?? commands[0]?.id ?? '', ...(warning ? { warning } : {}) };
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
