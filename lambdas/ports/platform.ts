// What differs between Apple and Android is how a piece of work becomes a command and how a
// result becomes inventory. The sync engine talks to platforms only through this interface.
import type { SyncAction } from '../domain/sync/diff';
import type { AdminCommandType, Command, Device, Inventory, Template } from '../domain/types';

export interface CommandSpec {
  requestType: string;
  payload: Record<string, unknown>;
  needsUnlock: boolean;
  /** Secret params (PIN, passcode, unlock token) sealed into the command until it is handed out. */
  secrets?: Record<string, string>;
  action?: { action: string; identifier: string; hash?: string; version?: string };
}

/** Facts a query result teaches about the device, beside its inventory. */
export interface InventoryUpdate {
  inventory?: Partial<Inventory>;
  device?: Partial<Pick<Device, 'name' | 'model' | 'osVersion' | 'serialNumber' | 'supervised'>> & {
    lostMode?: boolean;
  };
}

export type AdminPlan = { commands: CommandSpec[]; warning?: string } | { refused: string };

export interface PlatformAdapter {
  /** The queries that read the device's inventory for a sync (and for its verification). */
  inventoryQueries(device: Device, template: Template | undefined): CommandSpec[];
  syncAction(action: SyncAction, device: Device): CommandSpec;
  /** Turns an admin command into device commands, or refuses it with a clear reason (422). */
  adminCommand(
    type: Exclude<AdminCommandType, 'Sync'>,
    params: AdminParams,
    device: Device,
    ctx: { unlockToken?: string; tenantId: string },
  ): AdminPlan;
  /** Reads an acknowledged command's result; undefined when it carries no inventory. */
  readResult(requestType: string, result: Record<string, unknown>): InventoryUpdate | undefined;
  /**
   * After a NotNow the device counts as locked for the rest of its session: may this command be
   * handed out all the same (it would not NotNow again)?
   */
  runsWhileLocked(command: Pick<Command, 'requestType' | 'needsUnlock'>): boolean;
  /**
   * Handing out a command after a NotNow cancels the device's own return when it is unlocked
   * (Apple), so the server has to push it again later.
   */
  servingLockedCancelsReturn: boolean;
}

export interface AdminParams {
  pin?: string;
  message?: string;
  phoneNumber?: string;
  newPasscode?: string;
}
