// The drain chain of a tenant's push backlog (docs/operations.md §Push backlog): a drain message
// delivered before its minute (the queue's delay ran ahead of the clock) must stay the pending
// drain of that minute, and must not spend the current minute's budget or touch the backlog; a drain
// delivered late (retried, held up) must not read the backlog beside the drain of the current minute.

import { TestClock } from '../../kit/e2e';
import type { PushRequest } from '../../lambdas/domain/types';
import { drainBacklog } from '../../lambdas/service/push-worker';
import { type LocalServer, startLocal } from '../../lambdas/wiring/local';

describe('push backlog drain chain', () => {
  let local: LocalServer;
  const clock = new TestClock();
  const drains: Array<{ tenantId: string; minute: number }> = [];
  const minuteNow = () => Math.floor(clock.peek().getTime() / 60_000);

  beforeAll(async () => {
    local = await startLocal({ inMemory: true, port: 0, schedules: false, clock });
    // Record the drains queued instead of delivering them: the test plays the queue.
    local.app.pushQueue.sendDrain = async (tenantId, minute) => void drains.push({ tenantId, minute });
  });
  afterAll(async () => {
    await local?.stop();
  });
  const bulkRequest = (deviceId: string): PushRequest => ({
    tenantId: 'demo',
    deviceId,
    priority: 'bulk',
    reason: 'template-change',
    requestedAt: clock.peek().toISOString(),
  });

  it('re-queues a drain delivered early for its own minute and leaves the backlog to it', async () => {
    const waiting = bulkRequest('not-enrolled');
    await local.app.stores.pushBacklog.add([waiting]);
    const due = minuteNow() + 1;

    const early = await drainBacklog(local.app, 'demo', due);
    expect(early).toEqual({ sent: 0, deferred: 0, dead: 0, skipped: 0 });
    expect(drains).toEqual([{ tenantId: 'demo', minute: due }]);
    expect(await local.app.stores.pushBacklog.head('demo', 10)).toEqual([waiting]);

    // At its minute the drain does its work: a request for a device that cannot be pushed leaves
    // the backlog, which is then empty, so the chain ends without a further drain.
    clock.nextMinute();
    const onTime = await drainBacklog(local.app, 'demo', due);
    expect(onTime.skipped).toBe(1);
    expect(await local.app.stores.pushBacklog.head('demo', 10)).toEqual([]);
    expect(drains).toHaveLength(1);
  });

  it('lets a late drain take over an unowned minute, and leaves an owned one to its owner', async () => {
    const waiting = bulkRequest('not-enrolled-either');
    await local.app.stores.pushBacklog.add([waiting]);
    clock.nextMinute();
    const owned = minuteNow();
    expect(await local.app.stores.pushBacklog.claimDrain('demo', owned)).toBe(true);

    // The drain of the minute before, retried now: the owner of this minute drains, not this one.
    const late = await drainBacklog(local.app, 'demo', owned - 1);
    expect(late).toEqual({ sent: 0, deferred: 0, dead: 0, skipped: 0 });
    expect(await local.app.stores.pushBacklog.head('demo', 10)).toEqual([waiting]);

    // A minute later nobody owns the minute: the late drain claims it and does the work.
    clock.nextMinute();
    const takenOver = await drainBacklog(local.app, 'demo', owned - 1);
    expect(takenOver.skipped).toBe(1);
    expect(await local.app.stores.pushBacklog.head('demo', 10)).toEqual([]);
    expect(await local.app.stores.pushBacklog.claimDrain('demo', minuteNow())).toBe(false);
  });
});
