import fc from 'fast-check';
import type { SyncEvent, SyncSubject } from '../../../lambdas/domain/sync/state-machine';
import {
  applyTransition,
  awaitingSince,
  isAwaitingAnswer,
  transition,
} from '../../../lambdas/domain/sync/state-machine';
import type { SyncState } from '../../../lambdas/domain/types';
import { SYNC_STATES } from '../../../lambdas/domain/types';

const DAY = 24 * 3600 * 1000;
const T0 = Date.parse('2026-11-23T09:00:00.000Z');
const t = (offsetMs: number) => new Date(T0 + offsetMs).toISOString();
const dev = (syncState: SyncState, extra: Partial<SyncSubject> = {}): SyncSubject => ({ syncState, ...extra });

describe('transition: sync-requested', () => {
  it.each(['Sync-Requested', 'Not-Synchronized', 'Synchronized'] as const)(
    '%s → Sync-Required with who and when',
    (from) => {
      const r = transition(dev(from), { type: 'sync-requested', by: 'template-change' }, t(0));
      expect(r.syncState).toBe('Sync-Required');
      expect(r.changes).toEqual({
        syncState: 'Sync-Required',
        syncRequestedAt: t(0),
        syncRequestedBy: 'template-change',
      });
      expect(r.log).toEqual({
        severity: 'info',
        event: 'sync-state',
        message: `${from} → Sync-Required (sync requested by template-change)`,
      });
    },
  );
  it('Sync-Required stays, updates the request, logs nothing', () => {
    const r = transition(dev('Sync-Required'), { type: 'sync-requested', by: 'admin' }, t(5));
    expect(r).toEqual({ syncState: 'Sync-Required', changes: { syncRequestedAt: t(5), syncRequestedBy: 'admin' } });
  });
  it('the daily resync verifies a Synchronized device in place: it stays Synchronized, records the request, logs nothing', () => {
    const r = transition(dev('Synchronized'), { type: 'sync-requested', by: 'resync' }, t(5));
    expect(r).toEqual({ syncState: 'Synchronized', changes: { syncRequestedAt: t(5), syncRequestedBy: 'resync' } });
    // Its read-back then decides: a match keeps it Synchronized (a new lastSyncedAt), a difference moves it.
    const verified = applyTransition(dev('Synchronized'), r);
    const same = transition(verified, { type: 'inventory-compared', matches: true, verified: true }, t(9));
    expect(same).toEqual({ syncState: 'Synchronized', changes: { lastSyncedAt: t(9) } });
    const drift = transition(verified, { type: 'inventory-compared', matches: false, verified: false }, t(9));
    expect(drift.syncState).toBe('Not-Synchronized');
    expect(drift.log?.message).toBe('Synchronized → Not-Synchronized (contents differ from the template)');
  });
  it.each(['Sync-Requested', 'Not-Synchronized'] as const)('the daily resync moves %s to Sync-Required', (from) => {
    expect(transition(dev(from), { type: 'sync-requested', by: 'resync' }, t(5)).syncState).toBe('Sync-Required');
  });
  it('Not-Responding is sticky until the device answers', () => {
    const r = transition(dev('Not-Responding'), { type: 'sync-requested', by: 'resync' }, t(5));
    expect(r.syncState).toBe('Not-Responding');
    expect(r.log).toBeUndefined();
    expect(r.changes.syncRequestedBy).toBe('resync');
  });
});

describe('transition: push-sent', () => {
  it('Sync-Required → Sync-Requested, sets lastPushAt and starts the clock', () => {
    const r = transition(dev('Sync-Required', { lastSeenAt: t(-DAY) }), { type: 'push-sent' }, t(0));
    expect(r.syncState).toBe('Sync-Requested');
    expect(r.changes).toEqual({ syncState: 'Sync-Requested', lastPushAt: t(0), awaitingAnswerSince: t(0) });
    expect(r.log?.message).toBe('Sync-Required → Sync-Requested (push sent)');
  });
  it('a re-push keeps the clock at the first unanswered push', () => {
    const d = dev('Sync-Requested', { lastPushAt: t(0), awaitingAnswerSince: t(0), lastSeenAt: t(-DAY) });
    const r = transition(d, { type: 'push-sent' }, t(DAY));
    expect(r).toEqual({ syncState: 'Sync-Requested', changes: { lastPushAt: t(DAY) } });
  });
  it('falls back to lastPushAt when the device has no awaitingAnswerSince', () => {
    const d = dev('Sync-Requested', { lastPushAt: t(0), lastSeenAt: t(-DAY) });
    expect(transition(d, { type: 'push-sent' }, t(DAY)).changes).toEqual({
      lastPushAt: t(DAY),
      awaitingAnswerSince: t(0),
    });
  });
  it.each(['Not-Responding', 'Not-Synchronized', 'Synchronized'] as const)('%s stays; lastPushAt moves', (from) => {
    const r = transition(dev(from, { lastSeenAt: t(-1) }), { type: 'push-sent' }, t(0));
    expect(r.syncState).toBe(from);
    expect(r.log).toBeUndefined();
    expect(r.changes.lastPushAt).toBe(t(0));
  });
  it('a late push event never moves lastPushAt backwards', () => {
    const r = transition(
      dev('Sync-Requested', { lastPushAt: t(10), awaitingAnswerSince: t(10) }),
      { type: 'push-sent' },
      t(5),
    );
    expect(r.changes.lastPushAt).toBe(t(10));
  });
});

describe('transition: device-answered', () => {
  it.each(['Sync-Required', 'Sync-Requested', 'Not-Responding'] as const)(
    '%s → Not-Synchronized (the session reads inventory)',
    (from) => {
      const r = transition(
        dev(from, { lastPushAt: t(0), awaitingAnswerSince: t(0) }),
        { type: 'device-answered', unlocked: true },
        t(60_000),
      );
      expect(r.syncState).toBe('Not-Synchronized');
      expect(r.changes).toEqual({
        syncState: 'Not-Synchronized',
        lastSeenAt: t(60_000),
        lastUnlockedSeenAt: t(60_000),
        awaitingAnswerSince: undefined,
      });
      expect(r.log?.message).toBe(`${from} → Not-Synchronized (device answered while unlocked)`);
    },
  );
  it('a locked answer resets the clock but not the security check', () => {
    const r = transition(
      dev('Sync-Requested', { lastPushAt: t(0), awaitingAnswerSince: t(0), lastUnlockedSeenAt: t(-5) }),
      { type: 'device-answered', unlocked: false },
      t(1),
    );
    expect(r.changes.lastUnlockedSeenAt).toBeUndefined();
    expect(r.changes.lastSeenAt).toBe(t(1));
    expect(r.log?.message).toBe('Sync-Requested → Not-Synchronized (device answered)');
  });
  it.each(['Synchronized', 'Not-Synchronized'] as const)('%s stays', (from) => {
    const r = transition(dev(from), { type: 'device-answered', unlocked: true }, t(1));
    expect(r.syncState).toBe(from);
    expect(r.log).toBeUndefined();
  });
  it('an answer at the same instant as the push does not answer it (strictly after: docs/sync.md §The sync states)', () => {
    const d = dev('Sync-Requested', { lastPushAt: t(0), awaitingAnswerSince: t(0) });
    const r = transition(d, { type: 'device-answered', unlocked: true }, t(0));
    expect(r.changes.awaitingAnswerSince).toBeUndefined();
    expect('awaitingAnswerSince' in r.changes).toBe(false); // unchanged: still owed
    expect(isAwaitingAnswer(applyTransition(d, r))).toBe(true);
  });
  it('an answer between two pushes leaves the later push owed', () => {
    const d = dev('Not-Synchronized', { lastPushAt: t(10), awaitingAnswerSince: t(0) });
    const r = transition(d, { type: 'device-answered', unlocked: false }, t(5));
    expect(r.changes.awaitingAnswerSince).toBe(t(10));
  });
  it('never moves lastSeenAt backwards', () => {
    expect(
      transition(dev('Synchronized', { lastSeenAt: t(10) }), { type: 'device-answered', unlocked: false }, t(5)).changes
        .lastSeenAt,
    ).toBe(t(10));
  });
});

describe('transition: inventory-compared', () => {
  it('Synchronized only when it matches AND it is the verification read-back', () => {
    const r = transition(dev('Not-Synchronized'), { type: 'inventory-compared', matches: true, verified: true }, t(0));
    expect(r.syncState).toBe('Synchronized');
    expect(r.changes).toEqual({ syncState: 'Synchronized', lastSyncedAt: t(0) });
    expect(r.log?.message).toBe('Not-Synchronized → Synchronized (verified: the contents match the template)');
  });
  it('a match that is not the read-back stays Not-Synchronized', () => {
    expect(
      transition(dev('Not-Synchronized'), { type: 'inventory-compared', matches: true, verified: false }, t(0)),
    ).toEqual({ syncState: 'Not-Synchronized', changes: {} });
  });
  it('a mismatch on a Synchronized device → Not-Synchronized', () => {
    const r = transition(dev('Synchronized'), { type: 'inventory-compared', matches: false, verified: true }, t(0));
    expect(r.syncState).toBe('Not-Synchronized');
    expect(r.log?.message).toBe('Synchronized → Not-Synchronized (contents differ from the template)');
  });
  it.each(['Sync-Required', 'Sync-Requested', 'Not-Responding'] as const)(
    'is a no-op from %s (stale, or superseded by a newer request)',
    (from) => {
      expect(transition(dev(from), { type: 'inventory-compared', matches: true, verified: true }, t(0))).toEqual({
        syncState: from,
        changes: {},
      });
    },
  );
});

describe('transition: commands-finished', () => {
  it.each(SYNC_STATES)('never changes the state (%s)', (from) => {
    expect(transition(dev(from), { type: 'commands-finished' }, t(0))).toEqual({ syncState: from, changes: {} });
  });
});

describe('transition: not-responding-timeout', () => {
  const ev = { type: 'not-responding-timeout', threshold: 7 * DAY } as const;
  it('Sync-Requested → Not-Responding once the first unanswered push is threshold old', () => {
    const d = dev('Sync-Requested', { lastPushAt: t(6 * DAY), awaitingAnswerSince: t(0), lastSeenAt: t(-1) });
    const r = transition(d, ev, t(7 * DAY));
    expect(r.syncState).toBe('Not-Responding');
    expect(r.log).toEqual({
      severity: 'warning',
      event: 'sync-state',
      message: 'Sync-Requested → Not-Responding (no answer for 7 days after a push)',
    });
  });
  it('not one millisecond before the threshold', () => {
    const d = dev('Sync-Requested', { lastPushAt: t(0), awaitingAnswerSince: t(0) });
    expect(transition(d, ev, t(7 * DAY - 1)).syncState).toBe('Sync-Requested');
  });
  it('not when the device answered after the push', () => {
    const d = dev('Sync-Requested', { lastPushAt: t(0), lastSeenAt: t(1) });
    expect(transition(d, ev, t(30 * DAY)).syncState).toBe('Sync-Requested');
  });
  it('not when no push was ever sent', () => {
    expect(transition(dev('Sync-Required', { lastSeenAt: t(0) }), ev, t(30 * DAY)).syncState).toBe('Sync-Required');
  });
  it('uses lastPushAt when awaitingAnswerSince is absent', () => {
    expect(transition(dev('Sync-Requested', { lastPushAt: t(0) }), ev, t(7 * DAY)).syncState).toBe('Not-Responding');
  });
  it('also for a Not-Synchronized device that went quiet after a re-push', () => {
    const d = dev('Not-Synchronized', { lastSeenAt: t(0), lastPushAt: t(1), awaitingAnswerSince: t(1) });
    expect(transition(d, ev, t(8 * DAY)).syncState).toBe('Not-Responding');
  });
  it('Not-Responding stays (no new log); a garbage threshold or time is a no-op', () => {
    expect(transition(dev('Not-Responding', { lastPushAt: t(0) }), ev, t(30 * DAY))).toEqual({
      syncState: 'Not-Responding',
      changes: {},
    });
    expect(
      transition(
        dev('Sync-Requested', { lastPushAt: t(0) }),
        { type: 'not-responding-timeout', threshold: Number.NaN },
        t(30 * DAY),
      ).syncState,
    ).toBe('Sync-Requested');
    expect(transition(dev('Sync-Requested', { lastPushAt: t(0) }), ev, 'not a date').syncState).toBe('Sync-Requested');
  });
  it('describes non-day thresholds in minutes', () => {
    expect(
      transition(
        dev('Sync-Requested', { lastPushAt: t(0) }),
        { type: 'not-responding-timeout', threshold: 90 * 60_000 },
        t(DAY),
      ).log?.message,
    ).toBe('Sync-Requested → Not-Responding (no answer for 90 minutes after a push)');
  });
});

describe('isAwaitingAnswer / awaitingSince', () => {
  it('reads the field first, then lastPushAt vs lastSeenAt (strictly after)', () => {
    expect(isAwaitingAnswer({})).toBe(false);
    expect(awaitingSince({ awaitingAnswerSince: t(3), lastPushAt: t(5) })).toBe(t(3));
    expect(isAwaitingAnswer({ lastPushAt: t(0) })).toBe(true);
    expect(isAwaitingAnswer({ lastPushAt: t(0), lastSeenAt: t(0) })).toBe(true);
    expect(isAwaitingAnswer({ lastPushAt: t(0), lastSeenAt: t(1) })).toBe(false);
  });
  it('applyTransition removes a cleared clock', () => {
    const d = dev('Sync-Requested', { lastPushAt: t(0), awaitingAnswerSince: t(0) });
    const next = applyTransition(d, transition(d, { type: 'device-answered', unlocked: true }, t(1)));
    expect('awaitingAnswerSince' in next).toBe(false);
    expect(next).toMatchObject({ syncState: 'Not-Synchronized', lastSeenAt: t(1) });
  });
});

// ---------------------------------------------------------------------------------------------
// Generated event sequences

const THRESHOLD = 7 * DAY;
const eventArb: fc.Arbitrary<SyncEvent> = fc.oneof(
  fc
    .constantFrom('admin', 'template-change', 'template-assigned', 'resync', 'enrollment')
    .map((by) => ({ type: 'sync-requested' as const, by })),
  fc.constant({ type: 'push-sent' as const }),
  fc.boolean().map((unlocked) => ({ type: 'device-answered' as const, unlocked })),
  fc
    .record({ matches: fc.boolean(), verified: fc.boolean() })
    .map((r) => ({ type: 'inventory-compared' as const, ...r })),
  fc.constant({ type: 'commands-finished' as const }),
  fc.constant({ type: 'not-responding-timeout' as const, threshold: THRESHOLD }),
);
const steps = fc.array(
  fc.record({ event: eventArb, dt: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 * DAY })) }),
  { maxLength: 60 },
);

describe('generated sequences', () => {
  it('stay within the five states; Synchronized only by a verified match; Not-Responding only after the threshold; log iff the state changed', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SYNC_STATES), steps, (start, seq) => {
        let d: SyncSubject = { syncState: start };
        let now = T0;
        // Oracle: pushes and answers as they happened.
        const pushes: number[] = [];
        const answers: number[] = [];
        for (const { event, dt } of seq) {
          now += dt;
          const at = new Date(now).toISOString();
          const r = transition(d, event, at);
          expect(SYNC_STATES).toContain(r.syncState);
          if (r.syncState !== d.syncState) {
            expect(r.log?.event).toBe('sync-state');
            expect(r.log?.message.startsWith(`${d.syncState} → ${r.syncState} (`)).toBe(true);
            expect(r.changes.syncState).toBe(r.syncState);
          } else {
            expect(r.log).toBeUndefined();
          }
          if (r.syncState === 'Synchronized' && d.syncState !== 'Synchronized') {
            expect(event).toMatchObject({ type: 'inventory-compared', matches: true, verified: true });
          }
          if (r.syncState === 'Not-Responding' && d.syncState !== 'Not-Responding') {
            expect(event.type).toBe('not-responding-timeout');
            // Some push at least THRESHOLD ago has had no answer strictly after it.
            const owed = pushes.filter((p) => p <= now - THRESHOLD && !answers.some((a) => a > p));
            expect(owed.length).toBeGreaterThan(0);
          }
          if (d.syncState === 'Not-Responding' && r.syncState !== 'Not-Responding') {
            expect(event.type).toBe('device-answered');
          }
          if (event.type === 'push-sent') pushes.push(now);
          if (event.type === 'device-answered') answers.push(now);
          d = applyTransition(d, r);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a device that never answers becomes Not-Responding once the sweep runs after the threshold', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: DAY }), { minLength: 1, maxLength: 20 }), (repushGaps) => {
        let d: SyncSubject = applyTransition(
          { syncState: 'Synchronized', lastSeenAt: t(-1) },
          transition({ syncState: 'Synchronized' }, { type: 'sync-requested', by: 'admin' }, t(0)),
        );
        d = applyTransition(d, transition(d, { type: 'push-sent' }, t(0)));
        let now = 0;
        for (const gap of repushGaps) {
          // the daily resync re-pushes; the clock must not restart
          now += gap;
          d = applyTransition(d, transition(d, { type: 'push-sent' }, t(now)));
        }
        const sweep = transition(d, { type: 'not-responding-timeout', threshold: THRESHOLD }, t(THRESHOLD));
        expect(sweep.syncState).toBe('Not-Responding');
      }),
    );
  });
});
