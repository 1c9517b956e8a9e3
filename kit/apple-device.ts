// A simulated Apple device that speaks the MDM protocol over HTTP, for e2e tests and the fleet
// simulator. It enrolls from a real enrollment profile, signs every request with its identity
// (Mdm-Signature), and answers commands from its own state (profiles, apps, books).
import { randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { needsUnlock } from '../lambdas/protocol/apple/command-builders';
import { enrollmentProfileIdentifier } from '../lambdas/protocol/apple/enrollment-profile';
import { CHECKIN_CONTENT_TYPE, CONNECT_CONTENT_TYPE } from '../lambdas/protocol/apple/messages';
import { buildPlist, parsePlist } from '../lambdas/protocol/apple/plist';
import { signMdmMessage, unwrapSignedProfile } from '../lambdas/protocol/apple/sign';
import { ScepClient } from './scep-client';

type Dict = Record<string, unknown>;

export interface SimulatedAppleDeviceOptions {
  /** Where the server is. Profile URLs on another origin are re-pointed here (path kept). */
  baseUrl: string;
  tenant: string;
  udid?: string;
  serial?: string;
  platform: 'ios' | 'macos';
  fetch?: typeof fetch;
  deviceName?: string;
  osVersion?: string;
  /** Whether TokenUpdate carries an UnlockToken (default: iOS yes, macOS never). */
  sendsUnlockToken?: boolean;
  /** What InstallApplication installs, keyed by iTunesStoreID (as string), ManifestURL or bundle id. */
  appCatalog?: Record<string, { identifier: string; version?: string; name?: string }>;
}

export interface SimProfile {
  identifier: string;
  uuid: string;
  displayName?: string;
  payloads: Array<{ PayloadType: string; PayloadIdentifier: string; PayloadUUID: string; PayloadVersion: number }>;
}
export interface SimApp {
  identifier: string;
  version: string;
  name: string;
  managed: boolean;
  managementFlags: number;
}
export interface SimBook {
  persistentId: string;
  version?: string;
  title?: string;
  kind?: string;
  iTunesStoreID?: number;
}

export type SimLogEntry =
  | { kind: 'checkin'; messageType: string; httpStatus: number }
  | { kind: 'report'; status: string; commandUuid?: string; requestType?: string; httpStatus: number };

export interface ReceivedCommand {
  commandUuid: string;
  requestType: string;
  command: Dict;
  /** What the device answered. */
  status: string;
}

/** What answering a command does after the report is sent. */
export type AfterCommand = 'unenroll' | 'wipe' | undefined;

export interface CommandAnswer {
  report: Dict;
  after?: AfterCommand;
  /**
   * An InstallProfile of the MDM profile itself with a new SCEP payload (a renewal): the device
   * gets the new identity by SCEP before it acknowledges, and signs from then on with it.
   */
  renewIdentity?: ScepSettings;
}

/** What a SCEP payload asks the device to do. */
interface ScepSettings {
  url: string;
  challenge: string;
  subjectCn: string;
  keySize: number;
}

export interface HttpReply {
  status: number;
  body: Buffer;
}

const IOS_FACTS = {
  ProductName: 'iPhone15,2',
  Model: 'MQ9T3',
  ModelName: 'iPhone',
  OSVersion: '17.5.1',
  BuildVersion: '21F90',
};
const MAC_FACTS = {
  ProductName: 'Mac14,2',
  Model: 'Mac14,2',
  ModelName: 'MacBook Air',
  OSVersion: '14.5',
  BuildVersion: '23F79',
};
const MAX_COMMANDS_PER_POLL = 500;

const errorReport = (code: number, domain: string, message: string): Dict => ({
  Status: 'Error',
  ErrorChain: [{ ErrorCode: code, ErrorDomain: domain, LocalizedDescription: message, USEnglishDescription: message }],
});

function profileBytesToDict(bytes: Buffer): Dict {
  // A signed profile is DER (starts with SEQUENCE); an unsigned one is XML.
  const xml = bytes[0] === 0x30 ? unwrapSignedProfile(bytes) : bytes;
  if (!xml) throw new Error('profile is neither XML nor signed CMS');
  return parsePlist(xml);
}

export class SimulatedAppleDevice {
  readonly udid: string;
  readonly serial: string;
  readonly platform: 'ios' | 'macos';
  readonly tenant: string;
  deviceName: string;
  osVersion: string;

  /** Data protection on and screen locked: unlock-only commands answer NotNow. */
  locked = false;
  /** No network: requests throw, poll() returns without calling. */
  offline = false;
  /** Make InstallProfile fail with MCInstallationErrorDomain 4027 (profile requires passcode change). */
  failProfileInstall: 4027 | undefined = undefined;
  passcodeSet = true;
  lostMode = false;
  supervised = false;

  enrolled = false;
  readonly profiles = new Map<string, SimProfile>();
  readonly apps = new Map<string, SimApp>();
  readonly books = new Map<string, SimBook>();
  readonly log: SimLogEntry[] = [];
  /** HTTP status of the last request. */
  lastHttpStatus: number | undefined;

  private readonly baseUrl: URL;
  private readonly doFetch: typeof fetch;
  private readonly appCatalog: NonNullable<SimulatedAppleDeviceOptions['appCatalog']>;
  private identity: { certPem: string; keyPem: string } | undefined;
  private pendingScep: ScepSettings | undefined;
  private scepClient: ScepClient | undefined;
  private serverUrl: string | undefined;
  private checkInUrl: string | undefined;
  private topicValue: string | undefined;
  private enrollmentProfile: SimProfile | undefined;
  private token = randomBytes(32);
  private magic = randomUUID();
  private readonly unlockToken: Buffer | undefined;

  constructor(o: SimulatedAppleDeviceOptions) {
    this.baseUrl = new URL(o.baseUrl);
    this.tenant = o.tenant;
    this.platform = o.platform;
    this.udid = o.udid ?? (o.platform === 'macos' ? randomUUID().toUpperCase() : randomBytes(20).toString('hex'));
    this.serial = o.serial ?? `SIM${randomBytes(5).toString('hex').toUpperCase()}`;
    this.deviceName = o.deviceName ?? (o.platform === 'macos' ? 'Simulated Mac' : 'Simulated iPhone');
    this.osVersion = o.osVersion ?? (o.platform === 'macos' ? MAC_FACTS : IOS_FACTS).OSVersion;
    this.doFetch = o.fetch ?? fetch;
    this.appCatalog = o.appCatalog ?? {};
    // Only iOS sends an UnlockToken, and only with the passcode-removal access right.
    this.unlockToken = o.platform === 'ios' && o.sendsUnlockToken !== false ? randomBytes(64) : undefined;
  }

  /** APNs token as the server stores it (lowercase hex). */
  get pushToken(): string {
    return this.token.toString('hex');
  }
  get pushMagic(): string {
    return this.magic;
  }
  get topic(): string | undefined {
    return this.topicValue;
  }
  get unlockTokenBytes(): Buffer | undefined {
    return this.unlockToken;
  }
  /** PEM of the identity certificate from the enrollment profile. */
  get identityCertPem(): string | undefined {
    return this.identity?.certPem;
  }
  /** PEM of the identity's private key (tests that forge or tamper with signed requests). */
  get identityKeyPem(): string | undefined {
    return this.identity?.keyPem;
  }
  get enrollmentProfileIdentifier(): string {
    return this.enrollmentProfile?.identifier ?? enrollmentProfileIdentifier(this.tenant);
  }

  // ---- HTTP ----

  private route(url: string): string {
    const u = new URL(url, this.baseUrl);
    if (u.origin === this.baseUrl.origin) return u.toString();
    return new URL(u.pathname + u.search, this.baseUrl.origin).toString();
  }

  private async put(url: string, contentType: string, dict: Dict): Promise<HttpReply> {
    if (this.offline) throw new Error(`device ${this.udid} is offline`);
    if (!this.identity) throw new Error(`device ${this.udid} is not enrolled`);
    const body = Buffer.from(buildPlist(dict), 'utf8');
    const res = await this.doFetch(this.route(url), {
      method: 'PUT',
      headers: {
        'Content-Type': contentType,
        'Mdm-Signature': signMdmMessage(body, this.identity.certPem, this.identity.keyPem),
        'User-Agent': this.platform === 'macos' ? 'MDM-OSX/1.0 mdmclient/1.0' : 'MDM/1.0',
      },
      body,
    });
    const reply = { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
    this.lastHttpStatus = reply.status;
    return reply;
  }

  private async checkin(dict: Dict): Promise<HttpReply> {
    const reply = await this.put(this.checkInUrl ?? this.serverUrl!, CHECKIN_CONTENT_TYPE, {
      ...dict,
      Topic: this.topicValue,
      UDID: this.udid,
    });
    this.log.push({ kind: 'checkin', messageType: String(dict.MessageType), httpStatus: reply.status });
    return reply;
  }

  // ---- Enrollment and check-in ----

  /** Downloads and "installs" the enrollment profile: takes the identity and the MDM settings. */
  async enroll(profileUrl: string): Promise<Dict> {
    if (this.offline) throw new Error(`device ${this.udid} is offline`);
    const res = await this.doFetch(this.route(profileUrl), { method: 'GET' });
    const body = Buffer.from(await res.arrayBuffer());
    this.lastHttpStatus = res.status;
    if (res.status !== 200)
      throw new Error(`enrollment profile download failed: HTTP ${res.status} ${body.toString('utf8').slice(0, 200)}`);
    this.installEnrollmentProfile(body);
    if (this.pendingScep) await this.obtainIdentity();
    return profileBytesToDict(body);
  }

  /** True when the installed profile asks for a SCEP identity the device does not have yet. */
  get needsScepIdentity(): boolean {
    return this.pendingScep !== undefined && this.identity === undefined;
  }

  /** The SCEP client of the installed profile (its `last` exchange lets a test look at the CertRep). */
  get scep(): ScepClient {
    if (!this.pendingScep) throw new Error('the enrollment profile has no SCEP payload');
    this.scepClient ??= new ScepClient({
      url: this.route(this.pendingScep.url),
      fetch: this.doFetch,
      keySize: this.pendingScep.keySize,
    });
    return this.scepClient;
  }

  /** SCEP PKCSReq with the profile's challenge: the device's own key, the tenant CA's certificate. */
  async obtainIdentity(): Promise<void> {
    if (this.offline) throw new Error(`device ${this.udid} is offline`);
    const scep = this.pendingScep;
    if (!scep) throw new Error('the enrollment profile has no SCEP payload');
    this.identity = await this.scep.enroll(scep.challenge, scep.subjectCn);
  }

  /** SCEP RenewalReq signed with the current identity: a new key and certificate, same device. */
  async renewIdentity(): Promise<void> {
    if (!this.identity) throw new Error(`device ${this.udid} has no identity to renew`);
    this.identity = await this.scep.renew(this.identity);
  }

  /**
   * Uses another device's identity (fleet tests with signatures off, and impostor tests), or an
   * identity given as PEMs (a replaced certificate, in renewal tests).
   */
  adoptIdentityOf(other: SimulatedAppleDevice | { certPem: string; keyPem: string }): void {
    this.identity = other instanceof SimulatedAppleDevice ? other.identity : other;
  }

  /** Installs an enrollment profile given as bytes (what enroll() does after the download). */
  installEnrollmentProfile(bytes: Buffer): void {
    const profile = profileBytesToDict(bytes);
    const payloads = (Array.isArray(profile.PayloadContent) ? profile.PayloadContent : []) as Dict[];
    const mdm = payloads.find((p) => p.PayloadType === 'com.apple.mdm');
    if (!mdm) throw new Error('enrollment profile has no com.apple.mdm payload');
    const idPayload = payloads.find((p) => p.PayloadUUID === mdm.IdentityCertificateUUID);
    this.identity = undefined;
    this.pendingScep = undefined;
    if (idPayload?.PayloadType === 'com.apple.security.scep') {
      // The device makes its own key and asks the SCEP service for a certificate (enroll(), obtainIdentity()).
      this.pendingScep = this.scepSettingsOf(idPayload);
    } else if (idPayload?.PayloadType === 'com.apple.security.pkcs12' && Buffer.isBuffer(idPayload.PayloadContent)) {
      this.identity = identityFromP12(
        idPayload.PayloadContent,
        typeof idPayload.Password === 'string' ? idPayload.Password : '',
      );
    } else {
      throw new Error('enrollment profile has no SCEP or PKCS#12 identity payload matching IdentityCertificateUUID');
    }
    this.serverUrl = String(mdm.ServerURL);
    this.checkInUrl = typeof mdm.CheckInURL === 'string' ? mdm.CheckInURL : undefined;
    this.topicValue = String(mdm.Topic);
    this.enrollmentProfile = summarizeProfile(profile);
    this.enrolled = true;
  }

  private scepSettingsOf(payload: Dict): ScepSettings {
    const c = (payload.PayloadContent ?? {}) as Dict;
    const subject = Array.isArray(c.Subject)
      ? (c.Subject as string[][][]).flat().find((rdn) => rdn[0] === 'CN')
      : undefined;
    return {
      url: String(c.URL),
      challenge: String(c.Challenge ?? ''),
      subjectCn: subject?.[1] ?? this.udid,
      keySize: typeof c.Keysize === 'number' ? c.Keysize : 2048,
    };
  }

  /**
   * What an InstallProfile of the installed MDM profile's identifier may change: only the identity,
   * by a SCEP payload (same server, same topic), as iOS and macOS allow. Undefined when it may not.
   */
  private identityReplacementOf(profile: Dict): ScepSettings | undefined {
    const payloads = (Array.isArray(profile.PayloadContent) ? profile.PayloadContent : []) as Dict[];
    const mdm = payloads.find((p) => p.PayloadType === 'com.apple.mdm');
    if (!mdm || mdm.ServerURL !== this.serverUrl || mdm.Topic !== this.topicValue) return undefined;
    const idPayload = payloads.find((p) => p.PayloadUUID === mdm.IdentityCertificateUUID);
    return idPayload?.PayloadType === 'com.apple.security.scep' ? this.scepSettingsOf(idPayload) : undefined;
  }

  /** A PKCSReq with the new profile's challenge (a new key, self-signed as on first enrollment); then it is the identity. */
  private async replaceIdentity(settings: ScepSettings): Promise<void> {
    const client = new ScepClient({ url: this.route(settings.url), fetch: this.doFetch, keySize: settings.keySize });
    this.scepClient = client;
    this.pendingScep = settings;
    this.identity = await client.enroll(settings.challenge, settings.subjectCn);
  }

  async authenticate(): Promise<HttpReply> {
    const facts = this.platform === 'macos' ? MAC_FACTS : IOS_FACTS;
    const dict: Dict = {
      MessageType: 'Authenticate',
      SerialNumber: this.serial,
      ProductName: facts.ProductName,
      OSVersion: this.osVersion,
      BuildVersion: facts.BuildVersion,
      DeviceName: this.deviceName,
      Model: facts.Model,
      ModelName: facts.ModelName,
    };
    return this.checkin(dict);
  }

  /** Sends TokenUpdate; `rotate` makes a new push token and PushMagic first. */
  async tokenUpdate(rotate = false): Promise<HttpReply> {
    if (rotate) {
      this.token = randomBytes(32);
      this.magic = randomUUID();
    }
    return this.checkin({
      MessageType: 'TokenUpdate',
      Token: this.token,
      PushMagic: this.magic,
      UnlockToken: this.unlockToken,
      AwaitingConfiguration: false,
      NotOnConsole: false,
    });
  }

  async checkOut(): Promise<HttpReply> {
    const reply = await this.checkin({ MessageType: 'CheckOut' });
    this.enrolled = false;
    return reply;
  }

  /** Enroll + Authenticate + TokenUpdate, throwing unless each answer is 200. */
  async enrollFully(profileUrl: string): Promise<void> {
    await this.enroll(profileUrl);
    for (const step of [() => this.authenticate(), () => this.tokenUpdate()]) {
      const r = await step();
      if (r.status !== 200)
        throw new Error(`check-in failed: HTTP ${r.status} ${r.body.toString('utf8').slice(0, 200)}`);
    }
  }

  // ---- Command loop ----

  /** Sends one status report as it is (UDID added), e.g. a repeated result; returns the raw reply. */
  async connect(dict: Dict): Promise<HttpReply> {
    return this.report(dict, undefined);
  }

  private async report(dict: Dict, requestType?: string): Promise<HttpReply> {
    const reply = await this.put(this.serverUrl!, `${CONNECT_CONTENT_TYPE}; charset=UTF-8`, {
      UDID: this.udid,
      ...dict,
    });
    this.log.push({
      kind: 'report',
      status: String(dict.Status),
      commandUuid: typeof dict.CommandUUID === 'string' ? dict.CommandUUID : undefined,
      requestType,
      httpStatus: reply.status,
    });
    return reply;
  }

  /**
   * What a device does after a push: Idle, then answer each command until the server sends a
   * zero-length body (or anything but 200). Returns the commands received, in order.
   */
  async poll(): Promise<ReceivedCommand[]> {
    if (this.offline || !this.enrolled) return [];
    const received: ReceivedCommand[] = [];
    let reply = await this.report({ Status: 'Idle' });
    while (reply.status === 200 && reply.body.length > 0) {
      if (received.length >= MAX_COMMANDS_PER_POLL)
        throw new Error(`server sent more than ${MAX_COMMANDS_PER_POLL} commands in one session`);
      let envelope: Dict;
      try {
        envelope = parsePlist(reply.body);
      } catch {
        envelope = {};
      }
      const answer = this.answerCommand(envelope);
      const { after } = answer;
      let { report } = answer;
      if (answer.renewIdentity) {
        try {
          await this.replaceIdentity(answer.renewIdentity);
        } catch (err) {
          // The old identity stays: the profile was not installed.
          report = {
            CommandUUID: report.CommandUUID,
            ...errorReport(22013, 'MCSCEPErrorDomain', `The SCEP server returned an error: ${(err as Error).message}`),
          };
        }
      }
      const command = (
        typeof envelope.Command === 'object' && envelope.Command !== null ? envelope.Command : {}
      ) as Dict;
      const requestType = typeof command.RequestType === 'string' ? command.RequestType : '';
      received.push({
        commandUuid: String(envelope.CommandUUID ?? ''),
        requestType,
        command,
        status: String(report.Status),
      });
      reply = await this.report(report, requestType || undefined);
      if (after === 'unenroll') {
        // The MDM profile is gone: the device stops talking and sends its one CheckOut.
        await this.checkOut();
        this.forgetEnrollment();
        break;
      }
      if (after === 'wipe') {
        this.wipe();
        break;
      }
    }
    return received;
  }

  private forgetEnrollment(): void {
    this.enrolled = false;
    this.identity = undefined;
    this.enrollmentProfile = undefined;
  }

  /** Erase: every profile, app and book is gone; the device is no longer enrolled (no CheckOut). */
  wipe(): void {
    this.profiles.clear();
    this.apps.clear();
    this.books.clear();
    this.lostMode = false;
    this.locked = false;
    this.forgetEnrollment();
  }

  /** The pure part: the report for one command envelope, with the state change applied. */
  answerCommand(envelope: Dict): CommandAnswer {
    const uuid = envelope.CommandUUID;
    const command = envelope.Command as Dict | undefined;
    if (
      typeof uuid !== 'string' ||
      !uuid ||
      typeof command !== 'object' ||
      command === null ||
      typeof command.RequestType !== 'string'
    ) {
      return { report: { CommandUUID: typeof uuid === 'string' ? uuid : '', Status: 'CommandFormatError' } };
    }
    const requestType = command.RequestType;
    const base = { CommandUUID: uuid };
    if (this.locked && needsUnlock(requestType)) return { report: { ...base, Status: 'NotNow' } };
    const ack = (extra: Dict = {}): CommandAnswer => ({ report: { ...base, Status: 'Acknowledged', ...extra } });
    const fail = (code: number, domain: string, message: string): CommandAnswer => ({
      report: { ...base, ...errorReport(code, domain, message) },
    });

    switch (requestType) {
      case 'DeviceInformation': {
        const facts = this.deviceFacts();
        const queries = Array.isArray(command.Queries)
          ? (command.Queries as unknown[]).filter((q): q is string => typeof q === 'string')
          : Object.keys(facts);
        const responses: Dict = {};
        // Queries the device cannot answer are dropped silently, as real devices do.
        for (const q of queries) if (facts[q] !== undefined) responses[q] = facts[q];
        return ack({ QueryResponses: responses });
      }
      case 'SecurityInfo':
        return ack({
          SecurityInfo: {
            HardwareEncryptionCaps: 3,
            PasscodePresent: this.passcodeSet,
            PasscodeCompliant: true,
            PasscodeCompliantWithProfiles: true,
            PasscodeLockGracePeriodEnforced: 0,
          },
        });
      case 'ProfileList':
        return ack({ ProfileList: this.installedProfiles().map(profileListItem) });
      case 'InstalledApplicationList': {
        const only = Array.isArray(command.Identifiers) ? new Set(command.Identifiers as string[]) : undefined;
        // iOS 14+ answers only the keys `Items` names (and Identifier); macOS ignores `Items`.
        const keys =
          Array.isArray(command.Items) && this.platform !== 'macos'
            ? new Set(['Identifier', ...command.Items])
            : undefined;
        const list = [...this.apps.values()]
          .filter((a) => (!only || only.has(a.identifier)) && (!command.ManagedAppsOnly || a.managed))
          .map((a) => {
            const item: Record<string, unknown> = {
              Identifier: a.identifier,
              Name: a.name,
              Version: a.version,
              ShortVersion: a.version,
              BundleSize: 1_000_000,
              DynamicSize: 0,
              Installing: false,
              IsValidated: true,
            };
            return keys ? Object.fromEntries(Object.entries(item).filter(([k]) => keys.has(k))) : item;
          });
        return ack({ InstalledApplicationList: list });
      }
      case 'ManagedApplicationList': {
        const only = Array.isArray(command.Identifiers) ? new Set(command.Identifiers as string[]) : undefined;
        const out: Dict = {};
        for (const a of this.apps.values()) {
          if (!a.managed || (only && !only.has(a.identifier))) continue;
          out[a.identifier] = {
            Status: 'Managed',
            ManagementFlags: a.managementFlags,
            HasConfiguration: false,
            HasFeedback: false,
            IsValidated: true,
          };
        }
        return ack({ ManagedApplicationList: out });
      }
      case 'ManagedMediaList':
        return ack({
          Books: [...this.books.values()].map((b) => ({
            PersistentID: b.persistentId,
            Kind: b.kind,
            Version: b.version,
            Title: b.title,
            iTunesStoreID: b.iTunesStoreID,
            State: 'Installed',
          })),
        });
      case 'CertificateList': {
        const list: Dict[] = [];
        if (this.identity) {
          const cert = new X509Certificate(this.identity.certPem);
          const cn = /CN=([^\n]+)/.exec(cert.subject)?.[1] ?? '';
          list.push({ CommonName: cn, Data: Buffer.from(cert.raw), IsIdentity: true });
        }
        return ack({ CertificateList: list });
      }
      case 'InstallProfile': {
        if (!Buffer.isBuffer(command.Payload)) return fail(1000, 'MCProfileErrorDomain', 'The profile is missing.');
        let dict: Dict;
        try {
          dict = profileBytesToDict(command.Payload);
        } catch {
          return fail(1000, 'MCProfileErrorDomain', 'The profile could not be read.');
        }
        if (this.failProfileInstall === 4027) {
          return fail(4027, 'MCInstallationErrorDomain', 'The profile requires a passcode change.');
        }
        const p = summarizeProfile(dict);
        if (!p.identifier || !p.uuid)
          return fail(1002, 'MCProfileErrorDomain', 'The profile is missing a required field.');
        if (p.identifier === this.enrollmentProfileIdentifier) {
          const renewIdentity = this.identityReplacementOf(dict);
          if (!renewIdentity) return fail(4010, 'MCInstallationErrorDomain', 'Cannot replace the MDM profile.');
          this.enrollmentProfile = p;
          return { ...ack(), renewIdentity };
        }
        this.profiles.set(p.identifier, p);
        return ack();
      }
      case 'RemoveProfile': {
        const id = command.Identifier;
        if (typeof id !== 'string') return { report: { ...base, Status: 'CommandFormatError' } };
        if (this.enrolled && id === this.enrollmentProfileIdentifier) return { ...ack(), after: 'unenroll' };
        if (!this.profiles.delete(id)) return fail(12075, 'MCMDMErrorDomain', `The profile "${id}" is not installed.`);
        return ack();
      }
      case 'InstallApplication': {
        const key =
          command.iTunesStoreID !== undefined
            ? String(command.iTunesStoreID)
            : typeof command.ManifestURL === 'string'
              ? command.ManifestURL
              : String(command.Identifier ?? '');
        if (!key) return { report: { ...base, Status: 'CommandFormatError' } };
        const entry = this.appCatalog[key] ?? {
          identifier:
            typeof command.Identifier === 'string'
              ? command.Identifier
              : `sim.app.${key.replace(/[^A-Za-z0-9]+/g, '-')}`,
        };
        const existing = this.apps.get(entry.identifier);
        this.apps.set(entry.identifier, {
          identifier: entry.identifier,
          version: entry.version ?? existing?.version ?? '1.0',
          name: entry.name ?? existing?.name ?? entry.identifier,
          managed: true,
          managementFlags: typeof command.ManagementFlags === 'number' ? command.ManagementFlags : 0,
        });
        return ack({ Identifier: entry.identifier, State: 'Managed' });
      }
      case 'RemoveApplication': {
        if (typeof command.Identifier !== 'string') return { report: { ...base, Status: 'CommandFormatError' } };
        this.apps.delete(command.Identifier);
        return ack();
      }
      case 'InstallMedia': {
        const id =
          typeof command.PersistentID === 'string'
            ? command.PersistentID
            : command.iTunesStoreID !== undefined
              ? String(command.iTunesStoreID)
              : undefined;
        if (!id) return { report: { ...base, Status: 'CommandFormatError' } };
        this.books.set(id, {
          persistentId: id,
          version: typeof command.Version === 'string' ? command.Version : '1',
          title: typeof command.Title === 'string' ? command.Title : undefined,
          kind: typeof command.Kind === 'string' ? command.Kind : undefined,
          iTunesStoreID: typeof command.iTunesStoreID === 'number' ? command.iTunesStoreID : undefined,
        });
        return ack({ State: 'Installed' });
      }
      case 'RemoveMedia': {
        // Acknowledged even when the book is not there (Apple documents this).
        const id =
          typeof command.PersistentID === 'string' ? command.PersistentID : String(command.iTunesStoreID ?? '');
        this.books.delete(id);
        return ack();
      }
      case 'DeviceLock':
        if (!this.passcodeSet) return ack({ MessageResult: 'NoPasscodeSet' });
        // The screen is locked now; data protection holds back unlock-only commands until the user unlocks.
        this.locked = true;
        return ack();
      case 'ClearPasscode':
        if (
          !this.unlockToken ||
          !Buffer.isBuffer(command.UnlockToken) ||
          !command.UnlockToken.equals(this.unlockToken)
        ) {
          return fail(5013, 'MCPasscodeErrorDomain', 'The passcode could not be cleared.');
        }
        this.passcodeSet = false;
        this.locked = false;
        return ack();
      case 'RestartDevice':
        return ack();
      case 'EraseDevice':
        return { ...ack(), after: 'wipe' };
      case 'EnableLostMode':
        this.lostMode = true;
        return ack();
      case 'DisableLostMode':
        this.lostMode = false;
        return ack();
      default:
        return fail(12021, 'MCMDMErrorDomain', `Invalid request type: ${requestType}`);
    }
  }

  /** Profiles as ProfileList reports them: the enrollment profile first. */
  installedProfiles(): SimProfile[] {
    return [...(this.enrolled && this.enrollmentProfile ? [this.enrollmentProfile] : []), ...this.profiles.values()];
  }

  deviceFacts(): Dict {
    const facts = this.platform === 'macos' ? MAC_FACTS : IOS_FACTS;
    const f: Dict = {
      UDID: this.udid,
      DeviceName: this.deviceName,
      OSVersion: this.osVersion,
      BuildVersion: facts.BuildVersion,
      ModelName: facts.ModelName,
      Model: facts.Model,
      ProductName: facts.ProductName,
      SerialNumber: this.serial,
      IsSupervised: this.supervised,
      IsMDMLostModeEnabled: this.lostMode,
      IsActivationLockEnabled: false,
      IsDeviceLocatorServiceEnabled: true,
      DeviceCapacity: 119.2,
      AvailableDeviceCapacity: 64.5,
      BatteryLevel: 0.8,
      WiFiMAC: '00:00:00:00:00:00',
      BluetoothMAC: '00:00:00:00:00:00',
    };
    if (this.platform === 'macos')
      Object.assign(f, { HostName: this.deviceName, LocalHostName: this.deviceName.replace(/\s+/g, '-') });
    return f;
  }
}

function summarizeProfile(dict: Dict): SimProfile {
  const payloads = (Array.isArray(dict.PayloadContent) ? dict.PayloadContent : []) as Dict[];
  return {
    identifier: String(dict.PayloadIdentifier ?? ''),
    uuid: String(dict.PayloadUUID ?? ''),
    displayName: typeof dict.PayloadDisplayName === 'string' ? dict.PayloadDisplayName : undefined,
    payloads: payloads.map((p) => ({
      PayloadType: String(p.PayloadType ?? ''),
      PayloadIdentifier: String(p.PayloadIdentifier ?? ''),
      PayloadUUID: String(p.PayloadUUID ?? ''),
      PayloadVersion: typeof p.PayloadVersion === 'number' ? p.PayloadVersion : 1,
    })),
  };
}

/** A ProfileList item shaped like the captures (iOS 17+ style, inner PayloadUUIDs included). */
function profileListItem(p: SimProfile): Dict {
  return {
    PayloadIdentifier: p.identifier,
    PayloadUUID: p.uuid,
    PayloadVersion: 1,
    PayloadDisplayName: p.displayName,
    IsEncrypted: false,
    HasRemovalPasscode: false,
    PayloadRemovalDisallowed: false,
    IsManaged: true,
    PayloadContent: p.payloads,
  };
}

function identityFromP12(p12: Buffer, password: string): { certPem: string; keyPem: string } {
  const parsed = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(p12.toString('binary')), password);
  const keyBags =
    parsed.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag] ?? [];
  const certBags = parsed.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? [];
  const key = keyBags[0]?.key;
  const cert = certBags[0]?.cert;
  if (!key || !cert) throw new Error('PKCS#12 has no key or no certificate');
  return { certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(key) };
}
