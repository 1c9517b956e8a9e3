// Apple device identities renewed before they expire (docs/apple.md §Renewal): the daily
// certificate-check sends each device whose identity expires within IDENTITY_RENEWAL_DAYS an
// InstallProfile of its enrollment profile with a new SCEP challenge bound to that device; the
// device runs SCEP, replaces its MDM identity in place and keeps its record and binding.
import { IDENTITY_RENEWAL_DAYS, IDENTITY_RENEWALS_PER_RUN } from '../domain/jobs';
import type { Device, Tenant } from '../domain/types';
import { logger } from '../logger';
import { pages } from '../paging';
import type { CommandSpec } from '../ports/platform';
import { needsUnlock } from '../protocol/apple/command-builders';
import { enrollmentProfileIdentifier } from '../protocol/apple/enrollment-profile';
import { scepChallengeIdentity, tenantEnrollmentProfile } from './apple-enrollment';
import { logEvent } from './audit';
import { enqueueCommands } from './command-queue';
import type { App } from './container';
import { requestPush } from './push-requests';

/** The queued renewal's action: one per device at a time (the queue is the record of it). */
const RENEW_IDENTITY = 'renew-identity';

/** Whether this device's identity is due for renewal now (valid, and expiring within the window). */
export function identityRenewalDue(device: Device, now: Date): boolean {
  if (device.platform === 'android' || device.registrationState !== 'Checked-In') return false;
  if (!device.identityCertNotAfter) return false;
  const msLeft = Date.parse(device.identityCertNotAfter) - now.getTime();
  return msLeft > 0 && msLeft <= IDENTITY_RENEWAL_DAYS * 86_400_000;
}

/**
 * Queues a renewal profile for each checked-in Apple device of the tenant whose identity is due
 * and that has none queued yet, and asks for their pushes. At most IDENTITY_RENEWALS_PER_RUN a
 * run. Returns how many it queued. SCEP tenants only: a `pkcs12` tenant's devices re-enroll.
 */
export async function queueIdentityRenewals(app: App, tenant: Tenant): Promise<number> {
  if (!tenant.apns || (tenant.appleIdentity ?? 'scep') !== 'scep') return 0;
  const baseUrl = (app.config.publicBaseUrl ?? app.config.listenUrl)?.replace(/\/$/, '');
  if (!baseUrl) {
    logger.warn({ event: 'identity-renewal-skipped', tenant: tenant.id, reason: 'PUBLIC_BASE_URL is not set' });
    return 0;
  }
  const now = app.clock.now();
  let queued = 0;
  for await (const page of pages((cursor) =>
    app.stores.devices.list(tenant.id, { registrationState: 'Checked-In' }, cursor, 100),
  )) {
    for (const device of page.items) {
      if (!identityRenewalDue(device, now)) continue;
      const live = await app.stores.commands.liveQueue(tenant.id, device.id);
      if (live.some((c) => c.action?.action === RENEW_IDENTITY)) continue;
      await queueRenewal(app, tenant, tenant.apns.topic, baseUrl, device);
      queued += 1;
      if (queued >= IDENTITY_RENEWALS_PER_RUN) break;
    }
    if (queued >= IDENTITY_RENEWALS_PER_RUN) break;
  }
  return queued;
}

async function queueRenewal(app: App, tenant: Tenant, topic: string, baseUrl: string, device: Device): Promise<void> {
  // Good until the current identity expires: after that the device cannot reach the server anyway.
  const identity = await scepChallengeIdentity(
    app,
    tenant,
    { device: device.id },
    device.identityCertNotAfter!,
    baseUrl,
  );
  const profile = await tenantEnrollmentProfile(app, tenant, topic, baseUrl, identity);
  const spec: CommandSpec = {
    requestType: 'InstallProfile',
    payload: { RequestType: 'InstallProfile' },
    needsUnlock: needsUnlock('InstallProfile'),
    // The profile carries the challenge: sealed until handed out, never in the stored queue or the log.
    secrets: { Payload: `$data:${Buffer.from(profile).toString('base64')}` },
    action: { action: RENEW_IDENTITY, identifier: enrollmentProfileIdentifier(tenant.id) },
  };
  await enqueueCommands(app, device, [spec], 'renewal');
  await logEvent(
    app,
    tenant.id,
    'identity-renewal-queued',
    `identity certificate expires ${device.identityCertNotAfter}: renewal profile queued`,
    { deviceId: device.id },
  );
  await requestPush(app, [{ tenantId: tenant.id, deviceId: device.id, priority: 'bulk', reason: 'identity-renewal' }]);
}
