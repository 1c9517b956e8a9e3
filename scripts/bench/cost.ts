// Cost per device-month on AWS from what the benchmark measured. Pure arithmetic: every input is
// either a measured usage (per device, per event) or a named assumption, and both are printed
// next to the result.

/** us-east-1 list prices, USD (DynamoDB on-demand after the November 2024 cut). No free tier. */
export const PRICES = {
  apiGatewayHttpPerMillion: 1.0,
  lambdaPerGbSecondArm: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  dynamoPerMillionWru: 0.625,
  dynamoPerMillionRru: 0.125,
  dynamoStoragePerGbMonth: 0.25,
  sqsPerMillionRequests: 0.4,
  eventBridgePerMillionEvents: 1.0,
  schedulerPerMillionInvocations: 1.0,
  kmsPerTenThousandRequests: 0.03,
  cloudWatchLogsIngestPerGb: 0.5,
  dataTransferOutPerGb: 0.09,
} as const;

export type Prices = { [K in keyof typeof PRICES]: number };

/** What one event costs one device, in resource units. */
export interface EventUsage {
  /** Requests through API Gateway (device and admin). */
  apiRequests: number;
  /** Function invocations: API requests, push-worker batches. */
  lambdaInvocations: number;
  /** Server CPU, ms (measured in the server process). */
  lambdaCpuMs: number;
  /** DynamoDB calls made one after another by the functions (each waits a round trip). */
  dynamoCalls: number;
  rru: number;
  wru: number;
  /** SQS messages (push batches); each is sent, received and deleted. */
  sqsMessages: number;
  /** Events put on the deployment's EventBridge bus (docs/api.md §Events; webhook deliveries are SQS messages). */
  busEvents: number;
  /** SecretBox seal/open: one KMS request each when deployed. */
  kmsRequests: number;
  /** Items and bytes written to the Logs table (kept 90 days). */
  logItems: number;
  logBytes: number;
  /** Bytes sent back to devices and admins. */
  responseBytes: number;
}

export const ZERO_USAGE: EventUsage = {
  apiRequests: 0,
  lambdaInvocations: 0,
  lambdaCpuMs: 0,
  dynamoCalls: 0,
  rru: 0,
  wru: 0,
  sqsMessages: 0,
  busEvents: 0,
  kmsRequests: 0,
  logItems: 0,
  logBytes: 0,
  responseBytes: 0,
};

export interface Assumptions {
  /** Memory of the functions (lib/app-stack.ts: apple, admin and jobs 1024 MB; android and the worker 512). */
  lambdaMemoryMb: number;
  /** Lambda gives a function one full vCPU at 1,769 MB and proportionally less below. */
  fullVcpuMemoryMb: number;
  /** One DynamoDB round trip from Lambda in the same region. */
  dynamoLatencyMs: number;
  /** CloudWatch Logs per invocation: our request line and Lambda's START/END/REPORT lines. */
  logBytesPerInvocation: number;
  /** Log items live 90 days; each is stored whole in the table and in byDevice (ALL)... */
  logRetentionMonths: number;
  logCopies: number;
  /** ...and as its keys in byTypeShard (KEYS_ONLY): table key and index key, about 100 bytes. */
  logKeyEntryBytes: number;
  /** DynamoDB counts 100 bytes of overhead per stored item (table and each index). */
  itemOverheadBytes: number;
  /** The device item, and the index entries it has (gsi1-gsi4 while enrolled). */
  deviceItemBytes: number;
  deviceIndexEntries: number;
  sqsRequestsPerMessage: number;
}

export const DEFAULT_ASSUMPTIONS: Omit<Assumptions, 'deviceItemBytes'> = {
  lambdaMemoryMb: 1024,
  fullVcpuMemoryMb: 1769,
  dynamoLatencyMs: 4,
  logBytesPerInvocation: 600,
  logRetentionMonths: 3,
  logCopies: 2,
  logKeyEntryBytes: 100,
  itemOverheadBytes: 100,
  deviceIndexEntries: 4,
  sqsRequestsPerMessage: 3,
};

/** Events per device per month. */
export type Activity = Record<string, number>;

export function addUsage(a: EventUsage, b: EventUsage, times = 1): EventUsage {
  const out = { ...a };
  for (const k of Object.keys(ZERO_USAGE) as Array<keyof EventUsage>) out[k] = a[k] + b[k] * times;
  return out;
}

/** Usage of one device over a month: each event's usage times how often it happens. */
export function monthlyUsage(events: Record<string, EventUsage>, activity: Activity): EventUsage {
  let total = { ...ZERO_USAGE };
  for (const [name, times] of Object.entries(activity)) {
    const usage = events[name];
    if (!usage) throw new Error(`no measured usage for event ${name}`);
    total = addUsage(total, usage, times);
  }
  return total;
}

/**
 * Billed Lambda GB-seconds: CPU stretched by the fraction of a vCPU the memory buys, plus the
 * DynamoDB round trips waited for, plus half a millisecond per invocation (1 ms billing steps).
 */
export function lambdaGbSeconds(
  u: EventUsage,
  a: Pick<Assumptions, 'lambdaMemoryMb' | 'fullVcpuMemoryMb' | 'dynamoLatencyMs'>,
): number {
  const cpuScale = Math.max(1, a.fullVcpuMemoryMb / a.lambdaMemoryMb);
  const durationMs = u.lambdaCpuMs * cpuScale + u.dynamoCalls * a.dynamoLatencyMs + u.lambdaInvocations * 0.5;
  return (durationMs / 1000) * (a.lambdaMemoryMb / 1024);
}

/** Bytes one device keeps in DynamoDB on average: its item and index entries, and 90 days of logs. */
export function storedBytesPerDevice(monthly: EventUsage, a: Assumptions): number {
  const device = a.deviceItemBytes + a.itemOverheadBytes * (1 + a.deviceIndexEntries);
  const logs =
    a.logRetentionMonths *
    (a.logCopies * (monthly.logBytes + monthly.logItems * a.itemOverheadBytes) +
      monthly.logItems * (a.logKeyEntryBytes + a.itemOverheadBytes));
  return device + logs;
}

export interface CostLine {
  service: string;
  /** USD per device-month. */
  usd: number;
  basis: string;
}

const GB = 1024 ** 3;
const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(1) : n.toPrecision(2));

export function costLines(monthly: EventUsage, a: Assumptions, p: Prices = PRICES): CostLine[] {
  const gbs = lambdaGbSeconds(monthly, a);
  const storedGb = storedBytesPerDevice(monthly, a) / GB;
  const logGb = (monthly.lambdaInvocations * a.logBytesPerInvocation) / GB;
  return [
    {
      service: 'API Gateway (HTTP API)',
      usd: (monthly.apiRequests / 1e6) * p.apiGatewayHttpPerMillion,
      basis: `${fmt(monthly.apiRequests)} requests`,
    },
    {
      service: 'Lambda requests',
      usd: (monthly.lambdaInvocations / 1e6) * p.lambdaPerMillionRequests,
      basis: `${fmt(monthly.lambdaInvocations)} invocations`,
    },
    { service: 'Lambda duration (arm64)', usd: gbs * p.lambdaPerGbSecondArm, basis: `${fmt(gbs)} GB-s` },
    { service: 'DynamoDB writes', usd: (monthly.wru / 1e6) * p.dynamoPerMillionWru, basis: `${fmt(monthly.wru)} WRU` },
    { service: 'DynamoDB reads', usd: (monthly.rru / 1e6) * p.dynamoPerMillionRru, basis: `${fmt(monthly.rru)} RRU` },
    {
      service: 'DynamoDB storage',
      usd: storedGb * p.dynamoStoragePerGbMonth,
      basis: `${fmt((storedGb * GB) / 1024)} KB stored`,
    },
    {
      service: 'SQS',
      usd: ((monthly.sqsMessages * a.sqsRequestsPerMessage) / 1e6) * p.sqsPerMillionRequests,
      basis: `${fmt(monthly.sqsMessages)} messages × ${a.sqsRequestsPerMessage} requests`,
    },
    {
      service: 'EventBridge (custom events)',
      usd: (monthly.busEvents / 1e6) * p.eventBridgePerMillionEvents,
      basis: `${fmt(monthly.busEvents)} events`,
    },
    {
      service: 'KMS',
      usd: (monthly.kmsRequests / 1e4) * p.kmsPerTenThousandRequests,
      basis: `${fmt(monthly.kmsRequests)} requests`,
    },
    {
      service: 'CloudWatch Logs ingestion',
      usd: logGb * p.cloudWatchLogsIngestPerGb,
      basis: `${fmt((logGb * GB) / 1024)} KB`,
    },
    {
      service: 'Data transfer out',
      usd: (monthly.responseBytes / GB) * p.dataTransferOutPerGb,
      basis: `${fmt(monthly.responseBytes / 1024)} KB`,
    },
  ];
}

/** Costs that do not grow with devices: schedules, idle queue polling, per-run job work. */
export interface FixedMonthly {
  schedulerInvocations: number;
  /** ReceiveMessage calls of Lambda's SQS pollers on idle queues (long polls of 20 s). */
  sqsIdleReceives: number;
  rru: number;
  wru: number;
}

export function fixedMonthlyUsd(f: FixedMonthly, p: Prices = PRICES): number {
  return (
    (f.schedulerInvocations / 1e6) * p.schedulerPerMillionInvocations +
    (f.sqsIdleReceives / 1e6) * p.sqsPerMillionRequests +
    (f.rru / 1e6) * p.dynamoPerMillionRru +
    (f.wru / 1e6) * p.dynamoPerMillionWru
  );
}

export interface FleetCost {
  devices: number;
  totalUsd: number;
  perDeviceUsd: number;
}

export function fleetCost(devices: number, perDeviceUsd: number, fixedUsd: number): FleetCost {
  const totalUsd = devices * perDeviceUsd + fixedUsd;
  return { devices, totalUsd, perDeviceUsd: totalUsd / devices };
}
