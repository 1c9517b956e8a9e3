// Operational data: logs (Logs table, 90-day TTL), active alarms, dashboard counters and the
// per tenant-minute push budget (Main table).
import { createHash } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Alarm, LOG_RETENTION_SECONDS, type LogItem, type Page } from '../../domain/types';
import { timeOrderedId } from '../../ids';
import { pages } from '../../paging';
import type { AlarmStore, Clock, CounterStore, LogQuery, LogStore, PushBudgetStore } from '../../ports';
import { batchGet, type Dynamo, isConditionFailed, strip } from './client';
import { type CursorCodec, cursorScope } from './cursor';

export class DynamoLogStore implements LogStore {
  constructor(
    private readonly db: Dynamo,
    private readonly clock: Clock,
    private readonly cursors: CursorCodec,
  ) {}

  async append(input: Omit<LogItem, 'id' | 'expiresAt'> & { id?: string }): Promise<LogItem> {
    const id = input.id ?? timeOrderedId(new Date(input.at));
    const item: LogItem = { ...input, id, expiresAt: Math.floor(Date.parse(input.at) / 1000) + LOG_RETENTION_SECONDS };
    await this.db.doc.send(
      new PutCommand({
        TableName: this.db.tables.logs,
        Item: {
          pk: item.tenantId,
          sk: `${item.at}#${id}`,
          typeKey: `${item.tenantId}#${item.type}`,
          ...(item.deviceId ? { deviceKey: `${item.tenantId}#${item.deviceId}` } : {}),
          ...item,
        },
      }),
    );
    return item;
  }

  async query(tenantId: string, q: LogQuery, cursor?: string, limit = 100): Promise<Page<LogItem>> {
    const [index, keyName, keyValue] = q.deviceId
      ? ['byDevice', 'deviceKey', `${tenantId}#${q.deviceId}`]
      : q.type
        ? ['byType', 'typeKey', `${tenantId}#${q.type}`]
        : [undefined, 'pk', tenantId];
    const names: Record<string, string> = { '#k': keyName, '#exp': 'expiresAt' };
    const values: Record<string, unknown> = { ':k': keyValue, ':now': Math.floor(this.clock.now().getTime() / 1000) };
    let keyCondition = '#k = :k';
    // Sort keys are `${at}#${id}`: '#' < any digit, '~' > any id character.
    if (q.from && q.to) {
      keyCondition += ' AND sk BETWEEN :from AND :to';
      values[':from'] = q.from;
      values[':to'] = `${q.to}~`;
    } else if (q.from) {
      keyCondition += ' AND sk >= :from';
      values[':from'] = q.from;
    } else if (q.to) {
      keyCondition += ' AND sk <= :to';
      values[':to'] = `${q.to}~`;
    }
    const filters = ['#exp > :now'];
    if (q.type && index !== 'byType') {
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

    // A filtered page may come back short; keep reading until the page is full or the data ends.
    const items: LogItem[] = [];
    const scope = cursorScope('logs', tenantId, q);
    let last: Record<string, unknown> | undefined;
    const readPage = async (start: Record<string, unknown> | undefined) => {
      const out = await this.db.doc.send(
        new QueryCommand({
          TableName: this.db.tables.logs,
          IndexName: index,
          KeyConditionExpression: keyCondition,
          FilterExpression: filters.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          ExclusiveStartKey: start,
          Limit: limit - items.length,
        }),
      );
      return { items: out.Items ?? [], cursor: out.LastEvaluatedKey };
    };
    for await (const page of pages(readPage, await this.cursors.decode(scope, cursor))) {
      items.push(
        ...page.items
          .map((i) => strip<LogItem>(i))
          .map(({ typeKey: _t, deviceKey: _d, ...rest }: LogItem & { typeKey?: string; deviceKey?: string }) => rest),
      );
      last = page.cursor;
      if (items.length >= limit) break;
    }
    return { items, cursor: await this.cursors.encode(scope, last) };
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
