// The product's vocabulary (docs/api.md §Names and states). Pure types and constants: no I/O here.

export const SYNC_STATES = [
  'Sync-Required',
  'Sync-Requested',
  'Not-Synchronized',
  'Synchronized',
  'Not-Responding',
] as const;
export type SyncState = (typeof SYNC_STATES)[number];

export const REGISTRATION_STATES = ['Awaiting-Check-In', 'Checked-In', 'Expired', 'Withdrawn'] as const;
export type RegistrationState = (typeof REGISTRATION_STATES)[number];

export const WITHDRAWAL_REASONS = ['checked-out', 'wiped', 'unenrolled', 're-enrolled', 'retired'] as const;
export type WithdrawalReason = (typeof WITHDRAWAL_REASONS)[number];

/** A device's platform. Enrollments say `ios` for any Apple device; Authenticate tells iOS from macOS. */
export const PLATFORMS = ['ios', 'macos', 'android'] as const;
export type Platform = (typeof PLATFORMS)[number];
export const ENROLLMENT_PLATFORMS = ['ios', 'android'] as const;
export type EnrollmentPlatform = (typeof ENROLLMENT_PLATFORMS)[number];

export const ADMIN_COMMAND_TYPES = [
  'Sync',
  'Lock',
  'Restart',
  'Wipe',
  'SelectiveWipe',
  'ClearPasscode',
  'Unenroll',
  'AdminLock',
  'AdminUnlock',
] as const;
export type AdminCommandType = (typeof ADMIN_COMMAND_TYPES)[number];

/** Admin command types that expand into several device commands: their answer is an operation to follow. */
export const EXPANDING_COMMAND_TYPES = ['Sync', 'SelectiveWipe'] as const satisfies readonly AdminCommandType[];

/** What a bulk command may do: any admin command, or retire the devices (DELETE /admin/v1/devices/{id} for each). */
export const BULK_COMMAND_TYPES = [...ADMIN_COMMAND_TYPES, 'Retire'] as const;
export type BulkCommandType = (typeof BULK_COMMAND_TYPES)[number];

export const COMMAND_STATUSES = ['Queued', 'Sent', 'NotNow', 'Acknowledged', 'Error'] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

export const LOG_TYPES = ['alarm', 'event', 'command'] as const;
export type LogType = (typeof LOG_TYPES)[number];
export const SEVERITIES = ['critical', 'major', 'minor', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];
export type AlarmSeverity = Exclude<Severity, 'info'>;

export const ROLES = ['admin', 'viewer', 'operator'] as const;
export type Role = (typeof ROLES)[number];

/** Logs live 90 days (docs/api.md §Names and states). */
export const LOG_RETENTION_SECONDS = 90 * 24 * 3600;

export interface Tenant {
  id: string;
  name: string;
  createdAt: string;
  /** Pushes per minute for this tenant; undefined = the deployment default. */
  pushCapPerMinute?: number;
  /** APNs push certificate facts (the key itself lives in the secret store). */
  apns?: { topic: string; notAfter: string; uploadedAt: string; invalidSince?: string };
  fcm?: { projectId: string; uploadedAt: string; invalidSince?: string };
  /** The last push outcome per push service, recorded at most once a minute (GET /admin/v1/push). */
  apnsLastPush?: PushOutcomeRecord;
  fcmLastPush?: PushOutcomeRecord;
  /** The certificate that signs enrollment profiles (its key lives in the secret store). */
  signing?: { subject: string; notAfter: string; uploadedAt: string };
  /** Device CA certificate (PEM, public). Its key lives in the secret store. */
  caCertificatePem?: string;
  /** Require a valid Mdm-Signature on every Apple device request (default true). */
  requireSignature?: boolean;
  /**
   * How an Apple device gets its identity (docs/apple.md §SCEP): `scep` (the default) the device
   * makes its key and the tenant CA signs its request; `pkcs12` the server makes key and
   * certificate and ships them inside the enrollment profile.
   */
  appleIdentity?: AppleIdentityMethod;
  /** Lifetime of the device certificates the tenant CA issues, in days (default 730). */
  deviceCertificateDays?: number;
}

export const PUSH_OUTCOMES = ['sent', 'failed', 'credential-error'] as const;
export type PushOutcomeKind = (typeof PUSH_OUTCOMES)[number];
export interface PushOutcomeRecord {
  at: string;
  outcome: PushOutcomeKind;
}

export const APPLE_IDENTITY_METHODS = ['scep', 'pkcs12'] as const;
export type AppleIdentityMethod = (typeof APPLE_IDENTITY_METHODS)[number];

export interface ApiKey {
  id: string;
  /** undefined for operator keys. */
  tenantId?: string;
  name: string;
  role: Role;
  hash: string;
  createdAt: string;
  lastUsedAt?: string;
}

export type TemplateItem =
  | { kind: 'profile'; identifier: string; payload?: string; policy?: Record<string, unknown>; name?: string }
  | { kind: 'app'; identifier: string; version?: string; source?: string }
  | { kind: 'book'; identifier: string; url?: string };

export interface Template {
  tenantId: string;
  id: string;
  name: string;
  items: TemplateItem[];
  prohibitedApps: string[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface Enrollment {
  tenantId: string;
  /** sha256 of the token; the token itself is shown once. */
  tokenHash: string;
  platform: EnrollmentPlatform;
  name?: string;
  templateId?: string;
  createdAt: string;
  expiresAt: string;
  usedAt?: string;
  deviceId?: string;
  /** The pending device record shown as Awaiting-Check-In until a device enrolls with this token. */
  pendingDeviceId?: string;
}

/** What the device reported about itself; the diff compares this with the template. */
export interface Inventory {
  profiles?: Array<{ identifier: string; uuid?: string; hash?: string; managed?: boolean }>;
  apps?: Array<{ identifier: string; version?: string; managed?: boolean }>;
  books?: Array<{ identifier: string; version?: string }>;
  locked?: boolean;
  passcodeSet?: boolean;
  osVersion?: string;
  readAt?: string;
}

export interface Device {
  tenantId: string;
  id: string;
  platform: Platform;
  name?: string;
  model?: string;
  osVersion?: string;
  serialNumber?: string;
  templateId?: string;
  /** The template version the last sync planned against. */
  templateVersion?: number;
  syncState: SyncState;
  registrationState: RegistrationState;
  withdrawalReason?: WithdrawalReason;
  lastPushAt?: string;
  lastSeenAt?: string;
  lastUnlockedSeenAt?: string;
  lastSyncedAt?: string;
  /** The first push the device has not answered yet (the Not-Responding clock); unset when it answered. */
  awaitingAnswerSince?: string;
  /** Profiles the server itself installed (identifier + content hash): only these are ever removed. */
  deliveredProfiles?: Array<{ identifier: string; hash: string }>;
  /** Newest NotNow of the current device session: while set, work that needs an unlock is held back. */
  lastNotNowAt?: string;
  /** The current sync has sent its commands and is waiting for them to finish before the read-back. */
  syncPhase?: 'inventory' | 'applying' | 'verifying';
  /** The admin operation (GET /admin/v1/commands/{id}) the current sync belongs to: its commands carry that id. */
  syncOperationId?: string;
  /** The last SelectiveWipe (docs/sync.md §SelectiveWipe): when, which template it unassigned, what it removed. */
  selectiveWipe?: { at: string; operationId: string; templateId?: string; removed: string[] };
  /** When the current sync was requested, and by whom (admin, template-change, resync, enrollment). */
  syncRequestedAt?: string;
  syncRequestedBy?: string;
  checkedInAt?: string;
  checkInAddress?: string;
  userAgent?: string;
  accessRights?: string;
  identityCertNotAfter?: string;
  /** sha256 of the identity certificate bound at Authenticate (Apple). */
  identityCertHash?: string;
  adminLocked: boolean;
  supervised?: boolean;
  prohibitedApps: string[];
  pendingCommands: Partial<Record<AdminCommandType, number>>;
  inventory?: Inventory;
  /** Push addressing: Apple token (hex) + PushMagic, or the FCM token. */
  push?: { token: string; magic?: string; dead?: boolean; deadSince?: string };
  /** sha256 of the Android bearer token. */
  deviceTokenHash?: string;
  enrolledVia?: string;
  /** Set on the record an enrollment creates before any device used it: it expires with the token. */
  pendingEnrollmentExpiresAt?: string;
  createdAt: string;
  updatedAt: string;
  /** Optimistic-concurrency version: every write checks it and bumps it. */
  rev: number;
}

export interface Command {
  tenantId: string;
  deviceId: string;
  /** Also the Apple CommandUUID. Time-ordered, so the queue sorts by it. */
  id: string;
  /** Apple RequestType or Android command type. */
  requestType: string;
  /** The admin command this came from, when an admin sent it. */
  adminType?: AdminCommandType;
  /** The admin operation that produced it (a Sync or SelectiveWipe of one device), for GET /admin/v1/commands/{id}. */
  operationId?: string;
  /** Why it was queued: `sync`, `admin`, `verify`, `renewal` (the device's identity, docs/apple.md §Renewal). */
  origin: 'sync' | 'admin' | 'verify' | 'renewal';
  /** Lower runs first: admin commands (0) before sync work (5). */
  priority: number;
  /** Platform payload (Apple command dict / Android payload). Secrets are sealed, see `sealed`. */
  payload: Record<string, unknown>;
  /** The sync action this command carries out (for de-duplication and delivered-profile tracking). */
  action?: { action: string; identifier: string; hash?: string; version?: string };
  /** Encrypted secret params (PIN, passcode) until the command is handed out; then erased. */
  sealed?: string;
  /** The sealed secret was handed out and erased: this command cannot be re-sent. */
  secretErased?: boolean;
  status: CommandStatus;
  /** Runs only while the device is unlocked (Apple data protection). */
  needsUnlock: boolean;
  attempts: number;
  notNowCount: number;
  createdAt: string;
  updatedAt: string;
  sentAt?: string;
  result?: Record<string, unknown>;
  error?: CommandError[];
}

export interface CommandError {
  code: number | string;
  domain: string;
  message: string;
}

export interface LogItem {
  tenantId: string;
  id: string;
  type: LogType;
  severity: Severity;
  at: string;
  deviceId?: string;
  /** Short machine-readable name: e.g. `sync-state`, `push-sent`, `job-run`, `apns-certificate`. */
  event: string;
  message: string;
  data?: Record<string, unknown>;
  /** Epoch seconds: created + 90 days. */
  expiresAt: number;
}

export interface Alarm {
  tenantId: string;
  /** Stable key: one active alarm per key (`apns-certificate`, `prohibited-app#<device>`...). */
  key: string;
  severity: AlarmSeverity;
  message: string;
  deviceId?: string;
  raisedAt: string;
}

export interface Page<T> {
  items: T[];
  cursor?: string;
}

export type PushPriority = 'admin' | 'bulk';

/** A device to push, queued for the push worker. */
export interface PushRequest {
  tenantId: string;
  deviceId: string;
  priority: PushPriority;
  /** Why: admin, template-change, resync, enrollment, command. */
  reason: string;
  requestedAt: string;
}
