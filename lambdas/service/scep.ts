// The tenant's SCEP service (docs/apple.md §SCEP): the CA certificate, and certificates for keys the
// devices made themselves. A first certificate needs the enrollment's one-time challenge; a renewal
// (a RenewalReq signed with the device's current certificate, or a PKCSReq with a challenge the
// server made for that device, docs/apple.md §Renewal) keeps the device's binding.
import { X509Certificate } from 'node:crypto';
import { badRequest, conflict } from '../domain/errors';
import type { Tenant } from '../domain/types';
import { sha256Hex } from '../ids';
import { logger } from '../logger';
import { type CaMaterial, issueDeviceCertificate } from '../protocol/apple/ca';
import {
  buildCertRep,
  certDerOf,
  openCertificateRequest,
  readScepMessage,
  type ScepCertificateRequest,
  type ScepFailInfo,
  ScepMessageError,
  type SignedScepMessage,
} from '../protocol/apple/scep';
import { boundIdentityKey } from './apple-enrollment';
import type { App } from './container';
import { CA_KEY_SECRET } from './secret-names';

/** The tenant CA certificate, DER (GetCACert). */
export function scepCaCertificate(tenant: Tenant): Buffer {
  if (!tenant.caCertificatePem) throw conflict('this organisation has no device CA');
  return new X509Certificate(tenant.caCertificatePem).raw;
}

async function caMaterial(app: App, tenant: Tenant): Promise<CaMaterial> {
  const keyPem = await app.stores.secrets.get(tenant.id, CA_KEY_SECRET);
  if (!keyPem || !tenant.caCertificatePem) throw conflict('this organisation has no device CA');
  return { certPem: tenant.caCertificatePem, keyPem };
}

/** Why a request was refused, for the CertRep's failInfo and the log (never the challenge itself). */
type Decision =
  | { device: string; enrollmentHash: string | undefined; renewal: boolean }
  | { failInfo: ScepFailInfo; why: string };

/**
 * PKIOperation: answers a signed CertRep with the issued certificate, or a failure CertRep with
 * its failInfo. A body that is not a signed SCEP message at all is a 400.
 */
export async function scepPkiOperation(app: App, tenant: Tenant, body: Buffer): Promise<Buffer> {
  let message: SignedScepMessage;
  try {
    message = await readScepMessage(body);
  } catch (err) {
    if (err instanceof ScepMessageError) throw badRequest(`not a SCEP PKI message: ${err.message}`);
    throw err;
  }
  const ca = await caMaterial(app, tenant);
  let request: ScepCertificateRequest;
  try {
    request = openCertificateRequest(message, ca);
  } catch (err) {
    return refuse(app, tenant, message, ca, { failInfo: 'badMessageCheck', why: (err as Error).message });
  }
  const decision =
    request.kind === 'PKCSReq' ? await challengeIssuance(app, tenant, request) : await renewal(app, tenant, message);
  if ('failInfo' in decision) return refuse(app, tenant, message, ca, decision);

  const now = app.clock.now();
  const { cert } = issueDeviceCertificate(
    ca,
    request.csr.publicKey as Parameters<typeof issueDeviceCertificate>[1],
    { tenantId: tenant.id, device: decision.device },
    now,
    tenant.deviceCertificateDays,
  );
  const issuedCertDer = certDerOf(cert);
  const issuedHash = sha256Hex(issuedCertDer);
  // The link Authenticate looks for: this certificate was handed out for this enrollment.
  if (decision.enrollmentHash)
    await app.stores.devices.link(tenant.id, 'identity', issuedHash, decision.enrollmentHash);
  // A renewal keeps the binding: the new certificate is bound to the device the old one was.
  if (decision.renewal)
    await app.stores.devices.link(tenant.id, 'identity', boundIdentityKey(issuedHash), decision.device);
  logger.info({ event: 'scep-issued', tenant: tenant.id, kind: request.kind, certHash: issuedHash });
  return buildCertRep({ request: message, ca, result: { issuedCertDer } });
}

async function refuse(
  app: App,
  tenant: Tenant,
  message: SignedScepMessage,
  ca: CaMaterial,
  decision: { failInfo: ScepFailInfo; why: string },
): Promise<Buffer> {
  logger.info({ event: 'scep-refused', tenant: tenant.id, failInfo: decision.failInfo, reason: decision.why });
  return buildCertRep({ request: message, ca, result: { failInfo: decision.failInfo } });
}

/**
 * PKCSReq: the challenge is used once, and only before it expires. An enrollment's challenge gives
 * a first identity; a device's (a renewal profile) gives that device a new one it stays bound to.
 */
async function challengeIssuance(app: App, tenant: Tenant, request: ScepCertificateRequest): Promise<Decision> {
  if (!request.challengePassword) return { failInfo: 'badRequest', why: 'the request carries no challenge' };
  const at = app.clock.now().toISOString();
  const binding = await app.stores.enrollments.useScepChallenge(tenant.id, sha256Hex(request.challengePassword), at);
  if (!binding) return { failInfo: 'badRequest', why: 'the challenge is unknown, used or expired' };
  if ('device' in binding) {
    const device = await app.stores.devices.get(tenant.id, binding.device);
    if (!device || device.registrationState === 'Withdrawn')
      return { failInfo: 'badRequest', why: 'the renewal challenge’s device is no longer managed' };
    return { device: device.id, enrollmentHash: device.enrolledVia, renewal: true };
  }
  const enrollmentHash = binding.enrollment;
  const enrollment = await app.stores.enrollments.get(tenant.id, enrollmentHash);
  if (!enrollment) return { failInfo: 'badRequest', why: 'the challenge’s enrollment is gone' };
  return {
    device: enrollment.pendingDeviceId ?? `enrollment ${enrollmentHash.slice(0, 12)}`,
    enrollmentHash,
    renewal: false,
  };
}

/** RenewalReq: signed with a current certificate of this tenant's CA that is bound to a device. */
async function renewal(app: App, tenant: Tenant, message: SignedScepMessage): Promise<Decision> {
  const current = new X509Certificate(message.signerCertDer);
  const ca = new X509Certificate(tenant.caCertificatePem ?? '');
  if (!current.checkIssued(ca) || !current.verify(ca.publicKey))
    return { failInfo: 'badCertId', why: 'the renewal is not signed with a certificate of this tenant' };
  const now = app.clock.now().getTime();
  if (now > Date.parse(current.validTo) || now < Date.parse(current.validFrom))
    return { failInfo: 'badTime', why: 'the certificate to renew is not valid now' };
  const currentHash = sha256Hex(message.signerCertDer);
  const device = await app.stores.devices.resolveLink(tenant.id, 'identity', boundIdentityKey(currentHash));
  if (!device) return { failInfo: 'badCertId', why: 'the certificate to renew is bound to no device' };
  const enrollmentHash = await app.stores.devices.resolveLink(tenant.id, 'identity', currentHash);
  return { device, enrollmentHash, renewal: true };
}
