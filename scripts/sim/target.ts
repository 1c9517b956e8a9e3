// The server the fleet talks to: the whole product started in-process (startLocal, as `npm start`
// builds it, with in-memory dynalite), pushing Apple devices through the fake APNs and Android
// agents through the simulator's stand-in for FCM. The database runs in a worker thread and more
// servers for the devices in others (shared-dynamo.ts, api-worker.ts), so the run uses every core.

import type { FakeApns } from '../../kit/fake-apns';
import type { PushSender } from '../../lambdas/ports';
import { type AppConfig, DEFAULT_CONFIG } from '../../lambdas/service/container';
import { createTenant } from '../../lambdas/service/tenants';
import { startLocal } from '../../lambdas/wiring/local';
import type { ApiWorkerData } from './api-worker';
import type { ScaledClock } from './clock';
import { SERVER_KEEP_ALIVE_MS } from './http';
import { useSharedDynamo } from './shared-dynamo';
import { startThread, type Thread } from './threads';

export interface SimTarget {
  /** Where the admin API is. */
  url: string;
  /** Where devices connect, spread over in turn (the API workers, else `url`). */
  deviceUrls: string[];
  tenant: string;
  adminKey: string;
  /** The tenant's pushes-per-minute cap, when known. */
  cap?: number;
  /** Push batches the server gave up on (in-process only: its queues' dead letters). */
  deadLetters(): Promise<number | undefined>;
  /** Pushes the server reserved from the tenant's budget in a server minute (in-process only). */
  budgetUsed?(minute: number): Promise<number>;
  /** In-process: how busy each worker thread's event loop has been since it started (0..1). */
  threadUtilization?(): { database: number; apiWorkers: number[] };
  stop(): Promise<void>;
}

export interface InProcessOptions {
  clock: ScaledClock;
  apns: FakeApns;
  fcm: PushSender;
  /** Where pushes the API workers send through FCM go (the fleet's stand-in for FCM). */
  onWorkerFcm: (token: string) => void;
  cap?: number;
  /** Real seconds per server minute (the clock runs 60/minuteSeconds times faster). */
  minuteSeconds: number;
  apiWorkers: number;
}

const TENANT = 'demo';

export async function startInProcess(o: InProcessOptions): Promise<SimTarget> {
  const cap = o.cap ?? DEFAULT_CONFIG.pushCapPerMinute;
  const config: Partial<AppConfig> = {
    pushCapPerMinute: cap,
    // Pushes over the cap wait for the next server minute; with a fast clock that comes in
    // seconds, so retry often instead of waiting for the next wall-clock minute.
    ...(o.minuteSeconds < 60 ? { pushDeferDelaySeconds: o.minuteSeconds / 10 } : {}),
  };
  // Stopped in reverse: the servers before the database they write to.
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  try {
    const database = await startThread('dynamo-worker.ts', undefined);
    stops.push(database.stop);
    const local = await startLocal({
      inMemory: true,
      port: 0,
      schedules: false,
      clock: o.clock,
      apnsOrigin: o.apns.origin,
      apnsCa: o.apns.serverCa,
      push: { fcm: o.fcm },
      config,
    });
    stops.push(local.stop);
    useSharedDynamo(local.dynamo.client, database.url);
    local.server.keepAliveTimeout = SERVER_KEEP_ALIVE_MS;
    // The demo tenant startLocal made lives in its own (now unused) database: make it again here.
    const { adminKey } = await createTenant(local.app, { id: TENANT, name: 'Simulation' });

    const apiWorkers: Thread[] = [];
    for (let i = 0; i < o.apiWorkers; i++) {
      const data: ApiWorkerData = {
        name: `api-${i + 1}`,
        dynamoEndpoint: database.url,
        apnsOrigin: o.apns.origin,
        apnsCa: o.apns.serverCa,
        config,
        clock: { factor: o.clock.factor, start: o.clock.start },
      };
      const worker = await startThread('api-worker.ts', data, (m) => o.onWorkerFcm(m.token));
      stops.push(worker.stop);
      apiWorkers.push(worker);
    }
    return {
      url: local.url,
      deviceUrls: apiWorkers.length ? apiWorkers.map((w) => w.url) : [local.url],
      tenant: TENANT,
      adminKey,
      cap,
      deadLetters: async () => {
        const counts = await Promise.all(apiWorkers.map((w) => w.deadLetters()));
        return counts.reduce((a, b) => a + b, local.queue.deadLetterCount);
      },
      budgetUsed: (minute) => local.app.stores.budget.used(TENANT, minute),
      threadUtilization: () => ({
        database: database.utilization(),
        apiWorkers: apiWorkers.map((w) => w.utilization()),
      }),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
