// Tenant-scoped configuration: tenants, API keys, templates, enrollments, secrets (Main table).
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdateError, conflict, notFound } from '../../domain/errors';
import type { ApiKey, Enrollment, Page, Template, Tenant } from '../../domain/types';
import type {
  ApiKeyStore,
  EnrollmentStore,
  ScepChallengeBinding,
  SecretBox,
  SecretStore,
  TemplateStore,
  TenantStore,
} from '../../ports';
import { type Dynamo, isConditionFailed, queryPages, strip } from './client';
import { type CursorCodec, cursorScope } from './cursor';

const tenantPk = (t: string) => `TENANT#${t}`;

/** The tenant registry is one list for the whole deployment (operators page through it). */
const TENANTS_SCOPE = cursorScope('tenants', undefined);

export class DynamoTenantStore implements TenantStore {
  constructor(
    private readonly db: Dynamo,
    private readonly cursors: CursorCodec,
  ) {}

  async create(tenant: Tenant): Promise<void> {
    try {
      await this.db.doc.send(
        new PutCommand({
          TableName: this.db.tables.main,
          Item: { pk: tenantPk(tenant.id), sk: 'TENANT', ...tenant },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (isConditionFailed(err)) throw conflict(`tenant ${tenant.id} already exists`);
      throw err;
    }
    // The registry item lets jobs page through tenants; writing it twice is harmless.
    await this.db.doc.send(new PutCommand({ TableName: this.db.tables.main, Item: { pk: 'TENANTS', sk: tenant.id } }));
  }

  async get(id: string): Promise<Tenant | undefined> {
    const out = await this.db.doc.send(
      new GetCommand({ TableName: this.db.tables.main, Key: { pk: tenantPk(id), sk: 'TENANT' } }),
    );
    return out.Item ? strip<Tenant>(out.Item) : undefined;
  }

  async update(id: string, patch: Partial<Omit<Tenant, 'id' | 'createdAt'>>): Promise<Tenant> {
    const sets: string[] = [];
    const removes: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(patch)) {
      names[`#${k}`] = k;
      if (v === undefined) removes.push(`#${k}`);
      else {
        sets.push(`#${k} = :${k}`);
        values[`:${k}`] = v;
      }
    }
    if (!sets.length && !removes.length) {
      const current = await this.get(id);
      if (!current) throw notFound('tenant');
      return current;
    }
    try {
      const out = await this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tables.main,
          Key: { pk: tenantPk(id), sk: 'TENANT' },
          UpdateExpression: [
            sets.length ? `SET ${sets.join(', ')}` : '',
            removes.length ? `REMOVE ${removes.join(', ')}` : '',
          ].join(' '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: Object.keys(values).length ? values : undefined,
          ConditionExpression: 'attribute_exists(pk)',
          ReturnValues: 'ALL_NEW',
        }),
      );
      return strip<Tenant>(out.Attributes!);
    } catch (err) {
      if (isConditionFailed(err)) throw notFound('tenant');
      throw err;
    }
  }

  async list(cursor?: string, limit = 100): Promise<Page<Tenant>> {
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.db.tables.main,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'TENANTS' },
        ExclusiveStartKey: await this.cursors.decode(TENANTS_SCOPE, cursor),
        Limit: limit,
      }),
    );
    const tenants = await Promise.all((out.Items ?? []).map((i) => this.get(String(i.sk))));
    return {
      items: tenants.filter((t): t is Tenant => !!t),
      cursor: await this.cursors.encode(TENANTS_SCOPE, out.LastEvaluatedKey),
    };
  }
}

export class DynamoApiKeyStore implements ApiKeyStore {
  constructor(private readonly db: Dynamo) {}

  async put(key: ApiKey): Promise<void> {
    await this.db.doc.send(
      new PutCommand({
        TableName: this.db.tables.main,
        Item: {
          pk: `APIKEY#${key.hash}`,
          sk: 'APIKEY',
          gsi1pk: `${key.tenantId ?? '-operator'}#apikeys`,
          gsi1sk: key.id,
          ...key,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async getByHash(hash: string): Promise<ApiKey | undefined> {
    const out = await this.db.doc.send(
      new GetCommand({ TableName: this.db.tables.main, Key: { pk: `APIKEY#${hash}`, sk: 'APIKEY' } }),
    );
    return out.Item ? strip<ApiKey>(out.Item) : undefined;
  }

  async listByTenant(tenantId: string): Promise<ApiKey[]> {
    const keys: ApiKey[] = [];
    for await (const page of queryPages(this.db, {
      TableName: this.db.tables.main,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': `${tenantId}#apikeys` },
    })) {
      for (const k of page.items) {
        const key = await this.db.doc.send(
          new GetCommand({ TableName: this.db.tables.main, Key: { pk: k.pk, sk: k.sk } }),
        );
        if (key.Item) keys.push(strip<ApiKey>(key.Item));
      }
    }
    return keys.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const key = (await this.listByTenant(tenantId)).find((k) => k.id === id);
    if (!key) return false;
    await this.db.doc.send(
      new DeleteCommand({ TableName: this.db.tables.main, Key: { pk: `APIKEY#${key.hash}`, sk: 'APIKEY' } }),
    );
    return true;
  }

  async touch(hash: string, at: string): Promise<void> {
    await this.db.doc
      .send(
        new UpdateCommand({
          TableName: this.db.tables.main,
          Key: { pk: `APIKEY#${hash}`, sk: 'APIKEY' },
          UpdateExpression: 'SET lastUsedAt = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': at },
        }),
      )
      .catch((err) => {
        if (!isConditionFailed(err)) throw err;
      });
  }
}

export class DynamoTemplateStore implements TemplateStore {
  constructor(
    private readonly db: Dynamo,
    private readonly cursors: CursorCodec,
  ) {}

  private key(tenantId: string, id: string) {
    return { pk: tenantPk(tenantId), sk: `TEMPLATE#${id}` };
  }

  async create(template: Template): Promise<void> {
    try {
      await this.db.doc.send(
        new PutCommand({
          TableName: this.db.tables.main,
          Item: { ...this.key(template.tenantId, template.id), ...template },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (isConditionFailed(err)) throw conflict(`template ${template.id} already exists`);
      throw err;
    }
  }

  async get(tenantId: string, id: string): Promise<Template | undefined> {
    const out = await this.db.doc.send(
      new GetCommand({ TableName: this.db.tables.main, Key: this.key(tenantId, id), ConsistentRead: true }),
    );
    return out.Item ? strip<Template>(out.Item) : undefined;
  }

  async replace(template: Template, expectedVersion: number): Promise<void> {
    try {
      await this.db.doc.send(
        new PutCommand({
          TableName: this.db.tables.main,
          Item: { ...this.key(template.tenantId, template.id), ...template },
          ConditionExpression: 'version = :v',
          ExpressionAttributeValues: { ':v': expectedVersion },
        }),
      );
    } catch (err) {
      if (isConditionFailed(err)) throw new ConcurrentUpdateError(`template ${template.id}`);
      throw err;
    }
  }

  async delete(tenantId: string, id: string): Promise<void> {
    await this.db.doc.send(new DeleteCommand({ TableName: this.db.tables.main, Key: this.key(tenantId, id) }));
  }

  async list(tenantId: string, cursor?: string, limit = 100): Promise<Page<Template>> {
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.db.tables.main,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':p': 'TEMPLATE#' },
        ExclusiveStartKey: await this.cursors.decode(cursorScope('templates', tenantId), cursor),
        Limit: limit,
      }),
    );
    return {
      items: (out.Items ?? []).map((i) => strip<Template>(i)),
      cursor: await this.cursors.encode(cursorScope('templates', tenantId), out.LastEvaluatedKey),
    };
  }
}

export class DynamoEnrollmentStore implements EnrollmentStore {
  constructor(private readonly db: Dynamo) {}

  private key(tenantId: string, tokenHash: string) {
    return { pk: tenantPk(tenantId), sk: `ENROLL#${tokenHash}` };
  }

  async create(enrollment: Enrollment): Promise<void> {
    await this.db.doc.send(
      new PutCommand({
        TableName: this.db.tables.main,
        Item: { ...this.key(enrollment.tenantId, enrollment.tokenHash), ...enrollment },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(tenantId: string, tokenHash: string): Promise<Enrollment | undefined> {
    const out = await this.db.doc.send(
      new GetCommand({ TableName: this.db.tables.main, Key: this.key(tenantId, tokenHash), ConsistentRead: true }),
    );
    return out.Item ? strip<Enrollment>(out.Item) : undefined;
  }

  async markUsed(tenantId: string, tokenHash: string, deviceId: string, at: string): Promise<boolean> {
    try {
      await this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tables.main,
          Key: this.key(tenantId, tokenHash),
          UpdateExpression: 'SET usedAt = :at, deviceId = :d',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(usedAt)',
          ExpressionAttributeValues: { ':at': at, ':d': deviceId },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  private challengeKey(tenantId: string, challengeHash: string) {
    return { pk: tenantPk(tenantId), sk: `SCEPCHALLENGE#${challengeHash}` };
  }

  async putScepChallenge(
    tenantId: string,
    challengeHash: string,
    binding: ScepChallengeBinding,
    expiresAt: string,
  ): Promise<void> {
    const bound = 'enrollment' in binding ? { tokenHash: binding.enrollment } : { deviceId: binding.device };
    await this.db.doc.send(
      new PutCommand({
        TableName: this.db.tables.main,
        // expiresAt in epoch seconds: DynamoDB's TTL removes the item some time after it expired.
        Item: { ...this.challengeKey(tenantId, challengeHash), ...bound, expiresAt: epochSeconds(expiresAt) },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async useScepChallenge(
    tenantId: string,
    challengeHash: string,
    at: string,
  ): Promise<ScepChallengeBinding | undefined> {
    try {
      const out = await this.db.doc.send(
        new UpdateCommand({
          TableName: this.db.tables.main,
          Key: this.challengeKey(tenantId, challengeHash),
          UpdateExpression: 'SET usedAt = :at',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(usedAt) AND expiresAt > :now',
          ExpressionAttributeValues: { ':at': at, ':now': epochSeconds(at) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const item = out.Attributes;
      if (typeof item?.tokenHash === 'string') return { enrollment: item.tokenHash };
      if (typeof item?.deviceId === 'string') return { device: item.deviceId };
      return undefined;
    } catch (err) {
      if (isConditionFailed(err)) return undefined;
      throw err;
    }
  }
}

const epochSeconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

/** Tenant secrets, sealed by the SecretBox before they reach the table. */
export class DynamoSecretStore implements SecretStore {
  constructor(
    private readonly db: Dynamo,
    private readonly box: SecretBox,
  ) {}

  async put(tenantId: string, name: string, value: string): Promise<void> {
    const sealed = await this.box.seal(value, `${tenantId}/${name}`);
    await this.db.doc.send(
      new PutCommand({
        TableName: this.db.tables.main,
        Item: { pk: tenantPk(tenantId), sk: `SECRET#${name}`, sealed },
      }),
    );
  }

  async get(tenantId: string, name: string): Promise<string | undefined> {
    const out = await this.db.doc.send(
      new GetCommand({ TableName: this.db.tables.main, Key: { pk: tenantPk(tenantId), sk: `SECRET#${name}` } }),
    );
    return out.Item ? this.box.open(String(out.Item.sealed), `${tenantId}/${name}`) : undefined;
  }

  async delete(tenantId: string, name: string): Promise<void> {
    await this.db.doc.send(
      new DeleteCommand({ TableName: this.db.tables.main, Key: { pk: tenantPk(tenantId), sk: `SECRET#${name}` } }),
    );
  }
}
