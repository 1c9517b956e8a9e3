// The daily resync and the inventory reads it asks for (docs/sync.md §Inventory reads): a device
// that has not changed stays Synchronized, is read without any stored command and leaves no log
// line; one that drifted goes through the states the docs name; a read the device never finishes
// ends as Error no-result instead of being asked for ever.
import type { SimulatedAppleDevice } from '../../kit/apple-device';
import { type E2E, sampleProfile, startE2E } from '../../kit/e2e';
import { openSession, reportAndHandOut } from '../../lambdas/service/device-session';
import { runJob } from '../../lambdas/service/jobs';
import { requestSync } from '../../lambdas/service/sync';

describe('inventory reads of the daily resync', () => {
  let e: E2E;
  let device: SimulatedAppleDevice;
  type LogLine = { event: string; type: string; message: string; data?: Record<string, unknown> };
  const logs = async (d: SimulatedAppleDevice) =>
    ((await e.api('GET', `/admin/v1/logs?deviceId=${d.udid}&limit=200`)).body.items as LogLine[]).reverse();
  const stored = (d: SimulatedAppleDevice) => e.local.app.stores.devices.get('demo', d.udid);
  // What a device request works on, as the connect endpoint opens it.
  const sessionOf = async (d: SimulatedAppleDevice) =>
    (await openSession(e.local.app, (await e.local.app.stores.tenants.get('demo'))!, d.udid))!;

  beforeAll(async () => {
    e = await startE2E();
    await e.uploadPushCert();
    const template = await e.createTemplate({
      name: 'wifi',
      items: [
        { kind: 'profile', identifier: 'com.example.wifi', payload: sampleProfile('com.example.wifi', 'Office') },
      ],
    });
    [device] = await e.enrollDevices(1, { templateId: template.id });
    await e.settle(async () => (await stored(device))?.syncState === 'Synchronized');
  });
  afterAll(async () => {
    await e?.stop();
  });

  it('confirms an unchanged device in place: Synchronized throughout, nothing queued, no log line but its access', async () => {
    const before = (await stored(device))!;
    const linesBefore = (await logs(device)).length;
    const pushesBefore = e.pushesTo(device.pushToken).length;
    // Watch every state the device is written with while it is read.
    const states: string[] = [];
    const commandsQueued: string[] = [];
    const store = e.local.app.stores;
    const save = store.devices.save.bind(store.devices);
    const enqueue = store.commands.enqueue.bind(store.commands);
    store.devices.save = async (d) => {
      states.push(d.syncState);
      return save(d);
    };
    store.commands.enqueue = async (c) => {
      commandsQueued.push(c.requestType);
      return enqueue(c);
    };
    try {
      await runJob(e.local.app, 'resync');
      await e.settle(async () => ((await stored(device))?.lastSyncedAt ?? '') > (before.lastSyncedAt ?? ''));
    } finally {
      store.devices.save = save;
      store.commands.enqueue = enqueue;
    }
    expect(e.pushesTo(device.pushToken).length).toBe(pushesBefore + 1);
    const received = device.log.slice(-4).map((l) => (l.kind === 'report' ? (l.requestType ?? l.status) : l.kind));
    expect(received).toEqual(['Idle', 'DeviceInformation', 'ProfileList', 'InstalledApplicationList']);
    expect(new Set(states)).toEqual(new Set(['Synchronized']));
    expect(commandsQueued).toEqual([]);
    const after = (await stored(device))!;
    expect(after).toMatchObject({ syncState: 'Synchronized', syncRequestedBy: 'resync' });
    expect(after.pendingRead).toBeUndefined();
    expect(after.syncPhase).toBeUndefined();
    expect(Date.parse(after.lastSeenAt!)).toBeGreaterThan(Date.parse(after.lastPushAt!)); // the push was answered
    // Only the device's access (if the session logs one); no push, state or query lines.
    const added = (await logs(device)).slice(linesBefore);
    expect(added.filter((l) => l.event !== 'device-access')).toEqual([]);
    const inventory = (await e.api('GET', `/admin/v1/devices/${device.udid}/inventory`)).body;
    expect(Date.parse(inventory.readAt)).toBeGreaterThan(Date.parse(after.lastPushAt!));
    expect((await e.api('GET', `/admin/v1/devices/${device.udid}/diagnosis`)).body.verdict).toBe('synchronized');
  });

  it('brings back a device that drifted, through the states the docs name', async () => {
    device.profiles.delete('com.example.wifi'); // the user removed it
    const linesBefore = (await logs(device)).length;
    const before = (await stored(device))!;
    await runJob(e.local.app, 'resync');
    await e.settle(async () => ((await stored(device))?.lastSyncedAt ?? '') > (before.lastSyncedAt ?? ''));
    expect(device.profiles.has('com.example.wifi')).toBe(true);
    const added = await logs(device);
    expect(
      added
        .slice(linesBefore)
        .filter((l) => l.event === 'sync-state')
        .map((l) => l.message),
    ).toEqual([
      'Synchronized → Not-Synchronized (contents differ from the template)',
      'Not-Synchronized → Synchronized (verified: the contents match the template)',
    ]);
    // The install is in the command history; the reads around it are not.
    const commands = added.slice(linesBefore).filter((l) => l.type === 'command');
    expect(commands.map((c) => `${c.data?.requestType}:${c.data?.status}`)).toEqual(['InstallProfile:Acknowledged']);
  });

  it('a read the device never finishes ends as Error no-result after maxCommandAttempts sessions, and the queue moves on', async () => {
    const { app } = e.local;
    device.offline = true; // it gets the pushes but never polls: the sessions below are driven by hand
    await requestSync(app, 'demo', device.udid, 'resync', { push: false });
    const handedOut: string[] = [];
    for (let session = 1; session <= app.config.maxCommandAttempts; session++) {
      // Idle, the first query is handed out, and the device goes away without answering.
      const next = await reportAndHandOut(app, await sessionOf(device), { status: 'Idle' });
      expect(next?.command.requestType).toBe('DeviceInformation');
      handedOut.push(next!.command.id);
    }
    // Every session asked for the same query of the same read.
    expect(new Set(handedOut).size).toBe(1);
    const next = await reportAndHandOut(app, await sessionOf(device), { status: 'Idle' });
    expect(next).toBeUndefined();
    const after = (await stored(device))!;
    expect(after.pendingRead).toBeUndefined();
    expect(after.syncPhase).toBeUndefined();
    const failed = (await logs(device)).filter((l) => l.type === 'command' && l.data?.status === 'Error');
    expect(failed.at(-1)?.data?.errors).toEqual([expect.objectContaining({ code: 'no-result', domain: 'MDMServer' })]);
    device.offline = false;
  });

  it('a query the locked device postpones (NotNow) holds the read until it is unlocked, however many sessions that takes', async () => {
    const { app } = e.local;
    const bookish = await e.createTemplate({
      name: 'books',
      items: [{ kind: 'book', identifier: 'com.example.handbook', url: 'https://books.example.com/handbook.epub' }],
    });
    const [reader] = await e.enrollDevices(1, { templateId: bookish.id });
    await e.settle(async () => (await stored(reader))?.syncState === 'Synchronized');
    const before = (await stored(reader))!;
    reader.locked = true;
    await requestSync(app, 'demo', reader.udid, 'resync', { push: false });
    for (let session = 1; session <= app.config.maxCommandAttempts + 1; session++) {
      const received = await reader.poll();
      // The queries that run locked are answered; ManagedMediaList waits for an unlock.
      expect(received.map((c) => `${c.requestType}:${c.status}`).at(-1)).toBe('ManagedMediaList:NotNow');
    }
    const waiting = (await stored(reader))!;
    expect(waiting.pendingRead).toBeDefined(); // sessions that ended in NotNow do not use up its attempts
    expect(waiting.syncState).toBe('Synchronized');
    reader.locked = false;
    await reader.poll();
    const after = (await stored(reader))!;
    expect(after.pendingRead).toBeUndefined();
    expect(after.syncState).toBe('Synchronized');
    expect(after.lastSyncedAt! > before.lastSyncedAt!).toBe(true);
    const errors = (await logs(reader)).filter((l) => l.type === 'command' && l.data?.status === 'Error');
    expect(errors).toEqual([]);
  });

  it('an answer to a read that is no longer pending changes nothing (idempotent reports)', async () => {
    const { app } = e.local;
    const before = (await stored(device))!;
    await reportAndHandOut(app, await sessionOf(device), {
      status: 'Acknowledged',
      commandId: 'read-0000000000000stale-2',
      result: { InstalledApplicationList: [] },
    });
    const after = (await stored(device))!;
    expect(after.inventory).toEqual(before.inventory);
    expect(after.syncState).toBe(before.syncState);
  });
});
