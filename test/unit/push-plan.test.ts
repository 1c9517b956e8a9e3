import fc from 'fast-check';
import type { TenantBudget } from '../../lambdas/domain/push-plan';
import { PushBacklog, planMinute } from '../../lambdas/domain/push-plan';
import type { PushPriority, PushRequest } from '../../lambdas/domain/types';
import { simulateDrain } from '../support/push-drain';

const START = 29_000_000; // an epoch minute (2025)
const at = (minute: number, seconds = 0) => new Date(minute * 60_000 + seconds * 1000).toISOString();

const req = (
  tenantId: string,
  deviceId: string,
  priority: PushPriority = 'bulk',
  requestedAt = at(START),
): PushRequest => ({
  tenantId,
  deviceId,
  priority,
  reason: priority === 'admin' ? 'admin' : 'template-change',
  requestedAt,
});

/** Many requests without a million distinct timestamp strings. */
function* bulk(tenantId: string, count: number, requestedAt = at(START)): Generator<PushRequest> {
  for (let i = 0; i < count; i++)
    yield { tenantId, deviceId: `d${i}`, priority: 'bulk', reason: 'resync', requestedAt };
}

const budgets = (entries: Record<string, TenantBudget>) => new Map(Object.entries(entries));

describe('planMinute', () => {
  it('sends admin before bulk and oldest first, up to the remaining budget', () => {
    const requests = [
      req('t', 'b1', 'bulk', at(START, 1)),
      req('t', 'a2', 'admin', at(START, 5)),
      req('t', 'b0', 'bulk', at(START, 0)),
      req('t', 'a1', 'admin', at(START, 3)),
      req('t', 'b2', 'bulk', at(START, 2)),
    ];
    const plan = planMinute(requests, budgets({ t: { cap: 10, used: 7 } }));
    expect(plan.sendNow.map((r) => r.deviceId)).toEqual(['a1', 'a2', 'b0']);
    expect(plan.defer.map((r) => r.deviceId)).toEqual(['b1', 'b2']);
    expect(plan.duplicates).toEqual([]);
  });

  it('never goes over the cap, even when the minute is already over-used', () => {
    const plan = planMinute([req('t', 'x'), req('t', 'y', 'admin')], budgets({ t: { cap: 5, used: 9 } }));
    expect(plan.sendNow).toEqual([]);
    expect(plan.defer.map((r) => r.deviceId)).toEqual(['y', 'x']);
  });

  it('keeps budgets per tenant', () => {
    const requests = [...bulk('big', 100), req('small', 's1'), req('small', 's2', 'admin')];
    const plan = planMinute(requests, budgets({ big: { cap: 10, used: 0 }, small: { cap: 10, used: 0 } }));
    expect(plan.sendNow.filter((r) => r.tenantId === 'big')).toHaveLength(10);
    expect(plan.sendNow.filter((r) => r.tenantId === 'small').map((r) => r.deviceId)).toEqual(['s2', 's1']);
    expect(plan.defer).toHaveLength(90);
  });

  it('collapses duplicates per (tenant, device), keeping the highest priority', () => {
    const bulkFirst = req('t', 'd1', 'bulk', at(START, 0));
    const adminLater = req('t', 'd1', 'admin', at(START, 30));
    const bulkAgain = req('t', 'd1', 'bulk', at(START, 40));
    const otherTenant = req('u', 'd1', 'bulk', at(START, 0));
    const plan = planMinute(
      [bulkFirst, adminLater, bulkAgain, otherTenant],
      budgets({ t: { cap: 1, used: 0 }, u: { cap: 1, used: 0 } }),
    );
    expect(plan.sendNow).toEqual([adminLater, otherTenant]);
    expect(plan.defer).toEqual([]);
    expect(plan.duplicates).toEqual(expect.arrayContaining([bulkFirst, bulkAgain]));
    expect(plan.duplicates).toHaveLength(2);
  });

  it('keeps the older request of two with the same priority', () => {
    const older = req('t', 'd1', 'bulk', at(START, 1));
    const newer = req('t', 'd1', 'bulk', at(START, 2));
    expect(planMinute([newer, older], budgets({ t: { cap: 5, used: 0 } })).sendNow).toEqual([older]);
  });

  it('refuses a tenant without a budget', () => {
    expect(() => planMinute([req('t', 'd')], new Map())).toThrow(/no push budget/);
  });
});

describe('simulateDrain', () => {
  it('drains 1,000,000 bulk requests at 10,000/min in exactly 100 minutes, never over the cap', () => {
    const result = simulateDrain(bulk('t', 1_000_000), 10_000, START);
    expect(result.minutes).toHaveLength(100);
    expect(result.minutes.every((m) => m.sent === 10_000)).toBe(true);
    expect(result.minutes[0].minute).toBe(START);
    expect(result.finishedAt.t).toBe(START + 99);
  });

  it('sends admin requests that arrive mid-drain in the next minute, ahead of bulk', () => {
    const admins = Array.from({ length: 50 }, (_, i) => req('t', `d${i * 1000}`, 'admin', at(START + 10, 30)));
    const sentAt = new Map<string, number>();
    const order: Record<number, PushRequest[]> = {};
    const result = simulateDrain([...bulk('t', 100_000), ...admins], 1_000, START, {
      onSend: (minute, sent) => {
        for (const r of sent) if (r.priority === 'admin') sentAt.set(r.deviceId, minute);
        if (minute === START + 11) order[minute] = sent;
      },
    });
    expect([...sentAt.values()]).toEqual(Array(50).fill(START + 11));
    const minute11 = order[START + 11];
    expect(minute11).toHaveLength(1_000);
    expect(minute11.slice(0, 50).every((r) => r.priority === 'admin')).toBe(true);
    expect(minute11.slice(50).every((r) => r.priority === 'bulk')).toBe(true);
    // Devices already sent as bulk before minute 11 get a new push; pending ones were upgraded.
    const pendingAtArrival = admins.filter((r) => Number(r.deviceId.slice(1)) >= 11_000).length;
    expect(result.duplicates).toBe(pendingAtArrival);
    expect(result.minutes.every((m) => m.sent <= 1_000)).toBe(true);
  });

  it('finishes a small tenant in the first minute despite a large backlog elsewhere', () => {
    const small = Array.from({ length: 50 }, (_, i) => req('small', `s${i}`));
    const result = simulateDrain([...bulk('big', 1_000_000), ...small], 10_000, START);
    expect(result.finishedAt.small).toBe(START);
    expect(result.minutes[0].byTenant).toEqual({ big: 10_000, small: 50 });
    expect(result.finishedAt.big).toBe(START + 99);
  });

  it('collapses duplicates across the backlog', () => {
    const result = simulateDrain([...bulk('t', 10), ...bulk('t', 10), req('t', 'd3', 'admin')], 100, START);
    expect(result.minutes).toEqual([{ minute: START, sent: 10, byTenant: { t: 10 } }]);
    expect(result.duplicates).toBe(11);
  });

  it('returns no minutes for no requests', () => {
    expect(simulateDrain([], 10, START).minutes).toEqual([]);
  });
});

describe('properties', () => {
  const arbRequest = fc.record({
    tenantId: fc.constantFrom('a', 'b', 'c'),
    deviceId: fc.integer({ min: 0, max: 30 }).map((i) => `d${i}`),
    priority: fc.constantFrom<PushPriority>('admin', 'bulk'),
    reason: fc.constant('test'),
    // Arrivals spread over five minutes, at whole seconds.
    requestedAt: fc.integer({ min: 0, max: 300 }).map((s) => at(START, s)),
  });
  const arbCaps = fc.record({
    a: fc.integer({ min: 1, max: 10 }),
    b: fc.integer({ min: 1, max: 10 }),
    c: fc.integer({ min: 1, max: 10 }),
  });

  it('planMinute: partitions the input, respects each budget, orders admin then FIFO', () => {
    fc.assert(
      fc.property(
        fc.array(arbRequest, { maxLength: 80 }),
        arbCaps,
        fc.integer({ min: 0, max: 12 }),
        (requests, caps, used) => {
          const plan = planMinute(requests, new Map(Object.entries(caps).map(([t, cap]) => [t, { cap, used }])));
          // Nothing dropped: every request is sent, deferred or collapsed, exactly once.
          expect(plan.sendNow.length + plan.defer.length + plan.duplicates.length).toBe(requests.length);
          expect(new Set([...plan.sendNow, ...plan.defer, ...plan.duplicates]).size).toBe(requests.length);
          const pending = [...plan.sendNow, ...plan.defer].map((r) => `${r.tenantId}/${r.deviceId}`);
          expect(new Set(pending).size).toBe(pending.length);
          expect(new Set(pending)).toEqual(new Set(requests.map((r) => `${r.tenantId}/${r.deviceId}`)));
          for (const [tenant, cap] of Object.entries(caps)) {
            const now = plan.sendNow.filter((r) => r.tenantId === tenant);
            const later = plan.defer.filter((r) => r.tenantId === tenant);
            expect(now.length).toBeLessThanOrEqual(Math.max(0, cap - used));
            if (later.length > 0) expect(now.length).toBe(Math.max(0, cap - used));
            if (now.some((r) => r.priority === 'bulk')) expect(later.some((r) => r.priority === 'admin')).toBe(false);
            for (const p of ['admin', 'bulk'] as const) {
              const times = [...now, ...later].filter((r) => r.priority === p).map((r) => r.requestedAt);
              expect(times).toEqual([...times].sort());
            }
          }
        },
      ),
    );
  });

  it('simulateDrain: no minute over any cap, and every device gets its push', () => {
    fc.assert(
      fc.property(fc.array(arbRequest, { maxLength: 120 }), arbCaps, (requests, caps) => {
        const sent: Array<{ r: PushRequest; minute: number }> = [];
        const result = simulateDrain(requests, caps, START, {
          onSend: (minute, batch) => batch.forEach((r) => sent.push({ r, minute })),
        });
        for (const m of result.minutes) {
          for (const [tenant, n] of Object.entries(m.byTenant))
            expect(n).toBeLessThanOrEqual(caps[tenant as 'a' | 'b' | 'c']);
        }
        expect(sent.length + result.duplicates).toBe(requests.length);
        // Each request is either sent itself (not before it arrived) or covered by a push to the
        // same device sent at or after its arrival.
        for (const r of requests) {
          const arrival = Math.ceil(Date.parse(r.requestedAt) / 60_000);
          const covered = sent.some(
            (s) => s.r.tenantId === r.tenantId && s.r.deviceId === r.deviceId && s.minute >= arrival,
          );
          expect(covered).toBe(true);
        }
      }),
    );
  });

  it('PushBacklog.take never returns more than asked', () => {
    fc.assert(
      fc.property(fc.array(arbRequest, { maxLength: 60 }), fc.integer({ min: 0, max: 20 }), (requests, n) => {
        const backlog = new PushBacklog();
        backlog.add(requests);
        const before = backlog.pending('a');
        const taken = backlog.take('a', n);
        expect(taken.length).toBe(Math.min(n, before));
        expect(backlog.pending('a')).toBe(before - taken.length);
      }),
    );
  });
});
