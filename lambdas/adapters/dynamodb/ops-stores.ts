// Operational data: logs (Logs table, 90-day TTL), active alarms, dashboard counters and the
// per tenant-minute push budget (Main table).
import { createHash } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Alarm, LOG_RETENTION_SECONDS, type LogItem, type Page } from '../../domain/types';
import { timeOrderedId } from '../../ids';
import type { AlarmStore, Clock, CounterStore, LogQuery, LogStore, PushBudgetStore } from '../../ports';
import { batchGet, type Dynamo, isConditionFailed, strip } from './client';
import { type CursorCodec, cursorScope } from './cursor';
import { cursorKey, LOG_SHARDS, logShard, mergePartitions, positionsFrom } from './shards';

const logPartition = (tenantId: string, shard: number) => `${tenantId}#${shard}`;
const typePartition = (tenantId: string, type: string, shard: number) => `${tenantId}#${type}#${shard}`;

/** The stored form of a log line: its keys (docs/architecture.md "Logs table") and its fields. */
export function logItemRecord(item: LogItem): Record<string, unknown> {
  const shard = logShard(item.id);
  return {
    ...item,
    pk: logPartition(item.tenantId, shard),
    sk: `${item.at}#${item.id}`,
    typeShardKey: typePartition(item.tenantId, item.type, shard),
    ...(item.deviceId ? { deviceKey: `${item.tenantId}#${item.deviceId}` } : {}),
  };
}

function logFromRecord(record: Record<string, unknown>): LogItem {
  const { typeKey: _t, typeShardKey: _s, deviceKey: _d, ...rest } = strip<Record<string, unknown>>(record);
  return rest as unknown as LogItem;
}

/** The log id at the end of a sort key `{at}#{id}`. */
const idOfSortKey = (sk: string) => sk.slice(sk.lastIndexOf('#') + 1);

/** Where a list of logs lives: one byDevice partition, or the LOG_SHARDS shards of the table or of byTypeShard. */
interface LogPartition {
  index?: string;
  keyName: string;
  keyValue: string;
  /** The ExclusiveStartKey just after the line of sort key `sk`. */
  startKey: (sk: string) => Record<string, unknown>;
}

function logPartitions(tenantId: string, deviceId: string | undefined, type: string | undefined): LogPartition[] {
  if (deviceId) {
    const deviceKey = `${tenantId}#${deviceId}`;
    return [
      {
        index: 'byDevice',
        keyName: 'deviceKey',
        keyValue: deviceKey,
        startKey: (sk) => ({ deviceKey, pk: logPartition(tenantId, logShard(idOfSortKey(sk))), sk }),
      },
    ];
  }
  const shards = Array.from({ length: LOG_SHARDS }, (_, shard) => shard);
  if (type) {
    return shards.map((shard) => ({
      index: 'byTypeShard',
      keyName: 'typeShardKey',
      keyValue: typePartition(tenantId, type, shard),
      startKey: (sk) => ({ typeShardKey: typePartition(tenantId, type, shard), pk: logPartition(tenantId, shard), sk }),
    }));
  }
  return shards.map((shard) => ({
    keyName: 'pk',
    keyValue: logPartition(tenantId, shard),
    startKey: (sk) => ({ pk: logPartition(tenantId, shard), sk }),
  }));
}

export class DynamoLogStore implements LogStore {
  constructor(
    private readonly db: Dynamo,
    private readonly clock: Clock,
    private readonly cursors: CursorCodec,
  ) {}

  async append(input: Omit<LogItem, 'id' | 'expiresAt'> & { id?: string }): Promise<LogItem> {
    const id = input.id ?? timeOrderedId(new Date(input.at));
    const item: LogItem = { ...input, id, expiresAt: Math.floor(Date.parse(input.at) / 1000) + LOG_RETENTION_SECONDS };
    await this.db.doc.send(new PutCommand({ TableName: this.db.tables.logs, Item: logItemRecord(item) }));
    return item;
  }

  /**
   * A device's logs come from one byDevice partition; a tenant's logs, and its logs of a type, from
   * the LOG_SHARDS partitions of the table or of byTypeShard, merged newest first (shards.ts).
   * byTypeShard holds keys only: a page's lines are read with one BatchGetItem per 100.
   */
  async query(tenantId: string, q: LogQuery, cursor?: string, limit = 100): Promise<Page<LogItem>> {
    const nowSeconds = Math.floor(this.clock.now().getTime() / 1000);
    // A device's lines are filtered by type in its own partition; without a device, byTypeShard.
    const type = q.deviceId ? undefined : q.type;
    const byType = type !== undefined;
    const partitions = logPartitions(tenantId, q.deviceId, type);
    const scope = cursorScope('logs', tenantId, q);
    let positions = positionsFrom(await this.cursors.decode(scope, cursor), partitions.length);
    const names: Record<string, string> = {};
    const values: Record<string, string | number> = {};
    // Sort keys are `${at}#${id}`: '#' < any digit, '~' > any id character. Lines older than the
    // retention are never read (TTL may not have deleted them yet).
    const oldest = new Date((nowSeconds - LOG_RETENTION_SECONDS) * 1000).toISOString();
    values[':from'] = q.from && q.from > oldest ? q.from : oldest;
    let keyCondition = '#k = :k AND sk >= :from';
    if (q.to) {
      keyCondition = '#k = :k AND sk BETWEEN :from AND :to';
      values[':to'] = `${q.to}~`;
      // A range wholly before the retention (or reversed) holds nothing; DynamoDB would refuse it.
      if (values[':to'] < values[':from']) return { items: [] };
    }
    // byTypeShard projects keys only: its lines are filtered once read (`keep`).
    const filters: string[] = [];
    if (!byType) {
      filters.push('#exp > :now');
      names['#exp'] = 'expiresAt';
      values[':now'] = nowSeconds;
      if (q.type) {
        filters.push('#type = :type');
        names['#type'] = 'type';
        values[':type'] = q.type;
      }
      if (q.severity) {
        filters.push('severity = :sev');
        values[':sev'] = q.severity;
      }
      if (q.q) {
        filters.push('(contains(#msg, :q) OR contains(#event, :q))');
        names['#msg'] = 'message';
        names['#event'] = 'event';
        values[':q'] = q.q;
      }
    }
    const keep = (l: LogItem) =>
      l.expiresAt > nowSeconds &&
      (!q.severity || l.severity === q.severity) &&
      (!q.q || !!l.message?.includes(q.q) || !!l.event?.includes(q.q));

    const readers = partitions.map((p) => ({
      read: async (after: string | undefined, n: number) => {
        const out = await this.db.doc.send(
          new QueryCommand({
            TableName: this.db.tables.logs,
            IndexName: p.index,
            KeyConditionExpression: keyCondition,
            FilterExpression: filters.length ? filters.join(' AND ') : undefined,
            ExpressionAttributeNames: { ...names, '#k': p.keyName },
            ExpressionAttributeValues: { ...values, ':k': p.keyValue },
            ScanIndexForward: false,
            ExclusiveStartKey: after === undefined ? undefined : p.startKey(after),
            Limit: n,
          }),
        );
        return { items: out.Items ?? [], last: out.LastEvaluatedKey ? String(out.LastEvaluatedKey.sk) : undefined };
      },
    }));

    const items: LogItem[] = [];
    while (items.length < limit) {
      const page = await mergePartitions(readers, (r) => String(r.sk), 'desc', positions, limit - items.length);
      const records = byType
        ? await batchGet<Record<string, unknown>>(
            this.db,
            this.db.tables.logs,
            page.items.map((k) => ({ pk: String(k.pk), sk: String(k.sk) })),
          )
        : page.items;
      const lines = records.map(logFromRecord);
      items.push(...(byType ? lines.filter(keep) : lines));
      positions = page.positions;
      if (!positions) break;
    }
    return { items, cursor: positions && (await this.cursors.encode(scope, cursorKey(positions))) };
  }
}

export class DynamoAlarmStore implements AlarmStore {
  constructor(private readonly db: Dynamo) {}

  private key(tenantId: string, key: string) {
    return { pk: `TENANT#${tenantId}`, sk: `ALARM#${key}` };
  }

  async raise(alarm: Alarm): Promise<Alarm | undefined> {
    const out = await this.db.doc.send(
      new PutCommand({
        TableName: this.db.tables.main,
        Item: { ...this.key(alarm.tenantId, alarm.key), ...alarm },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return out.Attributes ? strip<Alarm>(out.Attributes) : undefined;
  }

  async clear(tenantId: string, key: string): Promise<Alarm | undefined> {
    const out = await this.db.doc.send(
      new DeleteCommand({ TableName: this.db.tables.main, Key: this.key(tenantId, key), ReturnValues: 'ALL_OLD' }),
    );
    return out.Attributes ? strip<Alarm>(out.Attributes) : undefined;
  }

  async get(tenantId: string, key: string): Promise<Alarm | undefined> {
    const out = await this.db.doc.send(
      new GetCommand({ TableName: this.db.tables.main, Key: this.key(tenantId, key) }),
    );
    return out.Item ? strip<Alarm>(out.Item) : undefined;
  }

  async list(tenantId: string, limit = 200): Promise<Alarm[]> {
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.db.tables.main,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}`, ':p': 'ALARM#' },
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((i) => strip<Alarm>(i));
  }
}

/** Counters are spread over shards so that a fleet-wide change does not hit one hot item. */
export const COUNTER_SHARDS = 8;

export class DynamoCounterStore implements CounterStore {
  constructor(private readonly db: Dynamo) {}

  private key(tenantId: string, shard: number) {
    return { pk: `COUNTERS#${tenantId}#${shard}`, sk: 'COUNTERS' };
  }

  async add(tenantId: string, deltas: Record<string, number>, shardKey: string): Promise<void> {
    const entries = Object.entries(deltas).filter(([, v]) => v !== 0);
    if (!entries.length) return;
    const shard = createHash('sha1').update(shardKey).digest()[0] % COUNTER_SHARDS;
    const names: Record<string, string> = {};
    const values: Record<string, number> = {};
    entries.forEach(([name, delta], i) => {
      names[`#c${i}`] = name;
      values[`:c${i}`] = delta;
    });
    await this.db.doc.send(
      new UpdateCommand({
        TableName: this.db.tables.main,
        Key: this.key(tenantId, shard),
        UpdateExpression: `ADD ${entries.map((_, i) => `#c${i} :c${i}`).join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  async read(tenantId: string): Promise<Record<string, number>> {
    const keys = Array.from({ length: COUNTER_SHARDS }, (_, shard) => this.key(tenantId, shard));
    const shards = await batchGet<Record<string, unknown>>(this.db, this.db.tables.main, keys);
    const totals: Record<string, number> = {};
    for (const shard of shards) {
      for (const [name, value] of Object.entries(shard)) {
        if (name === 'pk' || name === 'sk' || typeof value !== 'number') continue;
        totals[name] = (totals[name] ?? 0) + value;
      }
    }
    return totals;
  }

  async reset(tenantId: string, values: Record<string, number>): Promise<void> {
    await this.db.doc.send(
      new PutCommand({ TableName: this.db.tables.main, Item: { ...this.key(tenantId, 0), ...values } }),
    );
    for (let shard = 1; shard < COUNTER_SHARDS; shard++) {
      await this.db.doc.send(new DeleteCommand({ TableName: this.db.tables.main, Key: this.key(tenantId, shard) }));
    }
  }
}

export class DynamoPushBudgetStore implements PushBudgetStore {
  constructor(private readonly db: Dynamo) {}

  private key(tenantId: string, minute: number) {
    return { pk: `BUDGET#${tenantId}#${minute}`, sk: 'BUDGET' };
  }

  async reserve(tenantId: string, minute: number, wanted: number, cap: number): Promise<number> {
    let ask = Math.min(wanted, cap);
    // Conditional ADD: the counter never passes the cap, whatever the number of concurrent workers.
    for (let attempt = 0; ask > 0 && attempt < 10; attempt++) {
      try {
        await this.db.doc.send(
          new UpdateCommand({
            TableName: this.db.tables.main,
            Key: this.key(tenantId, minute),
            UpdateExpression: 'ADD used :n SET expiresAt = if_not_exists(expiresAt, :exp)',
            ConditionExpression: 'attribute_not_exists(used) OR used <= :room',
            ExpressionAttributeValues: { ':n': ask, ':room': cap - ask, ':exp': (minute + 60) * 60 },
          }),
        );
        return ask;
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
        ask = Math.min(ask, cap - (await this.used(tenantId, minute)));
      }
    }
    return 0;
  }

  async used(tenantId: string, minute: number): Promise<number> {
    const out = await this.db.doc.send(
      new GetCommand({ TableName: this.db.tables.main, Key: this.key(tenantId, minute), ConsistentRead: true }),
    );
    return Number(out.Item?.used ?? 0);
  }
}
