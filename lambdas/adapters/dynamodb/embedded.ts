// Embedded DynamoDB for `npm start` and the tests: dynalite speaks the real DynamoDB protocol
// in-process, so the adapters under test are the ones that are deployed.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { createTable, upgradeLocalData } from './local-upgrade';
import { type TableNames, tableDefinitions } from './tables';

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (opts: {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;

export interface EmbeddedDynamo {
  endpoint: string;
  client: DynamoDBClient;
  stop(): Promise<void>;
}

/**
 * Starts dynalite on 127.0.0.1 (random port unless given); persists under `path` when given.
 * A persistent database (the data of `npm start`) answers only requests signed with an access
 * key id drawn at random for this process, which `client` uses: any local user can reach the
 * port, but not read or write every tenant's items through it. An in-memory one (tests, the
 * simulator's shared database) holds no data at rest and answers any key.
 */
export async function startEmbeddedDynamo(opts: { path?: string; port?: number } = {}): Promise<EmbeddedDynamo> {
  const server = dynalite({ path: opts.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const accessKeyId = opts.path ? `local-${randomBytes(24).toString('hex')}` : 'local';
  if (opts.path) requireAccessKey(server, accessKeyId);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoClient(endpoint, accessKeyId);
  return {
    endpoint,
    client,
    stop: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function localDynamoClient(endpoint: string, accessKeyId = 'local'): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId, secretAccessKey: 'local' },
    maxAttempts: 3,
  });
}

/** The access key id of a SigV4 `Authorization` header (`AWS4-HMAC-SHA256 Credential=<id>/<date>/...`). */
const signedAccessKeyId = (authorization: string | undefined) =>
  /\bCredential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];

/** Puts an access-key check in front of dynalite's own request handler. */
function requireAccessKey(server: Server, accessKeyId: string): void {
  const digest = (v: string) => createHash('sha256').update(v).digest();
  const expected = digest(accessKeyId);
  const handlers = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (timingSafeEqual(digest(signedAccessKeyId(req.headers.authorization) ?? ''), expected)) {
      for (const handle of handlers) handle(req, res);
      return;
    }
    req.resume();
    res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(
      JSON.stringify({
        __type: 'com.amazonaws.dynamodb.v20120810#UnrecognizedClientException',
        message: 'The security token included in the request is invalid.',
      }),
    );
  });
}

/**
 * Creates the tables that do not exist yet (idempotent: a restart keeps the data) and brings data
 * written by an earlier version up to the current key design (local-upgrade.ts).
 */
export async function ensureTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
  const created = new Set<string>();
  for (const def of tableDefinitions(names)) {
    if (existing.has(def.TableName!)) continue;
    await createTable(client, def);
    created.add(def.TableName!);
  }
  await upgradeLocalData(client, names, created);
}
