// The Android agent's wire format (docs/android.md): what it sends at enroll, check-in and connect,
// its inventory report, and the commands it is handed. These schemas validate the agent's
// requests, read its inventory (adapter.ts) and document the agent endpoints in the OpenAPI
// document (registered ids are named components there).
import { ID_MAX_LENGTH, ID_PATTERN, ID_RULE } from '../../domain/identifiers';
import * as z from '../../zod';

/** A number that must be an integer: a string is "expected number", a fraction fails the int check. */
const integer = () => z.number().check(z.int());

export const androidEnrollSchema = z
  .object({
    enrollmentToken: z.string().check(z.minLength(1), z.maxLength(200)),
    serialNumber: z
      .string()
      .check(z.minLength(1), z.maxLength(ID_MAX_LENGTH), z.regex(ID_PATTERN, `an id is ${ID_RULE}`)),
    model: z.string().check(z.maxLength(200)),
    osVersion: z.string().check(z.maxLength(50)),
    fcmToken: z.string().check(z.maxLength(4096)),
  })
  .register(z.globalRegistry, { id: 'AndroidEnroll' });

export const androidInventorySchema = z
  .object({
    apps: z.optional(
      z
        .array(
          z.object({
            packageName: z.string().check(z.maxLength(255)),
            versionCode: z.union([integer(), z.string().check(z.maxLength(64))]),
            managed: z.optional(z.boolean()).register(z.globalRegistry, {
              description:
                'installed through the server (InstallApp); only managed apps are ever removed. Default false',
            }),
          }),
        )
        .check(z.maxLength(5000)),
    ),
    policies: z.optional(
      z
        .array(z.object({ id: z.string().check(z.maxLength(255)), hash: z.string().check(z.maxLength(128)) }))
        .check(z.maxLength(500)),
    ),
    locked: z.optional(z.boolean()),
    passcodeSet: z.optional(z.boolean()),
    osVersion: z.optional(z.string().check(z.maxLength(50))),
  })
  .register(z.globalRegistry, { id: 'AndroidInventory' });

export const androidCheckinSchema = z
  .object({
    fcmToken: z.optional(z.string().check(z.maxLength(4096))),
    inventory: z.optional(androidInventorySchema),
  })
  .register(z.globalRegistry, { id: 'AndroidCheckin' });

export const androidConnectSchema = z
  .object({
    status: z.enum(['Idle', 'Acknowledged', 'Error', 'NotNow']),
    commandId: z.optional(z.string().check(z.maxLength(128))),
    result: z.optional(z.record(z.string(), z.unknown())),
    error: z.optional(
      z.object({
        code: z.optional(z.union([z.string(), z.number()])),
        message: z.optional(z.string().check(z.maxLength(2000))),
      }),
    ),
  })
  .register(z.globalRegistry, { id: 'AndroidConnect' });

/** Each Android command's payload (docs/android.md); the agent answers with the command's id. */
const androidPayloads = {
  ReportInventory: z
    .object({})
    .register(z.globalRegistry, { description: 'answer Acknowledged with result {inventory}' }),
  ApplyPolicy: z.object({ policyId: z.string(), hash: z.string(), policy: z.record(z.string(), z.unknown()) }),
  RemovePolicy: z.object({ policyId: z.string() }),
  InstallApp: z.object({ packageName: z.string(), versionCode: z.optional(integer()), url: z.optional(z.string()) }),
  RemoveApp: z.object({ packageName: z.string() }),
  Lock: z.object({ message: z.optional(z.string()) }),
  Restart: z.object({}),
  Wipe: z
    .object({})
    .register(z.globalRegistry, { description: 'the device is withdrawn (reason wiped) once acknowledged' }),
  ClearPasscode: z.object({
    newPasscode: z
      .optional(z.string())
      .register(z.globalRegistry, { description: 'sent once, never stored or logged' }),
  }),
  Unenroll: z
    .object({})
    .register(z.globalRegistry, { description: 'the device is withdrawn (reason unenrolled) once acknowledged' }),
  AdminLock: z.object({ message: z.optional(z.string()) }),
  AdminUnlock: z.object({}),
  Noop: z
    .object({ reason: z.string() })
    .register(z.globalRegistry, { description: 'acknowledge it: work this platform cannot do' }),
} as const;

export const ANDROID_COMMAND_TYPES = Object.keys(androidPayloads) as Array<keyof typeof androidPayloads>;

export const androidCommandSchema = z
  .discriminatedUnion(
    'type',
    ANDROID_COMMAND_TYPES.map((type) =>
      z.object({ commandId: z.string(), type: z.literal(type), payload: androidPayloads[type] }),
    ) as unknown as [z.ZodMiniObject, ...z.ZodMiniObject[]],
  )
  .register(z.globalRegistry, { id: 'AndroidCommand' });

export const androidEnrollResultSchema = z
  .object({ deviceId: z.string(), deviceToken: z.string() })
  .register(z.globalRegistry, { id: 'AndroidEnrollResult' });
/** The check-in answer: an empty object. */
export const emptyObjectSchema = z.object({}).register(z.globalRegistry, { id: 'Empty' });
