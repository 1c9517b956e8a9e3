// Push credentials of a tenant as the push path reads them: the loaders the push senders use and
// the alarms about the credentials. Uploading them is admin work, in push-credential-upload.ts:
// kept apart so that the push worker and the jobs, which import this, do not bundle what an
// upload needs (service/tenants.ts, and through its tenant creation the device CA's node-forge).
import type { App } from './container';
import { APNS_CERT_SECRET, APNS_KEY_SECRET, FCM_SECRET } from './secret-names';

export const APNS_ALARM = 'apns-certificate';
export const FCM_ALARM = 'fcm-credential';

/** The credential loaders the push senders use. */
export function apnsCredentials(app: Pick<App, 'stores'>) {
  return async (tenantId: string) => {
    const tenant = await app.stores.tenants.get(tenantId);
    if (!tenant?.apns) return undefined;
    const [certPem, keyPem] = await Promise.all([
      app.stores.secrets.get(tenantId, APNS_CERT_SECRET),
      app.stores.secrets.get(tenantId, APNS_KEY_SECRET),
    ]);
    return certPem && keyPem ? { certPem, keyPem, topic: tenant.apns.topic } : undefined;
  };
}

export function fcmCredentials(app: Pick<App, 'stores'>) {
  return (tenantId: string) => app.stores.secrets.get(tenantId, FCM_SECRET);
}
