// Device input that passes validation but would not fit a DynamoDB item (400 KB): a real large
// device is stored, an absurd one gets a 400 and nothing half-written, an over-long error is cut
// with a marker, and an Apple result too large to store finishes its command instead of looping.
import { randomBytes } from 'node:crypto';
import type { SimulatedAndroidAgent } from '../../kit/android-agent';
import type { SimulatedAppleDevice } from '../../kit/apple-device';
import { type E2E, startE2E } from '../../kit/e2e';
import { STORED_LIMITS, TRUNCATION_MARKER } from '../../lambdas/domain/limits';
import { installedApplicationList } from '../../lambdas/protocol/apple/command-builders';
import { buildPlist } from '../../lambdas/protocol/apple/plist';
import { type AndroidWorld, startAndroidWorld } from './android-helpers';

jest.setTimeout(60_000);

/** Realistic package names and versions: vendor prefixes shared by many apps, as on real devices. */
const realisticApp = (i: number) => ({
  id: `com.vendor${i % 250}.product.app${i}.mobile`,
  version: `${(i % 20) + 1}.${i % 10}.${i % 7}`,
});
/** Random letters: nothing to compress. */
const randomName = (chars: number) =>
  Array.from(randomBytes(chars), (b) => String.fromCharCode(97 + (b % 26))).join('');

type LogItem = {
  message: string;
  data?: {
    commandId?: string;
    requestType?: string;
    status?: string;
    errors?: Array<{ code: unknown; domain: string; message: string }>;
  };
};

describe('Android: stored device data', () => {
  let w: AndroidWorld;
  let agent: SimulatedAndroidAgent;

  beforeAll(async () => {
    w = await startAndroidWorld();
    agent = await w.enrolledAgent();
    await w.waitFor('first sync', async () => (await w.device(agent.deviceId!)).syncState === 'Synchronized');
    await agent.idle();
  });
  afterAll(async () => {
    await w.stop();
  });

  const checkin = async (body: unknown) => {
    const res = await fetch(`${w.local.url}/android/demo/checkin`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${agent.deviceToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
  };
  const stored = async () => (await w.local.app.stores.devices.get('demo', agent.deviceId!))!;

  it('stores a check-in of 3,000 apps', async () => {
    const apps = Array.from({ length: 3000 }, (_, i) => ({ packageName: realisticApp(i).id, versionCode: 1000 + i }));
    expect((await checkin({ inventory: { apps } })).status).toBe(200);
    const device = await stored();
    expect(device.inventory?.apps).toHaveLength(3000);
    expect(device.inventory?.apps?.[2999]).toEqual({
      identifier: realisticApp(2999).id,
      version: '3999',
      managed: false,
    });
  });

  it('refuses with a 400 an inventory that cannot be stored, and keeps the one it had', async () => {
    // Within validation (≤ 5,000 apps, names ≤ 255, body < 1 MB), but about 450 KB even compressed.
    const apps = Array.from({ length: 4000 }, () => ({ packageName: randomName(180), versionCode: 1 }));
    const res = await checkin({ inventory: { apps } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'bad-request',
      message: expect.stringMatching(/^inventory not stored: \d+ KB compressed is over the limit of 256 KB/),
    });
    expect((await stored()).inventory?.apps).toHaveLength(3000);
    // Every retry gets the same clear answer, and the agent can still check in normally.
    expect((await checkin({ inventory: { apps } })).status).toBe(400);
    expect((await checkin({ inventory: { apps: [{ packageName: 'com.example.one', versionCode: 1 }] } })).status).toBe(
      200,
    );
    expect((await stored()).inventory?.apps).toEqual([{ identifier: 'com.example.one', version: '1', managed: false }]);
  });

  it('stores an error code of 600 KB cut to its limit, with a marker', async () => {
    agent.offline = true; // this test drives the connect calls itself
    const sent = await w.admin<{ commandId: string }>('POST', `/devices/${agent.deviceId}/commands`, {
      type: 'Restart',
    });
    expect(sent.status).toBe(202);
    await w.local.queue.drained();
    await w.fcm.delivered();
    agent.offline = false;
    const handed = await agent.connect({ status: 'Idle' });
    expect(handed.body).toMatchObject({ commandId: sent.body.commandId, type: 'Restart' });
    const code = 'E'.repeat(600 * 1024);
    const reported = await agent.connect({
      status: 'Error',
      commandId: sent.body.commandId,
      error: { code, message: 'restart refused' },
    });
    expect(reported.status).toBe(204);
    const logs = await w.admin<{ items: LogItem[] }>('GET', `/logs?type=command&deviceId=${agent.deviceId}`);
    const entry = logs.body.items.find((l) => l.data?.commandId === sent.body.commandId)!;
    expect(entry.data).toMatchObject({ status: 'Error' });
    const stored = String(entry.data!.errors![0].code);
    expect(stored).toHaveLength(STORED_LIMITS.textChars);
    expect(stored.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(entry.data!.errors![0].message).toBe('restart refused');
    expect(entry.message.length).toBeLessThan(1024);
  });
});

describe('Apple: stored device data', () => {
  let e: E2E;

  beforeAll(async () => {
    e = await startE2E();
    await e.uploadPushCert();
  });
  afterAll(async () => {
    await e?.stop();
  });

  const commandLogs = async (d: SimulatedAppleDevice) =>
    (await e.api<{ items: LogItem[] }>('GET', `/admin/v1/logs?type=command&deviceId=${d.udid}&limit=100`)).body.items;

  /** A simulated iPhone holding `count` apps with realistic names and versions. */
  const deviceWithApps = (count: number): SimulatedAppleDevice => {
    const device = e.newDevice();
    for (let i = 0; i < count; i++) {
      const app = realisticApp(i);
      const name = `Product App ${i} for Mobile`;
      device.apps.set(app.id, { identifier: app.id, version: app.version, name, managed: false, managementFlags: 0 });
    }
    return device;
  };

  it('stores an InstalledApplicationList of 878 KB (1,640 apps)', async () => {
    const device = deviceWithApps(1640);
    const list = device.answerCommand({
      CommandUUID: 'size',
      Command: { RequestType: 'InstalledApplicationList' },
    }).report;
    expect(Buffer.byteLength(buildPlist(list))).toBeGreaterThan(850 * 1024); // and under the 1 MB body limit
    expect(Buffer.byteLength(buildPlist(list))).toBeLessThan(1000 * 1024);
    await device.enrollFully((await e.createEnrollment()).url);
    await e.settle(async () => (await e.device(device.udid)).syncState === 'Synchronized');
    const stored = await e.local.app.stores.devices.get('demo', device.udid);
    expect(stored?.inventory?.apps).toHaveLength(1640);
  });

  it('stores the inventory of an iPhone with 3,000 apps: the app list asks only for the keys it reads', async () => {
    const device = deviceWithApps(3000);
    const everyKey = device.answerCommand({
      CommandUUID: 'all',
      Command: { RequestType: 'InstalledApplicationList' },
    }).report;
    expect(Buffer.byteLength(buildPlist(everyKey))).toBeGreaterThan(1024 * 1024); // would be refused with 413
    const asked = device.answerCommand({ CommandUUID: 'asked', Command: installedApplicationList().command }).report;
    expect(Buffer.byteLength(buildPlist(asked))).toBeLessThan(1024 * 1024);
    await device.enrollFully((await e.createEnrollment()).url);
    await e.settle(async () => (await e.device(device.udid)).syncState === 'Synchronized');
    const stored = await e.local.app.stores.devices.get('demo', device.udid);
    expect(stored?.inventory?.apps).toHaveLength(3000);
    expect(stored?.inventory?.apps?.[2999]).toEqual({
      identifier: realisticApp(2999).id,
      version: realisticApp(2999).version,
    });
  });

  it('finishes a result too large to store as Error with the reason, answers 400, and never asks for it again and again', async () => {
    const device = e.newDevice();
    // A bundle id is at most 155 characters; 300 is no real app.
    for (let i = 0; i < 20; i++)
      device.apps.set(`com.example.${'x'.repeat(300)}${i}`, {
        identifier: `com.example.${'x'.repeat(300)}${i}`,
        version: '1',
        name: 'X',
        managed: false,
        managementFlags: 0,
      });
    await device.enrollFully((await e.createEnrollment()).url);
    await e.settle();
    const reads = device.log.filter((l) => l.kind === 'report' && l.requestType === 'InstalledApplicationList');
    expect(reads.length).toBeGreaterThanOrEqual(1);
    expect(reads.every((r) => r.kind === 'report' && r.httpStatus === 400)).toBe(true);
    const failed = (await commandLogs(device)).filter((l) => l.data?.requestType === 'InstalledApplicationList');
    expect(failed.length).toBe(reads.length);
    for (const entry of failed) {
      expect(entry.data).toMatchObject({
        status: 'Error',
        errors: [
          {
            code: 'result-too-large',
            domain: 'MDMServer',
            message: expect.stringMatching(/apps\.0\.identifier is over 256 characters/),
          },
        ],
      });
    }
    // Settled: nothing is queued, and a new session hands nothing out again.
    const commands = (await e.api('GET', `/admin/v1/devices/${device.udid}/commands`)).body as { queue: unknown[] };
    expect(commands.queue).toEqual([]);
    expect(await device.poll()).toEqual([]);
    expect((await e.local.app.stores.devices.get('demo', device.udid))?.inventory?.apps).toBeUndefined();
    const diagnosis = (await e.api('GET', `/admin/v1/devices/${device.udid}/diagnosis`)).body;
    expect(diagnosis.errors[0]).toMatchObject({
      requestType: 'InstalledApplicationList',
      code: 'result-too-large',
      explanation: expect.stringMatching(/stored-data limit/),
    });
  });

  it('stores an ErrorChain message of 600 KB cut to 4 KB, with a marker', async () => {
    const device = e.newDevice();
    await device.enrollFully((await e.createEnrollment()).url);
    await e.settle();
    device.offline = true; // this test drives the session itself
    const sent = await e.api<{ commandId: string }>('POST', `/admin/v1/devices/${device.udid}/commands`, {
      type: 'Lock',
    });
    expect(sent.status).toBe(202);
    await e.settle();
    device.offline = false;
    const handed = await device.connect({ Status: 'Idle' });
    expect(handed.status).toBe(200);
    const message = 'm'.repeat(600 * 1024);
    const reply = await device.connect({
      CommandUUID: sent.body.commandId,
      Status: 'Error',
      ErrorChain: [{ ErrorCode: 12345, ErrorDomain: 'MDMErrorDomain', LocalizedDescription: message }],
    });
    expect(reply.status).toBe(200);
    const entry = (await commandLogs(device)).find((l) => l.data?.commandId === sent.body.commandId)!;
    expect(entry.data).toMatchObject({ status: 'Error', errors: [{ code: 12345, domain: 'MDMErrorDomain' }] });
    const stored = entry.data!.errors![0].message;
    expect(stored).toHaveLength(STORED_LIMITS.errorMessageChars);
    expect(stored.endsWith(TRUNCATION_MARKER)).toBe(true);
  });
});
