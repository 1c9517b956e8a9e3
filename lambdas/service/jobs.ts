// Scheduled jobs (EventBridge when deployed, in-process locally, or POST /admin/v1/jobs/{job}/run).
// Each pages through devices, is safe to run twice, and records its run as an event log.
import { recount } from '../domain/counters';
import { badRequest } from '../domain/errors';
import { pushCredentialExpiring } from '../domain/events';
import { isJobName, JOB_NAMES } from '../domain/jobs';
import type { Device, Tenant } from '../domain/types';
import { pages } from '../paging';
import { AWAITING_SHARDS } from '../ports';
import { queueIdentityRenewals } from './apple-identity-renewal';
import { clearAlarm, logEvent, raiseAlarm } from './audit';
import { startSyncFanout } from './bulk-commands';
import type { App } from './container';
import { mutateDevice, syncChange } from './devices';
import { expireUnusedEnrollments } from './enrollment';
import { emitEvents } from './events';
import { APNS_ALARM } from './push-credential-loaders';

export interface JobRun {
  job: string;
  startedAt: string;
  finishedAt: string;
  devicesTouched: number;
  /** The fan-outs a resync started (GET /admin/v1/commands/{id}); their devices are counted there. */
  operationIds?: string[];
}

async function forEachTenant(
  app: App,
  only: string | undefined,
  fn: (tenantId: string) => Promise<number>,
): Promise<number> {
  if (only) return fn(only);
  let total = 0;
  for await (const page of pages((cursor) => app.stores.tenants.list(cursor, 100))) {
    for (const t of page.items) total += await fn(t.id);
  }
  return total;
}

async function forEachDevice(
  app: App,
  tenantId: string,
  filter: Parameters<App['stores']['devices']['list']>[1],
  fn: (d: Device) => Promise<boolean>,
): Promise<number> {
  let touched = 0;
  for await (const page of pages((cursor) => app.stores.devices.list(tenantId, filter, cursor, 100))) {
    for (const d of page.items) if (await fn(d)) touched += 1;
  }
  return touched;
}

/**
 * Daily: every checked-in device is re-read and re-pushed (push services drop notifications).
 * The job only starts a sync fan-out per tenant: the bulk worker walks the devices in steps, so
 * a fleet of any size fits (one job invocation walking a million devices would time out).
 */
async function resync(app: App, tenantId: string): Promise<string> {
  return startSyncFanout(app, tenantId, { registrationState: 'Checked-In' }, 'resync');
}

/** Devices that owe an answer to a push for longer than NOT_RESPONDING_AFTER become Not-Responding. */
async function sweep(app: App, onlyTenant: string | undefined): Promise<number> {
  const threshold = app.config.notRespondingAfterDays * 86_400_000;
  const now = app.clock.now();
  const before = new Date(now.getTime() - threshold).toISOString();
  let touched = 0;
  for (let shard = 0; shard < AWAITING_SHARDS; shard++) {
    for await (const page of pages((cursor) => app.stores.devices.listAwaitingSince(shard, before, cursor, 100))) {
      for (const d of page.items) {
        if (onlyTenant && d.tenantId !== onlyTenant) continue;
        const after = await mutateDevice(app, d.tenantId, d.id, (cur) => {
          const change = syncChange(cur, { type: 'not-responding-timeout', threshold }, now.toISOString());
          return change.device.syncState === cur.syncState ? undefined : change;
        });
        if (after.syncState === 'Not-Responding' && d.syncState !== 'Not-Responding') touched += 1;
      }
    }
  }
  return touched;
}

/** Recounts the dashboard from the devices and the active alarms, repairing any drift. */
async function reconcile(app: App, tenantId: string): Promise<number> {
  const devices: Device[] = [];
  await forEachDevice(app, tenantId, {}, async (d) => {
    devices.push(d);
    return true;
  });
  const counts = recount(devices);
  for (const alarm of await app.stores.alarms.list(tenantId, 10_000))
    counts[`alarm:${alarm.severity}`] = (counts[`alarm:${alarm.severity}`] ?? 0) + 1;
  await app.stores.counters.reset(tenantId, counts);
  return devices.length;
}

/** From this many days before it expires, the daily check reports `push_credential.expiring`. */
const CREDENTIAL_EXPIRING_DAYS = 30;

/**
 * Alarms before the Apple push certificate expires: major at 30 days, critical at 7 and after;
 * within 30 days a `push_credential.expiring` event each day. Then the device identities: those
 * about to expire get a renewal (apple-identity-renewal.ts); they count as the devices touched.
 */
async function certificateCheck(app: App, tenantId: string): Promise<number> {
  const tenant = await app.stores.tenants.get(tenantId);
  if (!tenant?.apns) return 0;
  await checkPushCredential(app, tenantId, tenant.apns);
  return queueIdentityRenewals(app, tenant);
}

async function checkPushCredential(app: App, tenantId: string, apns: NonNullable<Tenant['apns']>): Promise<void> {
  const daysLeft = (Date.parse(apns.notAfter) - app.clock.now().getTime()) / 86_400_000;
  if (daysLeft <= CREDENTIAL_EXPIRING_DAYS)
    await emitEvents(app, tenantId, [
      pushCredentialExpiring({ platform: 'apns', topic: apns.topic, notAfter: apns.notAfter }, Math.ceil(daysLeft)),
    ]);
  if (daysLeft <= 0)
    await raiseAlarm(
      app,
      tenantId,
      APNS_ALARM,
      'critical',
      `the Apple push certificate expired on ${apns.notAfter}: renew the Apple push certificate`,
    );
  else if (daysLeft <= 7)
    await raiseAlarm(
      app,
      tenantId,
      APNS_ALARM,
      'critical',
      `the Apple push certificate expires in ${Math.ceil(daysLeft)} days: renew the Apple push certificate`,
    );
  else if (daysLeft <= 30)
    await raiseAlarm(
      app,
      tenantId,
      APNS_ALARM,
      'major',
      `the Apple push certificate expires in ${Math.ceil(daysLeft)} days: renew the Apple push certificate`,
    );
  else if (!apns.invalidSince) await clearAlarm(app, tenantId, APNS_ALARM, 'the Apple push certificate is valid');
}

export async function runJob(app: App, job: string, opts: { tenantId?: string } = {}): Promise<JobRun> {
  if (!isJobName(job)) throw badRequest(`unknown job ${job}; jobs: ${JOB_NAMES.join(', ')}`);
  const startedAt = app.clock.now().toISOString();
  const name = job;
  const operationIds: string[] = [];
  const perTenant = async (tenantId: string): Promise<number> => {
    if (name === 'resync') {
      operationIds.push(await resync(app, tenantId));
      return 0;
    }
    return name === 'reconcile-counters' ? reconcile(app, tenantId) : certificateCheck(app, tenantId);
  };
  const devicesTouched =
    name === 'not-responding-sweep'
      ? (await sweep(app, opts.tenantId)) +
        (await forEachTenant(app, opts.tenantId, (t) => expireUnusedEnrollments(app, t)))
      : await forEachTenant(app, opts.tenantId, perTenant);
  const run: JobRun = {
    job,
    startedAt,
    finishedAt: app.clock.now().toISOString(),
    devicesTouched,
    ...(name === 'resync' ? { operationIds } : {}),
  };
  const outcome =
    name === 'resync' ? `${operationIds.length} sync fan-out(s) started` : `${devicesTouched} device(s) touched`;
  await forEachTenant(app, opts.tenantId, async (t) => {
    await logEvent(app, t, 'job-run', `${job} ran: ${outcome}`, { data: { ...run } });
    return 0;
  });
  return run;
}
