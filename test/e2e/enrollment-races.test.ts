// Enrollment races, over real HTTP against the local server: each race runs many rounds of two
// requests at once, and every round checks the answers, the devices made, and that the dashboard
// counters equal a recount of the devices (the reconcile job's oracle). dynalite has no
// transactions, so these prove the single-item conditional writes of lambdas/service/enrollment.ts.

import { SimulatedAndroidAgent } from '../../kit/android-agent';
import { type E2E, startE2E } from '../../kit/e2e';
import { recount } from '../../lambdas/domain/counters';
import type { Device } from '../../lambdas/domain/types';
import { pages } from '../../lambdas/paging';
import type { LocalServer } from '../../lambdas/wiring/local';
import { type AndroidWorld, startAndroidWorld } from './android-helpers';

// A hang guard only: 20 rounds of Apple enrollments issue 40 RSA identities, slow on a loaded machine.
jest.setTimeout(300_000);

const ROUNDS = 20;
const TENANT = 'demo';

async function allDevices(local: LocalServer): Promise<Device[]> {
  const devices: Device[] = [];
  for await (const page of pages((cursor) => local.app.stores.devices.list(TENANT, {}, cursor, 500)))
    devices.push(...page.items);
  return devices;
}

/**
 * The stored counters (summed over shards) equal a recount of the devices. The raw counters, not
 * the dashboard: the dashboard shows a negative counter as 0, which would hide a double removal.
 */
async function expectExactCounters(local: LocalServer): Promise<void> {
  await local.settled(); // pushes asked for by the enrollments have moved their devices
  const stored = Object.entries(await local.app.stores.counters.read(TENANT)).filter(
    ([key, n]) => !key.startsWith('alarm:') && n !== 0,
  );
  expect(Object.fromEntries(stored)).toEqual(recount(await allDevices(local)));
}

describe('Android enrollment races', () => {
  let w: AndroidWorld;

  beforeAll(async () => {
    w = await startAndroidWorld();
  });
  afterAll(async () => {
    await w.stop();
  });

  const newEnrollment = async () => {
    const r = await w.admin<{ qrPayload: string }>('POST', '/enrollments', { platform: 'android' });
    expect(r.status).toBe(201);
    const pending = (await allDevices(w.local)).filter((d) => d.registrationState === 'Awaiting-Check-In');
    expect(pending).toHaveLength(1);
    return { qrPayload: r.body.qrPayload, pendingId: pending[0].id };
  };

  it('two devices enrolling with one token at once: both 201, one takes the pending record, counters exact', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { qrPayload, pendingId } = await newEnrollment();
      const agents = [SimulatedAndroidAgent.fromQrPayload(qrPayload), SimulatedAndroidAgent.fromQrPayload(qrPayload)];
      const answers = await Promise.all(agents.map((a) => a.enroll()));
      expect(answers.map((a) => a.status)).toEqual([201, 201]);
      const ids = answers.map((a) => a.body!.deviceId);
      expect(new Set(ids).size).toBe(2);
      expect(ids).toContain(pendingId); // the pending record was taken over, by one of them
      for (const agent of agents) expect((await agent.checkIn()).status).toBe(200);
      const devices = await allDevices(w.local);
      expect(devices.filter((d) => d.registrationState === 'Awaiting-Check-In')).toEqual([]);
      await expectExactCounters(w.local);
    }
  });

  it('one device enrolling twice at once (a retried request): both 201 with one device id, one device per serial', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { qrPayload } = await newEnrollment();
      const agent = SimulatedAndroidAgent.fromQrPayload(qrPayload);
      const before = (await allDevices(w.local)).length;
      const answers = await Promise.all([agent.enroll(), agent.enroll()]);
      expect(answers.map((a) => a.status)).toEqual([201, 201]);
      expect(answers[0].body!.deviceId).toBe(answers[1].body!.deviceId);
      const devices = await allDevices(w.local);
      expect(devices.filter((d) => d.serialNumber === agent.serialNumber)).toHaveLength(1);
      expect(devices).toHaveLength(before); // the pending record became the device, or went
      // Exactly one of the two device tokens works: the one the last enrollment wrote.
      const working = [];
      for (const { body } of answers) {
        agent.deviceToken = body!.deviceToken;
        working.push((await agent.checkIn()).status);
      }
      expect(working.sort()).toEqual([200, 401]);
      await expectExactCounters(w.local);
    }
  });

  it('a re-enrollment racing another write for the same serial: 201, same device, counters exact', async () => {
    const agent = await w.enrolledAgent();
    const deviceId = agent.deviceId!;
    for (let round = 0; round < ROUNDS; round++) {
      const { qrPayload } = await newEnrollment();
      const token = (JSON.parse(qrPayload) as { enrollmentToken: string }).enrollmentToken;
      // A check-in with the old token (a device write) and another re-enrollment of the serial race it.
      const twin = new SimulatedAndroidAgent({
        baseUrl: w.local.url,
        tenant: TENANT,
        serialNumber: agent.serialNumber,
      });
      const [enrolled, again, checkin] = await Promise.all([agent.enroll(token), twin.enroll(token), agent.checkIn()]);
      expect([enrolled.status, again.status]).toEqual([201, 201]);
      expect([enrolled.body!.deviceId, again.body!.deviceId]).toEqual([deviceId, deviceId]);
      expect([200, 401]).toContain(checkin.status); // 401 when a re-enrollment replaced its token first
      const device = await w.device(deviceId);
      expect(device.registrationState).toBe('Checked-In');
      expect((await allDevices(w.local)).filter((d) => d.serialNumber === agent.serialNumber)).toHaveLength(1);
      await expectExactCounters(w.local);
    }
  });
});

describe('Apple enrollment races', () => {
  let e: E2E;

  beforeAll(async () => {
    e = await startE2E({ manualPolls: true });
    await e.uploadPushCert();
  });
  afterAll(async () => {
    await e.stop();
  });

  const profileOf = async (url: string) => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    return Buffer.from(await res.arrayBuffer());
  };

  it('two Authenticates with one identity certificate at once: exactly one UDID is bound, the other 400', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const profile = await profileOf((await e.createEnrollment()).url);
      const devices = [e.newDevice(), e.newDevice()];
      for (const d of devices) d.installEnrollmentProfile(profile);
      await devices[0].obtainIdentity(); // SCEP: the first device's own key...
      devices[1].adoptIdentityOf(devices[0]); // ...copied to a second device
      const answers = await Promise.all(devices.map((d) => d.authenticate()));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
      const winner = devices[answers.findIndex((a) => a.status === 200)];
      const loser = devices[answers.findIndex((a) => a.status === 400)];
      expect(await e.local.app.stores.devices.get(TENANT, loser.udid)).toBeUndefined();
      expect((await e.local.app.stores.devices.get(TENANT, winner.udid))?.registrationState).toBe('Awaiting-Check-In');
      // The binding holds afterwards: the winner goes on, the loser stays refused.
      expect((await winner.tokenUpdate()).status).toBe(200);
      expect((await loser.authenticate()).status).toBe(400);
      await expectExactCounters(e.local);
    }
  });

  it('two devices enrolling with one token at once, one retrying its Authenticate: all 200, two devices, counters exact', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { url } = await e.createEnrollment();
      const [first, second] = [e.newDevice(), e.newDevice()];
      for (const d of [first, second]) {
        d.installEnrollmentProfile(await profileOf(url));
        await d.obtainIdentity(); // SCEP: each its own key, from its own download's challenge
      }
      const answers = await Promise.all([first.authenticate(), second.authenticate(), second.authenticate()]);
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      const all = await allDevices(e.local);
      // The pending record was taken over (it goes: Apple devices are keyed by UDID), and once.
      expect(all.filter((d) => d.pendingEnrollmentExpiresAt)).toEqual([]);
      for (const d of [first, second]) expect(all.filter((x) => x.id === d.udid)).toHaveLength(1);
      for (const d of [first, second]) expect((await d.tokenUpdate()).status).toBe(200);
      await expectExactCounters(e.local);
    }
  });
});
