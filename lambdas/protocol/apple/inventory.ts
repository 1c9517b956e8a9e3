// Acknowledged query results → the domain Inventory (what the sync diff compares with the template).
import type { Inventory } from '../../domain/types';

export interface ManagedAppState {
  identifier: string;
  /** ManagedApplicationList Status (Managed, Installing, Failed, UserRejected, ...). */
  status?: string;
  /** True when the app is under MDM management now. */
  managed: boolean;
}

export interface CertificateFact {
  commonName: string;
  isIdentity: boolean;
}

/** Inventory fields plus device facts; every field is optional: a report fills only its part. */
export interface InventoryUpdate extends Omit<Inventory, 'readAt'> {
  name?: string;
  model?: string;
  productName?: string;
  serialNumber?: string;
  buildVersion?: string;
  supervised?: boolean;
  lostMode?: boolean;
  /** From ManagedApplicationList: merge into `apps` with applyManagedApps. */
  managedApps?: ManagedAppState[];
  certificates?: CertificateFact[];
  /** SecurityInfo facts beyond passcodeSet. */
  passcodeCompliant?: boolean;
  dataProtection?: boolean;
}

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
const dicts = (v: unknown): Dict[] => (Array.isArray(v) ? v.filter(isDict) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

/** Statuses under which an app counts as managed by us (not a pending or failed install). */
const MANAGED_STATUSES = new Set([
  'Managed',
  'UpdateRejected',
  'PromptingForUpdate',
  'PromptingForUpdateLogin',
  'ValidatingUpdate',
  'Updating',
]);

function drop<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

/**
 * The inventory part of an Acknowledged report for `requestType` (the type of the command we
 * sent, since devices do not always echo it). Unknown types and missing keys give `{}`.
 */
export function inventoryFromReport(requestType: string, raw: Dict): InventoryUpdate {
  switch (requestType) {
    case 'ProfileList': {
      if (!Array.isArray(raw.ProfileList)) return {};
      return {
        profiles: dicts(raw.ProfileList)
          .filter((p) => str(p.PayloadIdentifier))
          .map((p) =>
            drop({
              identifier: p.PayloadIdentifier as string,
              uuid: str(p.PayloadUUID),
              managed: bool(p.IsManaged) ?? true,
            }),
          ),
      };
    }
    case 'InstalledApplicationList': {
      if (!Array.isArray(raw.InstalledApplicationList)) return {};
      return {
        apps: dicts(raw.InstalledApplicationList)
          // macOS can omit Identifier for some apps: nothing to compare them by.
          .filter((a) => str(a.Identifier))
          .map((a) => drop({ identifier: a.Identifier as string, version: str(a.ShortVersion) ?? str(a.Version) })),
      };
    }
    case 'ManagedApplicationList': {
      const list = raw.ManagedApplicationList;
      if (!isDict(list)) return {};
      return {
        managedApps: Object.entries(list).map(([identifier, v]) => {
          const status = isDict(v) ? str(v.Status) : undefined;
          return drop({ identifier, status, managed: status !== undefined && MANAGED_STATUSES.has(status) });
        }),
      };
    }
    case 'ManagedMediaList': {
      if (!Array.isArray(raw.Books)) return {};
      return {
        books: dicts(raw.Books)
          .map((b) => ({
            identifier: str(b.PersistentID) ?? (b.iTunesStoreID !== undefined ? String(b.iTunesStoreID) : undefined),
            version: str(b.Version),
          }))
          .filter((b): b is { identifier: string; version: string | undefined } => b.identifier !== undefined)
          .map((b) => drop(b)),
      };
    }
    case 'SecurityInfo': {
      const s = raw.SecurityInfo;
      if (!isDict(s)) return {};
      const caps = typeof s.HardwareEncryptionCaps === 'number' ? s.HardwareEncryptionCaps : undefined;
      const passcodeSet = bool(s.PasscodePresent);
      return drop({
        passcodeSet,
        passcodeCompliant: bool(s.PasscodeCompliant),
        // Data protection (and so NotNow while locked) needs both block and file encryption + a passcode.
        dataProtection: caps === undefined || passcodeSet === undefined ? undefined : (caps & 3) === 3 && passcodeSet,
      });
    }
    case 'DeviceInformation': {
      const q = raw.QueryResponses;
      if (!isDict(q)) return {};
      return drop({
        osVersion: str(q.OSVersion),
        buildVersion: str(q.BuildVersion),
        name: str(q.DeviceName),
        model: str(q.ModelName) ?? str(q.ProductName) ?? str(q.Model),
        productName: str(q.ProductName),
        serialNumber: str(q.SerialNumber),
        supervised: bool(q.IsSupervised),
        lostMode: bool(q.IsMDMLostModeEnabled),
      });
    }
    case 'CertificateList': {
      if (!Array.isArray(raw.CertificateList)) return {};
      return {
        certificates: dicts(raw.CertificateList).map((c) => ({
          commonName: str(c.CommonName) ?? '',
          isIdentity: bool(c.IsIdentity) ?? false,
        })),
      };
    }
    default:
      return {};
  }
}

/** Sets each app's `managed` flag from a ManagedApplicationList result (apps not listed: unmanaged). */
export function applyManagedApps(
  apps: NonNullable<Inventory['apps']>,
  managed: ManagedAppState[],
): NonNullable<Inventory['apps']> {
  const byId = new Map(managed.map((m) => [m.identifier, m.managed]));
  return apps.map((a) => ({ ...a, managed: byId.get(a.identifier) ?? false }));
}
