// Devices and their command queues (Main table). A device's commands share its partition, so the
// connect path reads the whole live queue with one Query.
import { createHash } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdateError, conflict } from '../../domain/errors';
import type { Command, Device, Page } from '../../domain/types';
import {
  AWAITING_SHARDS,
  type CommandStore,
  type DeviceFilter,
  type DeviceLink,
  type DeviceStore,
  type DeviceWithQueue,
} from '../../ports';
import { batchGet, type Dynamo, isConditionFailed, queryPages, strip } from './client';
import { type CursorCodec, cursorScope } from './cursor';
import { DETAIL_ATTRIBUTE, DETAIL_SK, joinDevice, splitDevice } from './device-detail';
import {
  cursorKey,
  mergePartitions,
  positionsFrom,
  SYNC_STATE_SHARDS,
  syncStateKey,
  syncStatePartition,
} from './shards';

const devicePk = (tenantId: string, id: string) => `DEVICE#${tenantId}#${id}`;
/** The tenant and device ids a device item's key holds (neither may contain `#`: domain/identifiers.ts). */
function idsOfDevicePk(pk: string): { tenantId: string; id: string } {
  const [, tenantId = '', id = ''] = pk.split('#');
  return { tenantId, id };
}
/** What a device id can be (docs/api.md, path parameters): a search only looks up a value that could be one. */
const DEVICE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** The cursor of a page that ended within a search's exact matches: how many of them were shown. */
const EXACT_SHOWN = 'exactShown';
/** A queued command's sort key prefix, next to its device's `DEVICE` item. */
const COMMAND_SK = 'CMD#';
const queueOrder = (a: Command, b: Command) => a.priority - b.priority || a.id.localeCompare(b.id);

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

const deviceKey = (tenantId: string, id: string) => ({ pk: devicePk(tenantId, id), sk: 'DEVICE' });
const detailKey = (tenantId: string, id: string) => ({ pk: devicePk(tenantId, id), sk: DETAIL_SK });

/**
 * A device from its items: the device item and its detail item (device-detail.ts), which one
 * Query on `begins_with(sk, "DEVICE")` reads together (commands sort under `CMD#`, outside it).
 */
export function deviceFromItems(item: Record<string, unknown>, detailItem?: Record<string, unknown>): Device {
  // The ids are in the key, not repeated in the item (items written before kept them: theirs win).
  return joinDevice({ ...idsOfDevicePk(String(item.pk)), ...strip(item) }, detailItem);
}

/** Devices from the items of a BatchGet of their device and detail keys, in the order of `keys`. */
function devicesFromBatch(keys: Array<{ pk: string }>, items: Record<string, unknown>[]): Device[] {
  const byPk = new Map<string, { device?: Record<string, unknown>; detail?: Record<string, unknown> }>();
  for (const item of items) {
    const entry = byPk.get(String(item.pk)) ?? {};
    if (item.sk === 'DEVICE') entry.device = item;
    else entry.detail = item;
    byPk.set(String(item.pk), entry);
  }
  return keys.flatMap((k) => {
    const entry = byPk.get(k.pk);
    return entry?.device ? [deviceFromItems(entry.device, entry.detail)] : [];
  });
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
    const { fields, hash, packed } = splitDevice({ ...device, detailHash: undefined });
    try {
      await this.db.doc.send(
        new PutCommand({
          TableName: this.db.tables.main,
          Item: { ...deviceKey(device.tenantId, device.id), ...fields, ...deviceIndexKeys(device) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (isConditionFailed(err)) throw conflict(`device ${device.id} already exists`);
      throw err;
    }
    if (packed) await this.putDetail(device, packed, hash, device.rev);
  }

  /**
   * The detail item, written after the device write it belongs to (only the writer that won the
   * device's rev race gets here). Conditional on an older rev, so a slow writer never puts back an
   * older detail over a newer one.
   */
  private async putDetail(device: Device, packed: Uint8Array, hash: string, rev: number): Promise<void> {
    try {
      await this.db.doc.send(
        new PutCommand({
          TableName: this.db.tables.main,
          Item: { ...detailKey(device.tenantId, device.id), [DETAIL_ATTRIBUTE]: packed, hash, rev },
          ConditionExpression: 'attribute_not_exists(pk) OR rev < :rev',
          ExpressionAttributeValues: { ':rev': rev },
        }),
      );
    } catch (err) {
      if (!isConditionFailed(err)) throw err; // a newer write already stored its detail
    }
  }

  async get(tenantId: string, id: string): Promise<Device | undefined> {
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.db.tables.main,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :d)',
        ExpressionAttributeValues: { ':pk': devicePk(tenantId, id), ':d': 'DEVICE' },
        ConsistentRead: true,
      }),
    );
    const items = out.Items ?? [];
    const device = items.find((i) => i.sk === 'DEVICE');
    return device
      ? deviceFromItems(
          device,
          items.find((i) => i.sk === DETAIL_SK),
        )
      : undefined;
  }

  /** Reads devices by id (device and detail items), in the given order; missing ones are left out. */
  private async getMany(keys: Array<{ pk: string; sk: string }>): Promise<Device[]> {
    const devices = keys.map((k) => ({ pk: k.pk }));
    const items = await batchGet<Record<string, unknown>>(
      this.db,
      this.db.tables.main,
      keys.flatMap((k) => [
        { pk: k.pk, sk: 'DEVICE' },
        { pk: k.pk, sk: DETAIL_SK },
      ]),
    );
    return devicesFromBatch(devices, items);
  }

  async getWithQueue(tenantId: string, id: string): Promise<DeviceWithQueue | undefined> {
    let deviceItem: Record<string, unknown> | undefined;
    let detailItem: Record<string, unknown> | undefined;
    const live: Command[] = [];
    for await (const page of queryPages(this.db, {
      TableName: this.db.tables.main,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': devicePk(tenantId, id) },
      ConsistentRead: true,
    }))
      for (const item of page.items) {
        if (item.sk === 'DEVICE') deviceItem = item;
        else if (item.sk === DETAIL_SK) detailItem = item;
        else if (String(item.sk).startsWith(COMMAND_SK)) live.push(strip<Command>(item));
      }
    return deviceItem && { device: deviceFromItems(deviceItem, detailItem), live: live.sort(queueOrder) };
  }

  async delete(tenantId: string, id: string, rev?: number): Promise<boolean> {
    try {
      await this.db.doc.send(
        new DeleteCommand({
          TableName: this.db.tables.main,
          Key: deviceKey(tenantId, id),
          ...(rev === undefined
            ? {}
            : { ConditionExpression: 'rev = :rev', ExpressionAttributeValues: { ':rev': rev } }),
        }),
      );
      await this.db.doc.send(new DeleteCommand({ TableName: this.db.tables.main, Key: detailKey(tenantId, id) }));
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  async save(device: Device): Promise<Device> {
    const next: Device = { ...device, rev: device.rev + 1 };
    // Split (and the detail packed, its limit checked) before anything is written.
    const { fields, hash, packed } = splitDevice(next);
    try {
      await this.db.doc.send(
        new PutCommand({
          TableName: this.db.tables.main,
          Item: { ...deviceKey(next.tenantId, next.id), ...fields, ...deviceIndexKeys(next) },
          ConditionExpression: 'rev = :rev',
          ExpressionAttributeValues: { ':rev': device.rev },
        }),
      );
    } catch (err) {
      if (isConditionFailed(err)) throw new ConcurrentUpdateError(`device ${device.id}`);
      throw err;
    }
    if (packed) await this.putDetail(next, packed, hash, next.rev);
    return { ...next, detailHash: hash };
  }

  /**
   * The devices a search names exactly, by lookup rather than by reading the list: the device whose
   * id is `q` (an Apple UDID, an Android device id) and the ones whose serial number is `q`.
   */
  private async exactMatches(tenantId: string, filter: DeviceFilter): Promise<Device[]> {
    const q = filter.q?.trim();
    if (!q) return [];
    const links = await batchGet<Record<string, unknown>>(
      this.db,
      this.db.tables.main,
      (['serial', 'apple-serial'] as const).map((kind) => this.linkKey(tenantId, kind, q)),
    );
    const ids = new Set(links.map((l) => String(l.deviceId)));
    if (DEVICE_ID.test(q)) ids.add(q);
    const devices = await this.getMany([...ids].map((id) => ({ pk: devicePk(tenantId, id), sk: 'DEVICE' })));
    // A link outlives a device's serial (re-enrolled elsewhere): only a device that still has it.
    return devices
      .filter((d) => (d.id === q || d.serialNumber === q) && matchesFilter(d, filter))
      .sort((a, b) => a.id.localeCompare(b.id));
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
    const decoded = await this.cursors.decode(scope, cursor);
    // A search's exact matches come first, whatever their place in the list; the pages that read
    // the list leave them out, so none is listed twice. A cursor within them says how many were shown.
    const exact = await this.exactMatches(tenantId, filter);
    const exactIds = new Set(exact.map((d) => d.id));
    const withinExact = typeof decoded?.[EXACT_SHOWN] === 'number';
    const shown = cursor === undefined ? 0 : withinExact ? Number(decoded[EXACT_SHOWN]) : exact.length;
    const first = exact.slice(shown, shown + limit);
    if (first.length === limit)
      return { items: first, cursor: await this.cursors.encode(scope, { [EXACT_SHOWN]: shown + limit }) };
    let startKey = withinExact ? undefined : decoded;
    // Index pages whose devices all fail the rest of the filter are read through: a page comes
    // back empty only when the list is at its end (docs/api.md "Paging").
    for (;;) {
      const out = await this.db.doc.send(
        new QueryCommand({
          TableName: this.db.tables.main,
          IndexName: index,
          KeyConditionExpression: `${index}pk = :pk`,
          ExpressionAttributeValues: { ':pk': pk },
          ExclusiveStartKey: startKey,
          Limit: limit - first.length,
        }),
      );
      const devices = await this.getMany((out.Items ?? []).map((k) => ({ pk: String(k.pk), sk: String(k.sk) })));
      const listed = devices.filter((d) => !exactIds.has(d.id) && matchesFilter(d, filter));
      const items = [...first, ...listed];
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
      const devices = await this.getMany(ids.map((id) => ({ pk: devicePk(tenantId, id), sk: 'DEVICE' })));
      const items = devices.filter((d) => matchesFilter(d, filter));
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
    const devices = await this.getMany((out.Items ?? []).map((k) => ({ pk: String(k.pk), sk: String(k.sk) })));
    return { items: devices, cursor: await this.cursors.encode(scope, out.LastEvaluatedKey) };
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
    return { pk: devicePk(tenantId, deviceId), sk: `${COMMAND_SK}${id}` };
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
      ExpressionAttributeValues: { ':pk': devicePk(tenantId, deviceId), ':p': COMMAND_SK },
      ConsistentRead: true,
    }))
      items.push(...page.items.map((i) => strip<Command>(i)));
    return items.sort(queueOrder);
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
