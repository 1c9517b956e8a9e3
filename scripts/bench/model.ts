// From measurements to the cost table, the targets and the "scale on paper" arithmetic.

import { COUNTER_SHARDS } from '../../lambdas/adapters/dynamodb/ops-stores';
import { LOG_SHARDS, SYNC_STATE_SHARDS } from '../../lambdas/adapters/dynamodb/shards';
import { AWAITING_SHARDS } from '../../lambdas/ports';
import { BULK_CHUNK_SIZE } from '../../lambdas/service/bulk-commands';
import { DEFAULTS } from '../../lib/app-stack';
import type { BundleResult } from './bundles';
import {
  type Activity,
  type Assumptions,
  type CostLine,
  costLines,
  DEFAULT_ASSUMPTIONS,
  type EventUsage,
  type FixedMonthly,
  type FleetCost,
  fixedMonthlyUsd,
  fleetCost,
  lambdaGbSeconds,
  monthlyUsage,
  PRICES,
} from './cost';
import type { DynamoPhasesResult, PhaseMeasure } from './dynamo-phases';
import type { LoadResult } from './load';

/** Per device per month (Apple devices; an Android agent's sessions cost about the same or less). */
export const ACTIVITY: Activity = {
  'template-sync': 1, // a template change or assignment a month
  'idle-resync': 30, // the daily resync
  'check-in': 4, // TokenUpdate check-ins (token rotation, OS updates)
  'idle-connect': 30, // sessions a device opens by itself with nothing queued
  'admin-command': 1, // e.g. a restart or a lock
  reconcile: 30, // the daily counter recount reads every device
};

export const FLEETS = [1_000, 100_000, 1_000_000];
/** Runs per month of each scheduled job (lib/constructs/schedules.ts defaults). */
const RUNS = { resync: 30, sweep: 720, reconcile: 30, certificateCheck: 30 };
/** Lambda's SQS event source keeps pollers long-polling an idle queue (5 pollers, 20 s polls). */
const IDLE_RECEIVES_PER_QUEUE = 5 * 3 * 60 * 730;

export interface CostModel {
  activity: Activity;
  assumptions: Assumptions;
  prices: typeof PRICES;
  events: Record<string, EventUsage>;
  monthly: EventUsage;
  lines: CostLine[];
  perDeviceUsd: number;
  fixed: FixedMonthly;
  fixedUsd: number;
  polledQueues: number;
  fleets: FleetCost[];
}

function phase(d: DynamoPhasesResult, name: string): PhaseMeasure {
  const p = d.phases.find((x) => x.name === name);
  if (!p) throw new Error(`no phase ${name}`);
  return p;
}

function usageOf(p: PhaseMeasure, cpuMs: number): EventUsage {
  const api = Object.values(p.perDevice.requests).reduce((s, v) => s + v, 0);
  return {
    apiRequests: api,
    lambdaInvocations: api + p.perDevice.queueMessages,
    lambdaCpuMs: cpuMs,
    dynamoCalls: p.perDevice.calls,
    rru: p.perDevice.rru,
    wru: p.perDevice.wru,
    sqsMessages: p.perDevice.queueMessages,
    busEvents: p.perDevice.busEvents,
    kmsRequests: p.perDevice.kms,
    logItems: p.perDevice.logItems,
    logBytes: p.perDevice.logBytes,
    responseBytes: p.perDevice.responseBytes,
  };
}

export function buildCostModel(load: LoadResult, dynamo: DynamoPhasesResult, polledQueues: number): CostModel {
  const scenario = (name: string) => {
    const s = load.scenarios.find((x) => x.name === name);
    if (!s) throw new Error(`no scenario ${name}`);
    return s;
  };
  const idle = scenario('apple-idle-connect');
  // The jobs' CPU was not isolated; estimate it from the idle connect's CPU per DynamoDB call.
  const cpuPerCall = idle.serverCpuMs / phase(dynamo, 'idle-connect').perDevice.calls;
  const events: Record<string, EventUsage> = {
    'template-sync': usageOf(phase(dynamo, 'template-sync'), load.templateSync.serverCpuMs),
    'idle-resync': usageOf(phase(dynamo, 'idle-resync'), load.idleResync.serverCpuMs),
    'check-in': usageOf(phase(dynamo, 'token-update'), scenario('apple-checkin').serverCpuMs),
    'idle-connect': usageOf(phase(dynamo, 'idle-connect'), idle.serverCpuMs),
    'admin-command': usageOf(
      phase(dynamo, 'admin-command'),
      load.commandEnqueue.serverCpuMs + load.commandRoundTrip.apple.serverCpuMs,
    ),
    reconcile: usageOf(phase(dynamo, 'reconcile'), phase(dynamo, 'reconcile').perDevice.calls * cpuPerCall),
  };
  const assumptions: Assumptions = { ...DEFAULT_ASSUMPTIONS, deviceItemBytes: dynamo.itemBytes.device };
  const monthly = monthlyUsage(events, ACTIVITY);
  const lines = costLines(monthly, assumptions);
  const perDeviceUsd = lines.reduce((s, l) => s + l.usd, 0);
  const perRun = (name: string) => phase(dynamo, name).perRun;
  const fixed: FixedMonthly = {
    schedulerInvocations: RUNS.resync + RUNS.sweep + RUNS.reconcile + RUNS.certificateCheck,
    sqsIdleReceives: polledQueues * IDLE_RECEIVES_PER_QUEUE,
    rru:
      RUNS.resync * perRun('idle-resync').rru +
      RUNS.reconcile * perRun('reconcile').rru +
      RUNS.sweep * perRun('sweep').rru,
    wru:
      RUNS.resync * perRun('idle-resync').wru +
      RUNS.reconcile * perRun('reconcile').wru +
      RUNS.sweep * perRun('sweep').wru,
  };
  const fixedUsd = fixedMonthlyUsd(fixed);
  return {
    activity: ACTIVITY,
    assumptions,
    prices: PRICES,
    events,
    monthly,
    lines,
    perDeviceUsd,
    fixed,
    fixedUsd,
    polledQueues,
    fleets: FLEETS.map((n) => fleetCost(n, perDeviceUsd, fixedUsd)),
  };
}

export interface Target {
  target: string;
  measured: string;
  met: boolean;
}

const ms = (v: number) => `${v.toFixed(2)} ms`;

export function evaluateTargets(
  load: LoadResult,
  dynamo: DynamoPhasesResult,
  cost: CostModel,
  bundles: BundleResult[],
): Target[] {
  const s = (name: string) => load.scenarios.find((x) => x.name === name)!;
  const resync = phase(dynamo, 'idle-resync').perDevice.wru;
  const at100k = cost.fleets.find((f) => f.devices === 100_000)!;
  const rt = load.commandRoundTrip;
  const targets: Target[] = [
    {
      target: 'server CPU per idle connect < 1 ms (Apple, signed)',
      measured: ms(s('apple-idle-connect').serverCpuMs),
      met: s('apple-idle-connect').serverCpuMs < 1,
    },
    {
      target: 'server CPU per idle connect < 1 ms (Android)',
      measured: ms(s('android-idle-connect').serverCpuMs),
      met: s('android-idle-connect').serverCpuMs < 1,
    },
    {
      target: 'server CPU per command round trip < 2 ms (Apple: fetch + report)',
      measured: ms(rt.apple.serverCpuMs),
      met: rt.apple.serverCpuMs < 2,
    },
    {
      target: 'server CPU per command round trip < 2 ms (Android: fetch + report)',
      measured: ms(rt.android.serverCpuMs),
      met: rt.android.serverCpuMs < 2,
    },
    {
      target: '≤ 4 write units per device per idle daily resync',
      measured: `${resync.toFixed(1)} WRU`,
      met: resync <= 4,
    },
    {
      target: '< $0.001 per device-month at 100,000 devices',
      measured: `$${at100k.perDeviceUsd.toFixed(5)}`,
      met: at100k.perDeviceUsd < 0.001,
    },
  ];
  for (const b of bundles) {
    targets.push({
      target: `${b.name} bundle < 1 MB`,
      measured: `${(b.bytes / 1024 / 1024).toFixed(2)} MB`,
      met: b.bytes < 1024 * 1024,
    });
    targets.push({
      target: `${b.name} import < 150 ms`,
      measured: `${b.importMs.median.toFixed(0)} ms median wall (CPU ${b.importMs.cpuMedian.toFixed(0)} ms, fastest ${Math.min(...b.importMs.samples).toFixed(0)} ms; ${b.importWithSourceMapsMs.median.toFixed(0)} ms with --enable-source-maps)`,
      met: b.importMs.median < 150,
    });
  }
  return targets;
}

/** The bulk worker's deployment (lib/app-stack.ts 'Bulk' QueueWorker; batch size from lib/constructs/queue-worker.ts). */
const BULK_WORKER = DEFAULTS.bulkWorker;

export interface ScaleOnPaper {
  devices: number;
  pushCapPerMinute: number;
  resyncMinutes: number;
  sessionsPerSecond: number;
  deviceRequestsPerSecond: number;
  lambdaConcurrency: number;
  /** The resync fan-out (job + bulk worker), Lambda time per device. */
  fanoutMsPerDevice: number;
  /** The bulk worker: a chunk of BULK_CHUNK_SIZE devices per message, up to BULK_BATCH messages per invocation. */
  bulkChunkSize: number;
  bulkBatchSize: number;
  bulkTimeoutSeconds: number;
  bulkConcurrency: number;
  bulkInvocationSecondsAtFullBatch: number;
  fanoutMinutes: number;
  wruPerSecond: number;
  rruPerSecond: number;
  logWritesPerSecond: number;
  /** Each partition key pattern the resync writes, and its busiest partition. */
  partitions: PartitionLoad[];
  /** Every partition within DynamoDB's per-partition limits (PARTITION_LIMITS). */
  noPartitionOverLimit: boolean;
}

/** What one DynamoDB partition (of a table or of a GSI) serves a second. */
export const PARTITION_LIMITS = { wru: 1000, rru: 3000 };

export interface PartitionLoad {
  /** The partition key, as docs/architecture.md writes it. */
  key: string;
  what: string;
  /** How the load spreads: over `partitions` keys by hash, each device its own key, or one key. */
  spread: 'shards' | 'per device' | 'one key';
  partitions: number;
  /** Over all the pattern's partitions during the resync (per device: one device's whole resync). */
  wruPerSecond: number;
  rruPerSecond: number;
  /** The busiest partition: the total over the partitions (per device: the whole resync within one second). */
  wruPerPartition: number;
  rruPerPartition: number;
  withinLimits: boolean;
}

function partitionLoad(
  key: string,
  what: string,
  spread: PartitionLoad['spread'],
  partitions: number,
  wruPerSecond: number,
  rruPerSecond = 0,
): PartitionLoad {
  const wruPerPartition = wruPerSecond / partitions;
  const rruPerPartition = rruPerSecond / partitions;
  return {
    key,
    what,
    spread,
    partitions,
    wruPerSecond,
    rruPerSecond,
    wruPerPartition,
    rruPerPartition,
    withinLimits: wruPerPartition <= PARTITION_LIMITS.wru && rruPerPartition <= PARTITION_LIMITS.rru,
  };
}

/**
 * The resync's load on each partition key pattern at `perSecond` device sessions a second. A
 * sharded pattern is charged as if all its writes went to one logical list (every log line of one
 * type, every state move into one state): an upper bound. A per-device key is charged a device's
 * whole resync within one second: an upper bound too (a session spreads over several).
 */
function partitionLoads(resync: PhaseMeasure, perSecond: number, logTableWru: number): PartitionLoad[] {
  const kind = (name: string) => resync.byKind[name] ?? { wru: 0, rru: 0, indexWru: {} as Record<string, number> };
  const index = (name: string) => resync.byIndexWru[name] ?? 0;
  const tableWru = (name: string) =>
    kind(name).wru - Object.values(kind(name).indexWru).reduce((s: number, v: number) => s + v, 0);
  // A run measured before the sharded keys charged the type index as `byType`.
  const typeIndexWru = index('byTypeShard') || index('byType');
  return [
    partitionLoad(
      '`DEVICE#{t}#{id}`',
      'a device and its commands (Main)',
      'per device',
      1,
      tableWru('device') + tableWru('command'),
      kind('device').rru + kind('query:table').rru,
    ),
    partitionLoad(
      '`{t}#{0..' + (LOG_SHARDS - 1) + '}`',
      'Logs table: the tenant’s lines, shard = hash(log id)',
      'shards',
      LOG_SHARDS,
      perSecond * logTableWru,
    ),
    partitionLoad(
      '`{t}#{type}#{0..' + (LOG_SHARDS - 1) + '}`',
      'Logs byTypeShard (KEYS_ONLY): as if every line were of one type',
      'shards',
      LOG_SHARDS,
      perSecond * typeIndexWru,
    ),
    partitionLoad('`{t}#{deviceId}`', 'Logs byDevice: a device’s lines', 'per device', 1, index('byDevice')),
    partitionLoad(
      '`{t}#sync#{state}#{0..' + (SYNC_STATE_SHARDS - 1) + '}`',
      'gsi2, devices by sync state: as if every move went into one state',
      'shards',
      SYNC_STATE_SHARDS,
      perSecond * index('gsi2'),
    ),
    partitionLoad(
      '`COUNTERS#{t}#{0..' + (COUNTER_SHARDS - 1) + '}`',
      'dashboard counters (`ADD` deltas)',
      'shards',
      COUNTER_SHARDS,
      perSecond * tableWru('counters'),
    ),
    partitionLoad(
      '`awaiting#{0..' + (AWAITING_SHARDS - 1) + '}`',
      'gsi5, devices owing an answer to a push',
      'shards',
      AWAITING_SHARDS,
      perSecond * index('gsi5'),
    ),
    partitionLoad(
      '`BUDGET#{t}#{minute}`',
      'the push budget: one conditional `ADD` per batch of pushes',
      'one key',
      1,
      perSecond * tableWru('push-budget'),
    ),
  ];
}

export function scaleOnPaper(
  dynamo: DynamoPhasesResult,
  cost: CostModel,
  pushCapPerMinute: number,
  devices = 1_000_000,
): ScaleOnPaper {
  const resync = phase(dynamo, 'idle-resync');
  const resyncSeconds = (devices / pushCapPerMinute) * 60;
  const perSecond = devices / resyncSeconds;
  const fanoutCalls = (resync.byActor.jobs?.calls ?? 0) + (resync.byActor['bulk-worker']?.calls ?? 0);
  const a = cost.assumptions;
  const deviceSeconds = lambdaGbSeconds(cost.events['idle-resync'], a) / (a.lambdaMemoryMb / 1024);
  const cpuPerCall = cost.events['idle-connect'].lambdaCpuMs / cost.events['idle-connect'].dynamoCalls;
  const fanoutMsPerDevice =
    fanoutCalls * (a.dynamoLatencyMs + cpuPerCall * Math.max(1, a.fullVcpuMemoryMb / a.lambdaMemoryMb));
  const logKinds = Object.entries(resync.byKind).filter(([k]) => k.startsWith('log:'));
  const logWrites = logKinds.reduce((s, [, v]) => s + v.writes, 0);
  const logTableWru = logKinds.reduce(
    (s, [, v]) => s + v.wru - Object.values(v.indexWru).reduce((x, y) => x + y, 0),
    0,
  );
  const partitions = partitionLoads(resync, perSecond, logTableWru);
  return {
    devices,
    pushCapPerMinute,
    resyncMinutes: resyncSeconds / 60,
    sessionsPerSecond: perSecond,
    deviceRequestsPerSecond: perSecond * (resync.perDevice.requests.apple ?? 0),
    lambdaConcurrency: perSecond * deviceSeconds,
    fanoutMsPerDevice,
    bulkChunkSize: BULK_CHUNK_SIZE,
    bulkBatchSize: BULK_WORKER.batchSize,
    bulkTimeoutSeconds: BULK_WORKER.timeoutSeconds,
    bulkConcurrency: BULK_WORKER.maxConcurrency,
    bulkInvocationSecondsAtFullBatch: (BULK_WORKER.batchSize * BULK_CHUNK_SIZE * fanoutMsPerDevice) / 1000,
    fanoutMinutes: (devices * fanoutMsPerDevice) / 1000 / BULK_WORKER.maxConcurrency / 60,
    wruPerSecond: perSecond * resync.perDevice.wru,
    rruPerSecond: perSecond * resync.perDevice.rru,
    logWritesPerSecond: perSecond * logWrites,
    partitions,
    noPartitionOverLimit: partitions.every((x) => x.withinLimits),
  };
}
