// Writing logs and alarms: one place, so every event, command result and alarm has the same shape
// and the dashboard's alarm counters move with the alarms.
import { alarmChanged } from '../domain/events';
import type { AlarmSeverity, LogItem, Severity } from '../domain/types';
import type { App } from './container';
import { emitEvents } from './events';

export async function logEvent(
  app: App,
  tenantId: string,
  event: string,
  message: string,
  opts: { deviceId?: string; severity?: Severity; data?: Record<string, unknown>; type?: LogItem['type'] } = {},
): Promise<LogItem> {
  return app.stores.logs.append({
    tenantId,
    type: opts.type ?? 'event',
    severity: opts.severity ?? 'info',
    at: app.clock.now().toISOString(),
    event,
    message,
    deviceId: opts.deviceId,
    data: opts.data,
  });
}

/** Raises an alarm (idempotent per key), logs it once, and keeps the severity counters exact. */
export async function raiseAlarm(
  app: App,
  tenantId: string,
  key: string,
  severity: AlarmSeverity,
  message: string,
  deviceId?: string,
): Promise<void> {
  const alarm = { tenantId, key, severity, message, deviceId, raisedAt: app.clock.now().toISOString() };
  const previous = await app.stores.alarms.raise(alarm);
  if (previous?.severity === severity) return;
  const deltas: Record<string, number> = { [`alarm:${severity}`]: 1 };
  if (previous) deltas[`alarm:${previous.severity}`] = (deltas[`alarm:${previous.severity}`] ?? 0) - 1;
  await app.stores.counters.add(tenantId, deltas, key);
  await logEvent(app, tenantId, key.split('#')[0], message, {
    type: 'alarm',
    severity,
    deviceId,
    data: { key, state: 'raised' },
  });
  await emitEvents(app, tenantId, [alarmChanged('raised', alarm)]);
}

export async function clearAlarm(app: App, tenantId: string, key: string, message: string): Promise<void> {
  const cleared = await app.stores.alarms.clear(tenantId, key);
  if (!cleared) return;
  await app.stores.counters.add(tenantId, { [`alarm:${cleared.severity}`]: -1 }, key);
  await logEvent(app, tenantId, key.split('#')[0], message, {
    type: 'alarm',
    severity: 'info',
    deviceId: cleared.deviceId,
    data: { key, state: 'cleared' },
  });
  await emitEvents(app, tenantId, [alarmChanged('cleared', { ...cleared, message })]);
}
