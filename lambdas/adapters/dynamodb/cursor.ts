// Paging cursors: opaque to clients and bound to the list they came from. A cursor carries
// DynamoDB's LastEvaluatedKey with an HMAC over (scope, key); the scope names the tenant, the kind
// of list and its filter, so a cursor replayed on another tenant's list, on another list or with
// another filter, or edited by hand, is refused (400) before it reaches DynamoDB.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { badRequest } from '../../domain/errors';
import type { SecretBox } from '../../ports';
import { type Dynamo, isConditionFailed } from './client';

type Key = Record<string, unknown>;

/** What a cursor is valid for: a kind of list, its tenant (or none) and its filter. */
export function cursorScope(kind: string, tenantId: string | undefined, filter: object = {}): string {
  const set = Object.entries(filter)
    .filter(([, v]) => v !== undefined && v !== '')
    .sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify([kind, tenantId ?? null, set]);
}

export interface CursorCodec {
  encode(scope: string, key: Key | undefined): Promise<string | undefined>;
  /** The key a cursor stands for; 400 when it is not a cursor this server issued for `scope`. */
  decode(scope: string, cursor: string | undefined): Promise<Key | undefined>;
}

const VERSION = 'c1';

export class SignedCursors implements CursorCodec {
  private key?: Promise<Buffer>;

  constructor(private readonly loadKey: () => Promise<Buffer>) {}

  private signingKey(): Promise<Buffer> {
    // Loaded once per process; a failed load is retried on the next call.
    this.key ??= this.loadKey().catch((err: unknown) => {
      this.key = undefined;
      throw err;
    });
    return this.key;
  }

  private async mac(scope: string, payload: string): Promise<Buffer> {
    return createHmac('sha256', await this.signingKey())
      .update(`${scope}\n${payload}`)
      .digest();
  }

  async encode(scope: string, key: Key | undefined): Promise<string | undefined> {
    if (!key) return undefined;
    const payload = Buffer.from(JSON.stringify(key)).toString('base64url');
    return `${VERSION}.${payload}.${(await this.mac(scope, payload)).toString('base64url')}`;
  }

  async decode(scope: string, cursor: string | undefined): Promise<Key | undefined> {
    if (!cursor) return undefined;
    const [version, payload, signature, extra] = cursor.split('.');
    if (version === VERSION && payload && signature && extra === undefined) {
      const expected = await this.mac(scope, payload);
      const given = Buffer.from(signature, 'base64url');
      if (given.length === expected.length && timingSafeEqual(given, expected))
        return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Key;
    }
    throw badRequest(
      'cursor is not valid for this list: pass back the cursor of the previous page of the same list, unchanged',
    );
  }
}

const CURSOR_KEY_ITEM = { pk: 'SYSTEM', sk: 'SECRET#cursor-key' };
const CURSOR_KEY_CONTEXT = 'system/cursor-key';

/**
 * The deployment's cursor signing key: 32 random bytes kept in the Main table, sealed by the
 * SecretBox (KMS when deployed, the key file under .data/ locally). The first process to need it
 * creates it; a concurrent creator loses the conditional put and reads the winner's.
 */
export function storedCursorKey(db: Dynamo, box: SecretBox): () => Promise<Buffer> {
  const read = async () => {
    const out = await db.doc.send(
      new GetCommand({ TableName: db.tables.main, Key: CURSOR_KEY_ITEM, ConsistentRead: true }),
    );
    return out.Item ? Buffer.from(await box.open(String(out.Item.sealed), CURSOR_KEY_CONTEXT), 'base64') : undefined;
  };
  return async () => {
    const existing = await read();
    if (existing) return existing;
    const fresh = randomBytes(32);
    try {
      await db.doc.send(
        new PutCommand({
          TableName: db.tables.main,
          Item: { ...CURSOR_KEY_ITEM, sealed: await box.seal(fresh.toString('base64'), CURSOR_KEY_CONTEXT) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return fresh;
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
      const winner = await read();
      if (!winner) throw err;
      return winner;
    }
  };
}
