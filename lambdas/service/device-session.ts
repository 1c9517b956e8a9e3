// The device's command queue as a session sees it: which command to hand out next, and what a
// reported status does. Shared by the Apple connect endpoint and the Android agent.
import { explainError } from '../domain/error-explanations';
import { commandCompleted } from '../domain/events';
import { boundErrors, StoredLimitError } from '../domain/limits';
import { deliveredAfter } from '../domain/sync/plan';
import type { Command, CommandError, Device } from '../domain/types';
import { logEvent } from './audit';
import { commandSecretContext } from './command-queue';
import type { App } from './container';
import { mutateDevice } from './devices';
import { emitEvents } from './events';
import { platformFor } from './platform-adapters';
import { requestPush } from './push-requests';
import { advanceSync, deviceAnswered, mergeInventory } from './sync';

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
 * Records a status report. Idempotent per command id: a report for a command no longer in the
 * queue (already finished) changes nothing. Returns whether the session is now "locked" (NotNow).
 */
export async function recordReport(app: App, device: Device, report: CommandReport): Promise<Device> {
  const at = app.clock.now().toISOString();
  const live = await app.stores.commands.liveQueue(device.tenantId, device.id);
  const command = report.commandId ? live.find((c) => c.id === report.commandId) : undefined;
  const finished = finishedStatus(report.status);
  // Something that only runs unlocked was acknowledged: the device was unlocked (the "security check").
  const unlocked = report.unlocked ?? (!!command && finished === 'Acknowledged' && command.needsUnlock);
  let current = await deviceAnswered(app, device.tenantId, device.id, unlocked, (d) => {
    if (report.status === 'NotNow') d.lastNotNowAt = at;
    else if (report.status === 'Idle') delete d.lastNotNowAt; // a new session: try everything again
  });

  if (report.status === 'Idle') {
    // One entry per device session: the timeline's "each access".
    await logEvent(
      app,
      device.tenantId,
      'device-access',
      `device connected${live.length ? ` (${live.length} command(s) waiting)` : ''}`,
      { deviceId: device.id, data: { queued: live.length } },
    );
    await retryOrExpireLost(app, current, live);
    return current;
  }
  if (!command) return current;

  if (report.status === 'NotNow') {
    await app.stores.commands.update({
      ...command,
      status: 'NotNow',
      notNowCount: command.notNowCount + 1,
      updatedAt: at,
    });
    await logEvent(
      app,
      device.tenantId,
      'not-now',
      `${command.requestType} postponed by the device (locked or busy); it runs when the device is unlocked`,
      { deviceId: device.id, data: { commandId: command.id, requestType: command.requestType, locked: true } },
    );
    return current;
  }
  if (finished) {
    const adapter = platformFor(current.platform);
    const update =
      finished === 'Acknowledged' && report.result ? adapter.readResult(command.requestType, report.result) : undefined;
    const finish = (inventory: typeof update) =>
      mutateDevice(app, device.tenantId, device.id, (d) => {
        let next = inventory ? mergeInventory(d, inventory, at) : d;
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
        return { device: next };
      });
    // A result too large to store finishes its command as Error (the device is not asked again and
    // again), and the device is told with a 400 once the rest of its report is recorded.
    let refused: StoredLimitError | undefined;
    try {
      current = await finish(update);
    } catch (err) {
      if (!(err instanceof StoredLimitError)) throw err;
      refused = err;
      current = await finish(undefined);
    }
    const errors = refused
      ? [{ code: 'result-too-large', domain: 'MDMServer', message: refused.message }]
      : boundErrors(report.errors);
    await finishCommand(app, current, command, refused ? 'Error' : finished, errors);
    if (refused) {
      await advanceSync(app, device.tenantId, device.id);
      throw refused;
    }
    if (finished === 'Acknowledged' && (command.adminType === 'Wipe' || command.adminType === 'Unenroll')) {
      const { withdrawDevice } = await import('./enrollment');
      current = await withdrawDevice(app, current, command.adminType === 'Wipe' ? 'wiped' : 'unenrolled');
      return current;
    }
    await advanceSync(app, device.tenantId, device.id);
  }
  return current;
}

/**
 * A connect: records the device's report, then picks the next command to hand out (undefined when
 * there is none, or when the report ended management: a Wipe or Unenroll acknowledged).
 */
export async function reportAndHandOut(
  app: App,
  device: Device,
  report: CommandReport,
): Promise<HandedOut | undefined> {
  const after = await recordReport(app, device, report);
  if (after.registrationState === 'Withdrawn') return undefined;
  return nextCommand(app, after);
}

/**
 * No stuck queue: a command handed out that the device never reported (it came back Idle) is
 * sent again, up to maxCommandAttempts, then finished as Error `no-result` so the work behind it
 * can run.
 */
async function retryOrExpireLost(app: App, device: Device, live: Command[]): Promise<void> {
  for (const command of live.filter((c) => c.status === 'Sent')) {
    if (command.secretErased) {
      // Its PIN or passcode left with the first hand-out and is not kept: the admin sends it again.
      await finishCommand(app, device, command, 'Error', [
        {
          code: 'no-result',
          domain: 'MDMServer',
          message: 'the device did not report a result; the PIN/passcode is not kept, so send the command again',
        },
      ]);
    } else if (command.attempts >= app.config.maxCommandAttempts) {
      await finishCommand(app, device, command, 'Error', [
        { code: 'no-result', domain: 'MDMServer', message: `handed out ${command.attempts} times without a result` },
      ]);
    } else {
      await app.stores.commands.update({ ...command, status: 'Queued', updatedAt: app.clock.now().toISOString() });
    }
  }
  if (live.some((c) => c.status === 'Sent' && (c.secretErased || c.attempts >= app.config.maxCommandAttempts)))
    await advanceSync(app, device.tenantId, device.id);
}

/**
 * The next command for this session, or undefined (the zero-length answer). After a NotNow in the
 * session, work that needs an unlock and commands that said NotNow are held back: handing them
 * out again would only NotNow again (docs/protocol.md §NotNow).
 */
export async function nextCommand(app: App, device: Device): Promise<HandedOut | undefined> {
  const live = await app.stores.commands.liveQueue(device.tenantId, device.id);
  const locked = !!device.lastNotNowAt;
  // After a NotNow an Apple device gets only what never answers NotNow (docs/protocol.md §NotNow);
  // anything else would NotNow again or cost the device's own re-poll for nothing.
  const platform = platformFor(device.platform);
  const command =
    live.find((c) => c.status === 'Queued' && (!locked || platform.runsWhileLocked(c))) ??
    (locked ? undefined : live.find((c) => c.status === 'NotNow'));
  if (!command) return undefined;
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
