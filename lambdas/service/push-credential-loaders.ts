// Push credentials of a tenant as the push path reads them: the loaders the push senders use and
// the alarms about the credentials. Uploading them is admin work, in push-credential-upload.ts:
// kept apart so that the push worker and the jobs, which import this, do not bundle what an
// upload needs (service/tenants.ts, and through its tenant creation the device CA's node-forge).
import { LruMap } from '../domain/lru-map';
import type { App } from './container';
import { APNS_CERT_SECRET, APNS_KEY_SECRET, FCM_SECRET } from './secret-names';

export const APNS_ALARM = 'apns-certificate';
export const FCM_ALARM = 'fcm-credential';

/** Tenants whose loaded credential a container keeps (the newest used); a bound, so memory stays flat. */
const CREDENTIALS_KEPT = 256;

/**
 * A per-container cache of a tenant's unsealed push credential, valid while the tenant's record of
 * the upload (`version`: when, for which topic) is the same: an upload changes it, so the next push
 * reads the new secret. Saves the secret reads (and their KMS decrypts) on every push batch.
 */
class CredentialCache<T> {
  private readonly entries = new LruMap<string, { version: string; value: T }>(CREDENTIALS_KEPT);

  async get(tenantId: string, version: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(tenantId);
    if (hit?.version === version) return hit.value;
    this.entries.delete(tenantId);
    const value = await load();
    // Only a complete credential is kept: a missing secret is read again next time.
    if (value !== undefined) this.entries.set(tenantId, { version, value });
    return value;
  }
}

/** The credential loaders the push senders use. */
export function apnsCredentials(app: Pick<App, 'stores' | 'tenantCache'>) {
  const cache = new CredentialCache<{ certPem: string; keyPem: string; topic: string } | undefined>();
  return async (tenantId: string) => {
    // The push worker has just read this tenant through the same cache: no second read per batch.
    const tenant = await app.tenantCache.get(tenantId);
    const apns = tenant?.apns;
    if (!apns) return undefined;
    return cache.get(tenantId, `${apns.uploadedAt}|${apns.topic}|${apns.notAfter}`, async () => {
      const [certPem, keyPem] = await Promise.all([
        app.stores.secrets.get(tenantId, APNS_CERT_SECRET),
        app.stores.secrets.get(tenantId, APNS_KEY_SECRET),
      ]);
      return certPem && keyPem ? { certPem, keyPem, topic: apns.topic } : undefined;
    });
  };
}

export function fcmCredentials(app: Pick<App, 'stores' | 'tenantCache'>) {
  const cache = new CredentialCache<string | undefined>();
  return async (tenantId: string) => {
    const fcm = (await app.tenantCache.get(tenantId))?.fcm;
    if (!fcm) return undefined;
    return cache.get(tenantId, `${fcm.uploadedAt}|${fcm.projectId}`, () =>
      app.stores.secrets.get(tenantId, FCM_SECRET),
    );
  };
}
