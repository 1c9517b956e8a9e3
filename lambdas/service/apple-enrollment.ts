// An Apple device's enrollment (docs/apple.md): the enrollment profile with its own identity
// certificate, Authenticate (the device enrolls, new or again), the first TokenUpdate (enrollment
// complete, push address known), and the rule that binds a device to its identity certificate.
import { conflict, DomainError } from '../domain/errors';
import { STORED_LIMITS, StoredLimitError } from '../domain/limits';
import type { Device, Platform, Tenant } from '../domain/types';
import { sha256Hex } from '../ids';
import { issueDeviceIdentity } from '../protocol/apple/ca';
import { buildEnrollmentProfile, FULL_ACCESS_RIGHTS } from '../protocol/apple/enrollment-profile';
import { checkSigningIdentity, signProfile } from '../protocol/apple/sign';
import type { VerifiedSigner } from '../protocol/apple/signature';
import { logEvent } from './audit';
import type { App } from './container';
import { mutateDevice } from './devices';
import { enrollDevice, useableEnrollment } from './enrollment';
import { CA_KEY_SECRET, SIGNING_CERT_SECRET, SIGNING_KEY_SECRET, UNLOCK_TOKEN_SECRET } from './secret-names';
import { requestSync } from './sync';
import { requireTenant } from './tenants';

/**
 * The enrollment profile for an enrollment token: a fresh device identity issued by the tenant's
 * CA, linked to the token so that Authenticate knows the template and name the admin chose.
 */
export async function appleEnrollmentProfile(
  app: App,
  tenant: Tenant,
  token: string,
  baseUrl: string,
): Promise<Buffer | string> {
  const enrollment = await useableEnrollment(app, tenant.id, token, 'ios');
  if (!tenant.apns)
    throw conflict(
      'this organisation has not uploaded an Apple push certificate yet, so devices cannot enroll; an admin uploads it with PUT /admin/v1/push/apns',
    );
  const caKey = await app.stores.secrets.get(tenant.id, CA_KEY_SECRET);
  if (!caKey || !tenant.caCertificatePem) throw conflict('this organisation has no device CA');
  const identity = issueDeviceIdentity(
    { certPem: tenant.caCertificatePem, keyPem: caKey },
    `${tenant.id} device`,
    app.clock.now(),
  );
  await app.stores.devices.link(tenant.id, 'identity', sha256Hex(certDer(identity.certPem)), enrollment.tokenHash);
  const profile = buildEnrollmentProfile({
    tenantId: tenant.id,
    tenantName: tenant.name,
    serverUrl: `${baseUrl}/mdm/${tenant.id}/connect`,
    checkInUrl: `${baseUrl}/mdm/${tenant.id}/checkin`,
    topic: tenant.apns.topic,
    identity: { p12: identity.p12, password: identity.password },
  });
  return tenant.signing ? signWithTenantCertificate(app, tenant.id, profile) : profile;
}

/** Signs a profile with the tenant's signing certificate (the device shows it "Verified"). */
async function signWithTenantCertificate(app: App, tenantId: string, profile: Buffer): Promise<Buffer> {
  const certPem = await app.stores.secrets.get(tenantId, SIGNING_CERT_SECRET);
  const keyPem = await app.stores.secrets.get(tenantId, SIGNING_KEY_SECRET);
  if (!certPem || !keyPem)
    throw conflict('the signing certificate of this organisation is incomplete: upload it again');
  return signProfile(profile, certPem, keyPem);
}

/**
 * PUT /admin/v1/signing: the certificate (PEM, with its intermediates) and key that sign this
 * tenant's enrollment profiles from now on. Kept like the push certificate: the key in the secret
 * store, the facts on the tenant.
 */
export async function putSigningCredential(
  app: App,
  tenantId: string,
  input: { certificatePem: string; privateKeyPem: string },
): Promise<{ subject: string; notAfter: string }> {
  const now = app.clock.now();
  const { subject, notAfter } = checkSigningIdentity(input.certificatePem, input.privateKeyPem, now); // 422
  await requireTenant(app, tenantId);
  await app.stores.secrets.put(tenantId, SIGNING_CERT_SECRET, input.certificatePem);
  await app.stores.secrets.put(tenantId, SIGNING_KEY_SECRET, input.privateKeyPem);
  const signing = { subject, notAfter: notAfter.toISOString(), uploadedAt: now.toISOString() };
  await app.stores.tenants.update(tenantId, { signing });
  await logEvent(
    app,
    tenantId,
    'signing-certificate-uploaded',
    `enrollment profiles are now signed by ${subject} (valid until ${signing.notAfter})`,
  );
  return { subject, notAfter: signing.notAfter };
}

function certDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** The `identity` link from a certificate hash to the device it was bound to at Authenticate. */
const boundIdentityKey = (certHash: string) => `bound#${certHash}`;

/**
 * A retired device's identity is released: its certificate no longer binds the hardware (which may
 * enroll again with a new profile) and no longer counts as one this server handed out, so a
 * request signed with it is refused as unrecognized.
 */
export async function releaseAppleIdentity(app: App, device: Device): Promise<void> {
  if (!device.identityCertHash) return;
  await app.stores.devices.unlink(device.tenantId, 'identity', boundIdentityKey(device.identityCertHash));
  await app.stores.devices.unlink(device.tenantId, 'identity', device.identityCertHash);
}

/** The request must come from the certificate bound to this device at Authenticate. */
export function requireBoundCertificate(device: Device, signer: VerifiedSigner | undefined): void {
  if (signer && device.identityCertHash && device.identityCertHash !== signer.certHash) {
    throw new DomainError('bad-request', 'the identity certificate does not belong to this device');
  }
}

/** What an Authenticate message says about the device. */
export interface AuthenticateFacts {
  udid: string;
  platform: Platform;
  serialNumber?: string;
  model?: string;
  osVersion?: string;
  deviceName?: string;
  userAgent?: string;
}

/**
 * Authenticate: the device enrolls (again). `unrecognized` when it signs with an identity this
 * server never handed out (the caller answers 403, never 401).
 */
export async function authenticateAppleDevice(
  app: App,
  tenant: Tenant,
  facts: AuthenticateFacts,
  signer: VerifiedSigner | undefined,
): Promise<'enrolled' | 'unrecognized'> {
  const existing = await app.stores.devices.get(tenant.id, facts.udid);
  const enrollmentHash = signer
    ? await app.stores.devices.resolveLink(tenant.id, 'identity', signer.certHash)
    : undefined;
  if (existing && existing.registrationState !== 'Withdrawn') requireBoundCertificate(existing, signer);
  // Not an identity this server handed out, or one it released (a retired device): a device the
  // server manages keeps its own identity, checked just above.
  const managed = existing && existing.registrationState !== 'Withdrawn';
  if (!managed && signer && !enrollmentHash) return 'unrecognized';
  // One identity, one device (docs/apple.md): a certificate already bound to another UDID is refused.
  const boundTo = signer
    ? await app.stores.devices.resolveLink(tenant.id, 'identity', boundIdentityKey(signer.certHash))
    : undefined;
  if (boundTo && boundTo !== facts.udid)
    throw new DomainError('bad-request', 'the identity certificate belongs to another device');
  const enrollment = enrollmentHash ? await app.stores.enrollments.get(tenant.id, enrollmentHash) : undefined;
  await enrollDevice(app, {
    tenantId: tenant.id,
    platform: facts.platform,
    existing,
    deviceId: facts.udid,
    enrolledVia: enrollmentHash,
    enrollment,
    facts: {
      serialNumber: facts.serialNumber,
      model: facts.model,
      osVersion: facts.osVersion,
      name: facts.deviceName,
      userAgent: facts.userAgent,
      identityCertHash: signer?.certHash,
      identityCertNotAfter: signer?.notAfter.toISOString(),
    },
    registrationState: 'Awaiting-Check-In',
    links: signer && !boundTo ? [{ kind: 'identity', value: boundIdentityKey(signer.certHash) }] : [],
    // Again is a fresh start, the old queue dropped (nanomdm does the same).
    log: {
      event: 'authenticate',
      created: 'device authenticated (enrollment in progress)',
      again: 'device authenticated again (re-enrollment)',
    },
  });
  return 'enrolled';
}

/** What a device-channel TokenUpdate carries. */
export interface TokenUpdate {
  token: string;
  pushMagic: string;
  unlockToken?: Buffer;
  sourceIp?: string;
  userAgent?: string;
}

/**
 * TokenUpdate: the push address (and UnlockToken) of the device. The first one completes the
 * enrollment: only then may the sync start and the server push.
 */
export async function recordAppleTokenUpdate(app: App, device: Device, update: TokenUpdate): Promise<void> {
  if (update.unlockToken && update.unlockToken.length > STORED_LIMITS.unlockTokenBytes) {
    throw new StoredLimitError(
      `UnlockToken not stored: over ${STORED_LIMITS.unlockTokenBytes / 1024} KB`,
      'unlockTokenBytes',
    );
  }
  if (update.unlockToken)
    await app.stores.secrets.put(
      device.tenantId,
      UNLOCK_TOKEN_SECRET(device.id),
      update.unlockToken.toString('base64'),
    );
  const now = app.clock.now().toISOString();
  const first = device.registrationState !== 'Checked-In';
  await mutateDevice(app, device.tenantId, device.id, (d) => ({
    device: {
      ...d,
      push: { token: update.token, magic: update.pushMagic, dead: false },
      ...(first
        ? {
            registrationState: 'Checked-In' as const,
            checkedInAt: now,
            checkInAddress: update.sourceIp,
            userAgent: update.userAgent ?? d.userAgent,
            accessRights: FULL_ACCESS_RIGHTS.toString(16).toUpperCase(),
          }
        : {}),
    },
    logs: [
      {
        event: first ? 'checked-in' : 'token-update',
        message: first ? 'device checked in (enrollment complete)' : 'push token updated',
      },
    ],
  }));
  if (first) await requestSync(app, device.tenantId, device.id, 'enrollment');
}
