// The tenant routes (docs/api.md §Keys and roles): the operator lists, reads and configures
// tenants; an admin reads and renames its own; a viewer only reads; no key sees another tenant.
import { type LocalServer, startLocal } from '../../lambdas/wiring/local';

describe('tenant routes', () => {
  let local: LocalServer;
  let operator: string;
  let demoAdmin: string;
  let otherAdmin: string;
  let demoViewer: string;

  async function call(method: string, path: string, key: string, body?: unknown) {
    const res = await fetch(`${local.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  beforeAll(async () => {
    local = await startLocal({ inMemory: true, port: 0, schedules: false, config: { pushCapPerMinute: 500 } });
    operator = local.credentials.operatorKey;
    demoAdmin = local.credentials.adminKey;
    otherAdmin = (await call('POST', '/admin/v1/tenants', operator, { id: 'other-co', name: 'Other Co' })).body
      .adminKey;
    demoViewer = (await call('POST', '/admin/v1/api-keys', demoAdmin, { name: 'ro', role: 'viewer' })).body.key;
  });
  afterAll(async () => {
    await local?.stop();
  });

  it('lets the operator list tenants and set one tenant’s own push cap', async () => {
    const list = await call('GET', '/admin/v1/tenants', operator);
    expect(list.status).toBe(200);
    expect(list.body.items.map((t: { id: string }) => t.id).sort()).toEqual(['demo', 'other-co']);
    expect(list.body.items[0]).toMatchObject({ pushCapPerMinute: 500, pushCapIsCustom: false, devices: 0 });

    const capped = await call('PUT', '/admin/v1/tenants/other-co', operator, { pushCapPerMinute: 25 });
    expect(capped).toMatchObject({
      status: 200,
      body: { id: 'other-co', pushCapPerMinute: 25, pushCapIsCustom: true },
    });
    expect((await call('GET', '/admin/v1/tenant', otherAdmin)).body.pushCapPerMinute).toBe(25);
    expect((await call('GET', '/admin/v1/tenant', demoAdmin)).body.pushCapPerMinute).toBe(500);

    const reset = await call('PUT', '/admin/v1/tenants/other-co', operator, { pushCapPerMinute: null });
    expect(reset.body).toMatchObject({ pushCapPerMinute: 500, pushCapIsCustom: false });
  });

  it('refuses bad settings and unknown tenants with a clear 4xx', async () => {
    expect((await call('PUT', '/admin/v1/tenants/other-co', operator, { pushCapPerMinute: 0 })).status).toBe(400);
    expect((await call('PUT', '/admin/v1/tenants/other-co', operator, { pushCapPerMinute: 'many' })).status).toBe(400);
    expect((await call('GET', '/admin/v1/tenants/nobody', operator)).status).toBe(404);
    expect((await call('PUT', '/admin/v1/tenants/nobody', operator, { name: 'x' })).status).toBe(404);
  });

  it('shows an admin its own tenant only, and lets it rename it', async () => {
    const own = await call('GET', '/admin/v1/tenant', demoAdmin);
    expect(own).toMatchObject({ status: 200, body: { id: 'demo', name: 'Demo' } });
    const renamed = await call('PUT', '/admin/v1/tenant', demoAdmin, { name: 'Demo Inc' });
    expect(renamed).toMatchObject({ status: 200, body: { id: 'demo', name: 'Demo Inc' } });
    expect((await call('GET', '/admin/v1/tenant', otherAdmin)).body).toMatchObject({
      id: 'other-co',
      name: 'Other Co',
    });
    // The operator routes are not a tenant key's: another tenant stays out of sight.
    expect((await call('GET', '/admin/v1/tenants/other-co', demoAdmin)).status).toBe(403);
    expect((await call('GET', '/admin/v1/tenants', demoAdmin)).status).toBe(403);
    expect((await call('PUT', '/admin/v1/tenants/demo', demoAdmin, { pushCapPerMinute: 100000 })).status).toBe(403);
  });

  it('lets a viewer read its tenant but not rename it', async () => {
    expect((await call('GET', '/admin/v1/tenant', demoViewer)).status).toBe(200);
    expect((await call('PUT', '/admin/v1/tenant', demoViewer, { name: 'Mine now' })).status).toBe(403);
    expect((await call('PUT', '/admin/v1/tenant', demoAdmin, { name: '' })).status).toBe(400);
  });
});
