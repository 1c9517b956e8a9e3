// Desired (template) vs reported (inventory): what must be installed or removed to make a device
// hold exactly its template. Pure: node:crypto hashing is the only library used.
import { createHash } from 'node:crypto';
import type { Inventory, Platform, Template, TemplateItem } from '../types';

export const SYNC_ACTION_KINDS = [
  'install-profile',
  'remove-profile',
  'install-app',
  'remove-app',
  'install-book',
  'remove-book',
] as const;
export type SyncActionKind = (typeof SYNC_ACTION_KINDS)[number];

export interface SyncAction {
  action: SyncActionKind;
  identifier: string;
  /** Profiles: content hash of the wanted version (installs) — see profileContentHash. */
  hash?: string;
  /** Apps: the template's minimum version (installs). */
  version?: string;
  /** The template item to deliver (installs only). */
  item?: TemplateItem;
  /** Runs only while the device is unlocked (Apple data protection); see actionNeedsUnlock. */
  needsUnlock: boolean;
}

/** A sync action already in the device's live queue (Queued, Sent, NotNow). */
export type QueuedAction = Pick<SyncAction, 'action' | 'identifier' | 'hash' | 'version'>;

/** A profile the server itself installed on the device (the service keeps this list on the device). */
export interface DeliveredProfile {
  identifier: string;
  hash: string;
}

/** The part of a template the diff reads; `undefined` = no template (desired state is empty). */
export type DesiredState = Pick<Template, 'items' | 'prohibitedApps'>;

export interface DiffInput {
  template: DesiredState | undefined;
  /** The device's last reported inventory; undefined = never read (treated as empty). */
  inventory: Inventory | undefined;
  platform: Platform;
  delivered: readonly DeliveredProfile[];
  /** The device's live queue, mapped to sync actions, so that nothing is planned twice. */
  queued?: readonly QueuedAction[];
}

export interface DiffResult {
  actions: SyncAction[];
  /** Prohibited app identifiers present on the device (detection only: see docs/sync.md). */
  prohibitedFound: string[];
}

const isApple = (platform: Platform): boolean => platform !== 'android';

/**
 * Whether an action waits for an unlock. Apple devices postpone installs and updates of
 * profiles, apps and books while locked (data protection); removals are sent regardless.
 * Android agents run everything while locked.
 */
export function actionNeedsUnlock(action: SyncActionKind, platform: Platform): boolean {
  return isApple(platform) && action.startsWith('install-');
}

// ---------------------------------------------------------------------------------------------
// Profile identity

/** JSON with object keys sorted at every level, so that equal policies hash equally. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * sha-256 hex of a profile's content: the decoded .mobileconfig bytes (Apple) or the canonical
 * JSON of the policy (Android). The identity of one version of a profile.
 */
export function profileContentHash(item: Extract<TemplateItem, { kind: 'profile' }>): string {
  const h = createHash('sha256');
  if (item.payload !== undefined) h.update(Buffer.from(item.payload, 'base64'));
  else if (item.policy !== undefined) h.update(canonicalJson(item.policy), 'utf8');
  return h.digest('hex');
}

/**
 * The top-level PayloadUUID the server gives a profile version: UUIDv5-style (sha-1 of
 * identifier and hash, version and variant bits set), uppercase as Apple prints them. A
 * ProfileList entry with the same identifier and another UUID is therefore a stale version.
 */
export function profileUuid(identifier: string, hash: string): string {
  const b = createHash('sha1').update(`${identifier}\n${hash}`, 'utf8').digest().subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = b.toString('hex').toUpperCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// ---------------------------------------------------------------------------------------------
// Versions

/** Digits without leading zeros, so that numeric strings of any length compare exactly. */
const trimZeros = (digits: string): string => digits.replace(/^0+(?=\d)/, '');

function compareSegment(a: string, b: string): number {
  const ma = /^(\d*)(.*)$/.exec(a) as RegExpExecArray;
  const mb = /^(\d*)(.*)$/.exec(b) as RegExpExecArray;
  const na = trimZeros(ma[1] || '0');
  const nb = trimZeros(mb[1] || '0');
  if (na.length !== nb.length) return na.length < nb.length ? -1 : 1;
  if (na !== nb) return na < nb ? -1 : 1;
  // Same number: a bare number is a release and sorts after a suffixed pre-release ("1.0" > "1.0b2").
  const sa = ma[2];
  const sb = mb[2];
  if (sa === sb) return 0;
  if (sa === '') return 1;
  if (sb === '') return -1;
  return sa < sb ? -1 : 1;
}

/**
 * Compares versions numerically segment by segment ("1.10" > "1.9"; "2" == "2.0"; an Android
 * versionCode is one numeric segment). Returns -1, 0 or 1.
 */
export function compareVersions(a: string, b: string): number {
  const pa = a.trim().split(/[.\-+_ ]/);
  const pb = b.trim().split(/[.\-+_ ]/);
  const n = Math.max(pa.length, pb.length);
  for (let i = 0; i < n; i += 1) {
    const c = compareSegment(pa[i] ?? '0', pb[i] ?? '0');
    if (c !== 0) return c;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// The diff

/** The key that makes two actions "the same work" (kind + identifier + hash/version). */
export function syncActionKey(a: QueuedAction): string {
  switch (a.action) {
    case 'install-profile':
      return `${a.action}|${a.identifier}|${a.hash ?? ''}`;
    case 'install-app':
      return `${a.action}|${a.identifier}|${a.version ?? ''}`;
    default:
      return `${a.action}|${a.identifier}`;
  }
}

type ProfileItem = Extract<TemplateItem, { kind: 'profile' }>;
type AppItem = Extract<TemplateItem, { kind: 'app' }>;
type BookItem = Extract<TemplateItem, { kind: 'book' }>;

/** Profiles that apply to the platform: .mobileconfig payloads on Apple, policies on Android. */
function appliesTo(item: ProfileItem, platform: Platform): boolean {
  return isApple(platform) ? item.payload !== undefined || item.policy === undefined : item.policy !== undefined;
}

/** The template's items for this platform, first occurrence of each identifier wins. */
function desiredItems(template: DesiredState | undefined, platform: Platform) {
  const profiles = new Map<string, ProfileItem>();
  const apps = new Map<string, AppItem>();
  const books = new Map<string, BookItem>();
  for (const item of template?.items ?? []) {
    if (item.kind === 'profile') {
      if (appliesTo(item, platform) && !profiles.has(item.identifier)) profiles.set(item.identifier, item);
    } else if (item.kind === 'app') {
      if (!apps.has(item.identifier)) apps.set(item.identifier, item);
    } else if (isApple(platform) && !books.has(item.identifier)) {
      // Books are Apple-only: the Android agent neither installs nor reports them.
      books.set(item.identifier, item);
    }
  }
  return { profiles, apps, books };
}

type InventoryProfile = NonNullable<Inventory['profiles']>[number];

/** Whether the profile the device reports is the wanted version. */
function profileUpToDate(
  reported: InventoryProfile,
  hash: string,
  platform: Platform,
  deliveredHash: string | undefined,
): boolean {
  if (isApple(platform) && reported.uuid !== undefined) {
    return reported.uuid.toUpperCase() === profileUuid(reported.identifier, hash);
  }
  if (reported.hash !== undefined) return reported.hash === hash;
  // Nothing to compare on the device's side (e.g. an encrypted profile): trust what we delivered.
  return deliveredHash === hash;
}

/**
 * What must change on the device so that it holds exactly its template.
 *
 * - Profiles compare by identifier + content hash (Apple: the PayloadUUID derived from it). A
 *   profile the server delivered and the template no longer lists is removed; a profile the
 *   server did not deliver (user-installed, the enrollment profile) is left alone.
 * - Apps compare by identifier and minimum version. A managed app the template no longer lists is
 *   removed (Apple marks apps installed through MDM as managed); unmanaged apps are left alone. An
 *   Apple app reported as installed but explicitly unmanaged gets an install (take management).
 * - Books compare by identifier (Apple only; ManagedMediaList reports only managed books).
 * - Work already in the live queue (same kind, identifier, hash/version) is not planned again.
 */
export function diff(input: DiffInput): DiffResult {
  const { template, platform } = input;
  const inventory = input.inventory ?? {};
  const wanted = desiredItems(template, platform);
  const delivered = new Map(input.delivered.map((d) => [d.identifier, d.hash]));
  const queuedKeys = new Set((input.queued ?? []).map(syncActionKey));
  const actions: SyncAction[] = [];
  const planned = new Set<string>();
  const add = (a: Omit<SyncAction, 'needsUnlock'>) => {
    const key = syncActionKey(a);
    if (queuedKeys.has(key) || planned.has(key)) return;
    planned.add(key);
    actions.push({ ...a, needsUnlock: actionNeedsUnlock(a.action, platform) });
  };

  // Profiles
  const reportedProfiles = new Map((inventory.profiles ?? []).map((p) => [p.identifier, p]));
  for (const [identifier, item] of wanted.profiles) {
    const hash = profileContentHash(item);
    const reported = reportedProfiles.get(identifier);
    if (!reported || !profileUpToDate(reported, hash, platform, delivered.get(identifier))) {
      add({ action: 'install-profile', identifier, hash, item });
    }
  }
  for (const reported of inventory.profiles ?? []) {
    if (delivered.has(reported.identifier) && !wanted.profiles.has(reported.identifier)) {
      add({ action: 'remove-profile', identifier: reported.identifier });
    }
  }

  // Apps
  const reportedApps = new Map((inventory.apps ?? []).map((a) => [a.identifier, a]));
  for (const [identifier, item] of wanted.apps) {
    const reported = reportedApps.get(identifier);
    const outdated =
      reported !== undefined &&
      item.version !== undefined &&
      reported.version !== undefined &&
      compareVersions(reported.version, item.version) < 0;
    const unmanaged = reported !== undefined && isApple(platform) && reported.managed === false;
    if (!reported || outdated || unmanaged) {
      add({
        action: 'install-app',
        identifier,
        ...(item.version !== undefined ? { version: item.version } : {}),
        item,
      });
    }
  }
  for (const reported of inventory.apps ?? []) {
    if (reported.managed === true && !wanted.apps.has(reported.identifier)) {
      add({ action: 'remove-app', identifier: reported.identifier });
    }
  }

  // Books (Apple only)
  if (isApple(platform)) {
    const reportedBooks = new Set((inventory.books ?? []).map((b) => b.identifier));
    for (const [identifier, item] of wanted.books) {
      if (!reportedBooks.has(identifier)) add({ action: 'install-book', identifier, item });
    }
    for (const identifier of reportedBooks) {
      if (!wanted.books.has(identifier)) add({ action: 'remove-book', identifier });
    }
  }

  const prohibited = new Set(template?.prohibitedApps ?? []);
  const prohibitedFound = [
    ...new Set((inventory.apps ?? []).map((a) => a.identifier).filter((id) => prohibited.has(id))),
  ];
  return { actions, prohibitedFound };
}

/** True when the device holds exactly its template (nothing to install, update or remove). */
export function matches(
  template: DesiredState | undefined,
  inventory: Inventory | undefined,
  platform: Platform,
  delivered: readonly DeliveredProfile[],
): boolean {
  return diff({ template, inventory, platform, delivered }).actions.length === 0;
}
