// docs/android.md at the edges: what the Android endpoints do with bad tokens, bad bodies, repeated
// reports and secrets.
import { SimulatedAndroidAgent } from '../../kit/android-agent';
import { type AndroidWorld, startAndroidWorld } from './android-helpers';

let w: AndroidWorld;
let agent: SimulatedAndroidAgent;

beforeAll(async () => {
  w = await startAndroidWorld();
  agent = await w.enrolledAgent({ serialNumber: 'AND-INPUT-1' });
  await w.waitFor('first sync', async () => (await w.device(agent.deviceId!)).syncState === 'Synchronized');
  await agent.idle();
});
afterAll(async () => {
  await w.stop();
});

async function raw(method: string, op: string, body: string | undefined, token?: string | null, tenant = 'demo') {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = token ?? `Bearer ${agent.deviceToken}`;
  const res = await fetch(`${w.local.url}/android/${tenant}/${op}`, { method, headers, body });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    text,
    body: text
      ? (JSON.parse(text) as {
          error: { code: string; message: string; details?: { issues: Array<{ path: string }> } };
        })
      : undefined,
  };
}

/** Sends one admin command and lets the agent take it by hand (no push-driven poll in between). */
async function queue(type: string, params?: Record<string, unknown>): Promise<string> {
  agent.offline = true; // hold the push: this test drives the connect calls itself
  const res = await w.admin<{ commandId: string }>('POST', `/devices/${agent.deviceId}/commands`, {
    type,
    ...(params ? { params } : {}),
  });
  expect(res.status).toBe(202);
  await w.local.queue.drained();
  await w.fcm.delivered();
  agent.offline = false;
  return res.body.commandId;
}

const commandLogs = async (commandId: string) => {
  const logs = await w.admin<{ items: Array<{ data?: { commandId?: string } }> }>(
    'GET',
    `/logs?type=command&deviceId=${agent.deviceId}`,
  );
  return logs.body.items.filter((l) => l.data?.commandId === commandId);
};

describe('Android device auth', () => {
  it.each([
    ['PUT', 'checkin', '{}'],
    ['POST', 'connect', '{"status":"Idle"}'],
  ])('%s %s: missing, malformed or unknown bearer token → 401 JSON', async (method, op, body) => {
    for (const token of [null, '', 'Bearer', 'Basic abc', 'Bearer dev_not-a-token', `Bearer ${agent.deviceToken}x`]) {
      const res = await raw(method, op, body, token);
      expect({ token, status: res.status }).toEqual({ token, status: 401 });
      expect(res.type).toMatch(/^application\/json/);
      expect(res.body!.error.code).toBe('unauthorized');
    }
    // A token is only good for its own tenant's URL.
    expect((await raw(method, op, body, undefined, 'other-tenant')).status).toBe(401);
  });

  it('a device token of another tenant is refused', async () => {
    const created = await fetch(`${w.local.url}/admin/v1/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${w.local.credentials.operatorKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'acme-input', name: 'Acme' }),
    });
    expect(created.status).toBe(201);
    const { adminKey } = (await created.json()) as { adminKey: string };
    const enrollment = await w.admin<{ qrPayload: string }>('POST', '/enrollments', { platform: 'android' }, adminKey);
    const acme = SimulatedAndroidAgent.fromQrPayload(enrollment.body.qrPayload);
    expect(JSON.parse(enrollment.body.qrPayload).tenant).toBe('acme-input');
    expect((await acme.enroll()).status).toBe(201);
    expect((await raw('PUT', 'checkin', '{}', `Bearer ${acme.deviceToken}`, 'demo')).status).toBe(401);
    expect((await raw('PUT', 'checkin', '{}', `Bearer ${acme.deviceToken}`, 'acme-input')).status).toBe(200);
  });
});

describe('Android request bodies', () => {
  it.each([
    ['PUT', 'checkin', { inventory: { locked: 'yes' } }, 'inventory.locked'],
    [
      'PUT',
      'checkin',
      { inventory: { apps: [{ packageName: 'a', versionCode: true }] } },
      'inventory.apps.0.versionCode',
    ],
    [
      'PUT',
      'checkin',
      { inventory: { apps: [{ packageName: 'a', versionCode: 1, managed: 'yes' }] } },
      'inventory.apps.0.managed',
    ],
    ['PUT', 'checkin', { inventory: { policies: 'none' } }, 'inventory.policies'],
    ['PUT', 'checkin', { fcmToken: 12 }, 'fcmToken'],
    ['POST', 'connect', { status: 5 }, 'status'],
    ['POST', 'connect', { status: 'Done' }, 'status'],
    ['POST', 'connect', {}, 'status'],
    ['POST', 'connect', { status: 'Acknowledged', commandId: 7 }, 'commandId'],
    ['POST', 'connect', { status: 'Acknowledged', result: 'ok' }, 'result'],
    ['POST', 'connect', { status: 'Error', error: { code: {} } }, 'error.code'],
  ])('%s %s %j → 400 naming %s', async (method, op, body, field) => {
    const res = await raw(method, op, JSON.stringify(body));
    expect(res.status).toBe(400);
    expect(res.body!.error.code).toBe('bad-request');
    expect(res.body!.error.message).toContain(field);
    expect(res.body!.error.details!.issues.map((i) => i.path)).toContain(field);
  });

  it.each([
    [{ serialNumber: 'X' }, 'enrollmentToken'],
    [{ enrollmentToken: 'enr_x', model: 'm', osVersion: '14', fcmToken: 't' }, 'serialNumber'],
    [{ enrollmentToken: 'enr_x', serialNumber: 'X', model: 'm', osVersion: 14, fcmToken: 't' }, 'osVersion'],
  ])('enroll %j → 400 naming %s', async (body, field) => {
    const res = await raw('POST', 'enroll', JSON.stringify(body), null);
    expect(res.status).toBe(400);
    expect(res.body!.error.message).toContain(field);
  });

  it.each([
    ['POST', 'enroll', null],
    ['PUT', 'checkin', undefined],
    ['POST', 'connect', undefined],
  ] as const)('%s %s: malformed JSON → 400', async (method, op, token) => {
    for (const body of ['{"status":', 'not json', '{"inventory": {]}']) {
      const res = await raw(method, op, body, token);
      expect(res.status).toBe(400);
      expect(res.body!.error.code).toBe('bad-request');
      expect(res.body!.error.message).toMatch(/JSON/);
    }
  });

  it('unknown fields are ignored', async () => {
    const inventory = {
      ...agent.inventory(),
      batteryLevel: 80,
      apps: agent.inventory().apps.map((a) => ({ ...a, label: 'x' })),
    };
    expect(
      (await raw('PUT', 'checkin', JSON.stringify({ fcmToken: agent.fcmToken, inventory, agentVersion: '1.2.3' })))
        .status,
    ).toBe(200);
    const idle = await raw(
      'POST',
      'connect',
      JSON.stringify({ status: 'Idle', battery: { level: 80 }, commandId: undefined }),
    );
    expect(idle.status).toBe(204);
    const d = await w.device(agent.deviceId!);
    expect(d).toMatchObject({ registrationState: 'Checked-In', syncState: 'Synchronized' });
    expect(d).not.toHaveProperty('batteryLevel');
  });

  it('204 with an empty body when nothing is queued', async () => {
    const res = await raw('POST', 'connect', JSON.stringify({ status: 'Idle' }));
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
  });
});

describe('Android command reports', () => {
  it('status is idempotent per commandId: a repeated Acknowledged changes nothing', async () => {
    const commandId = await queue('Lock');
    const handed = await agent.connect({ status: 'Idle' });
    expect(handed.status).toBe(200);
    expect(handed.body).toEqual({ commandId, type: 'Lock', payload: {} });
    expect((await w.device(agent.deviceId!)).pendingCommands).toEqual({ Lock: 1 });

    expect((await agent.connect({ status: 'Acknowledged', commandId })).status).toBe(204);
    const once = await w.device(agent.deviceId!);
    expect(once.pendingCommands).toEqual({});
    expect(await commandLogs(commandId)).toHaveLength(1);

    for (const status of ['Acknowledged', 'Error', 'NotNow']) {
      expect((await agent.connect({ status, commandId, error: { code: 'x', message: 'late' } })).status).toBe(204);
    }
    expect(await commandLogs(commandId)).toHaveLength(1);
    const commands = await w.admin<{
      queue: unknown[];
      history: Array<{ data: { commandId: string; status: string } }>;
    }>('GET', `/devices/${agent.deviceId}/commands`);
    expect(commands.body.queue).toEqual([]);
    expect(commands.body.history.filter((h) => h.data.commandId === commandId).map((h) => h.data.status)).toEqual([
      'Acknowledged',
    ]);
    expect((await w.device(agent.deviceId!)).pendingCommands).toEqual({});
  });

  it('a report for an unknown command id is ignored', async () => {
    expect((await agent.connect({ status: 'Acknowledged', commandId: 'cmd_unknown' })).status).toBe(204);
    expect((await agent.connect({ status: 'Acknowledged' })).status).toBe(204);
  });

  it('NotNow keeps the command queued; the next session hands it out again', async () => {
    const commandId = await queue('Restart');
    expect((await agent.connect({ status: 'Idle' })).body).toMatchObject({ commandId, type: 'Restart' });
    expect((await agent.connect({ status: 'NotNow', commandId })).status).toBe(204); // held back for this session
    const queued = await w.admin<{ queue: Array<{ id: string; status: string }> }>(
      'GET',
      `/devices/${agent.deviceId}/commands`,
    );
    expect(queued.body.queue).toEqual([expect.objectContaining({ id: commandId, status: 'NotNow' })]);
    expect((await agent.connect({ status: 'Idle' })).body).toMatchObject({ commandId, type: 'Restart' });
    expect((await agent.connect({ status: 'Acknowledged', commandId })).status).toBe(204);
    expect(await commandLogs(commandId)).toHaveLength(1);
  });

  it("an Error report is logged with the agent's code and message", async () => {
    const commandId = await queue('AdminLock', { message: 'lost' });
    expect((await agent.connect({ status: 'Idle' })).body).toEqual({
      commandId,
      type: 'AdminLock',
      payload: { message: 'lost' },
    });
    expect(
      (
        await agent.connect({
          status: 'Error',
          commandId,
          error: { code: 'not-device-owner', message: 'agent is profile owner only' },
        })
      ).status,
    ).toBe(204);
    const [log] = (await commandLogs(commandId)) as Array<{
      severity: string;
      data: { status: string; errors: unknown[] };
    }>;
    expect(log).toMatchObject({
      severity: 'minor',
      data: {
        status: 'Error',
        errors: [{ code: 'not-device-owner', domain: 'AndroidAgent', message: 'agent is profile owner only' }],
      },
    });
    const d = await w.device(agent.deviceId!);
    expect(d.adminLocked).toBe(false);
    expect(d.pendingCommands).toEqual({});
  });

  it('ClearPasscode: newPasscode reaches the agent and nowhere else', async () => {
    const secret = 'S3cret-7731';
    const res = await w.admin<{ commandId: string }>('POST', `/devices/${agent.deviceId}/commands`, {
      type: 'ClearPasscode',
      params: { newPasscode: secret },
    });
    expect(res.status).toBe(202);
    expect(JSON.stringify(res.body)).not.toContain(secret);
    // Before it is handed out, the queue does not show it either.
    const before = await w.admin('GET', `/devices/${agent.deviceId}/commands`);
    expect(JSON.stringify(before.body)).not.toContain(secret);

    await w.waitFor('ClearPasscode received', () => agent.received.some((c) => c.commandId === res.body.commandId));
    await agent.idle();
    expect(agent.received.find((c) => c.commandId === res.body.commandId)!.payload).toEqual({ newPasscode: secret });
    expect(agent.passcode).toBe(secret);
    expect(agent.passcodeSet).toBe(true);
    expect(await commandLogs(res.body.commandId)).toHaveLength(1);

    const reads = await Promise.all([
      w.admin('GET', '/logs'),
      w.admin('GET', `/logs?deviceId=${agent.deviceId}`),
      w.admin('GET', `/logs?q=${encodeURIComponent(secret)}`),
      w.admin('GET', `/devices/${agent.deviceId}/commands`),
      w.admin('GET', `/devices/${agent.deviceId}/timeline`),
      w.admin('GET', `/devices/${agent.deviceId}`),
    ]);
    for (const r of reads) {
      expect(r.status).toBe(200);
      expect(JSON.stringify(r.body)).not.toContain(secret);
    }
    const csv = await fetch(`${w.local.url}/admin/v1/logs?format=csv`, {
      headers: { authorization: `Bearer ${w.local.credentials.adminKey}` },
    });
    expect(await csv.text()).not.toContain(secret);
  });
});
