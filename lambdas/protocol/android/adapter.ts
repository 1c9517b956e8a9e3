// The Android side of the sync engine: JSON commands for the agent (docs/android.md) and the
// agent's inventory report.
import type { SyncAction } from '../../domain/sync/diff';
import type { Device, Template } from '../../domain/types';
import type { AdminParams, AdminPlan, CommandSpec, InventoryUpdate, PlatformAdapter } from '../../ports/platform';
import { androidInventorySchema } from './wire';

const command = (
  requestType: string,
  payload: Record<string, unknown> = {},
  extra: Partial<CommandSpec> = {},
): CommandSpec => ({
  requestType,
  payload,
  needsUnlock: false,
  ...extra,
});

export function inventoryFromAgent(raw: unknown): InventoryUpdate | undefined {
  const parsed = androidInventorySchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const inv = parsed.data;
  return {
    inventory: {
      ...(inv.apps
        ? {
            apps: inv.apps.map((a) => ({
              identifier: a.packageName,
              version: String(a.versionCode),
              managed: a.managed === true,
            })),
          }
        : {}),
      ...(inv.policies ? { profiles: inv.policies.map((p) => ({ identifier: p.id, hash: p.hash })) } : {}),
      ...(inv.locked !== undefined ? { locked: inv.locked } : {}),
      ...(inv.passcodeSet !== undefined ? { passcodeSet: inv.passcodeSet } : {}),
      ...(inv.osVersion !== undefined ? { osVersion: inv.osVersion } : {}),
    },
    device: inv.osVersion ? { osVersion: inv.osVersion } : {},
  };
}

export const androidAdapter: PlatformAdapter = {
  inventoryQueries(_device: Device, _template: Template | undefined): CommandSpec[] {
    return [command('ReportInventory')];
  },

  syncAction(a: SyncAction): CommandSpec {
    const action = { action: a.action, identifier: a.identifier, hash: a.hash, version: a.version };
    switch (a.action) {
      case 'install-profile':
        return command(
          'ApplyPolicy',
          { policyId: a.identifier, hash: a.hash, policy: a.item?.kind === 'profile' ? (a.item.policy ?? {}) : {} },
          { action },
        );
      case 'remove-profile':
        return command('RemovePolicy', { policyId: a.identifier }, { action });
      case 'install-app': {
        const source = a.item?.kind === 'app' ? a.item.source : undefined;
        // An Android versionCode is an integer: send it as one (absent when the template sets no minimum).
        const versionCode = a.version !== undefined && /^\d{1,15}$/.test(a.version) ? Number(a.version) : a.version;
        return command(
          'InstallApp',
          {
            packageName: a.identifier,
            ...(versionCode !== undefined ? { versionCode } : {}),
            ...(source ? { url: source } : {}),
          },
          { action },
        );
      }
      case 'remove-app':
        return command('RemoveApp', { packageName: a.identifier }, { action });
      default:
        return command('Noop', { reason: `${a.action} is not supported on Android` }, { action });
    }
  },

  adminCommand(type, params: AdminParams): AdminPlan {
    switch (type) {
      case 'Lock':
        return { commands: [command('Lock', params.message ? { message: params.message } : {})] };
      case 'Restart':
        return { commands: [command('Restart')] };
      case 'Wipe':
        return { commands: [command('Wipe')] };
      case 'ClearPasscode':
        return {
          commands: [
            command('ClearPasscode', {}, params.newPasscode ? { secrets: { newPasscode: params.newPasscode } } : {}),
          ],
        };
      case 'Unenroll':
        return { commands: [command('Unenroll')] };
      case 'AdminLock':
        return { commands: [command('AdminLock', params.message ? { message: params.message } : {})] };
      case 'AdminUnlock':
        return { commands: [command('AdminUnlock')] };
      case 'SelectiveWipe':
        return { refused: 'SelectiveWipe is planned by the sync engine' };
    }
  },

  readResult(requestType: string, result: Record<string, unknown>): InventoryUpdate | undefined {
    return requestType === 'ReportInventory' ? inventoryFromAgent(result.inventory ?? result) : undefined;
  },

  // The agent runs everything that needs no unlock while the device is locked, and polls again by itself.
  runsWhileLocked: (command) => !command.needsUnlock,
  servingLockedCancelsReturn: false,
};
