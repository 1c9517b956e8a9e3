// Admin actions on devices: template assignment and remote commands, for one device or many.
import { selectiveWipeActions } from '../domain/sync/plan';
import { conflict, notFound, unprocessable } from '../domain/errors';
import type { AdminCommandType, Command, Device } from '../domain/types';
import type { DeviceFilter } from '../ports';
import type { App } from './app';
import { logEvent } from './audit';
import { getDevice, mutateDevice } from './devices';
import { randomId } from '../ids';
import type { AdminParams, CommandSpec } from './platform';
import { platformFor } from './platforms';
import { enqueueCommands, requestPush, requestSync } from './sync';

export const UNLOCK_TOKEN_SECRET = (deviceId: string) => `unlock-token#${deviceId}`;

export async function assignTemplate(app: App, tenantId: string, deviceId: string, templateId: string | null) {
  if (templateId && !(await app.stores.templates.get(tenantId, templateId))) throw notFound('template');
  await mutateDevice(app, tenantId, deviceId, (d) => (d.templateId === (templateId ?? undefined) ? undefined : {
    device: { ...d, templateId: templateId ?? undefined },
    logs: [{ event: 'template-assigned', message: templateId ? `template ${templateId} assigned` : 'template removed', data: { templateId } }],
  }));
  const device = await requestSync(app, tenantId, deviceId, 'template-assigned', { priority: 'admin' });
  return device ?? getDevice(app, tenantId, deviceId);
}

function requireManaged(device: Device): void {
  if (device.registrationState === 'Withdrawn') throw conflict(`the device is withdrawn (${device.withdrawalReason ?? 'unknown reason'}); it takes no commands`);
  if (device.registrationState !== 'Checked-In') throw conflict('the device has not checked in yet; commands can be sent once it is enrolled');
}

/** The device commands an admin command becomes, or a refusal (422) that says why. */
async function planAdminCommand(app: App, device: Device, type: Exclude<AdminCommandType, 'Sync'>, params: AdminParams): Promise<{ specs: CommandSpec[]; warning?: string }> {
  const adapter = platformFor(device.platform);
  if (type === 'SelectiveWipe') {
    const template = device.templateId ? await app.stores.templates.get(device.tenantId, device.templateId) : undefined;
    const live = await app.stores.commands.liveQueue(device.tenantId, device.id);
    const actions = selectiveWipeActions(device.inventory, device.deliveredProfiles ?? [], template, {
      platform: device.platform, queued: live.flatMap((c) => (c.action ? [c.action as never] : [])),
    });
    return { specs: actions.map((a) => adapter.syncAction(a, device)) };
  }
  const unlockToken = type === 'ClearPasscode' ? await app.stores.secrets.get(device.tenantId, UNLOCK_TOKEN_SECRET(device.id)) : undefined;
  const plan = adapter.adminCommand(type, params, device, { unlockToken, tenantId: device.tenantId });
  if ('refused' in plan) throw unprocessable(plan.refused, { type, platform: device.platform });
  return { specs: plan.commands, warning: plan.warning };
}

export async function sendCommand(app: App, tenantId: string, deviceId: string, type: AdminCommandType, params: AdminParams): Promise<{ commandId: string; warning?: string }> {
  const device = await getDevice(app, tenantId, deviceId);
  requireManaged(device);
  if (type === 'Sync') {
    await requestSync(app, tenantId, deviceId, 'admin', { priority: 'admin' });
    const queued = (await app.stores.commands.liveQueue(tenantId, deviceId)).find((c) => c.origin === 'verify');
    return { commandId: queued?.id ?? '' };
  }
  const { specs, warning } = await planAdminCommand(app, device, type, params);
  const commands: Command[] = await enqueueCommands(app, device, specs, 'admin', { adminType: type });
  if (commands.length) {
    await mutateDevice(app, tenantId, deviceId, (d) => ({
      device: { ...d, pendingCommands: { ...d.pendingCommands, [type]: (d.pendingCommands[type] ?? 0) + commands.length } },
    }));
  }
  // The params may hold a PIN or passcode: the log names the command only.
  await logEvent(app, tenantId, 'command-requested', `${type} requested by an admin`, { deviceId, data: { type, commandIds: commands.map((c) => c.id) } });
  await requestPush(app, [{ tenantId, deviceId, priority: 'admin', reason: `admin:${type}` }]);
  return { commandId: commands[0]?.id ?? '', ...(warning ? { warning } : {}) };
}

export interface BulkInput {
  type: AdminCommandType;
  params?: AdminParams;
  deviceIds?: string[];
  filter?: DeviceFilter;
}

interface Refusal { deviceId: string; code: string; message: string }

/**
 * A command for many devices. Every targeted device either gets the command or a refusal in the
 * answer (and in the bulk operation's record): nothing is dropped silently.
 */
export async function sendBulkCommand(app: App, tenantId: string, input: BulkInput) {
  const operationId = randomId('bulk');
  const commandIds: string[] = [];
  const refused: Refusal[] = [];
  let targeted = 0;
  const one = async (deviceId: string) => {
    targeted += 1;
    try {
      commandIds.push((await sendCommand(app, tenantId, deviceId, input.type, input.params ?? {})).commandId);
    } catch (err) {
      const e = err as { code?: string; message?: string; status?: number };
      if (!e.status) throw err;
      refused.push({ deviceId, code: e.code ?? 'refused', message: e.message ?? 'refused' });
    }
  };
  if (input.deviceIds) {
    for (const id of new Set(input.deviceIds)) await one(id);
  } else {
    let cursor: string | undefined;
    do {
      const page = await app.stores.devices.list(tenantId, input.filter ?? {}, cursor, 200);
      for (const d of page.items) await one(d.id);
      cursor = page.cursor;
    } while (cursor);
  }
  const record = {
    id: operationId, type: input.type, status: 'done' as const, targeted, queued: commandIds.length, refused: refused.length,
    refusals: refused.slice(0, 1000), createdAt: app.clock.now().toISOString(), finishedAt: app.clock.now().toISOString(),
  };
  await app.stores.bulk.put(tenantId, record);
  await logEvent(app, tenantId, 'bulk-command', `${input.type} sent to ${commandIds.length} of ${targeted} devices (${refused.length} refused)`, { data: { operationId } });
  return { accepted: commandIds.length, commandIds, refused, operationId };
}

export async function getBulkOperation(app: App, tenantId: string, id: string) {
  return app.stores.bulk.get(tenantId, id);
}

export async function deviceCommands(app: App, tenantId: string, deviceId: string, cursor?: string, limit = 50) {
  await getDevice(app, tenantId, deviceId);
  const live = await app.stores.commands.liveQueue(tenantId, deviceId);
  const history = await app.stores.logs.query(tenantId, { deviceId, type: 'command' }, cursor, limit);
  return {
    queue: live.map((c) => ({ id: c.id, type: c.requestType, adminType: c.adminType, status: c.status, createdAt: c.createdAt, updatedAt: c.updatedAt })),
    history: history.items.map(({ tenantId: _t, ...rest }) => rest),
    cursor: history.cursor,
  };
}

