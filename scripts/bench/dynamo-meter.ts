// Counts what the stores ask of DynamoDB: every call, its read and write units (capacity.ts rules,
// GSI writes included) and what kind of item it touched, attributed to the function that would
// make it when deployed (apple, android, admin, push-worker, jobs).
//
// How: an `initialize`-step middleware on the DynamoDB client the stores use (the document client
// shares its middleware stack). Around each write it reads the item before and after with a second,
// uninstrumented client, so GSI writes can be charged from the two images; writes are metered one
// at a time so no other write slips between those reads. Reads are charged from the items read.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Server } from 'node:http';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { failedConditionUnits, type Item, itemSize, readUnits, type TableDef, writeCost } from './capacity';

/** Which deployed function a piece of work belongs to; set by the harness around each entry point. */
export const actor = new AsyncLocalStorage<string>();

export function runAs<T>(name: string, fn: () => T): T {
  return actor.run(name, fn);
}

export interface OpRecord {
  op: string;
  table: string;
  index?: string;
  actor: string;
  kind: string;
  rru: number;
  wru: number;
  /** Write units charged to each GSI (part of `wru`). */
  indexWru: Record<string, number>;
  /** What dynalite itself reported (ConsumedCapacity, table only), for comparison. */
  reported?: number;
  conditionFailed?: boolean;
  /** Bytes of the item after a write (Logs items: what retention stores). */
  bytesAfter?: number;
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);
const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan']);

type Key = Record<string, unknown>;
type AnyInput = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A short name for what an item is, from its keys (docs/architecture.md key design). */
export function itemKind(table: TableDef, key: Key, item?: Item): string {
  if (table.name.toLowerCase().includes('log')) {
    const type = item?.type?.S ?? '?';
    const event = item?.event?.S;
    return `log:${type}${event ? `:${event}` : ''}`;
  }
  const pk = String(key[table.partitionKey] ?? '');
  const sk = String(key[table.sortKey ?? ''] ?? '');
  if (sk === 'DEVICE') return 'device';
  if (sk === 'DEVICE#DETAIL') return 'device-detail';
  if (sk.startsWith('CMD#')) return 'command';
  if (pk.startsWith('COUNTERS#')) return 'counters';
  if (pk.startsWith('BUDGET#')) return 'push-budget';
  if (pk.startsWith('APIKEY#')) return 'api-key';
  if (pk === 'TENANTS') return 'tenant-registry';
  if (pk.startsWith('TENANT#')) return sk === 'TENANT' ? 'tenant' : sk.split('#')[0].toLowerCase();
  return pk.split('#')[0].toLowerCase() || 'other';
}

export class DynamoMeter {
  readonly records: OpRecord[] = [];
  private enabled = false;
  private writeChain: Promise<unknown> = Promise.resolve();
  private readonly raw: DynamoDBClient;
  private readonly tables: Map<string, TableDef>;

  constructor(endpoint: string, tables: TableDef[]) {
    this.raw = new DynamoDBClient({
      endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    this.tables = new Map(tables.map((t) => [t.name, t]));
  }

  /** Adds the middleware to a client (idempotent by name); it only records between start() and stop(). */
  install(client: Pick<DynamoDBClient, 'middlewareStack'>): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const op = String((context as { commandName?: string }).commandName ?? '').replace(/Command$/, '');
        if (!this.enabled || (!WRITES.has(op) && !READS.has(op))) return next(args);
        const input = args.input as AnyInput;
        const who = actor.getStore() ?? 'other';
        // Ask dynalite for its own figure too (it answers, for the table only): a cross-check.
        const send = () => next({ ...args, input: { ...input, ReturnConsumedCapacity: 'TOTAL' } });
        if (WRITES.has(op)) return this.serialized(() => this.meterWrite(op, input, who, send));
        const out = await send();
        await this.meterRead(op, input, (out as { output: AnyInput }).output, who);
        return out;
      },
      { step: 'initialize', name: 'benchDynamoMeter', override: true },
    );
  }

  start(): void {
    this.records.length = 0;
    this.enabled = true;
  }

  stop(): OpRecord[] {
    this.enabled = false;
    return [...this.records];
  }

  close(): void {
    this.raw.destroy();
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writeChain.then(fn, fn);
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  private table(name: string): TableDef {
    const t = this.tables.get(name);
    if (!t) throw new Error(`bench meter: unknown table ${name}`);
    return t;
  }

  private keyOf(table: TableDef, item: Key): Key {
    const key: Key = { [table.partitionKey]: item[table.partitionKey] };
    if (table.sortKey) key[table.sortKey] = item[table.sortKey];
    return key;
  }

  /** The stored item in wire form, read with the uninstrumented client (keys are strings here). */
  private async image(tableName: string, key: Key): Promise<Item | undefined> {
    const Key = Object.fromEntries(Object.entries(key).map(([k, v]) => [k, { S: String(v) }]));
    const out = await this.raw.send(new GetItemCommand({ TableName: tableName, Key, ConsistentRead: true }));
    return out.Item;
  }

  private async meterWrite<T extends { output: unknown }>(
    op: string,
    input: AnyInput,
    who: string,
    send: () => Promise<T>,
  ): Promise<T> {
    const targets: Array<{ table: TableDef; key: Key; deletes: boolean }> = [];
    if (op === 'BatchWriteItem') {
      for (const [name, requests] of Object.entries(input.RequestItems as Record<string, AnyInput[]>)) {
        const table = this.table(name);
        for (const r of requests) {
          targets.push(
            r.PutRequest
              ? { table, key: this.keyOf(table, r.PutRequest.Item), deletes: false }
              : { table, key: this.keyOf(table, r.DeleteRequest.Key), deletes: true },
          );
        }
      }
    } else {
      const table = this.table(input.TableName);
      targets.push({
        table,
        key: this.keyOf(table, op === 'PutItem' ? input.Item : input.Key),
        deletes: op === 'DeleteItem',
      });
    }
    const before = await Promise.all(targets.map((t) => this.image(t.table.name, t.key)));
    let out: T;
    try {
      out = await send();
    } catch (err) {
      if ((err as { name?: string }).name === 'ConditionalCheckFailedException') {
        const t = targets[0];
        this.records.push({
          op,
          table: t.table.name,
          actor: who,
          kind: itemKind(t.table, t.key, before[0]),
          rru: 0,
          wru: failedConditionUnits(before[0]),
          indexWru: {},
          conditionFailed: true,
        });
      }
      throw err;
    }
    const after = await Promise.all(targets.map((t) => (t.deletes ? undefined : this.image(t.table.name, t.key))));
    const consumed = (out.output as AnyInput).ConsumedCapacity as AnyInput | AnyInput[] | undefined;
    const reported = [consumed ?? []].flat().reduce((s: number, c: AnyInput) => s + Number(c.CapacityUnits ?? 0), 0);
    targets.forEach((t, i) => {
      const cost = writeCost(t.table, before[i], after[i]);
      this.records.push({
        op,
        table: t.table.name,
        actor: who,
        kind: itemKind(t.table, t.key, after[i] ?? before[i]),
        rru: 0,
        wru: cost.total,
        indexWru: cost.indexes,
        bytesAfter: itemSize(after[i]),
        ...(i === 0 && consumed !== undefined ? { reported } : {}),
      });
    });
    return out;
  }

  private async meterRead(op: string, input: AnyInput, output: AnyInput, who: string): Promise<void> {
    if (op === 'GetItem') {
      const table = this.table(input.TableName);
      const found = await this.image(table.name, input.Key);
      this.records.push({
        op,
        table: table.name,
        actor: who,
        kind: itemKind(table, input.Key, found),
        rru: readUnits(itemSize(found), input.ConsistentRead === true),
        wru: 0,
        indexWru: {},
        reported: output.ConsumedCapacity?.CapacityUnits,
      });
      return;
    }
    if (op === 'BatchGetItem') {
      // Each key is its own read, rounded up on its own (found or not).
      for (const [name, request] of Object.entries(input.RequestItems as Record<string, AnyInput>)) {
        const table = this.table(name);
        for (const key of request.Keys as Key[]) {
          const found = await this.image(name, key);
          this.records.push({
            op,
            table: name,
            actor: who,
            kind: itemKind(table, key, found),
            rru: readUnits(itemSize(found), request.ConsistentRead === true),
            wru: 0,
            indexWru: {},
          });
        }
      }
      return;
    }
    // Query and Scan: dynalite sums the sizes of the items it read (before any filter), as DynamoDB
    // does; it reports 0 for an empty result, where DynamoDB charges the minimum.
    const consistent = input.ConsistentRead === true && !input.IndexName;
    const reported = Number(output.ConsumedCapacity?.CapacityUnits ?? 0);
    const table = this.table(input.TableName);
    this.records.push({
      op,
      table: table.name,
      index: input.IndexName,
      actor: who,
      kind: `${op.toLowerCase()}:${input.IndexName ?? 'table'}`,
      rru: Math.max(reported, consistent ? 1 : 0.5),
      wru: 0,
      indexWru: {},
      reported,
    });
  }
}

/** Which function serves a path when deployed (lambdas/api/routes.ts surfaces). */
export function surfaceOfPath(url: string | undefined): string {
  const path = url ?? '';
  if (path.startsWith('/mdm/')) return 'apple';
  if (path.startsWith('/android/')) return 'android';
  if (path.startsWith('/admin/')) return 'admin';
  return 'other';
}

export interface HttpRecord {
  surface: string;
  requestBytes: number;
  responseBytes: number;
}

/**
 * Runs every request of a node:http server under the actor of its surface and reports its sizes.
 * The server's own listeners are moved under a wrapper; nothing else about them changes.
 */
export function instrumentServer(server: Server, onRequest: (r: HttpRecord) => void): void {
  const listeners = server.listeners('request') as Array<(...args: unknown[]) => void>;
  server.removeAllListeners('request');
  server.on('request', (req, res) => {
    const surface = surfaceOfPath(req.url);
    // Headers given to writeHead() are not readable back: count the body as it is ended.
    let responseBytes = 0;
    const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
    res.end = ((...args: unknown[]) => {
      const chunk = args[0];
      if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) responseBytes += Buffer.byteLength(chunk);
      return end(...args);
    }) as typeof res.end;
    res.on('finish', () =>
      onRequest({ surface, requestBytes: Number(req.headers['content-length'] ?? 0), responseBytes }),
    );
    runAs(surface, () => {
      for (const l of listeners) l.call(server, req, res);
    });
  });
}
