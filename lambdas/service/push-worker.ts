// The push worker: takes push requests off the queue, spends each tenant's per-minute budget
// (global across workers: a conditional counter per tenant-minute), sends, and defers the rest
// to the next minute. Admin pushes go before bulk ones; one tenant's backlog never spends
// another tenant's budget.
import { planMinute, type TenantBudget } from '../domain/push-plan';
import type { Device, PushOutcomeKind, PushRequest, Tenant } from '../domain/types';
import type { PushOutcome, PushSender, PushTarget } from '../ports';
import { logEvent, raiseAlarm } from './audit';
import type { App } from './container';
import { mutateDevice, syncChange } from './devices';
import { APNS_ALARM, FCM_ALARM } from './push-credential-loaders';

export interface PushBatchResult {
  sent: number;
  deferred: number;
  dead: number;
  skipped: number;
}

const minuteOf = (d: Date) => Math.floor(d.getTime() / 60_000);

export async function handlePushBatch(app: App, requests: PushRequest[]): Promise<PushBatchResult> {
  const now = app.clock.now();
  const minute = minuteOf(now);
  const result: PushBatchResult = { sent: 0, deferred: 0, dead: 0, skipped: 0 };
  const tenantIds = [...new Set(requests.map((r) => r.tenantId))];
  const budgets = new Map<string, TenantBudget>();
  for (const tenantId of tenantIds) {
    const tenant = await app.stores.tenants.get(tenantId);
    budgets.set(tenantId, { cap: tenant?.pushCapPerMinute ?? app.config.pushCapPerMinute, used: 0 });
  }
  const plan = planMinute(requests, budgets);
  const deferred = [...plan.defer];
  for (const tenantId of tenantIds) {
    // Requests nothing can be pushed for, or that a later push already covered, spend no budget.
    const { wanted, skipped } = await pushable(
      app,
      tenantId,
      plan.sendNow.filter((r) => r.tenantId === tenantId),
    );
    result.skipped += skipped;
    if (!wanted.length) continue;
    const granted = await app.stores.budget.reserve(tenantId, minute, wanted.length, budgets.get(tenantId)!.cap);
    deferred.push(...wanted.slice(granted).map((e) => e.request));
    const outcome = await sendForTenant(app, tenantId, wanted.slice(0, granted));
    result.sent += outcome.sent;
    result.dead += outcome.dead;
    result.skipped += outcome.skipped;
    deferred.push(...outcome.retry);
  }
  if (deferred.length) {
    // Into the next minute, in order: nothing is dropped.
    const delay = app.config.pushDeferDelaySeconds ?? Math.max(1, 60 - now.getUTCSeconds());
    for (let i = 0; i < deferred.length; i += 100) await app.pushQueue.send(deferred.slice(i, i + 100), delay);
  }
  result.deferred = deferred.length;
  return result;
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
  const wanted: Pushable[] = [];
  let skipped = 0;
  for (const request of requests) {
    const device = await app.stores.devices.get(tenantId, request.deviceId);
    const covered = !!device?.lastPushAt && device.lastPushAt > request.requestedAt;
    if (!device || device.registrationState !== 'Checked-In' || !device.push?.token || device.push.dead || covered) {
      skipped += 1;
      continue;
    }
    wanted.push({ request, device });
  }
  return { wanted, skipped };
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
    const tenant = await app.stores.tenants.get(tenantId);
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
    for (const outcome of outcomes) {
      const entry = byDevice.get(outcome.deviceId);
      if (!entry) continue;
      await applyOutcome(app, entry.device, entry.request, outcome, service, sentAt);
      if (outcome.status === 'sent') out.sent += 1;
      if (outcome.status === 'dead-token') out.dead += 1;
      if (outcome.status === 'retry') out.retry.push(entry.request);
    }
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
