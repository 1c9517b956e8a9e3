// Lists spread over sharded partition keys (adapters/dynamodb/shards.ts): a tenant's logs (per
// tenant, per type) and its devices by sync state are read back by merging their shards. What a
// user relies on: every item once, in order, pages that are never empty while more exist, and a
// cursor that only works on the list it came from.
import { CreateTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTables, startEmbeddedDynamo } from '../../lambdas/adapters/dynamodb/embedded';
import { LOG_SHARDS, logShard, SYNC_STATE_SHARDS, shardOf } from '../../lambdas/adapters/dynamodb/shards';
import { makeDynamoStores } from '../../lambdas/adapters/dynamodb/stores';
import { tableDefinitions } from '../../lambdas/adapters/dynamodb/tables';
import { AesSecretBox } from '../../lambdas/adapters/local/secret-box';
import type { LogItem, LogType, Page } from '../../lambdas/domain/types';
import type { LogQuery } from '../../lambdas/ports';
import { FakeClock, useDynamo } from '../support/dynamo';
import { newDevice } from '../support/factories';

const fx = useDynamo();

/** Every page of a list, following its cursor to the end. */
async function allPages<T>(read: (cursor?: string) => Promise<Page<T>>): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    pages.push(page.items);
    cursor = page.cursor;
    // Never an empty page while more exist: a page with a next cursor has items.
    if (cursor) expect(page.items.length).toBeGreaterThan(0);
  } while (cursor);
  return pages;
}

const TYPES: LogType[] = ['event', 'command', 'alarm'];

describe('logs over LOG_SHARDS partitions', () => {
  const tenantId = 'sharded-logs';
  const lines: LogItem[] = [];

  beforeAll(async () => {
    fx.clock.set('2026-11-23T09:00:00.000Z');
    for (let i = 0; i < 90; i++) {
      lines.push(
        await fx.stores.logs.append({
          tenantId,
          type: TYPES[i % 3],
          severity: i % 5 === 0 ? 'warning' : 'info',
          // Some lines share their time: the id orders them.
          at: new Date(Date.parse('2026-11-20T00:00:00.000Z') + Math.floor(i / 2) * 60_000).toISOString(),
          event: `e${i}`,
          message: `line ${i}`,
          deviceId: `dev${i % 4}`,
        }),
      );
    }
    // Another tenant's lines never show.
    await fx.stores.logs.append({
      tenantId: 'sharded-logs-other',
      type: 'event',
      severity: 'info',
      at: '2026-11-21T00:00:00.000Z',
      event: 'other',
      message: 'not yours',
    });
  });

  const newestFirst = (xs: LogItem[]) => [...xs].sort((a, b) => `${b.at}#${b.id}`.localeCompare(`${a.at}#${a.id}`));
  const paged = async (q: LogQuery, limit: number) =>
    allPages((cursor) => fx.stores.logs.query(tenantId, q, cursor, limit));

  it('spreads a tenant’s lines over many partitions', () => {
    expect(new Set(lines.map((l) => logShard(l.id))).size).toBeGreaterThan(LOG_SHARDS / 2);
  });

  it.each([
    ['the tenant', {}, () => true],
    ['a type', { type: 'command' }, (l: LogItem) => l.type === 'command'],
    ['a device', { deviceId: 'dev1' }, (l: LogItem) => l.deviceId === 'dev1'],
    [
      'a device and a type',
      { deviceId: 'dev2', type: 'alarm' },
      (l: LogItem) => l.deviceId === 'dev2' && l.type === 'alarm',
    ],
    [
      'a type and a severity',
      { type: 'event', severity: 'warning' },
      (l: LogItem) => l.type === 'event' && l.severity === 'warning',
    ],
    ['a search', { q: 'line 1' }, (l: LogItem) => l.message.includes('line 1')],
  ] as Array<[string, LogQuery, (l: LogItem) => boolean]>)(
    'pages the lines of %s newest first, each once',
    async (_, q, wanted) => {
      const expected = newestFirst(lines.filter(wanted)).map((l) => l.id);
      expect(expected.length).toBeGreaterThan(0);
      for (const limit of [2, 7, 100]) {
        const pages = await paged(q, limit);
        for (const page of pages) expect(page.length).toBeLessThanOrEqual(limit);
        expect(pages.flat().map((l) => l.id)).toEqual(expected);
      }
    },
  );

  it('returns whole lines from the keys-only type index, without storage keys', async () => {
    const [page] = await paged({ type: 'alarm' }, 100);
    const line = lines.find((l) => l.id === page[0].id);
    expect(page[0]).toEqual(line);
  });

  it('keeps a time range across shards', async () => {
    const from = '2026-11-20T00:10:00.000Z';
    const to = '2026-11-20T00:20:00.000Z';
    const expected = newestFirst(lines.filter((l) => l.at >= from && l.at <= to)).map((l) => l.id);
    expect(expected.length).toBe(22);
    expect((await paged({ from, to }, 5)).flat().map((l) => l.id)).toEqual(expected);
    const events = newestFirst(lines.filter((l) => l.at >= from && l.at <= to && l.type === 'event')).map((l) => l.id);
    expect((await paged({ from, to, type: 'event' }, 3)).flat().map((l) => l.id)).toEqual(events);
    // A range wholly before the retention holds nothing (and is no error).
    expect((await fx.stores.logs.query(tenantId, { to: '2026-01-01T00:00:00.000Z' })).items).toEqual([]);
  });

  it('refuses a cursor from another tenant, another list or edited (400)', async () => {
    const { cursor } = await fx.stores.logs.query(tenantId, {}, undefined, 3);
    expect(cursor).toBeDefined();
    await expect(fx.stores.logs.query('sharded-logs-other', {}, cursor, 3)).rejects.toMatchObject({ status: 400 });
    await expect(fx.stores.logs.query(tenantId, { type: 'event' }, cursor, 3)).rejects.toMatchObject({ status: 400 });
    await expect(fx.stores.logs.query(tenantId, { deviceId: 'dev1' }, cursor, 3)).rejects.toMatchObject({
      status: 400,
    });
    const [version, payload, signature] = (cursor as string).split('.');
    const edited = Buffer.from(
      Buffer.from(payload, 'base64url')
        .toString('utf8')
        .replace(/"2026-[^"]*"/, 'false'), // one shard marked as read to its end
    ).toString('base64url');
    await expect(fx.stores.logs.query(tenantId, {}, `${version}.${edited}.${signature}`, 3)).rejects.toMatchObject({
      status: 400,
    });
  });
});

describe('devices by sync state over SYNC_STATE_SHARDS partitions', () => {
  const tenantId = 'sharded-devices';
  const ids = Array.from({ length: 48 }, (_, i) => `S${String(i).padStart(2, '0')}`);

  beforeAll(async () => {
    for (const [i, id] of ids.entries()) {
      await fx.stores.devices.create(
        newDevice({
          tenantId,
          id,
          syncState: i % 3 === 0 ? 'Synchronized' : 'Sync-Required',
          // One Android device only, at the end of the id order.
          platform: i === 47 ? 'android' : 'ios',
        }),
      );
    }
  });

  it('spreads a state’s devices over many partitions', () => {
    expect(new Set(ids.map((id) => shardOf(id, SYNC_STATE_SHARDS))).size).toBeGreaterThan(SYNC_STATE_SHARDS / 2);
  });

  it('pages the devices of a state in id order, each once', async () => {
    const expected = ids.filter((_, i) => i % 3 !== 0);
    for (const limit of [1, 5, 100]) {
      const pages = await allPages((cursor) =>
        fx.stores.devices.list(tenantId, { syncState: 'Sync-Required' }, cursor, limit),
      );
      expect(pages.flat().map((d) => d.id)).toEqual(expected);
    }
  });

  it('reads past shards whose devices fail the rest of the filter: no empty page while more exist', async () => {
    const pages = await allPages((cursor) =>
      fx.stores.devices.list(tenantId, { syncState: 'Sync-Required', platform: 'android' }, cursor, 2),
    );
    expect(pages.flat().map((d) => d.id)).toEqual(['S47']);
    expect(pages[0].map((d) => d.id)).toEqual(['S47']);
  });

  it('follows a device that changes state: it leaves one list and joins the other', async () => {
    const d = (await fx.stores.devices.get(tenantId, 'S01'))!;
    await fx.stores.devices.save({ ...d, syncState: 'Synchronized' });
    const synchronized = (await allPages((c) => fx.stores.devices.list(tenantId, { syncState: 'Synchronized' }, c, 4)))
      .flat()
      .map((x) => x.id);
    expect(synchronized).toContain('S01');
    const required = (await allPages((c) => fx.stores.devices.list(tenantId, { syncState: 'Sync-Required' }, c, 4)))
      .flat()
      .map((x) => x.id);
    expect(required).not.toContain('S01');
  });

  it('finds a device still under the unsharded key of a deployment updated from before the sharded keys', async () => {
    const legacy = newDevice({ tenantId, id: 'S23x', syncState: 'Sync-Required' });
    await DynamoDBDocumentClient.from(fx.dynamo.client).send(
      new PutCommand({
        TableName: 'Main',
        Item: {
          pk: `DEVICE#${tenantId}#S23x`,
          sk: 'DEVICE',
          ...legacy,
          gsi2pk: `${tenantId}#sync#Sync-Required`,
          gsi2sk: 'S23x',
        },
      }),
    );
    const listed = (await allPages((c) => fx.stores.devices.list(tenantId, { syncState: 'Sync-Required' }, c, 5)))
      .flat()
      .map((d) => d.id);
    expect(listed.filter((id) => id === 'S23x')).toEqual(['S23x']);
    expect(listed).toEqual([...listed].sort());
    await fx.stores.devices.delete(tenantId, 'S23x');
  });

  it('refuses another tenant’s or another state’s cursor (400)', async () => {
    const { cursor } = await fx.stores.devices.list(tenantId, { syncState: 'Sync-Required' }, undefined, 2);
    expect(cursor).toBeDefined();
    await expect(
      fx.stores.devices.list('someone-else', { syncState: 'Sync-Required' }, cursor, 2),
    ).rejects.toMatchObject({ status: 400 });
    await expect(fx.stores.devices.list(tenantId, { syncState: 'Synchronized' }, cursor, 2)).rejects.toMatchObject({
      status: 400,
    });
  });
});

describe('a local database written before the sharded keys', () => {
  it('is brought up to them at start: old lines and devices are found by every list', async () => {
    const dynamo = await startEmbeddedDynamo();
    try {
      const names = { main: 'Main', logs: 'Logs' };
      const doc = DynamoDBDocumentClient.from(dynamo.client);
      // The earlier design: Logs keyed by tenant with an ALL-projected byType index, gsi2 unsharded.
      const [main, logs] = tableDefinitions(names);
      await dynamo.client.send(new CreateTableCommand(main));
      await dynamo.client.send(
        new CreateTableCommand({
          ...logs,
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
            { AttributeName: 'deviceKey', AttributeType: 'S' },
            { AttributeName: 'typeKey', AttributeType: 'S' },
          ],
          GlobalSecondaryIndexes: [
            logs.GlobalSecondaryIndexes![0],
            {
              IndexName: 'byType',
              KeySchema: [
                { AttributeName: 'typeKey', KeyType: 'HASH' },
                { AttributeName: 'sk', KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'ALL' },
            },
          ],
        }),
      );
      const old = (i: number) => ({
        tenantId: 'old',
        id: `0000old${i}`,
        type: 'command',
        severity: 'info',
        at: `2026-11-2${i}T00:00:00.000Z`,
        event: `c${i}`,
        message: 'm',
        deviceId: 'D1',
        expiresAt: Date.parse(`2026-11-2${i}T00:00:00.000Z`) / 1000 + 90 * 86400,
      });
      for (const i of [0, 1, 2]) {
        const line = old(i);
        await doc.send(
          new PutCommand({
            TableName: 'Logs',
            Item: {
              pk: 'old',
              sk: `${line.at}#${line.id}`,
              typeKey: 'old#command',
              deviceKey: 'old#D1',
              ...line,
            },
          }),
        );
      }
      const device = newDevice({ tenantId: 'old', id: 'D1', syncState: 'Sync-Required' });
      await doc.send(
        new PutCommand({
          TableName: 'Main',
          Item: {
            pk: 'DEVICE#old#D1',
            sk: 'DEVICE',
            ...device,
            gsi1pk: 'old#devices',
            gsi1sk: 'D1',
            gsi2pk: 'old#sync#Sync-Required',
            gsi2sk: 'D1',
            gsi4pk: `old#reg#${device.registrationState}`,
            gsi4sk: 'D1',
          },
        }),
      );

      await ensureTables(dynamo.client, names);
      // A second start changes nothing.
      await ensureTables(dynamo.client, names);

      const clock = new FakeClock(new Date('2026-11-23T09:00:00.000Z'));
      const stores = makeDynamoStores(dynamo.client, names, clock, new AesSecretBox(Buffer.alloc(32, 7)));
      const events = async (q: LogQuery) => (await stores.logs.query('old', q)).items.map((l) => l.event);
      expect(await events({})).toEqual(['c2', 'c1', 'c0']);
      expect(await events({ type: 'command' })).toEqual(['c2', 'c1', 'c0']);
      expect(await events({ deviceId: 'D1' })).toEqual(['c2', 'c1', 'c0']);
      expect((await stores.logs.query('old', {})).items[0]).toEqual(old(2));
      expect((await stores.devices.list('old', { syncState: 'Sync-Required' })).items.map((d) => d.id)).toEqual(['D1']);
      expect((await doc.send(new ScanCommand({ TableName: 'Logs', Select: 'COUNT' }))).Count).toBe(3);
      expect((await dynamo.client.send(new ListTablesCommand({}))).TableNames).toEqual(['Logs', 'Main']);
    } finally {
      await dynamo.stop();
    }
  });
});
