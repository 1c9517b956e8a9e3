// The events the server reports (docs/api.md §Events): their types, their payloads, which device
// changes produce which events, and the webhook delivery policy. Pure: the service gives them
// ids, a time and a way out (lambdas/service/events.ts).
import type { AlarmSeverity, Device } from './types';

export const EVENT_TYPES = [
  'device.enrolled',
  'device.checked_in',
  'device.sync_state_changed',
  'device.not_responding',
  'device.withdrawn',
  'command.completed',
  'bulk.completed',
  'alarm.raised',
  'alarm.cleared',
  'push_credential.expiring',
  'template.changed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
/** `ping` is sent only by POST /admin/v1/webhooks/{id}/test, to that webhook alone. */
export type DeliveredEventType = EventType | 'ping';

/** An event as receivers get it. `id` is stable: a retried delivery carries the same one. */
export interface MdmEvent {
  id: string;
  type: DeliveredEventType;
  tenantId: string;
  at: string;
  data: Record<string, unknown>;
}

/**
 * An event before it has an id and a time. `key` names the change it reports uniquely (e.g. the
 * device and the revision the change wrote), so the id derived from it is the same if the same
 * change is reported twice.
 */
export interface EventDraft {
  type: EventType;
  key: string;
  data: Record<string, unknown>;
}

/** What every device event says about the device: enough to act without calling back, and no secret. */
export function deviceFacts(d: Device): Record<string, unknown> {
  return {
    deviceId: d.id,
    name: d.name,
    serialNumber: d.serialNumber,
    platform: d.platform,
    model: d.model,
    templateId: d.templateId,
    syncState: d.syncState,
    registrationState: d.registrationState,
  };
}

/** A record made by POST /admin/v1/enrollments before any device used its token (not a device yet). */
const isPendingEnrollment = (d: Device) => d.pendingEnrollmentExpiresAt !== undefined;
const isRegistered = (d: Device) => d.registrationState === 'Awaiting-Check-In' || d.registrationState === 'Checked-In';

/**
 * The events a device write produces, from the device before and after it (before is undefined
 * for a new record). Enrolled: a device starts an enrollment (new, or again after being withdrawn,
 * expired or enrolled before). Checked in: the enrollment completes (Apple: the first
 * TokenUpdate; Android: at once), i.e. `checkedInAt` moves.
 */
export function deviceChangeEvents(before: Device | undefined, after: Device): EventDraft[] {
  if (isPendingEnrollment(after)) return [];
  const drafts: EventDraft[] = [];
  const add = (type: EventType, extra: Record<string, unknown> = {}) =>
    drafts.push({ type, key: `${type}|${after.id}|${after.rev}`, data: { ...deviceFacts(after), ...extra } });
  const checkedIn = after.registrationState === 'Checked-In' && after.checkedInAt !== before?.checkedInAt;
  const startedAgain =
    !before ||
    isPendingEnrollment(before) ||
    !isRegistered(before) ||
    (before.registrationState === 'Checked-In' && (after.registrationState === 'Awaiting-Check-In' || checkedIn));
  if (isRegistered(after) && startedAgain) add('device.enrolled');
  if (checkedIn) add('device.checked_in');
  if (before && !isPendingEnrollment(before) && before.syncState !== after.syncState) {
    add('device.sync_state_changed', { from: before.syncState, to: after.syncState });
    if (after.syncState === 'Not-Responding')
      add('device.not_responding', { awaitingAnswerSince: before.awaitingAnswerSince });
  }
  if (after.registrationState === 'Withdrawn' && before?.registrationState !== 'Withdrawn')
    add('device.withdrawn', { reason: after.withdrawalReason });
  return drafts;
}

export interface CommandOutcome {
  commandId: string;
  requestType: string;
  adminType?: string;
  status: 'Acknowledged' | 'Error';
  /** The device's first error and its plain explanation, when it failed. */
  error?: { code: number | string; domain: string; message: string };
  explanation?: { title: string; explanation: string; fix: string };
}

export function commandCompleted(d: Device, outcome: CommandOutcome): EventDraft {
  return {
    type: 'command.completed',
    key: `command.completed|${d.id}|${outcome.commandId}`,
    data: { ...deviceFacts(d), ...outcome },
  };
}

export function bulkCompleted(op: {
  operationId: string;
  type: string;
  requester?: string;
  targeted: number;
  queued: number;
  refused: number;
}): EventDraft {
  return { type: 'bulk.completed', key: `bulk.completed|${op.operationId}`, data: { ...op } };
}

export function alarmChanged(
  state: 'raised' | 'cleared',
  alarm: { key: string; severity: AlarmSeverity; message: string; deviceId?: string; raisedAt: string },
): EventDraft {
  return {
    type: state === 'raised' ? 'alarm.raised' : 'alarm.cleared',
    key: `alarm.${state}|${alarm.key}|${alarm.raisedAt}|${alarm.severity}`,
    data: { alarmKey: alarm.key, severity: alarm.severity, message: alarm.message, deviceId: alarm.deviceId },
  };
}

export function pushCredentialExpiring(
  credential: { platform: 'apns'; topic: string; notAfter: string },
  daysLeft: number,
): EventDraft {
  return {
    type: 'push_credential.expiring',
    // One event per credential per day left: the daily check reports each day once.
    key: `push_credential.expiring|${credential.notAfter}|${daysLeft}`,
    data: { ...credential, daysLeft },
  };
}

export function templateChanged(t: { id: string; name: string; version: number }, syncOperationId: string): EventDraft {
  return {
    type: 'template.changed',
    key: `template.changed|${t.id}|${t.version}`,
    data: { templateId: t.id, name: t.name, version: t.version, syncOperationId },
  };
}

// --- Webhook delivery policy (docs/api.md §Webhooks) ---

/** A delivery is retried until this long after the event, then recorded as failed. */
export const DELIVERY_RETRY_WINDOW_MS = 24 * 3600_000;
/** A webhook whose deliveries have failed for this long without a success is paused. */
export const PAUSE_AFTER_FAILING_MS = 24 * 3600_000;
/** The first retry waits about this long; each next one twice as long, up to the cap (SQS's longest delay). */
const FIRST_RETRY_SECONDS = 30;
const MAX_RETRY_SECONDS = 900;

/**
 * Seconds before attempt `failedAttempt + 1`: exponential backoff capped at 15 minutes, with
 * jitter (between half and all of the step) so receivers coming back are not hit all at once.
 * `random` is in [0, 1).
 */
export function retryDelaySeconds(failedAttempt: number, random: number): number {
  const step = Math.min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** Math.max(0, failedAttempt - 1));
  return Math.round(step * (0.5 + random / 2));
}

/** Whether a webhook subscribed to `events` (empty: all of them) receives an event of `type`. */
export function webhookWants(events: readonly string[], type: DeliveredEventType): boolean {
  return type === 'ping' || events.length === 0 || events.includes(type);
}
