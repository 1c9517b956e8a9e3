// Acceptance of remote commands (issue #8): a bulk Lock by filter reaches every one of 200
// simulated Apple and Android devices through the asynchronous fan-out, refusals are reported per
// device, a single Wipe withdraws its device, and every command a device cannot do answers 422
// with nothing queued.
import { AgentPushSender, SimulatedAndroidAgent } from '../../kit/android-agent';
import type { SimulatedAppleDevice } from '../../kit/apple-device';
import { type E2E, startE2E } from '../../kit/e2e';
import { runBulkWork } from '../../lambdas/service/bulk-commands';

// 200 devices on 2 shared cores (about 35 DynamoDB calls each on dynalite, ~3 ms of CPU apiece):
// generous bounds, the test waits for outcomes, not for time.
jest.setTimeout(600_000);

const APPLE_IN_FILTER = 140;
const ANDROID_IN_FILTER = 60;

let e: E2E;
let fcm: AgentPushSender;

beforeAll(async () => {
  fcm = new AgentPushSender();
  // Signatures off: the Apple fleet shares one server-issued identity (RSA keys are the slow part).
  e = await startE2E({ config: { requireSignature: false }, fcm });
  await e.uploadPushCert();
});
afterAll(async () => {
  await e.stop();
});

/** Enrolls `n` agents; they get pushes only once `online` (so enrollment is not slowed by their syncs). */
async function enrollAgents(
  n: number,
  opts: { templateId?: string; online?: boolean } = {},
): Promise<SimulatedAndroidAgent[]> {
  const agents: SimulatedAndroidAgent[] = [];
  for (let i = 0; i < n; i++) {
    const enrollment = await e.api<{ qrPayload: string }>('POST', '/admin/v1/enrollments', {
      platform: 'android',
      ...(opts.templateId ? { templateId: opts.templateId } : {}),
    });
    expect(enrollment.status).toBe(201);
    const agent = SimulatedAndroidAgent.fromQrPayload(enrollment.body.qrPayload);
    expect((await agent.enroll()).status).toBe(201);
    if (opts.online !== false) fcm.register(agent);
    agents.push(agent);
  }
  return agents;
}

const appleReceived = (device: SimulatedAppleDevice, requestType: string) =>
  device.log.filter((l) => l.kind === 'report' && l.requestType === requestType).length;

const waitForOperation = (id: string) => e.operation(id, 300_000);

describe('bulk commands', () => {
  it('a Lock by filter reaches all 200 matching devices (Apple and Android), and no other device', async () => {
    const fleet = await e.createTemplate({ name: 'fleet' });
    // Enrollment is set-up, not the subject: the devices stay silent until the Lock.
    e.autoPoll = false;
    const apple = await e.enrollShared(APPLE_IN_FILTER, { templateId: fleet.id, concurrency: 8 });
    const android = await enrollAgents(ANDROID_IN_FILTER, { templateId: fleet.id, online: false });
    const outsideApple = await e.enrollShared(2);
    const outsideAndroid = await enrollAgents(2);
    await e.settle(undefined, 300_000);
    e.autoPoll = true;
    for (const agent of android) fcm.register(agent);
    // Checked-In: the enrollment's own pending record (Awaiting-Check-In) also carries the template.
    const filter = { templateId: fleet.id, registrationState: 'Checked-In' };
    const accepted = await e.api('POST', '/admin/v1/commands', {
      type: 'Lock',
      params: { message: 'Please return this device' },
      filter,
    });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ accepted: 0, commandIds: [], operationId: expect.stringMatching(/^bulk_/) });

    const progress = await waitForOperation(accepted.body.operationId);
    expect(progress).toMatchObject({
      type: 'Lock',
      status: 'done',
      target: 'filter',
      targeted: 200,
      queued: 200,
      refused: 0,
      refusals: [],
    });

    await e.settle(
      () =>
        apple.every((d) => appleReceived(d, 'DeviceLock') === 1) &&
        android.every((a) => a.received.some((c) => c.type === 'Lock')),
      300_000,
    );
    for (const d of apple) expect([d.udid, appleReceived(d, 'DeviceLock'), d.locked]).toEqual([d.udid, 1, true]);
    for (const a of android) {
      expect(a.received.filter((c) => c.type === 'Lock')).toEqual([
        expect.objectContaining({ payload: { message: 'Please return this device' }, status: 'Acknowledged' }),
      ]);
    }
    for (const d of outsideApple) expect(appleReceived(d, 'DeviceLock')).toBe(0);
    for (const a of outsideAndroid) expect(a.received.some((c) => c.type === 'Lock')).toBe(false);

    // One summary in the tenant's log once the fan-out is done.
    const logs = await e.api('GET', `/admin/v1/logs?q=${encodeURIComponent('Lock sent to 200 of 200 devices')}`);
    expect(logs.body.items).toHaveLength(1);
  });

  it('explicit ids: a command id per device at once, and each refusal reported with its reason', async () => {
    const iphone = (await e.enrollShared(1))[0];
    const mac = e.newDevice({ platform: 'macos' });
    const { url } = await e.createEnrollment();
    await mac.enrollFully(url);
    const withdrawn = (await e.enrollShared(1))[0];
    expect((await withdrawn.checkOut()).status).toBe(200);
    await e.settle();

    const ids = [iphone.udid, mac.udid, withdrawn.udid, 'no-such-device', iphone.udid];
    const accepted = await e.api('POST', '/admin/v1/commands', { type: 'Wipe', deviceIds: ids });
    expect(accepted.status).toBe(202);
    expect(accepted.body.accepted).toBe(4);
    expect(accepted.body.commandIds).toHaveLength(4);

    const progress = await waitForOperation(accepted.body.operationId);
    expect(progress).toMatchObject({ target: 'deviceIds', targeted: 4, queued: 1, refused: 3 });
    const byDevice = Object.fromEntries(
      progress.refusals.map((r: { deviceId: string; code: string; message: string }) => [r.deviceId, r]),
    );
    expect(byDevice[mac.udid]).toMatchObject({
      code: 'unprocessable',
      message: expect.stringMatching(/Wipe on macOS needs params\.pin/),
    });
    expect(byDevice[withdrawn.udid]).toMatchObject({ code: 'conflict', message: expect.stringMatching(/withdrawn/) });
    expect(byDevice['no-such-device']).toMatchObject({ code: 'not-found' });

    // The command id given at once is the one the device's queue and the device itself see.
    const commands = await e.api('GET', `/admin/v1/devices/${iphone.udid}/commands`);
    const known = [
      ...commands.body.queue.map((c: { id: string }) => c.id),
      ...commands.body.history.map((h: { data?: { commandId?: string } }) => h.data?.commandId),
    ];
    expect(known).toContain(accepted.body.commandIds[0]);
    await e.settle(async () => (await e.device(iphone.udid)).registrationState === 'Withdrawn');
    expect(iphone.enrolled).toBe(false);

    // The refusal is in the refused device's own log too.
    const macLog = await e.api('GET', `/admin/v1/logs?deviceId=${mac.udid}&type=command`);
    expect(macLog.body.items.map((l: { event: string }) => l.event)).toContain('command-refused');
  });

  it('a retried step queues nothing twice, and a PIN is gone from the operation once it is done', async () => {
    const mac = e.newDevice({ platform: 'macos' });
    const { url } = await e.createEnrollment();
    await mac.enrollFully(url);
    await e.settle();
    e.autoPoll = false;
    try {
      const accepted = await e.api('POST', '/admin/v1/commands', {
        type: 'Lock',
        params: { pin: '135790' },
        deviceIds: [mac.udid],
      });
      expect(accepted.status).toBe(202);
      const operationId = accepted.body.operationId;
      await waitForOperation(operationId);
      // SQS delivers at least once: the same step again changes nothing.
      await runBulkWork(e.local.app, {
        kind: 'devices',
        tenantId: 'demo',
        operationId,
        chunk: 0,
        deviceIds: [mac.udid],
      });
      const stored = await e.local.app.stores.bulk.get('demo', operationId);
      expect(stored?.sealedParams).toBeUndefined();
      const live = await e.local.app.stores.commands.liveQueue('demo', mac.udid);
      expect(live.filter((c) => c.requestType === 'DeviceLock').map((c) => c.id)).toEqual([
        accepted.body.commandIds[0],
      ]);
      expect((await e.device(mac.udid)).pendingCommands).toEqual({ Lock: 1 });

      const commands = await mac.poll();
      const lock = commands.find((c) => c.requestType === 'DeviceLock');
      expect(lock?.command.PIN).toBe('135790');
      // Neither the operation, nor its progress, nor any log holds the PIN.
      const everything = JSON.stringify([
        (await e.api('GET', `/admin/v1/commands/${operationId}`)).body,
        (await e.api('GET', '/admin/v1/logs?limit=500')).body,
      ]);
      expect(everything).not.toContain('135790');
    } finally {
      e.autoPoll = true;
    }
  });

  it("bad input: neither or both targets, too many ids, an unknown type, another tenant's operation", async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ type: 'Lock' }, /exactly one of deviceIds or filter/],
      [{ type: 'Lock', deviceIds: ['a'], filter: {} }, /exactly one of deviceIds or filter/],
      [{ type: 'Lock', deviceIds: [] }, /deviceIds/],
      [{ type: 'Lock', deviceIds: Array.from({ length: 10_001 }, (_, i) => `d${i}`) }, /deviceIds/],
      [{ type: 'Explode', deviceIds: ['a'] }, /type/],
      [{ type: 'Lock', filter: { syncState: 'Happy' } }, /syncState/],
    ];
    for (const [body, message] of cases) {
      const r = await e.api('POST', '/admin/v1/commands', body);
      expect([JSON.stringify(body).slice(0, 60), r.status]).toEqual([JSON.stringify(body).slice(0, 60), 400]);
      expect(r.body.error.message).toMatch(message);
    }
    const other = await e.api<{ adminKey: string }>(
      'POST',
      '/admin/v1/tenants',
      { id: 'other-bulk', name: 'Other' },
      e.local.credentials.operatorKey,
    );
    const mine = await e.api('POST', '/admin/v1/commands', { type: 'Sync', deviceIds: ['nobody'] });
    expect(
      (await e.api('GET', `/admin/v1/commands/${mine.body.operationId}`, undefined, other.body.adminKey)).status,
    ).toBe(404);
    expect((await e.api('GET', '/admin/v1/commands/bulk_unknown')).status).toBe(404);
  });
});

describe('single-device commands', () => {
  it('a Wipe withdraws its device once the device acknowledges it', async () => {
    const device = (await e.enrollShared(1))[0];
    await e.settle();
    const r = await e.api('POST', `/admin/v1/devices/${device.udid}/commands`, { type: 'Wipe' });
    expect(r.status).toBe(202);
    await e.settle(async () => (await e.device(device.udid)).registrationState === 'Withdrawn');
    const detail = await e.device(device.udid);
    expect(detail).toMatchObject({
      registrationState: 'Withdrawn',
      withdrawalReason: expect.stringMatching(/wipe/i),
      pendingCommands: {},
    });
    expect(device.enrolled).toBe(false);
    // A withdrawn device takes no more commands.
    expect((await e.api('POST', `/admin/v1/devices/${device.udid}/commands`, { type: 'Lock' })).status).toBe(409);
  });

  it('a supervised iPhone: pending commands on the dashboard, ClearPasscode, Lost Mode, Restart, Unenroll', async () => {
    const { url } = await e.createEnrollment();
    const iphone = e.newDevice();
    iphone.supervised = true;
    await iphone.enrollFully(url);
    await e.settle(async () => (await e.device(iphone.udid)).supervised === true);
    type Dashboard = { pendingCommands: Record<string, number>; adminLocked: { ios: number } };
    const dashboard = async () => (await e.api<Dashboard>('GET', '/admin/v1/dashboard')).body;

    // Out of reach: Lock and ClearPasscode wait, and the dashboard counts them as pending.
    const before = await dashboard();
    iphone.offline = true;
    for (const type of ['Lock', 'ClearPasscode'])
      expect((await e.api('POST', `/admin/v1/devices/${iphone.udid}/commands`, { type })).status).toBe(202);
    await e.settle();
    const pending = await dashboard();
    expect(pending.pendingCommands.Lock).toBe((before.pendingCommands.Lock ?? 0) + 1);
    expect(pending.pendingCommands.ClearPasscode).toBe((before.pendingCommands.ClearPasscode ?? 0) + 1);
    expect((await e.device(iphone.udid)).pendingCommands).toEqual({ Lock: 1, ClearPasscode: 1 });

    // Back online: both run (the UnlockToken the device sent at enrollment clears its passcode).
    iphone.offline = false;
    await iphone.poll();
    await e.settle();
    expect(iphone.passcodeSet).toBe(false);
    expect((await e.device(iphone.udid)).pendingCommands).toEqual({});
    expect((await dashboard()).pendingCommands).toEqual(before.pendingCommands);

    const lost = await e.api('POST', `/admin/v1/devices/${iphone.udid}/commands`, {
      type: 'AdminLock',
      params: { message: 'Found? Call 555-0100' },
    });
    expect(lost.status).toBe(202);
    await e.settle(async () => (await e.device(iphone.udid)).adminLocked === true);
    expect(iphone.lostMode).toBe(true);
    expect((await dashboard()).adminLocked.ios).toBe(before.adminLocked.ios + 1);
    expect((await e.api('POST', `/admin/v1/devices/${iphone.udid}/commands`, { type: 'AdminUnlock' })).status).toBe(
      202,
    );
    await e.settle(async () => (await e.device(iphone.udid)).adminLocked === false);
    expect(iphone.lostMode).toBe(false);
    expect((await dashboard()).adminLocked.ios).toBe(before.adminLocked.ios);

    const restart = await e.api('POST', `/admin/v1/devices/${iphone.udid}/commands`, { type: 'Restart' });
    expect(restart).toMatchObject({ status: 202, body: { warning: expect.stringMatching(/unlocked/) } });

    expect((await e.api('POST', `/admin/v1/devices/${iphone.udid}/commands`, { type: 'Unenroll' })).status).toBe(202);
    await e.settle(async () => (await e.device(iphone.udid)).registrationState === 'Withdrawn');
    expect((await e.device(iphone.udid)).withdrawalReason).toEqual(expect.any(String));
  });

  it('every command the device cannot do answers 422 with the reason, and queues nothing', async () => {
    const { url: iphoneUrl } = await e.createEnrollment();
    const iphone = e.newDevice();
    await iphone.enrollFully(iphoneUrl);
    const { url: noTokenUrl } = await e.createEnrollment();
    const noUnlockToken = e.newDevice({ sendsUnlockToken: false });
    await noUnlockToken.enrollFully(noTokenUrl);
    const { url: macUrl } = await e.createEnrollment();
    const mac = e.newDevice({ platform: 'macos' });
    await mac.enrollFully(macUrl);
    await e.settle();

    const refusals: Array<[SimulatedAppleDevice, string, Record<string, string> | undefined, RegExp]> = [
      [iphone, 'Restart', undefined, /Restart needs a supervised iOS device/],
      [iphone, 'AdminLock', undefined, /AdminLock is Lost Mode, which needs a supervised iOS device/],
      [iphone, 'AdminUnlock', undefined, /AdminUnlock ends Lost Mode/],
      [noUnlockToken, 'ClearPasscode', undefined, /has not sent an UnlockToken/],
      [mac, 'Lock', undefined, /Lock on macOS needs params\.pin/],
      [mac, 'Lock', { message: 'hello' }, /Lock on macOS needs params\.pin/],
      [mac, 'Wipe', undefined, /Wipe on macOS needs params\.pin/],
      [mac, 'ClearPasscode', undefined, /not available on macOS/],
      [mac, 'AdminLock', undefined, /needs a supervised iOS device/],
    ];
    for (const [device, type, params, message] of refusals) {
      const before = await e.local.app.stores.commands.liveQueue('demo', device.udid);
      const r = await e.api('POST', `/admin/v1/devices/${device.udid}/commands`, {
        type,
        ...(params ? { params } : {}),
      });
      expect([type, device.platform, r.status]).toEqual([type, device.platform, 422]);
      expect(r.body.error).toMatchObject({ code: 'unprocessable', message: expect.stringMatching(message) });
      expect(await e.local.app.stores.commands.liveQueue('demo', device.udid)).toEqual(before);
      expect((await e.device(device.udid)).pendingCommands).toEqual({});
    }
    // A PIN that is not 6 digits is bad input, not a refusal.
    expect(
      (await e.api('POST', `/admin/v1/devices/${mac.udid}/commands`, { type: 'Lock', params: { pin: '12345' } }))
        .status,
    ).toBe(400);
  });
});
