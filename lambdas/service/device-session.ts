// The device session (docs/architecture.md §The device session): what one device request loads
// once (tenant, device, live queue), which command it hands out next, what a reported status
// does, and the one conditional device write it ends with. Shared by the Apple connect endpoint
// and the Android agent.

import { explainError } from '../domain/error-explanations';
import { ConcurrentUpdateError, notFound } from '../domain/errors';
import { commandCompleted } from '../domain/events';
import { seenOnlyChange, withAccess } from '../domain/last-seen';
import { boundErrors, recordWithinLimits } from '../domain/limits';
import { deliveredAfter } from '../domain/sync/plan';
import type { Command, CommandError, Device, Tenant } from '../domain/types';
import type { InventoryUpdate } from '../ports/platform';
import { logEvent } from './audit';
import { commandSecretContext } from './command-queue';
import type { App } from './container';
import { type DeviceChange, MAX_ATTEMPTS, pauseBeforeRetry, syncChange, writeDeviceChange } from './devices';
import type * as Enrollment from './enrollment';
import { emitEvents } from './events';
import { platformFor } from './platform-adapters';
import { requestPush } from './push-requests';
import {
  advanceSync,
  countReadStart,
  expireReadIfStuck,
  mergeInventory,
  nextReadQuery,
  parseReadCommandId,
  recordReadAnswer,
} from './sync';

/** How long after a NotNow session a device that was served more commands is pushed again. */
export const NOT_NOW_RETRY_SECONDS = 900;

export type ReportStatus = 'Idle' | 'Acknowledged' | 'Error' | 'CommandFormatError' | 'NotNow';

export interface CommandReport {
  status: ReportStatus;
  commandId?: string;
  result?: Record<string, unknown>;
  errors?: CommandError[];
  /** The device says whether it is unlocked (Android reports its lock state); else inferred from the command. */
  unlocked?: boolean;
}

export interface HandedOut {
  command: Command;
  /** The payload with its sealed secrets opened, to send now and never store. */
  payload: Record<string, unknown>;
}

function finishedStatus(status: ReportStatus): 'Acknowledged' | 'Error' | undefined {
  if (status === 'Acknowledged') return 'Acknowledged';
  if (status === 'Error' || status === 'CommandFormatError') return 'Error';
  return undefined;
}

/** Logs a finished command (its history lives in the command log) and drops it from the queue. */
async function finishCommand(
  app: App,
  device: Device,
  command: Command,
  status: 'Acknowledged' | 'Error',
  errors?: CommandError[],
  note?: string,
): Promise<void> {
  const first = errors?.[0];
  await logEvent(
    app,
    device.tenantId,
    'command',
    `${command.requestType} ${status === 'Acknowledged' ? 'acknowledged' : `failed${first ? `: ${first.domain} ${first.code} ${first.message}` : ''}`}${note ? ` (${note})` : ''}`,
    {
      type: 'command',
      severity: status === 'Error' ? 'minor' : 'info',
      deviceId: device.id,
      data: {
        commandId: command.id,
        requestType: command.requestType,
        adminType: command.adminType,
        origin: command.origin,
        ...(command.operationId ? { operationId: command.operationId } : {}),
        status,
        createdAt: command.createdAt,
        sentAt: command.sentAt,
        attempts: command.attempts,
        notNowCount: command.notNowCount,
        ...(errors?.length ? { errors } : {}),
        ...(command.action ? { action: command.action } : {}),
      },
    },
  );
  await app.stores.commands.remove(device.tenantId, device.id, command.id);
  const explanation = first && explainError(first.domain, first.code);
  await emitEvents(app, device.tenantId, [
    commandCompleted(device, {
      commandId: command.id,
      requestType: command.requestType,
      adminType: command.adminType,
      status,
      ...(first ? { error: { code: first.code, domain: first.domain, message: first.message } } : {}),
      ...(explanation ? { explanation } : {}),
    }),
  ]);
}

/**
 * What one device request works on, loaded once at its start: the tenant (from the container's
 * cache), the device and its live queue (one Query: they share a partition). It is passed along
 * instead of read again by id; the request ends with at most one conditional write of the device.
 */
export interface DeviceSession {
  tenant: Tenant;
  device: Device;
  /** The live queue (Queued, Sent, NotNow) in queue order, as this session last knew it. */
  live: Command[];
}

/** Opens the session of a device request; undefined when the tenant has no such device. */
export async function openSession(app: App, tenant: Tenant, deviceId: string): Promise<DeviceSession | undefined> {
  const loaded = await app.stores.devices.getWithQueue(tenant.id, deviceId);
  return loaded && { tenant, ...loaded };
}

async function reopen(app: App, session: DeviceSession): Promise<DeviceSession> {
  const again = await openSession(app, session.tenant, session.device.id);
  if (!again) throw notFound('device');
  return again;
}

/**
 * The one device write of a session: `change` (pure, on the session as loaded; undefined for
 * "nothing to write") is written conditionally on the rev read. A lost race loads the session
 * again and runs `change` on it, a bounded number of times.
 */
export async function changeSessionDevice(
  app: App,
  session: DeviceSession,
  change: (session: DeviceSession) => DeviceChange | undefined,
): Promise<DeviceSession> {
  for (let attempt = 1; ; attempt++) {
    const result = change(session);
    if (!result) return session;
    try {
      return { ...session, device: await writeDeviceChange(app, session.device, result) };
    } catch (err) {
      if (!(err instanceof ConcurrentUpdateError) || attempt >= MAX_ATTEMPTS) throw err;
      await pauseBeforeRetry(attempt);
      session = await reopen(app, session);
    }
  }
}

/**
 * The device answered: the Not-Responding clock is reset and Sync-Requested moves on
 * (docs/sync.md). `extra` adds what else the request changes. Undefined (no write) when only the
 * last-seen times would move and they may wait (domain/last-seen.ts); an idle access that is
 * written joins the device's recent accesses (the timeline's "each access").
 */
export function answeredChange(
  session: DeviceSession,
  unlocked: boolean,
  at: string,
  opts: { idle?: boolean; extra?: (d: Device) => void } = {},
): DeviceChange | undefined {
  const before = session.device;
  const change = syncChange(before, { type: 'device-answered', unlocked }, at);
  opts.extra?.(change.device);
  if (seenOnlyChange(before, change.device, at)) return undefined;
  if (opts.idle) change.device.recentAccesses = withAccess(before.recentAccesses, at);
  return change;
}

/**
 * Records a status report. Idempotent per command id: a report for a command no longer in the
 * queue (already finished) changes nothing. Returns the session as it is after the report.
 */
export async function recordReport(app: App, session: DeviceSession, report: CommandReport): Promise<DeviceSession> {
  const at = app.clock.now().toISOString();
  const { tenantId, id: deviceId } = session.device;
  // An inventory query handed out from the device's pending read: it is not in the queue
  // (docs/sync.md §Inventory reads). Its answer may end the read and queue the next phase.
  const read = report.status === 'Idle' ? undefined : parseReadCommandId(report.commandId);
  if (read) {
    await recordReadAnswer(app, session.device, report, read);
    return reopen(app, session);
  }
  const commandIn = (s: DeviceSession) =>
    report.commandId ? s.live.find((c) => c.id === report.commandId) : undefined;
  const command = commandIn(session);
  const finished = finishedStatus(report.status);
  // Something that only runs unlocked was acknowledged: the device was unlocked (the "security check").
  const unlocked = report.unlocked ?? (!!command && finished === 'Acknowledged' && command.needsUnlock);

  if (report.status === 'Idle') {
    session = await changeSessionDevice(app, session, (s) =>
      answeredChange(s, unlocked, at, {
        // An idle session with nothing queued is kept on the device; one with work is logged below.
        idle: s.live.length === 0,
        extra: (d) => {
          countReadStart(d); // before lastNotNowAt is cleared: it tells why the last try stopped
          delete d.lastNotNowAt; // a new session: try everything again
        },
      }),
    );
    if (session.live.length) {
      // A session with work: one entry for the timeline's "each access".
      await logEvent(app, tenantId, 'device-access', `device connected (${session.live.length} command(s) waiting)`, {
        deviceId,
        data: { queued: session.live.length },
      });
      session = await retryOrExpireLost(app, session);
    }
    if (!session.device.pendingRead) return session;
    const device = await expireReadIfStuck(app, session.device);
    // An expired read concludes its phase, which may queue the next one's commands.
    return device === session.device ? session : reopen(app, session);
  }
  if (!command) {
    return changeSessionDevice(app, session, (s) => answeredChange(s, unlocked, at));
  }

  if (report.status === 'NotNow') {
    session = await changeSessionDevice(app, session, (s) =>
      answeredChange(s, unlocked, at, {
        extra: (d) => {
          d.lastNotNowAt = at;
        },
      }),
    );
    const postponed: Command = { ...command, status: 'NotNow', notNowCount: command.notNowCount + 1, updatedAt: at };
    await app.stores.commands.update(postponed);
    await logEvent(
      app,
      tenantId,
      'not-now',
      `${command.requestType} postponed by the device (locked or busy); it runs when the device is unlocked`,
      { deviceId, data: { commandId: command.id, requestType: command.requestType, locked: true } },
    );
    return { ...session, live: session.live.map((c) => (c.id === command.id ? postponed : c)) };
  }
  if (!finished) return changeSessionDevice(app, session, (s) => answeredChange(s, unlocked, at));

  const adapter = platformFor(session.device.platform);
  const update =
    finished === 'Acknowledged' && report.result ? adapter.readResult(command.requestType, report.result) : undefined;
  // The answer and what the finished command changes on the device: one write. Finishing a
  // command another session already finished (a repeated report) changes nothing more.
  let finishing = false;
  const finish = (inventory: typeof update) =>
    changeSessionDevice(app, session, (s) =>
      answeredChange(s, unlocked, at, {
        extra: (d) => {
          finishing = !!commandIn(s);
          if (finishing) Object.assign(d, finishedChange(d, command, finished, inventory, at));
        },
      }),
    );
  const { recorded, refused, refusal } = await recordWithinLimits(finish, update);
  session = recorded;
  if (!finishing) return session;
  const errors = refusal ? [refusal] : boundErrors(report.errors);
  await finishCommand(app, session.device, command, refused ? 'Error' : finished, errors);
  if (refused) {
    await advanceSync(app, tenantId, deviceId);
    throw refused;
  }
  if (finished === 'Acknowledged' && (command.adminType === 'Wipe' || command.adminType === 'Unenroll')) {
    const { withdrawDevice } = require('./enrollment') as typeof Enrollment;
    const device = await withdrawDevice(app, session.device, command.adminType === 'Wipe' ? 'wiped' : 'unenrolled');
    return { ...session, device, live: [] };
  }
  const live = session.live.filter((c) => c.id !== command.id);
  // Outside a sync (no phase in the device this session wrote) the sync engine has nothing to
  // move on: a sync requested after that write queues its own reads, whose reports move it.
  if (!session.device.syncPhase) return { ...session, live };
  // The sync engine may have queued the next phase's commands, or started a read to hand out now.
  const advanced = await advanceSync(app, tenantId, deviceId);
  return {
    ...session,
    device: advanced ?? session.device,
    live: await app.stores.commands.liveQueue(tenantId, deviceId),
  };
}

/** What a finished command changes on its device: admin counts, lock flag, delivered profiles, inventory. */
function finishedChange(
  device: Device,
  command: Command,
  finished: 'Acknowledged' | 'Error',
  inventory: InventoryUpdate | undefined,
  at: string,
): Device {
  let next = inventory ? mergeInventory(device, inventory, at) : device;
  if (command.adminType) {
    const pending = { ...next.pendingCommands };
    pending[command.adminType] = Math.max(0, (pending[command.adminType] ?? 0) - 1);
    if (!pending[command.adminType]) delete pending[command.adminType];
    next = { ...next, pendingCommands: pending };
    if (finished === 'Acknowledged' && command.adminType === 'AdminLock') next.adminLocked = true;
    if (finished === 'Acknowledged' && command.adminType === 'AdminUnlock') next.adminLocked = false;
  }
  if (finished === 'Acknowledged' && command.action) {
    next.deliveredProfiles = deliveredAfter(
      next.deliveredProfiles ?? [],
      command.action as Parameters<typeof deliveredAfter>[1],
    );
  }
  return next;
}

/**
 * A connect: records the device's report, then picks the next command to hand out (undefined when
 * there is none, or when the report ended management: a Wipe or Unenroll acknowledged).
 */
export async function reportAndHandOut(
  app: App,
  session: DeviceSession,
  report: CommandReport,
): Promise<HandedOut | undefined> {
  const after = await recordReport(app, session, report);
  if (after.device.registrationState === 'Withdrawn') return undefined;
  return nextCommand(app, after, report);
}

/**
 * No stuck queue: a command handed out that the device never reported (it came back Idle) is
 * sent again, up to maxCommandAttempts, then finished as Error `no-result` so the work behind it
 * can run. Returns the session with its live queue as it is now.
 */
async function retryOrExpireLost(app: App, session: DeviceSession): Promise<DeviceSession> {
  const { device } = session;
  let live = session.live;
  let expired = false;
  for (const command of session.live.filter((c) => c.status === 'Sent')) {
    if (command.secretErased || command.attempts >= app.config.maxCommandAttempts) {
      // A PIN or passcode left with the first hand-out and is not kept: the admin sends it again.
      const message = command.secretErased
        ? 'the device did not report a result; the PIN/passcode is not kept, so send the command again'
        : `handed out ${command.attempts} times without a result`;
      await finishCommand(app, device, command, 'Error', [{ code: 'no-result', domain: 'MDMServer', message }]);
      live = live.filter((c) => c.id !== command.id);
      expired = true;
    } else {
      const requeued: Command = { ...command, status: 'Queued', updatedAt: app.clock.now().toISOString() };
      await app.stores.commands.update(requeued);
      live = live.map((c) => (c.id === command.id ? requeued : c));
    }
  }
  if (!expired) return { ...session, live };
  const advanced = await advanceSync(app, device.tenantId, device.id);
  return {
    ...session,
    device: advanced ?? device,
    live: await app.stores.commands.liveQueue(device.tenantId, device.id),
  };
}

/**
 * The next command for this session, or undefined (the zero-length answer). After a NotNow in the
 * session, work that needs an unlock and commands that said NotNow are held back: handing them
 * out again would only NotNow again (docs/protocol.md §NotNow).
 */
export async function nextCommand(
  app: App,
  session: DeviceSession,
  after: Pick<CommandReport, 'status' | 'commandId'> = { status: 'Idle' },
): Promise<HandedOut | undefined> {
  const { device, live } = session;
  const locked = !!device.lastNotNowAt;
  // After a NotNow an Apple device gets only what never answers NotNow (docs/protocol.md §NotNow);
  // anything else would NotNow again or cost the device's own re-poll for nothing.
  const platform = platformFor(device.platform);
  const command =
    live.find((c) => c.status === 'Queued' && (!locked || platform.runsWhileLocked(c))) ??
    (locked ? undefined : live.find((c) => c.status === 'NotNow'));
  // The queue first (admin commands); then the pending inventory read, which waits out a NotNow session.
  if (!command) return locked ? undefined : nextReadQuery(app, device, after);
  if (locked && platform.servingLockedCancelsReturn) {
    // Serving after a NotNow cancels the device's automatic return on unlock: push it again later.
    await requestPush(
      app,
      [{ tenantId: device.tenantId, deviceId: device.id, priority: 'bulk', reason: 'not-now-retry' }],
      NOT_NOW_RETRY_SECONDS,
    );
  }
  let payload = command.payload;
  if (command.sealed) {
    // `$data:` marks binary secrets (the UnlockToken) that travel as plist <data>.
    const secrets = JSON.parse(await app.box.open(command.sealed, commandSecretContext(device))) as Record<
      string,
      string
    >;
    const opened = Object.fromEntries(
      Object.entries(secrets).map(([k, v]) => [k, v.startsWith('$data:') ? Buffer.from(v.slice(6), 'base64') : v]),
    );
    payload = { ...payload, ...opened };
  }
  const now = app.clock.now().toISOString();
  // The secret leaves with this hand-out; the queue keeps no copy of it.
  const { sealed: _sealed, ...rest } = command;
  await app.stores.commands.update({
    ...rest,
    ...(command.sealed ? { secretErased: true } : {}),
    status: 'Sent',
    attempts: command.attempts + 1,
    sentAt: now,
    updatedAt: now,
  });
  return { command, payload };
}
