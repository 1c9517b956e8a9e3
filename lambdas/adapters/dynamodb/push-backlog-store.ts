// A tenant's waiting pushes (docs/operations.md §Push backlog): one Main-table item per request in
// the tenant's own partition, sorted admin first and then by request time, so a drain is one Query
// and no tenant's backlog sits in the shared push queue.
import { BatchWriteCommand, DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { PushPriority, PushRequest } from '../../domain/types';
import type { PushBacklogStore } from '../../ports';
import { type Dynamo, isConditionFailed } from './client';

const RANK: Record<PushPriority, number> = { admin: 0, bulk: 1 };
const WRITE_BATCH_MAX = 25;

const backlogPk = (tenantId: string) => `PUSHBACKLOG#${tenantId}`;
const requestSk = (r: PushRequest) => `${RANK[r.priority]}#${r.requestedAt}#${r.deviceId}`;
const drainKey = (tenantId: string, minute: number) => ({ pk: `PUSHDRAIN#${tenantId}#${minute}`, sk: 'DRAIN' });

export class DynamoPushBacklogStore implements PushBacklogStore {
  constructor(private readonly db: Dynamo) {}

  async add(requests: PushRequest[]): Promise<void> {
    await this.write(
      requests.map((r) => ({ PutRequest: { Item: { pk: backlogPk(r.tenantId), sk: requestSk(r), request: r } } })),
    );
  }

  async head(tenantId: string, limit: number): Promise<PushRequest[]> {
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.db.tables.main,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': backlogPk(tenantId) },
        ConsistentRead: true,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((i) => i.request as PushRequest);
  }

  async remove(requests: PushRequest[]): Promise<void> {
    await this.write(
      requests.map((r) => ({ DeleteRequest: { Key: { pk: backlogPk(r.tenantId), sk: requestSk(r) } } })),
    );
  }

  async claimDrain(tenantId: string, minute: number): Promise<boolean> {
    try {
      await this.db.doc.send(
        new PutCommand({
          TableName: this.db.tables.main,
          Item: { ...drainKey(tenantId, minute), expiresAt: (minute + 60) * 60 },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  async releaseDrain(tenantId: string, minute: number): Promise<void> {
    await this.db.doc.send(new DeleteCommand({ TableName: this.db.tables.main, Key: drainKey(tenantId, minute) }));
  }

  /** BatchWriteItem in chunks of 25, retrying what DynamoDB leaves unprocessed. */
  private async write(requests: Array<Record<string, unknown>>): Promise<void> {
    const table = this.db.tables.main;
    for (let i = 0; i < requests.length; i += WRITE_BATCH_MAX) {
      let pending = requests.slice(i, i + WRITE_BATCH_MAX);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt === 8) throw new Error(`push backlog: ${pending.length} writes left unprocessed`);
        const out = await this.db.doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending as never } }));
        pending = (out.UnprocessedItems?.[table] as Array<Record<string, unknown>> | undefined) ?? [];
        if (pending.length) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
      }
    }
  }
}
