// Bulk command operations (Main table): one item for the operation in the tenant's partition and
// one item per chunk of devices in the operation's own partition, so that chunk workers running in
// parallel never write the same item twice and progress is an exact sum of chunk results.
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LOG_RETENTION_SECONDS } from '../../domain/types';
import type { BulkChunkResult, BulkOperation, BulkOperationStore } from '../../ports';
import { type Dynamo, isConditionFailed, queryPages, strip } from './client';

const opKey = (tenantId: string, id: string) => ({ pk: `TENANT#${tenantId}`, sk: `BULK#${id}` });
const chunkKey = (tenantId: string, id: string, chunk: number) => ({
  pk: `BULK#${tenantId}#${id}`,
  sk: `CHUNK#${String(chunk).padStart(8, '0')}`,
});

export class DynamoBulkOperationStore implements BulkOperationStore {
  constructor(private readonly db: Dynamo) {}

  /** Operations and their chunks are kept as long as the logs that mention them, then TTL removes them. */
  private expiresAt(at: string): number {
    return Math.floor(Date.parse(at) / 1000) + LOG_RETENTION_SECONDS;
  }

  async create(tenantId: string, op: BulkOperation): Promise<void> {
    await this.db.doc.send(
      new PutCommand({
        TableName: this.db.tables.main,
        Item: {
          ...opKey(tenantId, op.id),
          listedPages: {},
          ...op,
          chunksDone: 0,
          expiresAt: this.expiresAt(op.createdAt),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(tenantId: string, id: string): Promise<BulkOperation | undefined> {
    const out = await this.db.doc.send(
      new GetCommand({ TableName: this.db.tables.main, Key: opKey(tenantId, id), ConsistentRead: true }),
    );
    return out.Item ? this.fromItem(out.Item) : undefined;
  }

  private fromItem(item: Record<string, unknown>): BulkOperation {
    const { expiresAt: _expiresAt, ...op } = strip<BulkOperation & { expiresAt?: number }>(item);
    return op;
  }

  async recordListedPage(
    tenantId: string,
    id: string,
    page: number,
    devices: number,
    totalChunks?: number,
  ): Promise<BulkOperation> {
    const out = await this.db.doc.send(
      new UpdateCommand({
        TableName: this.db.tables.main,
        Key: opKey(tenantId, id),
        // A map entry per page: recording a page twice (a retried message) counts it once.
        UpdateExpression: `SET listedPages.#page = :n${totalChunks === undefined ? '' : ', totalChunks = :total'}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#page': String(page) },
        ExpressionAttributeValues: { ':n': devices, ...(totalChunks === undefined ? {} : { ':total': totalChunks }) },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return this.fromItem(out.Attributes ?? {});
  }

  async recordChunk(
    tenantId: string,
    id: string,
    result: BulkChunkResult,
  ): Promise<{ recorded: boolean; op?: BulkOperation }> {
    try {
      await this.db.doc.send(
        new PutCommand({
          TableName: this.db.tables.main,
          Item: { ...chunkKey(tenantId, id, result.chunk), ...result, expiresAt: this.expiresAt(result.finishedAt) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (isConditionFailed(err)) return { recorded: false };
      throw err;
    }
    const out = await this.db.doc.send(
      new UpdateCommand({
        TableName: this.db.tables.main,
        Key: opKey(tenantId, id),
        UpdateExpression: 'ADD chunksDone :one',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return { recorded: true, op: this.fromItem(out.Attributes ?? {}) };
  }

  async hasChunk(tenantId: string, id: string, chunk: number): Promise<boolean> {
    const out = await this.db.doc.send(
      new GetCommand({
        TableName: this.db.tables.main,
        Key: chunkKey(tenantId, id, chunk),
        ConsistentRead: true,
        ProjectionExpression: 'pk',
      }),
    );
    return !!out.Item;
  }

  async chunks(tenantId: string, id: string): Promise<BulkChunkResult[]> {
    const results: BulkChunkResult[] = [];
    for await (const page of queryPages(this.db, {
      TableName: this.db.tables.main,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': chunkKey(tenantId, id, 0).pk },
      ConsistentRead: true,
    })) {
      for (const item of page.items) {
        const { expiresAt: _expiresAt, ...result } = strip<BulkChunkResult & { expiresAt?: number }>(item);
        results.push(result);
      }
    }
    return results;
  }

  async finish(tenantId: string, id: string, finishedAt: string): Promise<boolean> {
    try {
      await this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tables.main,
          Key: opKey(tenantId, id),
          UpdateExpression: 'SET finishedAt = :at REMOVE sealedParams',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(finishedAt)',
          ExpressionAttributeValues: { ':at': finishedAt },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }
}
