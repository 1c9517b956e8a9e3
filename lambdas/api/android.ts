// Android agent endpoints (docs/android.md). Unlike Apple, a bad or missing device
// token is a 401: the agent then re-enrolls.

import { DomainError } from '../domain/errors';
import { type HttpResponse, json, noContent, type OperationInput } from '../http/types';
import type * as s from '../protocol/android/wire';
import { androidInventorySchema } from '../protocol/android/wire';
import { enrollAndroidAgent, recordAgentCheckin, unlockedNow } from '../service/android-agent';
import type { App } from '../service/container';
import { type DeviceSession, openSession, reportAndHandOut } from '../service/device-session';
import * as z from '../zod';
import type { SurfaceOp } from './routes';

type In<B = unknown> = OperationInput<B, Record<string, string>>;

/** A ReportInventory result is checked like a check-in inventory: a wrong type is a 400 naming the field. */
function checkedResultInventory(
  result: Record<string, unknown> | undefined,
): z.infer<typeof androidInventorySchema> | undefined {
  if (result?.inventory === undefined) return undefined;
  const parsed = androidInventorySchema.safeParse(result.inventory);
  if (!parsed.success)
    throw new z.$ZodError(parsed.error.issues.map((i) => ({ ...i, path: ['result', 'inventory', ...i.path] })));
  return parsed.data;
}

/**
 * The session of the device the pipeline authenticated by its bearer token (a token with no
 * device never gets this far): a withdrawn device, or one enrolled again with a new token, is 401.
 */
async function authenticatedSession(app: App, input: In): Promise<DeviceSession> {
  const { principal } = input;
  if (principal.kind !== 'android-device') throw new DomainError('unauthorized', 'missing device token');
  const tenant = await app.tenantCache.get(principal.tenantId);
  const session = tenant && (await openSession(app, tenant, principal.deviceId));
  if (
    !session ||
    session.device.registrationState === 'Withdrawn' ||
    session.device.deviceTokenHash !== principal.tokenHash
  )
    throw new DomainError('unauthorized', 'device token not valid; enroll again');
  return session;
}

export const androidOperations: Record<
  SurfaceOp<'android'>,
  (input: OperationInput<never, never>, app: App) => Promise<HttpResponse>
> = {
  androidEnroll: async ({ params, body }: In<z.infer<typeof s.androidEnrollSchema>>, app) =>
    json(201, await enrollAndroidAgent(app, params.tenant, body)),

  androidCheckin: async (input: In<z.infer<typeof s.androidCheckinSchema>>, app) => {
    const { body, req } = input;
    await recordAgentCheckin(app, await authenticatedSession(app, input), {
      fcmToken: body.fcmToken,
      inventory: body.inventory,
      sourceIp: req.sourceIp,
      userAgent: req.headers['user-agent'],
    });
    return json(200, {});
  },

  androidConnect: async (input: In<z.infer<typeof s.androidConnectSchema>>, app) => {
    const session = await authenticatedSession(app, input);
    const { body } = input;
    const inventory = checkedResultInventory(body.result);
    const next = await reportAndHandOut(app, session, {
      status: body.status,
      commandId: body.commandId,
      result: body.result,
      unlocked: unlockedNow(session.device, inventory),
      errors: body.error
        ? [{ code: body.error.code ?? 'error', domain: 'AndroidAgent', message: body.error.message ?? '' }]
        : undefined,
    });
    if (!next) return noContent();
    return json(200, { commandId: next.command.id, type: next.command.requestType, payload: next.payload });
  },
};
