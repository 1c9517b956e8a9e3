// `npm start` behaviour: data persists under the data directory across a restart, the demo tenant
// and its keys are created once, and the server answers over real HTTP.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocal } from '../../lambdas/wiring/local';

describe('local mode', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mdm-local-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps tenants, keys and templates under .data/ across a restart, and prints keys only on first start', async () => {
    const first = await startLocal({ dataDir, port: 0, schedules: false });
    let templateId: string;
    try {
      expect(first.credentials.firstStart).toBe(true);
      const auth = { authorization: `Bearer ${first.credentials.adminKey}`, 'content-type': 'application/json' };
      const created = await fetch(`${first.url}/admin/v1/templates`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Kept', items: [] }) });
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
      const res = await fetch(`${second.url}/admin/v1/templates/${templateId}`, { headers: { authorization: `Bearer ${second.credentials.adminKey}` } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id: templateId, name: 'Kept' });
    } finally {
      await second.stop();
    }
  });
});
