// The sync state machine (docs/sync.md §The sync states). Pure: time comes in as `at`.
//
// Invalid or stale events are no-ops (same state, no changes, no log), never throws. Events come
// from at-least-once queues, concurrent device sessions and retried jobs, and may arrive late or
// twice; a device request or a sweep must not fail because a stale event no longer applies. The
// optimistic-concurrency write (Device.rev) already serialises the writers: dropping an event
// that does not fit the current state is the safe reading of it.
import type { Device, Severity, SyncState } from '../types';

/**
 * The device fields the machine reads. `awaitingAnswerSince` is not (yet) on Device: it is the
 * time of the first push the device has not answered. lastPushAt alone cannot start the
 * Not-Responding clock, because the daily resync re-pushes waiting devices and would keep moving
 * it. Without the field the clock falls back to lastPushAt (see awaitingSince).
 */
export type SyncSubject = Pick<Device, 'syncState'> &
  Partial<
    Pick<
      Device,
      'lastPushAt' | 'lastSeenAt' | 'lastUnlockedSeenAt' | 'lastSyncedAt' | 'syncRequestedAt' | 'syncRequestedBy'
    >
  > & {
    awaitingAnswerSince?: string;
  };

export type SyncRequester = 'admin' | 'template-change' | 'template-assigned' | 'resync' | 'enrollment';

export type SyncEvent =
  | { type: 'sync-requested'; by: SyncRequester }
  | { type: 'push-sent' }
  | { type: 'device-answered'; unlocked: boolean }
  | { type: 'inventory-compared'; matches: boolean; verified: boolean }
  | { type: 'commands-finished' }
  /** `threshold`: NOT_RESPONDING_AFTER in milliseconds. */
  | { type: 'not-responding-timeout'; threshold: number };

/** Fields a transition may set. `awaitingAnswerSince: undefined` means "clear it". */
export type SyncChanges = Partial<
  Pick<
    Device,
    | 'syncState'
    | 'lastPushAt'
    | 'lastSeenAt'
    | 'lastUnlockedSeenAt'
    | 'lastSyncedAt'
    | 'syncRequestedAt'
    | 'syncRequestedBy'
  >
> & {
  awaitingAnswerSince?: string | undefined;
};

export interface SyncLog {
  severity: Severity;
  event: 'sync-state';
  message: string;
}

export interface TransitionResult {
  syncState: SyncState;
  changes: SyncChanges;
  log?: SyncLog;
}

const ms = (iso: string | undefined): number => (iso === undefined ? Number.NaN : Date.parse(iso));
/** a > b for ISO instants; false when either is missing. */
const after = (a: string | undefined, b: string | undefined): boolean => ms(a) > ms(b);
const latest = (a: string | undefined, b: string): string => (after(a, b) ? (a as string) : b);

/**
 * When the device started owing an answer: the first unanswered push (or, without
 * awaitingAnswerSince, the last push when no answer came after it). Undefined = not awaiting.
 * An answer counts only when strictly after the push (lastSeenAt > lastPushAt; docs/sync.md §The sync states).
 */
export function awaitingSince(device: Omit<SyncSubject, 'syncState'>): string | undefined {
  if (device.awaitingAnswerSince !== undefined) return device.awaitingAnswerSince;
  if (device.lastPushAt === undefined) return undefined;
  return after(device.lastSeenAt, device.lastPushAt) ? undefined : device.lastPushAt;
}

/** True when a push was sent and the device has not answered since. */
export function isAwaitingAnswer(device: Omit<SyncSubject, 'syncState'>): boolean {
  return awaitingSince(device) !== undefined;
}

function move(device: SyncSubject, to: SyncState, reason: string, changes: SyncChanges): TransitionResult {
  if (to === device.syncState) return { syncState: to, changes };
  const severity: Severity = to === 'Not-Responding' ? 'warning' : 'info';
  return {
    syncState: to,
    changes: { ...changes, syncState: to },
    log: { severity, event: 'sync-state', message: `${device.syncState} → ${to} (${reason})` },
  };
}

const stay = (device: SyncSubject, changes: SyncChanges = {}): TransitionResult => ({
  syncState: device.syncState,
  changes,
});

const DAY_MS = 24 * 3600 * 1000;
const describeDuration = (threshold: number): string =>
  threshold % DAY_MS === 0
    ? `${threshold / DAY_MS} day${threshold === DAY_MS ? '' : 's'}`
    : `${Math.round(threshold / 60000)} minutes`;

/**
 * Applies one event. The table (docs/sync.md has the diagram):
 *
 * - sync-requested: any state → Sync-Required (records syncRequestedAt/By). Not-Responding is
 *   sticky: it records the request but stays until the device answers, so the operator's signal
 *   is not hidden by the daily resync. A Synchronized device stays Synchronized on the daily
 *   resync: that is a verification, and only a difference it finds moves the device.
 * - push-sent: Sync-Required → Sync-Requested. In other states only lastPushAt and the
 *   Not-Responding clock move (a re-push of a waiting device, a push for an admin command).
 * - device-answered: resets the Not-Responding clock (lastSeenAt; lastUnlockedSeenAt when
 *   unlocked). From Sync-Required, Sync-Requested or Not-Responding → Not-Synchronized: the
 *   session now reads the inventory. Synchronized and Not-Synchronized stay.
 * - inventory-compared: from Not-Synchronized or Synchronized → Synchronized only when the
 *   contents match AND this is the verification read-back after the commands finished; else
 *   Not-Synchronized. From the other states it is stale (a newer request supersedes it): no-op.
 * - commands-finished: a marker for the service to queue the verification read-back; the state
 *   does not change (Synchronized is only reached by the read-back).
 * - not-responding-timeout: → Not-Responding when the device has owed an answer to a push for at
 *   least `threshold` ms (and has not answered since). Any state but Not-Responding: "no answer
 *   for NOT_RESPONDING_AFTER after a push" (docs/sync.md §The sync states) does not depend on why it was pushed.
 */
export function transition(device: SyncSubject, event: SyncEvent, at: string): TransitionResult {
  const state = device.syncState;
  switch (event.type) {
    case 'sync-requested': {
      const changes: SyncChanges = { syncRequestedAt: at, syncRequestedBy: event.by };
      if (state === 'Not-Responding') return stay(device, changes);
      // The daily resync only verifies a Synchronized device: nothing is known to be owed to it, so
      // it stays Synchronized unless the read finds a difference (inventory-compared).
      if (state === 'Synchronized' && event.by === 'resync') return stay(device, changes);
      return move(device, 'Sync-Required', `sync requested by ${event.by}`, changes);
    }
    case 'push-sent': {
      const changes: SyncChanges = { lastPushAt: latest(device.lastPushAt, at) };
      // Start the clock at the first unanswered push; later pushes do not restart it.
      const since = awaitingSince(device) ?? (after(device.lastSeenAt, at) ? undefined : at);
      if (since !== device.awaitingAnswerSince) changes.awaitingAnswerSince = since;
      if (state === 'Sync-Required') return move(device, 'Sync-Requested', 'push sent', changes);
      return stay(device, changes);
    }
    case 'device-answered': {
      const seen = latest(device.lastSeenAt, at);
      const changes: SyncChanges = { lastSeenAt: seen };
      if (event.unlocked) changes.lastUnlockedSeenAt = latest(device.lastUnlockedSeenAt, at);
      // A push at or after this answer is still owed an answer (pushes coalesce: the latest counts).
      const since = awaitingSince(device);
      const stillOwed =
        since === undefined
          ? undefined
          : !after(seen, since)
            ? since
            : device.lastPushAt !== undefined && !after(seen, device.lastPushAt)
              ? device.lastPushAt
              : undefined;
      if (stillOwed !== device.awaitingAnswerSince) changes.awaitingAnswerSince = stillOwed;
      if (state === 'Sync-Required' || state === 'Sync-Requested' || state === 'Not-Responding') {
        return move(
          device,
          'Not-Synchronized',
          event.unlocked ? 'device answered while unlocked' : 'device answered',
          changes,
        );
      }
      return stay(device, changes);
    }
    case 'inventory-compared': {
      if (state !== 'Not-Synchronized' && state !== 'Synchronized') return stay(device);
      if (event.matches && event.verified) {
        return move(device, 'Synchronized', 'verified: the contents match the template', { lastSyncedAt: at });
      }
      const reason = event.matches
        ? 'contents match; waiting for the verification read-back'
        : 'contents differ from the template';
      return move(device, 'Not-Synchronized', reason, {});
    }
    case 'commands-finished':
      return stay(device);
    case 'not-responding-timeout': {
      if (state === 'Not-Responding') return stay(device);
      const since = awaitingSince(device);
      if (since === undefined || !(event.threshold >= 0)) return stay(device);
      const waited = ms(at) - ms(since);
      if (Number.isNaN(waited) || waited < event.threshold) return stay(device);
      return move(device, 'Not-Responding', `no answer for ${describeDuration(event.threshold)} after a push`, {});
    }
    default:
      return stay(device);
  }
}

/** Applies the result of `transition` to a device-like object (handy in services and tests). */
export function applyTransition<T extends SyncSubject>(device: T, result: TransitionResult): T {
  const next = { ...device, ...result.changes, syncState: result.syncState };
  if ('awaitingAnswerSince' in result.changes && result.changes.awaitingAnswerSince === undefined) {
    delete (next as SyncSubject).awaitingAnswerSince;
  }
  return next;
}
