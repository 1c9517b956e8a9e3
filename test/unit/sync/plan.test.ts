import fc from 'fast-check';
import type { DeliveredProfile, SyncAction } from '../../../lambdas/domain/sync/diff';
import { diff, matches, profileContentHash, profileUuid } from '../../../lambdas/domain/sync/diff';
import {
  deliveredAfter,
  lockRank,
  orderLockAware,
  planSync,
  selectiveWipeActions,
} from '../../../lambdas/domain/sync/plan';
import type { Inventory, Platform, TemplateItem } from '../../../lambdas/domain/types';
import { androidPolicy, appleProfile, applyActions, tpl } from './helpers';

const kinds = (actions: SyncAction[]) => actions.map((a) => `${a.action}:${a.identifier}`);

describe('orderLockAware', () => {
  it('removals and queries first, then installs that run locked, then installs that need an unlock', () => {
    const steps = [
      { action: 'install-app', identifier: 'a', needsUnlock: true },
      { action: 'install-profile', identifier: 'p', needsUnlock: true },
      { action: 'query', identifier: 'ProfileList', needsUnlock: false },
      { action: 'remove-book', identifier: 'b', needsUnlock: false },
      { action: 'install-book', identifier: 'k', needsUnlock: false },
      { action: 'remove-profile', identifier: 'r', needsUnlock: false },
    ] as const;
    expect(orderLockAware(steps).map((s) => `${s.action}:${s.identifier}`)).toEqual([
      'remove-profile:r',
      'remove-book:b',
      'query:ProfileList',
      'install-book:k',
      'install-profile:p',
      'install-app:a',
    ]);
  });
  it('keeps the input order within a rank and kind (stable)', () => {
    const steps = ['c', 'a', 'b'].map((identifier) => ({
      action: 'install-profile' as const,
      identifier,
      needsUnlock: true,
    }));
    expect(orderLockAware(steps).map((s) => s.identifier)).toEqual(['c', 'a', 'b']);
  });
  it('lockRank', () => {
    expect(lockRank({ action: 'remove-app', needsUnlock: false })).toBe(0);
    expect(lockRank({ action: 'query', needsUnlock: true })).toBe(0);
    expect(lockRank({ action: 'install-app', needsUnlock: false })).toBe(1);
    expect(lockRank({ action: 'install-app', needsUnlock: true })).toBe(2);
  });
});

describe('planSync', () => {
  const items: TemplateItem[] = [
    { kind: 'app', identifier: 'com.acme.app', version: '2' },
    appleProfile('com.acme.wifi'),
    { kind: 'book', identifier: 'handbook' },
  ];
  const inventory: Inventory = {
    profiles: [{ identifier: 'com.acme.old', uuid: 'OLD' }],
    apps: [{ identifier: 'com.acme.legacy', managed: true }],
    books: [{ identifier: 'old-book' }],
  };
  const delivered = [{ identifier: 'com.acme.old', hash: 'h' }];

  it('on Apple: removals first, then profile, app, book installs (all needing an unlock)', () => {
    const plan = planSync({ template: tpl(items), inventory, platform: 'ios', delivered });
    expect(kinds(plan.actions)).toEqual([
      'remove-profile:com.acme.old',
      'remove-app:com.acme.legacy',
      'remove-book:old-book',
      'install-profile:com.acme.wifi',
      'install-app:com.acme.app',
      'install-book:handbook',
    ]);
    expect(plan.actions.map((a) => a.needsUnlock)).toEqual([false, false, false, true, true, true]);
  });
  it('on Android nothing needs an unlock', () => {
    const plan = planSync({
      template: tpl([...items, androidPolicy('pol')]),
      inventory: {},
      platform: 'android',
      delivered: [],
    });
    expect(plan.actions.every((a) => !a.needsUnlock)).toBe(true);
    expect(kinds(plan.actions)).toEqual(['install-profile:pol', 'install-app:com.acme.app']);
  });
  it('never duplicates a queued command', () => {
    const first = planSync({ template: tpl(items), inventory, platform: 'ios', delivered });
    const again = planSync({ template: tpl(items), inventory, platform: 'ios', delivered, queued: first.actions });
    expect(again.actions).toEqual([]);
  });
});

describe('selectiveWipeActions', () => {
  const wifi = appleProfile('com.acme.wifi');
  const template = tpl([wifi, { kind: 'app', identifier: 'com.acme.app' }, { kind: 'book', identifier: 'handbook' }]);
  const inventory: Inventory = {
    profiles: [
      { identifier: 'com.acme.wifi', uuid: 'W' },
      { identifier: 'com.acme.extra', uuid: 'X' },
      { identifier: 'com.acme.mdm', uuid: 'M' },
      { identifier: 'user.profile', uuid: 'U' },
    ],
    apps: [
      { identifier: 'com.acme.app', managed: true },
      { identifier: 'com.acme.oldapp', managed: true },
      { identifier: 'user.app', managed: false },
    ],
    books: [{ identifier: 'handbook' }],
  };
  const delivered = [
    { identifier: 'com.acme.extra', hash: 'x' },
    { identifier: 'com.acme.wifi', hash: profileContentHash(wifi) },
  ];

  it('removes template and non-template profiles the server delivered, template apps, managed apps and books; keeps the rest', () => {
    const actions = selectiveWipeActions(inventory, delivered, template);
    expect(kinds(actions)).toEqual([
      'remove-profile:com.acme.extra',
      'remove-profile:com.acme.wifi',
      'remove-app:com.acme.app',
      'remove-app:com.acme.oldapp',
      'remove-book:handbook',
    ]);
    expect(actions.every((a) => !a.needsUnlock)).toBe(true);
  });
  it('never removes the management profile, even if it were listed', () => {
    const actions = selectiveWipeActions(
      inventory,
      [...delivered, { identifier: 'com.acme.mdm', hash: 'm' }],
      template,
      { keepProfiles: ['com.acme.mdm'] },
    );
    expect(kinds(actions)).not.toContain('remove-profile:com.acme.mdm');
  });
  it('removes only what the device reports; without an inventory, every candidate', () => {
    expect(kinds(selectiveWipeActions({ profiles: [], apps: [], books: [] }, delivered, template))).toEqual([]);
    expect(kinds(selectiveWipeActions(undefined, delivered, template))).toEqual([
      'remove-profile:com.acme.extra',
      'remove-profile:com.acme.wifi',
      'remove-app:com.acme.app',
      'remove-book:handbook',
    ]);
  });
  it('skips books on Android and what is already queued', () => {
    const actions = selectiveWipeActions(undefined, delivered, template, {
      platform: 'android',
      queued: [{ action: 'remove-profile', identifier: 'com.acme.extra' }],
    });
    expect(kinds(actions)).toEqual(['remove-profile:com.acme.wifi', 'remove-app:com.acme.app']);
  });
  it('after a selective wipe, a sync against an empty template has nothing left to remove', () => {
    const actions = selectiveWipeActions(inventory, delivered, template);
    const after = applyActions(inventory, delivered, actions, 'ios');
    expect(after.delivered).toEqual([]);
    expect(matches(tpl([]), after.inventory, 'ios', after.delivered)).toBe(true);
    expect(after.inventory.profiles!.map((p) => p.identifier)).toEqual(['com.acme.mdm', 'user.profile']);
  });
});

describe('deliveredAfter', () => {
  it('records installs (replacing an older hash) and forgets removals', () => {
    const d1 = deliveredAfter([{ identifier: 'a', hash: '1' }], {
      action: 'install-profile',
      identifier: 'a',
      hash: '2',
    });
    expect(d1).toEqual([{ identifier: 'a', hash: '2' }]);
    expect(deliveredAfter(d1, { action: 'remove-profile', identifier: 'a' })).toEqual([]);
    expect(deliveredAfter(d1, { action: 'install-app', identifier: 'a' })).toEqual(d1);
  });
  it('computes the hash from the item when the action has none', () => {
    const item = appleProfile('p');
    expect(deliveredAfter([], { action: 'install-profile', identifier: 'p', item })).toEqual([
      { identifier: 'p', hash: profileContentHash(item) },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Generated cases: planning then applying converges, and planning again is empty.

const ids = fc.constantFrom('a', 'b', 'c', 'd', 'e');
const versions = fc.constantFrom('1', '1.0', '1.2', '1.10', '2', '2.0.1', '10');
const platforms = fc.constantFrom<Platform>('ios', 'macos', 'android');

const templateItem: fc.Arbitrary<TemplateItem> = fc.oneof(
  fc.record({ id: ids, body: fc.constantFrom('v1', 'v2') }).map(({ id, body }) => appleProfile(`p.${id}`, body)),
  fc.record({ id: ids, flag: fc.boolean() }).map(({ id, flag }) => androidPolicy(`p.${id}`, { flag })),
  fc
    .record({ id: ids, version: fc.option(versions, { nil: undefined }) })
    .map(
      ({ id, version }): TemplateItem => ({ kind: 'app', identifier: `app.${id}`, ...(version ? { version } : {}) }),
    ),
  ids.map((id): TemplateItem => ({ kind: 'book', identifier: `book.${id}` })),
);

function reportedProfiles(platform: Platform) {
  return fc
    .uniqueArray(
      fc.record({
        id: ids,
        match: fc.constantFrom('right', 'stale', 'none'),
        body: fc.constantFrom('v1', 'v2'),
        flag: fc.boolean(),
      }),
      { selector: (p) => p.id },
    )
    .map((list) =>
      list.map(({ id, match, body, flag }) => {
        const identifier = `p.${id}`;
        const item = platform === 'android' ? androidPolicy(identifier, { flag }) : appleProfile(identifier, body);
        const hash = match === 'stale' ? 'stale' : profileContentHash(item);
        if (match === 'none') return { identifier };
        return platform === 'android'
          ? { identifier, hash }
          : { identifier, uuid: match === 'stale' ? 'STALE' : profileUuid(identifier, hash) };
      }),
    );
}

const scenario = platforms.chain((platform) =>
  fc.record({
    platform: fc.constant(platform),
    items: fc.array(templateItem, { maxLength: 10 }),
    prohibited: fc.array(
      ids.map((id) => `app.${id}`),
      { maxLength: 2 },
    ),
    inventory: fc.record({
      profiles: reportedProfiles(platform),
      apps: fc.uniqueArray(
        fc.record({
          identifier: ids.map((id) => `app.${id}`),
          version: fc.option(versions, { nil: undefined }),
          managed: fc.option(fc.boolean(), { nil: undefined }),
        }),
        { selector: (a) => a.identifier },
      ),
      books: fc.uniqueArray(fc.record({ identifier: ids.map((id) => `book.${id}`) }), {
        selector: (b) => b.identifier,
      }),
    }),
    delivered: fc.uniqueArray(
      fc.record({ identifier: ids.map((id) => `p.${id}`), hash: fc.constantFrom('h1', 'h2') }),
      { selector: (d) => d.identifier },
    ),
  }),
);

describe('generated: plan → apply → match', () => {
  it('applying the planned actions makes matches true, and planning again is empty (idempotence)', () => {
    fc.assert(
      fc.property(scenario, ({ platform, items, prohibited, inventory, delivered }) => {
        const template = tpl(items, prohibited);
        const plan = planSync({ template, inventory, platform, delivered });
        const after = applyActions(inventory, delivered, plan.actions, platform);
        expect(matches(template, after.inventory, platform, after.delivered)).toBe(true);
        expect(
          planSync({ template, inventory: after.inventory, platform, delivered: after.delivered }).actions,
        ).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });

  it('a plan with its own actions queued is empty, and never has duplicates', () => {
    fc.assert(
      fc.property(scenario, ({ platform, items, inventory, delivered }) => {
        const plan = planSync({ template: tpl(items), inventory, platform, delivered });
        const keys = plan.actions.map((a) => `${a.action}|${a.identifier}`);
        expect(new Set(keys).size).toBe(keys.length);
        expect(
          planSync({ template: tpl(items), inventory, platform, delivered, queued: plan.actions }).actions,
        ).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('orders lock-aware: ranks never decrease; Android never needs an unlock; removals never need one', () => {
    fc.assert(
      fc.property(scenario, ({ platform, items, inventory, delivered }) => {
        const { actions } = planSync({ template: tpl(items), inventory, platform, delivered });
        const ranks = actions.map(lockRank);
        expect([...ranks].sort((x, y) => x - y)).toEqual(ranks);
        for (const a of actions) {
          if (platform === 'android' || a.action.startsWith('remove-')) expect(a.needsUnlock).toBe(false);
          else expect(a.needsUnlock).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('removes only profiles the server delivered', () => {
    fc.assert(
      fc.property(scenario, ({ platform, items, inventory, delivered }) => {
        const { actions } = diff({ template: tpl(items), inventory, platform, delivered });
        const deliveredIds = new Set(delivered.map((d: DeliveredProfile) => d.identifier));
        for (const a of actions) if (a.action === 'remove-profile') expect(deliveredIds.has(a.identifier)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
