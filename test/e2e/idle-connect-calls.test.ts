// Issue #15, one session: an idle connect with nothing queued loads what it needs once (the tenant
// from the container's cache, the device and its live queue in one Query) and writes nothing when
// the device's last-seen time is recent; after the last-seen interval it writes the device once.
// Counted with the bench's DynamoDB meter (scripts/bench/dynamo-meter.ts) on the real stores.
import { AgentPushSender, SimulatedAndroidAgent } from '../../kit/android-agent';
import type { SimulatedAppleDevice } from '../../kit/apple-device';
import { type E2E, startE2E } from '../../kit/e2e';
import { makeDynamoStores } from '../../lambdas/adapters/dynamodb/stores';
import { tableDefinitions } from '../../lambdas/adapters/dynamodb/tables';
import { AesSecretBox } from '../../lambdas/adapters/local/secret-box';
import { SEEN_WRITE_INTERVAL_MS } from '../../lambdas/domain/last-seen';
import { tableDefsFrom } from '../../scripts/bench/capacity';
import { DynamoMeter, type OpRecord } from '../../scripts/bench/dynamo-meter';

jest.setTimeout(120_000);

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);
const writesOf = (records: OpRecord[]) => records.filter((r) => WRITES.has(r.op));

let e: E2E;
let meter: DynamoMeter;
let fcm: AgentPushSender;
let iphone: SimulatedAppleDevice;
let agent: SimulatedAndroidAgent;

/** The DynamoDB calls one request makes (nothing else runs: the fleet is settled). */
async function callsOf(request: () => Promise<{ status: number }>, expectedStatus: number): Promise<OpRecord[]> {
  meter.start();
  const reply = await request();
  const records = meter.stop();
  expect(reply.status).toBe(expectedStatus);
  return records;
}

beforeAll(async () => {
  fcm = new AgentPushSender();
  e = await startE2E({ fcm });
  meter = new DynamoMeter(e.local.dynamo.endpoint, tableDefsFrom(tableDefinitions({ main: 'Main', logs: 'Logs' })));
  meter.install(e.local.dynamo.client);
  await e.uploadPushCert();
  [iphone] = await e.enrollDevices(1);
  const enrollment = await e.api<{ qrPayload: string }>('POST', '/admin/v1/enrollments', { platform: 'android' });
  agent = SimulatedAndroidAgent.fromQrPayload(enrollment.body.qrPayload);
  fcm.register(agent);
  expect((await agent.enroll()).status).toBe(201);
  // Both run their first sync (pushed, polled, inventory read) to the end: nothing is queued.
  await e.waitFor(
    async () =>
      (await e.device(iphone.udid)).syncState === 'Synchronized' &&
      (await e.device(agent.deviceId as string)).syncState === 'Synchronized',
    undefined,
    'both devices Synchronized',
  );
  await e.settle();
  await agent.idle();
  await fcm.delivered();
});
afterAll(async () => {
  meter?.close();
  await e?.stop();
});

describe('an idle connect with nothing queued', () => {
  it('Apple (signed Idle): at most 2 DynamoDB calls and no write while last-seen is recent', async () => {
    await iphone.connect({ Status: 'Idle' }); // last-seen now recent whatever came before
    const records = await callsOf(() => iphone.connect({ Status: 'Idle' }), 200);
    expect(records.length).toBeLessThanOrEqual(2);
    expect(writesOf(records)).toEqual([]);
  });

  it('Apple: after the last-seen interval, one write of the device (and the answer is recorded)', async () => {
    const before = (await e.device(iphone.udid)).lastSeenAt;
    e.clock.advance(SEEN_WRITE_INTERVAL_MS + 1000);
    const records = await callsOf(() => iphone.connect({ Status: 'Idle' }), 200);
    expect(records.length).toBeLessThanOrEqual(2);
    expect(writesOf(records).map((r) => r.kind)).toEqual(['device']);
    const seen = (await e.device(iphone.udid)).lastSeenAt;
    expect(Date.parse(seen)).toBeGreaterThan(Date.parse(before));
    // No log line for it, but the timeline still shows the access (kept on the device).
    const timeline = (await e.api('GET', `/admin/v1/devices/${iphone.udid}/timeline`)).body as {
      entries: Array<{ at: string; kind: string }>;
    };
    const accesses = timeline.entries.filter((entry) => entry.kind === 'device-access');
    expect(accesses.at(-1)?.at).toBe(new Date(Math.floor(Date.parse(seen) / 1000) * 1000).toISOString());
    expect(timeline.entries.at(-1)?.kind).toBe('device-access');
  });

  it('Android agent (Idle): at most 2 DynamoDB calls and no write while last-seen is recent', async () => {
    await agent.connect({ status: 'Idle' });
    const records = await callsOf(() => agent.connect({ status: 'Idle' }), 204);
    expect(records.length).toBeLessThanOrEqual(2);
    expect(writesOf(records)).toEqual([]);
  });

  it('Android agent: after the last-seen interval, one write of the device', async () => {
    e.clock.advance(SEEN_WRITE_INTERVAL_MS + 1000);
    const records = await callsOf(() => agent.connect({ status: 'Idle' }), 204);
    // The agent's token link, the session Query, the device write.
    expect(records.length).toBeLessThanOrEqual(3);
    expect(writesOf(records).map((r) => r.kind)).toEqual(['device']);
  });

  it('a connect that answers a push records the answer at once, inside the last-seen interval', async () => {
    await iphone.connect({ Status: 'Idle' });
    e.autoPoll = false;
    const sync = await e.api('POST', `/admin/v1/devices/${iphone.udid}/commands`, { type: 'Sync' });
    expect(sync.status).toBe(202);
    await e.waitFor(
      async () => e.pushesTo(iphone.pushToken as string).length > 0 && !!(await e.device(iphone.udid)).lastPushAt,
      undefined,
      'the push',
    );
    await e.settle();
    const pushed = await e.device(iphone.udid);
    await iphone.connect({ Status: 'Idle' });
    const answered = await e.device(iphone.udid);
    expect(Date.parse(answered.lastSeenAt)).toBeGreaterThan(Date.parse(pushed.lastPushAt));
    e.autoPoll = true;
  });
});

describe('the tenant cache', () => {
  it('a request refused on a cached tenant that another container changed is answered on a fresh read', async () => {
    // Another container (another Lambda instance): its own stores, not this container's cache.
    const other = makeDynamoStores(
      e.local.dynamo.client,
      { main: 'Main', logs: 'Logs' },
      e.clock,
      new AesSecretBox(Buffer.alloc(32, 7)),
    );
    const current = (await other.tenants.get('demo'))!;
    await other.tenants.update('demo', { apns: { ...current.apns!, topic: 'com.example.other-topic' } });
    e.local.app.tenantCache.forget('demo');
    expect((await e.local.app.tenantCache.get('demo'))?.apns?.topic).toBe('com.example.other-topic');
    await other.tenants.update('demo', { apns: current.apns });
    // The cached topic is not the device's any more; the tenant's is again.
    expect((await iphone.tokenUpdate()).status).toBe(200);
    expect((await e.local.app.tenantCache.get('demo'))?.apns?.topic).toBe(current.apns?.topic);
    const refusals = await e.api('GET', `/admin/v1/logs?type=event&q=refused`);
    expect(refusals.status).toBe(200);
    expect(JSON.stringify(refusals.body)).not.toContain('push topic');
  });
});
