import { createHash } from 'node:crypto';
import type { SyncAction } from '../../../lambdas/domain/sync/diff';
import {
  actionNeedsUnlock,
  canonicalJson,
  compareVersions,
  diff,
  matches,
  profileContentHash,
  profileUuid,
  syncActionKey,
} from '../../../lambdas/domain/sync/diff';
import { androidPolicy, appleProfile, mobileconfig, reportedProfile, tpl } from './helpers';

const kinds = (actions: SyncAction[]) => actions.map((a) => `${a.action}:${a.identifier}`);

describe('profileContentHash', () => {
  it('hashes the decoded .mobileconfig bytes', () => {
    const item = appleProfile('com.acme.wifi');
    expect(profileContentHash(item)).toBe(
      createHash('sha256')
        .update(Buffer.from(item.payload as string, 'base64'))
        .digest('hex'),
    );
  });
  it('changes with the content', () => {
    expect(profileContentHash(appleProfile('a', 'v1'))).not.toBe(profileContentHash(appleProfile('a', 'v2')));
  });
  it('hashes Android policies by canonical JSON: key order does not matter', () => {
    const a = androidPolicy('p', { b: 1, a: { y: [1, { d: 2, c: 3 }], x: true } });
    const b = androidPolicy('p', { a: { x: true, y: [1, { c: 3, d: 2 }] }, b: 1 });
    expect(profileContentHash(a)).toBe(profileContentHash(b));
    expect(profileContentHash(a)).not.toBe(profileContentHash(androidPolicy('p', { b: 2 })));
  });
  it('canonicalJson sorts keys and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: undefined, c: [undefined, 'x'] })).toBe('{"b":1,"c":[null,"x"]}');
  });
});

describe('profileUuid', () => {
  it('is a deterministic uppercase version-5-style UUID', () => {
    const u = profileUuid('com.acme.wifi', 'ab'.repeat(32));
    expect(u).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    expect(profileUuid('com.acme.wifi', 'ab'.repeat(32))).toBe(u);
  });
  it('differs by identifier and by hash', () => {
    const h = 'cd'.repeat(32);
    expect(profileUuid('a', h)).not.toBe(profileUuid('b', h));
    expect(profileUuid('a', h)).not.toBe(profileUuid('a', 'ef'.repeat(32)));
    // identifier+hash boundaries do not collide
    expect(profileUuid('ab', 'c')).not.toBe(profileUuid('a', 'bc'));
  });
});

describe('compareVersions', () => {
  it.each([
    ['1.9', '1.10', -1],
    ['1.10', '1.9', 1],
    ['2', '2.0', 0],
    ['2.0.0', '2', 0],
    ['2.0.1', '2', 1],
    ['10', '9', 1],
    ['0010', '10', 0],
    ['1.0b2', '1.0', -1],
    ['1.0', '1.0b2', 1],
    ['1.0a', '1.0b', -1],
    ['123456789012345678901', '123456789012345678900', 1],
    ['1-2', '1.2', 0],
    ['', '0', 0],
    [' 3.1 ', '3.1', 0],
  ])('%s vs %s → %d', (a, b, want) => {
    expect(compareVersions(a, b)).toBe(want);
    expect(compareVersions(b, a)).toBe(-want === 0 ? 0 : -want);
  });
});

describe('diff: profiles (Apple)', () => {
  const wifi = appleProfile('com.acme.wifi');
  const hash = profileContentHash(wifi);

  it('installs a missing profile with its hash and item, needing an unlock', () => {
    const r = diff({ template: tpl([wifi]), inventory: { profiles: [] }, platform: 'ios', delivered: [] });
    expect(r.actions).toEqual([
      { action: 'install-profile', identifier: 'com.acme.wifi', hash, item: wifi, needsUnlock: true },
    ]);
  });
  it('nothing to do when the reported PayloadUUID is the expected one (any case)', () => {
    const uuid = profileUuid('com.acme.wifi', hash).toLowerCase();
    expect(matches(tpl([wifi]), { profiles: [{ identifier: 'com.acme.wifi', uuid }] }, 'ios', [])).toBe(true);
  });
  it('re-installs a stale profile (same identifier, other PayloadUUID)', () => {
    const old = appleProfile('com.acme.wifi', 'v0');
    const r = diff({
      template: tpl([wifi]),
      inventory: { profiles: [reportedProfile(old, 'ios')] },
      platform: 'macos',
      delivered: [],
    });
    expect(kinds(r.actions)).toEqual(['install-profile:com.acme.wifi']);
    expect(r.actions[0].hash).toBe(hash);
  });
  it('falls back to the reported hash, then to what was delivered, when no uuid is reported', () => {
    expect(matches(tpl([wifi]), { profiles: [{ identifier: 'com.acme.wifi', hash }] }, 'ios', [])).toBe(true);
    expect(
      matches(tpl([wifi]), { profiles: [{ identifier: 'com.acme.wifi' }] }, 'ios', [
        { identifier: 'com.acme.wifi', hash },
      ]),
    ).toBe(true);
    expect(
      matches(tpl([wifi]), { profiles: [{ identifier: 'com.acme.wifi' }] }, 'ios', [
        { identifier: 'com.acme.wifi', hash: 'old' },
      ]),
    ).toBe(false);
    expect(matches(tpl([wifi]), { profiles: [{ identifier: 'com.acme.wifi' }] }, 'ios', [])).toBe(false);
  });
  it('removes a profile the server delivered that the template no longer lists', () => {
    const r = diff({
      template: tpl([]),
      inventory: { profiles: [{ identifier: 'com.acme.vpn', uuid: 'X' }] },
      platform: 'ios',
      delivered: [{ identifier: 'com.acme.vpn', hash: 'h' }],
    });
    expect(r.actions).toEqual([{ action: 'remove-profile', identifier: 'com.acme.vpn', needsUnlock: false }]);
  });
  it('leaves alone a profile the server did not deliver (user-installed, enrollment profile)', () => {
    const inventory = {
      profiles: [
        { identifier: 'com.acme.mdm-enrollment', uuid: 'E' },
        { identifier: 'user.thing', uuid: 'U' },
      ],
    };
    expect(diff({ template: tpl([]), inventory, platform: 'ios', delivered: [] }).actions).toEqual([]);
  });
  it('does not remove a delivered profile the device no longer reports', () => {
    expect(matches(tpl([]), { profiles: [] }, 'ios', [{ identifier: 'gone', hash: 'h' }])).toBe(true);
  });
  it('ignores Android policies on Apple devices (and removes one delivered earlier if present)', () => {
    const pol = androidPolicy('com.acme.policy');
    expect(diff({ template: tpl([pol]), inventory: {}, platform: 'ios', delivered: [] }).actions).toEqual([]);
    const r = diff({
      template: tpl([pol]),
      inventory: { profiles: [{ identifier: 'com.acme.policy' }] },
      platform: 'ios',
      delivered: [{ identifier: 'com.acme.policy', hash: 'h' }],
    });
    expect(kinds(r.actions)).toEqual(['remove-profile:com.acme.policy']);
  });
  it('plans a profile listed twice in the template once (first wins)', () => {
    const r = diff({
      template: tpl([wifi, appleProfile('com.acme.wifi', 'other')]),
      inventory: {},
      platform: 'ios',
      delivered: [],
    });
    expect(r.actions).toHaveLength(1);
    expect(r.actions[0].hash).toBe(hash);
  });
  it('treats a never-read inventory as empty', () => {
    expect(
      kinds(diff({ template: tpl([wifi]), inventory: undefined, platform: 'ios', delivered: [] }).actions),
    ).toEqual(['install-profile:com.acme.wifi']);
  });
  it('no template: desired state is empty', () => {
    const r = diff({
      template: undefined,
      inventory: { profiles: [{ identifier: 'a', uuid: 'U' }], apps: [{ identifier: 'x', managed: true }] },
      platform: 'ios',
      delivered: [{ identifier: 'a', hash: 'h' }],
    });
    expect(kinds(r.actions)).toEqual(['remove-profile:a', 'remove-app:x']);
  });
});

describe('diff: profiles (Android)', () => {
  const pol = androidPolicy('policy-1', { cameraDisabled: true });
  const hash = profileContentHash(pol);
  it('installs a missing policy without needing an unlock', () => {
    const r = diff({ template: tpl([pol]), inventory: { profiles: [] }, platform: 'android', delivered: [] });
    expect(r.actions).toEqual([
      { action: 'install-profile', identifier: 'policy-1', hash, item: pol, needsUnlock: false },
    ]);
  });
  it('compares by reported hash', () => {
    expect(matches(tpl([pol]), { profiles: [{ identifier: 'policy-1', hash }] }, 'android', [])).toBe(true);
    expect(matches(tpl([pol]), { profiles: [{ identifier: 'policy-1', hash: 'other' }] }, 'android', [])).toBe(false);
  });
  it('ignores Apple .mobileconfig items on Android', () => {
    expect(
      diff({ template: tpl([appleProfile('x')]), inventory: {}, platform: 'android', delivered: [] }).actions,
    ).toEqual([]);
  });
  it('removes a delivered policy no longer listed', () => {
    const r = diff({
      template: tpl([]),
      inventory: { profiles: [{ identifier: 'old', hash: 'h' }] },
      platform: 'android',
      delivered: [{ identifier: 'old', hash: 'h' }],
    });
    expect(r.actions).toEqual([{ action: 'remove-profile', identifier: 'old', needsUnlock: false }]);
  });
});

describe('diff: apps', () => {
  const app = (identifier: string, version?: string) => ({
    kind: 'app' as const,
    identifier,
    ...(version ? { version } : {}),
  });
  it.each(['ios', 'macos', 'android'] as const)('installs a missing app on %s', (platform) => {
    const r = diff({ template: tpl([app('com.acme.app', '2.0')]), inventory: { apps: [] }, platform, delivered: [] });
    expect(r.actions).toEqual([
      {
        action: 'install-app',
        identifier: 'com.acme.app',
        version: '2.0',
        item: app('com.acme.app', '2.0'),
        needsUnlock: platform !== 'android',
      },
    ]);
  });
  it.each([
    ['1.9', '1.10', true],
    ['1.10', '1.9', false],
    ['2.0', '2', false],
    ['2', '2.0.1', true],
    ['3.0', '3.0', false],
  ])('installed %s, minimum %s → update %s', (installed, minimum, update) => {
    const r = diff({
      template: tpl([app('a', minimum)]),
      inventory: { apps: [{ identifier: 'a', version: installed, managed: true }] },
      platform: 'ios',
      delivered: [],
    });
    expect(r.actions.length > 0).toBe(update);
    if (update) expect(r.actions[0]).toMatchObject({ action: 'install-app', version: minimum });
  });
  it('compares Android versionCodes numerically', () => {
    const t = tpl([app('com.acme.app', '100')]);
    expect(matches(t, { apps: [{ identifier: 'com.acme.app', version: '99' }] }, 'android', [])).toBe(false);
    expect(matches(t, { apps: [{ identifier: 'com.acme.app', version: '100' }] }, 'android', [])).toBe(true);
    expect(matches(t, { apps: [{ identifier: 'com.acme.app', version: '1000' }] }, 'android', [])).toBe(true);
  });
  it('accepts any installed version when the template has no minimum, or the device reports none', () => {
    expect(matches(tpl([app('a')]), { apps: [{ identifier: 'a', version: '0.1' }] }, 'ios', [])).toBe(true);
    expect(matches(tpl([app('a', '5')]), { apps: [{ identifier: 'a' }] }, 'ios', [])).toBe(true);
  });
  it('takes over management of an app installed unmanaged (Apple only)', () => {
    const inventory = { apps: [{ identifier: 'a', version: '1', managed: false }] };
    expect(kinds(diff({ template: tpl([app('a')]), inventory, platform: 'ios', delivered: [] }).actions)).toEqual([
      'install-app:a',
    ]);
    expect(matches(tpl([app('a')]), inventory, 'android', [])).toBe(true);
  });
  it('removes managed apps the template no longer lists, leaves unmanaged ones', () => {
    const inventory = {
      apps: [{ identifier: 'm', managed: true }, { identifier: 'u', managed: false }, { identifier: 'x' }],
    };
    const r = diff({ template: tpl([]), inventory, platform: 'ios', delivered: [] });
    expect(r.actions).toEqual([{ action: 'remove-app', identifier: 'm', needsUnlock: false }]);
  });
});

describe('diff: books', () => {
  const book = { kind: 'book' as const, identifier: 'book-1', url: 'https://example.com/b.pdf' };
  it('installs a missing book and removes one not listed (Apple)', () => {
    const r = diff({
      template: tpl([book]),
      inventory: { books: [{ identifier: 'old-book' }] },
      platform: 'ios',
      delivered: [],
    });
    expect(r.actions).toEqual([
      { action: 'install-book', identifier: 'book-1', item: book, needsUnlock: true },
      { action: 'remove-book', identifier: 'old-book', needsUnlock: false },
    ]);
  });
  it('matches when the book is reported', () => {
    expect(matches(tpl([book]), { books: [{ identifier: 'book-1', version: '1' }] }, 'macos', [])).toBe(true);
  });
  it('skips books on Android (the agent has none)', () => {
    expect(diff({ template: tpl([book]), inventory: {}, platform: 'android', delivered: [] }).actions).toEqual([]);
  });
});

describe('diff: prohibited apps', () => {
  it('reports prohibited apps present, once each, without planning anything for them', () => {
    const r = diff({
      template: tpl([], ['com.bad.game', 'com.bad.vpn']),
      inventory: { apps: [{ identifier: 'com.bad.game' }, { identifier: 'com.ok' }, { identifier: 'com.bad.game' }] },
      platform: 'ios',
      delivered: [],
    });
    expect(r.prohibitedFound).toEqual(['com.bad.game']);
    expect(r.actions).toEqual([]);
  });
  it('finds none when none is installed', () => {
    expect(
      diff({ template: tpl([], ['x']), inventory: { apps: [] }, platform: 'android', delivered: [] }).prohibitedFound,
    ).toEqual([]);
  });
});

describe('diff: the live queue', () => {
  const wifi = appleProfile('com.acme.wifi');
  const hash = profileContentHash(wifi);
  it('does not plan what is already queued (same kind, identifier, hash)', () => {
    const r = diff({
      template: tpl([wifi]),
      inventory: {},
      platform: 'ios',
      delivered: [],
      queued: [{ action: 'install-profile', identifier: 'com.acme.wifi', hash }],
    });
    expect(r.actions).toEqual([]);
  });
  it('plans again when the queued install carries an older hash', () => {
    const r = diff({
      template: tpl([wifi]),
      inventory: {},
      platform: 'ios',
      delivered: [],
      queued: [{ action: 'install-profile', identifier: 'com.acme.wifi', hash: 'old' }],
    });
    expect(kinds(r.actions)).toEqual(['install-profile:com.acme.wifi']);
  });
  it('matches apps by version and removals by identifier', () => {
    const t = tpl([{ kind: 'app', identifier: 'a', version: '2' }]);
    const inv = { apps: [{ identifier: 'b', managed: true }] };
    expect(
      diff({
        template: t,
        inventory: inv,
        platform: 'ios',
        delivered: [],
        queued: [
          { action: 'install-app', identifier: 'a', version: '2' },
          { action: 'remove-app', identifier: 'b' },
        ],
      }).actions,
    ).toEqual([]);
    expect(
      kinds(
        diff({
          template: t,
          inventory: inv,
          platform: 'ios',
          delivered: [],
          queued: [{ action: 'install-app', identifier: 'a', version: '1' }],
        }).actions,
      ),
    ).toEqual(['install-app:a', 'remove-app:b']);
  });
  it('syncActionKey ignores hash and version for removals', () => {
    expect(syncActionKey({ action: 'remove-profile', identifier: 'x', hash: 'h' })).toBe(
      syncActionKey({ action: 'remove-profile', identifier: 'x' }),
    );
  });
});

describe('actionNeedsUnlock', () => {
  it('Apple installs wait for an unlock; removals and everything on Android do not', () => {
    expect(actionNeedsUnlock('install-profile', 'ios')).toBe(true);
    expect(actionNeedsUnlock('install-book', 'macos')).toBe(true);
    expect(actionNeedsUnlock('remove-profile', 'ios')).toBe(false);
    expect(actionNeedsUnlock('install-app', 'android')).toBe(false);
  });
  it('mobileconfig helper is valid base64', () => {
    expect(Buffer.from(mobileconfig('x'), 'base64').toString()).toContain('PayloadIdentifier');
  });
});
