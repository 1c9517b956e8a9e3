// An extra server in a worker thread, over the same database as the in-process server on the
// main thread: as a deployed API runs several Lambda containers over one DynamoDB table, with
// the per-tenant push budget shared through it. Devices connect here, so the fleet's work spreads
// over the cores; on one thread, its event loop is the limit.
//
// It is startLocal, exactly as `npm start` builds it, pointed at the shared database.
import { parentPort, workerData } from 'node:worker_threads';
import type { PushSender } from '../../lambdas/ports';
import type { AppConfig } from '../../lambdas/service/container';
import { startLocal } from '../../lambdas/wiring/local';
import { ScaledClock } from './clock';
import { SERVER_KEEP_ALIVE_MS } from './http';
import { useSharedDynamo } from './shared-dynamo';
import type { ThreadMessage, ThreadRequest } from './threads';

export interface ApiWorkerData {
  /** Tells the workers' FCM message ids apart. */
  name: string;
  dynamoEndpoint: string;
  apnsOrigin: string;
  apnsCa: string;
  config: Partial<AppConfig>;
  clock: { factor: number; start: number };
}

async function main(): Promise<void> {
  const data = workerData as ApiWorkerData;
  const port = parentPort!;
  const post = (m: ThreadMessage) => port.postMessage(m);
  let sent = 0;
  const fcm: PushSender = {
    async send(_tenantId, targets) {
      for (const t of targets) post({ type: 'fcm', token: t.token });
      return targets.map((t) => ({
        deviceId: t.deviceId,
        status: 'sent' as const,
        messageId: `projects/simulate/messages/${data.name}-${++sent}`,
      }));
    },
  };
  const local = await startLocal({
    inMemory: true,
    port: 0,
    schedules: false,
    clock: new ScaledClock(data.clock.factor, data.clock.start),
    apnsOrigin: data.apnsOrigin,
    apnsCa: data.apnsCa,
    push: { fcm },
    config: data.config,
  });
  useSharedDynamo(local.dynamo.client, data.dynamoEndpoint);
  local.server.keepAliveTimeout = SERVER_KEEP_ALIVE_MS;
  post({ type: 'ready', url: local.url });

  port.on('message', (request: ThreadRequest) => {
    if (request === 'dead-letters') post({ type: 'dead-letters', count: local.queue.deadLetterCount });
    else void local.stop().then(() => post({ type: 'stopped' }));
  });
}

void main();
