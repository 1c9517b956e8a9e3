// Lock-aware ordering of sync work, and the SelectiveWipe plan.
import type { Inventory, Platform } from '../types';
import type { DeliveredProfile, DesiredState, DiffInput, QueuedAction, SyncAction, SyncActionKind } from './diff';
import { actionNeedsUnlock, diff, profileContentHash, syncActionKey } from './diff';

export interface SyncPlan {
  /** In the order to queue them: see orderLockAware. */
  actions: SyncAction[];
  prohibitedFound: string[];
}

/** Anything orderable: sync actions, or the service's own steps (queries carry kind 'query'). */
export interface OrderableStep {
  action: SyncActionKind | 'query';
  needsUnlock: boolean;
}

const KIND_ORDER: Record<string, number> = { profile: 0, app: 1, book: 2 };
const kindOf = (action: string): number => KIND_ORDER[action.split('-')[1] ?? ''] ?? 3;

/**
 * The rank of a step: 0 removals and queries (they run while locked), 1 installs that do not
 * wait for an unlock, 2 installs that do. A locked Apple device answers NotNow to the rank-2
 * steps; putting them last means everything that can run does run first.
 */
export function lockRank(step: OrderableStep): number {
  if (step.action === 'query' || step.action.startsWith('remove-')) return 0;
  return step.needsUnlock ? 2 : 1;
}

/**
 * Stable lock-aware order: removals and queries first, then installs that can run locked, then
 * installs that need an unlock. Within a rank, profiles before apps before books (an app may rely
 * on a profile's settings: VPN, Wi-Fi, restrictions), otherwise the input order.
 */
export function orderLockAware<T extends OrderableStep>(steps: readonly T[]): T[] {
  return steps
    .map((step, index) => ({ step, index }))
    .sort(
      (a, b) =>
        lockRank(a.step) - lockRank(b.step) || kindOf(a.step.action) - kindOf(b.step.action) || a.index - b.index,
    )
    .map(({ step }) => step);
}

/** The sync plan: the diff (which already skips work in the live queue), ordered lock-aware. */
export function planSync(input: DiffInput): SyncPlan {
  const { actions, prohibitedFound } = diff(input);
  return { actions: orderLockAware(actions), prohibitedFound };
}

/**
 * SelectiveWipe (docs/sync.md §SelectiveWipe): remove everything the server delivered — template apps, books and
 * profiles, and profiles the server delivered that the template no longer lists — and keep the
 * management (enrollment) profile, which is never in `delivered`; `keepProfiles` is a guard for it.
 *
 * With a known inventory only what the device reports is removed; with none (never read) every
 * candidate is removed blindly, since removals of absent items merely fail or are acknowledged.
 * Managed apps the template no longer lists are removed too: on Apple "managed" means installed
 * through this server.
 */
export function selectiveWipeActions(
  inventory: Inventory | undefined,
  delivered: readonly DeliveredProfile[],
  template: DesiredState | undefined,
  options: { platform?: Platform; keepProfiles?: readonly string[]; queued?: readonly QueuedAction[] } = {},
): SyncAction[] {
  const platform = options.platform ?? 'ios';
  const keep = new Set(options.keepProfiles ?? []);
  const queued = new Set((options.queued ?? []).map(syncActionKey));
  const known = inventory !== undefined;
  const present = (list: Array<{ identifier: string }> | undefined, id: string) =>
    !known || (list ?? []).some((x) => x.identifier === id);

  const actions: SyncAction[] = [];
  const seen = new Set<string>();
  const remove = (action: SyncActionKind, identifier: string) => {
    const a = { action, identifier };
    const key = syncActionKey(a);
    if (seen.has(key) || queued.has(key)) return;
    seen.add(key);
    actions.push({ ...a, needsUnlock: actionNeedsUnlock(action, platform) });
  };

  const templateItems = template?.items ?? [];
  for (const id of [
    ...delivered.map((d) => d.identifier),
    ...templateItems.filter((i) => i.kind === 'profile').map((i) => i.identifier),
  ]) {
    if (!keep.has(id) && present(inventory?.profiles, id)) remove('remove-profile', id);
  }
  for (const item of templateItems) {
    if (item.kind === 'app' && present(inventory?.apps, item.identifier)) remove('remove-app', item.identifier);
  }
  for (const app of inventory?.apps ?? []) {
    if (app.managed === true) remove('remove-app', app.identifier);
  }
  if (platform !== 'android') {
    for (const item of templateItems) {
      if (item.kind === 'book' && present(inventory?.books, item.identifier)) remove('remove-book', item.identifier);
    }
  }
  return orderLockAware(actions);
}

/** What the server records as delivered after an install-profile was acknowledged. */
export function deliveredAfter(
  delivered: readonly DeliveredProfile[],
  done: Pick<SyncAction, 'action' | 'identifier' | 'hash' | 'item'>,
): DeliveredProfile[] {
  const rest = delivered.filter((d) => d.identifier !== done.identifier);
  if (done.action === 'remove-profile') return rest;
  if (done.action !== 'install-profile') return [...delivered];
  const hash = done.hash ?? (done.item?.kind === 'profile' ? profileContentHash(done.item) : undefined);
  return hash === undefined ? rest : [...rest, { identifier: done.identifier, hash }];
}
