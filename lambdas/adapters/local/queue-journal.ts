// Local mode's queues keep each message in the embedded database from the moment it is sent
// until it is processed (or dead-lettered), so work the server acknowledged survives a crash or
// a stop and runs after the next start, as it would on SQS.
import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Dynamo } from '../dynamodb/client';

export interface JournaledMessage<T> {
  id: string;
  body: T;
  /** Epoch ms when it is due (the send's delay). */
  dueAt: number;
}

export interface QueueJournal {
  put(queue: string, message: JournaledMessage<unknown>): Promise<void>;
  delete(queue: string, id: string): Promise<void>;
  /** Every message of `queue` still waiting, oldest first. */
  pending<T>(queue: string): Promise<Array<JournaledMessage<T>>>;
}

const pk = (queue: string) => `LOCALQUEUE#${queue}`;

/** One Main-table item per waiting message: `LOCALQUEUE#{queue}` / `{id}`. */
export class DynamoQueueJournal implements QueueJournal {
  constructor(private readonly db: Dynamo) {}

  async put(queue: string, message: JournaledMessage<unknown>): Promise<void> {
    await this.db.doc.send(
      new PutCommand({
        TableName: this.db.tables.main,
        Item: { pk: pk(queue), sk: message.id, body: message.body, dueAt: message.dueAt },
      }),
    );
  }

  async delete(queue: string, id: string): Promise<void> {
    await this.db.doc.send(new DeleteCommand({ TableName: this.db.tables.main, Key: { pk: pk(queue), sk: id } }));
  }

  async pending<T>(queue: string): Promise<Array<JournaledMessage<T>>> {
    const messages: Array<JournaledMessage<T>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.doc.send(
        new QueryCommand({
          TableName: this.db.tables.main,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk(queue) },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? [])
        messages.push({ id: String(item.sk), body: item.body as T, dueAt: Number(item.dueAt) });
      start = out.LastEvaluatedKey;
    } while (start);
    return messages;
  }
}
