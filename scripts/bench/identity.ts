// CPU per device identity, server side (docs/apple.md §SCEP): a PKCS#12 profile (key made on the
// server) against a SCEP profile download and one SCEP issuance (the device made the key).
// `npx tsx scripts/bench/identity.ts [runs]` prints the medians; the devices' own work (key, CSR,
// envelope, signature) is built before the clock starts and is not counted.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { createTenantCa, issueDeviceCertificate, issueDeviceIdentity } from '../../lambdas/protocol/apple/ca';
import { buildEnrollmentProfile } from '../../lambdas/protocol/apple/enrollment-profile';
import {
  buildCertRep,
  certDerOf,
  envelope,
  openCertificateRequest,
  readScepMessage,
  signScepMessage,
} from '../../lambdas/protocol/apple/scep';

const TOPIC = 'com.apple.mgmt.External.11111111-2222-3333-4444-555555555555';

async function cpuMs(fn: () => unknown): Promise<number> {
  const before = process.cpuUsage();
  await fn();
  const d = process.cpuUsage(before);
  return (d.user + d.system) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A device's PKCSReq, built as the device would (not measured). */
async function deviceRequest(caCertPem: string): Promise<Buffer> {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  const publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = publicKey;
  csr.setSubject([{ name: 'commonName', value: 'bench' }]);
  csr.setAttributes([{ name: 'challengePassword', value: 'x'.repeat(32) }]);
  csr.sign(key, forge.md.sha256.create());
  const self = forge.pki.createCertificate();
  self.publicKey = publicKey;
  self.serialNumber = '01';
  self.validity.notBefore = new Date(Date.now() - 60_000);
  self.validity.notAfter = new Date(Date.now() + 3_600_000);
  self.setSubject([{ name: 'commonName', value: 'bench' }]);
  self.setIssuer([{ name: 'commonName', value: 'bench' }]);
  self.sign(key, forge.md.sha256.create());
  const csrDer = Buffer.from(forge.asn1.toDer(forge.pki.certificationRequestToAsn1(csr)).getBytes(), 'binary');
  return signScepMessage({
    content: envelope(csrDer, certDerOf(forge.pki.certificateFromPem(caCertPem))),
    signerCertDer: certDerOf(self),
    signerKeyPem: privateKey,
    attributes: { messageType: '19', transactionId: randomBytes(8).toString('hex'), senderNonce: randomBytes(16) },
  });
}

export interface IdentityCpu {
  runs: number;
  pkcs12ProfileMs: number;
  scepProfileMs: number;
  scepIssuanceMs: number;
}

/** Medians of `runs` runs of each: the server's CPU for one device identity, each way. */
export async function measureIdentityCpu(runs = 15): Promise<IdentityCpu> {
  const now = new Date();
  const ca = await createTenantCa('bench', now);
  const base = { tenantId: 'bench', tenantName: 'Bench', serverUrl: 'https://x/mdm/bench/connect', topic: TOPIC };
  const requests = await Promise.all(Array.from({ length: runs }, () => deviceRequest(ca.certPem)));
  const pkcs12: number[] = [];
  const scepProfile: number[] = [];
  const issuance: number[] = [];
  await readScepMessage(requests[0]); // warm-up: pkijs engine, JIT
  for (let i = 0; i < runs; i++) {
    pkcs12.push(
      await cpuMs(async () => {
        const id = await issueDeviceIdentity(ca, { tenantId: 'bench', device: 'd' }, now);
        buildEnrollmentProfile({ ...base, identity: { kind: 'pkcs12', p12: id.p12, password: id.password } });
      }),
    );
    scepProfile.push(
      await cpuMs(() =>
        buildEnrollmentProfile({
          ...base,
          identity: {
            kind: 'scep',
            url: 'https://x/scep/bench',
            challenge: randomBytes(24).toString('base64url'),
            subject: 'bench device',
          },
        }),
      ),
    );
    issuance.push(
      await cpuMs(async () => {
        const message = await readScepMessage(requests[i]);
        const request = openCertificateRequest(message, ca);
        const { cert } = issueDeviceCertificate(
          ca,
          request.csr.publicKey as forge.pki.PublicKey,
          { tenantId: 'bench', device: 'd' },
          now,
        );
        await buildCertRep({ request: message, ca, result: { issuedCertDer: certDerOf(cert) } });
      }),
    );
  }
  return {
    runs,
    pkcs12ProfileMs: median(pkcs12),
    scepProfileMs: median(scepProfile),
    scepIssuanceMs: median(issuance),
  };
}

if (require.main === module) {
  void measureIdentityCpu(Number(process.argv[2] ?? 15)).then((r) => console.log(JSON.stringify(r, null, 2)));
}
