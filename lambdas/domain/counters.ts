// Dashboard counters (docs/sync.md §Dashboard counters): what one device contributes, the deltas a device
// write adds to the tenant's counters, a full recount for the reconcile job, and the dashboard
// built from the counters in O(1) reads.
import type { AdminCommandType, Alarm, AlarmSeverity, Device, RegistrationState, SyncState } from './types';
import { REGISTRATION_STATES, SYNC_STATES } from './types';

/** Admin commands the dashboard counts as pending. */
export const PENDING_COUNTED = [
  'ClearPasscode',
  'Wipe',
  'SelectiveWipe',
  'Lock',
] as const satisfies readonly AdminCommandType[];
export const ALARM_SEVERITIES = ['critical', 'major', 'minor', 'warning'] as const satisfies readonly AlarmSeverity[];

export type CounterKey =
  | `sync:${SyncState}`
  | `reg:${RegistrationState}`
  | `adminLocked:${'ios' | 'android'}`
  | `prohibited:${'ios' | 'android' | 'macos'}`
  | `pending:${(typeof PENDING_COUNTED)[number]}`
  /** Kept by the alarm store, not by device writes. */
  | `alarm:${AlarmSeverity}`;

/** The device fields that move counters. */
export type CountedDevice = Pick<
  Device,
  'platform' | 'syncState' | 'registrationState' | 'adminLocked' | 'prohibitedApps' | 'pendingCommands'
>;

/**
 * Devices that are no longer (or not yet) managed — Withdrawn, Expired — count only under their
 * registration state: their sync state, admin lock, prohibited apps and leftover queue are history,
 * not fleet health.
 */
const isManaged = (d: CountedDevice): boolean =>
  d.registrationState !== 'Withdrawn' && d.registrationState !== 'Expired';

/** The counter keys one device adds 1 to. macOS has no admin lock (docs/api.md §Names and states): not counted. */
export function deviceCounterKeys(d: CountedDevice): CounterKey[] {
  const keys: CounterKey[] = [`reg:${d.registrationState}`];
  if (!isManaged(d)) return keys;
  keys.push(`sync:${d.syncState}`);
  if (d.adminLocked && (d.platform === 'ios' || d.platform === 'android')) keys.push(`adminLocked:${d.platform}`);
  if ((d.prohibitedApps ?? []).length > 0) keys.push(`prohibited:${d.platform}`);
  for (const type of PENDING_COUNTED) {
    if ((d.pendingCommands?.[type] ?? 0) > 0) keys.push(`pending:${type}`);
  }
  return keys;
}

/**
 * What a device write changes in the counters: `before` undefined = created, `after` undefined =
 * deleted. Only non-zero deltas are returned, so an unchanged device adds nothing.
 */
export function counterDeltas(
  before: CountedDevice | undefined,
  after: CountedDevice | undefined,
): Record<string, number> {
  const deltas: Record<string, number> = {};
  for (const k of before ? deviceCounterKeys(before) : []) deltas[k] = (deltas[k] ?? 0) - 1;
  for (const k of after ? deviceCounterKeys(after) : []) deltas[k] = (deltas[k] ?? 0) + 1;
  for (const k of Object.keys(deltas)) if (deltas[k] === 0) delete deltas[k];
  return deltas;
}

/** The counters from scratch (the reconcile job). Zero counters are left out, as in counterDeltas. */
export function recount(devices: Iterable<CountedDevice>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const d of devices) for (const k of deviceCounterKeys(d)) counts[k] = (counts[k] ?? 0) + 1;
  return counts;
}

/** Adds deltas into counters (sums of shards, tests). */
export function addCounters(into: Record<string, number>, deltas: Record<string, number>): Record<string, number> {
  const out = { ...into };
  for (const [k, v] of Object.entries(deltas)) {
    out[k] = (out[k] ?? 0) + v;
    if (out[k] === 0) delete out[k];
  }
  return out;
}

export interface Dashboard {
  syncStates: Record<SyncState, number>;
  registrationStates: Record<RegistrationState, number>;
  alarms: Record<(typeof ALARM_SEVERITIES)[number], number>;
  adminLocked: { ios: number; android: number };
  prohibitedApps: { ios: number; android: number; macos: number };
  pendingCommands: Record<(typeof PENDING_COUNTED)[number], number>;
  activeAlarms: Array<{ key: string; severity: string; message: string; deviceId?: string; raisedAt: string }>;
}

/**
 * The dashboard (docs/api.md §Dashboard) from the tenant's counters: every key present, zero when absent. A counter
 * can dip below zero for a moment between shards' writes; it is shown as 0 until the reconcile job.
 */
export function dashboardFromCounters(counters: Record<string, number>, activeAlarms: readonly Alarm[]): Dashboard {
  const n = (key: string): number => Math.max(0, counters[key] ?? 0);
  const byKey = <K extends string>(prefix: string, names: readonly K[]) =>
    Object.fromEntries(names.map((name) => [name, n(`${prefix}:${name}`)])) as Record<K, number>;
  return {
    syncStates: byKey('sync', SYNC_STATES),
    registrationStates: byKey('reg', REGISTRATION_STATES),
    alarms: byKey('alarm', ALARM_SEVERITIES),
    adminLocked: byKey('adminLocked', ['ios', 'android'] as const),
    prohibitedApps: byKey('prohibited', ['ios', 'android', 'macos'] as const),
    pendingCommands: byKey('pending', PENDING_COUNTED),
    activeAlarms: activeAlarms.map((a) => ({
      key: a.key,
      severity: a.severity,
      message: a.message,
      ...(a.deviceId !== undefined ? { deviceId: a.deviceId } : {}),
      raisedAt: a.raisedAt,
    })),
  };
}
