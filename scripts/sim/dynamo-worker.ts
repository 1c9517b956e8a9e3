// The simulator's database: dynalite with the server's tables, in a worker thread (shared-dynamo.ts).
import { parentPort } from 'node:worker_threads';
import { ensureTables, startEmbeddedDynamo } from '../../lambdas/adapters/dynamodb/embedded';
import { TABLES } from './shared-dynamo';
import type { ThreadMessage } from './threads';

async function main(): Promise<void> {
  const port = parentPort!;
  const post = (m: ThreadMessage) => port.postMessage(m);
  const dynamo = await startEmbeddedDynamo();
  await ensureTables(dynamo.client, TABLES);
  post({ type: 'ready', url: dynamo.endpoint });
  // The only request it gets is 'stop'.
  port.once('message', () => void dynamo.stop().then(() => post({ type: 'stopped' })));
}

void main();
