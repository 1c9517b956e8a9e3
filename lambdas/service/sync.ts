// The sync engine (docs/sync.md): requests, the device session's progress through
// inventory → applying → verifying, and the commands in between. Platform-neutral: Apple and
// Android differ only in their PlatformAdapter.
import { explainError } from '../domain/error-explanations';
import { ConcurrentUpdateError } from '../domain/errors';
import { commandCompleted } from '../domain/events';
import { boundErrors, recordWithinLimits } from '../domain/limits';
import { planSync, type SyncPlan } from '../domain/sync/plan';
import type { SyncRequester } from '../domain/sync/state-machine';
import type { Command, CommandError, Device, PushPriority, Template } from '../domain/types';
import { timeOrderedId } from '../ids';
import type { CommandSpec, InventoryUpdate } from '../ports/platform';
import { clearAlarm, logEvent, raiseAlarm } from './audit';
import { enqueueCommands, PRIORITY } from './command-queue';
import type { App } from './container';
import { type DeviceChange, mutateDevice, syncChange } from './devices';
import { emitEvents } from './events';
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
  const live = await app.stores.commands.liveQueue(tenantId, deviceId);
  const device = await mutateDevice(app, tenantId, deviceId, (d) => {
    if (d.registrationState !== 'Checked-In') return undefined;
    const change = syncChange(d, { type: 'sync-requested', by }, at);
    change.device.syncPhase = 'inventory';
    if (opts.operationId) change.device.syncOperationId = opts.operationId;
    else delete change.device.syncOperationId;
    startRead(app, change.device, live);
    return change;
  });
  if (device.registrationState !== 'Checked-In') return undefined;
  if (!device.pendingRead) await queueInventoryRead(app, device, live);
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
 * Starts the inventory read of a phase on the device being written (docs/sync.md §Inventory reads):
 * handed out from the adapter's query list, nothing stored, unless the cycle belongs to an admin
 * operation (whose commands are listed one by one, so they are queued) or a stored read is already
 * queued. Returns whether the read is handed out that way.
 */
function startRead(app: App, device: Device, live: Command[]): boolean {
  if (device.syncOperationId || live.some((c) => c.origin === 'verify')) {
    delete device.pendingRead;
    return false;
  }
  device.pendingRead = { id: timeOrderedId(app.clock.now()), starts: 0 };
  return true;
}

/**
 * The end of a phase's read, on the device being written: the plan against the template decides.
 * A read with nothing left to do is itself the confirmation; after applying, the read-back is.
 * Undefined when another session already moved the phase on.
 */
function concludeRead(
  d: Device,
  input: { phase: Device['syncPhase']; template: Template | undefined; live: Command[]; at: string },
): { change: DeviceChange; plan: SyncPlan } | undefined {
  const { phase, template, live, at } = input;
  if (!phase || d.syncPhase !== phase || d.pendingRead) return undefined;
  const plan = planSync({
    template,
    inventory: d.inventory,
    platform: d.platform,
    delivered: d.deliveredProfiles ?? [],
    queued: live.flatMap((c) => (c.action ? [c.action as never] : [])),
  });
  const matches = plan.actions.length === 0;
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
  return { change, plan };
}

/** What follows a concluded read once written: the prohibited-app alarm, and the plan's commands. */
async function afterRead(app: App, before: Device, updated: Device, plan: SyncPlan | undefined): Promise<void> {
  if (!plan) return;
  if (plan.prohibitedFound.join('\n') !== before.prohibitedApps.join('\n'))
    await reportProhibited(app, before, plan.prohibitedFound);
  if (before.syncPhase === 'inventory' && updated.syncPhase === 'applying') {
    const adapter = platformFor(updated.platform);
    await enqueueCommands(
      app,
      updated,
      plan.actions.map((a) => adapter.syncAction(a, updated)),
      'sync',
      { operationId: updated.syncOperationId },
    );
  }
}

/**
 * Moves the sync forward after the device finished a command (or checked in with inventory):
 * once no sync work is left in its queue, the phase ends — the inventory read leads to a plan,
 * the applied plan leads to a verification read, and a matching read makes it Synchronized.
 * A read handed out from the query list ends with its last answer (recordReadAnswer) instead.
 * Returns the device when this wrote it (the session hands out the read it may have started).
 */
export async function advanceSync(app: App, tenantId: string, deviceId: string): Promise<Device | undefined> {
  const live = await app.stores.commands.liveQueue(tenantId, deviceId);
  if (live.some((c) => c.origin === 'sync' || c.origin === 'verify')) return undefined;
  const device = await app.stores.devices.get(tenantId, deviceId);
  if (!device?.syncPhase || device.registrationState !== 'Checked-In' || device.pendingRead) return undefined;
  const at = app.clock.now().toISOString();

  if (device.syncPhase === 'applying') {
    const updated = await mutateDevice(app, tenantId, deviceId, (d) => {
      if (d.syncPhase !== 'applying') return undefined;
      const next = { ...d, syncPhase: 'verifying' as const };
      startRead(app, next, live);
      return { device: next };
    });
    if (updated.syncPhase === 'verifying' && !updated.pendingRead) await queueInventoryRead(app, updated, live);
    return updated;
  }

  const template = await templateOf(app, device);
  let plan: SyncPlan | undefined;
  const updated = await mutateDevice(app, tenantId, deviceId, (d) => {
    const concluded = concludeRead(d, { phase: device.syncPhase, template, live, at });
    plan = concluded?.plan;
    return concluded?.change;
  });
  await afterRead(app, device, updated, plan);
  return updated;
}

// ---- Inventory reads handed out from the query list (docs/sync.md §Inventory reads) ----

const READ_ID = /^read-([0-9a-z]+)-(\d{1,3})$/;

/** The command id of query `index` of read `readId`: the device reports it back, nothing is stored. */
export const readCommandId = (readId: string, index: number): string => `read-${readId}-${index}`;

export function parseReadCommandId(commandId: string | undefined): { readId: string; index: number } | undefined {
  const m = commandId ? READ_ID.exec(commandId) : null;
  return m ? { readId: m[1] as string, index: Number(m[2]) } : undefined;
}

async function readQueries(app: App, device: Device): Promise<CommandSpec[]> {
  return platformFor(device.platform).inventoryQueries(device, await templateOf(app, device));
}

/** A query of the pending read as a command to hand out: it is not in the queue. */
function readCommand(device: Device, readId: string, index: number, spec: CommandSpec, at: string): Command {
  return {
    tenantId: device.tenantId,
    deviceId: device.id,
    id: readCommandId(readId, index),
    requestType: spec.requestType,
    origin: 'verify',
    priority: PRIORITY.sync,
    payload: spec.payload,
    needsUnlock: spec.needsUnlock,
    status: 'Sent',
    attempts: device.pendingRead?.starts ?? 1,
    notNowCount: 0,
    createdAt: at,
    updatedAt: at,
    sentAt: at,
  };
}

/**
 * The next query of the device's pending read, after `report`: the first after an Idle or any other
 * report, the next one after the answer to a query of this read. One query leads to the next within
 * a session, so reaching the last answer means every query of the read was answered; a session cut
 * short starts the read again at its next Idle (queries only read, so asking again is harmless).
 */
export async function nextReadQuery(
  app: App,
  device: Device,
  report: { status: string; commandId?: string },
): Promise<{ command: Command; payload: Record<string, unknown> } | undefined> {
  const read = device.pendingRead;
  if (!read || device.registrationState !== 'Checked-In') return undefined;
  const answered = parseReadCommandId(report.commandId);
  const index = answered && answered.readId === read.id && report.status !== 'Idle' ? answered.index + 1 : 0;
  const spec = (await readQueries(app, device))[index];
  if (!spec) return undefined;
  const command = readCommand(device, read.id, index, spec, app.clock.now().toISOString());
  return { command, payload: command.payload };
}

/**
 * Counts a device session that starts the pending read (at its Idle), on the device being written.
 * A session that ended with a NotNow does not count: the read waits for an unlock there, it is not lost.
 */
export function countReadStart(device: Device): void {
  if (device.pendingRead && !device.lastNotNowAt)
    device.pendingRead = { ...device.pendingRead, starts: device.pendingRead.starts + 1 };
}

/** The command log line of a query of a read, written only when it failed (a routine read logs nothing). */
async function logReadError(app: App, device: Device, command: Command, errors: CommandError[]): Promise<void> {
  const first = errors[0];
  await logEvent(
    app,
    device.tenantId,
    'command',
    `${command.requestType} failed${first ? `: ${first.domain} ${first.code} ${first.message}` : ''}`,
    {
      type: 'command',
      severity: 'minor',
      deviceId: device.id,
      data: {
        commandId: command.id,
        requestType: command.requestType,
        origin: command.origin,
        status: 'Error',
        createdAt: command.createdAt,
        sentAt: command.sentAt,
        attempts: command.attempts,
        notNowCount: command.notNowCount,
        errors,
      },
    },
  );
}

/** Tells subscribers a query finished, as for any command (docs/api.md §Events). */
async function emitReadCompleted(app: App, device: Device, command: Command, errors?: CommandError[]): Promise<void> {
  const first = errors?.[0];
  const explanation = first && explainError(first.domain, first.code);
  await emitEvents(app, device.tenantId, [
    commandCompleted(device, {
      commandId: command.id,
      requestType: command.requestType,
      status: first ? 'Error' : 'Acknowledged',
      ...(first ? { error: { code: first.code, domain: first.domain, message: first.message } } : {}),
      ...(explanation ? { explanation } : {}),
    }),
  ]);
}

/**
 * No stuck read: a pending read started in `maxCommandAttempts` sessions without its last answer
 * ends as Error `no-result` (logged), and the phase concludes on the inventory known so far, as a
 * stored query that never got a result does.
 */
export async function expireReadIfStuck(app: App, device: Device): Promise<Device> {
  const read = device.pendingRead;
  if (!read || read.starts <= app.config.maxCommandAttempts) return device;
  const at = app.clock.now().toISOString();
  const updated = await mutateDevice(app, device.tenantId, device.id, (d) => {
    if (d.pendingRead?.id !== read.id) return undefined;
    const next = { ...d };
    delete next.pendingRead;
    return { device: next };
  });
  if (updated.pendingRead) return updated;
  const command = readCommand(
    device,
    read.id,
    0,
    { requestType: 'inventory read', payload: {}, needsUnlock: false },
    at,
  );
  const errors = [
    {
      code: 'no-result',
      domain: 'MDMServer',
      message: `inventory read started ${read.starts - 1} times without a result`,
    },
  ];
  await logReadError(app, updated, command, errors);
  return (await advanceSync(app, device.tenantId, device.id)) ?? updated;
}

/** True when `next` differs from `before` in more than the last-seen time and the read time. */
function changesMoreThanLastSeen(before: Device, next: Device): boolean {
  const comparable = (d: Device) => {
    const { lastSeenAt: _seen, updatedAt: _updated, inventory, ...rest } = d;
    const { readAt: _readAt, ...content } = inventory ?? {};
    return JSON.stringify({ ...rest, content: inventory ? content : undefined });
  };
  return comparable(before) !== comparable(next);
}

/**
 * Records the answer to a query of a read handed out from the query list. Idempotent: an answer to a
 * read that is no longer pending only counts as the device answering. A query whose answer changes
 * nothing stored writes nothing, except the last one of the read: its single device write records
 * the answer, the merged inventory (stored again only if it changed) and the end of the phase.
 */
export async function recordReadAnswer(
  app: App,
  device: Device,
  report: { status: string; commandId?: string; result?: Record<string, unknown>; errors?: CommandError[] },
  read: { readId: string; index: number },
): Promise<Device> {
  const at = app.clock.now().toISOString();
  const queries = await readQueries(app, device);
  const spec = queries[read.index];
  const current = device.pendingRead?.id === read.readId && spec !== undefined;
  if (!current || !spec) return deviceAnswered(app, device.tenantId, device.id, false);
  const command = readCommand(device, read.readId, read.index, spec, at);

  if (report.status === 'NotNow') {
    const updated = await deviceAnswered(app, device.tenantId, device.id, false, (d) => {
      d.lastNotNowAt = at;
    });
    await logEvent(
      app,
      device.tenantId,
      'not-now',
      `${spec.requestType} postponed by the device (locked or busy); it runs when the device is unlocked`,
      { deviceId: device.id, data: { commandId: command.id, requestType: spec.requestType, locked: true } },
    );
    return updated;
  }

  const acknowledged = report.status === 'Acknowledged';
  const adapter = platformFor(device.platform);
  const update = acknowledged && report.result ? adapter.readResult(spec.requestType, report.result) : undefined;
  const last = read.index === queries.length - 1;
  const live = last ? await app.stores.commands.liveQueue(device.tenantId, device.id) : [];
  const template = last ? await templateOf(app, device) : undefined;
  let plan: SyncPlan | undefined;
  const write = (inventory: InventoryUpdate | undefined) =>
    mutateDevice(app, device.tenantId, device.id, (d) => {
      const answered = syncChange(d, { type: 'device-answered', unlocked: acknowledged && spec.needsUnlock }, at);
      const next = inventory ? mergeInventory(answered.device, inventory, at) : answered.device;
      if (!last || d.pendingRead?.id !== read.readId) {
        plan = undefined;
        return changesMoreThanLastSeen(d, next) ? { device: next, logs: answered.logs } : undefined;
      }
      delete next.pendingRead;
      const concluded = concludeRead(next, { phase: d.syncPhase, template, live, at });
      plan = concluded?.plan;
      if (!concluded) return { device: next, logs: answered.logs };
      return { device: concluded.change.device, logs: [...(answered.logs ?? []), ...(concluded.change.logs ?? [])] };
    });
  // As for a stored command: a result too large to store ends its query as Error.
  const { recorded: updated, refused, refusal } = await recordWithinLimits(write, update);
  const errors = refusal ? [refusal] : acknowledged ? [] : (boundErrors(report.errors) ?? []);
  if (!acknowledged || refused) {
    const failure = errors.length ? errors : [{ code: 'error', domain: 'MDMServer', message: 'the query failed' }];
    await logReadError(app, updated, command, failure);
    await emitReadCompleted(app, updated, command, failure);
  } else await emitReadCompleted(app, updated, command);
  await afterRead(app, device, updated, plan);
  if (refused) throw refused;
  return updated;
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
