// The push planner run minute by minute on a fake clock: the tests' way to check what the push
// worker's plans add up to over a long backlog (caps, fairness, every device pushed).
import { PushBacklog } from '../../lambdas/domain/push-plan';
import type { PushRequest } from '../../lambdas/domain/types';

export interface MinuteCount {
  /** Epoch minute. */
  minute: number;
  sent: number;
  byTenant: Record<string, number>;
}

export interface DrainResult {
  minutes: MinuteCount[];
  /** Epoch minute in which each tenant's last pending push went out. */
  finishedAt: Record<string, number>;
  duplicates: number;
}

export interface DrainOptions {
  /** Called with what each minute sends, in send order. */
  onSend?: (minute: number, sent: PushRequest[]) => void;
  /** Safety stop for the fake clock. */
  maxMinutes?: number;
}

/**
 * Runs the planner minute by minute on a fake clock. At the tick of minute m (time m*60s) it sees
 * every request with requestedAt <= that instant; later arrivals wait for the next tick, as they
 * would for the worker's next run. `cap` is one number for all tenants or a cap per tenant.
 */
export function simulateDrain(
  requests: Iterable<PushRequest>,
  cap: number | Readonly<Record<string, number>>,
  startMinute: number,
  options: DrainOptions = {},
): DrainResult {
  const capOf = (tenantId: string) => (typeof cap === 'number' ? cap : (cap[tenantId] ?? 0));
  // Arrivals grouped by the tick that first sees them.
  const arrivals = new Map<number, PushRequest[]>();
  const tickOf = new Map<string, number>(); // requests share few timestamps: parse each once
  for (const r of requests) {
    let tick = tickOf.get(r.requestedAt);
    if (tick === undefined)
      tickOf.set(r.requestedAt, (tick = Math.max(startMinute, Math.ceil(Date.parse(r.requestedAt) / 60_000))));
    let list = arrivals.get(tick);
    if (!list) arrivals.set(tick, (list = []));
    list.push(r);
  }
  const ticks = [...arrivals.keys()].sort((a, b) => a - b);
  const lastArrival = ticks.length ? ticks[ticks.length - 1] : startMinute;
  const maxMinutes = options.maxMinutes ?? 1_000_000;

  const backlog = new PushBacklog();
  const result: DrainResult = { minutes: [], finishedAt: {}, duplicates: 0 };
  for (let minute = startMinute; minute < startMinute + maxMinutes; minute++) {
    const arrived = arrivals.get(minute);
    if (arrived) {
      result.duplicates += backlog.add(arrived).length;
      arrivals.delete(minute);
    }
    if (backlog.size === 0 && minute >= lastArrival) break;
    const count: MinuteCount = { minute, sent: 0, byTenant: {} };
    const sent: PushRequest[] = [];
    for (const tenantId of backlog.tenantIds()) {
      const batch = backlog.take(tenantId, capOf(tenantId));
      if (batch.length === 0) continue;
      count.byTenant[tenantId] = batch.length;
      count.sent += batch.length;
      for (const r of batch) sent.push(r);
      if (backlog.pending(tenantId) === 0) result.finishedAt[tenantId] = minute;
    }
    result.minutes.push(count);
    options.onSend?.(minute, sent);
  }
  return result;
}
