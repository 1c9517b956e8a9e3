// Verifies the Mdm-Signature header: a detached CMS SignedData over the exact request body.
// pkijs does the CMS (node-forge cannot verify PKCS#7); node:crypto does the chain and dates.
import { createHash, webcrypto, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { DomainError } from '../../domain/errors';

export type SignatureFailure =
  | 'missing'
  | 'garbled'
  | 'not-detached'
  | 'signer'
  | 'bad-signature'
  | 'untrusted'
  | 'expired'
  | 'not-yet-valid'
  | 'not-client-auth';

/** A request whose Mdm-Signature does not check out. Maps to HTTP 400 (never 401: that unenrolls). */
export class SignatureError extends DomainError {
  constructor(
    readonly reason: SignatureFailure,
    message: string,
  ) {
    super('bad-request', message, { reason });
    this.name = 'SignatureError';
  }
}

export interface VerifiedSigner {
  certPem: string;
  certDer: Buffer;
  /** sha256 hex of the certificate DER: what enrollment binding compares. */
  certHash: string;
  notAfter: Date;
}

const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
/** Base64 of the largest header we accept (a real one is ~2-4 KB). */
const MAX_HEADER_CHARS = 64 * 1024;

let engineReady = false;
export function ensureEngine(): void {
  if (engineReady) return;
  // pkijs looks for a WebCrypto engine; Node has one but not as `self.crypto`.
  type EngineCrypto = ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'];
  pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as EngineCrypto }));
  engineReady = true;
}

export function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

function pemOf(der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}-----END CERTIFICATE-----\n`;
}

/**
 * Checks `headerB64` (the Mdm-Signature value) against `rawBody` and returns the signer
 * certificate. With `caCertPem`, also requires the signer to be issued by that CA. Accepts
 * what devices send (BER indefinite lengths, SHA-1, no signed attributes) and SHA-256 with
 * signed attributes. Throws SignatureError.
 */
export async function verifyMdmSignature(
  headerB64: string | undefined,
  rawBody: Buffer,
  caCertPem?: string,
  now: Date = new Date(),
): Promise<VerifiedSigner> {
  ensureEngine();
  const header = (headerB64 ?? '').trim();
  if (!header) throw new SignatureError('missing', 'Mdm-Signature header is missing');
  if (header.length > MAX_HEADER_CHARS || !/^[A-Za-z0-9+/=\s]+$/.test(header)) {
    throw new SignatureError('garbled', 'Mdm-Signature is not base64');
  }
  const der = Buffer.from(header, 'base64');

  let signed: pkijs.SignedData;
  try {
    signed = readSignedData(der);
  } catch (e) {
    throw new SignatureError('garbled', `Mdm-Signature is not CMS SignedData: ${(e as Error).message}`);
  }
  if (signed.encapContentInfo.eContent) {
    throw new SignatureError('not-detached', 'Mdm-Signature must be a detached signature');
  }
  if (signed.signerInfos.length !== 1) {
    throw new SignatureError('signer', `Mdm-Signature has ${signed.signerInfos.length} signers, expected 1`);
  }

  let signerCert: pkijs.Certificate | undefined;
  try {
    signerCert = await verifySigner(signed, rawBody);
  } catch (e) {
    throw new SignatureError('bad-signature', `Mdm-Signature does not verify: ${(e as Error).message}`);
  }
  if (!signerCert) throw new SignatureError('signer', 'Mdm-Signature carries no signer certificate');

  const certDer = Buffer.from(signerCert.toSchema().toBER(false));
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certDer);
  } catch (e) {
    throw new SignatureError('signer', `signer certificate is unreadable: ${(e as Error).message}`);
  }
  const notAfter = new Date(cert.validTo);
  if (now.getTime() > notAfter.getTime())
    throw new SignatureError('expired', `signer certificate expired ${cert.validTo}`);
  if (now.getTime() < new Date(cert.validFrom).getTime()) {
    throw new SignatureError('not-yet-valid', `signer certificate is valid only from ${cert.validFrom}`);
  }
  // Node exposes the EKU list as `keyUsage`; absent means unrestricted.
  const eku = cert.keyUsage;
  if (eku && eku.length > 0 && !eku.includes(OID_CLIENT_AUTH)) {
    throw new SignatureError('not-client-auth', 'signer certificate is not for client authentication');
  }
  if (caCertPem !== undefined) {
    let ca: X509Certificate;
    try {
      ca = new X509Certificate(caCertPem);
    } catch (e) {
      throw new Error(`tenant CA certificate is unreadable: ${(e as Error).message}`);
    }
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
      throw new SignatureError('untrusted', 'signer certificate was not issued by this tenant');
    }
  }
  return {
    certPem: pemOf(certDer),
    certDer,
    certHash: createHash('sha256').update(certDer).digest('hex'),
    notAfter,
  };
}

/** Reads a DER ContentInfo that holds a CMS SignedData; throws an Error saying why it is not one. */
export function readSignedData(der: Buffer): pkijs.SignedData {
  const asn = asn1js.fromBER(toArrayBuffer(der));
  if (asn.offset === -1) throw new Error(asn.result.error);
  const info = new pkijs.ContentInfo({ schema: asn.result });
  if (info.contentType !== OID_SIGNED_DATA) throw new Error(`content type ${info.contentType}`);
  return new pkijs.SignedData({ schema: info.content });
}

/**
 * Verifies the first signer of a SignedData over its own content, or over `detached` content, and
 * returns the signer's certificate (undefined when the message carries none). Throws an Error with
 * pkijs's reason when the signature does not verify.
 */
export async function verifySigner(
  signed: pkijs.SignedData,
  detached?: Buffer,
): Promise<pkijs.Certificate | undefined> {
  let result: pkijs.SignedDataVerifyResult;
  try {
    result = await signed.verify({
      signer: 0,
      ...(detached ? { data: toArrayBuffer(detached) } : {}),
      checkChain: false,
      extendedMode: true,
    });
  } catch (e) {
    // pkijs throws a SignedDataVerifyError (not always an Error) on failure.
    throw new Error(e instanceof Error ? e.message : String((e as { message?: unknown }).message ?? e));
  }
  if (!result.signatureVerified) throw new Error(result.message || 'signature does not verify');
  return result.signerCertificate ?? undefined;
}
