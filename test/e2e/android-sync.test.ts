// Issue 7 acceptance: an Android agent enrolls, syncs to its template, follows template changes,
// takes admin commands, is wiped and withdrawn, and re-enrolls — all over HTTP on the local server.
import { SimulatedAndroidAgent } from '../../kit/android-agent';
import { type AndroidWorld, startAndroidWorld } from './android-helpers';

let w: AndroidWorld;
beforeAll(async () => {
  w = await startAndroidWorld();
});
afterAll(async () => {
  await w.stop();
});

const POLICY = { passwordPolicies: [{ passwordMinimumLength: 6, passwordType: 'NUMERIC' }], cameraDisabled: true };

async function template(items: unknown[]) {
  const res = await w.admin<{ id: string }>('POST', '/templates', { name: `android ${Date.now()}`, items });
  expect(res.status).toBe(201);
  return res.body.id;
}

const synchronized = (id: string) =>
  w.waitFor(`${id} Synchronized`, async () => {
    const d = await w.device(id);
    return d.syncState === 'Synchronized' && d;
  });

describe('Android agent end to end', () => {
  it('enrolls from the QR payload, syncs, follows a template change, takes Lock, is wiped, re-enrolls', async () => {
    const items = [
      { kind: 'profile', identifier: 'policy.security', policy: POLICY },
      { kind: 'app', identifier: 'com.example.mail', version: '42', source: 'https://apps.example.com/mail.apk' },
      { kind: 'app', identifier: 'com.example.chat' },
    ];
    const templateId = await template(items);

    // The enrollment: token, URL and a QR payload that carries server URL, tenant and token.
    const enrollment = await w.admin<{ token: string; url: string; expiresAt: string; qrPayload: string }>(
      'POST',
      '/enrollments',
      { platform: 'android', templateId },
    );
    expect(enrollment.status).toBe(201);
    expect(enrollment.body.url).toBe(`${w.local.url}/android/demo/enroll`);
    expect(JSON.parse(enrollment.body.qrPayload)).toEqual({
      serverUrl: w.local.url,
      tenant: 'demo',
      enrollmentToken: enrollment.body.token,
    });

    const agent = SimulatedAndroidAgent.fromQrPayload(enrollment.body.qrPayload, { serialNumber: 'AND-SYNC-1' });
    w.fcm.register(agent);
    const enrolled = await agent.enroll();
    expect(enrolled.status).toBe(201);
    const deviceId = agent.deviceId!;
    expect(enrolled.body).toEqual({ deviceId, deviceToken: expect.any(String) });
    expect((await agent.checkIn()).status).toBe(200);

    // The enrollment push wakes the agent; it reads, applies and verifies: Synchronized.
    const device = await synchronized(deviceId);
    expect(device).toMatchObject({
      platform: 'android',
      registrationState: 'Checked-In',
      serialNumber: 'AND-SYNC-1',
      model: 'Pixel 8',
      templateId,
    });
    expect(w.fcm.sentTo(deviceId)[0]).toMatchObject({ token: agent.fcmToken, data: { type: 'sync' } });
    expect(agent.pushes[0]).toEqual({ type: 'sync' });
    const policy = agent.policies.get('policy.security')!;
    expect(policy.policy).toEqual(POLICY);
    expect(policy.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(agent.apps.get('com.example.mail')).toEqual({
      packageName: 'com.example.mail',
      versionCode: 42,
      managed: true,
    });
    expect(agent.apps.get('com.example.chat')).toMatchObject({ managed: true });
    const install = agent.received.find(
      (c) => c.type === 'InstallApp' && c.payload.packageName === 'com.example.mail',
    )!;
    expect(install.payload).toEqual({
      packageName: 'com.example.mail',
      versionCode: 42,
      url: 'https://apps.example.com/mail.apk',
    });

    // Remove an app from the template: it goes from the agent, system apps stay, Synchronized again.
    const changed = await w.admin('PUT', `/templates/${templateId}`, {
      name: 'android',
      items: items.filter((i) => i.identifier !== 'com.example.chat'),
    });
    expect(changed.status).toBe(200);
    await w.waitFor('chat removed', () => !agent.apps.has('com.example.chat'));
    const resynced = await synchronized(deviceId);
    expect(Date.parse(resynced.lastSyncedAt as string)).toBeGreaterThan(Date.parse(device.lastSyncedAt as string));
    expect(agent.apps.has('com.example.mail')).toBe(true);
    expect(agent.apps.has('com.android.chrome')).toBe(true);
    expect(agent.received.filter((c) => c.type === 'RemoveApp').map((c) => c.payload)).toEqual([
      { packageName: 'com.example.chat' },
    ]);

    // Lock reaches the agent.
    const lock = await w.admin<{ commandId: string }>('POST', `/devices/${deviceId}/commands`, {
      type: 'Lock',
      params: { message: 'call IT' },
    });
    expect(lock.status).toBe(202);
    await w.waitFor('Lock received', () => agent.received.some((c) => c.commandId === lock.body.commandId));
    expect(agent.locked).toBe(true);
    expect(agent.lockMessage).toBe('call IT');
    await w.waitFor(
      'Lock acknowledged',
      async () => (await w.admin<{ queue: unknown[] }>('GET', `/devices/${deviceId}/commands`)).body.queue.length === 0,
    );

    // Wipe: the agent resets, the device is Withdrawn (wiped), the old token is refused.
    const wipe = await w.admin('POST', `/devices/${deviceId}/commands`, { type: 'Wipe' });
    expect(wipe.status).toBe(202);
    const withdrawn = await w.waitFor('withdrawn', async () => {
      const d = await w.device(deviceId);
      return d.registrationState === 'Withdrawn' && d;
    });
    expect(withdrawn.withdrawalReason).toBe('wiped');
    expect(agent.wiped).toBe(true);
    expect(agent.policies.size).toBe(0);
    const after = await agent.checkIn();
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ error: { code: 'unauthorized' } });
    expect((await agent.connect({ status: 'Idle' })).status).toBe(401);
    expect(agent.unauthorized).toBe(true);
    expect((await w.admin('POST', `/devices/${deviceId}/commands`, { type: 'Lock' })).status).toBe(409);

    // Re-enrolling the same serial number brings the same device back with a new token.
    const oldToken = agent.deviceToken;
    expect((await agent.enroll()).status).toBe(201);
    expect(agent.deviceId).toBe(deviceId);
    expect(agent.deviceToken).not.toBe(oldToken);
    const back = await synchronized(deviceId);
    expect(back).toMatchObject({ registrationState: 'Checked-In' });
    expect(back.withdrawalReason).toBeNull(); // device detail gives every field, null when unset
    expect(agent.apps.get('com.example.mail')).toMatchObject({ managed: true });
    expect(agent.apps.has('com.example.chat')).toBe(false);
  });

  it('re-enrolling the same serial replaces the token: old → 401, new works, same device id', async () => {
    const agent = await w.enrolledAgent({ serialNumber: 'AND-REENROLL-1' });
    const first = { id: agent.deviceId, token: agent.deviceToken };
    await w.waitFor('first sync', async () => (await w.device(first.id!)).syncState === 'Synchronized');

    const again = await w.admin<{ token: string }>('POST', '/enrollments', { platform: 'android' });
    expect((await agent.enroll(again.body.token)).status).toBe(201);
    expect(agent.deviceId).toBe(first.id);
    expect(agent.deviceToken).not.toBe(first.token);

    const stale = await fetch(`${w.local.url}/android/demo/checkin`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${first.token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(stale.status).toBe(401);
    expect(await stale.json()).toMatchObject({ error: { code: 'unauthorized' } });
    expect((await agent.checkIn()).status).toBe(200);
    await w.waitFor('synced after re-enroll', async () => (await w.device(first.id!)).syncState === 'Synchronized');

    const list = await w.admin<{ items: Array<{ id: string; serialNumber: string }> }>(
      'GET',
      '/devices?platform=android&q=AND-REENROLL-1',
    );
    expect(list.body.items.filter((d) => d.serialNumber === 'AND-REENROLL-1')).toHaveLength(1);
  });

  it('re-enrolling is a fresh start: a NotNow from before no longer holds the queue back', async () => {
    const agent = await w.enrolledAgent({ serialNumber: 'AND-REENROLL-2' });
    const id = agent.deviceId!;
    await w.waitFor('first sync', async () => (await w.device(id)).syncState === 'Synchronized');
    const { stores } = w.local.app;
    await stores.devices.save({ ...(await stores.devices.get('demo', id))!, lastNotNowAt: new Date().toISOString() });

    // Enrolled again from a fresh install whose push token no agent answers: no session runs after it.
    const again = await w.admin<{ token: string }>('POST', '/enrollments', { platform: 'android' });
    const res = await fetch(`${w.local.url}/android/demo/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        enrollmentToken: again.body.token,
        serialNumber: 'AND-REENROLL-2',
        model: 'Pixel 8',
        osVersion: '15',
        fcmToken: 'fresh-install',
      }),
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { deviceId: string }).deviceId).toBe(id);
    expect((await stores.devices.get('demo', id))?.lastNotNowAt).toBeUndefined();
  });

  it('an expired enrollment token is 410, an unknown one 404', async () => {
    const enrollment = await w.admin<{ token: string }>('POST', '/enrollments', {
      platform: 'android',
      expiresInHours: 1,
    });
    expect(enrollment.status).toBe(201);
    const unknown = new SimulatedAndroidAgent({ baseUrl: w.local.url, tenant: 'demo' });
    const nf = await unknown.enroll('enr_not-a-real-token');
    expect(nf.status).toBe(404);
    expect(nf.body).toMatchObject({ error: { code: 'not-found' } });

    w.advance(2 * 3600_000);
    const late = new SimulatedAndroidAgent({ baseUrl: w.local.url, tenant: 'demo' });
    const res = await late.enroll(enrollment.body.token);
    expect(res.status).toBe(410);
    expect(res.body).toMatchObject({ error: { code: 'gone' } });
    expect(late.deviceToken).toBeUndefined();

    // An iOS token is not an Android one; an unknown tenant knows no token.
    const ios = await w.admin<{ token: string }>('POST', '/enrollments', { platform: 'ios' });
    expect((await late.enroll(ios.body.token)).status).toBe(404);
    const elsewhere = new SimulatedAndroidAgent({ baseUrl: w.local.url, tenant: 'no-such-tenant' });
    expect((await elsewhere.enroll(enrollment.body.token)).status).toBe(404);
  });
});
