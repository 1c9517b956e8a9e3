// The push backlog in the benchmark (issue 20, docs/operations.md §Push backlog): the simulator's
// backlog scenario measured at a small size (time from request to push for an admin Lock and for
// another tenant's Lock, queue messages per pushed device), and the same design on paper at
// 1,000,000 devices in one tenant beside 100 small tenants: how long those Locks wait and what the
// backlog costs a day. Every figure on paper is a named input or the measurement.
import { PUSH_IO_CONCURRENCY } from '../../lambdas/service/push-worker';
import { type BacklogReport, runBacklogScenario } from '../sim/backlog';
import { type Assumptions, PRICES } from './cost';

/** The measured run: small enough for the bench (about a minute and a half). */
export const BENCH_BACKLOG = { devices: 120, smallDevices: 5, cap: 20, minuteSeconds: 6 };

export async function measurePushBacklog(quick: boolean): Promise<BacklogReport> {
  return runBacklogScenario(quick ? { ...BENCH_BACKLOG, devices: 50 } : BENCH_BACKLOG);
}

/** Sizes of what the backlog stores and reads (lambdas/adapters/dynamodb/push-backlog-store.ts). */
const BACKLOG_ITEM_BYTES = 300; // keys + the request (tenant, device, priority, reason, time)
const DRAIN_PAGE = 100;
/** DynamoDB calls per pushed device: the device read, then its write, counters, log line (mutateDevice). */
const CALLS_PER_PUSH = 5;
/** SQS delay rounding (whole seconds) and the Lambda poller's pick-up, seconds. */
const QUEUE_PICKUP_S = 2;
/** The old design: every deferred batch re-sent each minute, its 100 devices read again each time. */
const OLD_BATCH = 100;
const DEVICE_READ_RRU = 0.5; // a 1-2 KB device item, eventually consistent

export interface PushBacklogOnPaper {
  devices: number;
  smallTenants: number;
  cap: number;
  resyncMinutes: number;
  deferred: number;
  /** Seconds a drain needs to push one minute's budget (pages × page time). */
  drainSecondsPerMinute: number;
  adminWaitP50: number;
  adminWaitP99: number;
  smallTenantWaitS: number;
  /** Per resync (the daily one): what the backlog adds. */
  backlog: { wru: number; rru: number; sqsRequests: number; usdPerDay: number };
  /** What re-queuing each deferred batch every minute (the design before issue 20) would cost. */
  requeue: { sqsRequests: number; invocations: number; rru: number; usdPerDay: number };
  sqsRequestsPerPushedDevice: number;
}

export function pushBacklogOnPaper(
  a: Assumptions,
  cap: number,
  devices = 1_000_000,
  smallTenants = 100,
): PushBacklogOnPaper {
  const resyncMinutes = devices / cap;
  const deferred = Math.max(0, devices - cap);
  const pages = cap / DRAIN_PAGE;
  // A page: one Query, one budget write, then its devices' calls PUSH_IO_CONCURRENCY at a time.
  const pageSeconds = ((2 + (DRAIN_PAGE * CALLS_PER_PUSH) / PUSH_IO_CONCURRENCY) * a.dynamoLatencyMs) / 1000;
  const firstPageS = pageSeconds + QUEUE_PICKUP_S;
  // Each deferred request: put and delete (one WRU each), its share of a strongly consistent page read.
  const wru = deferred * 2 + deferred / DRAIN_PAGE + resyncMinutes; // + budget writes + drain claims
  const rru = (deferred / DRAIN_PAGE) * Math.ceil((DRAIN_PAGE * BACKLOG_ITEM_BYTES) / 4096);
  const freshMessages = devices / 100;
  const drainMessages = resyncMinutes * Math.max(1, Math.ceil((pages * pageSeconds) / 20));
  const sqsRequests = (freshMessages + drainMessages) * a.sqsRequestsPerMessage;
  const usd = (w: number, r: number, q: number, inv = 0) =>
    (w / 1e6) * PRICES.dynamoPerMillionWru +
    (r / 1e6) * PRICES.dynamoPerMillionRru +
    (q / 1e6) * PRICES.sqsPerMillionRequests +
    (inv / 1e6) * PRICES.lambdaPerMillionRequests;
  // Re-queued each minute: a deferred request waits resyncMinutes / 2 on average.
  const requeueMessages = (deferred / OLD_BATCH) * (resyncMinutes / 2);
  const requeueRru = requeueMessages * OLD_BATCH * DEVICE_READ_RRU;
  return {
    devices,
    smallTenants,
    cap,
    resyncMinutes,
    deferred,
    drainSecondsPerMinute: pages * pageSeconds,
    // The Lock waits for the next minute boundary (uniform over the minute), then the first page.
    adminWaitP50: 30 + firstPageS,
    adminWaitP99: 59.4 + firstPageS,
    // A small tenant's request is a fresh message: its budget is its own, and the large tenant puts
    // one drain a minute in the queue, not its backlog.
    smallTenantWaitS: QUEUE_PICKUP_S + pageSeconds,
    backlog: { wru, rru, sqsRequests, usdPerDay: usd(wru, rru, sqsRequests) },
    requeue: {
      sqsRequests: requeueMessages * a.sqsRequestsPerMessage,
      invocations: requeueMessages,
      rru: requeueRru,
      usdPerDay: usd(0, requeueRru, requeueMessages * a.sqsRequestsPerMessage, requeueMessages),
    },
    sqsRequestsPerPushedDevice: sqsRequests / devices,
  };
}

const f = (n: number, d = 1) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const i = (n: number) => Math.round(n).toLocaleString('en-US');

/** docs/performance.md §8. */
export function renderPushBacklog(measured: BacklogReport | undefined, paper: PushBacklogOnPaper): string[] {
  const out: string[] = ['## 8. Push backlog: an admin Lock and another tenant under a resync', ''];
  if (measured) {
    const m = measured;
    const w = (x: BacklogReport['waits']['admin']) => (x.n ? `p50 ${x.p50} s, p99 ${x.p99} s (${x.n} Locks)` : 'none');
    out.push(
      `Measured (\`npm run simulate -- --scenario backlog\`, in-process): ${m.options.devices} devices resynced at ${m.options.cap} pushes a minute (a server minute lasting ${m.options.minuteSeconds} real seconds), ` +
        `a Lock by the same tenant's admin every minute and by a small tenant (${m.options.smallDevices} devices) every ten seconds. Times are on the server's clock.`,
      '',
      '| | |',
      '|---|---|',
      `| admin Lock, request to push | ${w(m.waits.admin)} |`,
      `| other tenant's Lock, request to push | ${w(m.waits.otherTenant)} |`,
      `| the resync | ${m.resyncMinutes} minutes, ${i(m.pushes)} pushes |`,
      `| any tenant over its cap in any minute | ${m.capExceeded ? '**yes**' : 'no'} (large: ${m.budgetPerMinute.large.join(' ')}; small: ${m.budgetPerMinute.small.join(' ')}) |`,
      `| push-queue messages per pushed device | ${m.queueMessages.perPushedDevice} (${m.queueMessages.requests} request batches, ${m.queueMessages.drains} drains); SQS requests: 3 each |`,
      '',
      "The other tenant's wait is the in-process queue and worker on a fast clock (a real second is ten server seconds here), so it reads high; the admin wait is the minute boundary.",
      '',
    );
  }
  const p = paper;
  out.push(
    `On paper, ${i(p.devices)} devices in one tenant at ${i(p.cap)} pushes a minute beside ${p.smallTenants} small tenants (scripts/bench/push-backlog.ts):`,
    '',
    `- **The resync** takes ${i(p.resyncMinutes)} minutes; ${i(p.deferred)} requests wait in the tenant's backlog. One drain a minute pushes ${i(p.cap)} of them in ${i(p.cap / DRAIN_PAGE)} pages of ${DRAIN_PAGE}, ` +
      `each page a Query, a budget write and ${CALLS_PER_PUSH} DynamoDB calls per device ${PUSH_IO_CONCURRENCY} at a time: **${f(p.drainSecondsPerMinute, 0)} s of a minute** (a drain hands over to a fresh message every 20 s, far from the worker's 60 s timeout).`,
    `- **An admin Lock** waits for the next minute boundary and goes first in that minute's first page: **p50 ${f(p.adminWaitP50, 0)} s, p99 ${f(p.adminWaitP99, 0)} s** (the boundary, ${QUEUE_PICKUP_S} s for the queue's whole-second delay and pick-up, one page).`,
    `- **A small tenant's push** is a fresh message with its own budget; the large tenant adds one drain message a minute to the shared queue, not its backlog: **about ${f(p.smallTenantWaitS, 0)} s**, whatever the backlog, for each of the ${p.smallTenants} tenants.`,
    `- **What the backlog costs** per daily resync: ${i(p.backlog.wru)} WRU (a put and a delete per deferred request), ${i(p.backlog.rru)} RRU (drain pages), ${i(p.backlog.sqsRequests)} SQS requests = **$${f(p.backlog.usdPerDay, 2)} a day**; ` +
      `${f(p.sqsRequestsPerPushedDevice, 3)} SQS requests per pushed device. Re-queuing every deferred batch each minute instead would take ${i(p.requeue.sqsRequests)} SQS requests, ${i(p.requeue.invocations)} invocations and ${i(p.requeue.rru)} RRU (each batch reads its devices again) = $${f(p.requeue.usdPerDay, 2)} a day, and a Lock would queue behind it.`,
    '',
  );
  return out;
}
