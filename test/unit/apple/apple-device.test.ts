import * as kitCmd from '../../../kit/apple-commands';
import { SimulatedAppleDevice } from '../../../kit/apple-device';
import {
  type CaMaterial,
  createTenantCa,
  type DeviceIdentity,
  issueDeviceIdentity,
} from '../../../lambdas/protocol/apple/ca';
import * as cmd from '../../../lambdas/protocol/apple/command-builders';
import { buildEnrollmentProfile } from '../../../lambdas/protocol/apple/enrollment-profile';
import { inventoryFromReport } from '../../../lambdas/protocol/apple/inventory';
import type { CommandReport } from '../../../lambdas/protocol/apple/messages';
import {
  CHECKIN_CONTENT_TYPE,
  checkinResponse,
  parseCheckin,
  parseCommandReport,
} from '../../../lambdas/protocol/apple/messages';
import { buildPlist } from '../../../lambdas/protocol/apple/plist';
import { signProfile } from '../../../lambdas/protocol/apple/sign';
import { verifyMdmSignature } from '../../../lambdas/protocol/apple/signature';

const NOW = new Date();
const TOPIC = 'com.apple.mgmt.External.11111111-2222-3333-4444-555555555555';
let ca: CaMaterial;
// One identity for all: key generation is the slow part.
let identity: DeviceIdentity;
beforeAll(async () => {
  ca = await createTenantCa('t1', NOW);
  identity = await issueDeviceIdentity(ca, { tenantId: 'demo', device: 'sim' }, NOW);
});

function profile(signed = false): Buffer {
  const xml = buildEnrollmentProfile({
    tenantId: 't1',
    tenantName: 'Acme',
    serverUrl: 'https://mdm.example.com/mdm/t1/connect',
    checkInUrl: 'https://mdm.example.com/mdm/t1/checkin',
    topic: TOPIC,
    identity: { kind: 'pkcs12', ...identity },
  });
  return signed ? signProfile(xml, ca.certPem, ca.keyPem) : xml;
}

const env = (c: cmd.AppleCommand, uuid = 'c-1') => ({ CommandUUID: uuid, Command: c.command });
const inv = (d: SimulatedAppleDevice, c: cmd.AppleCommand) =>
  inventoryFromReport(c.requestType, d.answerCommand(env(c)).report);

function enrolledDevice(platform: 'ios' | 'macos' = 'ios', signed = false): SimulatedAppleDevice {
  const d = new SimulatedAppleDevice({ baseUrl: 'http://127.0.0.1:1', tenant: 't1', platform });
  d.installEnrollmentProfile(profile(signed));
  return d;
}

describe('SimulatedAppleDevice answers (pure)', () => {
  it('installs the enrollment profile (plain or signed) and reports it in ProfileList', () => {
    for (const signed of [false, true]) {
      const d = enrolledDevice('ios', signed);
      expect(d.enrolled).toBe(true);
      expect(d.topic).toBe(TOPIC);
      expect(inv(d, cmd.profileList()).profiles).toEqual([
        expect.objectContaining({ identifier: 'mdm.t1.enrollment', managed: true }),
      ]);
    }
  });

  it('installs, lists and removes profiles by PayloadIdentifier/PayloadUUID', () => {
    const d = enrolledDevice();
    const wifi = Buffer.from(
      buildPlist({
        PayloadType: 'Configuration',
        PayloadVersion: 1,
        PayloadIdentifier: 'com.acme.wifi',
        PayloadUUID: 'U1',
        PayloadContent: [],
      }),
    );
    expect(d.answerCommand(env(cmd.installProfile(wifi))).report.Status).toBe('Acknowledged');
    expect(d.answerCommand(env(cmd.installProfile(signProfile(wifi, ca.certPem, ca.keyPem)))).report.Status).toBe(
      'Acknowledged',
    );
    expect(inv(d, cmd.profileList()).profiles!.map((p) => [p.identifier, p.uuid])).toContainEqual([
      'com.acme.wifi',
      'U1',
    ]);
    expect(d.answerCommand(env(cmd.removeProfile('com.acme.wifi'))).report.Status).toBe('Acknowledged');
    const again = parseCommandReport(
      buildPlist({ UDID: d.udid, ...d.answerCommand(env(cmd.removeProfile('com.acme.wifi'))).report }),
    );
    expect(again.errorChain![0]).toMatchObject({ code: 12075, domain: 'MCMDMErrorDomain' });
    expect(d.answerCommand(env(cmd.installProfile(Buffer.from('garbage')))).report.Status).toBe('Error');
  });

  it('fails InstallProfile with 4027 when told to', () => {
    const d = enrolledDevice();
    d.failProfileInstall = 4027;
    const wifi = Buffer.from(buildPlist({ PayloadIdentifier: 'a', PayloadUUID: 'b', PayloadContent: [] }));
    const r = parseCommandReport(
      buildPlist({ UDID: d.udid, ...d.answerCommand(env(cmd.installProfile(wifi))).report }),
    );
    expect(r.status).toBe('Error');
    expect(r.errorChain![0]).toMatchObject({ code: 4027, domain: 'MCInstallationErrorDomain' });
  });

  it('answers NotNow for unlock-only commands while locked, and runs the rest', () => {
    const d = enrolledDevice();
    d.locked = true;
    for (const c of [
      cmd.installProfile(Buffer.from('x')),
      cmd.installApplication({ identifier: 'a.b' }),
      cmd.installMedia({ iTunesStoreID: 1 }),
      kitCmd.securityInfo(),
      cmd.managedMediaList(),
    ]) {
      expect(d.answerCommand(env(c)).report.Status).toBe('NotNow');
    }
    for (const c of [
      cmd.deviceInformation(),
      cmd.profileList(),
      cmd.installedApplicationList(),
      cmd.removeApplication('x'),
      kitCmd.certificateList(),
      cmd.deviceLock(),
    ]) {
      expect(d.answerCommand(env(c)).report.Status).toBe('Acknowledged');
    }
  });

  it('keeps apps and books, and reports them like real devices', () => {
    const d = new SimulatedAppleDevice({
      baseUrl: 'http://x',
      tenant: 't1',
      platform: 'ios',
      appCatalog: { '42': { identifier: 'com.acme.app', version: '2.1' } },
    });
    d.installEnrollmentProfile(profile());
    expect(
      d.answerCommand(env(cmd.installApplication({ identifier: 'com.acme.app', iTunesStoreID: 42 }))).report,
    ).toMatchObject({ Identifier: 'com.acme.app' });
    d.answerCommand(env(cmd.installApplication({ identifier: 'com.acme.other' })));
    expect(inv(d, cmd.installedApplicationList()).apps).toEqual([
      { identifier: 'com.acme.app', version: '2.1' },
      { identifier: 'com.acme.other', version: '1.0' },
    ]);
    expect(inv(d, kitCmd.managedApplicationList()).managedApps!.map((m) => m.managed)).toEqual([true, true]);
    d.answerCommand(env(cmd.removeApplication('com.acme.other')));
    expect(inv(d, cmd.installedApplicationList()).apps!.map((a) => a.identifier)).toEqual(['com.acme.app']);

    d.answerCommand(
      env(cmd.installMedia({ mediaURL: 'https://x/b.pdf', persistentId: 'com.acme.book', version: '3' })),
    );
    expect(inv(d, cmd.managedMediaList()).books).toEqual([{ identifier: 'com.acme.book', version: '3' }]);
    d.answerCommand(env(cmd.removeMedia({ persistentId: 'com.acme.book' })));
    expect(inv(d, cmd.managedMediaList()).books).toEqual([]);
  });

  it('answers DeviceInformation and SecurityInfo from its facts', () => {
    const d = enrolledDevice('macos');
    const facts = inv(d, cmd.deviceInformation());
    expect(facts).toMatchObject({
      serialNumber: d.serial,
      name: d.deviceName,
      supervised: false,
      lostMode: false,
      model: 'MacBook Air',
    });
    expect(d.answerCommand(env(cmd.deviceInformation(['UDID', 'NoSuchQuery']))).report.QueryResponses).toEqual({
      UDID: d.udid,
    });
    expect(inv(d, kitCmd.securityInfo())).toMatchObject({ passcodeSet: true, dataProtection: true });
    expect(
      inventoryFromReport('CertificateList', d.answerCommand(env(kitCmd.certificateList())).report).certificates,
    ).toEqual([{ commonName: 'sim', isIdentity: true }]);
  });

  it('handles lock, passcode, lost mode, erase and unenroll', () => {
    const d = enrolledDevice();
    d.answerCommand(env(cmd.deviceLock()));
    expect(d.locked).toBe(true);
    expect(d.answerCommand(env(kitCmd.clearPasscode(Buffer.from('wrong')))).report.Status).toBe('Error');
    expect(d.answerCommand(env(kitCmd.clearPasscode(d.unlockTokenBytes!))).report.Status).toBe('Acknowledged');
    expect(d.passcodeSet).toBe(false);
    expect(d.answerCommand(env(cmd.deviceLock())).report.MessageResult).toBe('NoPasscodeSet');
    d.answerCommand(env(cmd.enableLostMode({ message: 'lost' })));
    expect(d.lostMode).toBe(true);
    d.answerCommand(env(cmd.disableLostMode()));
    expect(d.lostMode).toBe(false);
    expect(d.answerCommand(env(cmd.eraseDevice())).after).toBe('wipe');
    expect(d.answerCommand(env(cmd.unenroll('t1'))).after).toBe('unenroll');
    expect(d.answerCommand(env(cmd.unenroll('other-tenant'))).after).toBeUndefined();
  });

  it('answers malformed and unknown commands', () => {
    const d = enrolledDevice();
    expect(d.answerCommand({}).report.Status).toBe('CommandFormatError');
    expect(d.answerCommand({ CommandUUID: 'x', Command: {} }).report.Status).toBe('CommandFormatError');
    expect(d.answerCommand({ CommandUUID: 'x', Command: { RequestType: 'Nope' } }).report).toMatchObject({
      Status: 'Error',
    });
  });
});

/** A tiny in-memory MDM server built from the protocol functions, behind a fake fetch. */
function fakeServer() {
  const queue: Array<{ uuid: string; command: Record<string, unknown> }> = [];
  const reports: CommandReport[] = [];
  const checkins: string[] = [];
  const signers = new Set<string>();
  const prof = profile();
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    if (init?.method === 'GET' && url.pathname === '/mdm/t1/enroll/tok') return new Response(prof, { status: 200 });
    const body = Buffer.from(init!.body as Uint8Array);
    const headers = new Headers(init!.headers);
    const signer = await verifyMdmSignature(headers.get('mdm-signature') ?? undefined, body, ca.certPem);
    signers.add(signer.certHash);
    if (url.pathname === '/mdm/t1/checkin') {
      expect(headers.get('content-type')).toBe(CHECKIN_CONTENT_TYPE);
      const m = parseCheckin(body);
      checkins.push(m.messageType);
      const r = checkinResponse(m);
      return new Response(r.body.length ? r.body : null, { status: r.status });
    }
    if (url.pathname === '/mdm/t1/connect') {
      expect(headers.get('content-type')).toMatch(/^application\/x-apple-aspen-mdm;/);
      const r = parseCommandReport(body);
      reports.push(r);
      if (r.status !== 'Idle' && r.status !== 'NotNow')
        queue.splice(
          queue.findIndex((q) => q.uuid === r.commandUuid),
          1,
        );
      const skip = new Set(reports.filter((x) => x.status === 'NotNow').map((x) => x.commandUuid));
      const next = queue.find((q) => !skip.has(q.uuid));
      return new Response(next ? cmd.encodeCommand(next.uuid, next.command) : null, { status: 200 });
    }
    return new Response(null, { status: 404 });
  }) as typeof fetch;
  return { queue, reports, checkins, signers, fetchImpl };
}

describe('SimulatedAppleDevice over (fake) HTTP', () => {
  it('enrolls, checks in, polls signed, honours locked/offline, and unenrolls with CheckOut', async () => {
    const s = fakeServer();
    // The profile says https://mdm.example.com; the device re-points it at baseUrl.
    const d = new SimulatedAppleDevice({
      baseUrl: 'http://127.0.0.1:9',
      tenant: 't1',
      platform: 'ios',
      fetch: s.fetchImpl,
    });
    await d.enrollFully('/mdm/t1/enroll/tok');
    expect(s.checkins).toEqual(['Authenticate', 'TokenUpdate']);
    expect(d.pushToken).toMatch(/^[0-9a-f]{64}$/);

    s.queue.push(
      { uuid: 'a', command: cmd.deviceInformation().command },
      {
        uuid: 'b',
        command: cmd.installProfile(
          Buffer.from(buildPlist({ PayloadIdentifier: 'p', PayloadUUID: 'u', PayloadContent: [] })),
        ).command,
      },
    );
    d.locked = true;
    const first = await d.poll();
    expect(first.map((c) => [c.requestType, c.status])).toEqual([
      ['DeviceInformation', 'Acknowledged'],
      ['InstallProfile', 'NotNow'],
    ]);
    d.locked = false;
    s.reports.length = 0;
    expect((await d.poll()).map((c) => c.status)).toEqual(['Acknowledged']);
    expect(d.profiles.has('p')).toBe(true);

    d.offline = true;
    expect(await d.poll()).toEqual([]);
    await expect(d.authenticate()).rejects.toThrow(/offline/);
    d.offline = false;

    s.queue.push({ uuid: 'z', command: cmd.unenroll('t1').command });
    expect((await d.poll()).map((c) => c.requestType)).toEqual(['RemoveProfile']);
    expect(s.checkins[s.checkins.length - 1]).toBe('CheckOut');
    expect(d.enrolled).toBe(false);
    expect(await d.poll()).toEqual([]);
    expect(s.signers.size).toBe(1);
    expect(d.log.filter((l) => l.kind === 'report').map((l) => l.kind === 'report' && l.status)).toEqual([
      'Idle',
      'Acknowledged',
      'NotNow',
      'Idle',
      'Acknowledged',
      'Idle',
      'Acknowledged',
    ]);
  });
});
