// Device → server messages: check-ins (CheckInURL) and command reports (ServerURL, "connect").
import { badRequest } from '../../domain/errors';
import { ID_RULE, isValidId } from '../../domain/identifiers';
import type { CommandError, Platform } from '../../domain/types';
import { buildPlist, parsePlist } from './plist';

export const CHECKIN_CONTENT_TYPE = 'application/x-apple-aspen-mdm-checkin';
export const CONNECT_CONTENT_TYPE = 'application/x-apple-aspen-mdm';

/** Who sent a message. Device channel unless a user id is present (macOS user, Shared iPad user). */
interface Identity {
  /** The device: UDID, or EnrollmentID for User Enrollment (BYOD), which has no UDID. */
  udid: string;
  /** True when `udid` is an EnrollmentID (User Enrollment). */
  userEnrollment: boolean;
  channel: 'device' | 'user';
  /** UserID (or EnrollmentUserID) on the user channel. */
  userId?: string;
  userShortName?: string;
  userLongName?: string;
  raw: Record<string, unknown>;
}

export interface AuthenticateMessage extends Identity {
  type: 'Authenticate';
  messageType: 'Authenticate';
  topic: string;
  serialNumber?: string;
  productName?: string;
  model?: string;
  modelName?: string;
  deviceName?: string;
  osVersion?: string;
  buildVersion?: string;
  imei?: string;
  meid?: string;
}

export interface TokenUpdateMessage extends Identity {
  type: 'TokenUpdate';
  messageType: 'TokenUpdate';
  topic: string;
  /** APNs device token as lowercase hex (what the push path takes). */
  token: string;
  pushMagic: string;
  unlockToken?: Buffer;
  awaitingConfiguration?: boolean;
}

export interface CheckOutMessage extends Identity {
  type: 'CheckOut';
  messageType: 'CheckOut';
  topic: string;
}

export interface UserAuthenticateMessage extends Identity {
  type: 'UserAuthenticate';
  messageType: 'UserAuthenticate';
  userId: string;
  /** Present on the second message of the exchange. */
  digestResponse?: string;
}

/** SetBootstrapToken, GetBootstrapToken, DeclarativeManagement, GetToken, and anything unknown. */
export interface OtherCheckinMessage extends Omit<Identity, 'udid'> {
  type: 'Other';
  messageType: string;
  udid?: string;
  topic?: string;
}

export type CheckinMessage =
  | AuthenticateMessage
  | TokenUpdateMessage
  | CheckOutMessage
  | UserAuthenticateMessage
  | OtherCheckinMessage;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

/** An id the device sends (UDID, EnrollmentID, user ids, serial, CommandUUID): absent, or one we can key by. */
function idField(d: Record<string, unknown>, key: string): string | undefined {
  const v = str(d[key]);
  if (v !== undefined && !isValidId(v)) throw badRequest(`${key} is not valid: an id is ${ID_RULE}`);
  return v;
}

function identity(d: Record<string, unknown>, required: boolean): Omit<Identity, 'udid'> & { udid?: string } {
  const udid = idField(d, 'UDID');
  const enrollmentId = idField(d, 'EnrollmentID');
  if (required && !udid && !enrollmentId) throw badRequest('message has neither UDID nor EnrollmentID');
  const userId = idField(d, 'UserID') ?? idField(d, 'EnrollmentUserID');
  return {
    udid: udid ?? enrollmentId,
    userEnrollment: !udid && !!enrollmentId,
    channel: userId ? 'user' : 'device',
    userId,
    userShortName: str(d.UserShortName),
    userLongName: str(d.UserLongName),
    raw: d,
  };
}

function requireStr(d: Record<string, unknown>, key: string): string {
  const v = str(d[key]);
  if (!v) throw badRequest(`${String(d.MessageType)} message has no ${key}`);
  return v;
}

/** Parses a check-in body. Throws 400 (MalformedPlistError / badRequest) on anything unusable. */
export function parseCheckin(body: Buffer | string): CheckinMessage {
  const d = parsePlist(body);
  const messageType = str(d.MessageType);
  if (!messageType) throw badRequest('check-in message has no MessageType');
  switch (messageType) {
    case 'Authenticate': {
      const id = identity(d, true) as Identity;
      return {
        ...id,
        type: 'Authenticate',
        messageType,
        topic: requireStr(d, 'Topic'),
        serialNumber: idField(d, 'SerialNumber'),
        productName: str(d.ProductName),
        model: str(d.Model),
        modelName: str(d.ModelName),
        deviceName: str(d.DeviceName),
        osVersion: str(d.OSVersion),
        buildVersion: str(d.BuildVersion),
        imei: str(d.IMEI),
        meid: str(d.MEID),
      };
    }
    case 'TokenUpdate': {
      const id = identity(d, true) as Identity;
      const token = d.Token;
      if (!Buffer.isBuffer(token) || token.length === 0) throw badRequest('TokenUpdate message has no Token');
      return {
        ...id,
        type: 'TokenUpdate',
        messageType,
        topic: requireStr(d, 'Topic'),
        token: token.toString('hex'),
        pushMagic: requireStr(d, 'PushMagic'),
        unlockToken: Buffer.isBuffer(d.UnlockToken) && d.UnlockToken.length > 0 ? d.UnlockToken : undefined,
        awaitingConfiguration: bool(d.AwaitingConfiguration),
      };
    }
    case 'CheckOut': {
      const id = identity(d, true) as Identity;
      return { ...id, type: 'CheckOut', messageType, topic: requireStr(d, 'Topic') };
    }
    case 'UserAuthenticate': {
      const id = identity(d, true) as Identity;
      return {
        ...id,
        type: 'UserAuthenticate',
        messageType,
        channel: 'user',
        userId: requireStr(d, 'UserID'),
        digestResponse: typeof d.DigestResponse === 'string' ? d.DigestResponse : undefined,
      };
    }
    default:
      // Get/SetBootstrapToken carry no ids in the schema; keep whatever is there.
      return { ...identity(d, false), type: 'Other', messageType, topic: str(d.Topic) };
  }
}

export interface CheckinReply {
  status: 200 | 404 | 410;
  /** May be zero-length. */
  body: Buffer;
  contentType?: string;
}

const EMPTY = Buffer.alloc(0);
const ok = (): CheckinReply => ({ status: 200, body: EMPTY });
const plistReply = (obj: Record<string, unknown>): CheckinReply => ({
  status: 200,
  body: Buffer.from(buildPlist(obj), 'utf8'),
  contentType: 'application/xml',
});
const jsonReply = (obj: unknown): CheckinReply => ({
  status: 200,
  body: Buffer.from(JSON.stringify(obj), 'utf8'),
  contentType: 'application/json',
});

/** We never send declarations: one constant token keeps the device's DDM state empty and stable. */
const DDM_EMPTY_TOKEN = 'none';

export interface CheckinReplyOptions {
  /** Manage macOS / Shared iPad user channels. Off: the server declines them (410), as nanomdm does by default. */
  acceptUserChannel?: boolean;
}

/**
 * The answer for a check-in once the service has handled any state change. Authenticate,
 * TokenUpdate, CheckOut: empty 200. UserAuthenticate: 410 (decline the user channel) unless
 * accepted, then `{DigestChallenge: ''}` and an empty 200 for the DigestResponse follow-up.
 * GetBootstrapToken: a dict without a token (none escrowed). DeclarativeManagement: an empty,
 * valid DDM answer. GetToken and unknown types: 410 (we advertise neither capability).
 */
export function checkinResponse(msg: CheckinMessage, opts: CheckinReplyOptions = {}): CheckinReply {
  switch (msg.type) {
    case 'Authenticate':
    case 'TokenUpdate':
    case 'CheckOut':
      return ok();
    case 'UserAuthenticate':
      if (!opts.acceptUserChannel) return { status: 410, body: EMPTY };
      // A zero-length challenge means "no AuthToken needed for this user".
      return msg.digestResponse === undefined ? plistReply({ DigestChallenge: '' }) : ok();
    case 'Other':
      switch (msg.messageType) {
        case 'SetBootstrapToken':
          return ok();
        case 'GetBootstrapToken':
          return plistReply({});
        case 'DeclarativeManagement': {
          const endpoint = typeof msg.raw.Endpoint === 'string' ? msg.raw.Endpoint : '';
          if (endpoint === 'tokens') {
            return jsonReply({ SyncTokens: { DeclarationsToken: DDM_EMPTY_TOKEN, Timestamp: '1970-01-01T00:00:00Z' } });
          }
          if (endpoint === 'declaration-items') {
            return jsonReply({
              Declarations: { Activations: [], Configurations: [], Assets: [], Management: [] },
              DeclarationsToken: DDM_EMPTY_TOKEN,
            });
          }
          if (endpoint === 'status') return ok();
          return { status: 404, body: EMPTY };
        }
        default:
          return { status: 410, body: EMPTY };
      }
  }
}

export const REPORT_STATUSES = ['Idle', 'Acknowledged', 'Error', 'CommandFormatError', 'NotNow'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

export interface CommandReport {
  udid: string;
  userEnrollment: boolean;
  channel: 'device' | 'user';
  userId?: string;
  status: ReportStatus;
  /** Absent on Idle. A non-Idle report without it cannot be matched: treat it as Idle. */
  commandUuid?: string;
  /** Only some OS versions echo it; key results by commandUuid. */
  requestType?: string;
  errorChain?: CommandError[];
  raw: Record<string, unknown>;
}

function errorChain(v: unknown): CommandError[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v
    .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
    .map((e) => ({
      code: typeof e.ErrorCode === 'number' || typeof e.ErrorCode === 'string' ? e.ErrorCode : -1,
      domain: str(e.ErrorDomain) ?? 'unknown',
      message: str(e.LocalizedDescription) ?? str(e.USEnglishDescription) ?? '',
    }));
}

/** Parses a connect (ServerURL) report. Throws 400 on a malformed body or unknown Status. */
export function parseCommandReport(body: Buffer | string): CommandReport {
  const d = parsePlist(body);
  const id = identity(d, true) as Identity;
  const status = d.Status;
  if (typeof status !== 'string' || !(REPORT_STATUSES as readonly string[]).includes(status)) {
    throw badRequest(`unknown report Status ${JSON.stringify(status)}`);
  }
  return {
    udid: id.udid,
    userEnrollment: id.userEnrollment,
    channel: id.channel,
    userId: id.userId,
    status: status as ReportStatus,
    commandUuid: status === 'Idle' ? undefined : idField(d, 'CommandUUID'),
    requestType: str(d.RequestType),
    errorChain: errorChain(d.ErrorChain),
    raw: d,
  };
}

const MAC_PREFIXES = /^(Mac|iMac|MacBook|Macmini|MacPro|VirtualMac|Xserve)/;
const IOS_PREFIXES = /^(iPhone|iPad|iPod|AppleTV|Watch|RealityDevice)/;

type ApplePlatform = Extract<Platform, 'ios' | 'macos'>;

/** The platform a hardware name (ProductName, Model, ModelName) names, if it is a known one. */
function platformFromHardwareName(name: string | undefined): ApplePlatform | undefined {
  if (!name) return undefined;
  if (IOS_PREFIXES.test(name)) return 'ios';
  if (MAC_PREFIXES.test(name)) return 'macos';
  return undefined;
}

/**
 * The platform OSVersion and BuildVersion name together. Apple's build numbers run in step with the
 * OS: an iOS build's major is the OS major + 4 (iOS 4–18: iOS 17.0 is 21A329) or − 3 (iOS 26 is
 * 23A…); a macOS build's is the OS major + 9 (macOS 11–15: 14.0 is 23A344), the minor + 4 (10.x:
 * 10.15 is 19A…) or − 1 (macOS 26 is 25A…). Alone, an OS major that only one of them ever had.
 */
function platformFromVersions(
  osVersion: string | undefined,
  buildVersion: string | undefined,
): ApplePlatform | undefined {
  const os = /^(\d+)(?:\.(\d+))?/.exec(osVersion ?? '');
  if (!os) return undefined;
  const major = Number(os[1]);
  const minor = Number(os[2] ?? 0);
  if (major === 10 && minor >= 4) return 'macos'; // Mac OS X 10.4–10.15; iOS 10 ended at 10.3
  const build = /^(\d+)[A-Z]/.exec(buildVersion ?? '');
  if (build) {
    const b = Number(build[1]);
    if (b === major + 4 || b === major - 3) return 'ios';
    if (b === major + 9 || b === major - 1) return 'macos';
  }
  if (major < 10 || (major >= 16 && major <= 18)) return 'ios'; // no macOS had these majors
  return undefined;
}

/**
 * iOS or macOS from everything an Authenticate carries, strongest evidence first (docs/apple.md
 * §Platform): a known hardware name (ProductName, then Model, then ModelName); the OSVersion and
 * BuildVersion pair; a cellular id (IMEI, MEID: iOS); the macOS-only keys DeviceName, Model and
 * ModelName (Apple's schema: not sent by iOS); else iOS.
 */
export function platformFromAuthenticate(msg: AuthenticateMessage): ApplePlatform {
  const named =
    platformFromHardwareName(msg.productName) ??
    platformFromHardwareName(msg.model) ??
    platformFromHardwareName(msg.modelName);
  if (named) return named;
  const versioned = platformFromVersions(msg.osVersion, msg.buildVersion);
  if (versioned) return versioned;
  if (msg.imei || msg.meid) return 'ios';
  if (msg.deviceName || msg.model || msg.modelName) return 'macos';
  return 'ios';
}
