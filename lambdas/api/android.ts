// Android agent endpoints (docs/android.md). Unlike Apple, a bad or missing device
// token is a 401: the agent then re-enrolls.

import { DomainError } from '../domain/errors';
import type { Device } from '../domain/types';
import { type HttpResponse, json, noContent, type OperationInput } from '../http/types';
import type * as s from '../protocol/android/wire';
import { androidInventorySchema } from '../protocol/android/wire';
import { enrollAndroidAgent, recordAgentCheckin, unlockedNow } from '../service/android-agent';
import type { App } from '../service/container';
import { reportAndHandOut } from '../service/device-session';
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

/** The device the pipeline authenticated by its bearer token (a 401 never gets this far). */
async function authenticatedDevice(app: App, input: In): Promise<Device> {
  if (input.principal.kind !== 'android-device') throw new DomainError('unauthorized', 'missing device token');
  const device = await app.stores.devices.get(input.principal.tenantId, input.principal.deviceId);
  if (!device || device.registrationState === 'Withdrawn')
    throw new DomainError('unauthorized', 'device token not valid; enroll again');
  return device;
}

export const androidOperations: Record<
  SurfaceOp<'android'>,
  (input: OperationInput<never, never>, app: App) => Promise<HttpResponse>
> = {
  androidEnroll: async ({ params, body }: In<z.infer<typeof s.androidEnrollSchema>>, app) =>
    json(201, await enrollAndroidAgent(app, params.tenant, body)),

  androidCheckin: async (input: In<z.infer<typeof s.androidCheckinSchema>>, app) => {
    const { body, req } = input;
    await recordAgentCheckin(app, await authenticatedDevice(app, input), {
      fcmToken: body.fcmToken,
      inventory: body.inventory,
      sourceIp: req.sourceIp,
      userAgent: req.headers['user-agent'],
    });
    return json(200, {});
  },

  androidConnect: async (input: In<z.infer<typeof s.androidConnectSchema>>, app) => {
    const device = await authenticatedDevice(app, input);
    const { body } = input;
    const inventory = checkedResultInventory(body.result);
    const next = await reportAndHandOut(app, device, {
      status: body.status,
      commandId: body.commandId,
      result: body.result,
      unlocked: unlockedNow(device, inventory),
      errors: body.error
        ? [{ code: body.error.code ?? 'error', domain: 'AndroidAgent', message: body.error.message ?? '' }]
        : undefined,
    });
    if (!next) return noContent();
    return json(200, { commandId: next.command.id, type: next.command.requestType, payload: next.payload });
  },
};
