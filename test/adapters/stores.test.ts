// Contract suites for the storage ports, run against dynalite (the real DynamoDB protocol).
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ConcurrentUpdateError } from '../../lambdas/domain/errors';
import { AWAITING_SHARDS } from '../../lambdas/ports';
import { useDynamo } from '../support/dynamo';
import { newCommand, newDevice, newTemplate } from '../support/factories';

const fx = useDynamo();

describe('TenantStore', () => {
  it('creates, reads, updates and lists tenants; a second create is a conflict', async () => {
    const { tenants } = fx.stores;
    await tenants.create({ id: 'acme', name: 'Acme', createdAt: '2026-01-01T00:00:00Z' });
    await expect(
      tenants.create({ id: 'acme', name: 'Other', createdAt: '2026-01-01T00:00:00Z' }),
    ).rejects.toMatchObject({ status: 409 });
    const updated = await tenants.update('acme', { pushCapPerMinute: 50 });
    expect(updated).toMatchObject({ id: 'acme', name: 'Acme', pushCapPerMinute: 50 });
    expect((await tenants.list()).items.map((t) => t.id)).toContain('acme');
    await expect(tenants.update('nope', { name: 'x' })).rejects.toMatchObject({ status: 404 });
  });
});

describe('ApiKeyStore', () => {
  it('finds a key by hash, lists a tenant’s keys only, deletes and touches', async () => {
    const { apiKeys } = fx.stores;
    await apiKeys.put({
      id: 'k1',
      tenantId: 'acme',
      name: 'ci',
      role: 'admin',
      hash: 'h1',
      createdAt: '2026-01-01T00:00:00Z',
    });
    await apiKeys.put({
      id: 'k2',
      tenantId: 'other',
      name: 'x',
      role: 'viewer',
      hash: 'h2',
      createdAt: '2026-01-01T00:00:00Z',
    });
    expect(await apiKeys.getByHash('h1')).toMatchObject({ id: 'k1', role: 'admin' });
    expect((await apiKeys.listByTenant('acme')).map((k) => k.id)).toEqual(['k1']);
    await apiKeys.touch('h1', '2026-02-01T00:00:00Z');
    expect((await apiKeys.getByHash('h1'))?.lastUsedAt).toBe('2026-02-01T00:00:00Z');
    expect(await apiKeys.delete('other', 'k1')).toBe(false);
    expect(await apiKeys.delete('acme', 'k1')).toBe(true);
    expect(await apiKeys.getByHash('h1')).toBeUndefined();
  });
});

describe('TemplateStore', () => {
  it('guards replaces with the version read: the second of two concurrent writers gets a conflict', async () => {
    const { templates } = fx.stores;
    const t = newTemplate({ id: 'std' });
    await templates.create(t);
    const a = { ...t, name: 'A', version: 2 };
    const b = { ...t, name: 'B', version: 2 };
    const results = await Promise.allSettled([templates.replace(a, 1), templates.replace(b, 1)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(ConcurrentUpdateError);
    expect((await templates.get('acme', 'std'))?.version).toBe(2);
  });

  it('pages through templates with a cursor, never repeating one', async () => {
    const { templates } = fx.stores;
    for (let i = 0; i < 7; i++) await templates.create(newTemplate({ tenantId: 'paged', id: `t${i}` }));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await templates.list('paged', cursor, 3);
      seen.push(...page.items.map((t) => t.id));
      cursor = page.cursor;
    } while (cursor);
    expect(seen.sort()).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6']);
  });

  it('rejects a forged cursor with a 400', async () => {
    await expect(fx.stores.templates.list('acme', 'not-a-cursor')).rejects.toMatchObject({ status: 400 });
  });

  it('binds a cursor to its tenant and list: replayed elsewhere or edited, it is a 400, not a database error', async () => {
    const { templates, devices, logs } = fx.stores;
    for (let i = 0; i < 3; i++) await templates.create(newTemplate({ tenantId: 'cursor-a', id: `c${i}` }));
    const { cursor } = await templates.list('cursor-a', undefined, 1);
    expect(cursor).toBeDefined();
    // Opaque: the database key (with the tenant in it) is signed, not bare base64 JSON of it.
    expect(() => JSON.parse(Buffer.from(cursor!, 'base64url').toString('utf8'))).toThrow();
    expect((await templates.list('cursor-a', cursor, 1)).items).toHaveLength(1);
    await expect(templates.list('cursor-b', cursor, 1)).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/cursor/),
    });
    await expect(devices.list('cursor-a', {}, cursor, 1)).rejects.toMatchObject({ status: 400 });
    await expect(logs.query('cursor-a', {}, cursor, 1)).rejects.toMatchObject({ status: 400 });
    const [version, payload, signature] = cursor!.split('.');
    const edited = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, string>;
    edited.pk = 'TENANT#cursor-b';
    const forged = [version, Buffer.from(JSON.stringify(edited)).toString('base64url'), signature].join('.');
    await expect(templates.list('cursor-b', forged, 1)).rejects.toMatchObject({ status: 400 });
  });
});

describe('EnrollmentStore', () => {
  it('marks a token used exactly once', async () => {
    const { enrollments } = fx.stores;
    await enrollments.create({
      tenantId: 'acme',
      tokenHash: 'th',
      platform: 'ios',
      createdAt: 'x',
      expiresAt: '2026-12-01T00:00:00Z',
    });
    const both = await Promise.all([
      enrollments.markUsed('acme', 'th', 'd1', 'now'),
      enrollments.markUsed('acme', 'th', 'd2', 'now'),
    ]);
    expect(both.filter(Boolean)).toHaveLength(1);
    expect(await enrollments.markUsed('acme', 'missing', 'd1', 'now')).toBe(false);
  });
});

describe('DeviceStore', () => {
  it('guards against lost updates: of two concurrent writers of one device, one wins and the other gets 409', async () => {
    const { devices } = fx.stores;
    const d = newDevice({ id: 'race' });
    await devices.create(d);
    const read1 = (await devices.get('acme', 'race'))!;
    const read2 = (await devices.get('acme', 'race'))!;
    const results = await Promise.allSettled([
      devices.save({ ...read1, name: 'first' }),
      devices.save({ ...read2, name: 'second' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(ConcurrentUpdateError);
    expect(lost.reason.status).toBe(409);
    const stored = (await devices.get('acme', 'race'))!;
    expect(stored.rev).toBe(1);
    // The loser retries from a fresh read and succeeds without erasing the winner's change.
    const winner = stored.name;
    const retried = await devices.save({ ...stored, model: 'iPad' });
    expect(retried).toMatchObject({ name: winner, model: 'iPad', rev: 2 });
  });

  it('lists by each filter through its index and pages by id without repeats', async () => {
    const { devices } = fx.stores;
    const tenantId = 'listing';
    for (let i = 0; i < 12; i++) {
      await devices.create(
        newDevice({
          tenantId,
          id: `L${String(i).padStart(2, '0')}`,
          name: i % 2 ? 'Sales iPad' : 'Warehouse phone',
          platform: i % 3 === 0 ? 'android' : 'ios',
          syncState: i % 4 === 0 ? 'Synchronized' : 'Sync-Required',
          templateId: i < 5 ? 'tplA' : undefined,
          registrationState: i === 11 ? 'Withdrawn' : 'Checked-In',
        }),
      );
    }
    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await devices.list(tenantId, {}, cursor, 5);
      all.push(...page.items.map((d) => d.id));
      cursor = page.cursor;
    } while (cursor);
    expect(all).toHaveLength(12);
    expect(new Set(all).size).toBe(12);
    const ids = async (f: Parameters<typeof devices.list>[1]) =>
      (await devices.list(tenantId, f, undefined, 100)).items.map((d) => d.id).sort();
    expect(await ids({ syncState: 'Synchronized' })).toEqual(['L00', 'L04', 'L08']);
    expect(await ids({ templateId: 'tplA' })).toEqual(['L00', 'L01', 'L02', 'L03', 'L04']);
    expect(await ids({ registrationState: 'Withdrawn' })).toEqual(['L11']);
    expect(await ids({ platform: 'android' })).toEqual(['L00', 'L03', 'L06', 'L09']);
    expect(await ids({ q: 'sales', syncState: 'Sync-Required' })).toEqual(['L01', 'L03', 'L05', 'L07', 'L09', 'L11']);
    expect(await ids({ syncState: 'Synchronized', templateId: 'tplA' })).toEqual(['L00', 'L04']);
    // A cursor is valid only with the filter it was issued for (another filter reads another index).
    const first = await devices.list(tenantId, { syncState: 'Sync-Required' }, undefined, 2);
    expect(
      (await devices.list(tenantId, { syncState: 'Sync-Required' }, first.cursor, 2)).items.length,
    ).toBeGreaterThan(0);
    await expect(devices.list(tenantId, { templateId: 'tplA' }, first.cursor, 2)).rejects.toMatchObject({
      status: 400,
    });
    await expect(devices.list(tenantId, {}, first.cursor, 2)).rejects.toMatchObject({ status: 400 });
  });

  it('finds a device by exact serial number or UDID on the first page among many, by lookup, and lists it once', async () => {
    const { devices } = fx.stores;
    const tenantId = 'search';
    // 60 devices whose serials contain "SN"; the ones searched for sort last by id.
    for (let i = 0; i < 60; i++)
      await devices.create(newDevice({ tenantId, id: `S${String(i).padStart(3, '0')}`, serialNumber: `SN-X${i}` }));
    await devices.create(newDevice({ tenantId, id: 'zz-android', platform: 'android', serialNumber: 'R58M123' }));
    await devices.link(tenantId, 'serial', 'R58M123', 'zz-android');
    await devices.create(newDevice({ tenantId, id: 'zz-iphone-udid', serialNumber: 'F2LXK0ABC' }));
    await devices.link(tenantId, 'apple-serial', 'F2LXK0ABC', 'zz-iphone-udid');
    // Another tenant's device with the same serial never shows.
    await devices.create(newDevice({ tenantId: 'search-other', id: 'zz-other', serialNumber: 'R58M123' }));
    await devices.link('search-other', 'serial', 'R58M123', 'zz-other');

    // Counts the DynamoDB calls (the stores' document client shares the client's middleware),
    // once the cursor key is loaded (the first cursor of a process reads it).
    await devices.list(tenantId, {}, undefined, 1);
    let calls = 0;
    fx.dynamo.client.middlewareStack.add(
      (next) => (args) => {
        calls += 1;
        return next(args);
      },
      { step: 'initialize', name: 'countSearchCalls' },
    );
    try {
      for (const [q, id] of [
        ['R58M123', 'zz-android'],
        ['F2LXK0ABC', 'zz-iphone-udid'],
        ['zz-iphone-udid', 'zz-iphone-udid'],
      ]) {
        calls = 0;
        const page = await devices.list(tenantId, { q }, undefined, 5);
        expect([q, page.items[0]?.id]).toEqual([q, id]);
        // The lookups and one page of the list, not the 60 devices before it.
        expect(calls).toBeLessThanOrEqual(4);
      }
    } finally {
      fx.dynamo.client.middlewareStack.remove('countSearchCalls');
    }
    // A filter that excludes the match excludes it here too.
    expect((await devices.list(tenantId, { q: 'R58M123', platform: 'ios' }, undefined, 5)).items).toEqual([]);

    // A search that matches exactly and by substring: every match once, the exact one first,
    // and with a page of one, the cursor within the exact matches goes on to the others.
    await devices.create(newDevice({ tenantId, id: 'A-first', name: 'spare for R58M123' }));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await devices.list(tenantId, { q: 'R58M123' }, cursor, 1);
      if (page.cursor) expect(page.items).toHaveLength(1);
      seen.push(...page.items.map((d) => d.id));
      cursor = page.cursor;
    } while (cursor);
    expect(seen).toEqual(['zz-android', 'A-first']);
  });

  it('never answers an empty page with a cursor: pages of a filter that matches few devices read through', async () => {
    const { devices } = fx.stores;
    const tenantId = 'sparse';
    for (let i = 0; i < 40; i++)
      await devices.create(
        newDevice({ tenantId, id: `D${String(i).padStart(2, '0')}`, name: i % 13 === 12 ? 'kiosk' : 'laptop' }),
      );
    for (const [filter, expected] of [
      [{ q: 'kiosk' }, ['D12', 'D25', 'D38']],
      [{ q: 'nothing like it' }, []],
      [{ q: 'kiosk', platform: 'android' as const }, []],
    ] as const) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await devices.list(tenantId, filter, cursor, 2);
        if (page.cursor) expect([filter, page.items.length]).not.toEqual([filter, 0]);
        seen.push(...page.items.map((d) => d.id));
        cursor = page.cursor;
      } while (cursor);
      expect([filter, seen]).toEqual([filter, expected]);
    }
  });

  it('pages never skip or repeat a device while devices are written between pages', async () => {
    const { devices } = fx.stores;
    const tenantId = 'paging-under-writes';
    for (let i = 0; i < 20; i++) await devices.create(newDevice({ tenantId, id: `P${String(i).padStart(2, '0')}` }));
    const seen: string[] = [];
    let cursor: string | undefined;
    let round = 0;
    do {
      const page = await devices.list(tenantId, {}, cursor, 4);
      seen.push(...page.items.map((d) => d.id));
      cursor = page.cursor;
      // Between pages: every device is rewritten (new rev, state and name), and one is added.
      for (let i = 0; i < 20; i++) {
        const d = (await devices.get(tenantId, `P${String(i).padStart(2, '0')}`))!;
        await devices.save({ ...d, name: `renamed ${round}`, syncState: round % 2 ? 'Synchronized' : 'Sync-Required' });
      }
      await devices.create(newDevice({ tenantId, id: `N${round}` }));
      round += 1;
    } while (cursor);
    const originals = seen.filter((id) => id.startsWith('P'));
    expect(originals).toEqual(Array.from({ length: 20 }, (_, i) => `P${String(i).padStart(2, '0')}`));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('keeps a device in the awaiting index only while it waits for an answer, found by push time', async () => {
    const { devices } = fx.stores;
    const d = newDevice({
      tenantId: 'sweep',
      id: 'aw1',
      syncState: 'Sync-Requested',
      lastPushAt: '2026-11-01T00:00:00.000Z',
      awaitingAnswerSince: '2026-11-01T00:00:00.000Z',
    });
    await devices.create(d);
    const find = async (before: string) => {
      const found: string[] = [];
      for (let shard = 0; shard < AWAITING_SHARDS; shard++)
        found.push(...(await devices.listAwaitingSince(shard, before)).items.map((x) => x.id));
      return found;
    };
    expect(await find('2026-11-02T00:00:00.000Z')).toContain('aw1');
    expect(await find('2026-10-30T00:00:00.000Z')).not.toContain('aw1');
    await devices.save({
      ...(await devices.get('sweep', 'aw1'))!,
      syncState: 'Not-Synchronized',
      awaitingAnswerSince: undefined,
    });
    expect(await find('2026-11-02T00:00:00.000Z')).not.toContain('aw1');
  });

  it('resolves links (serial number, token hash) to their device', async () => {
    const { devices } = fx.stores;
    await devices.create(newDevice({ id: 'linked', platform: 'android' }));
    await devices.link('acme', 'serial', 'SN123', 'linked');
    expect((await devices.findByLink('acme', 'serial', 'SN123'))?.id).toBe('linked');
    expect(await devices.findByLink('other', 'serial', 'SN123')).toBeUndefined();
    await devices.unlink('acme', 'serial', 'SN123');
    expect(await devices.findByLink('acme', 'serial', 'SN123')).toBeUndefined();
  });

  it('claims a link once: of concurrent claims one wins and every claimer learns the owner', async () => {
    const { devices } = fx.stores;
    const claims = await Promise.all(
      ['c1', 'c2', 'c3'].map((id) => devices.claimLink('acme', 'serial', 'SNCLAIM', id)),
    );
    expect(new Set(claims).size).toBe(1);
    expect(['c1', 'c2', 'c3']).toContain(claims[0]);
    // The owner claiming again keeps it; after an unlink the value is free again.
    expect(await devices.claimLink('acme', 'serial', 'SNCLAIM', claims[0])).toBe(claims[0]);
    await devices.unlink('acme', 'serial', 'SNCLAIM');
    expect(await devices.claimLink('acme', 'serial', 'SNCLAIM', 'c4')).toBe('c4');
  });

  it('deletes at a rev only once: a second delete, or one at a stale rev, reports false', async () => {
    const { devices } = fx.stores;
    await devices.create(newDevice({ id: 'pending1' }));
    const read = (await devices.get('acme', 'pending1'))!;
    await devices.save({ ...read, name: 'renamed' });
    expect(await devices.delete('acme', 'pending1', read.rev)).toBe(false); // changed since read
    expect(await devices.get('acme', 'pending1')).toBeDefined();
    const fresh = (await devices.get('acme', 'pending1'))!;
    const both = await Promise.all([
      devices.delete('acme', 'pending1', fresh.rev),
      devices.delete('acme', 'pending1', fresh.rev),
    ]);
    expect(both.sort()).toEqual([false, true]);
    expect(await devices.get('acme', 'pending1')).toBeUndefined();
  });
});

describe('DeviceStore: the device item and its detail item', () => {
  const rawItem = async (id: string, sk: string) =>
    (
      await fx.dynamo.client.send(
        new GetItemCommand({ TableName: 'Main', Key: { pk: { S: `DEVICE#acme#${id}` }, sk: { S: sk } } }),
      )
    ).Item;
  const itemBytes = (item: Record<string, unknown> | undefined) => JSON.stringify(item).length;
  const apps = Array.from({ length: 300 }, (_, i) => ({
    identifier: `com.vendor.app${i}`,
    version: '1.0',
    managed: true,
  }));

  it('leaves what its key holds and the values every device starts with out of its item, and reads them back', async () => {
    const { devices } = fx.stores;
    await devices.create(newDevice({ id: 'starting1' }));
    const item = (await rawItem('starting1', 'DEVICE'))!;
    expect(item.id).toBeUndefined();
    expect(item.tenantId).toBeUndefined();
    expect(item.adminLocked).toBeUndefined();
    expect(item.pendingCommands).toBeUndefined();
    expect(item.prohibitedApps).toBeUndefined();
    const read = (await devices.get('acme', 'starting1'))!;
    expect(read).toMatchObject({
      id: 'starting1',
      tenantId: 'acme',
      adminLocked: false,
      prohibitedApps: [],
      pendingCommands: {},
    });
    // Once a value differs it is stored, and it reads back as stored.
    await devices.save({ ...read, adminLocked: true, prohibitedApps: ['com.bad.app'], pendingCommands: { Lock: 1 } });
    expect(await devices.get('acme', 'starting1')).toMatchObject({
      adminLocked: true,
      prohibitedApps: ['com.bad.app'],
      pendingCommands: { Lock: 1 },
    });
    expect((await devices.list('acme', { adminLocked: true })).items.map((d) => d.id)).toContain('starting1');
  });

  it('keeps a device with a large inventory under 1 KB, and stores the inventory again only when its content changes', async () => {
    const { devices } = fx.stores;
    await devices.create(
      newDevice({
        id: 'detail1',
        name: 'Front desk iPad',
        serialNumber: 'F9FXK0ABC123',
        push: { token: 'a'.repeat(64), magic: 'b'.repeat(36) },
        identityCertHash: 'c'.repeat(64),
        enrolledVia: 'd'.repeat(64),
        deliveredProfiles: [{ identifier: 'com.example.wifi', hash: 'e'.repeat(64) }],
        inventory: { apps, profiles: [], readAt: '2026-11-23T09:00:00.000Z' },
      }),
    );
    expect(itemBytes(await rawItem('detail1', 'DEVICE'))).toBeLessThan(1024);
    const detailRev = async () => Number((await rawItem('detail1', 'DEVICE#DETAIL'))?.rev?.N);
    expect(await detailRev()).toBe(0);

    // A read that finds the same content: the device item records when, the detail item is untouched.
    let read = (await devices.get('acme', 'detail1'))!;
    await devices.save({
      ...read,
      lastSeenAt: '2026-11-24T09:00:00.000Z',
      inventory: { ...read.inventory, readAt: '2026-11-24T09:00:00.000Z' },
    });
    expect(await detailRev()).toBe(0);
    read = (await devices.get('acme', 'detail1'))!;
    expect(read.inventory).toEqual({ apps, profiles: [], readAt: '2026-11-24T09:00:00.000Z' });
    expect(read).toMatchObject({
      name: 'Front desk iPad',
      serialNumber: 'F9FXK0ABC123',
      push: { token: 'a'.repeat(64) },
    });

    // A change of content (or of a rarely changing fact) is stored with the write that made it.
    await devices.save({ ...read, inventory: { ...read.inventory, apps: apps.slice(1) } });
    expect(await detailRev()).toBe(read.rev + 1);
    read = (await devices.get('acme', 'detail1'))!;
    expect(read.inventory?.apps).toHaveLength(299);
    await devices.save({ ...read, name: 'Back office iPad' });
    expect((await devices.get('acme', 'detail1'))?.name).toBe('Back office iPad');
    // Lists read both items too.
    const listed = (await devices.list('acme', { q: 'Back office' })).items;
    expect(listed.map((d) => [d.id, d.inventory?.apps?.length])).toEqual([['detail1', 299]]);

    expect(await devices.delete('acme', 'detail1')).toBe(true);
    expect(await rawItem('detail1', 'DEVICE#DETAIL')).toBeUndefined();
  });
});

describe('CommandStore', () => {
  it('returns the live queue in priority then creation order, and removes finished commands', async () => {
    const { commands } = fx.stores;
    await commands.enqueue(newCommand({ deviceId: 'q1', id: '0001', priority: 5 }));
    await commands.enqueue(newCommand({ deviceId: 'q1', id: '0002', priority: 0, requestType: 'DeviceLock' }));
    await commands.enqueue(newCommand({ deviceId: 'q1', id: '0003', priority: 5 }));
    await commands.enqueue(newCommand({ deviceId: 'q2', id: '0004' }));
    expect((await commands.liveQueue('acme', 'q1')).map((c) => c.id)).toEqual(['0002', '0001', '0003']);
    await commands.remove('acme', 'q1', '0002');
    expect((await commands.liveQueue('acme', 'q1')).map((c) => c.id)).toEqual(['0001', '0003']);
    expect(await commands.clear('acme', 'q1')).toBe(2);
    expect(await commands.liveQueue('acme', 'q1')).toEqual([]);
    expect(await commands.liveQueue('acme', 'q2')).toHaveLength(1);
  });

  it('reads a device with its live queue in queue order, and nothing of a device with a longer id', async () => {
    const { commands, devices } = fx.stores;
    await devices.create(newDevice({ id: 'sq1', inventory: { apps: [{ identifier: 'com.example.a' }] } }));
    await devices.create(newDevice({ id: 'sq10' }));
    await commands.enqueue(newCommand({ deviceId: 'sq1', id: '0001', priority: 5 }));
    await commands.enqueue(newCommand({ deviceId: 'sq1', id: '0002', priority: 0 }));
    await commands.enqueue(newCommand({ deviceId: 'sq10', id: '0003' }));
    const session = await devices.getWithQueue('acme', 'sq1');
    expect(session?.device).toEqual(await devices.get('acme', 'sq1'));
    expect(session?.device.inventory?.apps).toEqual([{ identifier: 'com.example.a' }]);
    expect(session?.live.map((c) => c.id)).toEqual(['0002', '0001']);
    expect((await devices.getWithQueue('acme', 'sq10'))?.live.map((c) => c.id)).toEqual(['0003']);
    expect(await devices.getWithQueue('acme', 'nobody')).toBeUndefined();
    expect(await devices.getWithQueue('other', 'sq1')).toBeUndefined();
  });

  it('queues a command id once: a second enqueue of the same id writes nothing and says so', async () => {
    const { commands } = fx.stores;
    expect(await commands.enqueue(newCommand({ deviceId: 'q3', id: 'fixed', requestType: 'DeviceLock' }))).toBe(true);
    expect(await commands.enqueue(newCommand({ deviceId: 'q3', id: 'fixed', requestType: 'EraseDevice' }))).toBe(false);
    expect((await commands.liveQueue('acme', 'q3')).map((c) => [c.id, c.requestType])).toEqual([
      ['fixed', 'DeviceLock'],
    ]);
  });
});

describe('BulkOperationStore', () => {
  const chunk = (
    n: number,
    queued: number,
    refusals: Array<{ deviceId: string; code: string; message: string }> = [],
  ) => ({ chunk: n, targeted: queued + refusals.length, queued, refusals, finishedAt: '2026-11-23T10:00:00.000Z' });

  it('records each listed page and each chunk once, however often a step is retried', async () => {
    const { bulk } = fx.stores;
    await bulk.create('acme', {
      id: 'op1',
      type: 'Lock',
      createdAt: '2026-11-23T09:00:00.000Z',
      target: { filter: { platform: 'ios' } },
      sealedParams: 'sealed',
    });
    await expect(
      bulk.create('acme', { id: 'op1', type: 'Wipe', createdAt: '2026-11-23T09:00:00.000Z', target: { deviceIds: 1 } }),
    ).rejects.toThrow();
    await bulk.recordListedPage('acme', 'op1', 0, 500);
    await bulk.recordListedPage('acme', 'op1', 0, 500);
    const listed = await bulk.recordListedPage('acme', 'op1', 1, 20, 6);
    expect(listed).toMatchObject({ listedPages: { 0: 500, 1: 20 }, totalChunks: 6, chunksDone: 0 });

    expect(
      await bulk.recordChunk('acme', 'op1', chunk(1, 99, [{ deviceId: 'd7', code: 'conflict', message: 'withdrawn' }])),
    ).toMatchObject({ recorded: true, op: { chunksDone: 1 } });
    expect(await bulk.recordChunk('acme', 'op1', chunk(1, 100))).toEqual({ recorded: false });
    expect((await bulk.recordChunk('acme', 'op1', chunk(0, 100))).op?.chunksDone).toBe(2);
    expect(await bulk.hasChunk('acme', 'op1', 1)).toBe(true);
    expect(await bulk.hasChunk('acme', 'op1', 2)).toBe(false);
    expect((await bulk.chunks('acme', 'op1')).map((c) => [c.chunk, c.queued, c.refusals.length])).toEqual([
      [0, 100, 0],
      [1, 99, 1],
    ]);
  });

  it('finishes once, erasing the sealed params; another tenant sees nothing', async () => {
    const { bulk } = fx.stores;
    await bulk.create('acme', {
      id: 'op2',
      type: 'Lock',
      createdAt: '2026-11-23T09:00:00.000Z',
      target: { deviceIds: 3 },
      sealedParams: 'sealed-pin',
      totalChunks: 1,
    });
    expect(await bulk.finish('acme', 'op2', '2026-11-23T09:05:00.000Z')).toBe(true);
    expect(await bulk.finish('acme', 'op2', '2026-11-23T09:06:00.000Z')).toBe(false);
    const op = await bulk.get('acme', 'op2');
    expect(op).toMatchObject({ finishedAt: '2026-11-23T09:05:00.000Z', target: { deviceIds: 3 } });
    expect(op).not.toHaveProperty('sealedParams');
    expect(op).not.toHaveProperty('expiresAt');
    expect(await bulk.get('other', 'op2')).toBeUndefined();
    expect(await bulk.chunks('other', 'op2')).toEqual([]);
  });
});

describe('LogStore', () => {
  it('stamps expiresAt = created + 90 days and never returns an expired item', async () => {
    const { logs } = fx.stores;
    fx.clock.set('2026-11-23T09:00:00.000Z');
    const old = await logs.append({
      tenantId: 'logs',
      type: 'event',
      severity: 'info',
      at: '2026-08-01T00:00:00.000Z',
      event: 'old',
      message: 'old one',
    });
    expect(old.expiresAt).toBe(Date.parse('2026-08-01T00:00:00.000Z') / 1000 + 90 * 86400);
    await logs.append({
      tenantId: 'logs',
      type: 'alarm',
      severity: 'critical',
      at: '2026-11-20T00:00:00.000Z',
      event: 'apns',
      message: 'renew the Apple push certificate',
    });
    await logs.append({
      tenantId: 'logs',
      type: 'command',
      severity: 'info',
      at: '2026-11-21T00:00:00.000Z',
      event: 'cmd',
      message: 'InstallProfile acknowledged',
      deviceId: 'd9',
    });
    const all = await logs.query('logs', {});
    expect(all.items.map((l) => l.event)).toEqual(['cmd', 'apns']); // newest first, the expired one gone
    expect((await logs.query('logs', { type: 'alarm' })).items.map((l) => l.event)).toEqual(['apns']);
    expect((await logs.query('logs', { deviceId: 'd9' })).items.map((l) => l.event)).toEqual(['cmd']);
    expect((await logs.query('logs', { severity: 'critical' })).items.map((l) => l.event)).toEqual(['apns']);
    expect((await logs.query('logs', { q: 'renew' })).items.map((l) => l.event)).toEqual(['apns']);
    expect((await logs.query('logs', { from: '2026-11-20T12:00:00.000Z' })).items.map((l) => l.event)).toEqual(['cmd']);
    expect((await logs.query('logs', { to: '2026-11-20T12:00:00.000Z' })).items.map((l) => l.event)).toEqual(['apns']);
    expect(all.items[0]).not.toHaveProperty('typeKey');
  });

  it('pages newest first with a cursor', async () => {
    const { logs } = fx.stores;
    for (let i = 0; i < 5; i++) {
      await logs.append({
        tenantId: 'paging',
        type: 'event',
        severity: 'info',
        at: `2026-11-2${i}T00:00:00.000Z`,
        event: `e${i}`,
        message: 'm',
      });
    }
    const first = await logs.query('paging', {}, undefined, 2);
    const second = await logs.query('paging', {}, first.cursor, 2);
    const third = await logs.query('paging', {}, second.cursor, 2);
    expect([...first.items, ...second.items, ...third.items].map((l) => l.event)).toEqual([
      'e4',
      'e3',
      'e2',
      'e1',
      'e0',
    ]);
  });
});

describe('AlarmStore', () => {
  it('reports whether an alarm was already active, so counts can stay exact', async () => {
    const { alarms } = fx.stores;
    const alarm = {
      tenantId: 'acme',
      key: 'apns-certificate',
      severity: 'critical' as const,
      message: 'renew',
      raisedAt: 'now',
    };
    expect(await alarms.raise(alarm)).toBeUndefined();
    expect(await alarms.raise(alarm)).toMatchObject({ key: 'apns-certificate' });
    expect((await alarms.list('acme')).map((a) => a.key)).toEqual(['apns-certificate']);
    expect(await alarms.clear('acme', 'apns-certificate')).toMatchObject({ severity: 'critical' });
    expect(await alarms.clear('acme', 'apns-certificate')).toBeUndefined();
  });
});

describe('CounterStore', () => {
  it('sums sharded deltas and resets to a recount', async () => {
    const { counters } = fx.stores;
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        counters.add('acme', { 'sync:Synchronized': 1, 'sync:Sync-Required': -1 }, `dev-${i}`),
      ),
    );
    expect(await counters.read('acme')).toMatchObject({ 'sync:Synchronized': 40, 'sync:Sync-Required': -40 });
    await counters.reset('acme', { 'sync:Synchronized': 3 });
    expect(await counters.read('acme')).toEqual({ 'sync:Synchronized': 3 });
  });
});

describe('PushBudgetStore', () => {
  it('never grants more than the cap in a minute, whatever the number of concurrent workers', async () => {
    const { budget } = fx.stores;
    const grants = await Promise.all(Array.from({ length: 12 }, () => budget.reserve('acme', 29000000, 7, 50)));
    expect(grants.reduce((a, b) => a + b, 0)).toBe(50);
    expect(await budget.used('acme', 29000000)).toBe(50);
    expect(await budget.reserve('acme', 29000000, 1, 50)).toBe(0);
    expect(await budget.reserve('other', 29000000, 80, 50)).toBe(50); // budgets are per tenant
  });
});

describe('SecretStore', () => {
  it('stores secrets sealed and opens them only for the tenant they were written for', async () => {
    const { secrets } = fx.stores;
    await secrets.put('acme', 'ca-key', '-----BEGIN PRIVATE KEY-----');
    expect(await secrets.get('acme', 'ca-key')).toBe('-----BEGIN PRIVATE KEY-----');
    expect(await secrets.get('other', 'ca-key')).toBeUndefined();
  });
});
