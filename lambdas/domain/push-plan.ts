// Planning for the push worker (docs/architecture.md §Push pipeline): which pending pushes go this minute
// and which wait for the next one. Pure: no I/O, no clock; callers pass budgets and times in.
//
// Rules: budgets are per tenant (one tenant's backlog never uses another's), never over the cap,
// admin before bulk within a tenant, FIFO (by requestedAt) within a priority, and one pending push
// per (tenant, device) keeping the highest priority (APNs and FCM coalesce pushes anyway).
import type { PushPriority, PushRequest } from './types';

export interface TenantBudget {
  /** Pushes allowed per minute. */
  cap: number;
  /** Pushes already reserved in the current minute. */
  used: number;
}

export interface MinutePlan {
  /** In send order: per tenant, admin first then bulk, each oldest first. */
  sendNow: PushRequest[];
  /** Still pending, in the same order; the caller re-queues them for the next minute. */
  defer: PushRequest[];
  /** Requests collapsed into another pending request for the same device (ack, do not send). */
  duplicates: PushRequest[];
}

const RANK: Record<PushPriority, number> = { admin: 0, bulk: 1 };

interface Entry {
  request: PushRequest;
  at: number;
  seq: number;
  live: boolean;
}

/** Date.parse, remembering the last string: batches usually share one requestedAt. */
function parseTimeMemo(): (iso: string) => number {
  let lastIso = '';
  let last = NaN;
  return (iso) => (iso === lastIso ? last : ((lastIso = iso), (last = Date.parse(iso))));
}

/** Oldest first; `seq` keeps arrival order for equal timestamps (stable FIFO). */
const before = (a: Entry, b: Entry) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/** A FIFO ordered by requestedAt with lazy deletion (superseded entries stay as tombstones). */
class OrderedQueue {
  private items: Entry[] = [];
  private head = 0;

  insert(entry: Entry): void {
    const items = this.items;
    // Arrivals are nearly always in order: append; otherwise binary-search the slot.
    if (items.length === this.head || !before(entry, items[items.length - 1])) {
      items.push(entry);
      return;
    }
    let lo = this.head;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(entry, items[mid])) hi = mid;
      else lo = mid + 1;
    }
    items.splice(lo, 0, entry);
  }

  /** Removes and returns up to `n` live entries from the front. */
  take(n: number, out: PushRequest[], onTaken: (e: Entry) => void): number {
    let taken = 0;
    const items = this.items;
    while (taken < n && this.head < items.length) {
      const e = items[this.head++];
      if (!e.live) continue;
      e.live = false;
      onTaken(e);
      out.push(e.request);
      taken++;
    }
    // Drop the consumed prefix once it dominates, so memory follows the live backlog.
    if (this.head > 1024 && this.head * 2 > items.length) {
      this.items = items.slice(this.head);
      this.head = 0;
    }
    return taken;
  }

  *live(): Generator<PushRequest> {
    for (let i = this.head; i < this.items.length; i++) if (this.items[i].live) yield this.items[i].request;
  }
}

class TenantBacklog {
  readonly queues: Record<PushPriority, OrderedQueue> = { admin: new OrderedQueue(), bulk: new OrderedQueue() };
  readonly byDevice = new Map<string, Entry>();
}

/**
 * The pending pushes of any number of tenants. Adding is O(1) for in-order arrivals and taking is
 * O(taken), so a worker or a simulation can carry a million-request backlog across minutes.
 */
export class PushBacklog {
  private readonly tenants = new Map<string, TenantBacklog>();
  private seq = 0;
  private readonly parse = parseTimeMemo();

  /** Adds requests; returns those collapsed into an already pending push for the same device. */
  add(requests: Iterable<PushRequest>): PushRequest[] {
    const duplicates: PushRequest[] = [];
    for (const request of requests) {
      const at = this.parse(request.requestedAt);
      if (Number.isNaN(at)) throw new Error(`push request for ${request.deviceId} has an invalid requestedAt`);
      let tenant = this.tenants.get(request.tenantId);
      if (!tenant) this.tenants.set(request.tenantId, (tenant = new TenantBacklog()));
      const entry: Entry = { request, at, seq: this.seq++, live: true };
      const existing = tenant.byDevice.get(request.deviceId);
      if (existing) {
        const rankNew = RANK[request.priority];
        const rankOld = RANK[existing.request.priority];
        // Keep the higher priority; at equal priority keep the older (its place in line).
        if (rankNew > rankOld || (rankNew === rankOld && !before(entry, existing))) {
          duplicates.push(request);
          continue;
        }
        existing.live = false;
        duplicates.push(existing.request);
      }
      tenant.byDevice.set(request.deviceId, entry);
      tenant.queues[request.priority].insert(entry);
    }
    return duplicates;
  }

  /** Takes up to `n` pushes of one tenant, admin first, oldest first. */
  take(tenantId: string, n: number): PushRequest[] {
    const out: PushRequest[] = [];
    const tenant = this.tenants.get(tenantId);
    if (!tenant || n <= 0) return out;
    const forget = (e: Entry) => tenant.byDevice.delete(e.request.deviceId);
    const admin = tenant.queues.admin.take(n, out, forget);
    tenant.queues.bulk.take(n - admin, out, forget);
    if (tenant.byDevice.size === 0) this.tenants.delete(tenantId);
    return out;
  }

  pending(tenantId: string): number {
    return this.tenants.get(tenantId)?.byDevice.size ?? 0;
  }

  get size(): number {
    let n = 0;
    for (const t of this.tenants.values()) n += t.byDevice.size;
    return n;
  }

  tenantIds(): string[] {
    return [...this.tenants.keys()];
  }

  /** Everything still pending, per tenant in send order. */
  remaining(): PushRequest[] {
    const out: PushRequest[] = [];
    for (const t of this.tenants.values()) {
      for (const r of t.queues.admin.live()) out.push(r);
      for (const r of t.queues.bulk.live()) out.push(r);
    }
    return out;
  }
}

/**
 * Plans one minute: what each tenant may send now under its own budget, and what waits.
 * Every tenant with requests must have a budget (a missing one is a caller bug, not "no cap").
 */
export function planMinute(requests: Iterable<PushRequest>, budgets: ReadonlyMap<string, TenantBudget>): MinutePlan {
  const backlog = new PushBacklog();
  const duplicates = backlog.add(requests);
  const sendNow: PushRequest[] = [];
  for (const tenantId of backlog.tenantIds()) {
    const budget = budgets.get(tenantId);
    if (!budget) throw new Error(`no push budget for tenant ${tenantId}`);
    const allowed = Math.max(0, Math.floor(budget.cap) - budget.used);
    for (const r of backlog.take(tenantId, allowed)) sendNow.push(r);
  }
  return { sendNow, defer: backlog.remaining(), duplicates };
}
