// An admin uploads a tenant's push credentials (the APNs MDM certificate, the FCM service account)
// and reads their state.

import { conflict } from '../domain/errors';
import type { Tenant } from '../domain/types';
import { pages } from '../paging';
import { parseServiceAccount } from '../protocol/android/service-account';
import { parsePushCertificate } from '../protocol/apple/push-cert';
import { clearAlarm, logEvent } from './audit';
import type { App } from './container';
import { APNS_ALARM, FCM_ALARM } from './push-credential-loaders';
import { requestPush } from './push-requests';
import { APNS_CERT_SECRET, APNS_KEY_SECRET, FCM_SECRET } from './secret-names';
import { requireTenant } from './tenants';

export async function putApnsCredential(
  app: App,
  tenantId: string,
  input: { certificatePem: string; privateKeyPem: string; force?: boolean },
) {
  const cert = parsePushCertificate(input.certificatePem, input.privateKeyPem); // 422 when it is not an MDM push certificate
  const tenant = await requireTenant(app, tenantId);
  if (tenant.apns && tenant.apns.topic !== cert.topic && !input.force) {
    throw conflict(
      `this certificate's topic (${cert.topic}) differs from the current one (${tenant.apns.topic}): every enrolled Apple device would have to re-enroll. Renew the certificate with the same Apple ID, or send force: true`,
    );
  }
  await app.stores.secrets.put(tenantId, APNS_CERT_SECRET, input.certificatePem);
  await app.stores.secrets.put(tenantId, APNS_KEY_SECRET, input.privateKeyPem);
  const notAfter = cert.notAfter.toISOString();
  await app.stores.tenants.update(tenantId, {
    apns: { topic: cert.topic, notAfter, uploadedAt: app.clock.now().toISOString() },
  });
  await clearAlarm(app, tenantId, APNS_ALARM, 'a new Apple push certificate was uploaded');
  await logEvent(
    app,
    tenantId,
    'apns-certificate-uploaded',
    `Apple push certificate uploaded (topic ${cert.topic}, valid until ${notAfter})`,
  );
  if (tenant.apns?.invalidSince) await repushWaiting(app, tenantId, 'apple');
  return { topic: cert.topic, notAfter };
}

export async function putFcmCredential(app: App, tenantId: string, serviceAccountJson: string) {
  const { projectId } = parseServiceAccount(serviceAccountJson); // 422 when it is not a service account
  const tenant = await requireTenant(app, tenantId);
  await app.stores.secrets.put(tenantId, FCM_SECRET, serviceAccountJson);
  await app.stores.tenants.update(tenantId, { fcm: { projectId, uploadedAt: app.clock.now().toISOString() } });
  await clearAlarm(app, tenantId, FCM_ALARM, 'a new FCM service account was uploaded');
  await logEvent(app, tenantId, 'fcm-credential-uploaded', `FCM service account uploaded (project ${projectId})`);
  if (tenant.fcm?.invalidSince) await repushWaiting(app, tenantId, 'android');
  return { projectId };
}

/**
 * Pushes resume by themselves once a refused credential is replaced: the devices whose pushes were
 * skipped meanwhile (still Sync-Required) are pushed now instead of at the next daily resync.
 */
async function repushWaiting(app: App, tenantId: string, family: 'apple' | 'android'): Promise<void> {
  const filter = { syncState: 'Sync-Required', registrationState: 'Checked-In' } as const;
  for await (const page of pages((cursor) => app.stores.devices.list(tenantId, filter, cursor, 100))) {
    const waiting = page.items.filter(
      (d) => (d.platform === 'android') === (family === 'android') && d.push?.token && !d.push.dead,
    );
    await requestPush(
      app,
      waiting.map((d) => ({ tenantId, deviceId: d.id, priority: 'bulk' as const, reason: 'credential-renewed' })),
    );
  }
}

const DAY_MS = 24 * 3600_000;

/** The push credentials' state (GET /admin/v1/push): facts and the last outcome, never a secret. */
export async function pushCredentialState(app: App, tenantId: string) {
  const tenant = await requireTenant(app, tenantId);
  const last = (r: Tenant['apnsLastPush']) => ({ lastPushAt: r?.at ?? null, lastOutcome: r?.outcome ?? null });
  const now = app.clock.now().getTime();
  return {
    apns: tenant.apns
      ? {
          topic: tenant.apns.topic,
          notAfter: tenant.apns.notAfter,
          daysLeft: Math.floor((Date.parse(tenant.apns.notAfter) - now) / DAY_MS),
          ...last(tenant.apnsLastPush),
        }
      : null,
    fcm: tenant.fcm ? { projectId: tenant.fcm.projectId, ...last(tenant.fcmLastPush) } : null,
  };
}
