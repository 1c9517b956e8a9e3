// The route table, driven with API Gateway events: every route answers bad input with a clear
// 4xx (never a 500, never a 401 to an Apple device), roles and tenants are enforced.
import { randomBytes } from 'node:crypto';
import { ROUTES } from '../../lambdas/api/routes';
import { type LocalServer, startLocal } from '../../lambdas/wiring/local';
import { apiEvent, callApi } from '../support/apigw';

let local: LocalServer;
let adminKey: string;
let operatorKey: string;
let viewerKey: string;
let otherTenantKey: string;

const fill = (path: string, values: Record<string, string> = {}) =>
  path.replace(
    /\{(\w+)\}/g,
    (_m, name: string) => values[name] ?? (name === 'tenant' ? 'demo' : name === 'job' ? 'resync' : 'no-such-id'),
  );

const call = (
  method: string,
  path: string,
  opts: { key?: string; body?: string | Buffer; headers?: Record<string, string>; query?: string } = {},
) =>
  callApi(
    local.handle,
    apiEvent(method, path, {
      query: opts.query,
      body: opts.body,
      headers: {
        ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
        'content-type': 'application/json',
        ...opts.headers,
      },
    }),
  );

beforeAll(async () => {
  local = await startLocal({ inMemory: true, port: 0, schedules: false });
  adminKey = local.credentials.adminKey;
  operatorKey = local.credentials.operatorKey;
  viewerKey = (
    await call('POST', '/admin/v1/api-keys', { key: adminKey, body: JSON.stringify({ name: 'ro', role: 'viewer' }) })
  ).json() as never;
  viewerKey = (viewerKey as unknown as { key: string }).key;
  const other = await call('POST', '/admin/v1/tenants', {
    key: operatorKey,
    body: JSON.stringify({ id: 'other-co', name: 'Other' }),
  });
  expect(other.status).toBe(201);
  otherTenantKey = (other.json() as { adminKey: string }).adminKey;
});

afterAll(async () => {
  await local?.stop();
});

describe('unknown routes and methods', () => {
  it('answers an unknown path with 404 JSON and a known path with another method with 405 and Allow', async () => {
    const missing = await call('GET', '/admin/v1/nothing-here', { key: adminKey });
    expect(missing.status).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'not-found' } });
    const wrong = await call('PATCH', '/admin/v1/templates', { key: adminKey });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('POST, GET');
    expect(wrong.json()).toMatchObject({ error: { code: 'method-not-allowed' } });
  });

  it('answers a body over 1 MB with 413 and malformed JSON with 400', async () => {
    const big = await call('POST', '/admin/v1/templates', {
      key: adminKey,
      body: JSON.stringify({ name: 'x'.repeat(1024 * 1024), items: [] }),
    });
    expect(big.status).toBe(413);
    const bad = await call('POST', '/admin/v1/templates', { key: adminKey, body: '{"name": ' });
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'bad-request', message: 'request body is not valid JSON' } });
  });

  it('names the field that failed validation', async () => {
    const res = await call('POST', '/admin/v1/templates', {
      key: adminKey,
      body: JSON.stringify({ name: 'T', items: [{ kind: 'app' }] }),
    });
    expect(res.status).toBe(400);
    expect((res.json() as { error: { message: string } }).error.message).toMatch(/items\.0\.identifier/);
  });
});

describe('Android device auth', () => {
  it('checks the device token before the body: a bad token with a bad body is 401, so the agent re-enrolls', async () => {
    for (const path of ['/android/demo/connect', '/android/demo/checkin']) {
      const method = path.endsWith('connect') ? 'POST' : 'PUT';
      const res = await call(method, path, { key: 'dev_not-a-token', body: '{"status": ' });
      expect(res.status).toBe(401);
      expect(res.json()).toMatchObject({ error: { code: 'unauthorized' } });
    }
  });
});

describe('garbage to every route', () => {
  const garbage: Array<[string, string | Buffer | undefined]> = [
    ['no body', undefined],
    ['random bytes', randomBytes(512)],
    ['malformed JSON', '{"a":'],
    [
      'wrong types',
      JSON.stringify({ name: 5, items: 'x', platform: 7, type: [], status: {}, templateId: 3, enrollmentToken: 1 }),
    ],
    ['an array', '[1,2,3]'],
    ['a broken plist', '<?xml version="1.0"?><plist><dict><key>MessageType</key>'],
  ];
  for (const route of ROUTES) {
    it(`${route.method} ${route.path} never answers 500${route.surface === 'apple' ? ' or 401' : ''}`, async () => {
      for (const [, body] of garbage) {
        for (const key of [adminKey, undefined]) {
          const res = await call(route.method, fill(route.path), {
            key,
            body,
            query: 'limit=abc&cursor=%%%&from=yesterday',
          });
          expect(res.status).toBeGreaterThanOrEqual(200);
          expect(res.status).toBeLessThan(500);
          if (route.surface === 'apple') expect(res.status).not.toBe(401);
          if (res.status >= 400 && res.headers['content-type']?.startsWith('application/json')) {
            const parsed = res.json() as Record<string, unknown>;
            expect(parsed.error ?? parsed.code).toBeDefined();
          }
        }
      }
    });
  }
});

describe('authentication and roles', () => {
  const adminRoutes = ROUTES.filter((r) => r.surface === 'admin' && r.auth !== 'public');

  it('answers every keyed admin route without a key, or with a bad key, with 401 JSON', async () => {
    for (const route of adminRoutes) {
      for (const key of [undefined, 'mdm_not-a-real-key']) {
        const res = await call(route.method, fill(route.path), { key, body: '{}' });
        expect(res.status).toBe(401);
        expect(res.json()).toMatchObject({ error: { code: 'unauthorized' } });
      }
    }
  });

  it('lets a viewer key read but never write: every writing route answers 403', async () => {
    // Operator routes answer every tenant key 403, reads included (their own test below).
    for (const route of adminRoutes.filter((r) => r.auth !== 'operator')) {
      const res = await call(route.method, fill(route.path), { key: viewerKey, body: '{}' });
      if (route.method === 'GET') expect(res.status).not.toBe(403);
      else expect(res.status).toBe(403);
    }
  });

  it('lets an operator key create tenants and nothing else; tenant keys cannot create tenants', async () => {
    for (const route of adminRoutes.filter((r) => r.auth !== 'operator')) {
      expect((await call(route.method, fill(route.path), { key: operatorKey, body: '{}' })).status).toBe(403);
    }
    for (const route of adminRoutes.filter((r) => r.auth === 'operator' && r.path !== '/admin/v1/tenants')) {
      for (const key of [adminKey, viewerKey]) {
        expect((await call(route.method, fill(route.path), { key, body: '{}' })).status).toBe(403);
      }
    }
    expect(
      (await call('POST', '/admin/v1/tenants', { key: adminKey, body: JSON.stringify({ id: 'sneaky', name: 'x' }) }))
        .status,
    ).toBe(403);
    expect(
      (
        await call('POST', '/admin/v1/tenants', {
          key: operatorKey,
          body: JSON.stringify({ id: 'other-co', name: 'again' }),
        })
      ).status,
    ).toBe(409);
    expect(
      (
        await call('POST', '/admin/v1/tenants', {
          key: operatorKey,
          body: JSON.stringify({ id: 'Bad Id!', name: 'x' }),
        })
      ).status,
    ).toBe(400);
  });

  it('keeps API keys hashed: the list shows ids, names, roles and last use, never a key', async () => {
    const list = await call('GET', '/admin/v1/api-keys', { key: adminKey });
    const text = list.body.toString();
    expect(text).not.toContain(adminKey);
    expect(text).not.toContain(viewerKey);
    expect(text).not.toMatch(/"hash"/);
    const items = (list.json() as { items: Array<{ role: string; lastUsedAt?: string }> }).items;
    expect(items.map((k) => k.role).sort()).toEqual(['admin', 'viewer']);
    expect(items.find((k) => k.role === 'admin')?.lastUsedAt).toBeDefined();
  });

  it('revokes a key: deleted keys get 401', async () => {
    const created = (
      await call('POST', '/admin/v1/api-keys', { key: adminKey, body: JSON.stringify({ name: 'temp', role: 'admin' }) })
    ).json() as { id: string; key: string };
    expect((await call('GET', '/admin/v1/templates', { key: created.key })).status).toBe(200);
    expect((await call('DELETE', `/admin/v1/api-keys/${created.id}`, { key: adminKey })).status).toBe(204);
    expect((await call('GET', '/admin/v1/templates', { key: created.key })).status).toBe(401);
    expect((await call('DELETE', `/admin/v1/api-keys/${created.id}`, { key: adminKey })).status).toBe(404);
  });
});

describe('tenant isolation', () => {
  it('answers 404 for every object of another tenant, on every route that names one', async () => {
    const template = (
      await call('POST', '/admin/v1/templates', { key: adminKey, body: JSON.stringify({ name: 'Mine', items: [] }) })
    ).json() as { id: string };
    const keyId = (
      (await call('GET', '/admin/v1/api-keys', { key: adminKey })).json() as { items: Array<{ id: string }> }
    ).items[0].id;
    const url = 'https://93.184.215.14/hook';
    const webhook = (
      await call('POST', '/admin/v1/webhooks', { key: adminKey, body: JSON.stringify({ url }) })
    ).json() as { id: string };
    // Operator routes name tenants, not a tenant's objects: a tenant key gets 403 there (tested above).
    const tenantRoutes = ROUTES.filter(
      (r) => r.surface === 'admin' && r.auth !== 'operator' && r.path.includes('{id}'),
    );
    for (const route of tenantRoutes) {
      const id = route.path.includes('templates')
        ? template.id
        : route.path.includes('api-keys')
          ? keyId
          : route.path.includes('webhooks')
            ? webhook.id
            : 'dev-of-demo';
      const res = await call(route.method, fill(route.path, { id }), {
        key: otherTenantKey,
        body: JSON.stringify({ name: 'x', items: [], templateId: template.id, type: 'Lock', url }),
      });
      expect(res.status).toBe(404);
    }
    expect((await call('GET', `/admin/v1/templates/${template.id}`, { key: adminKey })).status).toBe(200);
    const otherList = (await call('GET', '/admin/v1/templates', { key: otherTenantKey })).json() as {
      items: unknown[];
    };
    expect(otherList.items).toEqual([]);
  });
});

describe('templates', () => {
  it('creates, reads, replaces (version bump), lists and deletes', async () => {
    const created = await call('POST', '/admin/v1/templates', {
      key: adminKey,
      body: JSON.stringify({
        name: 'Std',
        items: [{ kind: 'app', identifier: 'com.example.app', version: '1.2' }],
        prohibitedApps: ['com.bad.game'],
      }),
    });
    expect(created.status).toBe(201);
    const t = created.json() as { id: string; version: number };
    expect(t.version).toBe(1);
    const replaced = await call('PUT', `/admin/v1/templates/${t.id}`, {
      key: adminKey,
      body: JSON.stringify({ name: 'Std 2', items: [] }),
    });
    expect(replaced.json()).toMatchObject({ id: t.id, name: 'Std 2', version: 2, prohibitedApps: [] });
    expect((await call('GET', `/admin/v1/templates/${t.id}`, { key: viewerKey })).json()).toMatchObject({ version: 2 });
    expect((await call('DELETE', `/admin/v1/templates/${t.id}`, { key: adminKey })).status).toBe(204);
    expect((await call('GET', `/admin/v1/templates/${t.id}`, { key: adminKey })).status).toBe(404);
  });

  it('refuses a profile with both or neither of payload and policy, and a duplicate item', async () => {
    const both = await call('POST', '/admin/v1/templates', {
      key: adminKey,
      body: JSON.stringify({ name: 'x', items: [{ kind: 'profile', identifier: 'p', payload: 'AAAA', policy: {} }] }),
    });
    expect(both.status).toBe(400);
    const dup = await call('POST', '/admin/v1/templates', {
      key: adminKey,
      body: JSON.stringify({
        name: 'x',
        items: [
          { kind: 'app', identifier: 'a' },
          { kind: 'app', identifier: 'a' },
        ],
      }),
    });
    expect(dup.status).toBe(422);
  });
});

describe('logs', () => {
  it('filters, pages and exports CSV with formula-safe cells', async () => {
    await call('POST', '/admin/v1/templates', {
      key: adminKey,
      body: JSON.stringify({ name: '=HYPERLINK("x")', items: [] }),
    });
    const json = await call('GET', '/admin/v1/logs', { key: viewerKey, query: 'type=event&limit=2' });
    expect(json.status).toBe(200);
    const page = json.json() as { items: Array<{ type: string; expiresAt: number; at: string }>; cursor?: string };
    expect(page.items).toHaveLength(2);
    expect(page.cursor).toBeDefined();
    for (const item of page.items) {
      expect(item.type).toBe('event');
      expect(item.expiresAt).toBe(Math.floor(Date.parse(item.at) / 1000) + 90 * 86400);
    }
    const csv = await call('GET', '/admin/v1/logs', { key: viewerKey, query: 'format=csv&q=HYPERLINK' });
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.body.toString().trim().split('\r\n');
    expect(lines[0]).toBe('at,type,severity,event,deviceId,message,data,id');
    expect(lines.length).toBe(2);
    expect(lines[1]).not.toMatch(/,=HYPERLINK/);
    expect((await call('GET', '/admin/v1/logs', { key: viewerKey, query: 'severity=loud' })).status).toBe(400);
  });

  it('refuses a cursor from another tenant or another list with 400', async () => {
    const page = (await call('GET', '/admin/v1/logs', { key: adminKey, query: 'limit=1' })).json() as {
      cursor?: string;
    };
    expect(page.cursor).toBeDefined();
    const cursor = encodeURIComponent(page.cursor!);
    expect((await call('GET', '/admin/v1/logs', { key: adminKey, query: `limit=1&cursor=${cursor}` })).status).toBe(
      200,
    );
    for (const [key, path, query] of [
      [otherTenantKey, '/admin/v1/logs', `limit=1&cursor=${cursor}`],
      [otherTenantKey, '/admin/v1/devices', `cursor=${cursor}`],
      [adminKey, '/admin/v1/logs', `limit=1&type=alarm&cursor=${cursor}`],
      [adminKey, '/admin/v1/templates', `cursor=${cursor}`],
      [adminKey, '/admin/v1/logs', `format=csv&type=command&cursor=${cursor}`],
    ]) {
      const res = await call('GET', path, { key, query });
      expect({ path, query, status: res.status }).toEqual({ path, query, status: 400 });
      expect(res.json()).toMatchObject({ error: { code: 'bad-request', message: expect.stringMatching(/cursor/) } });
    }
  });
});
