import type { Command, Device, Template } from '../../lambdas/domain/types';

let seq = 0;
export function newDevice(overrides: Partial<Device> = {}): Device {
  seq += 1;
  const at = '2026-11-23T09:00:00.000Z';
  return {
    tenantId: 'acme',
    id: `dev-${String(seq).padStart(5, '0')}`,
    platform: 'ios',
    syncState: 'Sync-Required',
    registrationState: 'Checked-In',
    adminLocked: false,
    prohibitedApps: [],
    pendingCommands: {},
    createdAt: at,
    updatedAt: at,
    rev: 0,
    ...overrides,
  };
}

export function newTemplate(overrides: Partial<Template> = {}): Template {
  seq += 1;
  const at = '2026-11-23T09:00:00.000Z';
  return {
    tenantId: 'acme',
    id: `tpl-${seq}`,
    name: 'Standard',
    items: [],
    prohibitedApps: [],
    version: 1,
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

export function newCommand(overrides: Partial<Command> = {}): Command {
  seq += 1;
  const at = '2026-11-23T09:00:00.000Z';
  return {
    tenantId: 'acme',
    deviceId: 'dev-1',
    id: `cmd-${String(seq).padStart(6, '0')}`,
    requestType: 'DeviceInformation',
    origin: 'sync',
    priority: 5,
    payload: {},
    status: 'Queued',
    needsUnlock: false,
    attempts: 0,
    notNowCount: 0,
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}
