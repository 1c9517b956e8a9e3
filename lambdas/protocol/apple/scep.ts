// SCEP (RFC 8894): the device makes its own key, the tenant CA signs its request (docs/apple.md §SCEP).
// Libraries do the cryptography: cms.ts reads and checks a signed message (as for Mdm-Signature),
// pkijs builds the CertRep's SignedData (it can carry SCEP's own signed attributes, which
// node-forge cannot), node-forge the EnvelopedData (RSA PKCS#1 v1.5 key transport, which
// WebCrypto and so pkijs lack), the PKCS#10 request and the certificate. Written here by hand: only
// the SCEP attribute OIDs and their PrintableString / OCTET STRING values.
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import forge from 'node-forge';
import * as pkijs from 'pkijs';
import { octetsOf, readSignedData, type SignedData, signedAttribute, type Tlv, textOf, verifySigner } from './cms';

let engineReady = false;
function ensureEngine(): void {
  if (engineReady) return;
  // pkijs looks for a WebCrypto engine; Node has one but not as `self.crypto`.
  type EngineCrypto = ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'];
  pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as EngineCrypto }));
  engineReady = true;
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** What GetCACaps answers (one per line). */
export const SCEP_CA_CAPS = ['AES', 'POSTPKIOperation', 'Renewal', 'SHA-256'] as const;
export const SCEP_CA_CERT_CONTENT_TYPE = 'application/x-x509-ca-cert';
export const SCEP_PKI_MESSAGE_CONTENT_TYPE = 'application/x-pki-message';

const OID = {
  messageType: '2.16.840.1.113733.1.9.2',
  pkiStatus: '2.16.840.1.113733.1.9.3',
  failInfo: '2.16.840.1.113733.1.9.4',
  senderNonce: '2.16.840.1.113733.1.9.5',
  recipientNonce: '2.16.840.1.113733.1.9.6',
  transactionId: '2.16.840.1.113733.1.9.7',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

export const SCEP_MESSAGE_TYPES = { CertRep: '3', RenewalReq: '17', PKCSReq: '19' } as const;
export type ScepMessageType = 'CertRep' | 'RenewalReq' | 'PKCSReq';
/** RFC 8894 §3.2.1.4.5. */
export const SCEP_FAIL_INFO = {
  badAlg: '0',
  badMessageCheck: '1',
  badRequest: '2',
  badTime: '3',
  badCertId: '4',
} as const;
export type ScepFailInfo = keyof typeof SCEP_FAIL_INFO;
const PKI_STATUS = { SUCCESS: '0', FAILURE: '2', PENDING: '3' } as const;

/** A PKIOperation body that is not a SCEP message at all: no CertRep can be addressed, so HTTP 400. */
export class ScepMessageError extends Error {}

/** The SCEP attributes of a signed PKI message. */
export interface ScepAttributes {
  messageType: string;
  transactionId: string;
  senderNonce?: Buffer;
  recipientNonce?: Buffer;
  pkiStatus?: string;
  failInfo?: string;
}

/** A signed SCEP message, read and its signature checked against the certificate it carries. */
export interface SignedScepMessage {
  attributes: ScepAttributes;
  /** The signed content (an EnvelopedData), undefined when empty (a failure CertRep). */
  content: Buffer | undefined;
  signerCertDer: Buffer;
}

const printable = (v: string) => new asn1js.PrintableString({ value: v });
const attribute = (type: string, value: asn1js.BaseBlock) => new pkijs.Attribute({ type, values: [value] });

async function importSigningKey(keyPem: string): Promise<webcrypto.CryptoKey> {
  const der = forge.asn1
    .toDer(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(forge.pki.privateKeyFromPem(keyPem))))
    .getBytes();
  return webcrypto.subtle.importKey(
    'pkcs8',
    Buffer.from(der, 'binary'),
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    false,
    ['sign'],
  ) as Promise<webcrypto.CryptoKey>;
}

function pkijsCertificate(der: Buffer): pkijs.Certificate {
  return pkijs.Certificate.fromBER(toArrayBuffer(der));
}

/** A CMS SignedData (SHA-256) over `content` with the SCEP attributes signed, the signer's certificate included. */
export async function signScepMessage(o: {
  content: Buffer | undefined;
  signerCertDer: Buffer;
  signerKeyPem: string;
  attributes: ScepAttributes;
}): Promise<Buffer> {
  ensureEngine();
  const cert = pkijsCertificate(o.signerCertDer);
  const content = o.content ?? Buffer.alloc(0);
  const a = o.attributes;
  const attrs = [
    attribute(OID.contentType, new asn1js.ObjectIdentifier({ value: OID.data })),
    attribute(OID.messageDigest, new asn1js.OctetString({ valueHex: createHash('sha256').update(content).digest() })),
    attribute(OID.messageType, printable(a.messageType)),
    attribute(OID.transactionId, printable(a.transactionId)),
    ...(a.senderNonce ? [attribute(OID.senderNonce, new asn1js.OctetString({ valueHex: a.senderNonce }))] : []),
    ...(a.recipientNonce
      ? [attribute(OID.recipientNonce, new asn1js.OctetString({ valueHex: a.recipientNonce }))]
      : []),
    ...(a.pkiStatus ? [attribute(OID.pkiStatus, printable(a.pkiStatus))] : []),
    ...(a.failInfo ? [attribute(OID.failInfo, printable(a.failInfo))] : []),
  ];
  const signed = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({
      eContentType: OID.data,
      // A failure CertRep signs empty data (attached), as micromdm/scep does, rather than nothing.
      eContent: new asn1js.OctetString({ valueHex: content }),
    }),
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: attrs }),
      }),
    ],
    certificates: [cert],
  });
  await signed.sign(await importSigningKey(o.signerKeyPem), 0, 'SHA-256');
  const info = new pkijs.ContentInfo({ contentType: OID.signedData, content: signed.toSchema(true) });
  return Buffer.from(info.toSchema().toBER(false));
}

const stringOf = (v: Tlv | undefined): string | undefined => (v ? textOf(v) : undefined);
const bytesOf = (v: Tlv | undefined): Buffer | undefined => {
  try {
    return v ? octetsOf(v) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Reads a signed SCEP message and checks its signature with the certificate it carries (the
 * device's self-signed one on PKCSReq, its current identity on RenewalReq, the CA on CertRep).
 * Throws ScepMessageError when it is not one.
 */
export async function readScepMessage(der: Buffer): Promise<SignedScepMessage> {
  let signed: SignedData;
  try {
    signed = readSignedData(der);
  } catch (e) {
    throw new ScepMessageError(`not a CMS SignedData: ${(e as Error).message}`);
  }
  if (signed.signerInfos.length !== 1) throw new ScepMessageError(`${signed.signerInfos.length} signers, expected 1`);
  if (!signed.content) throw new ScepMessageError('no signed content');
  const content = signed.content.length > 0 ? signed.content : undefined;
  let signerCertDer: Buffer | undefined;
  try {
    signerCertDer = verifySigner(signed);
  } catch (e) {
    throw new ScepMessageError(`signature does not verify: ${(e as Error).message}`);
  }
  if (!signerCertDer) throw new ScepMessageError('no signer certificate');
  const si = signed.signerInfos[0];
  const messageType = stringOf(signedAttribute(si, OID.messageType));
  const transactionId = stringOf(signedAttribute(si, OID.transactionId));
  if (!messageType || !transactionId) throw new ScepMessageError('messageType or transactionID missing');
  return {
    attributes: {
      messageType,
      transactionId,
      senderNonce: bytesOf(signedAttribute(si, OID.senderNonce)),
      recipientNonce: bytesOf(signedAttribute(si, OID.recipientNonce)),
      pkiStatus: stringOf(signedAttribute(si, OID.pkiStatus)),
      failInfo: stringOf(signedAttribute(si, OID.failInfo)),
    },
    content,
    signerCertDer,
  };
}

/** Encrypts `content` for the holder of `recipientCertDer` (EnvelopedData, RSA key transport, AES-256-CBC). */
export function envelope(content: Buffer, recipientCertDer: Buffer): Buffer {
  const p7 = forge.pkcs7.createEnvelopedData();
  p7.addRecipient(certFromDer(recipientCertDer));
  p7.content = forge.util.createBuffer(content.toString('binary'));
  p7.encrypt(undefined, forge.pki.oids['aes256-CBC']);
  return Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), 'binary');
}

/** Opens an EnvelopedData addressed to `certPem` with its key; throws when it is not for it. */
export function openEnvelope(der: Buffer, certPem: string, keyPem: string): Buffer {
  const p7 = forge.pkcs7.messageFromAsn1(forge.asn1.fromDer(der.toString('binary'))) as forge.pkcs7.PkcsEnvelopedData;
  if (!('findRecipient' in p7)) throw new Error('not an EnvelopedData');
  const recipient = p7.findRecipient(forge.pki.certificateFromPem(certPem));
  if (!recipient) throw new Error('the envelope is not addressed to this certificate');
  p7.decrypt(recipient, forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey);
  return Buffer.from((p7.content as forge.util.ByteStringBuffer).getBytes(), 'binary');
}

export function certFromDer(der: Buffer): forge.pki.Certificate {
  return forge.pki.certificateFromAsn1(forge.asn1.fromDer(der.toString('binary')));
}

export function certDerOf(cert: forge.pki.Certificate): Buffer {
  return Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
}

/** A degenerate SignedData (certificates only): how a CertRep carries the issued certificate. */
export function certsOnly(certDers: Buffer[]): Buffer {
  const p7 = forge.pkcs7.createSignedData();
  for (const der of certDers) p7.addCertificate(certFromDer(der));
  return Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), 'binary');
}

/** The certificates of a degenerate SignedData. */
export function certsFromCertsOnly(der: Buffer): Buffer[] {
  const p7 = forge.pkcs7.messageFromAsn1(forge.asn1.fromDer(der.toString('binary'))) as forge.pkcs7.PkcsSignedData;
  return p7.certificates.map(certDerOf);
}

/** A CertRep: the issued certificate enveloped for the requester, or a failure with its failInfo. */
export async function buildCertRep(o: {
  request: SignedScepMessage;
  ca: { certPem: string; keyPem: string };
  result: { issuedCertDer: Buffer } | { failInfo: ScepFailInfo };
}): Promise<Buffer> {
  const ok = 'issuedCertDer' in o.result;
  return signScepMessage({
    content:
      'issuedCertDer' in o.result ? envelope(certsOnly([o.result.issuedCertDer]), o.request.signerCertDer) : undefined,
    signerCertDer: certDerOf(forge.pki.certificateFromPem(o.ca.certPem)),
    signerKeyPem: o.ca.keyPem,
    attributes: {
      messageType: SCEP_MESSAGE_TYPES.CertRep,
      transactionId: o.request.attributes.transactionId,
      senderNonce: randomBytes(16),
      recipientNonce: o.request.attributes.senderNonce,
      pkiStatus: ok ? PKI_STATUS.SUCCESS : PKI_STATUS.FAILURE,
      ...('failInfo' in o.result ? { failInfo: SCEP_FAIL_INFO[o.result.failInfo] } : {}),
    },
  });
}

/** What a PKCSReq or RenewalReq asks for, once opened with the CA key. */
export interface ScepCertificateRequest {
  kind: ScepMessageType;
  csr: forge.pki.CertificateSigningRequest;
  challengePassword: string | undefined;
}

/** Opens the request's envelope and reads its PKCS#10; throws (→ failInfo badMessageCheck) when it cannot. */
export function openCertificateRequest(
  message: SignedScepMessage,
  ca: { certPem: string; keyPem: string },
): ScepCertificateRequest {
  const kind = (Object.keys(SCEP_MESSAGE_TYPES) as ScepMessageType[]).find(
    (k) => SCEP_MESSAGE_TYPES[k] === message.attributes.messageType,
  );
  if (kind !== 'PKCSReq' && kind !== 'RenewalReq') throw new Error(`message type ${message.attributes.messageType}`);
  if (!message.content) throw new Error('no enveloped request');
  const csrDer = openEnvelope(message.content, ca.certPem, ca.keyPem);
  const csr = forge.pki.certificationRequestFromAsn1(forge.asn1.fromDer(csrDer.toString('binary')));
  if (!csr.verify()) throw new Error('the certificate request is not signed by its own key');
  const challenge = csr.getAttribute({ name: 'challengePassword' })?.value;
  return { kind, csr, challengePassword: typeof challenge === 'string' ? challenge : undefined };
}
