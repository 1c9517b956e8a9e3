// Identity renewal before expiry (docs/apple.md §Renewal): the daily certificate-check sends a
// device whose identity expires within the renewal window an InstallProfile of its enrollment
// profile with a device-bound SCEP challenge; the device renews by SCEP and keeps its record.
import { X509Certificate } from 'node:crypto';
import type { SimulatedAppleDevice } from '../../kit/apple-device';
import { type E2E, startE2E } from '../../kit/e2e';
import { IDENTITY_RENEWAL_DAYS } from '../../lambdas/domain/jobs';
import { readScepMessage, SCEP_MESSAGE_TYPES } from '../../lambdas/protocol/apple/scep';

const DAY = 86_400_000;
const CERT_DAYS = IDENTITY_RENEWAL_DAYS + 10;
const sha = (pem: string) => new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase();

describe('Apple identity renewal', () => {
  let e: E2E;
  const runCheck = async () => {
    const r = await e.api('POST', '/admin/v1/jobs/certificate-check/run');
    expect(r.status).toBe(200);
    return r.body.devicesTouched as number;
  };
  const renewalsQueued = async (d: SimulatedAppleDevice) =>
    (await e.local.app.stores.commands.liveQueue('demo', d.udid)).filter((c) => c.origin === 'renewal');

  beforeAll(async () => {
    e = await startE2E();
    await e.uploadPushCert();
    // Short-lived identities, so that the renewal window is reached within the push certificate's life.
    await e.local.app.stores.tenants.update('demo', { deviceCertificateDays: CERT_DAYS });
  });
  afterAll(async () => {
    await e?.stop();
  });

  it('renews an identity within the window once; the device keeps its record and the old certificate is refused', async () => {
    const d = e.newDevice();
    await d.enrollFully((await e.createEnrollment()).url);
    await e.settle(async () => (await e.device(d.udid)).syncState === 'Synchronized');
    const before = (await e.local.app.stores.devices.get('demo', d.udid))!;
    const oldCert = d.identityCertPem!;
    const oldKey = d.identityKeyPem!;

    // Outside the window: nothing to renew.
    expect(await runCheck()).toBe(0);
    expect(await renewalsQueued(d)).toHaveLength(0);

    // Inside the window, device offline: one renewal queued, and no second one while it is pending.
    e.clock.advance((CERT_DAYS - IDENTITY_RENEWAL_DAYS + 1) * DAY);
    d.offline = true;
    expect(await runCheck()).toBe(1);
    expect(await runCheck()).toBe(0);
    const queued = await renewalsQueued(d);
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ requestType: 'InstallProfile' });
    // The profile (and its challenge) is sealed in the queue, not stored in the clear.
    expect(JSON.stringify(queued[0].payload)).not.toMatch(/Challenge|scep/);

    // Back online: the device installs the profile, renews by SCEP (a PKCSReq with the new
    // challenge) and acknowledges with its new identity.
    d.offline = false;
    await d.poll();
    await e.settle(async () => (await renewalsQueued(d)).length === 0);
    expect(d.identityCertPem).not.toBe(oldCert);
    const request = await readScepMessage(d.scep.last!.requestDer);
    expect(request.attributes.messageType).toBe(SCEP_MESSAGE_TYPES.PKCSReq);
    expect(d.log.find((l) => l.kind === 'report' && l.requestType === 'InstallProfile')).toMatchObject({
      status: 'Acknowledged',
      httpStatus: 200,
    });

    const stored = await e.local.app.stores.devices.get('demo', d.udid);
    expect(stored?.identityCertHash).toBe(sha(d.identityCertPem!));
    const newNotAfter = Date.parse(new X509Certificate(d.identityCertPem!).validTo);
    expect(Date.parse(stored!.identityCertNotAfter!)).toBe(newNotAfter);
    expect(Math.round((newNotAfter - e.clock.now().getTime()) / DAY)).toBe(CERT_DAYS);
    expect(stored).toMatchObject({
      id: before.id,
      registrationState: 'Checked-In',
      createdAt: before.createdAt,
      enrolledVia: before.enrolledVia,
      checkedInAt: before.checkedInAt,
    });

    // The next requests, signed by the new certificate, are accepted.
    expect((await d.connect({ Status: 'Idle' })).status).toBe(200);
    // Renewed: nothing more to queue.
    expect(await runCheck()).toBe(0);

    // The replaced certificate is refused from then on (400, never 401).
    const current = { certPem: d.identityCertPem!, keyPem: d.identityKeyPem! };
    d.adoptIdentityOf({ certPem: oldCert, keyPem: oldKey });
    expect((await d.connect({ Status: 'Idle' })).status).toBe(400);
    d.adoptIdentityOf(current);
    expect((await d.connect({ Status: 'Idle' })).status).toBe(200);
    expect((await e.local.app.stores.devices.get('demo', d.udid))?.identityCertHash).toBe(sha(current.certPem));
  });
});
