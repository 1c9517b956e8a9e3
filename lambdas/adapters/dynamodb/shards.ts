// Sharded partition keys (docs/architecture.md "Hot keys"). A list that one tenant writes at fleet
// rate (its logs, its devices by sync state) is spread over a fixed number of partition keys, so no
// DynamoDB partition takes more than its 1,000 write units a second; it is read back in order by a
// k-way merge of its shards, whose cursor carries where the list stands in each of them.
import { createHash } from 'node:crypto';
import { badRequest } from '../../domain/errors';

/** Logs table and its byTypeShard index: `{t}#{shard}` and `{t}#{type}#{shard}`, shard = hash(log id). */
export const LOG_SHARDS = 16;
/** Main table gsi2 (devices by sync state): `{t}#sync#{state}#{shard}`, shard = hash(device id). */
export const SYNC_STATE_SHARDS = 16;

/** A stable, uniform shard of a value (sha1's first byte: uniform for any power-of-two count up to 256). */
export function shardOf(value: string, shards: number): number {
  return createHash('sha1').update(value).digest()[0] % shards;
}

export const logShard = (logId: string) => shardOf(logId, LOG_SHARDS);

/** One gsi2 partition of the devices in a sync state. */
export const syncStatePartition = (tenantId: string, state: string, shard: number) =>
  `${tenantId}#sync#${state}#${shard}`;

/** The gsi2 partition key of a device in a sync state. */
export const syncStateKey = (tenantId: string, state: string, deviceId: string) =>
  syncStatePartition(tenantId, state, shardOf(deviceId, SYNC_STATE_SHARDS));

/**
 * Where a list stands in one partition: after this sort value (exclusive), `null` from the start,
 * `false` read to its end.
 */
export type Position = string | null | false;

/** One partition of a merged list: a read in list order after `after`, at most `limit` items. */
export interface Partition<T> {
  /** `last` is the sort value where the read stopped (DynamoDB's LastEvaluatedKey); none at the partition's end. */
  read(after: string | undefined, limit: number): Promise<{ items: T[]; last?: string }>;
}

export interface MergedPage<T> {
  items: T[];
  /** One per partition; none once every partition is read to its end. */
  positions?: Position[];
}

/** The positions a cursor carries (`cursorKey`); 400 when it does not hold one per partition. */
export function positionsFrom(key: Record<string, unknown> | undefined, partitions: number): Position[] | undefined {
  if (!key) return undefined;
  const p = key.shards;
  if (
    Array.isArray(p) &&
    p.length === partitions &&
    p.every((x) => x === null || x === false || (typeof x === 'string' && x !== ''))
  )
    return p as Position[];
  throw badRequest('cursor is not valid for this list: pass back the cursor of the previous page, unchanged');
}

/** What a cursor signs for a merged list (adapters/dynamodb/cursor.ts). */
export const cursorKey = (positions: Position[]) => ({ shards: positions });

/**
 * Up to `limit` items of a list spread over `partitions`, in sort-value order (ascending or
 * descending), from `start`. Every partition is read once at the start, in parallel, a little more
 * than its share of the page; a partition is read again only when its buffer runs dry before the
 * page is full, because no item can be placed before every partition's next item is known.
 * Sort values are unique across partitions (they end with an id) and ASCII (ids, ISO times), so
 * JavaScript's string order is DynamoDB's byte order.
 */
export async function mergePartitions<T>(
  partitions: Array<Partition<T>>,
  sortValue: (item: T) => string,
  order: 'asc' | 'desc',
  start: Position[] | undefined,
  limit: number,
): Promise<MergedPage<T>> {
  const first = (a: string, b: string) => (order === 'asc' ? a < b : a > b);
  const state = partitions.map((partition, i) => {
    const at = start?.[i] ?? null;
    return {
      partition,
      buffer: [] as T[],
      more: at !== false,
      /** The sort value the partition has been read up to; the last one consumed from it. */
      readTo: at || undefined,
      consumedTo: at || undefined,
    };
  });
  const live = state.filter((s) => s.more).length;
  const readSize = live <= 1 ? limit : Math.ceil((2 * limit) / live) + 1;
  const items: T[] = [];
  while (items.length < limit) {
    const dry = state.filter((s) => s.buffer.length === 0 && s.more);
    if (dry.length) {
      await Promise.all(
        dry.map(async (s) => {
          const after = s.readTo;
          const out = await s.partition.read(after, readSize);
          // Only items strictly past the start position: a rebuilt start key can never repeat one.
          s.buffer.push(...out.items.filter((x) => after === undefined || first(after, sortValue(x))));
          s.readTo = out.last;
          s.more = out.last !== undefined;
        }),
      );
      continue;
    }
    let next: (typeof state)[number] | undefined;
    for (const s of state) {
      if (s.buffer.length && (!next || first(sortValue(s.buffer[0]), sortValue(next.buffer[0])))) next = s;
    }
    if (!next) break;
    const item = next.buffer.shift() as T;
    next.consumedTo = sortValue(item);
    items.push(item);
  }
  const positions: Position[] = state.map((s) =>
    s.buffer.length ? (s.consumedTo ?? null) : s.more ? (s.readTo ?? null) : false,
  );
  return { items, positions: positions.every((p) => p === false) ? undefined : positions };
}
