// Shared builders and a pure simulated device for the sync tests.

import type { DeliveredProfile, DesiredState, SyncAction } from '../../../lambdas/domain/sync/diff';
import { profileContentHash, profileUuid } from '../../../lambdas/domain/sync/diff';
import { deliveredAfter } from '../../../lambdas/domain/sync/plan';
import type { Inventory, Platform, TemplateItem } from '../../../lambdas/domain/types';

export const mobileconfig = (identifier: string, body = 'v1'): string =>
  Buffer.from(
    `<?xml version="1.0"?><plist><dict><key>PayloadIdentifier</key><string>${identifier}</string><!-- ${body} --></dict></plist>`,
  ).toString('base64');

export const appleProfile = (identifier: string, body = 'v1'): Extract<TemplateItem, { kind: 'profile' }> => ({
  kind: 'profile',
  identifier,
  payload: mobileconfig(identifier, body),
});
export const androidPolicy = (
  identifier: string,
  policy: Record<string, unknown> = { camera: false },
): Extract<TemplateItem, { kind: 'profile' }> => ({ kind: 'profile', identifier, policy });

export const tpl = (items: TemplateItem[], prohibitedApps: string[] = []): DesiredState => ({ items, prohibitedApps });

/** What a device reports for a profile the server installed, per platform. */
export function reportedProfile(item: Extract<TemplateItem, { kind: 'profile' }>, platform: Platform) {
  const hash = profileContentHash(item);
  return platform === 'android'
    ? { identifier: item.identifier, hash }
    : { identifier: item.identifier, uuid: profileUuid(item.identifier, hash) };
}

/** A pure simulated device: carries out sync actions on its inventory, and the server's delivered list follows. */
export function applyActions(
  inventory: Inventory | undefined,
  delivered: readonly DeliveredProfile[],
  actions: readonly SyncAction[],
  platform: Platform,
): { inventory: Inventory; delivered: DeliveredProfile[] } {
  const inv: Inventory = {
    ...inventory,
    profiles: [...(inventory?.profiles ?? [])],
    apps: [...(inventory?.apps ?? [])],
    books: [...(inventory?.books ?? [])],
  };
  let del = [...delivered];
  for (const a of actions) {
    switch (a.action) {
      case 'install-profile': {
        const hash = a.hash as string;
        inv.profiles = inv.profiles!.filter((p) => p.identifier !== a.identifier);
        inv.profiles.push(
          platform === 'android'
            ? { identifier: a.identifier, hash }
            : { identifier: a.identifier, uuid: profileUuid(a.identifier, hash) },
        );
        break;
      }
      case 'remove-profile':
        inv.profiles = inv.profiles!.filter((p) => p.identifier !== a.identifier);
        break;
      case 'install-app': {
        const old = inv.apps!.find((x) => x.identifier === a.identifier);
        inv.apps = inv.apps!.filter((x) => x.identifier !== a.identifier);
        inv.apps.push({ identifier: a.identifier, version: a.version ?? old?.version ?? '1', managed: true });
        break;
      }
      case 'remove-app':
        inv.apps = inv.apps!.filter((x) => x.identifier !== a.identifier);
        break;
      case 'install-book':
        inv.books!.push({ identifier: a.identifier });
        break;
      case 'remove-book':
        inv.books = inv.books!.filter((x) => x.identifier !== a.identifier);
        break;
    }
    del = deliveredAfter(del, a);
  }
  return { inventory: inv, delivered: del };
}
