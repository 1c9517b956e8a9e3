// Bulk commands: one command for many devices (explicit ids or a filter over the fleet), and the
// server's own sync fan-outs (a template change, the daily resync), which run the same way. The
// request or job only records the operation and queues its first steps; the bulk worker fans out
// in steps, each retried alone by the queue:
//   list    one page of the filter's devices → their chunks queued, then the next page
//   devices one chunk of device ids → the command sent to each, or a refusal recorded
// Every step is idempotent: a device's command id is derived from the operation and the device,
// so a retried chunk queues nothing twice, and a chunk's result is recorded once.
import { createHash } from 'node:crypto';
import { bulkCompleted } from '../domain/events';
import type { SyncRequester } from '../domain/sync/state-machine';
import {
  type AdminCommandType,
  type BulkCommandType,
  EXPANDING_COMMAND_TYPES,
  type PushRequest,
} from '../domain/types';
import { timeOrderedId } from '../ids';
import type { BulkChunkResult, BulkOperation, BulkRefusal, BulkWork, DeviceFilter } from '../ports';
import type { AdminParams } from '../ports/platform';
import { logEvent } from './audit';
import type { App } from './container';
import { retireDevice, sendCommand } from './device-admin';
import { DEVICE_OPERATION_PREFIX, type DeviceOperationProgress, deviceOperationProgress } from './device-operations';
import { emitEvents } from './events';
import { requestPush } from './push-requests';
import { requestSync } from './sync';

/** Devices per `devices` step: small enough for one Lambda invocation, big enough to be cheap. */
export const BULK_CHUNK_SIZE = 100;
/** Devices listed per `list` step. */
export const BULK_LIST_PAGE = 500;
/** Refusals shown in a progress answer; every refusal is also in the device's log. */
export const REFUSALS_SHOWN = 1000;

const OPERATION_PREFIX = 'bulk_';

export interface BulkInput {
  type: BulkCommandType;
  params?: AdminParams;
  deviceIds?: string[];
  filter?: DeviceFilter;
}

export interface BulkAccepted {
  /** Devices accepted: the distinct ids given, or 0 for a filter (the fan-out counts them as it lists). */
  accepted: number;
  /** The command id each given device gets, in the order given (none for a filter, nor for Sync, SelectiveWipe, Retire). */
  commandIds: string[];
  /** Sync and SelectiveWipe by ids: the operation each given device gets, in the order given. */
  operationIds?: string[];
  operationId: string;
}

export interface BulkProgress {
  id: string;
  type: string;
  status: 'running' | 'done';
  target: 'deviceIds' | 'filter';
  targeted: number;
  queued: number;
  refused: number;
  refusals: BulkRefusal[];
  createdAt: string;
  finishedAt?: string;
}

const paramsContext = (tenantId: string, operationId: string) => `${tenantId}/bulk/${operationId}`;

/** The command id a bulk operation gives a device: time-ordered like any command id, and the same on every retry. */
export function bulkCommandId(operationId: string, deviceId: string): string {
  return `${operationId.slice(OPERATION_PREFIX.length)}${createHash('sha256').update(deviceId).digest('hex').slice(0, 8)}`;
}

function chunksOf<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A bulk Sync's or SelectiveWipe's operation for one device, the same on every retry (GET /admin/v1/commands/{it}). */
export function bulkDeviceOperationId(operationId: string, deviceId: string): string {
  return `${DEVICE_OPERATION_PREFIX}${bulkCommandId(operationId, deviceId)}`;
}

const expands = (type: BulkCommandType) => (EXPANDING_COMMAND_TYPES as readonly string[]).includes(type);

/** Records the operation, queues its first steps and answers at once (202). */
export async function startBulkCommand(app: App, tenantId: string, input: BulkInput): Promise<BulkAccepted> {
  const now = app.clock.now();
  const operationId = `${OPERATION_PREFIX}${timeOrderedId(now)}`;
  const params = input.params ?? {};
  // The params may hold a PIN: sealed while the fan-out runs, erased when it is done.
  const sealedParams = Object.keys(params).length
    ? await app.box.seal(JSON.stringify(params), paramsContext(tenantId, operationId))
    : undefined;
  const base = {
    id: operationId,
    type: input.type,
    createdAt: now.toISOString(),
    ...(sealedParams ? { sealedParams } : {}),
  };

  if (input.deviceIds) {
    const deviceIds = [...new Set(input.deviceIds)];
    const chunks = chunksOf(deviceIds, BULK_CHUNK_SIZE);
    await app.stores.bulk.create(tenantId, {
      ...base,
      target: { deviceIds: deviceIds.length },
      totalChunks: chunks.length,
    });
    await app.bulkQueue.send(
      chunks.map((ids, chunk): BulkWork => ({ kind: 'devices', tenantId, operationId, chunk, deviceIds: ids })),
    );
    await logEvent(app, tenantId, 'bulk-command', `${input.type} accepted for ${deviceIds.length} devices`, {
      data: { operationId },
    });
    const perDevice = (id: (op: string, device: string) => string) => deviceIds.map((d) => id(operationId, d));
    if (expands(input.type))
      return {
        accepted: deviceIds.length,
        commandIds: [],
        operationIds: perDevice(bulkDeviceOperationId),
        operationId,
      };
    // Retire queues no command: the operation's progress is what there is to follow.
    const commandIds = input.type === 'Retire' ? [] : perDevice(bulkCommandId);
    return { accepted: deviceIds.length, commandIds, operationId };
  }
  await startListing(app, tenantId, { ...base, target: { filter: input.filter ?? {} } }, `${input.type} accepted`);
  return { accepted: 0, commandIds: [], operationId };
}

/**
 * Re-syncs every device matching the filter (a template change, the daily resync) through the
 * same fan-out, so that no request or job walks a whole fleet itself. Returns the operation id.
 */
export async function startSyncFanout(
  app: App,
  tenantId: string,
  filter: DeviceFilter,
  by: SyncRequester,
): Promise<string> {
  const now = app.clock.now();
  const operationId = `${OPERATION_PREFIX}${timeOrderedId(now)}`;
  await startListing(
    app,
    tenantId,
    { id: operationId, type: 'Sync', requester: by, createdAt: now.toISOString(), target: { filter } },
    `${by} sync started`,
  );
  return operationId;
}

async function startListing(app: App, tenantId: string, op: BulkOperation, what: string): Promise<void> {
  await app.stores.bulk.create(tenantId, op);
  await app.bulkQueue.send([{ kind: 'list', tenantId, operationId: op.id, page: 0, chunksBefore: 0 }]);
  const filter = 'filter' in op.target ? op.target.filter : {};
  await logEvent(app, tenantId, 'bulk-command', `${what} for the devices matching ${JSON.stringify(filter)}`, {
    data: { operationId: op.id },
  });
}

/** One fan-out step (the bulk worker's unit of work). */
export async function runBulkWork(app: App, work: BulkWork): Promise<void> {
  const op = await app.stores.bulk.get(work.tenantId, work.operationId);
  if (!op || op.finishedAt) return;
  if (work.kind === 'list') await listPage(app, op, work);
  else await commandChunk(app, op, work);
}

async function listPage(app: App, op: BulkOperation, work: Extract<BulkWork, { kind: 'list' }>): Promise<void> {
  if (!('filter' in op.target)) return;
  const page = await app.stores.devices.list(work.tenantId, op.target.filter, work.cursor, BULK_LIST_PAGE);
  const chunks = chunksOf(
    page.items.map((d) => d.id),
    BULK_CHUNK_SIZE,
  );
  // Chunks are numbered across pages, so a retried page queues the same chunks again (recorded once).
  await app.bulkQueue.send(
    chunks.map(
      (deviceIds, n): BulkWork => ({
        kind: 'devices',
        tenantId: work.tenantId,
        operationId: op.id,
        chunk: work.chunksBefore + n,
        deviceIds,
      }),
    ),
  );
  const chunksSoFar = work.chunksBefore + chunks.length;
  const updated = await app.stores.bulk.recordListedPage(
    work.tenantId,
    op.id,
    work.page,
    page.items.length,
    page.cursor ? undefined : chunksSoFar,
  );
  if (page.cursor) {
    await app.bulkQueue.send([{ ...work, page: work.page + 1, chunksBefore: chunksSoFar, cursor: page.cursor }]);
  } else {
    await finishIfComplete(app, work.tenantId, updated);
  }
}

async function commandChunk(app: App, op: BulkOperation, work: Extract<BulkWork, { kind: 'devices' }>): Promise<void> {
  if (await app.stores.bulk.hasChunk(work.tenantId, op.id, work.chunk)) return;
  const { queued, refusals } = op.requester
    ? { queued: await syncDevices(app, work.tenantId, op.requester as SyncRequester, work.deviceIds), refusals: [] }
    : await commandDevices(app, op, work);
  const result: BulkChunkResult = {
    chunk: work.chunk,
    targeted: work.deviceIds.length,
    queued,
    refusals,
    finishedAt: app.clock.now().toISOString(),
  };
  const { op: updated } = await app.stores.bulk.recordChunk(work.tenantId, op.id, result);
  if (updated) await finishIfComplete(app, work.tenantId, updated);
}

/** A sync fan-out's chunk: each device marked Sync-Required with its inventory read queued, one push batch. */
async function syncDevices(app: App, tenantId: string, by: SyncRequester, deviceIds: string[]): Promise<number> {
  const pushes: Array<Omit<PushRequest, 'requestedAt'>> = [];
  for (const deviceId of deviceIds) {
    const device = await app.stores.devices.get(tenantId, deviceId);
    // Gone since the listing, or a dead push token the daily resync cannot wake (the device's next contact will).
    if (!device || (by === 'resync' && device.push?.dead)) continue;
    if (await requestSync(app, tenantId, deviceId, by, { push: false }))
      pushes.push({ tenantId, deviceId, priority: 'bulk', reason: by });
  }
  await requestPush(app, pushes);
  return pushes.length;
}

async function commandDevices(
  app: App,
  op: BulkOperation,
  work: Extract<BulkWork, { kind: 'devices' }>,
): Promise<{ queued: number; refusals: BulkRefusal[] }> {
  const params: AdminParams = op.sealedParams
    ? JSON.parse(await app.box.open(op.sealedParams, paramsContext(work.tenantId, op.id)))
    : {};
  const type = op.type as BulkCommandType;
  const refusals: BulkRefusal[] = [];
  let queued = 0;
  for (const deviceId of work.deviceIds) {
    try {
      if (type === 'Retire') await retireDevice(app, work.tenantId, deviceId);
      else
        await sendCommand(app, work.tenantId, deviceId, type as AdminCommandType, params, {
          priority: 'bulk',
          commandId: bulkCommandId(op.id, deviceId),
          operationId: bulkDeviceOperationId(op.id, deviceId),
          via: `by bulk operation ${op.id}`,
        });
      queued += 1;
    } catch (err) {
      // A domain refusal (withdrawn, unsupported, unknown device) is reported; anything else fails the step for a retry.
      const refusal = err as { status?: number; code?: string; message?: string };
      if (!refusal.status) throw err;
      refusals.push({ deviceId, code: refusal.code ?? 'refused', message: refusal.message ?? 'refused' });
      await logEvent(
        app,
        work.tenantId,
        'command-refused',
        `${type} (bulk operation ${op.id}) refused: ${refusal.message ?? refusal.code}`,
        {
          deviceId,
          severity: 'warning',
          type: 'command',
          data: { operationId: op.id, code: refusal.code },
        },
      );
    }
  }
  return { queued, refusals };
}

/** The last step to finish (or a progress read that sees every chunk) closes the operation. */
async function finishIfComplete(
  app: App,
  tenantId: string,
  op: BulkOperation,
  chunks?: BulkChunkResult[],
): Promise<boolean> {
  if (op.finishedAt || op.totalChunks === undefined) return !!op.finishedAt;
  const done = chunks ? chunks.length : (op.chunksDone ?? 0);
  if (done < op.totalChunks) return false;
  const finishedAt = app.clock.now().toISOString();
  if (await app.stores.bulk.finish(tenantId, op.id, finishedAt)) {
    const progress = summarize(op, chunks ?? (await app.stores.bulk.chunks(tenantId, op.id)), finishedAt);
    await logEvent(
      app,
      tenantId,
      'bulk-command',
      `${op.type} sent to ${progress.queued} of ${progress.targeted} devices (${progress.refused} refused)`,
      {
        data: { operationId: op.id, targeted: progress.targeted, queued: progress.queued, refused: progress.refused },
      },
    );
    await emitEvents(app, tenantId, [
      bulkCompleted({
        operationId: op.id,
        type: op.type,
        requester: op.requester,
        targeted: progress.targeted,
        queued: progress.queued,
        refused: progress.refused,
      }),
    ]);
  }
  return true;
}

function summarize(op: BulkOperation, chunks: BulkChunkResult[], finishedAt?: string): BulkProgress {
  const targeted =
    'deviceIds' in op.target ? op.target.deviceIds : Object.values(op.listedPages ?? {}).reduce((a, n) => a + n, 0);
  const refusals = chunks.flatMap((c) => c.refusals);
  return {
    id: op.id,
    type: op.type,
    status: finishedAt ? 'done' : 'running',
    target: 'deviceIds' in op.target ? 'deviceIds' : 'filter',
    targeted,
    queued: chunks.reduce((a, c) => a + c.queued, 0),
    refused: refusals.length,
    refusals: refusals.slice(0, REFUSALS_SHOWN),
    createdAt: op.createdAt,
    ...(finishedAt ? { finishedAt } : {}),
  };
}

/**
 * Progress of a bulk operation, summed from its chunk results (exact, whatever the counters say);
 * for the operation of one device (a Sync or SelectiveWipe), its commands and their outcomes.
 */
export async function getBulkProgress(
  app: App,
  tenantId: string,
  id: string,
): Promise<BulkProgress | DeviceOperationProgress | undefined> {
  const op = await app.stores.bulk.get(tenantId, id);
  if (!op) return undefined;
  if (op.deviceId) return deviceOperationProgress(app, tenantId, { ...op, deviceId: op.deviceId });
  const chunks = await app.stores.bulk.chunks(tenantId, id);
  if (!op.finishedAt && (await finishIfComplete(app, tenantId, op, chunks))) {
    return summarize(op, chunks, (await app.stores.bulk.get(tenantId, id))?.finishedAt);
  }
  return summarize(op, chunks, op.finishedAt);
}
