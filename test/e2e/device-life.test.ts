// A device's whole life through the admin API (issue 16): retire a device wiped on the device so
// that it enrolls again (its old identity refused), follow a Sync and a SelectiveWipe by their
// operation, SelectiveWipe's end state, bulk Retire, the push credentials' state, signed
// enrollment profiles, and who may do what.
import forge from 'node-forge';
import { AgentPushSender, SimulatedAndroidAgent } from '../../kit/android-agent';
import { SimulatedAppleDevice } from '../../kit/apple-device';
import { type E2E, sampleProfile, startE2E } from '../../kit/e2e';
import { serverCert, testCa } from '../../kit/tls';
import { unwrapSignedProfile } from '../../lambdas/protocol/apple/sign';

let e: E2E;
let fcm: AgentPushSender;

beforeAll(async () => {
  fcm = new AgentPushSender();
  e = await startE2E({ fcm });
  await e.uploadPushCert();
});
afterAll(async () => {
  await fcm.delivered();
  await e.stop();
});

/** Downloads an enrollment profile as a device would (kept, to install it on a second simulator). */
async function downloadProfile(templateId?: string): Promise<Buffer> {
  const { url } = await e.createEnrollment(templateId ? { templateId } : {});
  const res = await fetch(url.replace(/^https?:\/\/[^/]+/, e.local.url));
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

/** Installs a profile, then Authenticate and TokenUpdate; returns their statuses. */
async function enrollWith(device: SimulatedAppleDevice, profile: Buffer): Promise<number[]> {
  device.installEnrollmentProfile(profile);
  if (device.needsScepIdentity) await device.obtainIdentity(); // SCEP: the device's own key
  const auth = await device.authenticate();
  if (auth.status !== 200) return [auth.status];
  return [auth.status, (await device.tokenUpdate()).status];
}

const operationDone = (id: string) =>
  e.waitFor(
    async () => (await e.api('GET', `/admin/v1/commands/${id}`)).body.status === 'done',
    undefined,
    `operation ${id} done`,
  );

describe('retire', () => {
  it('lets a device wiped on the device enroll again, and refuses its old identity', async () => {
    const iphone = e.newDevice();
    const firstProfile = await downloadProfile();
    expect(await enrollWith(iphone, firstProfile)).toEqual([200, 200]);
    await e.waitFor(async () => (await e.device(iphone.udid)).syncState === 'Synchronized');

    // What the phone held before the wipe: its first identity, kept to show it no longer works.
    const ghost = new SimulatedAppleDevice({
      baseUrl: e.local.url,
      tenant: 'demo',
      platform: 'ios',
      udid: iphone.udid,
      serial: iphone.serial,
    });
    ghost.installEnrollmentProfile(firstProfile);
    ghost.adoptIdentityOf(iphone); // the identity the phone had before it was wiped
    // Erased on the device itself: the server still manages it, bound to its first identity.
    iphone.wipe();
    const secondProfile = await downloadProfile();
    expect(await enrollWith(iphone, secondProfile)).toEqual([400]);

    expect((await e.api('DELETE', `/admin/v1/devices/${iphone.udid}`)).status).toBe(204);
    const retired = await e.device(iphone.udid);
    expect(retired).toMatchObject({ registrationState: 'Withdrawn', withdrawalReason: 'retired', pendingCommands: {} });
    // Still listed, with its history.
    const listed = await e.api('GET', '/admin/v1/devices?registrationState=Withdrawn');
    expect(listed.body.items.map((d: { id: string }) => d.id)).toContain(iphone.udid);
    const logs = await e.api('GET', `/admin/v1/logs?deviceId=${iphone.udid}`);
    expect(logs.body.items.map((l: { event: string }) => l.event)).toEqual(
      expect.arrayContaining(['withdrawn', 'checked-in']),
    );

    // The same hardware with its old identity (the first profile) is not recognized any more.
    const ghostAuth = await ghost.authenticate();
    expect(ghostAuth.status).toBe(403);
    expect(JSON.parse(ghostAuth.body.toString('utf8'))).toEqual({ code: 'com.apple.unrecognized.device' });
    expect((await ghost.connect({ Status: 'Idle' })).status).toBe(403);

    // With a new profile it enrolls again, and is managed as before.
    expect(await enrollWith(iphone, await downloadProfile())).toEqual([200, 200]);
    await e.waitFor(async () => (await e.device(iphone.udid)).syncState === 'Synchronized');
    expect(await e.device(iphone.udid)).toMatchObject({ registrationState: 'Checked-In', withdrawalReason: null });
    // Its identity now is the new one: the old one still gets nowhere.
    expect((await ghost.connect({ Status: 'Idle' })).status).toBe(400);
  });

  it('answers an Android agent of a retired device 401', async () => {
    const enrollment = await e.api('POST', '/admin/v1/enrollments', { platform: 'android' });
    const agent = SimulatedAndroidAgent.fromQrPayload(enrollment.body.qrPayload);
    expect((await agent.enroll()).status).toBe(201);
    expect((await e.api('DELETE', `/admin/v1/devices/${agent.deviceId}`)).status).toBe(204);
    expect((await agent.checkIn()).status).toBe(401);
  });

  it('retires many devices through the bulk fan-out', async () => {
    const devices = await e.enrollDevices(2);
    const ids = devices.map((d) => d.udid);
    const accepted = await e.api('POST', '/admin/v1/commands', {
      type: 'Retire',
      deviceIds: [...ids, 'no-such-device'],
    });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ accepted: 3, commandIds: [] });
    const progress = await e.operation(accepted.body.operationId);
    expect(progress).toMatchObject({ type: 'Retire', status: 'done', targeted: 3, queued: 2, refused: 1 });
    for (const id of ids) expect(await e.device(id)).toMatchObject({ withdrawalReason: 'retired' });
  });

  it('is refused to a viewer (403) and to another tenant (404)', async () => {
    const [device] = await e.enrollDevices(1);
    const viewer = await e.api('POST', '/admin/v1/api-keys', { name: 'ro', role: 'viewer' });
    expect((await e.api('DELETE', `/admin/v1/devices/${device.udid}`, undefined, viewer.body.key)).status).toBe(403);
    const other = await e.api(
      'POST',
      '/admin/v1/tenants',
      { id: 'other-life', name: 'Other' },
      e.local.credentials.operatorKey,
    );
    const otherKey = other.body.adminKey;
    expect((await e.api('DELETE', `/admin/v1/devices/${device.udid}`, undefined, otherKey)).status).toBe(404);
    const sync = await e.api('POST', `/admin/v1/devices/${device.udid}/commands`, { type: 'Sync' });
    expect((await e.api('GET', `/admin/v1/commands/${sync.body.operationId}`, undefined, otherKey)).status).toBe(404);
    expect(await e.device(device.udid)).toMatchObject({ registrationState: 'Checked-In' });
  });
});

describe('answers to follow', () => {
  it('gives a Sync an operation that shows the commands it produced and their outcomes', async () => {
    const template = await e.createTemplate({
      items: [{ kind: 'profile', identifier: 'com.example.wifi', payload: sampleProfile() }],
    });
    const [device] = await e.enrollDevices(1);
    await e.waitFor(async () => (await e.device(device.udid)).syncState === 'Synchronized');
    await e.api('PUT', `/admin/v1/devices/${device.udid}/template`, { templateId: template.id });
    await e.waitFor(async () => device.profiles.has('com.example.wifi'));
    await e.waitFor(async () => (await e.device(device.udid)).syncState === 'Synchronized');
    // Removed behind the server's back: the Sync finds it missing and installs it again.
    device.profiles.delete('com.example.wifi');

    const accepted = await e.api('POST', `/admin/v1/devices/${device.udid}/commands`, { type: 'Sync' });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ operationId: expect.stringMatching(/^op_/) });
    await operationDone(accepted.body.operationId);
    const op = (await e.api('GET', `/admin/v1/commands/${accepted.body.operationId}`)).body;
    expect(op).toMatchObject({ type: 'Sync', deviceId: device.udid, status: 'done' });
    const types = op.commands.map((c: { requestType: string }) => c.requestType);
    // The read, the install, the read-back: every one acknowledged.
    expect(types).toContain('InstallProfile');
    expect(types.filter((t: string) => t === 'ProfileList').length).toBe(2);
    expect(op.commands.every((c: { status: string }) => c.status === 'Acknowledged')).toBe(true);
    expect(device.profiles.has('com.example.wifi')).toBe(true);
    expect((await e.device(device.udid)).syncState).toBe('Synchronized');
  });

  it('gives a bulk Sync by ids one operation per device', async () => {
    const devices = await e.enrollDevices(2);
    const accepted = await e.api('POST', '/admin/v1/commands', { type: 'Sync', deviceIds: devices.map((d) => d.udid) });
    expect(accepted.status).toBe(202);
    expect(accepted.body.commandIds).toEqual([]);
    expect(accepted.body.operationIds).toHaveLength(2);
    await e.operation(accepted.body.operationId);
    for (const [i, id] of accepted.body.operationIds.entries()) {
      await operationDone(id);
      const op = (await e.api('GET', `/admin/v1/commands/${id}`)).body;
      expect(op).toMatchObject({ type: 'Sync', deviceId: devices[i].udid });
      expect(op.commands.length).toBeGreaterThan(0);
    }
  });

  it('never answers an empty command id', async () => {
    const [device] = await e.enrollDevices(1);
    const lock = await e.api('POST', `/admin/v1/devices/${device.udid}/commands`, { type: 'Lock' });
    expect(lock.body.commandId).toMatch(/\S/);
    await e.waitFor(() => device.log.some((l) => l.kind === 'report' && l.commandUuid === lock.body.commandId));
  });
});

describe('SelectiveWipe', () => {
  it('removes what the server delivered, unassigns the template, and says so everywhere', async () => {
    const template = await e.createTemplate({
      items: [{ kind: 'profile', identifier: 'com.example.vpn', payload: sampleProfile('com.example.vpn', 'VPN') }],
    });
    const [device] = await e.enrollDevices(1, { templateId: template.id });
    await e.waitFor(async () => (await e.device(device.udid)).syncState === 'Synchronized');
    expect(device.profiles.has('com.example.vpn')).toBe(true);

    const accepted = await e.api('POST', `/admin/v1/devices/${device.udid}/commands`, { type: 'SelectiveWipe' });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ operationId: expect.stringMatching(/^op_/) });
    await operationDone(accepted.body.operationId);

    const op = (await e.api('GET', `/admin/v1/commands/${accepted.body.operationId}`)).body;
    expect(op.commands.find((c: { requestType: string }) => c.requestType === 'RemoveProfile')).toMatchObject({
      status: 'Acknowledged',
    });
    expect(device.profiles.has('com.example.vpn')).toBe(false);
    expect(device.enrolled).toBe(true);
    const after = await e.device(device.udid);
    expect(after).toMatchObject({
      registrationState: 'Checked-In',
      syncState: 'Synchronized',
      templateId: null,
      pendingCommands: {},
      selectiveWipe: { templateId: template.id, removed: ['com.example.vpn'] },
    });
    expect((await e.api('GET', `/admin/v1/devices/${device.udid}/diagnosis`)).body.verdict).toBe('synchronized');
    expect((await e.api('GET', '/admin/v1/dashboard')).body.pendingCommands.SelectiveWipe).toBe(0);
    // A later sync does not bring the template's profile back.
    const sync = await e.api('POST', `/admin/v1/devices/${device.udid}/commands`, { type: 'Sync' });
    await operationDone(sync.body.operationId);
    expect(device.profiles.has('com.example.vpn')).toBe(false);
  });
});

describe('push credentials state', () => {
  it('shows the APNs topic, expiry and the last push outcome, and no secret, to a viewer', async () => {
    await e.enrollDevices(1); // a push goes out
    const viewer = await e.api('POST', '/admin/v1/api-keys', { name: 'ro2', role: 'viewer' });
    await e.waitFor(
      async () => (await e.api('GET', '/admin/v1/push', undefined, viewer.body.key)).body.apns?.lastOutcome === 'sent',
    );
    const state = await e.api('GET', '/admin/v1/push', undefined, viewer.body.key);
    expect(state.status).toBe(200);
    expect(state.body).toEqual({
      apns: {
        topic: expect.stringMatching(/^com\.apple\.mgmt\./),
        notAfter: expect.any(String),
        daysLeft: expect.any(Number),
        lastPushAt: expect.any(String),
        lastOutcome: 'sent',
      },
      fcm: null,
    });
    expect(state.body.apns.daysLeft).toBeGreaterThan(0);
    expect(state.text).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
  });
});

describe('signed enrollment profiles', () => {
  it('signs profiles once the tenant has a signing certificate, and devices enroll with them', async () => {
    const unsigned = await downloadProfile();
    expect(unsigned.subarray(0, 5).toString()).toBe('<?xml');

    const signer = serverCert();
    const bad = await e.api('PUT', '/admin/v1/signing', {
      certificatePem: signer.certPem,
      privateKeyPem: testCa().keyPem,
    });
    expect(bad.status).toBe(422);
    const put = await e.api('PUT', '/admin/v1/signing', {
      certificatePem: `${signer.certPem}\n${testCa().certPem}`,
      privateKeyPem: signer.keyPem,
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ subject: expect.stringContaining('localhost'), notAfter: expect.any(String) });
    expect(put.text).not.toMatch(/PRIVATE KEY/);

    const signed = await downloadProfile();
    expect(signed[0]).toBe(0x30); // DER CMS, not XML
    const cms = forge.pkcs7.messageFromAsn1(forge.asn1.fromDer(signed.toString('binary'))) as unknown as {
      certificates: forge.pki.Certificate[];
    };
    const pem = (text: string) => text.replace(/\r/g, '').trim();
    const certs = cms.certificates.map((c) => pem(forge.pki.certificateToPem(c)));
    expect(certs).toEqual([pem(signer.certPem), pem(testCa().certPem)]);
    expect(unwrapSignedProfile(signed)?.toString('utf8')).toMatch(/com\.apple\.mdm/);

    const device = e.newDevice();
    expect(await enrollWith(device, signed)).toEqual([200, 200]);
  });
});
