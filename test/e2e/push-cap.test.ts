// Acceptance of the push pipeline: a template change on 50 devices goes out under the tenant's
// per-minute cap, each device pushed exactly once; a dead token stops that device's pushes; a
// revoked certificate raises the critical alarm and stops the tenant's pushes until a new upload.
// The assertions are what the design guarantees, read from the budget ledger and the fake APNs,
// and the test waits for outcomes, never for the clock: it holds on a slow or loaded machine.
import type { SimulatedAppleDevice } from '../../kit/apple-device';
import { type E2E, startE2E } from '../../kit/e2e';
import { pushCert } from '../../kit/tls';

// Generous guards against a hang: on a loaded 2-core machine a minute's pushes can take long.
jest.setTimeout(600_000);

const CAP = 10;
const FLEET = 50;
const TENANT = 'demo';

describe('push pipeline', () => {
  let e: E2E;
  let devices: SimulatedAppleDevice[];
  let templateId: string;
  /** The token of every push the fake APNs received, in order. */
  const arrivals: string[] = [];
  const cert = pushCert({ name: 'e2e-push-cap' });

  const minuteNow = () => Math.floor(e.clock.peek().getTime() / 60_000);
  const sum = (counts: number[]) => counts.reduce((a, b) => a + b, 0);

  /** The budget ledger: the pushes reserved in each (fake) minute from `firstMinute` to now. */
  async function ledger(firstMinute: number): Promise<number[]> {
    const used: number[] = [];
    for (let m = firstMinute; m <= minuteNow(); m++) used.push(await e.local.app.stores.budget.used(TENANT, m));
    return used;
  }

  /** Starts a phase in a fresh minute: its pushes are the arrivals and ledger minutes from here. */
  function newPhase() {
    e.clock.nextMinute();
    return { start: arrivals.length, firstMinute: minuteNow() };
  }

  /**
   * Lets the queued pushes go out until every device was pushed: each minute, waits until the
   * minute's budget is spent (or no device is left) and every push it paid for reached APNs, and
   * then for the worker to try again within the minute (a broken cap would push more now), before
   * it moves the clock on; then waits until nothing is queued, and one more minute brings nothing.
   * Returns the tokens pushed and the ledger of the phase.
   */
  async function drainPushes(phase: {
    start: number;
    firstMinute: number;
  }): Promise<{ tokens: string[]; perMinute: number[] }> {
    const pushed = () => arrivals.length - phase.start;
    const devicesPushed = () => new Set(arrivals.slice(phase.start)).size;
    // At most two requests per device in these tests: never more minutes than a full cap for each.
    for (let minute = 0; devicesPushed() < FLEET; minute++) {
      if (minute > (2 * FLEET) / CAP) throw new Error(`only ${devicesPushed()} devices pushed after ${minute} minutes`);
      await e.waitFor(
        async () => {
          const spent = await ledger(phase.firstMinute);
          return pushed() >= sum(spent) && (spent[spent.length - 1] >= CAP || devicesPushed() === FLEET);
        },
        undefined,
        `the pushes of minute ${minute}`,
      );
      if (devicesPushed() === FLEET) break;
      const startedSoFar = e.pushBatches.started;
      await e.waitFor(
        () => e.pushBatches.finished > startedSoFar,
        undefined,
        `a batch handled after the budget of minute ${minute} was spent`,
      );
      e.clock.nextMinute();
    }
    await e.settle();
    const total = pushed();
    // Every request left in the backlog is covered by a push already sent: the next minute's drain
    // removes them without a push.
    e.clock.nextMinute();
    await e.waitFor(
      async () => (await e.local.app.stores.pushBacklog.head(TENANT, 1)).length === 0,
      undefined,
      'the backlog to empty',
    );
    await e.settle();
    expect(pushed()).toBe(total); // nothing was left waiting for the next minute's budget
    const perMinute = await ledger(phase.firstMinute);
    return { tokens: arrivals.slice(phase.start), perMinute };
  }

  /** The budget held: no minute over the cap, and every push that reached APNs was paid for. */
  function expectCapHeld(pushes: { tokens: string[]; perMinute: number[] }) {
    expect(Math.max(...pushes.perMinute)).toBeLessThanOrEqual(CAP);
    expect(pushes.tokens).toHaveLength(sum(pushes.perMinute));
  }

  /** Holds every push back while the admin edits the template twice, then lets them go. */
  async function twoEditsInARow(): Promise<{ tokens: string[]; perMinute: number[] }> {
    const phase = newPhase();
    e.local.app.config.pushCapPerMinute = 0;
    for (const name of ['fleet v3', 'fleet v4']) {
      const edited = await e.api('PUT', `/admin/v1/templates/${templateId}`, {
        name: `${name} ${phase.firstMinute}`,
        items: [],
        prohibitedApps: ['com.example.game'],
      });
      expect(edited.status).toBe(200);
      expect(await e.operation(edited.body.syncOperationId)).toMatchObject({ status: 'done', queued: FLEET });
    }
    expect(arrivals.length).toBe(phase.start); // both edits' requests are queued, none pushed under a cap of 0
    e.local.app.config.pushCapPerMinute = CAP;
    // What the spent budget turned away waits in the tenant's backlog for the next minute's drain.
    e.clock.nextMinute();
    const pushes = await drainPushes(phase);
    await e.settle(async () =>
      (await Promise.all(devices.slice(0, 5).map((d) => e.device(d.udid)))).every(
        (d) => d.syncState === 'Synchronized',
      ),
    );
    return pushes;
  }

  beforeAll(async () => {
    // Signatures off: the 50 simulators share one server-issued identity (RSA keys are the slow part).
    e = await startE2E({
      config: { pushCapPerMinute: CAP, requireSignature: false, pushDeferDelaySeconds: 0.05 },
      patienceMs: 180_000,
    });
    e.apns.onPush((p) => arrivals.push(p.token));
    await e.uploadPushCert(cert);
    templateId = (await e.createTemplate({ name: 'fleet', items: [] })).id;
    // Enrollment is setup, not the subject: lift the cap while the fleet enrolls, then wait until
    // every enrollment push went out (the devices stay silent: most of them have no network).
    e.autoPoll = false;
    e.local.app.config.pushCapPerMinute = 10_000;
    devices = await e.enrollShared(FLEET, { templateId });
    await e.waitFor(() => arrivals.length === FLEET, undefined, 'the enrollment pushes');
    await e.settle();
    e.local.app.config.pushCapPerMinute = CAP;
    // Five devices answer their pushes from now on; the rest have no network.
    devices.slice(5).forEach((d) => {
      d.offline = true;
    });
    e.autoPoll = true;
  });
  afterAll(async () => {
    await e?.stop();
  });

  it('re-pushes every device of a changed template exactly once, never more than the cap per minute', async () => {
    const phase = newPhase();
    const changed = await e.api('PUT', `/admin/v1/templates/${templateId}`, {
      name: 'fleet v2',
      items: [],
      prohibitedApps: ['com.example.game'],
    });
    expect(changed.status).toBe(200);
    expect(await e.operation(changed.body.syncOperationId)).toMatchObject({
      status: 'done',
      targeted: FLEET,
      queued: FLEET,
    });
    const pushes = await drainPushes(phase);
    expectCapHeld(pushes);
    expect(pushes.tokens).toHaveLength(FLEET);
    expect(new Set(pushes.tokens)).toEqual(new Set(devices.map((d) => d.pushToken)));

    // The devices that answered finished their sync; the others wait for the push they missed.
    await e.settle(async () =>
      (await Promise.all(devices.slice(0, 5).map((d) => e.device(d.udid)))).every(
        (d) => d.syncState === 'Synchronized',
      ),
    );
    const offline = await e.device(devices[10].udid);
    expect(offline.syncState).toBe('Sync-Requested');
  });

  it('coalesces two template edits in a row: the second rides on the first one’s pushes', async () => {
    // One worker: each batch sees the pushes of the batches before it, so no device is pushed twice.
    e.onePushWorker = true;
    try {
      const pushes = await twoEditsInARow();
      expectCapHeld(pushes);
      expect(pushes.tokens).toHaveLength(FLEET);
      expect(new Set(pushes.tokens).size).toBe(FLEET);
    } finally {
      e.onePushWorker = false;
    }
  });

  it('holds the cap with concurrent workers: every device pushed, none more often than it was asked for', async () => {
    // Batches racing at a minute's start may both push a device the other has not marked yet
    // (APNs coalesces them); the budget is shared, and no request is pushed twice.
    const pushes = await twoEditsInARow();
    expectCapHeld(pushes);
    const perDevice = new Map<string, number>();
    for (const token of pushes.tokens) perDevice.set(token, (perDevice.get(token) ?? 0) + 1);
    expect([...perDevice.keys()].sort()).toEqual(devices.map((d) => d.pushToken).sort());
    expect(Math.max(...perDevice.values())).toBeLessThanOrEqual(2);
  });

  it('stops pushing a dead token, logs it, and resumes when the device sends a new one', async () => {
    const dead = devices[0];
    e.clock.nextMinute();
    e.apns.always(dead.pushToken, { status: 410, reason: 'Unregistered', timestamp: Date.now() });
    expect((await e.api('POST', `/admin/v1/devices/${dead.udid}/commands`, { type: 'Sync' })).status).toBe(202);
    await e.waitFor(async () => (await e.device(dead.udid)).pushTokenDead === true, undefined, 'pushTokenDead');
    const logs = await e.api('GET', `/admin/v1/logs?deviceId=${dead.udid}&q=push token`);
    expect(logs.body.items.some((l: { event: string }) => l.event === 'push-token-dead')).toBe(true);

    const attempts = () => e.apns.pushes.filter((p) => p.token === dead.pushToken).length;
    const before = attempts();
    expect((await e.api('POST', `/admin/v1/devices/${dead.udid}/commands`, { type: 'Sync' })).status).toBe(202);
    await e.settle(); // the request was handled (skipped): nothing is queued
    expect(attempts()).toBe(before);

    // A new token (TokenUpdate) brings it back.
    e.apns.always(dead.pushToken, undefined);
    expect((await dead.tokenUpdate(true)).status).toBe(200);
    expect((await e.device(dead.udid)).pushTokenDead).toBe(false);
  });

  it('raises the critical alarm on a revoked certificate, stops the tenant’s pushes, and resumes after a new upload', async () => {
    const device = devices[1];
    e.clock.nextMinute();
    e.apns.answerAll({ status: 403, reason: 'BadCertificate' });
    expect((await e.api('POST', `/admin/v1/devices/${device.udid}/commands`, { type: 'Sync' })).status).toBe(202);
    await e.waitFor(
      async () => (await e.api('GET', '/admin/v1/dashboard')).body.alarms.critical === 1,
      undefined,
      'the critical alarm',
    );
    const dashboard = (await e.api('GET', '/admin/v1/dashboard')).body;
    expect(
      dashboard.activeAlarms.some(
        (a: { severity: string; message: string }) =>
          a.severity === 'critical' && /renew the Apple push certificate/.test(a.message),
      ),
    ).toBe(true);

    const recorded = e.apns.pushes.length;
    expect((await e.api('POST', `/admin/v1/devices/${device.udid}/commands`, { type: 'Sync' })).status).toBe(202);
    expect((await e.api('POST', `/admin/v1/devices/${devices[2].udid}/commands`, { type: 'Sync' })).status).toBe(202);
    await e.settle(); // both requests were handled (skipped): nothing is queued
    expect(e.apns.pushes.length).toBe(recorded); // nothing reaches APNs with a refused certificate
    expect((await e.api('GET', `/admin/v1/devices/${device.udid}/diagnosis`)).body.verdict).toBe(
      'push-credential-invalid',
    );

    // The renewed certificate (same topic, new key) clears the alarm and pushes flow again.
    e.apns.answerAll(undefined);
    const renewed = pushCert({ uuid: cert.topic.replace('com.apple.mgmt.External.', '') });
    const waiting = devices[2];
    const waitingBefore = e.pushesTo(waiting.pushToken).length;
    await e.uploadPushCert(renewed);
    const after = (await e.api('GET', '/admin/v1/dashboard')).body;
    expect(after.alarms.critical).toBe(0);
    // The push skipped during the outage goes out by itself.
    await e.waitFor(
      () => e.pushesTo(waiting.pushToken).length > waitingBefore,
      undefined,
      'the skipped push after the renewal',
    );
    expect(e.pushesTo(waiting.pushToken).at(-1)!.clientCertSubject).toContain(cert.topic);
    e.clock.nextMinute();
    const before = e.pushesTo(device.pushToken).length;
    expect((await e.api('POST', `/admin/v1/devices/${device.udid}/commands`, { type: 'Sync' })).status).toBe(202);
    await e.waitFor(
      () => e.pushesTo(device.pushToken).length > before,
      undefined,
      'a push with the renewed certificate',
    );
    const last = e.pushesTo(device.pushToken).at(-1)!;
    expect(last.clientTopic).toBe(cert.topic);
    await e.waitFor(
      async () => (await e.device(device.udid)).syncState === 'Synchronized',
      undefined,
      'the device to sync again',
    );
  });
});
