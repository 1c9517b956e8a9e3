// Acceptance of the sync engine over real HTTP: locked devices, offline devices and the
// Not-Responding sweep, profile errors with their diagnosis, template-change fan-out, prohibited
// apps on the dashboard, and the device timeline.
import type { SimulatedAppleDevice } from '../../kit/apple-device';
import { type E2E, sampleProfile, startE2E } from '../../kit/e2e';

const DAY = 24 * 3600_000;
const profileItem = (identifier: string, ssid = identifier) => ({
  kind: 'profile',
  identifier,
  payload: sampleProfile(identifier, ssid),
});

describe('sync engine end to end', () => {
  let e: E2E;
  let tplA: string;
  let tplB: string;
  let tplC: string;
  /** On template A (the locked-device and template-change story). */
  let locked: SimulatedAppleDevice;
  /** On template B (prohibited apps, then offline). */
  let other: SimulatedAppleDevice;
  /** On template C (profile install fails with 4027). */
  let failing: SimulatedAppleDevice;

  const state = async (d: SimulatedAppleDevice) => (await e.device(d.udid)).syncState as string;
  const syncStates = (d: SimulatedAppleDevice) => e.settle(async () => (await state(d)) === 'Synchronized');
  const diagnosis = async (d: SimulatedAppleDevice) =>
    (await e.api('GET', `/admin/v1/devices/${d.udid}/diagnosis`)).body;
  const stateLog = async (d: SimulatedAppleDevice) =>
    (
      (await e.api('GET', `/admin/v1/logs?deviceId=${d.udid}&q=%E2%86%92&limit=100`)).body.items as Array<{
        message: string;
      }>
    )
      .map((l) => l.message)
      .reverse();

  beforeAll(async () => {
    e = await startE2E();
    await e.uploadPushCert();
    tplA = (await e.createTemplate({ name: 'A', items: [profileItem('com.example.a1')] })).id;
    tplB = (
      await e.createTemplate({
        name: 'B',
        items: [profileItem('com.example.b1')],
        prohibitedApps: ['com.example.game'],
      })
    ).id;
    tplC = (await e.createTemplate({ name: 'C', items: [profileItem('com.example.c1')] })).id;
    [locked] = await e.enrollDevices(1, { templateId: tplA });
    [other] = await e.enrollDevices(1, { templateId: tplB });
    failing = e.newDevice();
    failing.failProfileInstall = 4027;
    await failing.enrollFully((await e.createEnrollment({ templateId: tplC })).url);
    await e.settle(
      async () =>
        (await state(locked)) === 'Synchronized' &&
        (await state(other)) === 'Synchronized' &&
        (await state(failing)) === 'Not-Synchronized',
    );
  });
  afterAll(async () => {
    await e?.stop();
  });

  it('explains a 4027 profile failure in the diagnosis', async () => {
    expect(failing.profiles.has('com.example.c1')).toBe(false);
    const d = await diagnosis(failing);
    expect(d.verdict).toBe('command-errors');
    expect(d.errors[0]).toMatchObject({
      requestType: 'InstallProfile',
      code: 4027,
      domain: 'MCInstallationErrorDomain',
    });
    expect(d.errors[0].explanation).toMatch(/passcode change/);
    expect(d.errors[0].fix).toMatch(/Split the passcode payload/);
    const commands = (await e.api('GET', `/admin/v1/devices/${failing.udid}/commands`)).body;
    expect(
      commands.history.find((h: { data: { requestType: string } }) => h.data.requestType === 'InstallProfile').data
        .status,
    ).toBe('Error');
  });

  it('re-syncs only the devices of a changed template; a locked device runs removals and postpones installs', async () => {
    const pushedBefore = {
      other: e.pushesTo(other.pushToken).length,
      failing: e.pushesTo(failing.pushToken).length,
      locked: e.pushesTo(locked.pushToken).length,
    };
    locked.locked = true;
    const changed = await e.api('PUT', `/admin/v1/templates/${tplA}`, {
      name: 'A v2',
      items: [profileItem('com.example.a2')],
    });
    expect(changed.status).toBe(200);
    expect(await e.operation(changed.body.syncOperationId)).toMatchObject({
      type: 'Sync',
      status: 'done',
      targeted: 1,
      queued: 1,
    });
    await e.settle(async () =>
      (await e.api('GET', `/admin/v1/devices/${locked.udid}/commands`)).body.queue.some(
        (c: { status: string }) => c.status === 'NotNow',
      ),
    );

    expect(locked.profiles.has('com.example.a1')).toBe(false); // the removal ran while locked
    expect(locked.profiles.has('com.example.a2')).toBe(false); // the install waits for an unlock
    expect(await state(locked)).toBe('Not-Synchronized');
    const queue = (await e.api('GET', `/admin/v1/devices/${locked.udid}/commands`)).body.queue;
    expect(queue).toEqual([expect.objectContaining({ type: 'InstallProfile', status: 'NotNow' })]);
    const d = await diagnosis(locked);
    expect(d.verdict).toBe('device-locked');
    expect(d.steps.find((s: { step: number }) => s.step === 3).ok).toBe(false);

    // Nobody else was touched.
    expect(e.pushesTo(locked.pushToken).length).toBe(pushedBefore.locked + 1);
    expect(e.pushesTo(other.pushToken).length).toBe(pushedBefore.other);
    expect(e.pushesTo(failing.pushToken).length).toBe(pushedBefore.failing);
    expect(await state(other)).toBe('Synchronized');

    // The user unlocks; the device comes back (as it does by itself after a NotNow).
    locked.locked = false;
    await locked.poll();
    await syncStates(locked);
    expect(locked.profiles.has('com.example.a2')).toBe(true);
    expect((await diagnosis(locked)).verdict).toBe('synchronized');
    const detail = await e.device(locked.udid);
    expect(Date.parse(detail.lastUnlockedSeenAt)).toBeGreaterThan(Date.parse(detail.lastPushAt));
  });

  it('tells the story in the timeline: the push with its APNs id, and each command that changed the device', async () => {
    const timeline = (await e.api('GET', `/admin/v1/devices/${locked.udid}/timeline`)).body;
    const entries = timeline.entries as Array<{
      at: string;
      kind: string;
      message: string;
      data?: Record<string, unknown>;
    }>;
    const ats = entries.map((x) => x.at);
    expect([...ats].sort()).toEqual(ats); // oldest first
    const pushes = entries.filter((x) => x.kind === 'push-sent');
    expect(pushes.length).toBeGreaterThanOrEqual(2);
    const apnsIds = e.pushesTo(locked.pushToken).map((p) => p.apnsId);
    expect(pushes.map((p) => p.data?.messageId)).toEqual(apnsIds);
    const commands = entries.filter((x) => x.kind === 'command');
    expect(commands.map((c) => `${c.data?.requestType}:${c.data?.status}`)).toEqual(
      expect.arrayContaining(['RemoveProfile:Acknowledged', 'InstallProfile:Acknowledged']),
    );
    // The inventory reads are routine: a query that succeeds leaves no line (one that fails does).
    expect(commands.filter((c) => c.data?.requestType === 'ProfileList')).toEqual([]);
    expect(entries.some((x) => x.kind === 'sync-state' && /Synchronized \(verified/.test(x.message))).toBe(true);
  });

  it('raises a warning alarm for a prohibited app and clears it when the app is gone', async () => {
    other.apps.set('com.example.game', {
      identifier: 'com.example.game',
      version: '1.0',
      name: 'Game',
      managed: false,
      managementFlags: 0,
    });
    expect((await e.api('POST', `/admin/v1/devices/${other.udid}/commands`, { type: 'Sync' })).status).toBe(202);
    await syncStates(other);
    let dashboard = (await e.api('GET', '/admin/v1/dashboard')).body;
    expect(dashboard.alarms.warning).toBe(1);
    expect(dashboard.prohibitedApps.ios).toBe(1);
    expect(dashboard.activeAlarms).toEqual([expect.objectContaining({ severity: 'warning', deviceId: other.udid })]);
    expect((await e.device(other.udid)).prohibitedApps).toEqual(['com.example.game']);

    other.apps.delete('com.example.game');
    expect((await e.api('POST', `/admin/v1/devices/${other.udid}/commands`, { type: 'Sync' })).status).toBe(202);
    await syncStates(other);
    dashboard = (await e.api('GET', '/admin/v1/dashboard')).body;
    expect(dashboard.alarms.warning).toBe(0);
    expect(dashboard.prohibitedApps.ios).toBe(0);
    expect(dashboard.activeAlarms).toEqual([]);
  });

  it('marks an offline device Not-Responding after 8 days, and brings it back when it answers', async () => {
    other.offline = true;
    expect((await e.api('POST', `/admin/v1/devices/${other.udid}/commands`, { type: 'Sync' })).status).toBe(202);
    await e.settle(async () => (await state(other)) === 'Sync-Requested');
    expect((await diagnosis(other)).verdict).toBe('device-unreachable');

    e.clock.advance(8 * DAY);
    const run = await e.api('POST', '/admin/v1/jobs/not-responding-sweep/run');
    expect(run.status).toBe(200);
    expect(run.body.devicesTouched).toBe(1);
    expect(await state(other)).toBe('Not-Responding');
    expect(await state(locked)).toBe('Synchronized'); // it answered its pushes
    expect((await e.api('GET', '/admin/v1/dashboard')).body.syncStates['Not-Responding']).toBe(1);

    other.offline = false;
    await other.poll();
    await syncStates(other);
    const log = await stateLog(other);
    // (An Idle report does not say whether the screen is locked; the machine labels it "while locked".)
    expect(log.slice(-2)).toEqual([
      expect.stringMatching(/^Not-Responding → Not-Synchronized \(device answered/),
      'Not-Synchronized → Synchronized (verified: the contents match the template)',
    ]);
    expect((await diagnosis(other)).verdict).toBe('synchronized');
  });
});
