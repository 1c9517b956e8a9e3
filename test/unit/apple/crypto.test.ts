import { createHash, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { createTenantCa, issueDeviceIdentity } from '../../../lambdas/protocol/apple/ca';
import { signMdmMessage, signProfile, unwrapSignedProfile } from '../../../lambdas/protocol/apple/sign';
import { SignatureError, verifyMdmSignature } from '../../../lambdas/protocol/apple/signature';
import { readFixture } from '../../support/fixtures';

const NOW = new Date('2025-03-01T12:00:00Z');
const caA = createTenantCa('tenant-a', NOW);
const caB = createTenantCa('tenant-b', NOW);
const device = issueDeviceIdentity(caA, { tenantId: 'a', device: 'device-1' }, NOW);

function keyFromP12(p12: Buffer, password: string): { certPem: string; keyPem: string } {
  const parsed = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(p12.toString('binary')), password);
  const keyBag = parsed.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[
    forge.pki.oids.pkcs8ShroudedKeyBag
  ]![0];
  const certBag = parsed.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag]![0];
  return { certPem: forge.pki.certificateToPem(certBag.cert!), keyPem: forge.pki.privateKeyToPem(keyBag.key!) };
}

describe('createTenantCa', () => {
  it('makes a 10-year RSA-2048 CA certificate', () => {
    const cert = new X509Certificate(caA.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toContain('tenant-a');
    expect(new Date(cert.validTo).getUTCFullYear()).toBe(2035);
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const f = forge.pki.certificateFromPem(caA.certPem);
    expect(f.getExtension('keyUsage')).toMatchObject({ keyCertSign: true });
  });
});

describe('issueDeviceIdentity', () => {
  it('issues a 2-year clientAuth certificate chaining to the CA, in a 3DES PKCS#12', () => {
    const cert = new X509Certificate(device.certPem);
    const ca = new X509Certificate(caA.certPem);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.verify(new X509Certificate(caB.certPem).publicKey)).toBe(false);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(cert.ca).toBe(false);
    expect(device.notAfter.toISOString()).toBe('2027-03-01T12:00:00.000Z');
    expect(new Date(cert.validTo).getTime()).toBe(device.notAfter.getTime());
    expect(device.password.length).toBeGreaterThanOrEqual(16);

    const { certPem } = keyFromP12(device.p12, device.password);
    expect(new X509Certificate(certPem).fingerprint256).toBe(cert.fingerprint256);
    // pbeWithSHAAnd3-KeyTripleDES-CBC, not PBES2/AES.
    const oid3des = forge.asn1.oidToDer('1.2.840.113549.1.12.1.3').getBytes();
    const asn = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(device.p12.toString('binary')), device.password);
    expect(asn.safeContents.length).toBeGreaterThan(0);
    expect(device.p12.toString('binary')).toContain(oid3des);
    expect(() => keyFromP12(device.p12, 'wrong')).toThrow();
  });

  it('gives every device a different serial and key', () => {
    const other = issueDeviceIdentity(caA, { tenantId: 'a', device: 'device-1' }, NOW);
    const a = new X509Certificate(device.certPem);
    const b = new X509Certificate(other.certPem);
    expect(a.serialNumber).not.toBe(b.serialNumber);
    expect(a.publicKey.export({ format: 'pem', type: 'spki' })).not.toBe(
      b.publicKey.export({ format: 'pem', type: 'spki' }),
    );
  });
});

describe('verifyMdmSignature', () => {
  const header2 = readFixture('nanomdm', 'mdm-signature', 'mdmSignatureHeader2.b64').toString('utf8').trim();
  const body2 = readFixture('nanomdm', 'mdm-signature', 'mdmSignatureBody2.plist');

  it('verifies a real device signature (BER, SHA-1, no signed attributes)', async () => {
    const r = await verifyMdmSignature(header2, body2);
    expect(r.certHash).toBe(createHash('sha256').update(r.certDer).digest('hex'));
    expect(r.notAfter.getUTCFullYear()).toBe(2031);
    expect(new X509Certificate(r.certPem).issuer).toContain('SCEP CA');
  });

  it('rejects a tampered body', async () => {
    const tampered = Buffer.from(body2.toString('utf8').replace('Idle', 'Idlf'));
    await expect(verifyMdmSignature(header2, tampered)).rejects.toMatchObject({ reason: 'bad-signature', status: 400 });
  });

  it('rejects the real signature when the signer is not from our CA', async () => {
    await expect(verifyMdmSignature(header2, body2, caA.certPem)).rejects.toMatchObject({ reason: 'untrusted' });
  });

  it('rejects the real signature after its certificate expired', async () => {
    await expect(verifyMdmSignature(header2, body2, undefined, new Date('2032-01-01T00:00:00Z'))).rejects.toMatchObject(
      {
        reason: 'expired',
      },
    );
  });

  it('fails cleanly on header1 (a parse-only sample whose body we do not have)', async () => {
    const header1 = readFixture('nanomdm', 'mdm-signature', 'mdmSignatureHeader1.b64').toString('utf8').trim();
    await expect(verifyMdmSignature(header1, body2)).rejects.toBeInstanceOf(SignatureError);
  });

  it.each([
    ['missing', undefined, 'missing'],
    ['empty', '  ', 'missing'],
    ['not base64', '%%%not-base64%%%', 'garbled'],
    ['base64 of garbage', Buffer.from('hello world').toString('base64'), 'garbled'],
    ['a certificate, not CMS', Buffer.from(new X509Certificate(caA.certPem).raw).toString('base64'), 'garbled'],
  ])('rejects a %s header', async (_n, header, reason) => {
    await expect(verifyMdmSignature(header, body2)).rejects.toMatchObject({ reason, status: 400 });
  });

  it('verifies our own SHA-256 signature with signed attributes against the issuing tenant CA only', async () => {
    const { certPem, keyPem } = keyFromP12(device.p12, device.password);
    const body = Buffer.from(
      '<?xml version="1.0"?><plist version="1.0"><dict><key>Status</key><string>Idle</string></dict></plist>',
    );
    const sig = signMdmMessage(body, certPem, keyPem);
    const r = await verifyMdmSignature(sig, body, caA.certPem, NOW);
    expect(r.certHash).toBe(createHash('sha256').update(new X509Certificate(device.certPem).raw).digest('hex'));
    await expect(verifyMdmSignature(sig, body, caB.certPem, NOW)).rejects.toMatchObject({ reason: 'untrusted' });
    await expect(
      verifyMdmSignature(sig, Buffer.concat([body, Buffer.from(' ')]), caA.certPem, NOW),
    ).rejects.toMatchObject({
      reason: 'bad-signature',
    });
    await expect(verifyMdmSignature(sig, body, caA.certPem, new Date('2028-01-01T00:00:00Z'))).rejects.toMatchObject({
      reason: 'expired',
    });
  });

  it('rejects an attached (non-detached) signature', async () => {
    const { certPem, keyPem } = keyFromP12(device.p12, device.password);
    const attached = signProfile(Buffer.from('x'), certPem, keyPem).toString('base64');
    await expect(verifyMdmSignature(attached, Buffer.from('x'), caA.certPem, NOW)).rejects.toMatchObject({
      reason: 'not-detached',
    });
  });
});

describe('signProfile', () => {
  it('wraps the profile in an attached SignedData that unwraps to the same bytes', () => {
    const xml = Buffer.from('<?xml version="1.0"?><plist version="1.0"><dict/></plist>');
    const der = signProfile(xml, caA.certPem, caA.keyPem);
    expect(der[0]).toBe(0x30);
    expect(unwrapSignedProfile(der)).toEqual(xml);
    expect(unwrapSignedProfile(Buffer.from('not der'))).toBeUndefined();
  });
});
