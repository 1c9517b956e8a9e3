// The operation of one device's admin command that expands into several device commands (Sync,
// SelectiveWipe): the id an admin follows at GET /admin/v1/commands/{id} (docs/api.md §Following
// a command). It is stored beside the bulk operations; the commands it produces carry its id, in
// the queue while live and in the command log once finished.
import type { BulkCommandType, CommandError, CommandStatus, Device } from '../domain/types';
import { timeOrderedId } from '../ids';
import { pages } from '../paging';
import type { BulkOperation } from '../ports';
import type { App } from './container';

export const DEVICE_OPERATION_PREFIX = 'op_';

/** Command log entries read at most to find an operation's finished commands (newest first, since it began). */
const HISTORY_SCAN_LIMIT = 1000;

export interface OperationCommand {
  id: string;
  requestType: string;
  status: CommandStatus;
  createdAt: string;
  /** When it finished (Acknowledged or Error). */
  finishedAt?: string;
  errors?: CommandError[];
}

export interface DeviceOperationProgress {
  id: string;
  type: string;
  deviceId: string;
  /** running while one of its commands is queued (or, for a Sync, its cycle is not over); then done. */
  status: 'running' | 'done';
  target: 'deviceIds';
  targeted: 1;
  queued: 1;
  refused: 0;
  refusals: [];
  createdAt: string;
  commands: OperationCommand[];
}

/** Records the operation of one device (once: a retried bulk step finds it) and returns its id. */
export async function startDeviceOperation(
  app: App,
  device: Device,
  type: BulkCommandType,
  id = `${DEVICE_OPERATION_PREFIX}${timeOrderedId(app.clock.now())}`,
): Promise<string> {
  if (await app.stores.bulk.get(device.tenantId, id)) return id;
  await app.stores.bulk.create(device.tenantId, {
    id,
    type,
    deviceId: device.id,
    createdAt: app.clock.now().toISOString(),
    target: { deviceIds: 1 },
    totalChunks: 1,
  });
  return id;
}

/** The operation's commands with their outcomes, oldest first: the live ones from the queue, the finished ones from the log. */
export async function deviceOperationProgress(
  app: App,
  tenantId: string,
  op: BulkOperation & { deviceId: string },
): Promise<DeviceOperationProgress> {
  const live = (await app.stores.commands.liveQueue(tenantId, op.deviceId)).filter((c) => c.operationId === op.id);
  const commands = new Map<string, OperationCommand>();
  let scanned = 0;
  for await (const page of pages((cursor) =>
    app.stores.logs.query(tenantId, { deviceId: op.deviceId, type: 'command', from: op.createdAt }, cursor, 100),
  )) {
    for (const log of page.items) {
      const data = log.data ?? {};
      if (log.event !== 'command' || data.operationId !== op.id || typeof data.commandId !== 'string') continue;
      commands.set(data.commandId, {
        id: data.commandId,
        requestType: String(data.requestType),
        status: data.status as CommandStatus,
        createdAt: String(data.createdAt ?? log.at),
        finishedAt: log.at,
        ...(Array.isArray(data.errors) ? { errors: data.errors as CommandError[] } : {}),
      });
    }
    scanned += page.items.length;
    if (scanned >= HISTORY_SCAN_LIMIT) break;
  }
  for (const c of live)
    commands.set(c.id, { id: c.id, requestType: c.requestType, status: c.status, createdAt: c.createdAt });
  const device = await app.stores.devices.get(tenantId, op.deviceId);
  const cycleRunning = device?.syncOperationId === op.id && !!device.syncPhase;
  return {
    id: op.id,
    type: op.type,
    deviceId: op.deviceId,
    status: live.length || cycleRunning ? 'running' : 'done',
    target: 'deviceIds',
    targeted: 1,
    queued: 1,
    refused: 0,
    refusals: [],
    createdAt: op.createdAt,
    commands: [...commands.values()].sort((a, b) => a.id.localeCompare(b.id)),
  };
}
