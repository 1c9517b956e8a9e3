// Local mode: dynalite with data under .data/, the in-process queues and scheduler, every
// route on one node:http server. Built once by bin/local.ts and by the end-to-end tests.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { buildConsole } from '../../console/build';
import { ApnsSender } from '../adapters/apns/apns-sender';
import { makeDynamo } from '../adapters/dynamodb/client';
import { type EmbeddedDynamo, ensureTables, startEmbeddedDynamo } from '../adapters/dynamodb/embedded';
import { makeDynamoStores } from '../adapters/dynamodb/stores';
import { FcmSender } from '../adapters/fcm/fcm-sender';
import { HttpWebhookTransport } from '../adapters/http/webhook-transport';
import { makeDataDirPrivate } from '../adapters/local/data-dir';
import { InMemoryEventBus } from '../adapters/local/event-list';
import { InProcessBulkQueue, InProcessPushQueue, InProcessWebhookQueue } from '../adapters/local/in-process-queue';
import { DynamoQueueJournal } from '../adapters/local/queue-journal';
import { InProcessScheduler } from '../adapters/local/scheduler';
import { AesSecretBox } from '../adapters/local/secret-box';
import { allOperations } from '../api/operations';
import { ROUTE_TABLE } from '../api/routes';
import { JOB_NAMES, type JobName } from '../domain/jobs';
import { isConsolePath, type StaticFile, serveConsole } from '../http/console-static';
import { createNodeServer } from '../http/node-server';
import { createPipeline } from '../http/pipeline';
import type { HttpRequest, HttpResponse } from '../http/types';
import { logger } from '../logger';
import type { Clock, PushSender } from '../ports';
import { runBulkWork } from '../service/bulk-commands';
import { type App, type AppConfig, DEFAULT_CONFIG, withTenantCache } from '../service/container';
import { runJob } from '../service/jobs';
import { apnsCredentials, fcmCredentials } from '../service/push-credential-loaders';
import { handlePushMessage } from '../service/push-worker';
import { createApiKey, createTenant } from '../service/tenants';
import { deliverWebhook } from '../service/webhooks';

export interface LocalOptions {
  dataDir?: string;
  /** Keep the data in memory only (tests). */
  inMemory?: boolean;
  port?: number;
  host?: string;
  clock?: Clock;
  config?: Partial<AppConfig>;
  apnsOrigin?: string;
  /** Extra trusted CA for the APNs endpoint (tests with a local fake; production uses NODE_EXTRA_CA_CERTS). */
  apnsCa?: string;
  push?: { apns?: PushSender; fcm?: PushSender };
  /** Run the schedules in-process (default true for npm start, false in tests). */
  schedules?: boolean;
  log?: (line: string) => void;
}

export interface LocalServer {
  app: App;
  url: string;
  /** The request pipeline itself (what the node:http server and API Gateway both feed). */
  handle: (req: HttpRequest) => Promise<HttpResponse>;
  server: Server;
  queue: InProcessPushQueue;
  bulkQueue: InProcessBulkQueue;
  webhookQueue: InProcessWebhookQueue;
  /** What a deployment would have put on its EventBridge bus. */
  eventBus: InMemoryEventBus;
  /** Resolves once the bulk fan-out and the pushes it asked for are done (within the queue's horizon). */
  settled(): Promise<void>;
  dynamo: EmbeddedDynamo;
  /** Printed once on first start, and kept under the data directory. */
  credentials: { adminKey: string; operatorKey: string; firstStart: boolean };
  stop(): Promise<void>;
}

const TABLES = { main: 'Main', logs: 'Logs' };
const systemClock: Clock = { now: () => new Date() };
/** How often `npm start` runs each job (deployed: the EventBridge schedules of lib/constructs/schedules.ts). */
const LOCAL_JOB_INTERVAL_MS: Record<JobName, number> = {
  resync: 24 * 3600_000,
  'not-responding-sweep': 3600_000,
  'reconcile-counters': 24 * 3600_000,
  'certificate-check': 24 * 3600_000,
};

export async function startLocal(opts: LocalOptions = {}): Promise<LocalServer> {
  const dataDir = opts.dataDir ?? '.data';
  // Before anything is written under it: the data folder is the user's alone.
  if (!opts.inMemory) makeDataDirPrivate(dataDir);
  const dynamo = await startEmbeddedDynamo(opts.inMemory ? {} : { path: join(dataDir, 'dynamodb') });
  await ensureTables(dynamo.client, TABLES);
  const clock = opts.clock ?? systemClock;
  const box = opts.inMemory
    ? new AesSecretBox(Buffer.alloc(32, 7))
    : AesSecretBox.fromKeyFile(join(dataDir, 'secret.key'));
  const { stores, tenantCache } = withTenantCache(makeDynamoStores(dynamo.client, TABLES, clock, box));
  // With data on disk, queued work is durable too: what a crash interrupts runs after the next start.
  const journal = opts.inMemory ? undefined : new DynamoQueueJournal(makeDynamo(dynamo.client, TABLES));
  const queue = new InProcessPushQueue({
    journal: journal && { store: journal, queue: 'push' },
    onDeadLetter: (message, err) =>
      logger.error({
        msg: 'push message dead-lettered',
        ...('drain' in message ? { drain: message.drain.tenantId } : { size: message.requests.length }),
        error: String(err),
      }),
  });
  const apns =
    opts.push?.apns ??
    new ApnsSender({
      origin: opts.apnsOrigin ?? process.env.APNS_ORIGIN,
      credentials: apnsCredentials({ stores, tenantCache }),
      now: () => clock.now(),
      ca: opts.apnsCa,
    });
  const fcm = opts.push?.fcm ?? new FcmSender({ credentials: fcmCredentials({ stores, tenantCache }) });
  // Local mode: a webhook receiver on this machine (http://127.0.0.1, localhost) works.
  const config: AppConfig = { ...DEFAULT_CONFIG, allowLoopbackHttp: true, ...opts.config };
  const bulkQueue = new InProcessBulkQueue({
    journal: journal && { store: journal, queue: 'bulk' },
    onDeadLetter: (work, err) =>
      logger.error({
        msg: 'bulk step dead-lettered',
        kind: work.kind,
        operationId: work.operationId,
        error: String(err),
      }),
  });
  const webhookQueue = new InProcessWebhookQueue({
    journal: journal && { store: journal, queue: 'webhook' },
    onDeadLetter: (delivery, err) =>
      logger.error({
        msg: 'webhook delivery dead-lettered',
        webhookId: delivery.webhookId,
        eventId: delivery.event.id,
        error: String(err),
      }),
  });
  const eventBus = new InMemoryEventBus();
  const app: App = {
    stores,
    tenantCache,
    box,
    clock,
    config,
    pushQueue: queue,
    bulkQueue,
    push: { apns, fcm },
    events: eventBus,
    webhookQueue,
    webhookTransport: new HttpWebhookTransport({ allowLoopbackHttp: config.allowLoopbackHttp }),
  };
  queue.consume(async (message) => {
    await handlePushMessage(app, message);
  });
  bulkQueue.consume((work) => runBulkWork(app, work));
  webhookQueue.consume(async (delivery) => {
    await deliverWebhook(app, delivery);
  });
  const resumed = {
    push: await queue.resume(),
    bulk: await bulkQueue.resume(),
    webhook: await webhookQueue.resume(),
  };
  if (resumed.push || resumed.bulk || resumed.webhook)
    logger.info({ msg: 'resumed queued work from the last run', ...resumed });

  const credentials = await bootstrapDemo(app, dataDir, !!opts.inMemory);

  const handle = createPipeline(app, ROUTE_TABLE, allOperations, ['apple', 'android', 'admin']);
  // The admin console (docs/console.md) is built on its first request, so tests that never open it
  // do not pay for the build.
  let consoleFiles: Map<string, StaticFile> | undefined;
  const server = createNodeServer(async (req) =>
    isConsolePath(req.path) ? serveConsole(req, (consoleFiles ??= buildConsole())) : handle(req),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8080, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host ?? '127.0.0.1'}:${port}`;
  config.listenUrl = url;

  const scheduler = new InProcessScheduler((job, err) =>
    logger.error({ msg: 'scheduled job failed', job, error: String(err) }),
  );
  if (opts.schedules ?? true) {
    scheduler.start(
      JOB_NAMES.map((name) => ({ name, everyMs: LOCAL_JOB_INTERVAL_MS[name], run: () => runJob(app, name) })),
    );
  }

  return {
    app,
    url,
    handle,
    server,
    queue,
    bulkQueue,
    webhookQueue,
    eventBus,
    dynamo,
    credentials,
    settled: async () => {
      await bulkQueue.drained();
      await queue.drained();
    },
    stop: async () => {
      scheduler.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      // Before the database closes: no step or batch may reach a closed store.
      await bulkQueue.close();
      await queue.close();
      await webhookQueue.close();
      (apns as { close?: () => void }).close?.();
      await (fcm as { close?: () => Promise<void> | void }).close?.();
      await dynamo.stop();
    },
  };
}

/** First start: tenant `demo`, its admin key and an operator key, printed once and kept on disk. */
async function bootstrapDemo(app: App, dataDir: string, inMemory: boolean): Promise<LocalServer['credentials']> {
  const file = join(dataDir, 'credentials.json');
  if (!inMemory && existsSync(file)) {
    return {
      ...(JSON.parse(readFileSync(file, 'utf8')) as { adminKey: string; operatorKey: string }),
      firstStart: false,
    };
  }
  const existing = await app.stores.tenants.get('demo');
  const adminKey = existing
    ? (await createApiKey(app, 'demo', { name: 'local admin', role: 'admin' })).key
    : (await createTenant(app, { id: 'demo', name: 'Demo' })).adminKey;
  const { key: operatorKey } = await createApiKey(app, undefined, { name: 'local operator', role: 'operator' });
  const credentials = { adminKey, operatorKey };
  if (!inMemory) writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
  return { ...credentials, firstStart: true };
}
