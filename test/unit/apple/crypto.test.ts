import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import {
  type CaMaterial,
  createTenantCa,
  type DeviceIdentity,
  issueDeviceIdentity,
} from '../../../lambdas/protocol/apple/ca';
import { signMdmMessage, signProfile, unwrapSignedProfile } from '../../../lambdas/protocol/apple/sign';
import { SignatureError, SignerCertificateCache, verifyMdmSignature } from '../../../lambdas/protocol/apple/signature';
import { readFixture } from '../../support/fixtures';

const NOW = new Date('2025-03-01T12:00:00Z');
let caA: CaMaterial;
let caB: CaMaterial;
let device: DeviceIdentity;
beforeAll(async () => {
  [caA, caB] = await Promise.all([createTenantCa('tenant-a', NOW), createTenantCa('tenant-b', NOW)]);
  device = await issueDeviceIdentity(caA, { tenantId: 'a', device: 'device-1' }, NOW);
});

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

  it('gives every device a different serial and key', async () => {
    const other = await issueDeviceIdentity(caA, { tenantId: 'a', device: 'device-1' }, NOW);
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
    ['a certificate, not CMS', () => Buffer.from(new X509Certificate(caA.certPem).raw).toString('base64'), 'garbled'],
  ])('rejects a %s header', async (_n, header, reason) => {
    const value = typeof header === 'function' ? header() : header;
    await expect(verifyMdmSignature(value, body2)).rejects.toMatchObject({ reason, status: 400 });
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

describe('verifyMdmSignature of signatures OpenSSL makes', () => {
  const body = Buffer.from('<?xml version="1.0"?><plist version="1.0"><dict/></plist>');
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mdm-sig-'));
    const { certPem, keyPem } = keyFromP12(device.p12, device.password);
    writeFileSync(join(dir, 'cert.pem'), certPem);
    writeFileSync(join(dir, 'key.pem'), keyPem);
    writeFileSync(join(dir, 'body'), body);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['issuer and serial, SHA-256 with signed attributes', []],
    ['subject key identifier, SHA-256 with signed attributes', ['-keyid']],
    ['issuer and serial, SHA-256 over the body', ['-noattr']],
    ['subject key identifier, SHA-1 over the body', ['-keyid', '-noattr', '-md', 'sha1']],
  ])('names the signer by %s', async (_name, flags) => {
    const der = execFileSync('openssl', [
      'cms',
      '-sign',
      '-binary',
      '-outform',
      'DER',
      '-in',
      join(dir, 'body'),
      '-signer',
      join(dir, 'cert.pem'),
      '-inkey',
      join(dir, 'key.pem'),
      ...flags,
    ]);
    const header = der.toString('base64');
    const r = await verifyMdmSignature(header, body, caA.certPem, NOW, new SignerCertificateCache());
    expect(r.certHash).toBe(createHash('sha256').update(new X509Certificate(device.certPem).raw).digest('hex'));
    await expect(verifyMdmSignature(header, Buffer.from('other'), caA.certPem, NOW)).rejects.toMatchObject({
      reason: 'bad-signature',
    });
  });
});

describe('verifyMdmSignature with a certificate cache', () => {
  const body = Buffer.from(
    '<?xml version="1.0"?><plist version="1.0"><dict><key>Status</key><string>Idle</string></dict></plist>',
  );
  let mine: { certPem: string; keyPem: string; hash: string };
  let sibling: { certPem: string; keyPem: string; hash: string };
  let foreign: { certPem: string; keyPem: string; hash: string };
  const withHash = (id: DeviceIdentity) => {
    const keys = keyFromP12(id.p12, id.password);
    return { ...keys, hash: createHash('sha256').update(new X509Certificate(keys.certPem).raw).digest('hex') };
  };
  beforeAll(async () => {
    mine = withHash(device);
    sibling = withHash(await issueDeviceIdentity(caA, { tenantId: 'a', device: 'device-2' }, NOW));
    foreign = withHash(await issueDeviceIdentity(caB, { tenantId: 'b', device: 'device-3' }, NOW));
  });

  it('keeps a checked certificate and still checks every signature over the body', async () => {
    const cache = new SignerCertificateCache();
    const sig = signMdmMessage(body, mine.certPem, mine.keyPem);
    await verifyMdmSignature(sig, body, caA.certPem, NOW, cache);
    expect(cache.has(mine.hash, caA.certPem)).toBe(true);

    const tampered = Buffer.from(body.toString('utf8').replace('Idle', 'Idlf'));
    await expect(verifyMdmSignature(sig, tampered, caA.certPem, NOW, cache)).rejects.toMatchObject({
      reason: 'bad-signature',
    });
    // The cached certificate, but the signature made with another key.
    const wrongKey = signMdmMessage(body, mine.certPem, sibling.keyPem);
    await expect(verifyMdmSignature(wrongKey, body, caA.certPem, NOW, cache)).rejects.toMatchObject({
      reason: 'bad-signature',
    });
    expect((await verifyMdmSignature(sig, body, caA.certPem, NOW, cache)).certHash).toBe(mine.hash);
  });

  it('checks a cached certificate against another CA again', async () => {
    const cache = new SignerCertificateCache();
    const sig = signMdmMessage(body, mine.certPem, mine.keyPem);
    await verifyMdmSignature(sig, body, caA.certPem, NOW, cache);
    await expect(verifyMdmSignature(sig, body, caB.certPem, NOW, cache)).rejects.toMatchObject({ reason: 'untrusted' });
    expect(cache.has(mine.hash, caB.certPem)).toBe(false);
  });

  it('checks a different certificate on its own', async () => {
    const cache = new SignerCertificateCache();
    await verifyMdmSignature(signMdmMessage(body, mine.certPem, mine.keyPem), body, caA.certPem, NOW, cache);
    const fromB = signMdmMessage(body, foreign.certPem, foreign.keyPem);
    await expect(verifyMdmSignature(fromB, body, caA.certPem, NOW, cache)).rejects.toMatchObject({
      reason: 'untrusted',
    });
    expect(cache.size).toBe(1);
    await verifyMdmSignature(signMdmMessage(body, sibling.certPem, sibling.keyPem), body, caA.certPem, NOW, cache);
    expect(cache.size).toBe(2);
  });

  it('applies the validity dates on every request, cached or not', async () => {
    const cache = new SignerCertificateCache();
    const sig = signMdmMessage(body, mine.certPem, mine.keyPem);
    await verifyMdmSignature(sig, body, caA.certPem, NOW, cache);
    await expect(
      verifyMdmSignature(sig, body, caA.certPem, new Date('2028-01-01T00:00:00Z'), cache),
    ).rejects.toMatchObject({ reason: 'expired' });
    await expect(
      verifyMdmSignature(sig, body, caA.certPem, new Date('2025-01-01T00:00:00Z'), cache),
    ).rejects.toMatchObject({ reason: 'not-yet-valid' });
  });

  it('keeps at most its capacity, dropping the least recently used', async () => {
    const cache = new SignerCertificateCache(2);
    const verify = (who: { certPem: string; keyPem: string }, ca: CaMaterial) =>
      verifyMdmSignature(signMdmMessage(body, who.certPem, who.keyPem), body, ca.certPem, NOW, cache);
    await verify(mine, caA);
    await verify(sibling, caA);
    await verify(mine, caA); // used again: now the sibling is the least recently used
    await verify(foreign, caB);
    expect(cache.size).toBe(2);
    expect(cache.has(mine.hash, caA.certPem)).toBe(true);
    expect(cache.has(foreign.hash, caB.certPem)).toBe(true);
    expect(cache.has(sibling.hash, caA.certPem)).toBe(false);
    // An evicted certificate is simply checked again.
    await verify(sibling, caA);
    expect(cache.has(sibling.hash, caA.certPem)).toBe(true);
  });
});

describe('issuing keys', () => {
  /** Runs `work` while counting event-loop turns; how many turns passed before it finished. */
  async function turnsDuring(work: () => Promise<unknown>): Promise<number> {
    let turns = 0;
    let finished = false;
    const spin = () => {
      if (finished) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    await work();
    finished = true;
    return turns;
  }

  it('leaves the event loop running while a device identity is issued', async () => {
    // A synchronous key generation would finish before the first turn: zero turns.
    expect(await turnsDuring(() => issueDeviceIdentity(caA, { tenantId: 'a', device: 'd' }, NOW))).toBeGreaterThan(0);
  });

  it('leaves the event loop running while a tenant CA is made', async () => {
    expect(await turnsDuring(() => createTenantCa('tenant-c', NOW))).toBeGreaterThan(0);
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
