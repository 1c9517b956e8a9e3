// The push worker (docs/operations.md §Push backlog). Fresh requests spend their tenant's budget
// for the current minute (global across workers: a conditional counter per tenant-minute); what
// does not fit waits in the tenant's own backlog in DynamoDB, not in the shared queue. One drain
// message per backlogged tenant and minute spends the next minute's budget on it, admin pushes
// first. So an admin push waits one minute boundary at most, another tenant's push never waits
// behind this backlog, and a deferred request costs a DynamoDB write and delete, not a trip
// through the queue every minute.
import { performance } from 'node:perf_hooks';
import { planMinute } from '../domain/push-plan';
import type { Device, PushOutcomeKind, PushRequest, Tenant } from '../domain/types';
import type { PushMessage, PushOutcome, PushSender, PushTarget } from '../ports';
import { logEvent, raiseAlarm } from './audit';
import type { App } from './container';
import { mutateDevice, syncChange } from './devices';
import { APNS_ALARM, FCM_ALARM } from './push-credential-loaders';

export interface PushBatchResult {
  sent: number;
  /** Requests that wait in the tenant's backlog for a later minute. */
  deferred: number;
  dead: number;
  skipped: number;
}

/** A drain reads the backlog in pages of this many requests. */
const DRAIN_PAGE = 100;
/** Device reads and writes of one page in flight at once (each device is its own item). */
export const PUSH_IO_CONCURRENCY = 16;
/** Real time a drain works before it hands the rest of its minute to a fresh message (worker timeout: 60 s). */
const DRAIN_SLICE_MS = 20_000;

const minuteOf = (d: Date) => Math.floor(d.getTime() / 60_000);

/** One message of the push queue: fresh requests, or a tenant's backlog to drain. */
export async function handlePushMessage(app: App, message: PushMessage | PushRequest[]): Promise<PushBatchResult> {
  if (Array.isArray(message)) return handlePushBatch(app, message); // journaled by an earlier version
  if ('drain' in message) return drainBacklog(app, message.drain.tenantId, message.drain.minute);
  return handlePushBatch(app, message.requests);
}

export async function handlePushBatch(app: App, requests: PushRequest[]): Promise<PushBatchResult> {
  const minute = minuteOf(app.clock.now());
  const result: PushBatchResult = { sent: 0, deferred: 0, dead: 0, skipped: 0 };
  for (const tenantId of new Set(requests.map((r) => r.tenantId))) {
    const mine = requests.filter((r) => r.tenantId === tenantId);
    // While the tenant has a backlog, bulk requests join its end: only the drain spends the budget
    // on them, admin first. Admin requests always try the current minute's budget.
    const backlogged = (await app.stores.pushBacklog.head(tenantId, 1)).length > 0;
    const tryNow = backlogged ? mine.filter((r) => r.priority === 'admin') : mine;
    const budgeted = await reserveWithinBudget(app, tenantId, minute, tryNow);
    result.skipped += budgeted.skipped;
    // What waits is in the backlog before anything is sent: once a push of this batch has reached
    // a device, the rest is there for the next batch and the next drain to see.
    await defer(
      app,
      tenantId,
      minute,
      [...(backlogged ? mine.filter((r) => r.priority !== 'admin') : []), ...budgeted.over],
      result,
    );
    const sent = await sendForTenant(app, tenantId, budgeted.granted);
    addUp(result, sent);
    await defer(app, tenantId, minute, sent.retry, result);
  }
  return result;
}

/**
 * Puts requests that did not fit in `minute` in the tenant's backlog and makes sure a drain will
 * read them: the next minute's, or, when the minute turned while they were written, the current
 * minute's if no drain has claimed it yet (else its budget would go unspent).
 */
async function defer(
  app: App,
  tenantId: string,
  minute: number,
  waiting: PushRequest[],
  result: PushBatchResult,
): Promise<void> {
  if (!waiting.length) return;
  await app.stores.pushBacklog.add(waiting);
  // The minute is read after the write, so a drain claimed now has not read the backlog yet.
  const now = minuteOf(app.clock.now());
  if (!(now > minute && (await scheduleDrain(app, tenantId, now)))) await scheduleDrain(app, tenantId, now + 1);
  result.deferred += waiting.length;
}

/**
 * Spends the current minute's budget on a tenant's backlog, admin pushes first, then oldest first,
 * and queues the next minute's drain while anything is left.
 *
 * The chain never breaks while the backlog holds anything: a drain delivered before its minute
 * (the queue's delay ran ahead of this process's clock) only re-queues itself, and a drain that
 * leaves requests behind claims the next minute's drain before it returns. A drain that throws is
 * retried by the queue; run late, it takes over the current minute's claim or, if another drain
 * holds it, leaves the backlog to that one, so two drains never read one backlog at once (they
 * would push the same requests twice). A drain reads the backlog only once its minute has begun,
 * and a deferred request claims the drain of the minute after the clock read *after* it was
 * written, so a request added after a drain found the backlog empty always claims a drain that has
 * not run yet. A drain that has worked for DRAIN_SLICE_MS hands the rest of its minute to a fresh
 * message, far from the worker's timeout.
 */
export async function drainBacklog(app: App, tenantId: string, dueMinute: number): Promise<PushBatchResult> {
  const now = app.clock.now();
  const minute = minuteOf(now);
  const result: PushBatchResult = { sent: 0, deferred: 0, dead: 0, skipped: 0 };
  if (minute < dueMinute) {
    // Early: this message is still the drain of dueMinute, and it must not spend this minute's budget.
    await app.pushQueue.sendDrain(tenantId, dueMinute, delayUntil(app, dueMinute, now));
    return result;
  }
  if (minute > dueMinute && !(await app.stores.pushBacklog.claimDrain(tenantId, minute))) return result;
  const started = performance.now();
  for (;;) {
    const page = await app.stores.pushBacklog.head(tenantId, DRAIN_PAGE);
    if (!page.length) return result; // the chain ends: the next deferred request starts a new one
    const budgeted = await reserveWithinBudget(app, tenantId, minute, page);
    result.skipped += budgeted.skipped;
    const sent = await sendForTenant(app, tenantId, budgeted.granted);
    addUp(result, sent);
    const waiting = new Set([...budgeted.over, ...sent.retry]);
    await app.stores.pushBacklog.remove(page.filter((r) => !waiting.has(r)));
    if (waiting.size) break; // the budget is spent (or APNs asked to retry): the rest waits
    if (performance.now() - started > DRAIN_SLICE_MS) {
      await app.pushQueue.sendDrain(tenantId, minute, 0);
      return result;
    }
  }
  // What is left was in the backlog before this drain read it, so a drain of the next minute that
  // already ran saw it too and queued its own successor.
  await scheduleDrain(app, tenantId, minute + 1);
  return result;
}

/**
 * Queues the tenant's drain for `minute` once, however many workers find the backlog; false if it
 * was claimed already: that drain is pending, or has read the backlog (for the next minute's
 * drain: after the caller's requests were there).
 */
async function scheduleDrain(app: App, tenantId: string, minute: number): Promise<boolean> {
  if (!(await app.stores.pushBacklog.claimDrain(tenantId, minute))) return false;
  try {
    const now = app.clock.now();
    await app.pushQueue.sendDrain(tenantId, minute, minuteOf(now) >= minute ? 0 : delayUntil(app, minute, now));
  } catch (err) {
    await app.stores.pushBacklog.releaseDrain(tenantId, minute);
    throw err;
  }
  return true;
}

function delayUntil(app: App, minute: number, now: Date): number {
  return app.config.pushDeferDelaySeconds ?? Math.max(1, Math.ceil((minute * 60_000 - now.getTime()) / 1000));
}

function addUp(total: PushBatchResult, part: { sent: number; dead: number; skipped: number }): void {
  total.sent += part.sent;
  total.dead += part.dead;
  total.skipped += part.skipped;
}

/**
 * Reserves what one tenant's budget allows this minute, admin first, duplicates collapsed, for the
 * requests worth a push; returns those (to send), the ones that did not fit, and the count skipped.
 */
async function reserveWithinBudget(
  app: App,
  tenantId: string,
  minute: number,
  requests: PushRequest[],
): Promise<{ granted: Pushable[]; over: PushRequest[]; skipped: number }> {
  if (!requests.length) return { granted: [], over: [], skipped: 0 };
  // The container's tenant cache: a cap set through another container applies within its refresh (60 s).
  const tenant = await app.tenantCache.get(tenantId);
  const cap = tenant?.pushCapPerMinute ?? app.config.pushCapPerMinute;
  const plan = planMinute(requests, new Map([[tenantId, { cap, used: 0 }]]));
  // Requests nothing can be pushed for, or that a later push already covered, spend no budget.
  const { wanted, skipped } = await pushable(app, tenantId, plan.sendNow);
  if (!wanted.length) return { granted: [], over: plan.defer, skipped };
  const granted = await app.stores.budget.reserve(tenantId, minute, wanted.length, cap);
  return {
    granted: wanted.slice(0, granted),
    over: [...plan.defer, ...wanted.slice(granted).map((e) => e.request)],
    skipped,
  };
}

interface Pushable {
  request: PushRequest;
  device: Device;
}

/**
 * The requests worth a push: the device is checked in with a live token, and it has not been
 * pushed since the request was made (a push wakes the device for everything queued before it, so
 * a request deferred behind a newer push for the same device, e.g. two template edits in a row,
 * is already served).
 */
async function pushable(
  app: App,
  tenantId: string,
  requests: PushRequest[],
): Promise<{ wanted: Pushable[]; skipped: number }> {
  const devices = await mapLimited(requests, PUSH_IO_CONCURRENCY, (r) => app.stores.devices.get(tenantId, r.deviceId));
  const wanted: Pushable[] = [];
  let skipped = 0;
  requests.forEach((request, i) => {
    const device = devices[i];
    const covered = !!device?.lastPushAt && device.lastPushAt > request.requestedAt;
    if (!device || device.registrationState !== 'Checked-In' || !device.push?.token || device.push.dead || covered) {
      skipped += 1;
      return;
    }
    wanted.push({ request, device });
  });
  return { wanted, skipped };
}

/**
 * Runs `work` on every item, at most `limit` at once, results in the items' order. A page of 100
 * pushes is several hundred DynamoDB calls: one after the other they would take longer than a
 * minute's budget allows at the default cap (docs/operations.md §Push backlog).
 */
async function mapLimited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function sendForTenant(app: App, tenantId: string, entries: Pushable[]) {
  const out = { sent: 0, dead: 0, skipped: 0, retry: [] as PushRequest[] };
  const byDevice = new Map(entries.map((e) => [e.device.id, e]));
  const apple = [...byDevice.values()].filter((e) => e.device.platform !== 'android');
  const android = [...byDevice.values()].filter((e) => e.device.platform === 'android');
  for (const [group, sender, alarmKey, service] of [
    [apple, app.push.apns, APNS_ALARM, 'apns'],
    [android, app.push.fcm, FCM_ALARM, 'fcm'],
  ] as const) {
    if (!group.length) continue;
    const tenant = await app.tenantCache.get(tenantId);
    const credentialInvalid = service === 'apns' ? tenant?.apns?.invalidSince : tenant?.fcm?.invalidSince;
    if (credentialInvalid) {
      out.skipped += group.length;
      continue;
    } // stopped until a new credential is uploaded
    const targets: PushTarget[] = group.map((e) => ({
      deviceId: e.device.id,
      token: e.device.push!.token,
      magic: e.device.push!.magic,
    }));
    // The push counts from when it was handed to APNs/FCM: a device can answer before send() returns.
    const sentAt = app.clock.now().toISOString();
    const outcomes = await (sender as PushSender).send(tenantId, targets);
    if (!Array.isArray(outcomes)) {
      await recordLastPush(app, tenant, service, 'credential-error');
      await credentialFailed(app, tenantId, service, alarmKey, outcomes.reason);
      out.skipped += group.length;
      continue;
    }
    await mapLimited(outcomes, PUSH_IO_CONCURRENCY, async (outcome) => {
      const entry = byDevice.get(outcome.deviceId);
      if (!entry) return;
      await applyOutcome(app, entry.device, entry.request, outcome, service, sentAt);
      if (outcome.status === 'sent') out.sent += 1;
      if (outcome.status === 'dead-token') out.dead += 1;
      if (outcome.status === 'retry') out.retry.push(entry.request);
    });
    await recordLastPush(app, tenant, service, outcomes.some((o) => o.status === 'sent') ? 'sent' : 'failed');
  }
  return out;
}

/** Records a push service's last outcome on the tenant (GET /admin/v1/push): at most one write a minute unless it changed. */
async function recordLastPush(
  app: App,
  tenant: Tenant | undefined,
  service: 'apns' | 'fcm',
  outcome: PushOutcomeKind,
): Promise<void> {
  if (!tenant) return;
  const field = service === 'apns' ? 'apnsLastPush' : 'fcmLastPush';
  const last = tenant[field];
  const now = app.clock.now();
  if (last && last.outcome === outcome && now.getTime() - Date.parse(last.at) < 60_000) return;
  await app.stores.tenants.update(tenant.id, { [field]: { at: now.toISOString(), outcome } });
}

async function credentialFailed(
  app: App,
  tenantId: string,
  service: 'apns' | 'fcm',
  alarmKey: string,
  reason: string,
): Promise<void> {
  const at = app.clock.now().toISOString();
  const tenant = await app.stores.tenants.get(tenantId);
  if (service === 'apns' && tenant?.apns && !tenant.apns.invalidSince)
    await app.stores.tenants.update(tenantId, { apns: { ...tenant.apns, invalidSince: at } });
  if (service === 'fcm' && tenant?.fcm && !tenant.fcm.invalidSince)
    await app.stores.tenants.update(tenantId, { fcm: { ...tenant.fcm, invalidSince: at } });
  const message =
    service === 'apns'
      ? `pushes to Apple devices fail (${reason}): renew the Apple push certificate`
      : `pushes to Android devices fail (${reason}): upload a valid FCM service account`;
  await raiseAlarm(app, tenantId, alarmKey, 'critical', message);
}

async function applyOutcome(
  app: App,
  device: Device,
  request: PushRequest,
  outcome: PushOutcome,
  service: string,
  sentAt: string,
): Promise<void> {
  const at = app.clock.now().toISOString();
  if (outcome.status === 'sent') {
    // From the device as read before the send: if it answered meanwhile, its rev moved and this reads again.
    await mutateDevice(
      app,
      device.tenantId,
      device.id,
      (d) => {
        const change = syncChange(d, { type: 'push-sent' }, sentAt);
        // The daily resync's pushes are routine: the device's lastPushAt and the diagnosis show them,
        // and a line each would be most of the Logs table (docs/sync.md §The scheduled jobs).
        if (request.reason !== 'resync')
          change.logs!.push({
            event: 'push-sent',
            message: `push sent via ${service} (${request.reason})`,
            data: { messageId: outcome.messageId, reason: request.reason, priority: request.priority },
          });
        return change;
      },
      device,
    );
  } else if (outcome.status === 'dead-token') {
    await mutateDevice(app, device.tenantId, device.id, (d) => ({
      device: { ...d, push: { ...d.push!, dead: true, deadSince: at } },
      logs: [
        {
          event: 'push-token-dead',
          message: `the push token is no longer valid (${outcome.reason}); pushes stop until the device sends a new one`,
          severity: 'minor',
          data: { reason: outcome.reason },
        },
      ],
    }));
  } else {
    await logEvent(
      app,
      device.tenantId,
      'push-failed',
      `push ${outcome.status === 'retry' ? 'deferred' : 'failed'}: ${outcome.reason}`,
      {
        deviceId: device.id,
        severity: outcome.status === 'retry' ? 'info' : 'minor',
        data: { reason: outcome.reason },
      },
    );
  }
}
