// Verifies the Mdm-Signature header: a detached CMS SignedData over the exact request body.
// cms.ts reads the CMS and node:crypto checks the signature. What depends only on the certificate
// (its chain to the tenant CA, its key usage, its public key) is checked once per certificate and
// kept per container (SignerCertificateCache); each request checks only the signature and the dates.

import { createHash, type KeyObject, X509Certificate } from 'node:crypto';
import { DomainError } from '../../domain/errors';
import { LruMap } from '../../domain/lru-map';
import { checkSignature, readSignedData, type SignedData, signerCertificate } from './cms';

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

const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
/** Base64 of the largest header we accept (a real one is ~2-4 KB). */
const MAX_HEADER_CHARS = 64 * 1024;

function pemOf(der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}-----END CERTIFICATE-----\n`;
}

/** A signer certificate whose chain and key usage checked out: what a later request reuses. */
interface TrustedSigner {
  signer: VerifiedSigner;
  notBefore: number;
  publicKey: KeyObject;
}

/**
 * The signer certificates already checked, least recently used evicted first. Keyed by the
 * certificate's hash and the CA it was checked against, so another tenant CA (or a new one)
 * checks it again. Only certificates that passed are kept; the validity dates are checked on every
 * request against the cached notBefore/notAfter.
 */
export class SignerCertificateCache {
  private readonly entries: LruMap<string, TrustedSigner>;

  constructor(readonly capacity = 10_000) {
    this.entries = new LruMap(capacity);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Whether the certificate with this hash is kept as checked against `caCertPem` (none: any issuer). */
  has(certHash: string, caCertPem?: string): boolean {
    return this.entries.has(signerCacheKey(certHash, caCertPem));
  }

  get(key: string): TrustedSigner | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: TrustedSigner): void {
    this.entries.set(key, value);
  }
}

/** The container's cache (a warm Lambda container, the local server). */
const containerCache = new SignerCertificateCache();

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const signerCacheKey = (certHash: string, caCertPem: string | undefined) =>
  `${certHash}:${caCertPem === undefined ? 'any' : sha256(caCertPem)}`;

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
  cache: SignerCertificateCache = containerCache,
): Promise<VerifiedSigner> {
  const header = (headerB64 ?? '').trim();
  if (!header) throw new SignatureError('missing', 'Mdm-Signature header is missing');
  if (header.length > MAX_HEADER_CHARS || !/^[A-Za-z0-9+/=\s]+$/.test(header)) {
    throw new SignatureError('garbled', 'Mdm-Signature is not base64');
  }
  const der = Buffer.from(header, 'base64');

  let signed: SignedData;
  try {
    signed = readSignedData(der);
  } catch (e) {
    throw new SignatureError('garbled', `Mdm-Signature is not CMS SignedData: ${(e as Error).message}`);
  }
  if (signed.content) {
    throw new SignatureError('not-detached', 'Mdm-Signature must be a detached signature');
  }
  if (signed.signerInfos.length !== 1) {
    throw new SignatureError('signer', `Mdm-Signature has ${signed.signerInfos.length} signers, expected 1`);
  }
  const signerInfo = signed.signerInfos[0];
  const certDer = signerCertificate(signed, signerInfo);
  if (!certDer) throw new SignatureError('signer', 'Mdm-Signature carries no signer certificate');

  const certHash = sha256(certDer);
  const cacheKey = signerCacheKey(certHash, caCertPem);
  const cached = cache.get(cacheKey);
  let cert: X509Certificate | undefined;
  if (!cached) {
    try {
      cert = new X509Certificate(certDer);
    } catch (e) {
      throw new SignatureError('signer', `signer certificate is unreadable: ${(e as Error).message}`);
    }
  }
  try {
    checkSignature(signerInfo, rawBody, cached?.publicKey ?? (cert as X509Certificate).publicKey);
  } catch (e) {
    throw new SignatureError('bad-signature', `Mdm-Signature does not verify: ${(e as Error).message}`);
  }
  const trusted = cached ?? trust(cert as X509Certificate, certDer, certHash, caCertPem);
  if (now.getTime() > trusted.signer.notAfter.getTime()) {
    throw new SignatureError('expired', `signer certificate expired ${trusted.signer.notAfter.toUTCString()}`);
  }
  if (now.getTime() < trusted.notBefore) {
    throw new SignatureError(
      'not-yet-valid',
      `signer certificate is valid only from ${new Date(trusted.notBefore).toUTCString()}`,
    );
  }
  if (!cached) cache.set(cacheKey, trusted);
  return trusted.signer;
}

/** What depends on the certificate alone: key usage and the chain to `caCertPem`. Throws SignatureError. */
function trust(cert: X509Certificate, certDer: Buffer, certHash: string, caCertPem: string | undefined): TrustedSigner {
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
    signer: { certPem: pemOf(certDer), certDer, certHash, notAfter: new Date(cert.validTo) },
    notBefore: new Date(cert.validFrom).getTime(),
    publicKey: cert.publicKey,
  };
}
