// Devices and their command queues (Main table). A device's commands share its partition, so the
// connect path reads the whole live queue with one Query.
import { createHash } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdateError, conflict } from '../../domain/errors';
import type { Command, Device, Page } from '../../domain/types';
import { AWAITING_SHARDS, type CommandStore, type DeviceFilter, type DeviceLink, type DeviceStore } from '../../ports';
import { batchGet, type Dynamo, isConditionFailed, queryPages, strip } from './client';
import { type CursorCodec, cursorScope } from './cursor';
import {
  cursorKey,
  mergePartitions,
  positionsFrom,
  SYNC_STATE_SHARDS,
  syncStateKey,
  syncStatePartition,
} from './shards';
import { INVENTORY_ATTRIBUTE, packInventory, unpackInventory } from './stored-inventory';

const devicePk = (tenantId: string, id: string) => `DEVICE#${tenantId}#${id}`;

export function awaitingShard(deviceId: string): number {
  return createHash('sha1').update(deviceId).digest()[0] % AWAITING_SHARDS;
}

/** The index keys of a device, derived from its fields (docs/architecture.md). */
function deviceIndexKeys(d: Device): Record<string, string> {
  const keys: Record<string, string> = {
    gsi1pk: `${d.tenantId}#devices`,
    gsi1sk: d.id,
    gsi2pk: syncStateKey(d.tenantId, d.syncState, d.id),
    gsi2sk: d.id,
    gsi4pk: `${d.tenantId}#reg#${d.registrationState}`,
    gsi4sk: d.id,
  };
  if (d.templateId) Object.assign(keys, { gsi3pk: `${d.tenantId}#tpl#${d.templateId}`, gsi3sk: d.id });
  // Sparse: only devices waiting for an answer to a push are in the sweep's index.
  if (d.awaitingAnswerSince && d.syncState !== 'Not-Responding' && d.registrationState === 'Checked-In') {
    Object.assign(keys, {
      gsi5pk: `awaiting#${awaitingShard(d.id)}`,
      gsi5sk: `${d.awaitingAnswerSince}#${d.tenantId}#${d.id}`,
    });
  }
  return keys;
}

/** The stored item of a device: its fields, its inventory compressed, and its index keys. */
function deviceItem(device: Device): Record<string, unknown> {
  const { inventory, ...fields } = device;
  return {
    pk: devicePk(device.tenantId, device.id),
    sk: 'DEVICE',
    ...fields,
    ...(inventory ? { [INVENTORY_ATTRIBUTE]: packInventory(inventory) } : {}),
    ...deviceIndexKeys(device),
  };
}

function deviceFromItem(item: Record<string, unknown>): Device {
  const { [INVENTORY_ATTRIBUTE]: packed, ...rest } = item;
  const device = strip<Device>(rest);
  return packed instanceof Uint8Array ? { ...device, inventory: unpackInventory(packed) } : device;
}

function matchesFilter(d: Device, f: DeviceFilter): boolean {
  if (f.syncState && d.syncState !== f.syncState) return false;
  if (f.registrationState && d.registrationState !== f.registrationState) return false;
  if (f.platform && d.platform !== f.platform) return false;
  if (f.templateId && d.templateId !== f.templateId) return false;
  if (f.adminLocked && !d.adminLocked) return false;
  if (f.prohibitedApps && !(d.prohibitedApps?.length > 0)) return false;
  if (f.q) {
    const q = f.q.toLowerCase();
    if (![d.name, d.serialNumber, d.model, d.id].some((v) => v?.toLowerCase().includes(q))) return false;
  }
  return true;
}

export class DynamoDeviceStore implements DeviceStore {
  constructor(
    private readonly db: Dynamo,
    private readonly cursors: CursorCodec,
  ) {}

  async create(device: Device): Promise<void> {
    try {
      await this.db.doc.send(
        new PutCommand({
          TableName: this.db.tables.main,
          Item: deviceItem(device),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (isConditionFailed(err)) throw conflict(`device ${device.id} already exists`);
      throw err;
    }
  }

  async get(tenantId: string, id: string): Promise<Device | undefined> {
    const out = await this.db.doc.send(
      new GetCommand({
        TableName: this.db.tables.main,
        Key: { pk: devicePk(tenantId, id), sk: 'DEVICE' },
        ConsistentRead: true,
      }),
    );
    return out.Item ? deviceFromItem(out.Item) : undefined;
  }

  async delete(tenantId: string, id: string, rev?: number): Promise<boolean> {
    try {
      await this.db.doc.send(
        new DeleteCommand({
          TableName: this.db.tables.main,
          Key: { pk: devicePk(tenantId, id), sk: 'DEVICE' },
          ...(rev === undefined
            ? {}
            : { ConditionExpression: 'rev = :rev', ExpressionAttributeValues: { ':rev': rev } }),
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  async save(device: Device): Promise<Device> {
    const next: Device = { ...device, rev: device.rev + 1 };
    try {
      await this.db.doc.send(
        new PutCommand({
          TableName: this.db.tables.main,
          Item: deviceItem(next),
          ConditionExpression: 'rev = :rev',
          ExpressionAttributeValues: { ':rev': device.rev },
        }),
      );
      return next;
    } catch (err) {
      if (isConditionFailed(err)) throw new ConcurrentUpdateError(`device ${device.id}`);
      throw err;
    }
  }

  async list(tenantId: string, filter: DeviceFilter, cursor?: string, limit = 100): Promise<Page<Device>> {
    // The most selective index first; the rest of the filter is applied to the fetched devices.
    if (filter.syncState && !filter.templateId)
      return this.listBySyncState(tenantId, filter.syncState, filter, cursor, limit);
    const [index, pk] = filter.templateId
      ? ['gsi3', `${tenantId}#tpl#${filter.templateId}`]
      : filter.registrationState
        ? ['gsi4', `${tenantId}#reg#${filter.registrationState}`]
        : ['gsi1', `${tenantId}#devices`];
    const scope = cursorScope('devices', tenantId, filter);
    // Index pages whose devices all fail the rest of the filter are read through: a page comes
    // back empty only when the list is at its end (docs/api.md "Paging").
    let startKey = await this.cursors.decode(scope, cursor);
    for (;;) {
      const out = await this.db.doc.send(
        new QueryCommand({
          TableName: this.db.tables.main,
          IndexName: index,
          KeyConditionExpression: `${index}pk = :pk`,
          ExpressionAttributeValues: { ':pk': pk },
          ExclusiveStartKey: startKey,
          Limit: limit,
        }),
      );
      const devices = await batchGet<Record<string, unknown>>(
        this.db,
        this.db.tables.main,
        (out.Items ?? []).map((k) => ({ pk: String(k.pk), sk: String(k.sk) })),
      );
      const items = devices.map(deviceFromItem).filter((d) => matchesFilter(d, filter));
      startKey = out.LastEvaluatedKey;
      if (items.length > 0 || !startKey) return { items, cursor: await this.cursors.encode(scope, startKey) };
    }
  }

  /** gsi2 is sharded (shards.ts): the devices of a state come from its SYNC_STATE_SHARDS partitions, merged by id. */
  private async listBySyncState(
    tenantId: string,
    syncState: string,
    filter: DeviceFilter,
    cursor: string | undefined,
    limit: number,
  ): Promise<Page<Device>> {
    const scope = cursorScope('devices', tenantId, filter);
    const shards = Array.from({ length: SYNC_STATE_SHARDS }, (_, shard) =>
      syncStatePartition(tenantId, syncState, shard),
    );
    // A deployment updated from before the sharded keys keeps a device under its unsharded key
    // until the device's next write: read that key too (docs/operations.md "Upgrading").
    shards.push(`${tenantId}#sync#${syncState}`);
    const partitions = shards.map((gsi2pk) => ({
      read: async (after: string | undefined, n: number) => {
        const out = await this.db.doc.send(
          new QueryCommand({
            TableName: this.db.tables.main,
            IndexName: 'gsi2',
            KeyConditionExpression: 'gsi2pk = :pk',
            ExpressionAttributeValues: { ':pk': gsi2pk },
            ExclusiveStartKey:
              after === undefined ? undefined : { gsi2pk, gsi2sk: after, pk: devicePk(tenantId, after), sk: 'DEVICE' },
            Limit: n,
          }),
        );
        return { items: out.Items ?? [], last: out.LastEvaluatedKey ? String(out.LastEvaluatedKey.gsi2sk) : undefined };
      },
    }));
    let positions = positionsFrom(await this.cursors.decode(scope, cursor), partitions.length);
    // As in list(): a page comes back empty only when the list is at its end.
    for (;;) {
      const page = await mergePartitions(partitions, (k) => String(k.gsi2sk), 'asc', positions, limit);
      // A device moving to its sharded key may show under both for a moment: next to each other in id order.
      const ids = page.items.map((k) => String(k.gsi2sk)).filter((id, i, all) => id !== all[i - 1]);
      const devices = await batchGet<Record<string, unknown>>(
        this.db,
        this.db.tables.main,
        ids.map((id) => ({ pk: devicePk(tenantId, id), sk: 'DEVICE' })),
      );
      const items = devices.map(deviceFromItem).filter((d) => matchesFilter(d, filter));
      positions = page.positions;
      if (items.length > 0 || !positions)
        return { items, cursor: positions && (await this.cursors.encode(scope, cursorKey(positions))) };
    }
  }

  async listAwaitingSince(shard: number, before: string, cursor?: string, limit = 100): Promise<Page<Device>> {
    const scope = cursorScope('awaiting', undefined, { shard, before });
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.db.tables.main,
        IndexName: 'gsi5',
        KeyConditionExpression: 'gsi5pk = :pk AND gsi5sk < :before',
        ExpressionAttributeValues: { ':pk': `awaiting#${shard}`, ':before': before },
        ExclusiveStartKey: await this.cursors.decode(scope, cursor),
        Limit: limit,
      }),
    );
    const devices = await batchGet<Record<string, unknown>>(
      this.db,
      this.db.tables.main,
      (out.Items ?? []).map((k) => ({ pk: String(k.pk), sk: String(k.sk) })),
    );
    return { items: devices.map(deviceFromItem), cursor: await this.cursors.encode(scope, out.LastEvaluatedKey) };
  }

  private linkKey(tenantId: string, kind: DeviceLink, value: string) {
    return { pk: `${kind.toUpperCase()}#${tenantId}#${value}`, sk: 'LINK' };
  }

  async link(tenantId: string, kind: DeviceLink, value: string, deviceId: string): Promise<void> {
    await this.db.doc.send(
      new PutCommand({ TableName: this.db.tables.main, Item: { ...this.linkKey(tenantId, kind, value), deviceId } }),
    );
  }

  async claimLink(tenantId: string, kind: DeviceLink, value: string, deviceId: string): Promise<string> {
    for (;;) {
      try {
        await this.db.doc.send(
          new PutCommand({
            TableName: this.db.tables.main,
            Item: { ...this.linkKey(tenantId, kind, value), deviceId },
            ConditionExpression: 'attribute_not_exists(pk) OR deviceId = :d',
            ExpressionAttributeValues: { ':d': deviceId },
          }),
        );
        return deviceId;
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
      }
      // Another device holds it; unless it was unlinked in between (then claim again).
      const owner = await this.resolveLink(tenantId, kind, value);
      if (owner !== undefined) return owner;
    }
  }

  async unlink(tenantId: string, kind: DeviceLink, value: string): Promise<void> {
    await this.db.doc.send(
      new DeleteCommand({ TableName: this.db.tables.main, Key: this.linkKey(tenantId, kind, value) }),
    );
  }

  async findByLink(tenantId: string, kind: DeviceLink, value: string): Promise<Device | undefined> {
    const target = await this.resolveLink(tenantId, kind, value);
    return target ? this.get(tenantId, target) : undefined;
  }

  async resolveLink(tenantId: string, kind: DeviceLink, value: string): Promise<string | undefined> {
    const out = await this.db.doc.send(
      new GetCommand({
        TableName: this.db.tables.main,
        Key: this.linkKey(tenantId, kind, value),
        ConsistentRead: true,
      }),
    );
    return out.Item ? String(out.Item.deviceId) : undefined;
  }
}

export class DynamoCommandStore implements CommandStore {
  constructor(private readonly db: Dynamo) {}

  private key(tenantId: string, deviceId: string, id: string) {
    return { pk: devicePk(tenantId, deviceId), sk: `CMD#${id}` };
  }

  async enqueue(command: Command): Promise<boolean> {
    try {
      await this.db.doc.send(
        new PutCommand({
          TableName: this.db.tables.main,
          Item: { ...this.key(command.tenantId, command.deviceId, command.id), ...command },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  async liveQueue(tenantId: string, deviceId: string): Promise<Command[]> {
    const items: Command[] = [];
    for await (const page of queryPages(this.db, {
      TableName: this.db.tables.main,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': devicePk(tenantId, deviceId), ':p': 'CMD#' },
      ConsistentRead: true,
    }))
      items.push(...page.items.map((i) => strip<Command>(i)));
    return items.sort((a, b) => a.priority - b.priority || a.id.localeCompare(b.id));
  }

  async get(tenantId: string, deviceId: string, id: string): Promise<Command | undefined> {
    const out = await this.db.doc.send(
      new GetCommand({ TableName: this.db.tables.main, Key: this.key(tenantId, deviceId, id), ConsistentRead: true }),
    );
    return out.Item ? strip<Command>(out.Item) : undefined;
  }

  async update(command: Command): Promise<void> {
    await this.db.doc
      .send(
        new PutCommand({
          TableName: this.db.tables.main,
          Item: { ...this.key(command.tenantId, command.deviceId, command.id), ...command },
          ConditionExpression: 'attribute_exists(pk)',
        }),
      )
      .catch((err) => {
        if (isConditionFailed(err)) throw new ConcurrentUpdateError(`command ${command.id}`);
        throw err;
      });
  }

  async remove(tenantId: string, deviceId: string, id: string): Promise<void> {
    await this.db.doc.send(
      new DeleteCommand({ TableName: this.db.tables.main, Key: this.key(tenantId, deviceId, id) }),
    );
  }

  async clear(tenantId: string, deviceId: string): Promise<number> {
    const live = await this.liveQueue(tenantId, deviceId);
    await Promise.all(live.map((c) => this.remove(tenantId, deviceId, c.id)));
    return live.length;
  }
}
