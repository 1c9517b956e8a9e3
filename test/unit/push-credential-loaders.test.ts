// The push credential a container keeps: read from the secret store once per upload, not per push
// batch, and the next upload's credential used from the next push on.

import { withTenantCache } from '../../lambdas/service/container';
import { apnsCredentials, fcmCredentials } from '../../lambdas/service/push-credential-loaders';
import { APNS_CERT_SECRET, APNS_KEY_SECRET, FCM_SECRET } from '../../lambdas/service/secret-names';
import { useDynamo } from '../support/dynamo';

describe('push credential loaders', () => {
  const db = useDynamo();
  // A container: uploads go through its stores, as the upload routes' do, so its tenant cache sees them.
  let container: ReturnType<typeof withTenantCache>;
  beforeEach(() => {
    container = withTenantCache(db.stores);
  });

  async function uploadApns(tenantId: string, cert: string, uploadedAt: string) {
    await db.stores.secrets.put(tenantId, APNS_CERT_SECRET, cert);
    await db.stores.secrets.put(tenantId, APNS_KEY_SECRET, `key of ${cert}`);
    await container.stores.tenants.update(tenantId, {
      apns: { topic: 'com.apple.mgmt.External.x', notAfter: '2027-12-01T00:00:00.000Z', uploadedAt },
    });
  }

  it('reads the APNs secrets once per upload, and the new ones after the next upload', async () => {
    await container.stores.tenants.create({ id: 'acme', name: 'Acme', createdAt: '2026-11-01T00:00:00.000Z' });
    await uploadApns('acme', 'cert-1', '2026-11-01T00:00:00.000Z');
    const load = apnsCredentials(container);
    const secretReads = jest.spyOn(db.stores.secrets, 'get');

    expect((await load('acme'))?.certPem).toBe('cert-1');
    expect((await load('acme'))?.certPem).toBe('cert-1');
    expect(secretReads).toHaveBeenCalledTimes(2); // certificate and key, once

    await uploadApns('acme', 'cert-2', '2026-11-20T00:00:00.000Z');
    expect(await load('acme')).toMatchObject({ certPem: 'cert-2', keyPem: 'key of cert-2' });
    secretReads.mockRestore();
  });

  it('keeps one tenant’s credential apart from another’s, and has none for a tenant without an upload', async () => {
    await container.stores.tenants.create({ id: 'other', name: 'Other', createdAt: '2026-11-01T00:00:00.000Z' });
    await container.stores.tenants.create({ id: 'bare', name: 'Bare', createdAt: '2026-11-01T00:00:00.000Z' });
    await uploadApns('other', 'cert-other', '2026-11-01T00:00:00.000Z');
    const load = apnsCredentials(container);
    expect((await load('other'))?.certPem).toBe('cert-other');
    expect(await load('bare')).toBeUndefined();
  });

  it('reads the FCM service account once per upload', async () => {
    await container.stores.tenants.create({ id: 'droid', name: 'Droid', createdAt: '2026-11-01T00:00:00.000Z' });
    const load = fcmCredentials(container);
    expect(await load('droid')).toBeUndefined();
    await db.stores.secrets.put('droid', FCM_SECRET, '{"project_id":"p1"}');
    await container.stores.tenants.update('droid', {
      fcm: { projectId: 'p1', uploadedAt: '2026-11-01T00:00:00.000Z' },
    });
    const secretReads = jest.spyOn(db.stores.secrets, 'get');
    expect(await load('droid')).toBe('{"project_id":"p1"}');
    expect(await load('droid')).toBe('{"project_id":"p1"}');
    expect(secretReads).toHaveBeenCalledTimes(1);
    await db.stores.secrets.put('droid', FCM_SECRET, '{"project_id":"p2"}');
    await container.stores.tenants.update('droid', {
      fcm: { projectId: 'p2', uploadedAt: '2026-11-02T00:00:00.000Z' },
    });
    expect(await load('droid')).toBe('{"project_id":"p2"}');
    secretReads.mockRestore();
  });
});
