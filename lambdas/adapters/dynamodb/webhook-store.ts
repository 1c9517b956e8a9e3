// Webhooks (Main table, in the tenant's partition) and their delivery log (Main table, one
// partition per webhook, 30-day TTL). The signing secret is not here: it is a tenant secret.
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Page } from '../../domain/types';
import type { Clock, DeliveryAttempt, Webhook, WebhookStore } from '../../ports';
import { type Dynamo, isConditionFailed, queryPages, strip } from './client';
import { type CursorCodec, cursorScope } from './cursor';

/** How long the delivery log keeps an attempt. */
const ATTEMPT_RETENTION_SECONDS = 30 * 24 * 3600;

const webhookKey = (tenantId: string, id: string) => ({ pk: `TENANT#${tenantId}`, sk: `WEBHOOK#${id}` });
const attemptsPk = (tenantId: string, webhookId: string) => `WEBHOOK#${tenantId}#${webhookId}`;

export class DynamoWebhookStore implements WebhookStore {
  constructor(
    private readonly db: Dynamo,
    private readonly clock: Clock,
    private readonly cursors: CursorCodec,
  ) {}

  async create(webhook: Webhook): Promise<void> {
    await this.db.doc.send(
      new PutCommand({
        TableName: this.db.tables.main,
        Item: { ...webhookKey(webhook.tenantId, webhook.id), ...webhook },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(tenantId: string, id: string): Promise<Webhook | undefined> {
    const out = await this.db.doc.send(
      new GetCommand({ TableName: this.db.tables.main, Key: webhookKey(tenantId, id), ConsistentRead: true }),
    );
    return out.Item ? strip<Webhook>(out.Item) : undefined;
  }

  async list(tenantId: string): Promise<Webhook[]> {
    const out: Webhook[] = [];
    for await (const page of queryPages(this.db, {
      TableName: this.db.tables.main,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}`, ':p': 'WEBHOOK#' },
    }))
      out.push(...page.items.map((i) => strip<Webhook>(i)));
    return out;
  }

  async update(
    tenantId: string,
    id: string,
    set: Partial<Omit<Webhook, 'tenantId' | 'id'>>,
    remove: string[] = [],
  ): Promise<Webhook | undefined> {
    const fields = Object.entries(set).filter(([, v]) => v !== undefined);
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    fields.forEach(([k, v], i) => {
      names[`#s${i}`] = k;
      values[`:s${i}`] = v;
    });
    remove.forEach((k, i) => {
      names[`#r${i}`] = k;
    });
    const clauses = [
      fields.length ? `SET ${fields.map((_, i) => `#s${i} = :s${i}`).join(', ')}` : '',
      remove.length ? `REMOVE ${remove.map((_, i) => `#r${i}`).join(', ')}` : '',
    ].filter(Boolean);
    if (!clauses.length) return this.get(tenantId, id);
    try {
      const out = await this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tables.main,
          Key: webhookKey(tenantId, id),
          UpdateExpression: clauses.join(' '),
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: names,
          ...(fields.length ? { ExpressionAttributeValues: values } : {}),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ? strip<Webhook>(out.Attributes) : undefined;
    } catch (err) {
      if (isConditionFailed(err)) return undefined;
      throw err;
    }
  }

  async noteFailure(tenantId: string, id: string, at: string): Promise<Webhook | undefined> {
    try {
      const out = await this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tables.main,
          Key: webhookKey(tenantId, id),
          UpdateExpression: 'SET failingSince = if_not_exists(failingSince, :at)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': at },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ? strip<Webhook>(out.Attributes) : undefined;
    } catch (err) {
      if (isConditionFailed(err)) return undefined;
      throw err;
    }
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const out = await this.db.doc.send(
      new DeleteCommand({ TableName: this.db.tables.main, Key: webhookKey(tenantId, id), ReturnValues: 'ALL_OLD' }),
    );
    return !!out.Attributes;
  }

  async recordAttempt(tenantId: string, a: DeliveryAttempt): Promise<void> {
    await this.db.doc.send(
      new PutCommand({
        TableName: this.db.tables.main,
        Item: {
          pk: attemptsPk(tenantId, a.webhookId),
          sk: `${a.at}#${a.eventId}#${a.attempt}`,
          ...a,
          expiresAt: Math.floor(Date.parse(a.at) / 1000) + ATTEMPT_RETENTION_SECONDS,
        },
      }),
    );
  }

  async attempts(tenantId: string, webhookId: string, cursor?: string, limit = 100): Promise<Page<DeliveryAttempt>> {
    const scope = cursorScope('webhook-deliveries', tenantId, { webhookId });
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.db.tables.main,
        KeyConditionExpression: 'pk = :pk',
        // dynalite has no TTL: expired attempts are filtered here, as the logs are.
        FilterExpression: 'expiresAt > :now',
        ExpressionAttributeValues: {
          ':pk': attemptsPk(tenantId, webhookId),
          ':now': Math.floor(this.clock.now().getTime() / 1000),
        },
        ScanIndexForward: false,
        ExclusiveStartKey: await this.cursors.decode(scope, cursor),
        Limit: limit,
      }),
    );
    return {
      items: (out.Items ?? []).map(({ expiresAt: _e, ...i }) => strip<DeliveryAttempt>(i)),
      cursor: await this.cursors.encode(scope, out.LastEvaluatedKey),
    };
  }
}
