// Operational behaviour: lost commands never block a queue, push-certificate health alarms, the
// topic-change guard, counter reconciliation, and the push worker's partial batch failures.
import type { SQSEvent } from 'aws-lambda';
import { generatePushCertificateForTests } from '../../kit/push-cert';
import { handleBulkEvent } from '../../lambdas/handlers/bulk-worker';
import { handleSqsEvent } from '../../lambdas/handlers/push-worker';
import type { PushSender } from '../../lambdas/ports';
import { enqueueCommands } from '../../lambdas/service/command-queue';
import { type CommandReport, nextCommand, openSession, recordReport } from '../../lambdas/service/device-session';
import { createDevice } from '../../lambdas/service/devices';
import { type LocalServer, startLocal } from '../../lambdas/wiring/local';
import { FakeClock } from '../support/dynamo';
import { newDevice } from '../support/factories';

describe('operations', () => {
  const clock = new FakeClock(new Date('2026-11-23T09:00:00.000Z'));
  const sent: string[] = [];
  const recordingSender: PushSender = {
    send: async (_t, targets) =>
      targets.map((t) => {
        sent.push(t.deviceId);
        return { deviceId: t.deviceId, status: 'sent' as const };
      }),
  };
  let local: LocalServer;
  const admin = async <T>(method: string, path: string, body?: unknown) => {
    const res = await fetch(`${local.url}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${local.credentials.adminKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  type Dashboard = {
    alarms: Record<string, number>;
    activeAlarms: Array<{ key: string; severity: string; message: string }>;
    syncStates: Record<string, number>;
  };

  beforeAll(async () => {
    local = await startLocal({
      inMemory: true,
      port: 0,
      schedules: false,
      clock,
      push: { apns: recordingSender, fcm: recordingSender },
    });
  });
  afterAll(async () => {
    await local?.stop();
  });

  it('re-sends a command the device never reported, then finishes it as Error no-result so the queue moves on', async () => {
    const { app } = local;
    const device = await createDevice(app, newDevice({ tenantId: 'demo', id: 'UDID-LOST', platform: 'ios' }));
    const [lost, behind] = await enqueueCommands(
      app,
      device,
      [
        { requestType: 'DeviceInformation', payload: { RequestType: 'DeviceInformation' }, needsUnlock: false },
        { requestType: 'ProfileList', payload: { RequestType: 'ProfileList' }, needsUnlock: false },
      ],
      'admin',
    );
    // One connect request each: a session of its own, the report, the command handed out.
    const connect = async (report: CommandReport) => {
      const session = await openSession(app, (await app.tenantCache.get('demo'))!, device.id);
      return nextCommand(app, await recordReport(app, session!, report));
    };
    for (let attempt = 1; attempt <= app.config.maxCommandAttempts; attempt++) {
      expect((await connect({ status: 'Idle' }))?.command.id).toBe(lost.id); // the device lost the command
    }
    expect((await connect({ status: 'Idle' }))?.command.id).toBe(behind.id);
    const history = await admin<{
      history: Array<{ data: { commandId: string; status: string; errors: Array<{ code: string }> } }>;
    }>('GET', '/devices/UDID-LOST/commands');
    const entry = history.body.history.find((h) => h.data.commandId === lost.id)!;
    expect(entry.data).toMatchObject({ status: 'Error', errors: [{ code: 'no-result' }] });
  });

  it('warns 30 days before the Apple push certificate expires, turns critical at 7 days and after, and clears on renewal', async () => {
    const cert = generatePushCertificateForTests(undefined, clock.now(), 20);
    expect(
      (await admin('PUT', '/push/apns', { certificatePem: cert.certPem, privateKeyPem: cert.keyPem })).status,
    ).toBe(200);
    await admin('POST', '/jobs/certificate-check/run');
    let dash = (await admin<Dashboard>('GET', '/dashboard')).body;
    expect(dash.activeAlarms.find((a) => a.key === 'apns-certificate')).toMatchObject({ severity: 'major' });
    expect(dash.alarms.major).toBe(1);

    clock.advance(15 * 86_400_000);
    await admin('POST', '/jobs/certificate-check/run');
    await admin('POST', '/jobs/certificate-check/run'); // idempotent: still one alarm
    dash = (await admin<Dashboard>('GET', '/dashboard')).body;
    expect(dash.activeAlarms.filter((a) => a.key === 'apns-certificate')).toHaveLength(1);
    expect(dash.activeAlarms.find((a) => a.key === 'apns-certificate')?.message).toMatch(
      /renew the Apple push certificate/,
    );
    expect(dash.alarms).toMatchObject({ critical: 1, major: 0 });

    clock.advance(10 * 86_400_000);
    await admin('POST', '/jobs/certificate-check/run');
    expect(
      (await admin<Dashboard>('GET', '/dashboard')).body.activeAlarms.find((a) => a.key === 'apns-certificate')
        ?.message,
    ).toMatch(/expired/);

    // Renewal with the same topic (same Apple ID) clears it; another topic needs force.
    const renewed = generatePushCertificateForTests(cert.topic, clock.now(), 365);
    expect(
      (await admin('PUT', '/push/apns', { certificatePem: renewed.certPem, privateKeyPem: renewed.keyPem })).status,
    ).toBe(200);
    dash = (await admin<Dashboard>('GET', '/dashboard')).body;
    expect(dash.alarms.critical).toBe(0);
    const other = generatePushCertificateForTests(undefined, clock.now(), 365);
    const refused = await admin<{ error: { message: string } }>('PUT', '/push/apns', {
      certificatePem: other.certPem,
      privateKeyPem: other.keyPem,
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/re-enroll/);
    expect(
      (
        await admin<{ topic: string }>('PUT', '/push/apns', {
          certificatePem: other.certPem,
          privateKeyPem: other.keyPem,
          force: true,
        })
      ).body.topic,
    ).toBe(other.topic);
    const notMdm = await admin('PUT', '/push/apns', { certificatePem: other.certPem, privateKeyPem: renewed.keyPem });
    expect(notMdm.status).toBe(422);
  });

  it('reconcile-counters repairs drifted dashboard counters from a full recount', async () => {
    const before = (await admin<Dashboard>('GET', '/dashboard')).body;
    await local.app.stores.counters.add('demo', { 'sync:Synchronized': 41, 'alarm:warning': 3 }, 'drift');
    expect((await admin<Dashboard>('GET', '/dashboard')).body.syncStates.Synchronized).toBe(
      before.syncStates.Synchronized + 41,
    );
    await admin('POST', '/jobs/reconcile-counters/run');
    const after = (await admin<Dashboard>('GET', '/dashboard')).body;
    expect(after.syncStates).toEqual(before.syncStates);
    expect(after.alarms).toEqual(before.alarms);
  });

  it('the push worker reports a poison message alone, so SQS retries (and dead-letters) only that one', async () => {
    const { app } = local;
    await createDevice(
      app,
      newDevice({ tenantId: 'demo', id: 'UDID-PUSH', platform: 'ios', push: { token: 'abcd', magic: 'magic' } }),
    );
    const record = (id: string, body: string) => ({ messageId: id, body }) as SQSEvent['Records'][number];
    const result = await handleSqsEvent(app, {
      Records: [
        record(
          'good',
          JSON.stringify({
            requests: [
              {
                tenantId: 'demo',
                deviceId: 'UDID-PUSH',
                priority: 'admin',
                reason: 'admin',
                requestedAt: clock.now().toISOString(),
              },
            ],
          }),
        ),
        record('poison', '{not json'),
        record('shapeless', JSON.stringify({ nothing: true })),
      ],
    });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'poison' }, { itemIdentifier: 'shapeless' }]);
    expect(sent).toContain('UDID-PUSH');
  });

  it('the daily resync fans out through the bulk queue: every live device re-synced and pushed, dead tokens skipped', async () => {
    const { app } = local;
    for (const id of ['RS-1', 'RS-2', 'RS-3']) {
      await createDevice(
        app,
        newDevice({
          tenantId: 'demo',
          id,
          platform: 'ios',
          syncState: 'Synchronized',
          push: { token: `tok-${id}`, magic: 'magic' },
        }),
      );
    }
    await createDevice(
      app,
      newDevice({
        tenantId: 'demo',
        id: 'RS-DEAD',
        platform: 'ios',
        syncState: 'Synchronized',
        push: { token: 'dead', magic: 'magic', dead: true },
      }),
    );
    const run = await admin<{ devicesTouched: number; operationIds: string[] }>('POST', '/jobs/resync/run');
    expect(run.status).toBe(200);
    expect(run.body.operationIds).toHaveLength(1);
    await local.settled();
    const progress = (
      await admin<{ status: string; targeted: number; queued: number }>('GET', `/commands/${run.body.operationIds[0]}`)
    ).body;
    const checkedIn = (await app.stores.devices.list('demo', { registrationState: 'Checked-In' }, undefined, 500))
      .items;
    const live = checkedIn.filter((d) => !d.push?.dead);
    expect(progress).toMatchObject({ status: 'done', targeted: checkedIn.length, queued: live.length });
    expect(sent).toEqual(expect.arrayContaining(['RS-1', 'RS-2', 'RS-3']));
    expect(sent).not.toContain('RS-DEAD');
    expect((await app.stores.devices.get('demo', 'RS-1'))?.syncRequestedBy).toBe('resync');
    expect((await app.stores.devices.get('demo', 'RS-DEAD'))?.syncState).toBe('Synchronized');
  });

  it('the bulk worker runs each step and reports a poison message alone', async () => {
    const { app } = local;
    await createDevice(
      app,
      newDevice({ tenantId: 'demo', id: 'UDID-BULK', platform: 'ios', push: { token: 'beef', magic: 'magic' } }),
    );
    const accepted = await admin<{ operationId: string; commandIds: string[] }>('POST', '/commands', {
      type: 'Lock',
      deviceIds: ['UDID-BULK'],
    });
    expect(accepted.status).toBe(202);
    await local.settled();
    const record = (id: string, body: string) => ({ messageId: id, body }) as SQSEvent['Records'][number];
    const step = {
      kind: 'devices',
      tenantId: 'demo',
      operationId: accepted.body.operationId,
      chunk: 0,
      deviceIds: ['UDID-BULK'],
    };
    const result = await handleBulkEvent(app, {
      Records: [
        record('again', JSON.stringify(step)),
        record('poison', '{not json'),
        record('shapeless', JSON.stringify({ kind: 'explode' })),
      ],
    });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'poison' }, { itemIdentifier: 'shapeless' }]);
    // The step ran twice (queue, then by hand): one Lock queued all the same.
    const live = await app.stores.commands.liveQueue('demo', 'UDID-BULK');
    expect(live.filter((c) => c.requestType === 'DeviceLock').map((c) => c.id)).toEqual(accepted.body.commandIds);
    expect(
      (await admin<{ status: string; queued: number }>('GET', `/commands/${accepted.body.operationId}`)).body,
    ).toMatchObject({ status: 'done', queued: 1 });
  });
});
