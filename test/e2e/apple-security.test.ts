// Every bad input a device endpoint can get: 400 for bad signatures, certificates and plists,
// 403 unrecognized for devices we do not manage, never a 401 (it would unenroll the device).

import { SimulatedAppleDevice } from '../../kit/apple-device';
import { type E2E, startE2E } from '../../kit/e2e';
import { pushCert } from '../../kit/tls';
import { buildPlist } from '../../lambdas/protocol/apple/plist';
import { signMdmMessage } from '../../lambdas/protocol/apple/sign';

const CHECKIN = 'application/x-apple-aspen-mdm-checkin';

describe('Apple device endpoints refuse bad input', () => {
  let e: E2E;
  let bound: SimulatedAppleDevice;
  /** Every status any /mdm/* request got in this file. */
  const statuses: Array<{ path: string; status: number }> = [];

  const recordingFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const path = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url).pathname;
    if (path.startsWith('/mdm/')) statuses.push({ path, status: res.status });
    return res;
  };

  const device = (tenant = 'demo', udid?: string) =>
    new SimulatedAppleDevice({ baseUrl: e.local.url, tenant, platform: 'ios', fetch: recordingFetch, udid });

  /** A PUT to a device endpoint with a body and (optionally) a signature over other bytes. */
  const put = async (path: string, body: Buffer, signature?: string) => {
    const res = await recordingFetch(`${e.local.url}${path}`, {
      method: 'PUT',
      headers: { 'content-type': CHECKIN, ...(signature ? { 'mdm-signature': signature } : {}) },
      body,
    });
    return { status: res.status, text: await res.text() };
  };

  beforeAll(async () => {
    e = await startE2E({ manualPolls: true });
    await e.uploadPushCert();
    const { url } = await e.createEnrollment();
    bound = device();
    await bound.enrollFully(url);
    await e.settle();
  });
  afterAll(async () => {
    await e?.stop();
  });

  const authenticateBody = (udid: string) =>
    Buffer.from(
      buildPlist({
        MessageType: 'Authenticate',
        UDID: udid,
        Topic: bound.topic,
        SerialNumber: 'X1',
        OSVersion: '17.5',
        ProductName: 'iPhone15,2',
      }),
    );

  it('answers an unsigned request with 400', async () => {
    const r = await put('/mdm/demo/checkin', authenticateBody(bound.udid));
    expect(r.status).toBe(400);
    const connect = await put('/mdm/demo/connect', Buffer.from(buildPlist({ UDID: bound.udid, Status: 'Idle' })));
    expect(connect.status).toBe(400);
  });

  it('answers a signature over other bytes (tampered body) with 400', async () => {
    const signed = Buffer.from(buildPlist({ UDID: bound.udid, Status: 'Idle' }));
    const tampered = Buffer.from(buildPlist({ UDID: bound.udid, Status: 'Idle', Extra: 'x' }));
    const signature = signMdmMessage(signed, bound.identityCertPem!, bound.identityKeyPem!);
    expect((await put('/mdm/demo/connect', signed, signature)).status).toBe(200); // the same signature is fine on its own bytes
    expect((await put('/mdm/demo/connect', tampered, signature)).status).toBe(400);
  });

  it('answers a certificate issued by another tenant’s CA with 400', async () => {
    const created = await e.api(
      'POST',
      '/admin/v1/tenants',
      { id: 'other-org', name: 'Other' },
      e.local.credentials.operatorKey,
    );
    expect(created.status).toBe(201);
    const otherKey = created.body.adminKey as string;
    const cert = pushCert({ name: 'e2e-other' });
    expect(
      (
        await e.api(
          'PUT',
          '/admin/v1/push/apns',
          { certificatePem: cert.certPem, privateKeyPem: cert.keyPem },
          otherKey,
        )
      ).status,
    ).toBe(200);
    const enrollment = await e.api('POST', '/admin/v1/enrollments', { platform: 'ios' }, otherKey);
    expect(enrollment.status).toBe(201);
    const stranger = device('other-org');
    await stranger.enroll(enrollment.body.url);

    // Its identity is good for its own tenant, and worth nothing for demo.
    const body = authenticateBody(stranger.udid);
    const signature = signMdmMessage(body, stranger.identityCertPem!, stranger.identityKeyPem!);
    const r = await put('/mdm/demo/checkin', body, signature);
    expect(r.status).toBe(400);
    const idle = Buffer.from(buildPlist({ UDID: bound.udid, Status: 'Idle' }));
    expect(
      (await put('/mdm/demo/connect', idle, signMdmMessage(idle, stranger.identityCertPem!, stranger.identityKeyPem!)))
        .status,
    ).toBe(400);
    expect((await e.device(bound.udid)).registrationState).toBe('Checked-In');
  });

  it('answers another certificate for an already bound UDID with 400', async () => {
    const { url } = await e.createEnrollment();
    const impostor = device('demo', bound.udid);
    await impostor.enroll(url);
    expect((await impostor.authenticate()).status).toBe(400);
    expect((await impostor.tokenUpdate()).status).toBe(400);
    expect((await impostor.connect({ Status: 'Idle' })).status).toBe(400);
    // The real device is untouched and keeps working.
    const detail = await e.device(bound.udid);
    expect(detail.registrationState).toBe('Checked-In');
    expect((await bound.connect({ Status: 'Idle' })).status).toBe(200);
  });

  it('answers a certificate already bound to another UDID with 400 (one identity, one device)', async () => {
    const { url } = await e.createEnrollment();
    const profile = Buffer.from(await (await recordingFetch(url)).arrayBuffer());
    const first = device();
    const clone = device();
    first.installEnrollmentProfile(profile);
    await first.obtainIdentity(); // SCEP: the device's own key
    clone.installEnrollmentProfile(profile);
    clone.adoptIdentityOf(first); // the identity copied to another device
    expect((await first.authenticate()).status).toBe(200);
    expect((await clone.authenticate()).status).toBe(400);
    expect((await e.api('GET', `/admin/v1/devices/${clone.udid}`)).status).toBe(404);
    expect((await first.authenticate()).status).toBe(200); // the device itself may authenticate again
    // The refusal is logged with its reason and the raw body (cut to 4 KB).
    const logs = await e.api('GET', '/admin/v1/logs?q=refused');
    const refusal = (logs.body.items as Array<{ event: string; data: { reason: string; raw: string } }>).find((i) =>
      i.data.raw.includes(clone.udid),
    );
    expect(refusal).toMatchObject({
      event: 'device-request-refused',
      data: { reason: 'the identity certificate belongs to another device' },
    });
    expect(refusal?.data.raw).toContain('<key>MessageType</key>');
  });

  it('logs a refused TokenUpdate without its secrets', async () => {
    const { url } = await e.createEnrollment();
    const impostor = device('demo', bound.udid);
    await impostor.enroll(url); // another identity claiming the bound device's UDID
    expect((await impostor.tokenUpdate()).status).toBe(400);
    const logs = await e.api('GET', '/admin/v1/logs?q=refused');
    const items = logs.body.items as Array<{ data: { reason: string; raw: string } }>;
    const refusal = items.find((i) => i.data.raw.includes('TokenUpdate'));
    expect(refusal?.data.reason).toBe('the identity certificate does not belong to this device');
    expect(refusal?.data.raw).toMatch(/<key>PushMagic<\/key>\s*<string>\(redacted\)<\/string>/);
    expect(refusal?.data.raw).toMatch(/<key>Token<\/key>\s*<data>\(redacted\)<\/data>/);
  });

  it('answers a malformed plist with 400 and logs it with the raw body cut to 4 KB', async () => {
    const garbage = Buffer.from(
      `<?xml version="1.0"?><plist version="1.0"><dict><key>UDID</key><string>${'A'.repeat(10_000)}</dict>`,
    );
    const signature = signMdmMessage(garbage, bound.identityCertPem!, bound.identityKeyPem!);
    const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined); // xmldom reports the parse error itself
    try {
      expect((await put('/mdm/demo/checkin', garbage, signature)).status).toBe(400);
      expect((await put('/mdm/demo/connect', garbage, signature)).status).toBe(400);
    } finally {
      quiet.mockRestore();
    }
    const logs = await e.api('GET', '/admin/v1/logs?q=malformed');
    expect(logs.status).toBe(200);
    const items = logs.body.items as Array<{ event: string; data: { raw: string; route: string } }>;
    expect(items.length).toBeGreaterThanOrEqual(2);
    for (const item of items) {
      expect(Buffer.byteLength(item.data.raw, 'utf8')).toBeLessThanOrEqual(4096);
      expect(item.data.raw.startsWith('<?xml')).toBe(true);
    }
  });

  it('answers unknown and withdrawn devices with 403 com.apple.unrecognized.device', async () => {
    // Holds a server-issued identity but never authenticated: unknown.
    const { url } = await e.createEnrollment();
    const unknown = device();
    await unknown.enroll(url);
    const r = await unknown.connect({ Status: 'Idle' });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body.toString('utf8'))).toEqual({ code: 'com.apple.unrecognized.device' });
    expect((await unknown.tokenUpdate()).status).toBe(403);

    // Enrolled, then withdrawn by an admin Unenroll.
    const { url: url2 } = await e.createEnrollment();
    const leaving = device();
    await leaving.enrollFully(url2);
    await e.settle();
    await leaving.poll();
    expect((await e.api('POST', `/admin/v1/devices/${leaving.udid}/commands`, { type: 'Unenroll' })).status).toBe(202);
    await e.settle();
    const identity = { cert: leaving.identityCertPem!, key: leaving.identityKeyPem! };
    await leaving.poll(); // acknowledges RemoveProfile, then sends its CheckOut
    expect(await e.device(leaving.udid)).toMatchObject({
      registrationState: 'Withdrawn',
      withdrawalReason: 'unenrolled',
    });
    // A late request signed with its old identity is told it is no longer managed.
    const idle = Buffer.from(buildPlist({ UDID: leaving.udid, Status: 'Idle' }));
    const late = await put('/mdm/demo/connect', idle, signMdmMessage(idle, identity.cert, identity.key));
    expect(late.status).toBe(403);
    expect(JSON.parse(late.text)).toEqual({ code: 'com.apple.unrecognized.device' });
  });

  it('records a repeated Acknowledged for one CommandUUID once', async () => {
    expect((await e.api('POST', `/admin/v1/devices/${bound.udid}/commands`, { type: 'Sync' })).status).toBe(202);
    await e.settle();
    const received = await bound.poll();
    const first = received.find((c) => c.requestType === 'DeviceInformation')!;
    expect(first.status).toBe('Acknowledged');
    const before = await e.device(bound.udid);
    for (let i = 0; i < 2; i++) {
      const again = await bound.connect({
        CommandUUID: first.commandUuid,
        Status: 'Acknowledged',
        QueryResponses: { DeviceName: 'Changed' },
      });
      expect(again.status).toBe(200);
      expect(again.body.length).toBe(0);
    }
    const history = await e.api('GET', `/admin/v1/devices/${bound.udid}/commands?limit=100`);
    const entries = (history.body.history as Array<{ data: { commandId: string } }>).filter(
      (h) => h.data.commandId === first.commandUuid,
    );
    expect(entries).toHaveLength(1);
    const afterRepeat = await e.device(bound.udid);
    expect(afterRepeat.name).toBe(before.name);
    expect(afterRepeat.syncState).toBe(before.syncState);
  });

  it('never answered a device request with 401', () => {
    expect(statuses.length).toBeGreaterThan(20);
    expect(statuses.filter((s) => s.status === 401)).toEqual([]);
    expect(new Set(statuses.map((s) => s.status))).toEqual(new Set([200, 400, 403]));
  });
});
