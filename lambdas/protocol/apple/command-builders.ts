// Server → device commands: typed builders and the wire envelope.
import { enrollmentProfileIdentifier } from './enrollment-profile';
import { buildPlist } from './plist';

export interface AppleCommand {
  requestType: string;
  /** The Command dict as sent, RequestType included. */
  command: Record<string, unknown>;
  /** Runs only while the device is unlocked (data protection): NotNow otherwise (docs/protocol.md §NotNow). */
  needsUnlock: boolean;
}

/** iOS commands Apple says never answer NotNow (docs/protocol.md §NotNow). Safe to send to a locked device. */
export const NEVER_NOT_NOW: ReadonlySet<string> = new Set([
  'DeviceInformation',
  'ProfileList',
  'DeviceLock',
  'EraseDevice',
  'ClearPasscode',
  'CertificateList',
  'ProvisioningProfileList',
  'InstalledApplicationList',
  'Restrictions',
]);

/** Commands observed to NotNow on a locked device; the queue holds them back while it is locked. */
const NEEDS_UNLOCK: ReadonlySet<string> = new Set([
  'InstallProfile',
  'InstallApplication',
  'InstallMedia',
  'SecurityInfo',
  'ManagedMediaList',
]);

export function needsUnlock(requestType: string): boolean {
  return NEEDS_UNLOCK.has(requestType);
}

function make(requestType: string, params: Record<string, unknown> = {}): AppleCommand {
  const command: Record<string, unknown> = { RequestType: requestType };
  for (const [k, v] of Object.entries(params)) if (v !== undefined) command[k] = v;
  return { requestType, command, needsUnlock: needsUnlock(requestType) };
}

/** What a sync asks DeviceInformation for (docs/protocol.md §Inventory); unanswerable queries are dropped by the device. */
export const DEVICE_INFORMATION_QUERIES: readonly string[] = [
  'UDID',
  'DeviceName',
  'OSVersion',
  'BuildVersion',
  'ModelName',
  'Model',
  'ProductName',
  'SerialNumber',
  'IsSupervised',
  'IsMDMLostModeEnabled',
  'IsActivationLockEnabled',
  'IsDeviceLocatorServiceEnabled',
  'DeviceCapacity',
  'AvailableDeviceCapacity',
  'BatteryLevel',
  'IMEI',
  'MEID',
  'WiFiMAC',
  'BluetoothMAC',
];

export const deviceInformation = (queries: readonly string[] = DEVICE_INFORMATION_QUERIES): AppleCommand =>
  make('DeviceInformation', { Queries: [...queries] });
export const profileList = (): AppleCommand => make('ProfileList', { ManagedOnly: true });
/**
 * The keys of each app that the inventory reads. iOS 14+ answers only these (and Identifier), which
 * keeps a 3,000-app answer far under the 1 MB body limit (about 850 bytes an app with every key,
 * under 250 with these); macOS ignores `Items` and answers every key.
 */
export const INSTALLED_APP_KEYS = ['Identifier', 'ShortVersion', 'Version'] as const;

export const installedApplicationList = (): AppleCommand =>
  make('InstalledApplicationList', { ManagedAppsOnly: false, Items: [...INSTALLED_APP_KEYS] });
export const managedMediaList = (): AppleCommand => make('ManagedMediaList');

/** `payload` is the whole profile (XML or signed DER), sent as <data>. */
export const installProfile = (payload: Buffer): AppleCommand => make('InstallProfile', { Payload: payload });
export const removeProfile = (identifier: string): AppleCommand => make('RemoveProfile', { Identifier: identifier });

/** Removes the enrollment profile: the device drops management (and sends CheckOut). */
export const unenroll = (tenantId: string): AppleCommand => removeProfile(enrollmentProfileIdentifier(tenantId));

/** ManagementFlags bit 1: remove the app when the MDM profile is removed. */
const REMOVE_APP_ON_UNENROLL = 1;

export interface InstallApplicationOptions {
  /** Bundle id: what inventory results are keyed by. Sent only when no other source is given. */
  identifier: string;
  iTunesStoreID?: number;
  /** An enterprise app's manifest. */
  manifestURL?: string;
  managementFlags?: number;
}

/** Apple: the request must carry exactly one of iTunesStoreID, Identifier, ManifestURL. */
export function installApplication(o: InstallApplicationOptions): AppleCommand {
  if (o.iTunesStoreID !== undefined && o.manifestURL !== undefined)
    throw new Error('give iTunesStoreID or manifestURL, not both');
  const source =
    o.iTunesStoreID !== undefined
      ? { iTunesStoreID: o.iTunesStoreID }
      : o.manifestURL !== undefined
        ? { ManifestURL: o.manifestURL }
        : { Identifier: o.identifier };
  return make('InstallApplication', { ...source, ManagementFlags: o.managementFlags ?? REMOVE_APP_ON_UNENROLL });
}

export const removeApplication = (identifier: string): AppleCommand =>
  make('RemoveApplication', { Identifier: identifier });

export type InstallMediaOptions =
  | { iTunesStoreID: number }
  | {
      mediaURL: string;
      persistentId: string;
      kind?: 'pdf' | 'epub' | 'ibooks';
      version?: string;
      title?: string;
      author?: string;
    };

export function installMedia(o: InstallMediaOptions): AppleCommand {
  if ('iTunesStoreID' in o) return make('InstallMedia', { MediaType: 'Book', iTunesStoreID: o.iTunesStoreID });
  const ext = /\.(pdf|epub|ibooks)(?:[?#]|$)/i.exec(o.mediaURL)?.[1]?.toLowerCase();
  return make('InstallMedia', {
    MediaType: 'Book',
    MediaURL: o.mediaURL,
    PersistentID: o.persistentId,
    Kind: o.kind ?? ext,
    Version: o.version,
    Title: o.title,
    Author: o.author,
  });
}

export function removeMedia(o: { persistentId: string } | { iTunesStoreID: number }): AppleCommand {
  // The schema types RemoveMedia's iTunesStoreID as a string.
  if ('persistentId' in o) return make('RemoveMedia', { MediaType: 'Book', PersistentID: o.persistentId });
  return make('RemoveMedia', { MediaType: 'Book', iTunesStoreID: String(o.iTunesStoreID) });
}

/** `pin` is for macOS (6 digits); iOS ignores it. */
export const deviceLock = (o: { pin?: string; message?: string; phoneNumber?: string } = {}): AppleCommand =>
  make('DeviceLock', { PIN: o.pin, Message: o.message, PhoneNumber: o.phoneNumber });
export const restartDevice = (): AppleCommand => make('RestartDevice');
/** `pin` is the macOS Find My unlock PIN (6 digits). */
export const eraseDevice = (o: { pin?: string } = {}): AppleCommand => make('EraseDevice', { PIN: o.pin });

export function enableLostMode(o: { message?: string; phoneNumber?: string; footnote?: string }): AppleCommand {
  if (!o.message && !o.phoneNumber) throw new Error('Lost Mode needs a message or a phone number');
  return make('EnableLostMode', { Message: o.message, PhoneNumber: o.phoneNumber, Footnote: o.footnote });
}
export const disableLostMode = (): AppleCommand => make('DisableLostMode');

/** The reply body for a connect request: `{CommandUUID, Command: {RequestType, ...}}` as an XML plist. */
export function encodeCommand(commandUuid: string, command: Record<string, unknown>): Buffer {
  if (typeof command.RequestType !== 'string' || !command.RequestType) throw new Error('command has no RequestType');
  return Buffer.from(buildPlist({ CommandUUID: commandUuid, Command: command }), 'utf8');
}
