// Diagnosis and timeline of one device, from its record, its queue and its logs.
import { diagnose, type RecentCommandError } from '../domain/diagnosis';
import type { Device, LogItem, Tenant } from '../domain/types';
import type { App } from './container';
import { getDevice } from './devices';
import { requireTenant } from './tenants';

function credentialFacts(tenant: Tenant, device: Device, now: Date) {
  const cred = device.platform === 'android' ? tenant.fcm : tenant.apns;
  if (!cred) return undefined;
  const notAfter = 'notAfter' in cred ? cred.notAfter : undefined;
  const expired = notAfter !== undefined && Date.parse(notAfter) <= now.getTime();
  return {
    kind: device.platform === 'android' ? ('fcm' as const) : ('apns' as const),
    valid: !cred.invalidSince && !expired,
    notAfter,
    invalidSince: cred.invalidSince,
  };
}

async function deviceLogs(app: App, tenantId: string, deviceId: string, limit: number): Promise<LogItem[]> {
  return (await app.stores.logs.query(tenantId, { deviceId }, undefined, limit)).items;
}

export async function diagnoseDevice(app: App, tenantId: string, deviceId: string) {
  const device = await getDevice(app, tenantId, deviceId);
  const tenant = await requireTenant(app, tenantId);
  const now = app.clock.now();
  const live = await app.stores.commands.liveQueue(tenantId, deviceId);
  const logs = await deviceLogs(app, tenantId, deviceId, 200);
  const since = device.syncRequestedAt ?? '';
  const recentCommandErrors: RecentCommandError[] = logs
    .filter((l) => l.type === 'command' && l.data?.status === 'Error' && l.at >= since)
    .flatMap((l) =>
      ((l.data?.errors as RecentCommandError[] | undefined) ?? []).slice(0, 1).map((e) => ({
        commandId: String(l.data?.commandId),
        requestType: String(l.data?.requestType),
        code: e.code,
        domain: e.domain,
        message: e.message,
        at: l.at,
      })),
    );
  return diagnose({
    device,
    pushCredential: credentialFacts(tenant, device, now),
    pendingNeedsUnlock: live.some((c) => c.needsUnlock),
    recentCommandErrors,
    now: now.toISOString(),
  });
}

/**
 * The device's recent history as one ordered story (oldest first): its logs, and its recent idle
 * accesses kept on the device (an idle poll writes no log line; docs/architecture.md §The device session).
 */
export async function deviceTimeline(app: App, tenantId: string, deviceId: string) {
  const device = await getDevice(app, tenantId, deviceId);
  const logs = (await deviceLogs(app, tenantId, deviceId, 300)).reverse();
  const entries: Array<{ at: string; kind: string; message: string; data?: Record<string, unknown> }> = logs.map(
    (l) => ({
      at: l.at,
      kind: l.type === 'command' ? 'command' : l.event,
      message: l.message,
      ...(l.data ? { data: l.data } : {}),
    }),
  );
  const oldest = entries[0]?.at ?? '';
  const accesses = (device.recentAccesses ?? [])
    .map((seconds) => new Date(seconds * 1000).toISOString())
    // Not older than the logs shown: the story has no gap.
    .filter((at) => logs.length < 300 || at >= oldest)
    .map((at) => ({ at, kind: 'device-access', message: 'device connected (nothing waiting)' }));
  return { deviceId, entries: [...entries, ...accesses].sort((a, b) => a.at.localeCompare(b.at)) };
}
