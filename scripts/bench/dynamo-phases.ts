// DynamoDB reads and writes per device, phase by phase, on the real local server (startLocal via
// the e2e harness: in-memory dynalite, fake APNs, simulated Apple devices that poll on push).
// Every phase is driven the way it happens when deployed: admin API calls over HTTP, pushes through
// the push queue and worker, jobs through runJob; the meter attributes each call to its function.

import type { SimulatedAppleDevice } from '../../kit/apple-device';
import { type E2E, startE2E } from '../../kit/e2e';
import { tableDefinitions } from '../../lambdas/adapters/dynamodb/tables';
import type { PushRequest } from '../../lambdas/domain/types';
import { runBulkWork } from '../../lambdas/service/bulk-commands';
import { runJob } from '../../lambdas/service/jobs';
import { handlePushMessage } from '../../lambdas/service/push-worker';
import { tableDefsFrom } from './capacity';
import { DynamoMeter, type HttpRecord, instrumentServer, type OpRecord, runAs } from './dynamo-meter';
import { TEMPLATE_ITEMS } from './workload';

/** Local mode's table names (lambdas/wiring/local.ts). */
const TABLE_NAMES = { main: 'Main', logs: 'Logs' };
/** The harness's own reads (waiting for a state) are not part of any phase. */
const PROBE = 'bench-probe';
/** What a job run does once, whatever the fleet size: kept out of per-device figures. */
export type PerRun = (r: OpRecord) => boolean;
/** A job run: its run log, the tenant list, and the bulk operation it starts (its item, its log, index pages of 500; chunk records are 1 per 100 devices). */
const JOB_RUN: PerRun = (r) =>
  ['log:event:job-run', 'tenant-registry', 'bulk', 'log:event:bulk-command', 'query:gsi4'].includes(r.kind);
/** Jobs that only read devices: the device reads grow with the fleet, the rest (index pages of 100, counters, the run log) hardly. */
const DEVICE_READS_ONLY: PerRun = (r) => r.kind !== 'device';
const NOTHING: PerRun = () => false;

export interface Tally {
  calls: number;
  reads: number;
  writes: number;
  rru: number;
  wru: number;
}

export interface PhaseMeasure {
  name: string;
  what: string;
  devices: number;
  /** Totals per device (per-run items excluded, see perRun). */
  perDevice: Tally & {
    requests: Record<string, number>;
    requestBytes: number;
    responseBytes: number;
    pushes: number;
    queueMessages: number;
    /** Events put on the bus (each also one SQS message per subscribed webhook; the bench has none). */
    busEvents: number;
    kms: number;
    logItems: number;
    logBytes: number;
    conditionFailures: number;
  };
  byActor: Record<string, Tally>;
  byKind: Record<string, Tally & { indexWru: Record<string, number> }>;
  byIndexWru: Record<string, number>;
  tableWru: number;
  /** What a job run costs once, whatever the number of devices. */
  perRun: Tally;
  /** dynalite's own ConsumedCapacity summed (table only, no GSI writes, 0 for empty queries). */
  dynaliteReported: { rru: number; wru: number };
}

export interface DynamoPhasesResult {
  devices: number;
  template: { profiles: number; apps: number };
  phases: PhaseMeasure[];
  itemBytes: { device: number; commandAvg: number; logAvg: number };
  dynaliteReturnsConsumedCapacity: boolean;
  seconds: number;
}

const emptyTally = (): Tally => ({ calls: 0, reads: 0, writes: 0, rru: 0, wru: 0 });

function add(t: Tally, r: OpRecord): void {
  t.calls += 1;
  if (r.wru > 0 || r.op.match(/Put|Update|Delete|BatchWrite/)) t.writes += 1;
  else t.reads += 1;
  t.rru += r.rru;
  t.wru += r.wru;
}

function divide<T extends Record<string, number>>(t: T, n: number): T {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v / n])) as T;
}

interface Counters {
  http: HttpRecord[];
  pushes: number;
  queueMessages: number;
  busEvents: number;
  kms: number;
}

export function summarizePhase(
  name: string,
  what: string,
  devices: number,
  records: OpRecord[],
  c: Counters,
  isPerRun: PerRun = NOTHING,
): PhaseMeasure {
  const counted = records.filter((r) => r.actor !== PROBE);
  const perRunRecords = counted.filter(isPerRun);
  const perDeviceRecords = counted.filter((r) => !isPerRun(r));
  const total = emptyTally();
  const byActor: Record<string, Tally> = {};
  const byKind: PhaseMeasure['byKind'] = {};
  const byIndexWru: Record<string, number> = {};
  let tableWru = 0;
  let logItems = 0;
  let logBytes = 0;
  let conditionFailures = 0;
  const dynaliteReported = { rru: 0, wru: 0 };
  for (const r of perDeviceRecords) {
    add(total, r);
    add((byActor[r.actor] ??= emptyTally()), r);
    const k = (byKind[r.kind] ??= { ...emptyTally(), indexWru: {} });
    add(k, r);
    for (const [index, units] of Object.entries(r.indexWru)) {
      k.indexWru[index] = (k.indexWru[index] ?? 0) + units;
      byIndexWru[index] = (byIndexWru[index] ?? 0) + units;
    }
    tableWru += r.wru - Object.values(r.indexWru).reduce((s, v) => s + v, 0);
    if (r.table === TABLE_NAMES.logs && r.op === 'PutItem') {
      logItems += 1;
      logBytes += r.bytesAfter ?? 0;
    }
    if (r.conditionFailed) conditionFailures += 1;
    if (r.reported !== undefined) {
      if (r.wru > 0) dynaliteReported.wru += r.reported;
      else dynaliteReported.rru += r.reported;
    }
  }
  const perRun = emptyTally();
  for (const r of perRunRecords) add(perRun, r);
  const requests: Record<string, number> = {};
  for (const h of c.http) requests[h.surface] = (requests[h.surface] ?? 0) + 1 / devices;
  const n = devices;
  const scaleKinds = Object.fromEntries(
    Object.entries(byKind).map(([k, v]) => [
      k,
      { ...divide({ ...v, indexWru: 0 } as unknown as Record<string, number>, n), indexWru: divide(v.indexWru, n) },
    ]),
  ) as PhaseMeasure['byKind'];
  return {
    name,
    what,
    devices,
    perDevice: {
      ...divide({ ...total }, n),
      requests,
      requestBytes: c.http.reduce((s, h) => s + h.requestBytes, 0) / n,
      responseBytes: c.http.reduce((s, h) => s + h.responseBytes, 0) / n,
      pushes: c.pushes / n,
      queueMessages: c.queueMessages / n,
      busEvents: c.busEvents / n,
      kms: c.kms / n,
      logItems: logItems / n,
      logBytes: logBytes / n,
      conditionFailures: conditionFailures / n,
    },
    byActor: Object.fromEntries(Object.entries(byActor).map(([k, v]) => [k, divide({ ...v }, n)])),
    byKind: scaleKinds,
    byIndexWru: divide(byIndexWru, n),
    tableWru: tableWru / n,
    perRun,
    dynaliteReported: divide(dynaliteReported, n),
  };
}

export async function measureDynamoPhases(opts: {
  devices: number;
  log?: (line: string) => void;
}): Promise<DynamoPhasesResult> {
  const log = opts.log ?? (() => undefined);
  const started = Date.now();
  const e2e = await startE2E();
  const tables = tableDefsFrom(tableDefinitions(TABLE_NAMES));
  const meter = new DynamoMeter(e2e.local.dynamo.endpoint, tables);
  meter.install(e2e.local.dynamo.client);
  const counters: Counters = { http: [], pushes: 0, queueMessages: 0, busEvents: 0, kms: 0 };
  instrumentServer(e2e.local.server, (r) => counters.http.push(r));
  instrumentApp(e2e, counters);

  try {
    await e2e.uploadPushCert();
    const template = await e2e.createTemplate({ name: 'bench', items: TEMPLATE_ITEMS });
    const app = e2e.local.app;
    const phases: PhaseMeasure[] = [];
    const everything: OpRecord[] = [];
    let devices: SimulatedAppleDevice[] = [];
    const allInState = (state: string) => async () =>
      runAs(PROBE, async () => {
        const states = await Promise.all(devices.map((d) => app.stores.devices.get('demo', d.udid)));
        return states.every((s) => s?.syncState === state);
      });

    const phase = async (name: string, what: string, body: () => Promise<void>, isPerRun: PerRun = NOTHING) => {
      counters.http = [];
      counters.pushes = 0;
      counters.queueMessages = 0;
      counters.busEvents = 0;
      counters.kms = 0;
      const pushesBefore = e2e.apns.pushes.length;
      meter.start();
      await body();
      const records = meter.stop();
      everything.push(...records);
      counters.pushes = e2e.apns.pushes.length - pushesBefore;
      phases.push(summarizePhase(name, what, opts.devices, records, counters, isPerRun));
      log(
        `  ${name}: ${phases.at(-1)!.perDevice.wru.toFixed(1)} WRU, ${phases.at(-1)!.perDevice.rru.toFixed(1)} RRU per device`,
      );
    };

    await phase(
      'enrollment',
      'enrollment link created, profile downloaded, Authenticate, TokenUpdate, first sync (no template)',
      async () => {
        devices = await e2e.enrollDevices(opts.devices, { concurrency: 4 });
        await e2e.settle(allInState('Synchronized'), 120_000);
        // Supervised from the next inventory read on, so that Restart (admin-command) is allowed.
        for (const d of devices) d.supervised = true;
      },
    );
    await phase(
      'template-sync',
      'template assigned (2 profiles, 1 app) → push → inventory read → install → read-back → Synchronized',
      async () => {
        for (const d of devices) {
          const r = await e2e.api('PUT', `/admin/v1/devices/${d.udid}/template`, { templateId: template.id });
          if (r.status !== 200) throw new Error(`template assignment: ${r.status} ${r.text}`);
        }
        await e2e.settle(allInState('Synchronized'), 120_000);
      },
    );
    await phase(
      'idle-resync',
      'daily resync job on Synchronized devices → push → inventory read → Synchronized again',
      async () => {
        const started = app.clock.now().toISOString();
        await runAs('jobs', () => runJob(app, 'resync'));
        // A Synchronized device stays Synchronized while it is verified: wait for the verification itself.
        await e2e.settle(
          async () =>
            runAs(PROBE, async () => {
              const states = await Promise.all(devices.map((d) => app.stores.devices.get('demo', d.udid)));
              return states.every((s) => s?.syncState === 'Synchronized' && (s.lastSyncedAt ?? '') > started);
            }),
          120_000,
        );
      },
      JOB_RUN,
    );
    await phase('idle-connect', 'a device connects (Idle) with nothing queued', async () => {
      for (const d of devices) await d.poll();
    });
    await phase('token-update', 'a check-in: TokenUpdate from an enrolled device', async () => {
      for (const d of devices) {
        const r = await d.tokenUpdate();
        if (r.status !== 200) throw new Error(`TokenUpdate: ${r.status}`);
      }
    });
    await phase('admin-command', 'admin sends Restart → push → device fetches it and acknowledges', async () => {
      for (const d of devices) {
        const r = await e2e.api('POST', `/admin/v1/devices/${d.udid}/commands`, { type: 'Restart' });
        if (r.status !== 202) throw new Error(`command: ${r.status} ${r.text}`);
      }
      await e2e.settle(
        async () =>
          runAs(PROBE, async () => {
            const queues = await Promise.all(devices.map((d) => app.stores.commands.liveQueue('demo', d.udid)));
            return queues.every((q) => q.length === 0);
          }),
        120_000,
      );
    });
    await phase(
      'reconcile',
      'daily counter recount (reads every device)',
      async () => {
        await runAs('jobs', () => runJob(app, 'reconcile-counters'));
      },
      DEVICE_READS_ONLY,
    );
    await phase(
      'sweep',
      'hourly Not-Responding sweep with no device owing an answer',
      async () => {
        await runAs('jobs', () => runJob(app, 'not-responding-sweep'));
      },
      DEVICE_READS_ONLY,
    );

    const itemBytes = itemSizes(everything);
    return {
      devices: opts.devices,
      template: { profiles: 2, apps: 1 },
      phases,
      itemBytes,
      dynaliteReturnsConsumedCapacity: phases.some((p) => p.dynaliteReported.rru > 0 || p.dynaliteReported.wru > 0),
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    meter.close();
    await e2e.stop();
  }
}

/**
 * Counts queue messages (push and bulk: each is an SQS message and a worker invocation when
 * deployed), events put on the bus, and SecretBox calls (each a KMS request), and runs each
 * worker as its own actor.
 */
function instrumentApp(e2e: E2E, counters: Counters): void {
  const app = e2e.local.app;
  const queue = e2e.local.queue;
  const send = queue.send.bind(queue);
  queue.send = async (batch: PushRequest[], delaySeconds?: number) => {
    counters.queueMessages += 1;
    return send(batch, delaySeconds);
  };
  queue.consume((message) => runAs('push-worker', () => handlePushMessage(app, message).then(() => undefined)));
  const bulk = e2e.local.bulkQueue;
  const sendBulk = bulk.send.bind(bulk);
  bulk.send = async (...args: Parameters<typeof bulk.send>) => {
    counters.queueMessages += args[0].length;
    return sendBulk(...args);
  };
  bulk.consume((work) => runAs('bulk-worker', () => runBulkWork(app, work)));
  const bus = app.events;
  const publish = bus.publish.bind(bus);
  bus.publish = async (events) => {
    counters.busEvents += events.length;
    return publish(events);
  };
  const box = app.box;
  const seal = box.seal.bind(box);
  const open = box.open.bind(box);
  box.seal = (plaintext: string, context: string) => {
    counters.kms += 1;
    return seal(plaintext, context);
  };
  box.open = (sealed: string, context: string) => {
    counters.kms += 1;
    return open(sealed, context);
  };
}

/** Item sizes as written: the device item at its last write, command and log items on average. */
function itemSizes(records: OpRecord[]): DynamoPhasesResult['itemBytes'] {
  const written = (kind: (k: string) => boolean) =>
    records.filter((r) => kind(r.kind) && (r.bytesAfter ?? 0) > 0).map((r) => r.bytesAfter!);
  const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return {
    device: written((k) => k === 'device').at(-1) ?? 0,
    commandAvg: avg(written((k) => k === 'command')),
    logAvg: avg(written((k) => k.startsWith('log:'))),
  };
}
