// Registration states (docs/api.md §Names and states): an issued enrollment shows as an Awaiting-Check-In device, the device
// that enrolls takes that record over, and an enrollment not used in time becomes Expired.
import { type LocalServer, startLocal } from '../../lambdas/wiring/local';
import { FakeClock } from '../support/dynamo';

describe('enrollment records', () => {
  const clock = new FakeClock(new Date('2026-11-23T09:00:00.000Z'));
  let local: LocalServer;
  const admin = async <T>(method: string, path: string, body?: unknown) => {
    const res = await fetch(`${local.url}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${local.credentials.adminKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (res.status === 204 ? undefined : await res.json()) as T };
  };
  type DeviceList = { items: Array<{ id: string; name?: string; registrationState: string }> };
  type Dashboard = { registrationStates: Record<string, number> };

  beforeAll(async () => {
    local = await startLocal({ inMemory: true, port: 0, schedules: false, clock });
  });
  afterAll(async () => {
    await local?.stop();
  });

  it('shows an issued enrollment as Awaiting-Check-In, hands it to the enrolling device, and expires an unused one', async () => {
    const unused = await admin<{ token: string }>('POST', '/enrollments', {
      platform: 'android',
      name: 'Spare tablet',
      expiresInHours: 1,
    });
    const used = await admin<{ token: string }>('POST', '/enrollments', {
      platform: 'android',
      name: 'Sales tablet',
      expiresInHours: 1,
    });
    expect(unused.status).toBe(201);
    let devices = (await admin<DeviceList>('GET', '/devices?registrationState=Awaiting-Check-In')).body.items;
    expect(devices.map((d) => d.name).sort()).toEqual(['Sales tablet', 'Spare tablet']);
    expect((await admin<Dashboard>('GET', '/dashboard')).body.registrationStates['Awaiting-Check-In']).toBe(2);

    const enrolled = await fetch(`${local.url}/android/demo/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        enrollmentToken: used.body.token,
        serialNumber: 'SN-1',
        model: 'Pixel',
        osVersion: '15',
        fcmToken: 'fcm-1',
      }),
    });
    expect(enrolled.status).toBe(201);
    const { deviceId } = (await enrolled.json()) as { deviceId: string };
    const sales = devices.find((d) => d.name === 'Sales tablet')!;
    expect(deviceId).toBe(sales.id); // the pending record became the device
    devices = (await admin<DeviceList>('GET', '/devices')).body.items;
    expect(devices).toHaveLength(2);
    expect((await admin<Dashboard>('GET', '/dashboard')).body.registrationStates).toMatchObject({
      'Awaiting-Check-In': 1,
      'Checked-In': 1,
    });

    clock.advance(2 * 3600_000);
    await admin('POST', '/jobs/not-responding-sweep/run');
    await admin('POST', '/jobs/not-responding-sweep/run'); // twice: nothing changes the second time
    devices = (await admin<DeviceList>('GET', '/devices?registrationState=Expired')).body.items;
    expect(devices.map((d) => d.name)).toEqual(['Spare tablet']);
    expect((await admin<Dashboard>('GET', '/dashboard')).body.registrationStates).toMatchObject({
      'Awaiting-Check-In': 0,
      Expired: 1,
      'Checked-In': 1,
    });
    const logs = (await admin<{ items: Array<{ event: string }> }>('GET', '/logs?q=enrollment-expired')).body.items;
    expect(logs).toHaveLength(1);

    const late = await fetch(`${local.url}/android/demo/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        enrollmentToken: unused.body.token,
        serialNumber: 'SN-2',
        model: 'Pixel',
        osVersion: '15',
        fcmToken: 'fcm-2',
      }),
    });
    expect(late.status).toBe(410);
    const refused = await admin<{ error: { code: string } }>('POST', `/devices/${devices[0].id}/commands`, {
      type: 'Lock',
    });
    expect(refused.status).toBe(409);
  });
});
