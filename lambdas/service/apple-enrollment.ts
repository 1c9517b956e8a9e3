// An Apple device's enrollment (docs/apple.md): the enrollment profile with its own identity
// certificate, Authenticate (the device enrolls, new or again), the first TokenUpdate (enrollment
// complete, push address known), and the rule that binds a device to its identity certificate.

import { randomBytes } from 'node:crypto';
import { conflict, DomainError } from '../domain/errors';
import { STORED_LIMITS, StoredLimitError } from '../domain/limits';
import type { Device, Enrollment, Platform, Tenant } from '../domain/types';
import { sha256Hex } from '../ids';
import type { ScepChallengeBinding } from '../ports';
import type * as Ca from '../protocol/apple/ca';
import { buildEnrollmentProfile, FULL_ACCESS_RIGHTS, type ProfileIdentity } from '../protocol/apple/enrollment-profile';
import type * as Sign from '../protocol/apple/sign';
import type { VerifiedSigner } from '../protocol/apple/signature';
import { logEvent } from './audit';
import type { App } from './container';
import { mutateDevice } from './devices';
import { enrollDevice, useableEnrollment } from './enrollment';
import { CA_KEY_SECRET, SIGNING_CERT_SECRET, SIGNING_KEY_SECRET, UNLOCK_TOKEN_SECRET } from './secret-names';
import { requestSync } from './sync';
import { requireTenant } from './tenants';

/**
 * The enrollment profile for an enrollment token. With SCEP (the default) it carries a one-time
 * challenge bound to the enrollment, and the device makes its own key; with the tenant's `pkcs12`
 * choice, a fresh identity issued here, linked to the token. Either way Authenticate finds the
 * template and name the admin chose through the `identity` link of the certificate.
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
  const identity =
    (tenant.appleIdentity ?? 'scep') === 'scep'
      ? await scepChallengeIdentity(app, tenant, { enrollment: enrollment.tokenHash }, enrollment.expiresAt, baseUrl)
      : await pkcs12Identity(app, tenant, enrollment);
  return tenantEnrollmentProfile(app, tenant, tenant.apns.topic, baseUrl, identity);
}

/**
 * The tenant's MDM enrollment profile around an identity payload, signed when the tenant has a
 * signing certificate. The same PayloadIdentifier every time: installing it again replaces the
 * installed one in place (identity renewal).
 */
export async function tenantEnrollmentProfile(
  app: App,
  tenant: Tenant,
  topic: string,
  baseUrl: string,
  identity: ProfileIdentity,
): Promise<Buffer | string> {
  const profile = buildEnrollmentProfile({
    tenantId: tenant.id,
    tenantName: tenant.name,
    serverUrl: `${baseUrl}/mdm/${tenant.id}/connect`,
    checkInUrl: `${baseUrl}/mdm/${tenant.id}/checkin`,
    topic,
    identity,
  });
  return tenant.signing ? signWithTenantCertificate(app, tenant.id, profile) : profile;
}

/** Signs a profile with the tenant's signing certificate (the device shows it "Verified"). */
async function signWithTenantCertificate(app: App, tenantId: string, profile: Buffer): Promise<Buffer> {
  const certPem = await app.stores.secrets.get(tenantId, SIGNING_CERT_SECRET);
  const keyPem = await app.stores.secrets.get(tenantId, SIGNING_KEY_SECRET);
  if (!certPem || !keyPem)
    throw conflict('the signing certificate of this organisation is incomplete: upload it again');
  // node-forge: loaded by the paths that sign
  const { signProfile } = require('../protocol/apple/sign') as typeof Sign;
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
  const { checkSigningIdentity } = require('../protocol/apple/sign') as typeof Sign;
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

/**
 * A SCEP payload with a single-use challenge, kept by its hash until `expiresAt`: bound to an
 * enrollment (a first identity) or to an enrolled device (its renewal).
 */
export async function scepChallengeIdentity(
  app: App,
  tenant: Tenant,
  binding: ScepChallengeBinding,
  expiresAt: string,
  baseUrl: string,
): Promise<ProfileIdentity> {
  const challenge = randomBytes(24).toString('base64url');
  await app.stores.enrollments.putScepChallenge(tenant.id, sha256Hex(challenge), binding, expiresAt);
  return {
    kind: 'scep',
    url: `${baseUrl}/scep/${tenant.id}`,
    challenge,
    subject: `${tenant.id} device`,
    name: `${tenant.name} device CA`,
  };
}

async function pkcs12Identity(app: App, tenant: Tenant, enrollment: Enrollment): Promise<ProfileIdentity> {
  const caKey = await app.stores.secrets.get(tenant.id, CA_KEY_SECRET);
  if (!caKey || !tenant.caCertificatePem) throw conflict('this organisation has no device CA');
  // node-forge: only this path issues keys
  const { issueDeviceIdentity } = require('../protocol/apple/ca') as typeof Ca;
  const identity = await issueDeviceIdentity(
    { certPem: tenant.caCertificatePem, keyPem: caKey },
    { tenantId: tenant.id, device: enrollment.pendingDeviceId ?? `${tenant.id} device` },
    app.clock.now(),
    tenant.deviceCertificateDays,
  );
  await app.stores.devices.link(tenant.id, 'identity', sha256Hex(certDer(identity.certPem)), enrollment.tokenHash);
  return { kind: 'pkcs12', p12: identity.p12, password: identity.password };
}

function certDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** The `identity` link from a certificate hash to the device it was bound to (Authenticate, SCEP renewal). */
export const boundIdentityKey = (certHash: string) => `bound#${certHash}`;

/**
 * The request must come from the certificate bound to this device. A certificate the device
 * renewed by SCEP (bound to it at issuance) takes over the binding at its first use, and the one
 * it replaces is released then: from that request on, the old certificate is refused. Returns the
 * device as it is after that (bound to the renewed certificate).
 */
export async function requireCurrentCertificate(
  app: App,
  device: Device,
  signer: VerifiedSigner | undefined,
): Promise<Device> {
  if (!signer || !device.identityCertHash || device.identityCertHash === signer.certHash) return device;
  const renewedFor = await app.stores.devices.resolveLink(
    device.tenantId,
    'identity',
    boundIdentityKey(signer.certHash),
  );
  if (renewedFor !== device.id) {
    requireBoundCertificate(device, signer);
    return device;
  }
  // The hash this write replaced (set by the run of the change that was written; undefined when
  // a concurrent request moved the binding first).
  let replaced: string | undefined;
  const renewed = await mutateDevice(app, device.tenantId, device.id, (d) => {
    replaced = d.identityCertHash === signer.certHash ? undefined : d.identityCertHash;
    if (!replaced) return undefined;
    return {
      device: { ...d, identityCertHash: signer.certHash, identityCertNotAfter: signer.notAfter.toISOString() },
      logs: [{ event: 'identity-renewed', message: 'device identity certificate renewed (SCEP)' }],
    };
  });
  if (replaced) await releaseIdentityCertificate(app, device.tenantId, replaced);
  return renewed;
}

/**
 * A retired device's identity is released: its certificate no longer binds the hardware (which may
 * enroll again with a new profile) and no longer counts as one this server handed out, so a
 * request signed with it is refused as unrecognized.
 */
export async function releaseAppleIdentity(app: App, device: Device): Promise<void> {
  if (device.identityCertHash) await releaseIdentityCertificate(app, device.tenantId, device.identityCertHash);
}

async function releaseIdentityCertificate(app: App, tenantId: string, certHash: string): Promise<void> {
  await app.stores.devices.unlink(tenantId, 'identity', boundIdentityKey(certHash));
  await app.stores.devices.unlink(tenantId, 'identity', certHash);
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
  // One identity, one device (docs/apple.md): the certificate is bound to the first UDID that
  // authenticates with it (a conditional write, so of two at once exactly one wins); another is refused.
  const boundTo = signer
    ? await app.stores.devices.claimLink(tenant.id, 'identity', boundIdentityKey(signer.certHash), facts.udid)
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
    // An admin's search by exact serial number finds the device with one lookup.
    links: facts.serialNumber ? [{ kind: 'apple-serial', value: facts.serialNumber }] : [],
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
