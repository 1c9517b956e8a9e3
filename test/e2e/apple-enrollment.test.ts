// Acceptance: an iPhone enrolls over real HTTP, is pushed through (fake) APNs, syncs its template,
// is verified Synchronized, and checks out.
import { type E2E, sampleProfile, startE2E } from '../../kit/e2e';
import { pushCert } from '../../kit/tls';

describe('Apple enrollment end to end', () => {
  let e: E2E;
  beforeAll(async () => {
    e = await startE2E({ manualPolls: true });
  });
  afterAll(async () => {
    await e?.stop();
  });

  const getProfile = (token: string) => fetch(`${e.local.url}/mdm/demo/enroll/${token}`);

  it('refuses to hand out a profile before the push certificate is uploaded (409), for unknown (404) and expired (410) tokens', async () => {
    const { token } = await e.createEnrollment();
    const early = await getProfile(token);
    expect(early.status).toBe(409);
    const body = (await early.json()) as { error: { code: string; message: string } };
    expect(body.error.message).toMatch(/push certificate/);

    expect((await getProfile('enr_doesnotexist')).status).toBe(404);

    await e.uploadPushCert();
    const expiring = await e.createEnrollment({ expiresInHours: 1 });
    expect((await getProfile(expiring.token)).status).toBe(200);
    e.clock.advance(2 * 3600_000);
    const expired = await getProfile(expiring.token);
    expect(expired.status).toBe(410);
    expect(((await expired.json()) as { error: { message: string } }).error.message).toMatch(/expired/);
  });

  it('enrolls, pushes, syncs the template profile, verifies it, and checks out', async () => {
    const cert = pushCert({ name: 'e2e-demo' });
    const template = await e.createTemplate({
      name: 'office',
      items: [{ kind: 'profile', identifier: 'com.example.wifi', payload: sampleProfile('com.example.wifi') }],
    });
    const { url } = await e.createEnrollment({ templateId: template.id, name: 'Alice' });
    const device = e.newDevice();

    const profile = await device.enroll(url);
    expect(device.lastHttpStatus).toBe(200);
    expect(
      (profile.PayloadContent as Array<{ PayloadType: string; Topic?: string }>).find(
        (p) => p.PayloadType === 'com.apple.mdm',
      )?.Topic,
    ).toBe(cert.topic);

    expect((await device.authenticate()).status).toBe(200);
    const afterAuth = await e.device(device.udid);
    expect(afterAuth.registrationState).toBe('Awaiting-Check-In');
    expect(e.apns.pushes).toHaveLength(0); // never push before the first TokenUpdate

    expect((await device.tokenUpdate()).status).toBe(200);
    const checkedIn = await e.device(device.udid);
    expect(checkedIn).toMatchObject({
      registrationState: 'Checked-In',
      templateId: template.id,
      checkInAddress: '127.0.0.1',
      userAgent: 'MDM/1.0',
      accessRights: '1FFF',
    });
    expect(Date.parse(checkedIn.checkedInAt)).not.toBeNaN();

    // The push reaches APNs exactly as Apple wants it for MDM.
    await e.waitFor(() => e.pushesTo(device.pushToken).length === 1, 5000, 'the enrollment push');
    const push = e.pushesTo(device.pushToken)[0];
    expect(push.headers['apns-push-type']).toBe('mdm');
    expect(push.headers['apns-topic']).toBe(cert.topic);
    expect(push.body).toBe(JSON.stringify({ mdm: device.pushMagic }));
    expect(push.clientTopic).toBe(cert.topic);
    await e.settle();
    expect((await e.device(device.udid)).syncState).toBe('Sync-Requested');

    // The device answers the push: inventory, the install, and the verification read-back.
    const received = await device.poll();
    expect(received.map((c) => `${c.requestType}:${c.status}`)).toEqual([
      'DeviceInformation:Acknowledged',
      'ProfileList:Acknowledged',
      'InstalledApplicationList:Acknowledged',
      'InstallProfile:Acknowledged',
      'DeviceInformation:Acknowledged',
      'ProfileList:Acknowledged',
      'InstalledApplicationList:Acknowledged',
    ]);
    expect(device.profiles.has('com.example.wifi')).toBe(true);

    const synced = await e.device(device.udid);
    expect(synced.syncState).toBe('Synchronized');
    expect(Date.parse(synced.lastSyncedAt)).toBeGreaterThan(Date.parse(synced.lastPushAt));
    expect(synced).toMatchObject({ name: 'Simulated iPhone', serialNumber: device.serial, osVersion: '17.5.1' });

    const commands = await e.api('GET', `/admin/v1/devices/${device.udid}/commands`);
    expect(commands.status).toBe(200);
    expect(commands.body.queue).toEqual([]);
    const history = commands.body.history as Array<{
      data: { requestType: string; status: string; commandId: string };
    }>;
    // The history holds the command that changed the device; the inventory reads are routine and
    // are logged only when they fail (docs/sync.md §Inventory reads). The inventory shows the read.
    expect(history.map((h) => `${h.data.requestType}:${h.data.status}`)).toEqual(['InstallProfile:Acknowledged']);
    const inventory = (await e.api('GET', `/admin/v1/devices/${device.udid}/inventory`)).body;
    expect(inventory.profiles.map((p: { identifier: string }) => p.identifier)).toContain('com.example.wifi');
    expect(Date.parse(inventory.readAt)).toBeGreaterThan(Date.parse(synced.lastPushAt));

    // CheckOut: management ends, and the device is told so on its next connect.
    expect((await device.checkOut()).status).toBe(200);
    const gone = await e.device(device.udid);
    expect(gone).toMatchObject({ registrationState: 'Withdrawn', withdrawalReason: 'checked-out' });
    const next = await device.connect({ Status: 'Idle' });
    expect(next.status).toBe(403);
    expect(JSON.parse(next.body.toString('utf8'))).toEqual({ code: 'com.apple.unrecognized.device' });

    // The same device can come back with a new enrollment (and a new identity).
    const again = await e.createEnrollment({ templateId: template.id });
    await device.enrollFully(again.url);
    await e.waitFor(() => e.pushesTo(device.pushToken).length === 2, 5000, 'the re-enrollment push');
    await device.poll();
    expect(await e.device(device.udid)).toMatchObject({ registrationState: 'Checked-In', syncState: 'Synchronized' });
    expect(device.profiles.has('com.example.wifi')).toBe(true);
  });
});
