import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { tableDefinitions } from '../../lambdas/adapters/dynamodb/tables';
import {
  failedConditionUnits,
  type Item,
  indexWriteUnits,
  itemSize,
  readUnits,
  tableDefsFrom,
  writeCost,
  writeUnits,
} from '../../scripts/bench/capacity';

// dynalite ships no types; its itemSize follows the same documented rules (ASCII strings).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynaliteItemSize = (require('dynalite/db') as { itemSize: (item: Record<string, AttributeValue>) => number })
  .itemSize;

const [main, logs] = tableDefsFrom(tableDefinitions({ main: 'Main', logs: 'Logs' }));
const S = (s: string): AttributeValue => ({ S: s });

describe('bench DynamoDB capacity rules', () => {
  it('reads the table definitions: five KEYS_ONLY indexes on Main; on Logs byDevice ALL, byTypeShard KEYS_ONLY', () => {
    expect(main.indexes.map((i) => `${i.name}:${i.projection}`)).toEqual([
      'gsi1:KEYS_ONLY',
      'gsi2:KEYS_ONLY',
      'gsi3:KEYS_ONLY',
      'gsi4:KEYS_ONLY',
      'gsi5:KEYS_ONLY',
    ]);
    expect(logs.indexes.map((i) => `${i.name}:${i.partitionKey}:${i.projection}`)).toEqual([
      'byDevice:deviceKey:ALL',
      'byTypeShard:typeShardKey:KEYS_ONLY',
    ]);
  });

  it('sizes items as DynamoDB does (names + values; maps and lists with overhead)', () => {
    expect(itemSize({ pk: S('abc') })).toBe(5);
    expect(itemSize({ n: { N: '12345' } })).toBe(1 + 4); // 1 + ceil(5/2)
    expect(itemSize({ b: { BOOL: true }, z: { NULL: true } })).toBe(4);
    expect(itemSize({ m: { M: { a: S('xy') } } })).toBe(1 + 3 + 1 + 1 + 2);
    expect(itemSize({ l: { L: [S('a'), S('bc')] } })).toBe(1 + 3 + (1 + 1) + (1 + 2));
    expect(itemSize({ s: S('é') })).toBe(3); // UTF-8 bytes
    const sample: Item = {
      pk: S('DEVICE#demo#abc'),
      sk: S('DEVICE'),
      name: S('Simulated iPhone'),
      rev: { N: '7' },
      inventory: { M: { apps: { L: [{ M: { identifier: S('com.example.app'), version: S('1.0') } }] } } },
    };
    expect(itemSize(sample)).toBe(dynaliteItemSize(sample));
  });

  it('rounds writes up per KB and reads per 4 KB, with minimums', () => {
    expect(writeUnits(0)).toBe(1);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
    expect(readUnits(0, true)).toBe(1);
    expect(readUnits(4097, true)).toBe(2);
    expect(readUnits(4097, false)).toBe(1);
    expect(failedConditionUnits(undefined)).toBe(1);
  });

  const device = (state: string, extra: Item = {}): Item => ({
    pk: S('DEVICE#t#d1'),
    sk: S('DEVICE'),
    gsi1pk: S('t#devices'),
    gsi1sk: S('d1'),
    gsi2pk: S(`t#sync#${state}`),
    gsi2sk: S('d1'),
    ...extra,
  });

  it('charges a KEYS_ONLY index only when the item enters, leaves or moves in it', () => {
    const gsi2 = main.indexes.find((i) => i.name === 'gsi2')!;
    const gsi5 = main.indexes.find((i) => i.name === 'gsi5')!;
    expect(indexWriteUnits(main, gsi2, device('Synchronized'), device('Synchronized', { name: S('renamed') }))).toBe(0);
    expect(indexWriteUnits(main, gsi2, device('Synchronized'), device('Sync-Requested'))).toBe(2); // delete + put
    expect(indexWriteUnits(main, gsi2, undefined, device('Synchronized'))).toBe(1);
    expect(indexWriteUnits(main, gsi2, device('Synchronized'), undefined)).toBe(1);
    const awaiting = { gsi5pk: S('awaiting#3'), gsi5sk: S('2026-01-01#t#d1') };
    expect(indexWriteUnits(main, gsi5, device('Synchronized'), device('Synchronized', awaiting))).toBe(1);
    expect(indexWriteUnits(main, gsi5, device('Synchronized'), device('Synchronized'))).toBe(0);
  });

  it('charges an ALL index the whole item and a KEYS_ONLY one its keys, and sums the table and its indexes', () => {
    const log: Item = {
      pk: S('t#3'),
      sk: S('2026#1'),
      typeShardKey: S('t#event#3'),
      deviceKey: S('t#d1'),
      message: S('x'.repeat(1500)),
    };
    expect(writeCost(logs, undefined, log)).toEqual({ table: 2, indexes: { byDevice: 2, byTypeShard: 1 }, total: 5 });
    const { deviceKey: _deviceKey, ...tenantLog } = log;
    expect(writeCost(logs, undefined, tenantLog)).toEqual({ table: 2, indexes: { byTypeShard: 1 }, total: 3 });
    expect(writeCost(logs, log, undefined).total).toBe(5); // a delete removes it from both indexes
    expect(writeCost(main, device('Synchronized'), device('Sync-Requested'))).toEqual({
      table: 1,
      indexes: { gsi2: 2 },
      total: 3,
    });
  });
});
