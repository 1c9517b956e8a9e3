import { readdirSync } from 'node:fs';
import { DomainError } from '../../../lambdas/domain/errors';
import type { AuthenticateMessage, CheckinMessage } from '../../../lambdas/protocol/apple/messages';
import {
  checkinResponse,
  parseCheckin,
  parseCommandReport,
  platformFromAuthenticate,
} from '../../../lambdas/protocol/apple/messages';
import { buildPlist, parsePlist } from '../../../lambdas/protocol/apple/plist';
import { fixturePath, readFixture } from '../../support/fixtures';

const checkin = (...p: string[]) => parseCheckin(readFixture(...p));
const files = (dir: string) => readdirSync(fixturePath('commandment', dir)).map((f) => ['commandment', dir, f]);

function expect400(fn: () => unknown): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DomainError);
  expect((err as DomainError).status).toBe(400);
}

describe('parseCheckin', () => {
  it('parses every captured check-in', () => {
    const all = [
      ...files('Authenticate'),
      ...files('TokenUpdate'),
      ...files('CheckOut'),
      ['nanomdm', 'Authenticate.1.plist'],
      ['nanomdm', 'Authenticate.2.plist'],
      ['nanomdm', 'TokenUpdate.1.plist'],
      ['nanomdm', 'TokenUpdate.2.plist'],
      ['micromdm', 'Authenticate.macOS-10.11.6.plist'],
      ['micromdm', 'TokenUpdate.plist'],
      ['micromdm', 'CheckOut.plist'],
    ];
    for (const f of all) {
      const m = parseCheckin(readFixture(...f));
      expect(m.type).toBe(/(Authenticate|TokenUpdate|CheckOut)/.exec(f.join('/'))![1]);
      expect(m.udid).toBeTruthy();
    }
  });

  it('reads an iOS Authenticate', () => {
    const m = checkin('commandment', 'Authenticate', 'iOS-11.3.1-cell.xml') as AuthenticateMessage;
    expect(m).toMatchObject({
      type: 'Authenticate',
      udid: '1111111111111111111111111111111111111111',
      topic: 'com.apple.mgmt.XServer.1c111c11-1c11-1c11-1c11-1c111c111c11',
      productName: 'iPhone7,2',
      osVersion: '11.3.1',
      buildVersion: '15E302',
      imei: '11 111111 111111 1',
      channel: 'device',
      userEnrollment: false,
    });
    expect(platformFromAuthenticate(m)).toBe('ios');
  });

  it.each([
    [['nanomdm', 'Authenticate.1.plist'], 'ios'],
    [['nanomdm', 'Authenticate.2.plist'], 'macos'],
    [['commandment', 'Authenticate', '10.11.x.xml'], 'macos'],
    [['commandment', 'Authenticate', '10.12.2.xml'], 'macos'],
    [['commandment', 'Authenticate', 'IOS-9.x.xml'], 'ios'],
    [['commandment', 'Authenticate', 'IOS-11.3.1.xml'], 'ios'],
    [['micromdm', 'Authenticate.macOS-10.11.6.plist'], 'macos'],
  ])('platform of %j is %s', (parts, platform) => {
    expect(platformFromAuthenticate(checkin(...parts) as AuthenticateMessage)).toBe(platform);
  });

  it('tells macOS from iOS by shape when names are unknown', () => {
    const base = {
      type: 'Authenticate',
      messageType: 'Authenticate',
      udid: 'u',
      topic: 't',
      userEnrollment: false,
      channel: 'device',
      raw: {},
    } as const;
    expect(platformFromAuthenticate({ ...base, deviceName: 'x', model: 'Z1', modelName: 'Thing' })).toBe('macos');
    expect(platformFromAuthenticate({ ...base, deviceName: 'x', model: 'Z1', imei: '1' })).toBe('ios');
    expect(platformFromAuthenticate({ ...base, modelName: 'iPhone', model: 'iPhone15,2', deviceName: 'Bob' })).toBe(
      'ios',
    );
    expect(platformFromAuthenticate({ ...base })).toBe('ios');
  });

  describe('platform without ProductName: every field counts', () => {
    const base = {
      type: 'Authenticate',
      messageType: 'Authenticate',
      udid: 'u',
      topic: 't',
      userEnrollment: false,
      channel: 'device',
      raw: {},
      deviceName: 'Sim',
      serialNumber: 'S1',
    } as const;
    it.each([
      // [OSVersion, BuildVersion, platform]
      ['17.0', '21A329', 'ios'],
      ['18.2', '22C152', 'ios'],
      ['26.0', '23A341', 'ios'],
      ['10.3.3', '14G60', 'ios'],
      ['17.5', undefined, 'ios'],
      ['14.4', '23E214', 'macos'],
      ['13.6', '22G120', 'macos'],
      ['26.0', '25A354', 'macos'],
      ['10.15.7', '19H2', 'macos'],
    ] as const)('OSVersion %s, BuildVersion %s is %s', (osVersion, buildVersion, platform) => {
      expect(platformFromAuthenticate({ ...base, osVersion, buildVersion })).toBe(platform);
    });
    it('a known hardware name wins over the versions, and the versions over the macOS-only keys', () => {
      expect(platformFromAuthenticate({ ...base, model: 'iPad13,4', osVersion: '14.4', buildVersion: '23E214' })).toBe(
        'ios',
      );
      expect(platformFromAuthenticate({ ...base, model: 'Z1', modelName: 'Thing', osVersion: '17.0' })).toBe('ios');
    });
    it('with nothing but the name, the macOS-only DeviceName says macOS; a cellular id says iOS', () => {
      expect(platformFromAuthenticate({ ...base })).toBe('macos');
      expect(platformFromAuthenticate({ ...base, imei: '35 000000 000000 0' })).toBe('ios');
      // Versions that fit neither rule (macOS 14 with an iOS-shaped build is not a thing) fall through.
      expect(platformFromAuthenticate({ ...base, osVersion: '14.0', buildVersion: '99A1' })).toBe('macos');
    });
  });

  it('reads a TokenUpdate: token as lowercase hex, PushMagic, UnlockToken', () => {
    const m = checkin('nanomdm', 'TokenUpdate.1.plist');
    if (m.type !== 'TokenUpdate') throw new Error(m.type);
    const raw = parsePlist(readFixture('nanomdm', 'TokenUpdate.1.plist'));
    expect(m.token).toBe((raw.Token as Buffer).toString('hex'));
    expect(m.token).toMatch(/^[0-9a-f]+$/);
    expect(m.pushMagic).toBe(raw.PushMagic);
    expect(Buffer.isBuffer(m.unlockToken)).toBe(true);
    expect(m.channel).toBe('device');
    const m2 = checkin('nanomdm', 'TokenUpdate.2.plist');
    expect(m2.type === 'TokenUpdate' && m2.token.startsWith('1ba7c900')).toBe(true);
  });

  it('marks user-channel messages', () => {
    const m = checkin('commandment', 'TokenUpdate', '10.12.2-user.xml');
    expect(m).toMatchObject({
      type: 'TokenUpdate',
      channel: 'user',
      userId: 'A522C2FB-D0BA-487E-BBC6-BE0DB2DC7883',
      userShortName: 'cjoe',
      udid: 'E3568F17-92ED-450A-8904-C3BF4CB7E9A5',
    });
    expect(checkin('commandment', 'TokenUpdate', '10.12.2.xml').channel).toBe('device');
  });

  it('reads CheckOut', () => {
    expect(checkin('commandment', 'CheckOut', 'iOS-11.3.1.xml')).toMatchObject({ type: 'CheckOut', channel: 'device' });
  });

  it('identifies User Enrollment by EnrollmentID', () => {
    const m = parseCheckin(buildPlist({ MessageType: 'Authenticate', Topic: 'com.apple.mgmt.x', EnrollmentID: 'E1' }));
    expect(m).toMatchObject({ udid: 'E1', userEnrollment: true, channel: 'device' });
    const u = parseCheckin(
      buildPlist({
        MessageType: 'TokenUpdate',
        Topic: 't',
        EnrollmentID: 'E1',
        EnrollmentUserID: 'U1',
        Token: Buffer.from([1, 2]),
        PushMagic: 'pm',
      }),
    );
    expect(u).toMatchObject({ channel: 'user', userId: 'U1', token: '0102' });
  });

  it.each([
    ['no ids', { MessageType: 'Authenticate', Topic: 't' }],
    ['no MessageType', { UDID: 'u', Topic: 't' }],
    ['Authenticate without Topic', { MessageType: 'Authenticate', UDID: 'u' }],
    ['TokenUpdate without Token', { MessageType: 'TokenUpdate', UDID: 'u', Topic: 't', PushMagic: 'p' }],
    ['TokenUpdate without PushMagic', { MessageType: 'TokenUpdate', UDID: 'u', Topic: 't', Token: Buffer.from([1]) }],
    ['UserAuthenticate without UserID', { MessageType: 'UserAuthenticate', UDID: 'u' }],
    ['a 3,000-character UDID', { MessageType: 'Authenticate', Topic: 't', UDID: 'A'.repeat(3000) }],
    ['a UDID of 129 characters', { MessageType: 'Authenticate', Topic: 't', UDID: 'A'.repeat(129) }],
    ['a UDID with a key separator', { MessageType: 'Authenticate', Topic: 't', UDID: 'u#DEVICE' }],
    ['a 3,000-character EnrollmentID', { MessageType: 'Authenticate', Topic: 't', EnrollmentID: 'E'.repeat(3000) }],
    [
      'a 3,000-character serial number',
      { MessageType: 'Authenticate', Topic: 't', UDID: 'u', SerialNumber: 'C'.repeat(3000) },
    ],
    [
      'a 3,000-character UserID',
      {
        MessageType: 'TokenUpdate',
        Topic: 't',
        UDID: 'u',
        UserID: 'x'.repeat(3000),
        Token: Buffer.from([1]),
        PushMagic: 'p',
      },
    ],
  ])('rejects %s with 400', (_n, dict) => {
    expect400(() => parseCheckin(buildPlist(dict)));
  });

  it('rejects garbage with 400', () => {
    expect400(() => parseCheckin(Buffer.from('nope')));
  });

  it('accepts ids of every real shape, up to 128 characters', () => {
    for (const udid of [
      '00008030-001A2D3C0E12802E',
      '1c111c111c111c111c111c111c111c111c111c11',
      '66ADE930-5FDF-5EC4-8429-15640684C489',
      'A'.repeat(128),
    ]) {
      expect(
        parseCheckin(buildPlist({ MessageType: 'Authenticate', Topic: 't', UDID: udid, SerialNumber: 'C02RX6G8G8WP' })),
      ).toMatchObject({ udid });
    }
  });

  it('keeps other message types', () => {
    const m = parseCheckin(buildPlist({ MessageType: 'GetBootstrapToken', UDID: 'u', AwaitingConfiguration: false }));
    expect(m).toMatchObject({ type: 'Other', messageType: 'GetBootstrapToken', udid: 'u' });
    const n = parseCheckin(buildPlist({ MessageType: 'SetBootstrapToken' }));
    expect(n).toMatchObject({ type: 'Other', messageType: 'SetBootstrapToken', udid: undefined });
  });
});

describe('checkinResponse', () => {
  const mk = (d: Record<string, unknown>): CheckinMessage => parseCheckin(buildPlist(d));

  it('answers the state messages with an empty 200', () => {
    for (const f of [
      ['nanomdm', 'Authenticate.1.plist'],
      ['nanomdm', 'TokenUpdate.1.plist'],
      ['commandment', 'CheckOut', '10.11.x.xml'],
    ]) {
      expect(checkinResponse(checkin(...f))).toEqual({ status: 200, body: Buffer.alloc(0) });
    }
  });

  it('declines the user channel by default and accepts it with a zero-length challenge when asked', () => {
    const first = mk({ MessageType: 'UserAuthenticate', UDID: 'u', UserID: 'user' });
    expect(checkinResponse(first).status).toBe(410);
    const accepted = checkinResponse(first, { acceptUserChannel: true });
    expect(accepted.status).toBe(200);
    expect(parsePlist(accepted.body)).toEqual({ DigestChallenge: '' });
    const second = mk({ MessageType: 'UserAuthenticate', UDID: 'u', UserID: 'user', DigestResponse: 'x' });
    expect(checkinResponse(second, { acceptUserChannel: true })).toEqual({ status: 200, body: Buffer.alloc(0) });
  });

  it('answers the other message types', () => {
    const get = checkinResponse(mk({ MessageType: 'GetBootstrapToken', UDID: 'u' }));
    expect(get.status).toBe(200);
    expect(parsePlist(get.body)).toEqual({});
    expect(checkinResponse(mk({ MessageType: 'SetBootstrapToken', UDID: 'u' })).status).toBe(200);
    const tokens = checkinResponse(mk({ MessageType: 'DeclarativeManagement', UDID: 'u', Endpoint: 'tokens' }));
    expect(tokens.contentType).toBe('application/json');
    expect(JSON.parse(tokens.body.toString()).SyncTokens.DeclarationsToken).toBeTruthy();
    const items = checkinResponse(
      mk({ MessageType: 'DeclarativeManagement', UDID: 'u', Endpoint: 'declaration-items' }),
    );
    expect(JSON.parse(items.body.toString()).Declarations.Configurations).toEqual([]);
    expect(checkinResponse(mk({ MessageType: 'DeclarativeManagement', UDID: 'u', Endpoint: 'status' })).status).toBe(
      200,
    );
    expect(
      checkinResponse(mk({ MessageType: 'DeclarativeManagement', UDID: 'u', Endpoint: 'declaration/x/y' })).status,
    ).toBe(404);
    expect(checkinResponse(mk({ MessageType: 'GetToken', UDID: 'u', TokenServiceType: 'com.apple.maid' })).status).toBe(
      410,
    );
    expect(checkinResponse(mk({ MessageType: 'SomethingNew', UDID: 'u' })).status).toBe(410);
  });
});

describe('parseCommandReport', () => {
  it('parses every captured report', () => {
    const dirs = [
      'DeviceInformation',
      'ProfileList',
      'InstalledApplicationList',
      'ManagedApplicationList',
      'SecurityInfo',
      'CertificateList',
      'NotNow',
      'Errors',
      'AvailableOSUpdates',
      'DeviceLock',
      'InstallApplication',
    ];
    const all = [
      ...dirs.flatMap(files),
      ['nanomdm', 'DeviceInformation.1.plist'],
      ['micromdm', 'ProfileList.response.macOS.plist'],
      ['nanomdm', 'mdm-signature', 'mdmSignatureBody2.plist'],
    ];
    for (const f of all) {
      const r = parseCommandReport(readFixture(...f));
      expect(r.udid).toBeTruthy();
      if (r.status !== 'Idle') expect(r.commandUuid).toBeTruthy();
    }
  });

  it('reads Idle, NotNow and RequestType echoes', () => {
    expect(parseCommandReport(readFixture('nanomdm', 'mdm-signature', 'mdmSignatureBody2.plist'))).toMatchObject({
      status: 'Idle',
      commandUuid: undefined,
      udid: 'D4D56083-BFB0-5047-8BDF-2727BACDC59B',
    });
    expect(parseCommandReport(readFixture('commandment', 'NotNow', 'iOS-11.3.1.xml'))).toMatchObject({
      status: 'NotNow',
      commandUuid: 'bb5d7813-e7c3-4279-b954-4b678925de5f',
    });
    expect(parseCommandReport(readFixture('nanomdm', 'DeviceInformation.1.plist')).requestType).toBe(
      'DeviceInformation',
    );
  });

  it('reads error chains (first = top-level error)', () => {
    const r = parseCommandReport(readFixture('commandment', 'Errors', 'iOS-11.3.1-AvailableOSUpdatesFailure.xml'));
    expect(r.status).toBe('Error');
    expect(r.errorChain).toEqual([
      { code: 2213, domain: 'DeviceManagement.error', message: 'No update available.' },
      expect.objectContaining({ code: 3, domain: 'com.apple.softwareupdateservices.errors' }),
    ]);
    const u = parseCommandReport(readFixture('commandment', 'Errors', 'iOS-11.3.1-RemoveProfile-Unmanaged.xml'));
    expect(u.errorChain![0]).toMatchObject({ code: 12013, domain: 'MCMDMErrorDomain' });
    expect(parseCommandReport(readFixture('commandment', 'Errors', 'iOS-11.3.1-CommandFormatError.xml')).status).toBe(
      'CommandFormatError',
    );
  });

  it('reads user-channel reports', () => {
    expect(parseCommandReport(buildPlist({ UDID: 'u', UserID: 'x', Status: 'Idle' }))).toMatchObject({
      channel: 'user',
      userId: 'x',
    });
  });

  it('rejects unknown statuses and missing ids with 400', () => {
    expect400(() => parseCommandReport(buildPlist({ UDID: 'u', Status: 'Bogus' })));
    expect400(() => parseCommandReport(buildPlist({ Status: 'Idle' })));
    expect400(() => parseCommandReport(buildPlist({ UDID: 'u'.repeat(3000), Status: 'Idle' })));
    expect400(() =>
      parseCommandReport(buildPlist({ UDID: 'u', Status: 'Acknowledged', CommandUUID: 'c'.repeat(3000) })),
    );
    expect400(() => parseCommandReport('<html/>'));
  });
});
