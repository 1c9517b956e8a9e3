// The enrollment profile (.mobileconfig): an identity payload (SCEP: the device makes its own key; or,
// per tenant, a PKCS#12 made by the server) plus the com.apple.mdm payload that uses it.
// Signed when the tenant has a signing certificate: signProfile(buildEnrollmentProfile(...)) from
// sign.ts (service/apple-enrollment.ts), kept out of here so that command-builders.ts (which needs
// the profile's identifier) does not bring node-forge
// into every bundle that queues Apple commands.
import { randomUUID } from 'node:crypto';
import { buildPlist } from './plist';

/** All 13 access-right bits: the device lets the server do everything MDM allows. */
export const FULL_ACCESS_RIGHTS = 8191;
/** Kept in every profile: it cannot be added later without re-enrolling (docs/protocol.md §Enrollment profile). */
export const SERVER_CAPABILITIES: readonly string[] = ['com.apple.mdm.per-user-connections'];
export const ENROLLMENT_PROFILE_CONTENT_TYPE = 'application/x-apple-aspen-config';

/** PayloadIdentifier of a tenant's enrollment profile. RemoveProfile of it unenrolls the device. */
export function enrollmentProfileIdentifier(tenantId: string): string {
  return `mdm.${tenantId}.enrollment`;
}

export interface EnrollmentProfileOptions {
  tenantId: string;
  tenantName: string;
  /** Command endpoint (connect). Never changes for an enrolled device, so use a stable custom domain. */
  serverUrl: string;
  checkInUrl?: string;
  /** The push certificate UID (com.apple.mgmt.…). */
  topic: string;
  identity: ProfileIdentity;
  /** Top-level PayloadUUID; random when omitted. */
  profileUuid?: string;
  /** Payload UUIDs of the inner payloads; random when omitted. */
  identityPayloadUuid?: string;
  mdmPayloadUuid?: string;
  accessRights?: number;
  /** Defaults to true: the server verifies Mdm-Signature (no mTLS on Lambda). */
  signMessage?: boolean;
  description?: string;
}

/**
 * Where the device's identity comes from: a SCEP request the device makes with its own key (the
 * challenge is single-use and bound to the enrollment), or a PKCS#12 made by the server.
 */
export type ProfileIdentity =
  | { kind: 'scep'; url: string; challenge: string; subject: string; name?: string }
  | { kind: 'pkcs12'; p12: Buffer; password: string };

/** RSA key size the device makes for SCEP. */
export const SCEP_KEY_SIZE = 2048;
/** Key Usage bits of the SCEP payload: digital signature (1) and key encipherment (4). */
export const SCEP_KEY_USAGE = 5;

const uuid = (): string => randomUUID().toUpperCase();

function identityPayload(identity: ProfileIdentity, base: string, payloadUuid: string): Record<string, unknown> {
  const common = { PayloadVersion: 1, PayloadIdentifier: `${base}.identity`, PayloadUUID: payloadUuid };
  if (identity.kind === 'pkcs12') {
    return {
      PayloadType: 'com.apple.security.pkcs12',
      ...common,
      PayloadDisplayName: 'Device identity',
      PayloadCertificateFileName: 'identity.p12',
      PayloadContent: identity.p12,
      Password: identity.password,
    };
  }
  return {
    PayloadType: 'com.apple.security.scep',
    ...common,
    PayloadDisplayName: 'Device identity (SCEP)',
    PayloadContent: {
      URL: identity.url,
      ...(identity.name ? { Name: identity.name } : {}),
      Subject: [[['CN', identity.subject]]],
      Challenge: identity.challenge,
      Keysize: SCEP_KEY_SIZE,
      'Key Type': 'RSA',
      'Key Usage': SCEP_KEY_USAGE,
    },
  };
}

export function buildEnrollmentProfile(o: EnrollmentProfileOptions): Buffer {
  if (!o.topic.startsWith('com.apple.mgmt.')) throw new Error(`MDM topic must start with com.apple.mgmt.: ${o.topic}`);
  const base = enrollmentProfileIdentifier(o.tenantId);
  const identityUuid = o.identityPayloadUuid ?? uuid();
  const mdmPayload = {
    PayloadType: 'com.apple.mdm',
    PayloadVersion: 1,
    PayloadIdentifier: `${base}.mdm`,
    PayloadUUID: o.mdmPayloadUuid ?? uuid(),
    PayloadDisplayName: 'Device management',
    IdentityCertificateUUID: identityUuid,
    Topic: o.topic,
    ServerURL: o.serverUrl,
    CheckInURL: o.checkInUrl,
    SignMessage: o.signMessage ?? true,
    AccessRights: o.accessRights ?? FULL_ACCESS_RIGHTS,
    CheckOutWhenRemoved: true,
    ServerCapabilities: [...SERVER_CAPABILITIES],
  };
  const profile = {
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: base,
    PayloadUUID: o.profileUuid ?? uuid(),
    PayloadDisplayName: `${o.tenantName} device management`,
    PayloadOrganization: o.tenantName,
    PayloadDescription: o.description ?? `Lets ${o.tenantName} manage this device.`,
    // The MDM payload must be system-scoped on macOS.
    PayloadScope: 'System',
    PayloadContent: [identityPayload(o.identity, base, identityUuid), mdmPayload],
  };
  return Buffer.from(buildPlist(profile), 'utf8');
}
