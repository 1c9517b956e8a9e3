// Local mode keeps its data across versions (`npm start`'s .data/ folder). When a version changes
// the key design, this brings a local database written by an earlier one up to date, once, at
// start-up. Deployed tables are not migrated (docs/operations.md "Upgrading").
//
// The sharded keys (shards.ts): Logs items move to `{t}#{shard}` with a `typeShardKey` (and the
// table gets the byTypeShard index, which dynalite cannot add to a table: the table is rebuilt);
// devices move to the sharded gsi2 keys.
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  waitUntilTableExists,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchWriteCommand, GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { LogItem } from '../../domain/types';
import { makeDynamo, strip } from './client';
import { logItemRecord } from './ops-stores';
import { syncStateKey } from './shards';
import { type TableNames, tableDefinitions } from './tables';

type Stored = Record<string, unknown>;

/** The marker of the Main table's key design; absent before the sharded keys. */
const KEYS_MARKER = { pk: 'SYSTEM', sk: 'KEYS' };
const KEYS_VERSION = 2;

async function tableIndexes(client: DynamoDBClient, name: string): Promise<string[] | undefined> {
  try {
    const out = await client.send(new DescribeTableCommand({ TableName: name }));
    return (out.Table?.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName ?? '').sort();
  } catch (err) {
    if ((err as { name?: string }).name === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}

export async function createTable(client: DynamoDBClient, def: CreateTableCommandInput): Promise<void> {
  await client.send(new CreateTableCommand(def));
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName: def.TableName! });
}

async function deleteTable(client: DynamoDBClient, name: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: name }));
  await waitUntilTableNotExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName: name });
}

/** Every item of a table, page by page. */
async function* scan(doc: DynamoDBDocumentClient, table: string): AsyncGenerator<Stored[]> {
  let start: Stored | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, Limit: 500 }));
    yield page.Items ?? [];
    start = page.LastEvaluatedKey;
  } while (start);
}

/** Every item of `from` written to `to` as `convert` makes it (puts: a repeated copy changes nothing). */
async function copyItems(doc: DynamoDBDocumentClient, from: string, to: string, convert: (item: Stored) => Stored) {
  for await (const items of scan(doc, from)) {
    for (let i = 0; i < items.length; i += 25) {
      let pending = items.slice(i, i + 25).map((item) => ({ PutRequest: { Item: convert(item) } }));
      while (pending.length) {
        const out = await doc.send(new BatchWriteCommand({ RequestItems: { [to]: pending } }));
        pending = (out.UnprocessedItems?.[to] as typeof pending | undefined) ?? [];
      }
    }
  }
}

/**
 * Rebuilds the Logs table when its indexes are not the definition's: copies the lines, re-keyed,
 * to a side table, then back into a new Logs table. Each step is safe to repeat after a crash (the
 * side table exists until the copy back has finished).
 */
async function upgradeLogs(client: DynamoDBClient, doc: DynamoDBDocumentClient, def: CreateTableCommandInput) {
  const name = def.TableName!;
  const side = `${name}-upgrade`;
  const wanted = (def.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName ?? '').sort();
  const current = await tableIndexes(client, name);
  if (current && current.join() !== wanted.join()) {
    if (!(await tableIndexes(client, side))) await createTable(client, { ...def, TableName: side });
    await copyItems(doc, name, side, (item) => {
      const { typeKey: _t, deviceKey: _d, ...line } = strip<Stored>(item);
      return logItemRecord(line as unknown as LogItem);
    });
    await deleteTable(client, name);
  }
  if (await tableIndexes(client, side)) {
    if (!(await tableIndexes(client, name))) await createTable(client, def);
    await copyItems(doc, side, name, (item) => item);
    await deleteTable(client, side);
  }
}

/** Moves devices written before the sharded gsi2 keys to them, once (a marker item records it). */
async function upgradeDeviceKeys(doc: DynamoDBDocumentClient, main: string, fresh: boolean): Promise<void> {
  if (!fresh) {
    const marker = await doc.send(new GetCommand({ TableName: main, Key: KEYS_MARKER, ConsistentRead: true }));
    if (Number(marker.Item?.version ?? 0) >= KEYS_VERSION) return;
    for await (const items of scan(doc, main)) {
      for (const d of items) {
        if (d.sk !== 'DEVICE') continue;
        const gsi2pk = syncStateKey(String(d.tenantId), String(d.syncState), String(d.id));
        if (d.gsi2pk === gsi2pk) continue;
        await doc.send(
          new UpdateCommand({
            TableName: main,
            Key: { pk: d.pk, sk: d.sk },
            UpdateExpression: 'SET gsi2pk = :k',
            ExpressionAttributeValues: { ':k': gsi2pk },
          }),
        );
      }
    }
  }
  await doc.send(new PutCommand({ TableName: main, Item: { ...KEYS_MARKER, version: KEYS_VERSION } }));
}

/**
 * Brings a local database up to the current key design (a no-op on one that is). `created` names
 * the tables ensureTables has just created empty.
 */
export async function upgradeLocalData(client: DynamoDBClient, names: TableNames, created: Set<string>) {
  // The stores' own translation options: a document client made from a client sets them on the
  // client it shares, so one made with other options would change the stores' too.
  const { doc } = makeDynamo(client, names);
  const logs = tableDefinitions(names).find((d) => d.TableName === names.logs)!;
  await upgradeLogs(client, doc, logs);
  await upgradeDeviceKeys(doc, names.main, created.has(names.main));
}
