// Device identities made on the device (SCEP, docs/apple.md §SCEP): the profile carries a one-time
// challenge and no key; the device makes its key, the tenant CA signs its request; the challenge
// cannot be reused, used late or used at another tenant; renewal keeps the device's binding.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedAppleDevice } from '../../kit/apple-device';
import { type E2E, startE2E } from '../../kit/e2e';
import { ScepClient, ScepFailure } from '../../kit/scep-client';
import { pushCert } from '../../kit/tls';
import { parsePlist } from '../../lambdas/protocol/apple/plist';
import { openEnvelope, readScepMessage } from '../../lambdas/protocol/apple/scep';
import { CA_KEY_SECRET } from '../../lambdas/service/secret-names';

type Dict = Record<string, unknown>;

describe('SCEP enrollment', () => {
  let e: E2E;
  /** Every request body a device sent, to prove its private key never left it. */
  const sent: Buffer[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    if (init?.body) sent.push(Buffer.from(init.body as Uint8Array));
    sent.push(Buffer.from(String(input)));
    return fetch(input, init);
  };
  const device = (tenant = 'demo') =>
    new SimulatedAppleDevice({ baseUrl: e.local.url, tenant, platform: 'ios', fetch: recordingFetch });
  const download = async (url: string) => Buffer.from(await (await fetch(url)).arrayBuffer());
  const payloadsOf = (profile: Buffer) => parsePlist(profile).PayloadContent as Dict[];
  const challengeOf = (profile: Buffer) =>
    String(
      (payloadsOf(profile).find((p) => p.PayloadType === 'com.apple.security.scep')!.PayloadContent as Dict).Challenge,
    );

  beforeAll(async () => {
    e = await startE2E({ manualPolls: false });
    await e.uploadPushCert();
  });
  afterAll(async () => {
    await e?.stop();
  });

  it('hands out a profile with a SCEP payload the MDM payload uses, and no key', async () => {
    const profile = await download((await e.createEnrollment()).url);
    const payloads = payloadsOf(profile);
    const scep = payloads.find((p) => p.PayloadType === 'com.apple.security.scep')!;
    const mdm = payloads.find((p) => p.PayloadType === 'com.apple.mdm')!;
    expect(mdm.IdentityCertificateUUID).toBe(scep.PayloadUUID);
    expect(scep.PayloadContent).toMatchObject({
      URL: `${e.local.url}/scep/demo`,
      Keysize: 2048,
      'Key Type': 'RSA',
      'Key Usage': 5,
    });
    expect(challengeOf(profile).length).toBeGreaterThanOrEqual(32);
    expect(payloads.map((p) => p.PayloadType)).not.toContain('com.apple.security.pkcs12');
    expect(profile.toString('utf8')).not.toMatch(/PRIVATE KEY|<key>Password<\/key>/);
  });

  it('advertises its capabilities and serves the tenant CA', async () => {
    const caps = await (await fetch(`${e.local.url}/scep/demo?operation=GetCACaps`)).text();
    expect(caps.split('\n').filter(Boolean).sort()).toEqual(['AES', 'POSTPKIOperation', 'Renewal', 'SHA-256']);
    const ca = await fetch(`${e.local.url}/scep/demo?operation=GetCACert`);
    expect(ca.headers.get('content-type')).toBe('application/x-x509-ca-cert');
    const tenant = await e.local.app.stores.tenants.get('demo');
    expect(new X509Certificate(Buffer.from(await ca.arrayBuffer())).fingerprint256).toBe(
      new X509Certificate(tenant!.caCertificatePem!).fingerprint256,
    );
    expect((await fetch(`${e.local.url}/scep/nobody?operation=GetCACert`)).status).toBe(404);
    expect((await fetch(`${e.local.url}/scep/demo?operation=Nonsense`)).status).toBe(400);
    const garbage = await fetch(`${e.local.url}/scep/demo?operation=PKIOperation`, { method: 'POST', body: 'x' });
    expect(garbage.status).toBe(400);
  });

  it('enrolls a device by SCEP to Checked-In and Synchronized; its key never reaches the server', async () => {
    const template = await e.createTemplate({ name: 'scep' });
    const d = e.newDevice({ fetch: recordingFetch }); // known to the push wiring: it polls when pushed
    await d.enrollFully((await e.createEnrollment({ templateId: template.id })).url);
    await e.settle(async () => (await e.device(d.udid)).syncState === 'Synchronized');
    const detail = await e.device(d.udid);
    expect(detail.registrationState).toBe('Checked-In');

    // The issued certificate: the device's own key, clientAuth, the tenant and device named, 730 days.
    const cert = new X509Certificate(d.identityCertPem!);
    const key = createPrivateKey(d.identityKeyPem!);
    expect(cert.checkPrivateKey(key)).toBe(true);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(cert.subject).toMatch(/OU=demo/);
    expect(cert.subject).toMatch(/CN=\S+/);
    const days = (Date.parse(cert.validTo) - e.clock.now().getTime()) / 86_400_000;
    expect(Math.round(days)).toBe(730);

    // What the server could read of the request is a PKCS#10: public key and challenge only.
    const exchange = d.scep.last!;
    const request = await readScepMessage(exchange.requestDer);
    const caKeyPem = (await e.local.app.stores.secrets.get('demo', CA_KEY_SECRET))!;
    const tenant = await e.local.app.stores.tenants.get('demo');
    const csrDer = openEnvelope(request.content!, tenant!.caCertificatePem!, caKeyPem);
    const dir = mkdtempSync(join(tmpdir(), 'scep-'));
    writeFileSync(join(dir, 'csr.der'), csrDer);
    const csrText = execFileSync('openssl', ['req', '-inform', 'DER', '-in', join(dir, 'csr.der'), '-noout', '-text']);
    expect(csrText.toString()).toMatch(/challengePassword/);
    // No byte the device sent holds its private key (its PKCS#8 DER, nor a prime of it).
    const privateDer = key.export({ type: 'pkcs8', format: 'der' });
    const prime = Buffer.from(key.export({ format: 'jwk' }).p!, 'base64url');
    for (const body of sent) {
      expect(body.includes(privateDer)).toBe(false);
      expect(body.includes(prime)).toBe(false);
    }
  });

  it('answers a CertRep openssl reads: SignedData by the CA, enveloped certificate for the requester', async () => {
    const d = device();
    await d.enroll((await e.createEnrollment()).url);
    const dir = mkdtempSync(join(tmpdir(), 'scep-'));
    const file = join(dir, 'certrep.der');
    writeFileSync(file, d.scep.last!.certRepDer);
    const printed = execFileSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', file]).toString();
    expect(printed).toMatch(/contentType: pkcs7-signedData/);
    expect(printed).toMatch(/2\.16\.840\.1\.113733\.1\.9\.2/); // messageType
    expect(printed).toMatch(/2\.16\.840\.1\.113733\.1\.9\.7/); // transactionID
    // The CA's signature over the CertRep verifies (no chain check: the signer is the CA itself).
    const tenant = await e.local.app.stores.tenants.get('demo');
    writeFileSync(join(dir, 'ca.pem'), tenant!.caCertificatePem!);
    const inner = join(dir, 'inner.der');
    execFileSync(
      'openssl',
      ['cms', '-verify', '-inform', 'DER', '-in', file, '-CAfile', join(dir, 'ca.pem'), '-noverify', '-out', inner],
      { stdio: 'pipe' },
    );
    const innerPrinted = execFileSync('openssl', [
      'cms',
      '-cmsout',
      '-print',
      '-inform',
      'DER',
      '-in',
      inner,
    ]).toString();
    expect(innerPrinted).toMatch(/contentType: pkcs7-envelopedData/);
  });

  it('refuses a reused challenge with failInfo badRequest', async () => {
    const profile = await download((await e.createEnrollment()).url);
    const first = device();
    first.installEnrollmentProfile(profile);
    await first.obtainIdentity();
    const second = device();
    second.installEnrollmentProfile(profile);
    await expect(second.obtainIdentity()).rejects.toMatchObject({ failInfo: 'badRequest' });
    expect(second.identityCertPem).toBeUndefined();
  });

  it('refuses a challenge once its enrollment has expired', async () => {
    const profile = await download((await e.createEnrollment({ expiresInHours: 1 })).url);
    e.clock.advance(2 * 3_600_000);
    const late = device();
    late.installEnrollmentProfile(profile);
    await expect(late.obtainIdentity()).rejects.toBeInstanceOf(ScepFailure);
    expect(late.scep.last!.certRep.attributes.failInfo).toBe('2'); // badRequest
  });

  it('refuses another tenant’s challenge', async () => {
    const created = await e.api(
      'POST',
      '/admin/v1/tenants',
      { id: 'other', name: 'Other' },
      e.local.credentials.operatorKey,
    );
    expect(created.status).toBe(201);
    const otherKey = created.body.adminKey as string;
    const cert = pushCert({ name: 'other' });
    await e.api('PUT', '/admin/v1/push/apns', { certificatePem: cert.certPem, privateKeyPem: cert.keyPem }, otherKey);
    const enrollment = await e.api('POST', '/admin/v1/enrollments', { platform: 'ios' }, otherKey);
    const challenge = challengeOf(await download(enrollment.body.url));
    const atDemo = new ScepClient({ url: `${e.local.url}/scep/demo` });
    await expect(atDemo.enroll(challenge, 'x')).rejects.toMatchObject({ failInfo: 'badRequest' });
    // The same challenge is good at its own tenant.
    const atOther = new ScepClient({ url: `${e.local.url}/scep/other` });
    await expect(atOther.enroll(challenge, 'x')).resolves.toHaveProperty('certPem');
  });

  it('renews the identity by SCEP before expiry; the device keeps its binding', async () => {
    const d = device();
    await d.enrollFully((await e.createEnrollment()).url);
    const before = await e.device(d.udid);
    const oldCert = d.identityCertPem!;
    await d.renewIdentity();
    expect(d.identityCertPem).not.toBe(oldCert);
    expect(d.scep.last!.certRep.attributes.messageType).toBe('3');
    expect((await d.connect({ Status: 'Idle' })).status).toBe(200);
    const after = await e.device(d.udid);
    expect(after.id).toBe(before.id);
    expect(after.registrationState).toBe('Checked-In');
    // The renewed certificate is now the bound one: another device cannot use the old one's binding.
    const sha = (pem: string) => new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase();
    const stored = await e.local.app.stores.devices.get('demo', d.udid);
    expect(stored?.identityCertHash).toBe(sha(d.identityCertPem!));
  });

  it('a renewal signed with a certificate of no device is refused', async () => {
    const stranger = new ScepClient({ url: `${e.local.url}/scep/demo` });
    const profile = await download((await e.createEnrollment()).url);
    const identity = await stranger.enroll(challengeOf(profile), 'never-authenticated');
    await expect(stranger.renew(identity)).rejects.toMatchObject({ failInfo: 'badCertId' });
  });

  it('keeps PKCS#12 in the profile for a tenant that chose it', async () => {
    const created = await e.api(
      'POST',
      '/admin/v1/tenants',
      { id: 'legacy', name: 'Legacy', appleIdentity: 'pkcs12' },
      e.local.credentials.operatorKey,
    );
    expect(created.status).toBe(201);
    const key = created.body.adminKey as string;
    const cert = pushCert({ name: 'legacy' });
    await e.api('PUT', '/admin/v1/push/apns', { certificatePem: cert.certPem, privateKeyPem: cert.keyPem }, key);
    const enrollment = await e.api('POST', '/admin/v1/enrollments', { platform: 'ios' }, key);
    const types = payloadsOf(await download(enrollment.body.url)).map((p) => p.PayloadType);
    expect(types).toEqual(['com.apple.security.pkcs12', 'com.apple.mdm']);
  });
});
