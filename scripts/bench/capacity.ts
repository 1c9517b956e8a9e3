// DynamoDB capacity rules, as AWS documents them, applied to items in wire form (AttributeValue
// maps). dynalite does report ConsumedCapacity, but only for the table: it never charges the
// writes a change causes in global secondary indexes, which is where much of our write cost is.
// So the benchmark computes write units itself from each item's image before and after a write.
//
// Rules (DynamoDB developer guide, "read and write operations", "GSI writes"):
// - item size: attribute names (UTF-8) + values; numbers ≈ 1 byte per 2 significant digits + 1;
//   lists and maps 3 bytes + 1 per element; null and booleans 1 byte.
// - a write costs 1 write unit per started KB of the larger of the item's before and after images
//   (a delete: the deleted item; a failed condition: the existing item, at least 1).
// - each GSI the change touches costs more: an item entering or leaving the index 1 write, a
//   change of its index key 2 (delete + put), a change of a projected attribute 1; KEYS_ONLY
//   projects only keys, so other attribute changes cost the index nothing.
// - a read costs 1 unit per started 4 KB (strongly consistent) or half that (eventually
//   consistent, the only kind on a GSI); a Query sums the sizes of the items it reads first; a
//   read that finds nothing still costs the minimum.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type Item = Record<string, AttributeValue>;

export interface IndexDef {
  name: string;
  partitionKey: string;
  sortKey?: string;
  projection: 'KEYS_ONLY' | 'ALL';
}

export interface TableDef {
  name: string;
  partitionKey: string;
  sortKey?: string;
  indexes: IndexDef[];
}

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

function numberSize(n: string): number {
  // Significant digits: no sign, exponent, decimal point, leading or trailing zeros.
  const mantissa = n.replace(/^[+-]/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return 1 + Math.ceil(Math.max(1, mantissa.length) / 2);
}

export function attributeSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((s, v) => s + utf8(v), 0);
  if (value.NS !== undefined) return value.NS.reduce((s, v) => s + numberSize(v), 0);
  if (value.BS !== undefined) return value.BS.reduce((s, v) => s + v.length, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((s, v) => s + 1 + attributeSize(v), 0);
  if (value.M !== undefined)
    return 3 + Object.entries(value.M).reduce((s, [k, v]) => s + 1 + utf8(k) + attributeSize(v), 0);
  throw new Error(`unknown attribute value ${JSON.stringify(value)}`);
}

export function itemSize(item: Item | undefined): number {
  if (!item) return 0;
  return Object.entries(item).reduce((s, [name, v]) => s + utf8(name) + attributeSize(v), 0);
}

export const WRITE_UNIT_BYTES = 1024;
export const READ_UNIT_BYTES = 4096;

export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES));
}

export function readUnits(bytes: number, consistent: boolean): number {
  return Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES)) * (consistent ? 1 : 0.5);
}

const same = (a: AttributeValue | undefined, b: AttributeValue | undefined) => JSON.stringify(a) === JSON.stringify(b);

function inIndex(index: IndexDef, item: Item | undefined): item is Item {
  return !!item && item[index.partitionKey] !== undefined && (!index.sortKey || item[index.sortKey] !== undefined);
}

/** What the index stores for an item: keys only, or the whole item. */
function indexEntry(table: TableDef, index: IndexDef, item: Item): Item {
  if (index.projection === 'ALL') return item;
  const names = [table.partitionKey, table.sortKey, index.partitionKey, index.sortKey].filter((n): n is string => !!n);
  return Object.fromEntries(names.filter((n) => item[n] !== undefined).map((n) => [n, item[n]]));
}

function canonical(item: Item): string {
  return JSON.stringify(
    Object.keys(item)
      .sort()
      .map((k) => [k, item[k]]),
  );
}

/** Write units one index is charged for a change from `before` to `after` (either may be absent). */
export function indexWriteUnits(
  table: TableDef,
  index: IndexDef,
  before: Item | undefined,
  after: Item | undefined,
): number {
  const was = inIndex(index, before);
  const is = inIndex(index, after);
  if (!was && !is) return 0;
  if (was && !is) return writeUnits(itemSize(indexEntry(table, index, before)));
  if (!was && is) return writeUnits(itemSize(indexEntry(table, index, after)));
  const b = before as Item;
  const a = after as Item;
  const keyChanged =
    !same(b[index.partitionKey], a[index.partitionKey]) ||
    (!!index.sortKey && !same(b[index.sortKey], a[index.sortKey]));
  if (keyChanged)
    return writeUnits(itemSize(indexEntry(table, index, b))) + writeUnits(itemSize(indexEntry(table, index, a)));
  const entryBefore = indexEntry(table, index, b);
  const entryAfter = indexEntry(table, index, a);
  if (canonical(entryBefore) === canonical(entryAfter)) return 0;
  return writeUnits(Math.max(itemSize(entryBefore), itemSize(entryAfter)));
}

export interface WriteCost {
  table: number;
  /** Per index name, only the indexes that were charged. */
  indexes: Record<string, number>;
  total: number;
}

/**
 * The write units of one successful write (put, update or delete) from the item's images. A write
 * whose condition failed is charged `failedConditionUnits` instead.
 */
export function writeCost(table: TableDef, before: Item | undefined, after: Item | undefined): WriteCost {
  const tableUnits = writeUnits(Math.max(itemSize(before), itemSize(after)));
  const indexes: Record<string, number> = {};
  for (const index of table.indexes) {
    const units = indexWriteUnits(table, index, before, after);
    if (units) indexes[index.name] = units;
  }
  return { table: tableUnits, indexes, total: tableUnits + Object.values(indexes).reduce((s, v) => s + v, 0) };
}

/** A conditional write whose condition was false still consumes units for the existing item. */
export function failedConditionUnits(existing: Item | undefined): number {
  return writeUnits(itemSize(existing));
}

/** The capacity view of the project's CreateTable definitions (lambdas/adapters/dynamodb/tables.ts). */
export function tableDefsFrom(
  defs: Array<{
    TableName?: string;
    KeySchema?: Array<{ AttributeName?: string; KeyType?: string }>;
    GlobalSecondaryIndexes?: Array<{
      IndexName?: string;
      KeySchema?: Array<{ AttributeName?: string; KeyType?: string }>;
      Projection?: { ProjectionType?: string };
    }>;
  }>,
): TableDef[] {
  const keys = (schema: Array<{ AttributeName?: string; KeyType?: string }> = []) => ({
    partitionKey: schema.find((k) => k.KeyType === 'HASH')?.AttributeName ?? '',
    sortKey: schema.find((k) => k.KeyType === 'RANGE')?.AttributeName,
  });
  return defs.map((d) => ({
    name: d.TableName ?? '',
    ...keys(d.KeySchema),
    indexes: (d.GlobalSecondaryIndexes ?? []).map((g) => {
      if (g.Projection?.ProjectionType !== 'KEYS_ONLY' && g.Projection?.ProjectionType !== 'ALL') {
        throw new Error(`index ${g.IndexName}: projection ${g.Projection?.ProjectionType} is not modelled`);
      }
      return { name: g.IndexName ?? '', ...keys(g.KeySchema), projection: g.Projection.ProjectionType };
    }),
  }));
}
