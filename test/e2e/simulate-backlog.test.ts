// The simulator's push-backlog scenario (`npm run simulate -- --scenario backlog`) run
// programmatically at a small size: the resync under a small cap pushes every device, every Lock
// (the large tenant's admin's and the small tenant's) is pushed and measured, and no tenant's budget
// goes over its cap in any minute. The waits themselves are on a fast server clock and move with
// the machine's load, so they are reported, not judged here; test/e2e/push-backlog.test.ts holds
// their bounds on a clock only the test moves.
import { runBacklogScenario } from '../../scripts/sim/backlog';

// Only a guard against a hang: a loaded 2-core machine may take minutes.
jest.setTimeout(600_000);

describe('push backlog scenario', () => {
  it('resyncs a large tenant under its cap while both tenants’ Locks are pushed and measured', async () => {
    const cap = 10;
    const report = await runBacklogScenario({ devices: 40, smallDevices: 3, cap, minuteSeconds: 3 });

    expect(report.resyncMinutes).toBeGreaterThanOrEqual(3); // 40 devices at 10 a minute: a backlog
    expect(report.waits.admin.n).toBeGreaterThanOrEqual(2);
    expect(report.waits.otherTenant.n).toBeGreaterThanOrEqual(report.waits.admin.n);
    for (const figures of [report.waits.admin, report.waits.otherTenant]) expect(figures.max).not.toBeNull();
    expect(report.capExceeded).toBe(false);
    expect(Math.max(...report.budgetPerMinute.large)).toBe(cap); // the cap did bite
    expect(Math.max(...report.budgetPerMinute.small)).toBeLessThanOrEqual(cap);
    expect(report.problems.filter((p) => !/waited/.test(p))).toEqual([]);
    // The large tenant's backlog costs a drain a minute, not a message per deferred request.
    expect(report.queueMessages.drains).toBeLessThanOrEqual(2 * report.budgetPerMinute.large.length);
  });
});
