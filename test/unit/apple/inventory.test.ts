import { readdirSync } from 'node:fs';
import { applyManagedApps, inventoryFromReport } from '../../../lambdas/protocol/apple/inventory';
import { parseCommandReport } from '../../../lambdas/protocol/apple/messages';
import { fixturePath, readFixture } from '../../support/fixtures';

const report = (...p: string[]) => parseCommandReport(readFixture(...p)).raw;

describe('inventoryFromReport', () => {
  it('handles every captured result without throwing', () => {
    const dirs = [
      'DeviceInformation',
      'ProfileList',
      'InstalledApplicationList',
      'ManagedApplicationList',
      'SecurityInfo',
      'CertificateList',
      'NotNow',
      'Errors',
    ];
    const all: Array<[string, string[]]> = dirs.flatMap((d) =>
      readdirSync(fixturePath('commandment', d)).map((f): [string, string[]] => [d, ['commandment', d, f]]),
    );
    all.push(
      ['DeviceInformation', ['nanomdm', 'DeviceInformation.1.plist']],
      ['ProfileList', ['micromdm', 'ProfileList.response.macOS.plist']],
    );
    for (const [type, parts] of all) {
      const inv = inventoryFromReport(type, report(...parts));
      expect(typeof inv).toBe('object');
      if (['NotNow', 'Errors'].includes(type)) expect(inv).toEqual({});
    }
  });

  it('reads ProfileList (iOS 11: no inner UUIDs; IsManaged passed through, absent → managed)', () => {
    const ios = inventoryFromReport('ProfileList', report('commandment', 'ProfileList', 'iOS-11.3.1.xml'));
    expect(ios.profiles!.length).toBeGreaterThan(0);
    for (const p of ios.profiles!) {
      expect(typeof p.identifier).toBe('string');
      expect(typeof p.uuid).toBe('string');
      // This capture reports IsManaged=false; we pass it through.
      expect(p.managed).toBe(false);
    }
    const mac = inventoryFromReport('ProfileList', report('micromdm', 'ProfileList.response.macOS.plist'));
    expect(mac.profiles).toEqual([
      {
        identifier: 'com.github.micromdm.micromdm.enroll',
        uuid: '2e343e61-a846-4e39-9a30-123aec253fc4',
        managed: true,
      },
    ]);
  });

  it('reads InstalledApplicationList (ShortVersion preferred)', () => {
    const inv = inventoryFromReport(
      'InstalledApplicationList',
      report('commandment', 'InstalledApplicationList', 'iOS-12.1.xml'),
    );
    expect(inv.apps!.length).toBeGreaterThan(0);
    for (const a of inv.apps!) expect(a.identifier).toMatch(/\./);
    const raw = {
      InstalledApplicationList: [
        { Identifier: 'a.b', Version: '100', ShortVersion: '1.0.0' },
        { Version: '1' },
        { Identifier: 'c.d', Version: '7' },
      ],
    };
    expect(inventoryFromReport('InstalledApplicationList', raw).apps).toEqual([
      { identifier: 'a.b', version: '1.0.0' },
      { identifier: 'c.d', version: '7' },
    ]);
  });

  it('reads ManagedApplicationList statuses and merges them into apps', () => {
    const managed = inventoryFromReport(
      'ManagedApplicationList',
      report('commandment', 'ManagedApplicationList', 'iOS-12.1-Managed.xml'),
    );
    expect(managed.managedApps!.some((m) => m.managed && m.status === 'Managed')).toBe(true);
    const rejected = inventoryFromReport(
      'ManagedApplicationList',
      report('commandment', 'ManagedApplicationList', 'iOS-12.1-RejectedPrompting.xml'),
    );
    expect(rejected.managedApps).toEqual([
      { identifier: 'com.apple.iWork.Keynote', status: 'UserRejected', managed: false },
      { identifier: 'com.tinyspeck.slackmacgap', status: 'UserRejected', managed: false },
    ]);
    expect(
      applyManagedApps(
        [{ identifier: 'a', version: '1' }, { identifier: 'b' }],
        [{ identifier: 'a', status: 'Managed', managed: true }],
      ),
    ).toEqual([
      { identifier: 'a', version: '1', managed: true },
      { identifier: 'b', managed: false },
    ]);
  });

  it('reads SecurityInfo', () => {
    expect(inventoryFromReport('SecurityInfo', report('commandment', 'SecurityInfo', 'iOS-11.3.1.xml'))).toEqual({
      passcodeSet: false,
      passcodeCompliant: true,
      dataProtection: false,
    });
    expect(
      inventoryFromReport('SecurityInfo', { SecurityInfo: { HardwareEncryptionCaps: 3, PasscodePresent: true } })
        .dataProtection,
    ).toBe(true);
  });

  it('reads DeviceInformation', () => {
    expect(
      inventoryFromReport('DeviceInformation', report('commandment', 'DeviceInformation', 'iOS-11.3.1.xml')),
    ).toEqual({
      osVersion: '11.3.1',
      buildVersion: '15E302',
      name: 'iPad',
      model: 'iPad',
      productName: 'iPad4,1',
      serialNumber: 'C00000000004',
    });
    const q = {
      QueryResponses: { OSVersion: '17.5', IsSupervised: false, IsMDMLostModeEnabled: true, ProductName: 'iPhone15,2' },
    };
    expect(inventoryFromReport('DeviceInformation', q)).toMatchObject({
      supervised: false,
      lostMode: true,
      model: 'iPhone15,2',
    });
  });

  it('reads ManagedMediaList and CertificateList', () => {
    const raw = {
      Books: [
        { PersistentID: 'com.acme.manual', Version: '2', State: 'Installed' },
        { iTunesStoreID: 5 },
        { State: 'x' },
      ],
    };
    expect(inventoryFromReport('ManagedMediaList', raw).books).toEqual([
      { identifier: 'com.acme.manual', version: '2' },
      { identifier: '5' },
    ]);
    const certs = inventoryFromReport('CertificateList', report('commandment', 'CertificateList', '10.11.x.xml'))
      .certificates!;
    expect(certs[0]).toEqual({ commonName: 'com.apple.systemdefault', isIdentity: true });
  });

  it('gives {} for types without inventory and for missing keys', () => {
    expect(inventoryFromReport('InstallProfile', { Status: 'Acknowledged' })).toEqual({});
    expect(inventoryFromReport('ProfileList', {})).toEqual({});
    expect(inventoryFromReport('DeviceInformation', { QueryResponses: 'x' })).toEqual({});
  });
});
