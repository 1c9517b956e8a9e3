// Every admin command an Android agent takes, and the sync's failure paths: errors, offline
// devices, a new FCM token, a bad inventory report.
import type { SimulatedAndroidAgent } from '../../kit/android-agent';
import { type AndroidWorld, startAndroidWorld } from './android-helpers';

let w: AndroidWorld;
let templateId: string;
const ITEMS = [
  { kind: 'profile', identifier: 'policy.base', policy: { screenCaptureDisabled: true } },
  { kind: 'app', identifier: 'com.example.crm', version: '7' },
];

beforeAll(async () => {
  w = await startAndroidWorld();
  const t = await w.admin<{ id: string }>('POST', '/templates', { name: 'android base', items: ITEMS });
  templateId = t.body.id;
});
afterAll(async () => {
  await w.stop();
});

const state = (id: string, syncState: string) =>
  w.waitFor(`${id} ${syncState}`, async () => {
    const d = await w.device(id);
    return d.syncState === syncState && d;
  });

async function send(agent: SimulatedAndroidAgent, type: string, params?: Record<string, unknown>) {
  const res = await w.admin<{ commandId: string }>('POST', `/devices/${agent.deviceId}/commands`, {
    type,
    ...(params ? { params } : {}),
  });
  expect(res.status).toBe(202);
  await w.waitFor(`${type} handled`, () => agent.received.some((c) => c.commandId === res.body.commandId));
  await agent.idle();
  return agent.received.find((c) => c.commandId === res.body.commandId)!;
}

async function synced(opts: { serialNumber?: string } = {}) {
  const agent = await w.enrolledAgent({ templateId, ...opts });
  await state(agent.deviceId!, 'Synchronized');
  await agent.idle();
  return agent;
}

describe('Android admin commands', () => {
  it('Restart, AdminLock and AdminUnlock, with adminLocked on the device and the dashboard', async () => {
    const agent = await synced();
    expect((await send(agent, 'Restart')).status).toBe('Acknowledged');
    expect(agent.restarts).toBe(1);

    const lock = await send(agent, 'AdminLock', { message: 'Return to IT desk' });
    expect(lock).toMatchObject({
      type: 'AdminLock',
      payload: { message: 'Return to IT desk' },
      status: 'Acknowledged',
    });
    expect(agent.adminLocked).toBe(true);
    expect((await w.device(agent.deviceId!)).adminLocked).toBe(true);
    expect((await w.admin<{ adminLocked: { android: number } }>('GET', '/dashboard')).body.adminLocked.android).toBe(1);

    await send(agent, 'AdminUnlock');
    expect(agent.adminLocked).toBe(false);
    expect((await w.device(agent.deviceId!)).adminLocked).toBe(false);
    expect((await w.admin<{ adminLocked: { android: number } }>('GET', '/dashboard')).body.adminLocked.android).toBe(0);
  });

  it('ClearPasscode without a new passcode removes it', async () => {
    const agent = await synced();
    const clear = await send(agent, 'ClearPasscode');
    expect(clear.payload).toEqual({});
    expect(agent.passcodeSet).toBe(false);
  });

  it('SelectiveWipe removes the delivered policy and managed apps, and keeps the rest', async () => {
    const agent = await synced();
    await w.admin('POST', `/devices/${agent.deviceId}/commands`, { type: 'SelectiveWipe' });
    await w.waitFor('selective wipe done', () => agent.policies.size === 0 && !agent.apps.has('com.example.crm'));
    await agent.idle();
    expect(agent.apps.has('com.android.chrome')).toBe(true);
    expect(agent.received.filter((c) => c.type === 'RemovePolicy').map((c) => c.payload)).toEqual([
      { policyId: 'policy.base' },
    ]);
    await w.waitFor(
      'no pending SelectiveWipe',
      async () => JSON.stringify((await w.device(agent.deviceId!)).pendingCommands) === '{}',
    );
  });

  it('Unenroll: the agent removes what the server delivered and the device is Withdrawn (unenrolled)', async () => {
    const agent = await synced();
    expect((await send(agent, 'Unenroll')).status).toBe('Acknowledged');
    expect(agent.unenrolled).toBe(true);
    expect(agent.policies.size).toBe(0);
    expect([...agent.apps.values()].filter((a) => a.managed)).toEqual([]);
    expect(agent.apps.has('com.android.settings')).toBe(true);
    const d = await w.device(agent.deviceId!);
    expect(d).toMatchObject({ registrationState: 'Withdrawn', withdrawalReason: 'unenrolled' });
    expect((await agent.checkIn()).status).toBe(401);
  });

  it('a command for an offline device waits and is delivered when it comes back', async () => {
    const agent = await synced();
    agent.setOffline(true);
    const res = await w.admin<{ commandId: string }>('POST', `/devices/${agent.deviceId}/commands`, { type: 'Lock' });
    await w.waitFor('push sent', () => w.fcm.sentTo(agent.deviceId!).length >= 2);
    await w.fcm.delivered();
    expect(agent.received.some((c) => c.commandId === res.body.commandId)).toBe(false);
    const queued = await w.admin<{ queue: Array<{ id: string; status: string }> }>(
      'GET',
      `/devices/${agent.deviceId}/commands`,
    );
    expect(queued.body.queue).toEqual([expect.objectContaining({ id: res.body.commandId, status: 'Queued' })]);
    expect((await w.device(agent.deviceId!)).pendingCommands).toEqual({ Lock: 1 });

    agent.setOffline(false); // FCM delivers the held message
    await w.waitFor('Lock delivered', () => agent.received.some((c) => c.commandId === res.body.commandId));
    await agent.idle();
    expect(agent.locked).toBe(true);
    expect((await w.device(agent.deviceId!)).pendingCommands).toEqual({});
  });

  it('a new FCM token from check-in is where the next push goes', async () => {
    const agent = await synced();
    agent.fcmToken = 'fcm-rotated-token';
    w.fcm.register(agent);
    expect((await agent.checkIn()).status).toBe(200);
    await send(agent, 'Lock');
    expect(w.fcm.sentTo(agent.deviceId!).at(-1)!.token).toBe('fcm-rotated-token');
  });
});

describe('Android sync failures', () => {
  it('an install error leaves the device Not-Synchronized with the error explained; a Sync retries it', async () => {
    const agent = await w.enrolledAgent({ templateId });
    agent.failNext('InstallApp', { code: 'install-failed', message: 'INSTALL_FAILED_INSUFFICIENT_STORAGE' });
    const d = await w.waitFor('sync attempt finished', async () => {
      const dev = await w.device(agent.deviceId!);
      const q = await w.admin<{ queue: unknown[] }>('GET', `/devices/${agent.deviceId}/commands`);
      return agent.received.filter((c) => c.type === 'ReportInventory').length >= 2 && q.body.queue.length === 0 && dev;
    });
    await agent.idle();
    expect(d.syncState).toBe('Not-Synchronized');
    expect(agent.apps.has('com.example.crm')).toBe(false);
    const diagnosis = await w.admin<{ verdict: string; errors: Array<Record<string, unknown>> }>(
      'GET',
      `/devices/${agent.deviceId}/diagnosis`,
    );
    expect(diagnosis.body.verdict).toBe('command-errors');
    expect(diagnosis.body.errors[0]).toMatchObject({
      requestType: 'InstallApp',
      code: 'install-failed',
      domain: 'AndroidAgent',
      message: 'INSTALL_FAILED_INSUFFICIENT_STORAGE',
      explanation: expect.any(String),
    });

    expect((await w.admin('POST', `/devices/${agent.deviceId}/commands`, { type: 'Sync' })).status).toBe(202);
    await state(agent.deviceId!, 'Synchronized');
    expect(agent.apps.get('com.example.crm')).toEqual({
      packageName: 'com.example.crm',
      versionCode: 7,
      managed: true,
    });
  });

  it('InstallApp carries versionCode as a number; a newer template version updates the app', async () => {
    const agent = await synced();
    const install = agent.received.find((c) => c.type === 'InstallApp')!;
    expect(install.payload).toEqual({ packageName: 'com.example.crm', versionCode: 7 });
    agent.apps.set('com.example.crm', { packageName: 'com.example.crm', versionCode: 5, managed: true });
    expect((await agent.checkIn()).status).toBe(200);
    await w.admin('POST', `/devices/${agent.deviceId}/commands`, { type: 'Sync' });
    await w.waitFor('updated', () => agent.apps.get('com.example.crm')?.versionCode === 7);
    await state(agent.deviceId!, 'Synchronized');
  });

  it('a malformed inventory in a ReportInventory result is a 400 naming the field, not silently dropped', async () => {
    const agent = await w.enrolledAgent({ templateId, offline: true }); // drive the session by hand
    // The enrollment push must have reached the (offline) agent before it comes online: a push
    // still in the queue would wake it and take the command this test wants to answer itself.
    await w.waitFor('the enrollment push', () => w.fcm.sentTo(agent.deviceId!).length > 0);
    await w.fcm.delivered();
    agent.offline = false;
    const first = await agent.connect({ status: 'Idle' });
    expect([first.status, first.body]).toMatchObject([200, { type: 'ReportInventory' }]);
    const bad = await agent.connect({
      status: 'Acknowledged',
      commandId: first.body!.commandId,
      result: { inventory: { apps: [{ packageName: 'x', versionCode: 1 }], locked: 'no' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      error: { code: 'bad-request', message: expect.stringContaining('result.inventory.locked') },
    });
    const good = await agent.connect({
      status: 'Acknowledged',
      commandId: first.body!.commandId,
      result: { inventory: agent.inventory() },
    });
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ type: 'ApplyPolicy' });
  });

  it('the last access while unlocked ("security check") is kept for Android agents', async () => {
    const agent = await synced();
    const d = await w.device(agent.deviceId!);
    expect(d.lastUnlockedSeenAt).toBeDefined();
    agent.locked = true;
    expect((await agent.checkIn()).status).toBe(200);
    const locked = await w.device(agent.deviceId!);
    expect(locked.lastUnlockedSeenAt).toBe(d.lastUnlockedSeenAt);
    expect(Date.parse(locked.lastSeenAt as string)).toBeGreaterThan(Date.parse(d.lastUnlockedSeenAt as string));
  });
});

describe('an agent that answers before the push is recorded', () => {
  it('is not owed an answer afterwards: no Not-Responding for a device that answered', async () => {
    const fast = await startAndroidWorld({ immediatePushes: true });
    try {
      const agent = await fast.enrolledAgent();
      await fast.waitFor('pushed and synchronized', async () => {
        const d = await fast.device(agent.deviceId!);
        return d.syncState === 'Synchronized' && d.lastPushAt && d;
      });
      await fast.local.queue.drained();
      const d = await fast.device(agent.deviceId!);
      expect(Date.parse(d.lastSeenAt as string)).toBeGreaterThan(Date.parse(d.lastPushAt as string));
      const diagnosis = await fast.admin<{ verdict: string }>('GET', `/devices/${agent.deviceId}/diagnosis`);
      expect(diagnosis.body.verdict).toBe('synchronized');
      fast.advance(8 * 24 * 3600_000);
      expect((await fast.admin('POST', '/jobs/not-responding-sweep/run')).status).toBe(200);
      expect((await fast.device(agent.deviceId!)).syncState).toBe('Synchronized');
    } finally {
      await fast.stop();
    }
  });
});
