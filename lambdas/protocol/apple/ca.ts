// The per-tenant device CA and the device certificates it issues: for a key the device made (SCEP,
// scep.ts) or, where a tenant chose it, with a key made here (PKCS#12 in the enrollment profile).
import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { nodeSigningKey } from './sign';

export interface CaMaterial {
  certPem: string;
  keyPem: string;
}

export interface DeviceIdentity {
  /** PKCS#12 (key + certificate), legacy 3DES/SHA-1 PBE as Apple devices expect. */
  p12: Buffer;
  password: string;
  certPem: string;
  notAfter: Date;
}

const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
/** Device clocks drift; a certificate valid from "now" can look not-yet-valid to them. */
const BACKDATE_MS = 5 * 60 * 1000;

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * Native key generation in libuv's thread pool: node-forge's pure-JS keygen takes seconds, and the
 * synchronous native one still held the event loop (every other request of the process) ~100 ms.
 */
async function newRsaKey(): Promise<{ keyPem: string; publicKey: forge.pki.rsa.PublicKey }> {
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { keyPem: privateKey, publicKey: forge.pki.publicKeyFromPem(publicKey) as forge.pki.rsa.PublicKey };
}

/** Positive, non-zero-leading 128-bit serial. */
function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] & 0x7f) | 0x40;
  return b.toString('hex');
}

function addYears(d: Date, years: number): Date {
  const r = new Date(d.getTime());
  r.setUTCFullYear(r.getUTCFullYear() + years);
  return r;
}

export async function createTenantCa(tenantId: string, now: Date): Promise<CaMaterial> {
  const { keyPem, publicKey } = await newRsaKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerial();
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = addYears(now, 10);
  const name = [
    { name: 'commonName', value: `MDM Device CA ${tenantId}` },
    { name: 'organizationName', value: 'serverless-mdm' },
  ];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(nodeSigningKey(keyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

/** Default lifetime of a device certificate (a tenant may set its own). */
export const DEFAULT_DEVICE_CERT_DAYS = 730;

/** What a device certificate names: the tenant and the device (docs/apple.md §SCEP). */
export interface DeviceCertificateSubject {
  tenantId: string;
  /** The device: its UDID on renewal, the enrollment's pending device at first issuance. */
  device: string;
}

/** A device certificate (clientAuth) for `publicKey`, signed by the tenant CA. */
export function issueDeviceCertificate(
  ca: CaMaterial,
  publicKey: forge.pki.PublicKey,
  subject: DeviceCertificateSubject,
  now: Date,
  days = DEFAULT_DEVICE_CERT_DAYS,
): { cert: forge.pki.Certificate; notAfter: Date } {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerial();
  // Certificates carry whole seconds; report exactly what is in the certificate.
  const notAfter = new Date(Math.floor((now.getTime() + days * 86_400_000) / 1000) * 1000);
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = notAfter;
  cert.setSubject([
    { name: 'commonName', value: subject.device },
    { name: 'organizationalUnitName', value: subject.tenantId },
    { name: 'organizationName', value: 'serverless-mdm' },
  ]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(nodeSigningKey(ca.keyPem), forge.md.sha256.create());
  return { cert, notAfter };
}

/** A device identity made here, key included, as a PKCS#12 (the per-tenant `pkcs12` choice). */
export async function issueDeviceIdentity(
  ca: CaMaterial,
  subject: DeviceCertificateSubject,
  now: Date,
  days = DEFAULT_DEVICE_CERT_DAYS,
): Promise<DeviceIdentity> {
  const { keyPem, publicKey } = await newRsaKey();
  const privateKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const { cert, notAfter } = issueDeviceCertificate(ca, publicKey, subject, now, days);
  const commonName = subject.device;

  const password = randomBytes(18).toString('base64url');
  // forge's own default is AES-128 (PBES2); Apple devices have rejected those, so force 3DES.
  const p12Asn1 = forge.pkcs12.toPkcs12Asn1(privateKey, [cert], password, {
    algorithm: '3des',
    friendlyName: commonName,
  });
  const p12 = Buffer.from(forge.asn1.toDer(p12Asn1).getBytes(), 'binary');
  return { p12, password, certPem: forge.pki.certificateToPem(cert), notAfter };
}

export { OID_CLIENT_AUTH };
