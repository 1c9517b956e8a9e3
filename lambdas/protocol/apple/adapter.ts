// The Apple side of the sync engine: sync actions and admin commands as MDM commands, and
// acknowledged query results as inventory.

import type { SyncAction } from '../../domain/sync/diff';
import { profileUuid } from '../../domain/sync/diff';
import type { Device, Template } from '../../domain/types';
import type { AdminParams, AdminPlan, CommandSpec, InventoryUpdate, PlatformAdapter } from '../../ports/platform';
import * as cmd from './command-builders';
import { inventoryFromReport } from './inventory';
import { buildPlist, parsePlist } from './plist';

const spec = (c: cmd.AppleCommand, extra: Partial<CommandSpec> = {}): CommandSpec => ({
  requestType: c.requestType,
  payload: c.command,
  needsUnlock: c.needsUnlock,
  ...extra,
});

/**
 * Stamps the template's identifier and a PayloadUUID derived from the content hash on the
 * profile, so ProfileList tells a stale version from the current one (docs/protocol.md §Inventory). A signed
 * (CMS) profile cannot be rewritten and goes as it is.
 */
export function stampProfile(payload: Buffer, identifier: string, hash: string): Buffer {
  try {
    const profile = parsePlist(payload);
    return Buffer.from(
      buildPlist({ ...profile, PayloadIdentifier: identifier, PayloadUUID: profileUuid(identifier, hash) }),
    );
  } catch {
    return payload;
  }
}

function parseSource(source: string | undefined): { iTunesStoreID?: number; manifestURL?: string } {
  if (!source) return {};
  const store = /^itunes:(\d+)$/.exec(source);
  if (store) return { iTunesStoreID: Number(store[1]) };
  if (/^https:\/\//.test(source)) return { manifestURL: source };
  return {};
}

export const appleAdapter: PlatformAdapter = {
  inventoryQueries(_device: Device, template: Template | undefined): CommandSpec[] {
    const queries = [cmd.deviceInformation(), cmd.profileList(), cmd.installedApplicationList()];
    // Books are listed only when the template has some: ManagedMediaList waits for an unlock.
    if (template?.items.some((i) => i.kind === 'book')) queries.push(cmd.managedMediaList());
    return queries.map((q) => spec(q));
  },

  syncAction(a: SyncAction, _device: Device): CommandSpec {
    const action = { action: a.action, identifier: a.identifier, hash: a.hash, version: a.version };
    switch (a.action) {
      case 'install-profile': {
        const payload =
          a.item?.kind === 'profile' && a.item.payload ? Buffer.from(a.item.payload, 'base64') : Buffer.alloc(0);
        return spec(cmd.installProfile(stampProfile(payload, a.identifier, a.hash ?? '')), { action });
      }
      case 'remove-profile':
        return spec(cmd.removeProfile(a.identifier), { action });
      case 'install-app': {
        const source = parseSource(a.item?.kind === 'app' ? a.item.source : undefined);
        return spec(cmd.installApplication({ identifier: a.identifier, ...source }), { action });
      }
      case 'remove-app':
        return spec(cmd.removeApplication(a.identifier), { action });
      case 'install-book': {
        const url = a.item?.kind === 'book' ? a.item.url : undefined;
        const store = /^itunes:(\d+)$/.exec(a.identifier);
        return spec(
          store
            ? cmd.installMedia({ iTunesStoreID: Number(store[1]) })
            : cmd.installMedia({ mediaURL: url ?? '', persistentId: a.identifier }),
          { action },
        );
      }
      case 'remove-book':
        return spec(cmd.removeMedia({ persistentId: a.identifier }), { action });
    }
  },

  adminCommand(type, params: AdminParams, device: Device, ctx): AdminPlan {
    const mac = device.platform === 'macos';
    const pinSecret = params.pin ? { PIN: params.pin } : undefined;
    switch (type) {
      case 'Lock':
        if (mac && !params.pin)
          return { refused: 'Lock on macOS needs params.pin: the 6-digit PIN the Mac will ask for' };
        return {
          commands: [
            spec(cmd.deviceLock({ message: params.message, phoneNumber: params.phoneNumber }), { secrets: pinSecret }),
          ],
        };
      case 'Restart':
        if (!mac && !device.supervised)
          return { refused: 'Restart needs a supervised iOS device; this device is not supervised' };
        return {
          commands: [spec(cmd.restartDevice())],
          ...(mac
            ? {}
            : { warning: 'a passcode-locked iOS device on Wi-Fi only will not reconnect until it is unlocked' }),
        };
      case 'Wipe':
        if (mac && !params.pin)
          return { refused: 'Wipe on macOS needs params.pin: the 6-digit PIN to unlock the Mac after the erase' };
        return { commands: [spec(cmd.eraseDevice({}), { secrets: pinSecret })] };
      case 'ClearPasscode':
        if (mac) return { refused: 'ClearPasscode is not available on macOS' };
        if (!ctx.unlockToken)
          return {
            refused:
              'the device has not sent an UnlockToken (it needs the lock-and-passcode access right at enrollment), so its passcode cannot be cleared',
          };
        return {
          commands: [
            {
              requestType: 'ClearPasscode',
              payload: { RequestType: 'ClearPasscode' },
              needsUnlock: false,
              secrets: { UnlockToken: `$data:${ctx.unlockToken}` },
            },
          ],
        };
      case 'Unenroll':
        return { commands: [spec(cmd.unenroll(ctx.tenantId))] };
      case 'AdminLock':
        if (mac || !device.supervised)
          return { refused: 'AdminLock is Lost Mode, which needs a supervised iOS device' };
        return {
          commands: [
            spec(
              cmd.enableLostMode({
                message: params.message ?? 'This device is locked by your administrator.',
                phoneNumber: params.phoneNumber,
              }),
            ),
          ],
        };
      case 'AdminUnlock':
        if (mac || !device.supervised)
          return { refused: 'AdminUnlock ends Lost Mode, which needs a supervised iOS device' };
        return { commands: [spec(cmd.disableLostMode())] };
      case 'SelectiveWipe':
        return { refused: 'SelectiveWipe is planned by the sync engine' };
    }
  },

  readResult(requestType: string, result: Record<string, unknown>): InventoryUpdate | undefined {
    const update = inventoryFromReport(requestType, result);
    const { profiles, apps, books, passcodeSet, osVersion, name, model, serialNumber, supervised, lostMode } = update;
    const inventory = Object.fromEntries(
      Object.entries({ profiles, apps, books, passcodeSet, osVersion }).filter(([, v]) => v !== undefined),
    );
    const device = Object.fromEntries(
      Object.entries({ name, model, osVersion, serialNumber, supervised, lostMode }).filter(([, v]) => v !== undefined),
    );
    if (!Object.keys(inventory).length && !Object.keys(device).length) return undefined;
    return { inventory, device };
  },

  // After a NotNow an Apple device gets only what never answers NotNow (docs/protocol.md §NotNow);
  // anything else would NotNow again or cost the device's own re-poll for nothing.
  runsWhileLocked: (command) => !command.needsUnlock && cmd.NEVER_NOT_NOW.has(command.requestType),
  servingLockedCancelsReturn: true,
};
