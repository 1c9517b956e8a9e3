// When a device request must write the device's last-seen times, and the short list of recent
// accesses kept on the device for the timeline (docs/architecture.md §The device session). Pure.
import type { Device } from './types';

/**
 * A device's lastSeenAt (and lastUnlockedSeenAt) is rewritten at most this often when nothing else
 * changed: an idle device polling every minute then costs one device write per 5 minutes, not one
 * per poll. An answer to a push or to a sync request is never held back (see seenOnlyChange).
 */
export const SEEN_WRITE_INTERVAL_MS = 5 * 60_000;

/** How many recent idle accesses the device keeps (epoch seconds, newest last) for the timeline. */
export const RECENT_ACCESSES = 10;

/** The fields an answer moves that may be left behind for up to SEEN_WRITE_INTERVAL_MS. */
const SEEN_FIELDS = new Set<keyof Device>(['lastSeenAt', 'lastUnlockedSeenAt', 'recentAccesses']);

const ms = (iso: string | undefined): number => (iso === undefined ? Number.NaN : Date.parse(iso));

/**
 * True when `after` differs from `before` only in its last-seen times, and the stored times may
 * stay as they are: each one that moved was written less than SEEN_WRITE_INTERVAL_MS before `at`
 * and is already strictly later than the last push and the last sync request. What the diagnosis
 * and the Not-Responding sweep read (an answer after the push: lastSeenAt > lastPushAt, the
 * awaiting-answer clock, lastUnlockedSeenAt after the push) is then the same with or without the
 * write.
 */
export function seenOnlyChange(before: Device, after: Device, at: string): boolean {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)] as Array<keyof Device>);
  for (const key of keys) {
    if (SEEN_FIELDS.has(key) || before[key] === after[key]) continue;
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) return false;
  }
  const anchor = Math.max(ms(before.lastPushAt) || 0, ms(before.syncRequestedAt) || 0);
  const recentEnough = (field: 'lastSeenAt' | 'lastUnlockedSeenAt') => {
    if (before[field] === after[field]) return true;
    const stored = ms(before[field]);
    return stored > anchor && ms(at) - stored < SEEN_WRITE_INTERVAL_MS;
  };
  return recentEnough('lastSeenAt') && recentEnough('lastUnlockedSeenAt');
}

/** The device's recent accesses with one more at `at` (the oldest dropped past RECENT_ACCESSES). */
export function withAccess(recent: number[] | undefined, at: string): number[] {
  return [...(recent ?? []), Math.floor(ms(at) / 1000)].slice(-RECENT_ACCESSES);
}
