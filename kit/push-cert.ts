// A self-signed stand-in for an APNs MDM push certificate (subject UID = topic), for tests.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import forge from 'node-forge';

/** OID of the LDAP `UID` attribute; forge has no short name for it. */
const OID_UID = '0.9.2342.19200300.100.1.1';

export function generatePushCertificateForTests(
  topic = `com.apple.mgmt.External.${randomUUID()}`,
  now: Date = new Date(),
  days = 365,
): { certPem: string; keyPem: string; topic: string } {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = '01' + forge.util.bytesToHex(forge.random.getBytesSync(8));
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + days * 86_400_000);
  const subject = [
    { type: OID_UID, value: topic },
    { name: 'commonName', value: `APSP:${randomUUID()}` },
    { name: 'countryName', value: 'US' },
  ];
  cert.setSubject(subject);
  cert.setIssuer([{ name: 'commonName', value: 'Test Apple Push CA' }]);
  cert.sign(key, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: privateKey, topic };
}
