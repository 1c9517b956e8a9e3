// Shared pieces of the DynamoDB adapters: the document client, conditional-failure checks, batch reads.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { pages } from '../../paging';
import type { TableNames } from './tables';

export interface Dynamo {
  doc: DynamoDBDocumentClient;
  tables: TableNames;
}

export function makeDynamo(client: DynamoDBClient, tables: TableNames): Dynamo {
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return { doc, tables };
}

export function isConditionFailed(err: unknown): boolean {
  return (err as { name?: string })?.name === 'ConditionalCheckFailedException';
}

/** BatchGet in chunks of 100, retrying unprocessed keys, returning items in the order of `keys`. */
export async function batchGet<T>(
  dynamo: Dynamo,
  table: string,
  keys: Array<{ pk: string; sk: string }>,
): Promise<T[]> {
  const found = new Map<string, T>();
  for (let i = 0; i < keys.length; i += 100) {
    let pending: Record<string, unknown>[] = keys.slice(i, i + 100);
    for (let attempt = 0; pending.length > 0 && attempt < 8; attempt++) {
      const out = await dynamo.doc.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }),
      );
      for (const item of out.Responses?.[table] ?? []) found.set(`${item.pk}|${item.sk}`, item as T);
      pending = (out.UnprocessedKeys?.[table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
      if (pending.length) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
    }
  }
  return keys.map((k) => found.get(`${k.pk}|${k.sk}`)).filter((x): x is T => x !== undefined);
}

/** Removes the storage keys from an item before it leaves the adapter. */
export function strip<T>(item: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) {
    if (k === 'pk' || k === 'sk' || /^gsi\dpk$|^gsi\dsk$/.test(k) || k === 'entity') continue;
    out[k] = v;
  }
  return out as T;
}

/** Every page of a Query (all of it: for item collections a caller needs whole). */
export function queryPages(dynamo: Dynamo, input: Omit<QueryCommandInput, 'ExclusiveStartKey'>) {
  return pages(async (start: Record<string, unknown> | undefined) => {
    const out = await dynamo.doc.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    return { items: out.Items ?? [], cursor: out.LastEvaluatedKey };
  });
}
