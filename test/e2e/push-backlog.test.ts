// Acceptance of issue 20 (docs/operations.md §Push backlog): under a backlog of minutes of bulk
// pushes, an admin Lock is pushed at the next minute boundary (within 75 s), another tenant's Lock
// is pushed at once (within 15 s), and no tenant's cap is exceeded in any minute. Times are read
// on the test's clock, which only the test moves: the queue's real delays are shortened
// (pushDeferDelaySeconds), and the test waits for outcomes, never for wall-clock time.
import { SimulatedAppleDevice } from '../../kit/apple-device';
import { type E2E, startE2E } from '../../kit/e2e';
import { pushCert } from '../../kit/tls';

jest.setTimeout(600_000);

const CAP = 10;
const FLEET = 40; // four minutes of pushes at the cap: a backlog of three minutes after the first
const OTHER = 'tenant-b';

describe('push backlog: admin first, tenants apart', () => {
  let e: E2E;
  let operatorKey: string;
  let otherKey: string;
  let otherDevice: SimulatedAppleDevice;
  let fleet: SimulatedAppleDevice[];
  let fleetTokens: string[];
  let templateId: string;
  /** Every push the fake APNs accepted, with the test clock's time when it arrived. */
  const arrivals: Array<{ token: string; at: number }> = [];

  const minuteNow = () => Math.floor(e.clock.peek().getTime() / 60_000);
  const arrivalOf = (token: string, after: number) => arrivals.find((a) => a.token === token && a.at >= after);

  async function ledger(tenant: string, from: number, to: number): Promise<number[]> {
    const used: number[] = [];
    for (let m = from; m <= to; m++) used.push(await e.local.app.stores.budget.used(tenant, m));
    return used;
  }

  async function lock(deviceId: string, key = e.adminKey): Promise<number> {
    const at = e.clock.peek().getTime();
    const r = await e.api('POST', `/admin/v1/devices/${deviceId}/commands`, { type: 'Lock' }, key);
    expect(r.status).toBe(202);
    return at;
  }

  beforeAll(async () => {
    e = await startE2E({
      config: { requireSignature: false, pushDeferDelaySeconds: 0.05 },
      patienceMs: 180_000,
    });
    operatorKey = e.local.credentials.operatorKey;
    e.apns.onPush((p) => {
      if (p.status === 200) arrivals.push({ token: p.token, at: e.clock.peek().getTime() });
    });
    e.autoPoll = false; // the devices stay silent: only the pushes are under test
    await e.uploadPushCert(pushCert({ name: 'e2e-backlog-demo' }));
    templateId = (await e.createTemplate({ name: 'fleet', items: [] })).id;
    fleet = await e.enrollShared(FLEET, { templateId });
    fleetTokens = fleet.map((d) => d.pushToken);
    await e.waitFor(() => arrivals.length >= FLEET, undefined, 'the enrollment pushes');

    // A second, small tenant with one device, created and capped by the operator.
    const created = await e.api('POST', '/admin/v1/tenants', { id: OTHER, name: 'Other' }, operatorKey);
    expect(created.status).toBe(201);
    otherKey = created.body.adminKey;
    const cert = pushCert({ name: 'e2e-backlog-other' });
    const upload = await e.api(
      'PUT',
      '/admin/v1/push/apns',
      { certificatePem: cert.certPem, privateKeyPem: cert.keyPem },
      otherKey,
    );
    expect(upload.status).toBe(200);
    const enrollment = await e.api('POST', '/admin/v1/enrollments', { platform: 'ios' }, otherKey);
    otherDevice = new SimulatedAppleDevice({ baseUrl: e.local.url, tenant: OTHER, platform: 'ios' });
    await otherDevice.enrollFully(enrollment.body.url);
    await e.waitFor(() => !!arrivalOf(otherDevice.pushToken, 0), undefined, 'the other tenant’s enrollment push');
    await e.settle();

    for (const tenant of ['demo', OTHER]) {
      const capped = await e.api('PUT', `/admin/v1/tenants/${tenant}`, { pushCapPerMinute: CAP }, operatorKey);
      expect(capped.status).toBe(200);
      expect(capped.body).toMatchObject({ id: tenant, pushCapPerMinute: CAP, pushCapIsCustom: true });
    }
  });
  afterAll(async () => {
    await e?.stop();
  });

  it('pushes an admin Lock at the next minute boundary and the other tenant’s Lock at once, every cap held', async () => {
    e.clock.nextMinute();
    const first = minuteNow();
    const phaseStart = e.clock.peek().getTime();
    const changed = await e.api('PUT', `/admin/v1/templates/${templateId}`, { name: 'fleet v2', items: [] });
    expect(changed.status).toBe(200);
    expect(await e.operation(changed.body.syncOperationId)).toMatchObject({ status: 'done', queued: FLEET });
    const fleetPushes = () => arrivals.filter((a) => a.at >= phaseStart && fleetTokens.includes(a.token));
    const bulkPushed = () => new Set(fleetPushes().map((a) => a.token)).size;
    /** What a failed wait reports: the pushes, the ledger, the backlog and the worker's errors. */
    const backlogReport = async () => {
      const left = await e.local.app.stores.pushBacklog.head('demo', 100);
      return (
        `${bulkPushed()} devices pushed, ledger ${await ledger('demo', first, minuteNow())}, ` +
        `${left.length} waiting (${left.map((r) => `${r.priority}:${r.deviceId}`).join(' ')}), ` +
        `batches ${e.pushBatches.started}/${e.pushBatches.finished}, dead letters ${e.local.queue.deadLetters.length}, ` +
        `errors: ${e.pushErrors.map((x) => `${JSON.stringify(x.message).slice(0, 80)} ${String(x.error)}`).join('; ') || 'none'}`
      );
    };
    await e.waitFor(
      async () => (await ledger('demo', first, first))[0] === CAP,
      undefined,
      'the first minute’s budget',
    );
    await e.waitFor(() => bulkPushed() === CAP, undefined, 'the first minute’s pushes');

    // The budget of this minute is spent and thirty devices wait: an admin locks one of them.
    const pushedNow = new Set(fleetPushes().map((a) => a.token));
    const waiting = fleet.find((d) => !pushedNow.has(d.pushToken))!;
    const lockedToken = waiting.pushToken;
    const lockAt = await lock(waiting.udid);

    // Meanwhile the other tenant locks its device: pushed without waiting for the first tenant.
    const otherLockAt = await lock(otherDevice.udid, otherKey);
    await e.waitFor(() => !!arrivalOf(otherDevice.pushToken, otherLockAt), undefined, 'the other tenant’s Lock');
    expect(arrivalOf(otherDevice.pushToken, otherLockAt)!.at - otherLockAt).toBeLessThan(15_000);
    expect(minuteNow()).toBe(first); // nobody moved the clock: no minute boundary was needed

    // The admin Lock waits for the minute boundary, then goes before the bulk backlog.
    const startedSoFar = e.pushBatches.started;
    await e.waitFor(() => e.pushBatches.finished > startedSoFar + 1, undefined, 'the worker trying again');
    expect(arrivalOf(lockedToken, lockAt)).toBeUndefined(); // the cap held: no room left this minute
    e.clock.nextMinute();
    await e.waitFor(() => !!arrivalOf(lockedToken, lockAt), undefined, 'the admin Lock');
    expect(arrivalOf(lockedToken, lockAt)!.at - lockAt).toBeLessThanOrEqual(75_000);
    await e
      .waitFor(async () => (await ledger('demo', first + 1, first + 1))[0] === CAP, undefined, 'minute two')
      .catch(async (err: Error) => {
        throw new Error(`${err.message}: ${await backlogReport()}`);
      });
    // The Lock spent this minute's budget ahead of the bulk pushes still waiting after it.
    expect(bulkPushed()).toBeLessThan(FLEET);

    // The backlog drains a cap's worth a minute until every device is pushed.
    for (let minute = 2; bulkPushed() < FLEET; minute++) {
      if (minute > FLEET / CAP + 2) throw new Error(`only ${bulkPushed()} devices pushed after ${minute} minutes`);
      const before = e.pushBatches.started;
      await e
        .waitFor(
          async () =>
            bulkPushed() === FLEET ||
            ((await ledger('demo', minuteNow(), minuteNow()))[0] === CAP && e.pushBatches.finished > before + 1),
          undefined,
          `the pushes of minute ${minute}`,
        )
        .catch(async (err: Error) => {
          throw new Error(`${err.message}: ${await backlogReport()}`);
        });
      if (bulkPushed() < FLEET) e.clock.nextMinute();
    }
    // The drain due at the next minute boundary finds nothing left to push (what is left was covered
    // by a push already sent): the backlog empties and the chain ends.
    e.clock.nextMinute();
    await e.waitFor(
      async () => (await e.local.app.stores.pushBacklog.head('demo', 1)).length === 0,
      undefined,
      'the backlog to empty',
    );
    await e.settle();
    expect(e.local.queue.deadLetters).toEqual([]); // no push message was given up on
    const demoLedger = await ledger('demo', first, minuteNow());
    const otherLedger = await ledger(OTHER, first, minuteNow());
    expect(Math.max(...demoLedger)).toBeLessThanOrEqual(CAP);
    expect(Math.max(...otherLedger)).toBeLessThanOrEqual(CAP);
    // Every push that reached APNs in the phase was paid for, each device once (the Lock's push
    // also served that device's waiting template change).
    const phasePushes = fleetPushes();
    expect(phasePushes).toHaveLength(demoLedger.reduce((a, b) => a + b, 0));
    expect(new Set(phasePushes.map((a) => a.token))).toEqual(new Set(fleetTokens));
  });
});
