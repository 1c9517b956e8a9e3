// `npm start` behaviour: data persists under the data directory across a restart, the demo tenant
// and its keys are created once, and the server answers over real HTTP.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { SimulatedAndroidAgent } from '../../kit/android-agent';
import { localDynamoClient } from '../../lambdas/adapters/dynamodb/embedded';
import type { PushSender } from '../../lambdas/ports';
import { type LocalServer, startLocal } from '../../lambdas/wiring/local';

/** Every folder and file under `dir` (itself included) with its permission bits. */
function modes(dir: string): Array<{ path: string; mode: string }> {
  const out = [{ path: dir, mode: (statSync(dir).mode & 0o777).toString(8) }];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...modes(path));
    else out.push({ path, mode: (statSync(path).mode & 0o777).toString(8) });
  }
  return out;
}

describe('local mode', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mdm-local-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps tenants, keys and templates under .data/ across a restart, and prints keys only on first start', async () => {
    const first = await startLocal({ dataDir, port: 0, schedules: false });
    let templateId: string;
    try {
      expect(first.credentials.firstStart).toBe(true);
      const auth = { authorization: `Bearer ${first.credentials.adminKey}`, 'content-type': 'application/json' };
      const created = await fetch(`${first.url}/admin/v1/templates`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ name: 'Kept', items: [] }),
      });
      expect(created.status).toBe(201);
      templateId = ((await created.json()) as { id: string }).id;
      const noKey = await fetch(`${first.url}/admin/v1/templates`);
      expect(noKey.status).toBe(401);
      expect(await noKey.json()).toMatchObject({ error: { code: 'unauthorized' } });
    } finally {
      await first.stop();
    }
    const stored = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8')) as { adminKey: string };
    expect(stored.adminKey).toBe(first.credentials.adminKey);
    expect(statSync(join(dataDir, 'credentials.json')).mode & 0o077).toBe(0);

    const second = await startLocal({ dataDir, port: 0, schedules: false });
    try {
      expect(second.credentials.firstStart).toBe(false);
      expect(second.credentials.adminKey).toBe(first.credentials.adminKey);
      const res = await fetch(`${second.url}/admin/v1/templates/${templateId}`, {
        headers: { authorization: `Bearer ${second.credentials.adminKey}` },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id: templateId, name: 'Kept' });
    } finally {
      await second.stop();
    }
  });

  it('runs acknowledged work that the process died before doing after the next start: a template change re-syncs its devices', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdm-durable-'));
    const fcm: PushSender = {
      send: async (_tenant, targets) => targets.map((t) => ({ deviceId: t.deviceId, status: 'sent' as const })),
    };
    const start = () => startLocal({ dataDir: dir, port: 0, schedules: false, push: { fcm } });
    const admin = async (local: LocalServer, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${local.url}/admin/v1${path}`, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: { authorization: `Bearer ${local.credentials.adminKey}`, 'content-type': 'application/json' },
      });
      return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
    };
    let operationId: string;
    let deviceId: string;
    const first = await start();
    try {
      const template = await admin(first, 'POST', '/templates', { name: 'Fleet', items: [] });
      const enrollment = await admin(first, 'POST', '/enrollments', {
        platform: 'android',
        templateId: template.body.id,
      });
      const agent = SimulatedAndroidAgent.fromQrPayload(enrollment.body.qrPayload as string);
      expect((await agent.enroll()).status).toBe(201);
      deviceId = agent.deviceId!;
      await first.settled();
      // From here on the process is as good as dead: no queued step gets to run (each fails, and
      // its retry is still waiting when the process ends).
      first.bulkQueue.consume(async () => {
        throw new Error('the process died before this step ran');
      });
      const changed = await admin(first, 'PUT', `/templates/${template.body.id}`, {
        name: 'Fleet',
        items: [],
        prohibitedApps: ['com.example.game'],
      });
      expect(changed.status).toBe(200);
      operationId = changed.body.syncOperationId as string;
      expect((await admin(first, 'GET', `/commands/${operationId}`)).body).toMatchObject({
        status: 'running',
        targeted: 0,
      });
    } finally {
      await first.stop();
    }

    const second = await start();
    try {
      await second.settled();
      expect((await admin(second, 'GET', `/commands/${operationId}`)).body).toMatchObject({
        status: 'done',
        targeted: 1,
        queued: 1,
      });
      expect((await admin(second, 'GET', `/devices/${deviceId}`)).body).toMatchObject({
        syncState: 'Sync-Requested',
        syncRequestedBy: 'template-change',
      });
    } finally {
      await second.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the data folder private to the user and its database closed to other local users', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdm-private-'));
    const dataDir = join(dir, 'data');
    try {
      // A data folder from before: readable by everyone.
      mkdirSync(join(dataDir, 'old'), { recursive: true, mode: 0o755 });
      chmodSync(dataDir, 0o755);
      writeFileSync(join(dataDir, 'old', 'notes.txt'), 'x', { mode: 0o644 });
      const local = await startLocal({ dataDir, port: 0, schedules: false });
      try {
        const auth = { authorization: `Bearer ${local.credentials.adminKey}`, 'content-type': 'application/json' };
        expect(
          (
            await fetch(`${local.url}/admin/v1/templates`, {
              method: 'POST',
              headers: auth,
              body: JSON.stringify({ name: 'T', items: [] }),
            })
          ).status,
        ).toBe(201);
        const all = modes(dataDir);
        expect(all.map((e) => e.path)).toEqual(
          expect.arrayContaining([
            join(dataDir, 'credentials.json'),
            join(dataDir, 'secret.key'),
            join(dataDir, 'dynamodb'),
            join(dataDir, 'old', 'notes.txt'),
          ]),
        );
        expect(all.filter((e) => (statSync(e.path).isDirectory() ? e.mode !== '700' : e.mode !== '600'))).toEqual([]);

        // The database port answers the server's own client, and refuses any other access key.
        await expect(local.dynamo.client.send(new ListTablesCommand({}))).resolves.toMatchObject({
          TableNames: ['Logs', 'Main'],
        });
        const stranger = localDynamoClient(local.dynamo.endpoint, 'local');
        try {
          await expect(stranger.send(new ListTablesCommand({}))).rejects.toMatchObject({
            name: 'UnrecognizedClientException',
          });
        } finally {
          stranger.destroy();
        }
        const unsigned = await fetch(local.dynamo.endpoint, {
          method: 'POST',
          headers: { 'x-amz-target': 'DynamoDB_20120810.Scan', 'content-type': 'application/x-amz-json-1.0' },
          body: '{"TableName":"Main"}',
        });
        expect(unsigned.status).toBe(400);
        expect(await unsigned.text()).not.toMatch(/Items/);
      } finally {
        await local.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
