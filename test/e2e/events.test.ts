// Events out, end to end on the local server (docs/api.md §Events, §Webhooks): a receiver on
// loopback gets a simulated iPhone's enrollment and sync as signed webhooks; a receiver that
// fails twice gets the event on the third attempt, and the delivery log shows all three; another
// tenant's receiver gets nothing of this tenant's; deployed settings refuse private addresses;
// a receiver failing for a day is failed, alarmed and paused.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type E2E, sampleProfile, startE2E } from '../../kit/e2e';
import { type LocalServer, startLocal } from '../../lambdas/wiring/local';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  event: any;
}

/** A webhook receiver on loopback: records every request; `answers[path]` lists the statuses to give, then 200. */
async function startReceiver() {
  const received: Received[] = [];
  const answers: Record<string, number[]> = {};
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => {
      raw += c.toString('utf8');
    });
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, raw, event: JSON.parse(raw) });
      res.statusCode = answers[path]?.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    received,
    answers,
    url: (path: string) => `${base}${path}`,
    at: (path: string) => received.filter((r) => r.path === path),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What a receiver does (docs/api.md §Webhooks, "Verifying a delivery"). */
function signatureValid(secret: string, headers: IncomingHttpHeaders, raw: string): boolean {
  const parts = Object.fromEntries(
    String(headers['x-mdm-signature'])
      .split(',')
      .map((p) => p.split('=') as [string, string]),
  );
  const expected = createHmac('sha256', secret).update(`${parts.t}.${raw}`).digest('hex');
  return parts.v1 === expected;
}

describe('events and webhooks', () => {
  let e: E2E;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let secret: string;
  let otherTenantKey: string;

  beforeAll(async () => {
    receiver = await startReceiver();
    // Retries at once instead of after the backoff: the test never waits real minutes.
    e = await startE2E({ config: { webhookRetryDelaySeconds: 0 } });
    await e.uploadPushCert();
    const created = await e.api('POST', '/admin/v1/webhooks', {
      url: receiver.url('/all'),
      description: 'everything',
    });
    expect(created.status).toBe(201);
    secret = created.body.secret;
    const tenant = await e.api(
      'POST',
      '/admin/v1/tenants',
      { id: 'other', name: 'Other' },
      e.local.credentials.operatorKey,
    );
    expect(tenant.status).toBe(201);
    otherTenantKey = tenant.body.adminKey;
    const other = await e.api('POST', '/admin/v1/webhooks', { url: receiver.url('/other') }, otherTenantKey);
    expect(other.status).toBe(201);
  });
  afterAll(async () => {
    await e?.stop();
    await receiver?.stop();
  });

  it('delivers device.enrolled and device.sync_state_changed, signed, as a simulated iPhone enrolls and syncs', async () => {
    const template = await e.createTemplate({
      items: [{ kind: 'profile', identifier: 'com.example.wifi', payload: sampleProfile() }],
    });
    const [iphone] = await e.enrollDevices(1, { templateId: template.id });
    await e.settle(async () => (await e.device(iphone.udid)).syncState === 'Synchronized');
    const forDevice = () => receiver.at('/all').filter((r) => r.event.data.deviceId === iphone.udid);
    await e.waitFor(
      () => forDevice().some((r) => r.event.type === 'device.sync_state_changed' && r.event.data.to === 'Synchronized'),
      undefined,
      'the Synchronized event',
    );
    const types = forDevice().map((r) => r.event.type);
    expect(types).toEqual(
      expect.arrayContaining(['device.enrolled', 'device.checked_in', 'device.sync_state_changed']),
    );
    for (const r of forDevice()) {
      expect(signatureValid(secret, r.headers, r.raw)).toBe(true);
      expect(r.headers['x-mdm-event']).toBe(r.event.type);
      expect(r.headers['x-mdm-delivery']).toBe(r.event.id);
      expect(r.event).toEqual({
        id: expect.stringMatching(/^evt_/),
        type: expect.any(String),
        tenantId: 'demo',
        at: expect.any(String),
        data: expect.objectContaining({ deviceId: iphone.udid, platform: 'ios' }),
      });
      // No push token or magic travels in an event.
      expect(r.raw).not.toContain(iphone.pushToken);
    }
    // What a receiver needs comes with the event: which device (its serial number), what changed.
    const enrolled = forDevice().find((r) => r.event.type === 'device.enrolled');
    expect(enrolled?.event.data).toMatchObject({ serialNumber: iphone.serial, registrationState: 'Awaiting-Check-In' });
    const synced = forDevice().find((r) => r.event.data.to === 'Synchronized');
    expect(synced?.event.data).toMatchObject({ serialNumber: iphone.serial, from: expect.any(String) });
    // Each event once: receivers deduplicate on the id, but the server sends each change once.
    const ids = forDevice().map((r) => r.event.id);
    expect(new Set(ids).size).toBe(ids.length);
    // The same events would be on the deployment's bus.
    expect(e.local.eventBus.events.map((ev) => ev.id)).toEqual(expect.arrayContaining(ids));
  });

  it('retries a receiver that answers 500 twice: delivered on the third attempt, all three in the delivery log', async () => {
    const hook = await e.api('POST', '/admin/v1/webhooks', {
      url: receiver.url('/flaky'),
      events: ['template.changed'],
    });
    expect(hook.status).toBe(201);
    receiver.answers['/flaky'] = [500, 500];
    const template = await e.createTemplate({ name: 'retried' });
    const changed = await e.api('PUT', `/admin/v1/templates/${template.id}`, { name: 'retried v2', items: [] });
    expect(changed.status).toBe(200);
    let log: Array<{ attempt: number; outcome: string; status?: number; eventId: string; nextAttemptAt?: string }> = [];
    await e.waitFor(
      async () => {
        log = (await e.api('GET', `/admin/v1/webhooks/${hook.body.id}/deliveries`)).body.items;
        return log.some((a) => a.outcome === 'delivered');
      },
      undefined,
      'the third attempt',
    );
    const got = receiver.at('/flaky');
    expect(got).toHaveLength(3);
    expect(new Set(got.map((r) => r.event.id)).size).toBe(1);
    expect(got[0].event).toMatchObject({ type: 'template.changed', data: { templateId: template.id, version: 2 } });
    expect(
      log
        .map((a) => ({ attempt: a.attempt, outcome: a.outcome, status: a.status, eventId: a.eventId }))
        .sort((a, b) => a.attempt - b.attempt),
    ).toEqual([
      { attempt: 1, outcome: 'retrying', status: 500, eventId: got[0].event.id },
      { attempt: 2, outcome: 'retrying', status: 500, eventId: got[0].event.id },
      { attempt: 3, outcome: 'delivered', status: 200, eventId: got[0].event.id },
    ]);
    expect(log.find((a) => a.attempt === 1)?.nextAttemptAt).toEqual(expect.any(String));
  });

  it("keeps tenants apart: the other tenant's receiver gets its own ping and nothing of this tenant's", async () => {
    const [mine] = (await e.api('GET', '/admin/v1/webhooks', undefined, otherTenantKey)).body.items;
    const ping = await e.api('POST', `/admin/v1/webhooks/${mine.id}/test`, undefined, otherTenantKey);
    expect(ping.body).toMatchObject({ outcome: 'delivered', status: 200, eventType: 'ping' });
    const got = receiver.at('/other');
    expect(got.map((r) => r.event.type)).toEqual(['ping']);
    expect(got[0].event.tenantId).toBe('other');
    // Nor can one tenant's key see the other's webhook.
    expect((await e.api('GET', `/admin/v1/webhooks/${mine.id}`)).status).toBe(404);
    expect((await e.api('GET', `/admin/v1/webhooks/${mine.id}/deliveries`)).status).toBe(404);
  });

  it('shows viewers the webhooks but never a secret', async () => {
    const viewer = await e.api('POST', '/admin/v1/api-keys', { name: 'viewer', role: 'viewer' });
    const list = await e.api('GET', '/admin/v1/webhooks', undefined, viewer.body.key);
    expect(list.status).toBe(200);
    expect(list.body.items.length).toBeGreaterThan(0);
    expect(list.text).not.toContain(secret);
    expect(list.text).not.toContain('secret');
    expect((await e.api('POST', '/admin/v1/webhooks', { url: receiver.url('/x') }, viewer.body.key)).status).toBe(403);
  });

  it('after a day of failures records the delivery as failed, raises a warning alarm and pauses the webhook', async () => {
    const hook = await e.api('POST', '/admin/v1/webhooks', { url: receiver.url('/down'), events: ['alarm.raised'] });
    receiver.answers['/down'] = Array(10_000).fill(503);
    const first = await e.api('POST', `/admin/v1/webhooks/${hook.body.id}/test`);
    expect(first.body).toMatchObject({ outcome: 'retrying', status: 503 });
    e.clock.advance(25 * 3600_000);
    await e.waitFor(
      async () => (await e.api('GET', `/admin/v1/webhooks/${hook.body.id}`)).body.status === 'paused',
      undefined,
      'the webhook to pause',
    );
    const log = (await e.api('GET', `/admin/v1/webhooks/${hook.body.id}/deliveries?limit=1`)).body.items;
    expect(log[0]).toMatchObject({ outcome: 'failed', status: 503, eventType: 'ping' });
    const dashboard = (await e.api('GET', '/admin/v1/dashboard')).body;
    expect(dashboard.activeAlarms).toEqual(
      expect.arrayContaining([expect.objectContaining({ key: `webhook-failed#${hook.body.id}`, severity: 'warning' })]),
    );
    // The alarm is an event too: the receiver of everything hears of it.
    await e.waitFor(
      () =>
        receiver
          .at('/all')
          .some((r) => r.event.type === 'alarm.raised' && r.event.data.alarmKey === `webhook-failed#${hook.body.id}`),
      undefined,
      'the alarm.raised event',
    );
    // A PUT resumes it and clears the alarm.
    receiver.answers['/down'] = [];
    const resumed = await e.api('PUT', `/admin/v1/webhooks/${hook.body.id}`, { url: receiver.url('/down') });
    expect(resumed.body.status).toBe('active');
    const after = (await e.api('GET', '/admin/v1/dashboard')).body;
    expect(after.activeAlarms.map((a: { key: string }) => a.key)).not.toContain(`webhook-failed#${hook.body.id}`);
  });
});

describe('webhook URLs with deployed settings', () => {
  let local: LocalServer;
  beforeAll(async () => {
    local = await startLocal({ inMemory: true, port: 0, schedules: false, config: { allowLoopbackHttp: false } });
  });
  afterAll(async () => {
    await local?.stop();
  });
  const create = async (url: string) => {
    const res = await fetch(`${local.url}/admin/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${local.credentials.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url }),
    });
    return { status: res.status, body: (await res.json()) as { error?: { message: string } } };
  };

  it.each([
    ['a private address', 'https://10.1.2.3/hook'],
    ['a private address (172.16/12)', 'https://172.20.0.5/hook'],
    ['the metadata address', 'https://169.254.169.254/latest/meta-data'],
    ['loopback', 'https://127.0.0.1:8443/hook'],
    ['loopback IPv6', 'https://[::1]/hook'],
    ['IPv4 mapped in IPv6', 'https://[::ffff:10.0.0.1]/hook'],
    ['a unique-local IPv6 address', 'https://[fd00:ec2::254]/hook'],
    ['a name resolving to loopback', 'https://localhost/hook'],
    ['plain http', 'http://93.184.215.14/hook'],
  ])('refuses %s with 422', async (_what, url) => {
    const r = await create(url);
    expect(r.status).toBe(422);
    expect(r.body.error?.message).toMatch(/webhook URL refused/);
  });

  it('accepts https to a public address', async () => {
    expect((await create('https://93.184.215.14/hook')).status).toBe(201);
  });
});
