// CMS signing: signed enrollment profiles (the server signs them when the tenant has a signing
// certificate, docs/apple.md §Signed enrollment profiles), and for the simulator and tests
// Mdm-Signature headers as a device sends them (the server only verifies those: signature.ts).
import { constants, createPrivateKey, createPublicKey, privateEncrypt, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { unprocessable } from '../../domain/errors';

/**
 * forge builds the CMS (and ca.ts the certificates); the RSA operation runs in node:crypto (forge's
 * pure-JS RSA is ~20x slower). Same bytes: PKCS#1 v1.5 over the DigestInfo, as forge's own
 * key.sign() does.
 */
export function nodeSigningKey(keyPem: string): forge.pki.rsa.PrivateKey {
  const key = createPrivateKey(keyPem);
  const sign = (md: forge.md.MessageDigest): string => {
    const digestInfo = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
      forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
        forge.asn1.create(
          forge.asn1.Class.UNIVERSAL,
          forge.asn1.Type.OID,
          false,
          forge.asn1.oidToDer(forge.pki.oids[md.algorithm]).getBytes(),
        ),
        forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.NULL, false, ''),
      ]),
      forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OCTETSTRING, false, md.digest().getBytes()),
    ]);
    const der = Buffer.from(forge.asn1.toDer(digestInfo).getBytes(), 'binary');
    return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, der).toString('binary');
  };
  return { sign } as unknown as forge.pki.rsa.PrivateKey;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/** The certificates of a PEM bundle, in order (the signer first, then its intermediates). */
const pemCertificates = (pem: string): string[] => pem.match(PEM_CERTIFICATE) ?? [];

function signedData(content: Buffer, certPem: string, keyPem: string): forge.pkcs7.PkcsSignedData {
  const [signerPem, ...chain] = pemCertificates(certPem);
  const cert = forge.pki.certificateFromPem(signerPem ?? certPem);
  const key = nodeSigningKey(keyPem);
  const p7 = forge.pkcs7.createSignedData();
  p7.content = forge.util.createBuffer(content.toString('binary'));
  p7.addCertificate(cert);
  // The intermediates travel in the CMS, so the device can build the chain to a root it trusts.
  for (const pem of chain) p7.addCertificate(forge.pki.certificateFromPem(pem));
  p7.addSigner({
    key,
    certificate: cert,
    digestAlgorithm: forge.pki.oids.sha256,
    authenticatedAttributes: [
      { type: forge.pki.oids.contentType, value: forge.pki.oids.data },
      { type: forge.pki.oids.messageDigest },
      { type: forge.pki.oids.signingTime },
    ],
  });
  return p7;
}

function toDer(p7: forge.pkcs7.PkcsSignedData): Buffer {
  return Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), 'binary');
}

/** Detached CMS SignedData over `body` (SHA-256, signed attributes), base64: an Mdm-Signature value. */
export function signMdmMessage(body: Buffer, certPem: string, keyPem: string): string {
  const p7 = signedData(body, certPem, keyPem);
  p7.sign({ detached: true });
  return toDer(p7).toString('base64');
}

/**
 * Checks a profile-signing certificate (PEM: the signer first, then any intermediates) and its
 * unencrypted RSA key before they are stored; throws unprocessable with a reason an admin can act on.
 */
export function checkSigningIdentity(certPem: string, keyPem: string, now: Date): { subject: string; notAfter: Date } {
  const [signerPem] = pemCertificates(certPem);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(signerPem ?? certPem);
    for (const pem of pemCertificates(certPem)) forge.pki.certificateFromPem(pem);
  } catch {
    throw unprocessable('the signing certificate is not a readable PEM certificate (RSA)');
  }
  let publicOfKey: Buffer;
  try {
    const key = createPrivateKey(keyPem);
    if (key.asymmetricKeyType !== 'rsa') throw new Error('not rsa');
    publicOfKey = createPublicKey(key).export({ type: 'spki', format: 'der' });
  } catch {
    throw unprocessable('the signing key is not a readable, unencrypted PEM RSA private key');
  }
  if (!publicOfKey.equals(cert.publicKey.export({ type: 'spki', format: 'der' })))
    throw unprocessable('the private key does not belong to the signing certificate');
  const notAfter = new Date(cert.validTo);
  if (notAfter.getTime() <= now.getTime()) throw unprocessable(`the signing certificate expired on ${cert.validTo}`);
  return { subject: cert.subject.replace(/\n/g, ', '), notAfter };
}

/** Attached CMS SignedData (DER) around a profile: what Apple calls a signed .mobileconfig. */
export function signProfile(profileXml: Buffer, certPem: string, keyPem: string): Buffer {
  const p7 = signedData(profileXml, certPem, keyPem);
  p7.sign();
  return toDer(p7);
}

/**
 * The content of an attached CMS SignedData (a signed profile), or undefined when `der` is not
 * one. Does not verify the signature: devices do that; we only need the payload back.
 */
export function unwrapSignedProfile(der: Buffer): Buffer | undefined {
  try {
    const msg = forge.pkcs7.messageFromAsn1(forge.asn1.fromDer(der.toString('binary')));
    // forge leaves `content` empty for [0]-wrapped content, so read the raw capture instead.
    const raw = (msg as unknown as { rawCapture?: { content?: unknown } }).rawCapture?.content;
    if (raw === undefined) return undefined;
    return Buffer.from(octets(raw), 'binary');
  } catch {
    return undefined;
  }
}

/** Concatenates the OCTET STRING bytes under an ASN.1 node (BER may split them into chunks). */
function octets(node: unknown): string {
  if (typeof node === 'string') return node;
  const n = node as forge.asn1.Asn1;
  if (typeof n.value === 'string') return n.value;
  return n.value.map(octets).join('');
}
