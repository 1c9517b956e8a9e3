// The last-seen write rule (domain/last-seen.ts): an idle poll inside the interval writes nothing,
// but an answer to a push or a sync request, and any other change, is written at once.
import { RECENT_ACCESSES, SEEN_WRITE_INTERVAL_MS, seenOnlyChange, withAccess } from '../../lambdas/domain/last-seen';
import { applyTransition, transition } from '../../lambdas/domain/sync/state-machine';
import type { Device } from '../../lambdas/domain/types';
import { newDevice } from '../support/factories';

const T0 = Date.parse('2026-11-23T09:00:00.000Z');
const t = (ms: number) => new Date(T0 + ms).toISOString();

/** The device after it answered at `at` (what a device request computes). */
const answered = (d: Device, at: string, unlocked = false) =>
  applyTransition(d, transition(d, { type: 'device-answered', unlocked }, at));

describe('seenOnlyChange', () => {
  const seen = newDevice({ syncState: 'Synchronized', lastPushAt: t(0), syncRequestedAt: t(0), lastSeenAt: t(1000) });

  it('holds back a last-seen time written less than the interval ago, after the last push and request', () => {
    const at = t(1000 + SEEN_WRITE_INTERVAL_MS - 1);
    expect(seenOnlyChange(seen, answered(seen, at), at)).toBe(true);
  });

  it('writes it once the stored one is the interval old', () => {
    const at = t(1000 + SEEN_WRITE_INTERVAL_MS);
    expect(seenOnlyChange(seen, answered(seen, at), at)).toBe(false);
  });

  it('writes an answer to a push at once: the stored last-seen is not after the push', () => {
    const pushed = { ...seen, lastPushAt: t(2000), awaitingAnswerSince: t(2000) };
    expect(seenOnlyChange(pushed, answered(pushed, t(3000)), t(3000))).toBe(false);
    const pushedNoClock = { ...seen, lastPushAt: t(2000) };
    expect(seenOnlyChange(pushedNoClock, answered(pushedNoClock, t(3000)), t(3000))).toBe(false);
  });

  it('writes an answer to a sync request at once (the diagnosis measures against it)', () => {
    const requested = { ...seen, syncRequestedAt: t(2000) };
    expect(seenOnlyChange(requested, answered(requested, t(3000)), t(3000))).toBe(false);
  });

  it('writes the first unlocked access after a push, even when lastSeenAt is recent', () => {
    const lockedSince = { ...seen, lastUnlockedSeenAt: t(-5000) };
    expect(seenOnlyChange(lockedSince, answered(lockedSince, t(3000), true), t(3000))).toBe(false);
    const unlockedRecently = { ...seen, lastUnlockedSeenAt: t(1000) };
    expect(seenOnlyChange(unlockedRecently, answered(unlockedRecently, t(3000), true), t(3000))).toBe(true);
  });

  it('writes any other change (a state move, a NotNow cleared, a new push token)', () => {
    expect(seenOnlyChange(seen, { ...answered(seen, t(3000)), lastNotNowAt: t(3000) }, t(3000))).toBe(false);
    const withNotNow = { ...seen, lastNotNowAt: t(500) };
    const { lastNotNowAt: _cleared, ...cleared } = answered(withNotNow, t(3000));
    expect(seenOnlyChange(withNotNow, cleared as Device, t(3000))).toBe(false);
    expect(seenOnlyChange(seen, { ...answered(seen, t(3000)), push: { token: 'new' } }, t(3000))).toBe(false);
    const waiting = { ...seen, syncState: 'Sync-Requested' as const };
    expect(seenOnlyChange(waiting, answered(waiting, t(3000)), t(3000))).toBe(false);
  });
});

describe('withAccess', () => {
  it('keeps the newest accesses, in epoch seconds, oldest first', () => {
    let recent: number[] | undefined;
    for (let i = 0; i < RECENT_ACCESSES + 3; i++) recent = withAccess(recent, t(i * 60_000));
    expect(recent).toHaveLength(RECENT_ACCESSES);
    expect(recent?.at(-1)).toBe((T0 + (RECENT_ACCESSES + 2) * 60_000) / 1000);
    expect(recent?.[0]).toBe((T0 + 3 * 60_000) / 1000);
  });
});
