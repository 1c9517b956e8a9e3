// A SCEP client (RFC 8894) as an Apple device runs one for the com.apple.security.scep payload: it
// makes its own RSA key, builds a PKCS#10 with the challenge, envelopes it for the CA, signs it, and
// reads the CertRep. The private key never leaves this object. Used by SimulatedAppleDevice.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import {
  certDerOf,
  certFromDer,
  certsFromCertsOnly,
  envelope,
  openEnvelope,
  readScepMessage,
  SCEP_FAIL_INFO,
  SCEP_MESSAGE_TYPES,
  SCEP_PKI_MESSAGE_CONTENT_TYPE,
  type SignedScepMessage,
  signScepMessage,
} from '../lambdas/protocol/apple/scep';

export interface ScepIdentity {
  certPem: string;
  keyPem: string;
}

/** What the server answered, for tests that look at the protocol itself. */
export interface ScepExchange {
  caps: string[];
  caCertDer: Buffer;
  requestDer: Buffer;
  certRepDer: Buffer;
  certRep: SignedScepMessage;
}

/** A refused request: the CertRep's failInfo by name (badRequest, badMessageCheck, …). */
export class ScepFailure extends Error {
  constructor(
    readonly failInfo: string,
    readonly exchange: ScepExchange,
  ) {
    super(`SCEP request refused: failInfo ${failInfo}`);
  }
}

export interface ScepClientOptions {
  url: string;
  fetch?: typeof fetch;
  keySize?: number;
}

const pemOf = (der: Buffer) =>
  `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;

export class ScepClient {
  /** The last exchange (also on failure). */
  last: ScepExchange | undefined;
  private readonly doFetch: typeof fetch;

  constructor(private readonly o: ScepClientOptions) {
    this.doFetch = o.fetch ?? fetch;
  }

  private async get(operation: string): Promise<{ status: number; body: Buffer }> {
    const res = await this.doFetch(`${this.o.url}?operation=${operation}`);
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
  }

  /** PKCSReq: a first certificate for a new key, authorised by the profile's challenge. */
  async enroll(challenge: string, subjectCn: string): Promise<ScepIdentity> {
    const key = newKey(this.o.keySize ?? 2048);
    // Before it has a certificate, a device signs with a self-signed one for the same key.
    const signer = { certPem: selfSigned(key, subjectCn), keyPem: key.keyPem };
    return this.request(SCEP_MESSAGE_TYPES.PKCSReq, key, signer, { challenge, subjectCn });
  }

  /** RenewalReq: a certificate for a new key, signed with the current identity (no challenge). */
  async renew(current: ScepIdentity): Promise<ScepIdentity> {
    const subjectCn = (forge.pki.certificateFromPem(current.certPem).subject.getField('CN')?.value ??
      'device') as string;
    return this.request(SCEP_MESSAGE_TYPES.RenewalReq, newKey(this.o.keySize ?? 2048), current, { subjectCn });
  }

  private async request(
    messageType: string,
    key: { keyPem: string; forgeKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey },
    signer: ScepIdentity,
    csrFields: { challenge?: string; subjectCn: string },
  ): Promise<ScepIdentity> {
    const caps = (await this.get('GetCACaps')).body.toString('utf8').split(/\r?\n/).filter(Boolean);
    const ca = await this.get('GetCACert');
    if (ca.status !== 200) throw new Error(`GetCACert: HTTP ${ca.status}`);
    const caCertDer = ca.body;
    const csr = forge.pki.createCertificationRequest();
    csr.publicKey = key.publicKey;
    csr.setSubject([{ name: 'commonName', value: csrFields.subjectCn }]);
    if (csrFields.challenge) csr.setAttributes([{ name: 'challengePassword', value: csrFields.challenge }]);
    csr.sign(key.forgeKey, forge.md.sha256.create());
    const csrDer = Buffer.from(forge.asn1.toDer(forge.pki.certificationRequestToAsn1(csr)).getBytes(), 'binary');
    const senderNonce = randomBytes(16);
    const transactionId = createHash('sha256').update(key.keyPem).digest('hex');
    const requestDer = await signScepMessage({
      content: envelope(csrDer, caCertDer),
      signerCertDer: derOfPem(signer.certPem),
      signerKeyPem: signer.keyPem,
      attributes: { messageType, transactionId, senderNonce },
    });
    const usePost = caps.includes('POSTPKIOperation');
    const res = usePost
      ? await this.doFetch(`${this.o.url}?operation=PKIOperation`, {
          method: 'POST',
          headers: { 'content-type': SCEP_PKI_MESSAGE_CONTENT_TYPE },
          body: requestDer,
        })
      : await this.doFetch(
          `${this.o.url}?operation=PKIOperation&message=${encodeURIComponent(requestDer.toString('base64'))}`,
        );
    const certRepDer = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200)
      throw new Error(`PKIOperation: HTTP ${res.status} ${certRepDer.toString('utf8').slice(0, 200)}`);
    const certRep = await readScepMessage(certRepDer);
    this.last = { caps, caCertDer, requestDer, certRepDer, certRep };
    // The CertRep must be the CA's answer to this very request.
    if (!certRep.signerCertDer.equals(caCertDer)) throw new Error('CertRep is not signed by the CA');
    const a = certRep.attributes;
    if (a.messageType !== SCEP_MESSAGE_TYPES.CertRep) throw new Error(`CertRep messageType ${a.messageType}`);
    if (a.transactionId !== transactionId) throw new Error('CertRep transactionID does not match');
    if (!a.recipientNonce?.equals(senderNonce)) throw new Error('CertRep recipientNonce does not match');
    if (a.pkiStatus !== '0') {
      const name = Object.entries(SCEP_FAIL_INFO).find(([, v]) => v === a.failInfo)?.[0] ?? `failInfo ${a.failInfo}`;
      throw new ScepFailure(name, this.last);
    }
    if (!certRep.content) throw new Error('CertRep SUCCESS without content');
    // The envelope is for the certificate that signed the request.
    const issued = certsFromCertsOnly(openEnvelope(certRep.content, signer.certPem, signer.keyPem));
    const mine = issued.map(certFromDer).find((c) => sameKey(c.publicKey as forge.pki.rsa.PublicKey, key.publicKey));
    if (!mine) throw new Error('CertRep carries no certificate for this key');
    return { certPem: pemOf(certDerOf(mine)), keyPem: key.keyPem };
  }
}

function newKey(bits: number) {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: bits,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const forgeKey = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  return { keyPem: privateKey, forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e) };
}

function selfSigned(key: ReturnType<typeof newKey>, cn: string): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = key.publicKey;
  cert.serialNumber = `01${randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 3_600_000);
  cert.validity.notAfter = new Date(Date.now() + 3_600_000);
  cert.setSubject([{ name: 'commonName', value: cn }]);
  cert.setIssuer([{ name: 'commonName', value: cn }]);
  cert.sign(key.forgeKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

const derOfPem = (pem: string) => certDerOf(forge.pki.certificateFromPem(pem));
const sameKey = (a: forge.pki.rsa.PublicKey, b: forge.pki.rsa.PublicKey) => a.n.equals(b.n) && a.e.equals(b.e);
