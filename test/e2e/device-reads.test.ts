// The admin reads behind the console's device page, dashboard links and sign-in (docs/api.md):
// GET /admin/v1/me, a device's stored inventory, and the adminLocked / prohibitedApps list filters,
// against Android agents on the local server.
import type { SimulatedAndroidAgent } from '../../kit/android-agent';
import { type AndroidWorld, startAndroidWorld } from './android-helpers';

let w: AndroidWorld;
let locked: SimulatedAndroidAgent;
let gamer: SimulatedAndroidAgent;
let plain: SimulatedAndroidAgent[];
let pendingId: string;

const ITEMS = [
  { kind: 'profile', identifier: 'policy.base', policy: { screenCaptureDisabled: true } },
  { kind: 'app', identifier: 'com.example.crm', version: '7' },
];

const synced = (agent: SimulatedAndroidAgent) =>
  w.waitFor(
    `${agent.deviceId} Synchronized`,
    async () => (await w.device(agent.deviceId!)).syncState === 'Synchronized',
  );

/** Sends a one-command admin command and waits until the agent has handled it. */
async function sendAndWait(agent: SimulatedAndroidAgent, type: string) {
  const res = await w.admin<{ commandId: string }>('POST', `/devices/${agent.deviceId}/commands`, { type });
  expect(res.status).toBe(202);
  await w.waitFor(`${type} handled`, () => agent.received.some((c) => c.commandId === res.body.commandId));
  await agent.idle();
}

/** Every page of a filtered device list, as the ids of each page and whether a cursor followed. */
async function allPages(query: string, limit: number) {
  const pages: Array<{ ids: string[]; more: boolean }> = [];
  let cursor: string | undefined;
  do {
    const res = await w.admin<{ items: Array<{ id: string }>; cursor?: string }>(
      'GET',
      `/devices?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(res.status).toBe(200);
    cursor = res.body.cursor;
    pages.push({ ids: res.body.items.map((d) => d.id), more: !!cursor });
  } while (cursor);
  return pages;
}

beforeAll(async () => {
  w = await startAndroidWorld();
  const t = await w.admin<{ id: string }>('POST', '/templates', {
    name: 'android base',
    items: ITEMS,
    prohibitedApps: ['com.example.game'],
  });
  const templateId = t.body.id;
  // Device ids are time-ordered: the two devices the filters find come after devices they skip.
  plain = [];
  for (let i = 0; i < 3; i++) plain.push(await w.enrolledAgent({ templateId }));
  locked = await w.enrolledAgent({ templateId });
  gamer = await w.enrolledAgent({ templateId });
  for (const agent of [...plain, locked, gamer]) await synced(agent);

  await sendAndWait(locked, 'AdminLock');
  gamer.apps.set('com.example.game', { packageName: 'com.example.game', versionCode: 3, managed: false });
  const sync = await w.admin<{ operationId: string }>('POST', `/devices/${gamer.deviceId}/commands`, { type: 'Sync' });
  expect(sync.status).toBe(202);
  await w.waitFor('the prohibited app found', async () => {
    const d = await w.device(gamer.deviceId!);
    return (d.prohibitedApps as string[]).length > 0 && d.syncState === 'Synchronized';
  });
  const pending = await w.admin<{ token: string }>('POST', '/enrollments', { platform: 'android', name: 'Spare' });
  const listed = await w.admin<{ items: Array<{ id: string; name?: string }> }>('GET', '/devices?q=Spare');
  pendingId = listed.body.items[0].id;
  expect(pending.status).toBe(201);
}, 120_000);
afterAll(async () => {
  await w.stop();
});

describe('GET /admin/v1/me', () => {
  it("answers the key's tenant, role and key id, never the key", async () => {
    const admin = await w.admin('GET', '/me');
    expect(admin.status).toBe(200);
    const keys = await w.admin<{ items: Array<{ id: string; role: string }> }>('GET', '/api-keys');
    expect(admin.body).toEqual({ tenantId: 'demo', role: 'admin', keyId: keys.body.items[0].id });

    const viewer = await w.admin<{ key: string; id: string }>('POST', '/api-keys', { name: 'ro', role: 'viewer' });
    const me = await w.admin('GET', '/me', undefined, viewer.body.key);
    expect(me).toEqual({ status: 200, body: { tenantId: 'demo', role: 'viewer', keyId: viewer.body.id } });
    expect(JSON.stringify(me.body)).not.toContain(viewer.body.key);

    expect((await w.admin('GET', '/me', undefined, 'not-a-key')).status).toBe(401);
    expect((await w.admin('GET', '/me', undefined, w.local.credentials.operatorKey)).status).toBe(403);
  });
});

describe('GET /admin/v1/devices/{id}/inventory', () => {
  it('answers the apps, profiles and versions the server last read', async () => {
    const res = await w.admin<{
      deviceId: string;
      readAt?: string;
      apps?: Array<{ identifier: string; version?: string }>;
      profiles?: Array<{ identifier: string }>;
    }>('GET', `/devices/${gamer.deviceId}/inventory`);
    expect(res.status).toBe(200);
    expect(res.body.deviceId).toBe(gamer.deviceId);
    expect(Date.parse(res.body.readAt ?? '')).not.toBeNaN();
    const apps = Object.fromEntries((res.body.apps ?? []).map((a) => [a.identifier, a.version]));
    expect(apps).toMatchObject({ 'com.example.crm': '7', 'com.example.game': '3', 'com.android.chrome': '612345' });
    expect(Object.keys(apps)).toHaveLength(gamer.apps.size);
    expect(res.body.profiles?.map((p) => p.identifier)).toContain('policy.base');
  });

  it('answers no lists for a device not read yet, and 404 to another tenant', async () => {
    const pending = await w.admin('GET', `/devices/${pendingId}/inventory`);
    expect(pending).toEqual({ status: 200, body: { deviceId: pendingId } });

    const other = await w.admin<{ adminKey: string }>(
      'POST',
      '/tenants',
      { id: 'other-co', name: 'Other' },
      w.local.credentials.operatorKey,
    );
    expect(other.status).toBe(201);
    const res = await w.admin('GET', `/devices/${gamer.deviceId}/inventory`, undefined, other.body.adminKey);
    expect(res.status).toBe(404);
    expect(JSON.stringify(res.body)).not.toContain('com.example');
  });
});

describe('device list filters adminLocked and prohibitedApps', () => {
  it('lists only the matching devices, and no page before the last comes back empty', async () => {
    for (const [query, expected] of [
      ['adminLocked=true', [locked.deviceId]],
      ['prohibitedApps=true', [gamer.deviceId]],
      ['adminLocked=true&prohibitedApps=true', []],
      ['adminLocked=true&registrationState=Checked-In', [locked.deviceId]],
    ] as const) {
      const pages = await allPages(query, 1);
      expect([query, pages.flatMap((p) => p.ids)]).toEqual([query, expected]);
      for (const p of pages) if (p.more) expect([query, p.ids.length]).toEqual([query, 1]);
      // The first page holds the match although the devices before it (in index order) do not.
      if (expected.length) expect(pages[0].ids).toEqual(expected);
    }
    // The dashboard counts what the filters list.
    const dashboard = await w.admin<{ adminLocked: { android: number }; prohibitedApps: { android: number } }>(
      'GET',
      '/dashboard',
    );
    expect(dashboard.body.adminLocked.android).toBe(1);
    expect(dashboard.body.prohibitedApps.android).toBe(1);
  });

  it('refuses any value but true with a 400 naming the filter', async () => {
    const res = await w.admin<{ error: { message: string } }>('GET', '/devices?adminLocked=false');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('adminLocked');
  });

  it('takes the same filter in a bulk command', async () => {
    const res = await w.admin<{ operationId: string }>('POST', '/commands', {
      type: 'AdminUnlock',
      filter: { adminLocked: true },
    });
    expect(res.status).toBe(202);
    await w.waitFor('the unlock', async () => (await w.device(locked.deviceId!)).adminLocked === false);
    const op = await w.admin<{ targeted: number }>('GET', `/commands/${res.body.operationId}`);
    expect(op.body.targeted).toBe(1);
  });
});
