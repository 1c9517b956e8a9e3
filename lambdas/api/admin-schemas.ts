// The admin API's request and response schemas (zod/mini, see lambdas/zod.ts); the Android agent's
// are in lambdas/protocol/android/wire.ts. They validate requests and generate the OpenAPI
// document, so the documentation cannot drift from what the server accepts. A schema registered
// with an `id` is a named component of that document.

import { EVENT_TYPES } from '../domain/events';
import { ID_MAX_LENGTH, ID_PATTERN, ID_RULE, TENANT_ID_PATTERN, TENANT_ID_RULE } from '../domain/identifiers';
import { JOB_NAMES } from '../domain/jobs';
import {
  ADMIN_COMMAND_TYPES,
  APPLE_IDENTITY_METHODS,
  BULK_COMMAND_TYPES,
  COMMAND_STATUSES,
  ENROLLMENT_PLATFORMS,
  LOG_TYPES,
  PLATFORMS,
  PUSH_OUTCOMES,
  REGISTRATION_STATES,
  SEVERITIES,
  SYNC_STATES,
  WITHDRAWAL_REASONS,
} from '../domain/types';
import * as z from '../zod';

/** Any id from outside (domain/identifiers.ts): path parameters, ids in bodies and queries, serial numbers. */
export const idSchema = z
  .string()
  .check(z.minLength(1), z.maxLength(ID_MAX_LENGTH), z.regex(ID_PATTERN, `an id is ${ID_RULE}`));
const id = idSchema;
export const tenantIdSchema = z.string().check(z.regex(TENANT_ID_PATTERN, `a tenant id is ${TENANT_ID_RULE}`));

/** A number that must be an integer: a string is "expected number", a fraction fails the int check. */
const integer = () => z.number().check(z.int());

export const templateItemSchema = z
  .discriminatedUnion('kind', [
    z
      .object({
        kind: z.literal('profile'),
        identifier: z.string().check(z.minLength(1), z.maxLength(255)),
        name: z.optional(z.string().check(z.maxLength(255))),
        payload: z
          .optional(z.base64().check(z.maxLength(900_000)))
          .register(z.globalRegistry, { description: 'base64 of an Apple .mobileconfig' }),
        policy: z
          .optional(z.record(z.string(), z.unknown()))
          .register(z.globalRegistry, { description: 'an Android policy (JSON object)' }),
      })
      .check(
        z.refine((p) => (p.payload === undefined) !== (p.policy === undefined), {
          message: 'a profile carries exactly one of payload (Apple .mobileconfig, base64) or policy (Android JSON)',
        }),
      ),
    z.object({
      kind: z.literal('app'),
      identifier: z
        .string()
        .check(z.minLength(1), z.maxLength(255))
        .register(z.globalRegistry, { description: 'bundle id or package name' }),
      version: z
        .optional(z.string().check(z.maxLength(64)))
        .register(z.globalRegistry, { description: 'minimum version (Apple) or versionCode (Android)' }),
      source: z
        .optional(z.string().check(z.maxLength(2048)))
        .register(z.globalRegistry, { description: 'App Store id (itunes:<id>) or manifest / APK URL' }),
    }),
    z.object({
      kind: z.literal('book'),
      identifier: z.string().check(z.minLength(1), z.maxLength(255)),
      url: z.optional(z.url()),
    }),
  ])
  .register(z.globalRegistry, { id: 'TemplateItem' });

export const templateInputSchema = z
  .object({
    name: z.string().check(z.minLength(1), z.maxLength(200)),
    items: z.array(templateItemSchema).check(z.maxLength(500)),
    prohibitedApps: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(255))).check(z.maxLength(1000))),
  })
  .register(z.globalRegistry, { id: 'TemplateInput' });

export const templateSchema = z
  .extend(templateInputSchema, {
    id,
    prohibitedApps: z.array(z.string()),
    version: integer(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .register(z.globalRegistry, { id: 'Template' });
export const templateChangedSchema = z
  .extend(templateSchema, {
    syncOperationId: z.string().register(z.globalRegistry, {
      description: 'the fan-out that re-syncs the devices using the template: GET /admin/v1/commands/{syncOperationId}',
    }),
  })
  .register(z.globalRegistry, { id: 'TemplateChanged' });

export const apiKeyInputSchema = z
  .object({
    name: z.string().check(z.minLength(1), z.maxLength(200)),
    role: z.enum(['admin', 'viewer']),
  })
  .register(z.globalRegistry, { id: 'ApiKeyInput' });

export const apiKeySchema = z
  .object({
    id,
    name: z.string(),
    role: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.optional(z.string()),
  })
  .register(z.globalRegistry, { id: 'ApiKey' });

export const tenantInputSchema = z
  .object({
    id: tenantIdSchema,
    name: z.string().check(z.minLength(1), z.maxLength(200)),
    appleIdentity: z.optional(
      z.enum(APPLE_IDENTITY_METHODS).register(z.globalRegistry, {
        description:
          'how Apple devices get their identity: scep (default; the device makes its own key) or pkcs12 (key and certificate made by the server, inside the enrollment profile)',
      }),
    ),
    deviceCertificateDays: z.optional(
      integer()
        .check(z.minimum(1), z.maximum(825))
        .register(z.globalRegistry, { description: 'lifetime of issued device certificates, in days (default 730)' }),
    ),
  })
  .register(z.globalRegistry, { id: 'TenantInput' });

const tenantNameSchema = z.string().check(z.minLength(1), z.maxLength(200));

export const tenantSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    createdAt: z.string(),
    pushCapPerMinute: integer().register(z.globalRegistry, {
      description: "pushes per minute in force: the tenant's own cap, else the deployment's PUSH_CAP_PER_MINUTE",
    }),
    pushCapIsCustom: z.boolean(),
    requireSignature: z.boolean(),
    notRespondingAfterDays: z.number(),
    devices: integer().register(z.globalRegistry, { description: 'enrolled devices that are not withdrawn' }),
  })
  .register(z.globalRegistry, { id: 'Tenant' });

export const tenantRenameSchema = z
  .object({ name: tenantNameSchema })
  .register(z.globalRegistry, { id: 'TenantRename' });

export const tenantUpdateSchema = z
  .object({
    name: z.optional(tenantNameSchema),
    pushCapPerMinute: z.optional(
      z.nullable(integer().check(z.minimum(1), z.maximum(1_000_000))).register(z.globalRegistry, {
        description: "the tenant's own push cap per minute; null returns it to the deployment's cap",
      }),
    ),
  })
  .register(z.globalRegistry, { id: 'TenantUpdate' });

/** The query of /scep/{tenant} (RFC 8894 §4). */
export const scepQuerySchema = z.object({
  operation: z.enum(['GetCACaps', 'GetCACert', 'PKIOperation']),
  message: z.optional(z.string().check(z.maxLength(128 * 1024))),
});

export const enrollmentInputSchema = z
  .object({
    platform: z.enum(ENROLLMENT_PLATFORMS),
    name: z.optional(z.string().check(z.maxLength(200))),
    templateId: z.optional(id),
    expiresInHours: z.optional(integer().check(z.minimum(1), z.maximum(24 * 90))),
  })
  .register(z.globalRegistry, { id: 'EnrollmentInput' });

export const enrollmentSchema = z
  .object({
    token: z.string(),
    url: z.string(),
    expiresAt: z.string(),
    qrPayload: z
      .optional(z.string())
      .register(z.globalRegistry, { description: 'Android: JSON for a QR code (server URL, tenant, token)' }),
  })
  .register(z.globalRegistry, { id: 'Enrollment' });

/** A `limit` query parameter: a string in the query, a number to the operation. */
const limitParam = (max: number) => z.optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(max)));

/**
 * A yes-only filter: `true` in a query (a string there) or in a bulk command's JSON filter. There is
 * no `false`: leaving the filter out lists every device.
 */
const onlyIfTrue = (description: string) =>
  z
    .optional(
      z.pipe(
        z.union([z.literal('true'), z.literal(true)]),
        z.transform((): true => true),
      ),
    )
    .register(z.globalRegistry, { description });

export const deviceListQuerySchema = z.object({
  syncState: z.optional(z.enum(SYNC_STATES)),
  registrationState: z.optional(z.enum(REGISTRATION_STATES)),
  platform: z.optional(z.enum(PLATFORMS)),
  templateId: z.optional(id),
  q: z.optional(z.string().check(z.maxLength(200))),
  adminLocked: onlyIfTrue('true: only devices under admin lock'),
  prohibitedApps: onlyIfTrue('true: only devices with a prohibited app installed'),
  limit: limitParam(500),
  cursor: z.optional(z.string().check(z.maxLength(2048))),
});

/** A field of the device detail: always present, `null` when unset (docs/api.md §Device detail). */
const maybe = <T extends z.ZodMiniType>(schema: T) => z.nullable(schema);

export const deviceSchema = z
  .object({
    id,
    platform: z.enum(PLATFORMS),
    name: maybe(z.string()),
    model: maybe(z.string()),
    osVersion: maybe(z.string()),
    serialNumber: maybe(z.string()),
    templateId: maybe(z.string()),
    syncState: z.enum(SYNC_STATES),
    registrationState: z.enum(REGISTRATION_STATES),
    withdrawalReason: maybe(z.enum(WITHDRAWAL_REASONS)),
    lastPushAt: maybe(z.string()),
    lastSeenAt: maybe(z.string()),
    lastUnlockedSeenAt: maybe(z.string()),
    lastSyncedAt: maybe(z.string()),
    checkedInAt: maybe(z.string()),
    checkInAddress: maybe(z.string()),
    userAgent: maybe(z.string()),
    accessRights: maybe(z.string()),
    identityCertNotAfter: maybe(z.string()),
    adminLocked: z.boolean(),
    prohibitedApps: z.array(z.string()),
    pendingCommands: z.record(z.string(), z.number()),
    pushTokenDead: z.boolean(),
    supervised: maybe(z.boolean()),
    syncRequestedAt: maybe(z.string()),
    syncRequestedBy: maybe(z.string()),
    selectiveWipe: maybe(
      z.object({ at: z.string(), templateId: z.nullable(z.string()), removed: z.array(z.string()) }),
    ).register(z.globalRegistry, {
      description: 'the last SelectiveWipe: when, the template it unassigned, the identifiers it removed',
    }),
  })
  .register(z.globalRegistry, { id: 'Device' });

export const deviceInventorySchema = z
  .object({
    deviceId: z.string(),
    readAt: z.optional(z.string()).register(z.globalRegistry, {
      description: 'when the server last read part of it; absent: not read yet',
    }),
    apps: z
      .optional(
        z.array(
          z.object({ identifier: z.string(), version: z.optional(z.string()), managed: z.optional(z.boolean()) }),
        ),
      )
      .register(z.globalRegistry, { description: 'installed apps; absent: not read yet' }),
    profiles: z
      .optional(
        z.array(
          z.object({
            identifier: z.string(),
            uuid: z.optional(z.string()),
            hash: z.optional(z.string()),
            managed: z.optional(z.boolean()),
          }),
        ),
      )
      .register(z.globalRegistry, { description: 'installed profiles (Android: policies); absent: not read yet' }),
    books: z
      .optional(z.array(z.object({ identifier: z.string(), version: z.optional(z.string()) })))
      .register(z.globalRegistry, { description: 'installed books; absent: not read yet' }),
    osVersion: z.optional(z.string()),
    locked: z.optional(z.boolean()),
    passcodeSet: z.optional(z.boolean()),
  })
  .register(z.globalRegistry, { id: 'DeviceInventory' });

export const callerSchema = z
  .object({ tenantId: z.string(), role: z.enum(['admin', 'viewer']), keyId: z.string() })
  .register(z.globalRegistry, { id: 'Caller' });

export const assignTemplateSchema = z
  .object({ templateId: z.nullable(id) })
  .register(z.globalRegistry, { id: 'AssignTemplate' });

export const commandInputSchema = z
  .object({
    type: z.enum(ADMIN_COMMAND_TYPES),
    params: z.optional(
      z.object({
        pin: z.optional(z.string().check(z.regex(/^\d{6}$/, 'pin is 6 digits'))),
        message: z.optional(z.string().check(z.maxLength(500))),
        phoneNumber: z.optional(z.string().check(z.maxLength(50))),
        newPasscode: z.optional(z.string().check(z.minLength(4), z.maxLength(64))),
      }),
    ),
  })
  .register(z.globalRegistry, { id: 'CommandInput' });

export const bulkCommandInputSchema = z
  .extend(commandInputSchema, {
    type: z.enum(BULK_COMMAND_TYPES).register(z.globalRegistry, {
      description: 'an admin command type, or Retire (DELETE /admin/v1/devices/{id} for each device)',
    }),
    deviceIds: z.optional(z.array(id).check(z.minLength(1), z.maxLength(10_000))),
    filter: z.optional(z.omit(deviceListQuerySchema, { limit: true, cursor: true })),
  })
  .check(
    z.refine((b) => (b.deviceIds === undefined) !== (b.filter === undefined), {
      message: 'give exactly one of deviceIds or filter',
    }),
  )
  .register(z.globalRegistry, { id: 'BulkCommandInput' });

export const commandSchema = z
  .object({
    id,
    type: z.string(),
    adminType: z.optional(z.string()),
    status: z.enum(COMMAND_STATUSES),
    createdAt: z.string(),
    updatedAt: z.optional(z.string()),
    result: z.optional(z.record(z.string(), z.unknown())),
    error: z.optional(
      z.array(z.object({ code: z.union([z.number(), z.string()]), domain: z.string(), message: z.string() })),
    ),
  })
  .register(z.globalRegistry, { id: 'Command' });

export const logQuerySchema = z.object({
  type: z.optional(z.enum(LOG_TYPES)),
  severity: z.optional(z.enum(SEVERITIES)),
  deviceId: z.optional(id),
  from: z.optional(z.iso.datetime({ offset: true })),
  to: z.optional(z.iso.datetime({ offset: true })),
  q: z.optional(z.string().check(z.maxLength(200))),
  limit: limitParam(1000),
  cursor: z.optional(z.string().check(z.maxLength(2048))),
  format: z.optional(z.enum(['json', 'csv'])),
});

export const logItemSchema = z
  .object({
    id,
    type: z.enum(LOG_TYPES),
    severity: z.enum(SEVERITIES),
    at: z.string(),
    deviceId: z.optional(z.string()),
    event: z.string(),
    message: z.string(),
    data: z.optional(z.record(z.string(), z.unknown())),
    expiresAt: integer(),
  })
  .register(z.globalRegistry, { id: 'LogItem' });

export const apnsInputSchema = z
  .object({
    certificatePem: z.string().check(z.minLength(1), z.maxLength(20_000)),
    privateKeyPem: z.string().check(z.minLength(1), z.maxLength(20_000)),
    force: z.optional(z.boolean()).register(z.globalRegistry, {
      description: 'replace a certificate with a different topic (every device must re-enroll)',
    }),
  })
  .register(z.globalRegistry, { id: 'ApnsCredentialInput' });

export const signingInputSchema = z
  .object({
    certificatePem: z.string().check(z.minLength(1), z.maxLength(50_000)).register(z.globalRegistry, {
      description: 'the signing certificate, then its intermediates (PEM)',
    }),
    privateKeyPem: z.string().check(z.minLength(1), z.maxLength(20_000)),
  })
  .register(z.globalRegistry, { id: 'SigningCredentialInput' });
export const signingResultSchema = z
  .object({ subject: z.string(), notAfter: z.string() })
  .register(z.globalRegistry, { id: 'SigningResult' });

export const fcmInputSchema = z
  .object({ serviceAccountJson: z.string().check(z.minLength(2), z.maxLength(20_000)) })
  .register(z.globalRegistry, { id: 'FcmCredentialInput' });

export const jobNameSchema = z.enum(JOB_NAMES);

export const dashboardSchema = z
  .object({
    syncStates: z.record(z.string(), z.number()),
    registrationStates: z.record(z.string(), z.number()),
    alarms: z.object({ critical: z.number(), major: z.number(), minor: z.number(), warning: z.number() }),
    adminLocked: z.object({ ios: z.number(), android: z.number() }),
    prohibitedApps: z.object({ ios: z.number(), android: z.number(), macos: z.number() }),
    pendingCommands: z.object({
      ClearPasscode: z.number(),
      Wipe: z.number(),
      SelectiveWipe: z.number(),
      Lock: z.number(),
    }),
    activeAlarms: z.array(
      z.object({
        key: z.string(),
        severity: z.string(),
        message: z.string(),
        deviceId: z.optional(z.string()),
        raisedAt: z.string(),
      }),
    ),
  })
  .register(z.globalRegistry, { id: 'Dashboard' });

export const pageOf = <T extends z.ZodMiniType>(item: T) =>
  z.object({ items: z.array(item), cursor: z.optional(z.string()) });

export const pageQuerySchema = z.object({
  limit: limitParam(500),
  cursor: z.optional(z.string().check(z.maxLength(2048))),
});
export const tenantCreatedSchema = z
  .object({ id: z.string(), name: z.string(), adminKey: z.string() })
  .register(z.globalRegistry, { id: 'TenantCreated' });
export const apiKeyCreatedSchema = z
  .extend(apiKeySchema, {
    key: z.string().register(z.globalRegistry, { description: 'shown once; only its hash is kept' }),
  })
  .register(z.globalRegistry, { id: 'ApiKeyCreated' });
export const commandAcceptedSchema = z
  .object({
    commandId: z.optional(z.string()).register(z.globalRegistry, {
      description:
        'the command queued (its status: GET /admin/v1/devices/{id}/commands); absent for Sync and SelectiveWipe',
    }),
    operationId: z.optional(z.string()).register(z.globalRegistry, {
      description:
        'Sync and SelectiveWipe: the operation of the commands they produce, GET /admin/v1/commands/{operationId}',
    }),
    warning: z.optional(z.string()),
  })
  .register(z.globalRegistry, { id: 'CommandAccepted' });
const bulkRefusalSchema = z.object({ deviceId: z.string(), code: z.string(), message: z.string() });
export const bulkAcceptedSchema = z
  .object({
    accepted: integer().register(z.globalRegistry, {
      description: 'distinct device ids accepted; 0 for a filter (the fan-out counts the devices as it lists them)',
    }),
    commandIds: z.array(z.string()).register(z.globalRegistry, {
      description:
        'the command id of each given device, in the order given; empty for a filter and for Sync, SelectiveWipe and Retire',
    }),
    operationIds: z.optional(z.array(z.string())).register(z.globalRegistry, {
      description:
        'Sync and SelectiveWipe by deviceIds: the operation of each given device, in the order given (readable once the fan-out reached the device)',
    }),
    operationId: z
      .string()
      .register(z.globalRegistry, { description: 'GET /admin/v1/commands/{operationId} shows the progress' }),
  })
  .register(z.globalRegistry, { id: 'BulkAccepted' });
const operationCommandSchema = z.object({
  id: z.string(),
  requestType: z.string(),
  status: z.enum(COMMAND_STATUSES),
  createdAt: z.string(),
  finishedAt: z.optional(z.string()),
  errors: z.optional(
    z.array(z.object({ code: z.union([z.number(), z.string()]), domain: z.string(), message: z.string() })),
  ),
});
export const bulkOperationSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    status: z.enum(['running', 'done']),
    target: z.enum(['deviceIds', 'filter']),
    targeted: integer().register(z.globalRegistry, { description: 'devices given, or found by the filter so far' }),
    queued: integer().register(z.globalRegistry, { description: 'devices the command was queued for' }),
    refused: integer().register(z.globalRegistry, {
      description: 'devices that refused it (each with a reason in refusals and in its log)',
    }),
    refusals: z.array(bulkRefusalSchema).register(z.globalRegistry, { description: 'the first 1,000 refusals' }),
    createdAt: z.string(),
    finishedAt: z.optional(z.string()),
    deviceId: z.optional(z.string()).register(z.globalRegistry, {
      description: 'the operation of one device (a Sync or SelectiveWipe): its device',
    }),
    commands: z.optional(z.array(operationCommandSchema)).register(z.globalRegistry, {
      description: 'the operation of one device: the commands it produced and their outcomes, oldest first',
    }),
  })
  .register(z.globalRegistry, { id: 'BulkOperation' });
export const deviceCommandsSchema = z
  .object({ queue: z.array(commandSchema), history: z.array(logItemSchema), cursor: z.optional(z.string()) })
  .register(z.globalRegistry, { id: 'DeviceCommands' });
export const diagnosisStepSchema = z.object({
  step: integer(),
  question: z.string(),
  ok: z.nullable(z.boolean()),
  evidence: z.record(z.string(), z.unknown()),
  advice: z.optional(z.string()),
});
export const diagnosisSchema = z
  .object({
    deviceId: z.string(),
    syncState: z.enum(SYNC_STATES),
    verdict: z.enum([
      'synchronized',
      'push-not-sent',
      'push-credential-invalid',
      'device-unreachable',
      'device-locked',
      'command-errors',
      'in-progress',
    ]),
    steps: z.array(diagnosisStepSchema),
    errors: z.array(
      z.object({
        commandId: z.string(),
        requestType: z.string(),
        code: z.union([z.number(), z.string()]),
        domain: z.string(),
        message: z.string(),
        explanation: z.optional(z.string()),
        fix: z.optional(z.string()),
      }),
    ),
    notes: z.array(z.string()),
  })
  .register(z.globalRegistry, { id: 'Diagnosis' });
export const timelineSchema = z
  .object({
    deviceId: z.string(),
    entries: z.array(
      z.object({
        at: z.string(),
        kind: z.string(),
        message: z.string(),
        data: z.optional(z.record(z.string(), z.unknown())),
      }),
    ),
  })
  .register(z.globalRegistry, { id: 'Timeline' });
export const apnsResultSchema = z
  .object({ topic: z.string(), notAfter: z.string() })
  .register(z.globalRegistry, { id: 'ApnsResult' });
const lastPushFields = {
  lastPushAt: z.nullable(z.string()),
  lastOutcome: z.nullable(z.enum(PUSH_OUTCOMES)).register(z.globalRegistry, {
    description: 'the last push batch: sent (at least one push accepted), failed, or credential-error',
  }),
};
export const pushStateSchema = z
  .object({
    apns: z.nullable(
      z.object({
        topic: z.string(),
        notAfter: z.string(),
        daysLeft: integer().register(z.globalRegistry, {
          description: 'whole days until notAfter (negative: expired)',
        }),
        ...lastPushFields,
      }),
    ),
    fcm: z.nullable(z.object({ projectId: z.string(), ...lastPushFields })),
  })
  .register(z.globalRegistry, { id: 'PushState' });
export const fcmResultSchema = z.object({ projectId: z.string() }).register(z.globalRegistry, { id: 'FcmResult' });
export const jobResultSchema = z
  .object({
    job: z.string(),
    startedAt: z.string(),
    finishedAt: z.string(),
    devicesTouched: integer(),
    operationIds: z.optional(z.array(z.string())),
  })
  .register(z.globalRegistry, { id: 'JobResult' });

// --- Webhooks (docs/api.md §Webhooks) ---
export const webhookInputSchema = z
  .object({
    url: z.url().check(z.maxLength(2048)).register(z.globalRegistry, {
      description: 'https to a public address (local mode also allows http://127.0.0.1 and localhost)',
    }),
    events: z
      .optional(z.array(z.enum(EVENT_TYPES)).check(z.maxLength(EVENT_TYPES.length * 2)))
      .register(z.globalRegistry, { description: 'event types to receive; absent or empty: all of them' }),
    description: z.optional(z.string().check(z.maxLength(500))),
    paused: z
      .optional(z.boolean())
      .register(z.globalRegistry, { description: 'PUT only: true pauses the webhook; false or absent resumes it' }),
  })
  .register(z.globalRegistry, { id: 'WebhookInput' });

export const webhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    description: z.optional(z.string()),
    status: z.enum(['active', 'paused']),
    pausedAt: z.optional(z.string()),
    pausedReason: z.optional(z.string()),
    failingSince: z
      .optional(z.string())
      .register(z.globalRegistry, { description: 'first failed attempt since the last delivered one' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .register(z.globalRegistry, { id: 'Webhook' });

export const webhookCreatedSchema = z
  .extend(webhookSchema, {
    secret: z.string().register(z.globalRegistry, { description: 'the signing secret, shown once' }),
  })
  .register(z.globalRegistry, { id: 'WebhookCreated' });

export const deliveryAttemptSchema = z
  .object({
    webhookId: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    attempt: integer(),
    at: z.string(),
    outcome: z.enum(['delivered', 'retrying', 'failed']),
    status: z.optional(integer()).register(z.globalRegistry, { description: "the receiver's HTTP status" }),
    error: z.optional(z.string()),
    nextAttemptAt: z.optional(z.string()),
  })
  .register(z.globalRegistry, { id: 'DeliveryAttempt' });
