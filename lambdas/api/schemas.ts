// Request and response schemas (zod). They validate requests and generate the OpenAPI document,
// so the documentation cannot drift from what the server accepts.
import { z } from 'zod';
import {
  ADMIN_COMMAND_TYPES, COMMAND_STATUSES, ENROLLMENT_PLATFORMS, LOG_TYPES, PLATFORMS, REGISTRATION_STATES,
  SEVERITIES, SYNC_STATES, WITHDRAWAL_REASONS,
} from '../domain/types';

const id = z.string().min(1).max(128);
export const tenantIdSchema = z.string().regex(/^[a-z0-9-]{3,40}$/, 'a tenant id is 3 to 40 of a-z, 0-9 and -');

export const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
}).meta({ id: 'Error' });

export const templateItemSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('profile'),
    identifier: z.string().min(1).max(255),
    name: z.string().max(255).optional(),
    payload: z.base64().max(900_000).optional().describe('base64 of an Apple .mobileconfig'),
    policy: z.record(z.string(), z.unknown()).optional().describe('an Android policy (JSON object)'),
  }).refine((p) => (p.payload === undefined) !== (p.policy === undefined), {
    message: 'a profile carries exactly one of payload (Apple .mobileconfig, base64) or policy (Android JSON)',
  }),
  z.object({
    kind: z.literal('app'),
    identifier: z.string().min(1).max(255).describe('bundle id or package name'),
    version: z.string().max(64).optional().describe('minimum version (Apple) or versionCode (Android)'),
    source: z.string().max(2048).optional().describe('App Store id (itunes:<id>) or manifest / APK URL'),
  }),
  z.object({ kind: z.literal('book'), identifier: z.string().min(1).max(255), url: z.url().optional() }),
]).meta({ id: 'TemplateItem' });

export const templateInputSchema = z.object({
  name: z.string().min(1).max(200),
  items: z.array(templateItemSchema).max(500),
  prohibitedApps: z.array(z.string().min(1).max(255)).max(1000).optional(),
}).meta({ id: 'TemplateInput' });

export const templateSchema = templateInputSchema.extend({
  id,
  prohibitedApps: z.array(z.string()),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
}).meta({ id: 'Template' });

export const apiKeyInputSchema = z.object({
  name: z.string().min(1).max(200),
  role: z.enum(['admin', 'viewer']),
}).meta({ id: 'ApiKeyInput' });

export const apiKeySchema = z.object({
  id, name: z.string(), role: z.string(), createdAt: z.string(), lastUsedAt: z.string().optional(),
}).meta({ id: 'ApiKey' });

export const tenantInputSchema = z.object({ id: tenantIdSchema, name: z.string().min(1).max(200) }).meta({ id: 'TenantInput' });

export const enrollmentInputSchema = z.object({
  platform: z.enum(ENROLLMENT_PLATFORMS),
  name: z.string().max(200).optional(),
  templateId: id.optional(),
  expiresInHours: z.number().int().min(1).max(24 * 90).optional(),
}).meta({ id: 'EnrollmentInput' });

export const enrollmentSchema = z.object({
  token: z.string(),
  url: z.string(),
  expiresAt: z.string(),
  qrPayload: z.string().optional().describe('Android: JSON for a QR code (server URL, tenant, token)'),
}).meta({ id: 'Enrollment' });

export const deviceListQuerySchema = z.object({
  syncState: z.enum(SYNC_STATES).optional(),
  registrationState: z.enum(REGISTRATION_STATES).optional(),
  platform: z.enum(PLATFORMS).optional(),
  templateId: id.optional(),
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().max(2048).optional(),
});

export const deviceSchema = z.object({
  id, platform: z.enum(PLATFORMS), name: z.string().optional(), model: z.string().optional(),
  osVersion: z.string().optional(), serialNumber: z.string().optional(), templateId: z.string().optional(),
  syncState: z.enum(SYNC_STATES), registrationState: z.enum(REGISTRATION_STATES),
  withdrawalReason: z.enum(WITHDRAWAL_REASONS).optional(),
  lastPushAt: z.string().optional(), lastSeenAt: z.string().optional(), lastUnlockedSeenAt: z.string().optional(),
  lastSyncedAt: z.string().optional(), checkedInAt: z.string().optional(), checkInAddress: z.string().optional(),
  userAgent: z.string().optional(), accessRights: z.string().optional(), identityCertNotAfter: z.string().optional(),
  adminLocked: z.boolean(), prohibitedApps: z.array(z.string()),
  pendingCommands: z.record(z.string(), z.number()),
  pushTokenDead: z.boolean().optional(),
}).meta({ id: 'Device' });

export const assignTemplateSchema = z.object({ templateId: id.nullable() }).meta({ id: 'AssignTemplate' });

export const commandInputSchema = z.object({
  type: z.enum(ADMIN_COMMAND_TYPES),
  params: z.object({
    pin: z.string().regex(/^\d{6}$/, 'pin is 6 digits').optional(),
    message: z.string().max(500).optional(),
    phoneNumber: z.string().max(50).optional(),
    newPasscode: z.string().min(4).max(64).optional(),
  }).optional(),
}).meta({ id: 'CommandInput' });

export const bulkCommandInputSchema = commandInputSchema.extend({
  deviceIds: z.array(id).min(1).max(10_000).optional(),
  filter: deviceListQuerySchema.omit({ limit: true, cursor: true }).optional(),
}).refine((b) => (b.deviceIds === undefined) !== (b.filter === undefined), {
  message: 'give exactly one of deviceIds or filter',
}).meta({ id: 'BulkCommandInput' });

export const commandSchema = z.object({
  id, type: z.string(), adminType: z.string().optional(), status: z.enum(COMMAND_STATUSES),
  createdAt: z.string(), updatedAt: z.string().optional(), result: z.record(z.string(), z.unknown()).optional(),
  error: z.array(z.object({ code: z.union([z.number(), z.string()]), domain: z.string(), message: z.string() })).optional(),
}).meta({ id: 'Command' });

export const logQuerySchema = z.object({
  type: z.enum(LOG_TYPES).optional(),
  severity: z.enum(SEVERITIES).optional(),
  deviceId: id.optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(2048).optional(),
  format: z.enum(['json', 'csv']).optional(),
});

export const logItemSchema = z.object({
  id, type: z.enum(LOG_TYPES), severity: z.enum(SEVERITIES), at: z.string(), deviceId: z.string().optional(),
  event: z.string(), message: z.string(), data: z.record(z.string(), z.unknown()).optional(), expiresAt: z.number().int(),
}).meta({ id: 'LogItem' });

export const apnsInputSchema = z.object({
  certificatePem: z.string().min(1).max(20_000),
  privateKeyPem: z.string().min(1).max(20_000),
  force: z.boolean().optional().describe('replace a certificate with a different topic (every device must re-enroll)'),
}).meta({ id: 'ApnsCredentialInput' });

export const fcmInputSchema = z.object({ serviceAccountJson: z.string().min(2).max(20_000) }).meta({ id: 'FcmCredentialInput' });

export const jobNameSchema = z.enum(['resync', 'not-responding-sweep', 'reconcile-counters', 'certificate-check']);

export const androidEnrollSchema = z.object({
  enrollmentToken: z.string().min(1).max(200),
  serialNumber: z.string().min(1).max(100),
  model: z.string().max(200),
  osVersion: z.string().max(50),
  fcmToken: z.string().max(4096),
}).meta({ id: 'AndroidEnroll' });

export const androidInventorySchema = z.object({
  apps: z.array(z.object({
    packageName: z.string().max(255),
    versionCode: z.union([z.number().int(), z.string().max(64)]),
    managed: z.boolean().optional().describe('installed through the server (InstallApp); only managed apps are ever removed. Default false'),
  })).max(5000).optional(),
  policies: z.array(z.object({ id: z.string().max(255), hash: z.string().max(128) })).max(500).optional(),
  locked: z.boolean().optional(),
  passcodeSet: z.boolean().optional(),
  osVersion: z.string().max(50).optional(),
}).meta({ id: 'AndroidInventory' });

export const androidCheckinSchema = z.object({
  fcmToken: z.string().max(4096).optional(),
  inventory: androidInventorySchema.optional(),
}).meta({ id: 'AndroidCheckin' });

export const androidConnectSchema = z.object({
  status: z.enum(['Idle', 'Acknowledged', 'Error', 'NotNow']),
  commandId: z.string().max(128).optional(),
  result: z.record(z.string(), z.unknown()).optional(),
  error: z.object({ code: z.union([z.string(), z.number()]).optional(), message: z.string().max(2000).optional() }).optional(),
}).meta({ id: 'AndroidConnect' });

/** Each Android command's payload (docs/android.md); the agent answers with the command's id. */
const androidPayloads = {
  ReportInventory: z.object({}).describe('answer Acknowledged with result {inventory}'),
  ApplyPolicy: z.object({ policyId: z.string(), hash: z.string(), policy: z.record(z.string(), z.unknown()) }),
  RemovePolicy: z.object({ policyId: z.string() }),
  InstallApp: z.object({ packageName: z.string(), versionCode: z.number().int().optional(), url: z.string().optional() }),
  RemoveApp: z.object({ packageName: z.string() }),
  Lock: z.object({ message: z.string().optional() }),
  Restart: z.object({}),
  Wipe: z.object({}).describe('the device is withdrawn (reason wiped) once acknowledged'),
  ClearPasscode: z.object({ newPasscode: z.string().optional().describe('sent once, never stored or logged') }),
  Unenroll: z.object({}).describe('the device is withdrawn (reason unenrolled) once acknowledged'),
  AdminLock: z.object({ message: z.string().optional() }),
  AdminUnlock: z.object({}),
  Noop: z.object({ reason: z.string() }).describe('acknowledge it: work this platform cannot do'),
} as const;

export const ANDROID_COMMAND_TYPES = Object.keys(androidPayloads) as Array<keyof typeof androidPayloads>;

export const androidCommandSchema = z.discriminatedUnion('type', ANDROID_COMMAND_TYPES.map((type) =>
  z.object({ commandId: z.string(), type: z.literal(type), payload: androidPayloads[type] }),
) as unknown as [z.ZodObject, ...z.ZodObject[]]).meta({ id: 'AndroidCommand' });

export const dashboardSchema = z.object({
  syncStates: z.record(z.string(), z.number()),
  registrationStates: z.record(z.string(), z.number()),
  alarms: z.object({ critical: z.number(), major: z.number(), minor: z.number(), warning: z.number() }),
  adminLocked: z.object({ ios: z.number(), android: z.number() }),
  prohibitedApps: z.object({ ios: z.number(), android: z.number(), macos: z.number() }),
  pendingCommands: z.object({ ClearPasscode: z.number(), Wipe: z.number(), SelectiveWipe: z.number(), Lock: z.number() }),
  activeAlarms: z.array(z.object({ key: z.string(), severity: z.string(), message: z.string(), deviceId: z.string().optional(), raisedAt: z.string() })),
}).meta({ id: 'Dashboard' });

export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), cursor: z.string().optional() });

export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().max(2048).optional(),
});
export const emptyObjectSchema = z.object({}).meta({ id: 'Empty' });
export const androidEnrollResultSchema = z.object({ deviceId: z.string(), deviceToken: z.string() }).meta({ id: 'AndroidEnrollResult' });
export const tenantCreatedSchema = z.object({ id: z.string(), name: z.string(), adminKey: z.string() }).meta({ id: 'TenantCreated' });
export const apiKeyCreatedSchema = apiKeySchema.extend({ key: z.string().describe('shown once; only its hash is kept') }).meta({ id: 'ApiKeyCreated' });
export const commandAcceptedSchema = z.object({ commandId: z.string(), warning: z.string().optional() }).meta({ id: 'CommandAccepted' });
const bulkRefusalSchema = z.object({ deviceId: z.string(), code: z.string(), message: z.string() });
export const bulkAcceptedSchema = z.object({
  accepted: z.number().int().describe('distinct device ids accepted; 0 for a filter (the fan-out counts the devices as it lists them)'),
  commandIds: z.array(z.string()).describe('the command id of each given device, in the order given; empty for a filter and for Sync'),
  operationId: z.string().describe('GET /admin/v1/commands/{operationId} shows the progress'),
}).meta({ id: 'BulkAccepted' });
export const bulkOperationSchema = z.object({
  id: z.string(), type: z.string(), status: z.enum(['running', 'done']), target: z.enum(['deviceIds', 'filter']),
  targeted: z.number().int().describe('devices given, or found by the filter so far'),
  queued: z.number().int().describe('devices the command was queued for'),
  refused: z.number().int().describe('devices that refused it (each with a reason in refusals and in its log)'),
  refusals: z.array(bulkRefusalSchema).describe('the first 1,000 refusals'),
  createdAt: z.string(), finishedAt: z.string().optional(),
}).meta({ id: 'BulkOperation' });
export const deviceCommandsSchema = z.object({ queue: z.array(commandSchema), history: z.array(logItemSchema), cursor: z.string().optional() }).meta({ id: 'DeviceCommands' });
export const diagnosisStepSchema = z.object({
  step: z.number().int(), question: z.string(), ok: z.boolean().nullable(), evidence: z.record(z.string(), z.unknown()), advice: z.string().optional(),
});
export const diagnosisSchema = z.object({
  deviceId: z.string(), syncState: z.enum(SYNC_STATES),
  verdict: z.enum(['synchronized', 'push-not-sent', 'push-credential-invalid', 'device-unreachable', 'device-locked', 'command-errors', 'in-progress']),
  steps: z.array(diagnosisStepSchema),
  errors: z.array(z.object({ commandId: z.string(), requestType: z.string(), code: z.union([z.number(), z.string()]), domain: z.string(), message: z.string(), explanation: z.string().optional(), fix: z.string().optional() })),
}).meta({ id: 'Diagnosis' });
export const timelineSchema = z.object({
  deviceId: z.string(),
  entries: z.array(z.object({ at: z.string(), kind: z.string(), message: z.string(), data: z.record(z.string(), z.unknown()).optional() })),
}).meta({ id: 'Timeline' });
export const apnsResultSchema = z.object({ topic: z.string(), notAfter: z.string() }).meta({ id: 'ApnsResult' });
export const fcmResultSchema = z.object({ projectId: z.string() }).meta({ id: 'FcmResult' });
export const jobResultSchema = z.object({ job: z.string(), startedAt: z.string(), finishedAt: z.string(), devicesTouched: z.number().int() }).meta({ id: 'JobResult' });
