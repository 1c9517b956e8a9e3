// Acceptance of the push pipeline: a template change on 50 devices goes out under the tenant's
// per-minute cap, each device pushed exactly once; a dead token stops that device's pushes; a
// revoked certificate raises the critical alarm and stops the tenant's pushes until a new upload.
import type { SimulatedAppleDevice } from '../../kit/apple-device';
import { startE2E, type E2E } from '../../kit/e2e';
import { pushCert } from '../../kit/tls';

jest.setTimeout(60_000);

const CAP = 10;
const FLEET = 50;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('push pipeline', () => {
  let e: E2E;
  let devices: SimulatedAppleDevice[];
  let templateId: string;
  /** Every push the fake APNs accepted, with the fake minute it arrived in. */
  const arrivals: Array<{ token: string; minute: number }> = [];
  const cert = pushCert({ name: 'e2e-push-cap' });

  const minuteNow = () => Math.floor(e.clock.peek().getTime() / 60_000);
  const sinceIndex = (i: number) => arrivals.slice(i);

  /**
   * Lets the queued pushes go out minute by minute: waits for this minute's share, makes sure no
   * more come in the same minute, then moves the clock to the next minute. Returns the arrivals.
   */
  async function runCycle(expected: number): Promise<Array<{ token: string; minute: number }>> {
    const start = arrivals.length;
    const startMinute = minuteNow();
    for (let minute = 0; arrivals.length - start < expected; minute++) {
      if (minute > Math.ceil(expected / CAP) + 1) throw new Error(`pushes still missing after ${minute} minutes: ${arrivals.length - start}/${expected}`);
      const want = Math.min(expected, (minute + 1) * CAP);
      await e.waitFor(() => arrivals.length - start >= want, 10_000, `${want} pushes by minute ${minute}`);
      await sleep(150); // deferred batches retry every 50 ms: any push over the cap would show now
      if (arrivals.length - start < expected) e.clock.nextMinute();
    }
    await sleep(150);
    const cycle = sinceIndex(start);
    const perMinute = new Map<number, number>();
    for (const a of cycle) perMinute.set(a.minute, (perMinute.get(a.minute) ?? 0) + 1);
    expect([...perMinute.values()].every((n) => n <= CAP)).toBe(true);
    expect(Math.min(...perMinute.keys())).toBeGreaterThanOrEqual(startMinute);
    expect(cycle).toHaveLength(expected);
    return cycle;
  }

  beforeAll(async () => {
    // Signatures off: the 50 simulators share one server-issued identity (RSA keys are the slow part).
    e = await startE2E({ config: { pushCapPerMinute: CAP, requireSignature: false, pushDeferDelaySeconds: 0.05 } });
    e.apns.onPush((p) => arrivals.push({ token: p.token, minute: minuteNow() }));
    await e.uploadPushCert(cert);
    templateId = (await e.createTemplate({ name: 'fleet', items: [] })).id;
    // Enrollment is setup, not the subject: lift the cap while the fleet enrolls, then wait until
    // every enrollment push went out (the devices stay silent: most of them have no network).
    e.autoPoll = false;
    e.local.app.config.pushCapPerMinute = 10_000;
    devices = await e.enrollShared(FLEET, { templateId });
    await e.waitFor(() => arrivals.length === FLEET, 10_000, 'the enrollment pushes');
    await e.settle();
    e.local.app.config.pushCapPerMinute = CAP;
    // Five devices answer their pushes from now on; the rest have no network.
    devices.slice(5).forEach((d) => { d.offline = true; });
    e.autoPoll = true;
  });
  afterAll(async () => {
    await e?.stop();
  });

  it('re-pushes every device of a changed template exactly once, never more than the cap per minute', async () => {
    e.clock.nextMinute();
    const changed = await e.api('PUT', `/admin/v1/templates/${templateId}`, { name: 'fleet v2', items: [], prohibitedApps: ['com.example.game'] });
    expect(changed.status).toBe(200);
    expect(await e.operation(changed.body.syncOperationId)).toMatchObject({ status: 'done', targeted: FLEET, queued: FLEET });
    const cycle = await runCycle(FLEET);
    const tokens = cycle.map((a) => a.token);
    expect(new Set(tokens).size).toBe(FLEET);
    expect(new Set(tokens)).toEqual(new Set(devices.map((d) => d.pushToken)));

    // The devices that answered finished their sync; the others wait for the push they missed.
    await e.settle(async () => (await Promise.all(devices.slice(0, 5).map((d) => e.device(d.udid)))).every((d) => d.syncState === 'Synchronized'));
    const offline = await e.device(devices[10].udid);
    expect(offline.syncState).toBe('Sync-Requested');
  });

  it('coalesces two template edits in a row: the second rides on the first one’s pushes', async () => {
    e.local.app.config.pushCapPerMinute = 0; // hold every push back while the admin edits twice
    const start = arrivals.length;
    for (const name of ['fleet v3', 'fleet v4']) {
      expect((await e.api('PUT', `/admin/v1/templates/${templateId}`, { name, items: [], prohibitedApps: ['com.example.game'] })).status).toBe(200);
    }
    await sleep(100);
    expect(arrivals.length).toBe(start);
    e.local.app.config.pushCapPerMinute = CAP;
    const distinct = () => new Set(sinceIndex(start).map((a) => a.token)).size;
    for (let minute = 0; distinct() < FLEET; minute++) {
      if (minute > 2 * FLEET / CAP) throw new Error(`only ${distinct()} devices pushed after ${minute} minutes`);
      e.clock.nextMinute();
      await e.waitFor(() => distinct() === FLEET || arrivals.length - start >= (minute + 1) * CAP, 10_000, `the pushes of minute ${minute}`);
      await sleep(100);
    }
    // Whatever is left of the second edit's requests was served by those pushes: nothing follows.
    await e.settle(); // the last minute's pushes and sessions are done: no fixed sleep
    const total = arrivals.length - start;
    for (let i = 0; i < 2; i++) {
      e.clock.nextMinute();
      await e.settle();
    }
    expect(arrivals.length - start).toBe(total);
    // Two deferred batches racing at a minute's start may both push a few devices; never all twice.
    expect(total).toBeLessThan(2 * FLEET);
    const perMinute = new Map<number, number>();
    for (const a of sinceIndex(start)) perMinute.set(a.minute, (perMinute.get(a.minute) ?? 0) + 1);
    expect(Math.max(...perMinute.values())).toBeLessThanOrEqual(CAP);
    await e.settle(async () => (await Promise.all(devices.slice(0, 5).map((d) => e.device(d.udid)))).every((d) => d.syncState === 'Synchronized'));
  });

  it('stops pushing a dead token, logs it, and resumes when the device sends a new one', async () => {
    const dead = devices[0];
    e.clock.nextMinute();
    e.apns.always(dead.pushToken, { status: 410, reason: 'Unregistered', timestamp: Date.now() });
    expect((await e.api('POST', `/admin/v1/devices/${dead.udid}/commands`, { type: 'Sync' })).status).toBe(202);
    await e.waitFor(async () => (await e.device(dead.udid)).pushTokenDead === true, 5000, 'pushTokenDead');
    const logs = await e.api('GET', `/admin/v1/logs?deviceId=${dead.udid}&q=push token`);
    expect(logs.body.items.some((l: { event: string }) => l.event === 'push-token-dead')).toBe(true);

    const attempts = () => e.apns.pushes.filter((p) => p.token === dead.pushToken).length;
    const before = attempts();
    expect((await e.api('POST', `/admin/v1/devices/${dead.udid}/commands`, { type: 'Sync' })).status).toBe(202);
    await e.settle();
    await sleep(100);
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
    await e.waitFor(async () => (await e.api('GET', '/admin/v1/dashboard')).body.alarms.critical === 1, 5000, 'the critical alarm');
    const dashboard = (await e.api('GET', '/admin/v1/dashboard')).body;
    expect(dashboard.activeAlarms.some((a: { severity: string; message: string }) => a.severity === 'critical' && /renew the Apple push certificate/.test(a.message))).toBe(true);

    const recorded = e.apns.pushes.length;
    expect((await e.api('POST', `/admin/v1/devices/${device.udid}/commands`, { type: 'Sync' })).status).toBe(202);
    expect((await e.api('POST', `/admin/v1/devices/${devices[2].udid}/commands`, { type: 'Sync' })).status).toBe(202);
    await sleep(300);
    expect(e.apns.pushes.length).toBe(recorded); // nothing reaches APNs with a refused certificate
    expect((await e.api('GET', `/admin/v1/devices/${device.udid}/diagnosis`)).body.verdict).toBe('push-credential-invalid');

    // The renewed certificate (same topic, new key) clears the alarm and pushes flow again.
    e.apns.answerAll(undefined);
    const renewed = pushCert({ uuid: cert.topic.replace('com.apple.mgmt.External.', '') });
    const waiting = devices[2];
    const waitingBefore = e.pushesTo(waiting.pushToken).length;
    await e.uploadPushCert(renewed);
    const after = (await e.api('GET', '/admin/v1/dashboard')).body;
    expect(after.alarms.critical).toBe(0);
    // The push skipped during the outage goes out by itself.
    await e.waitFor(() => e.pushesTo(waiting.pushToken).length > waitingBefore, 5000, 'the skipped push after the renewal');
    expect(e.pushesTo(waiting.pushToken).at(-1)!.clientCertSubject).toContain(cert.topic);
    e.clock.nextMinute();
    const before = e.pushesTo(device.pushToken).length;
    expect((await e.api('POST', `/admin/v1/devices/${device.udid}/commands`, { type: 'Sync' })).status).toBe(202);
    await e.waitFor(() => e.pushesTo(device.pushToken).length > before, 5000, 'a push with the renewed certificate');
    const last = e.pushesTo(device.pushToken).at(-1)!;
    expect(last.clientTopic).toBe(cert.topic);
    await e.waitFor(async () => (await e.device(device.udid)).syncState === 'Synchronized', 5000, 'the device to sync again');
  });
});
