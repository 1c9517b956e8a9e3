// The fleet simulator (`npm run simulate`, scripts/simulate.ts) run programmatically on a small
// mixed fleet: every device that answers pushes ends Synchronized, the offline ones do not, the
// locked iPhone syncs once unlocked, and the server never reserves more pushes in a minute than
// the tenant's cap — with a cap small enough to hold pushes back.
import { runSimulation } from '../../scripts/sim/run';

// The timeouts only guard against a hang: a loaded 2-core machine may take minutes.
jest.setTimeout(600_000);

describe('fleet simulator', () => {
  it('syncs every reachable device of a mixed fleet under a biting push cap', async () => {
    const cap = 3;
    const report = await runSimulation({
      devices: 20,
      androidShare: 0.3,
      offlineShare: 0.15,
      lockedShare: 0.1,
      unlockAfterSeconds: 0.5,
      // Server minutes of half a real second, so the cap defers pushes within the test's time.
      cap,
      minuteSeconds: 0.5,
      timeoutSeconds: 240,
      // One API worker beside the main server: the threads the CLI runs by default, started once each.
      apiWorkers: 1,
    });

    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.fleet).toMatchObject({ total: 20, ios: 14, android: 6, offline: 3, locked: 2, reachable: 17 });
    const byRole = report.finalStatesByRole;
    for (const role of ['ios online', 'ios locked', 'android online', 'android locked'])
      expect(byRole[role]).toEqual({ Synchronized: expect.any(Number) });
    // Offline devices were pushed (enrollment, template) and never answered.
    expect(byRole['ios offline']).toEqual({ 'Sync-Requested': 2 });
    expect(byRole['android offline']).toEqual({ 'Sync-Requested': 1 });
    expect(report.pushes.unanswered).toBe(2 * 3);

    // Every push was paid for, no server minute went over the cap, and the cap did bite.
    const reserved = report.pushes.budgetPerMinute!;
    expect(Math.max(...reserved)).toBe(cap);
    expect(reserved.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(report.pushes.total);
    expect(report.pushes.total).toBeGreaterThanOrEqual(2 * 20);

    // The locked iPhone said NotNow to its installs, then synced once unlocked.
    expect(report.errors.notNow).toBeGreaterThanOrEqual(1);
    expect(report.errors).toMatchObject({ sessionFailures: 0, commandErrors: 0, deadLetters: 0, alarms: [] });
    expect(report.commands.templateSync.ios!.max).toBeGreaterThan(report.commands.templateSync.android!.max);
    expect(report.templateSync.allReachableSeconds).not.toBeNull();
  });
});
