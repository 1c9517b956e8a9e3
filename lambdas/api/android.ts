// Android agent endpoints (API.md §3, docs/android.md). Unlike Apple, a bad or missing device
// token is a 401: the agent then re-enrolls.
import * as z from '../zod';
import { DomainError } from '../domain/errors';
import type { Device } from '../domain/types';
import { json, noContent, type HttpResponse, type OperationInput } from '../http/types';
import { inventoryFromAgent } from '../protocol/android/adapter';
import type { SurfaceOp } from './routes';
import type { App } from '../service/container';
import { nextCommand, recordReport } from '../service/device-session';
import { enrollAndroidAgent } from '../service/android-enrollment';
import { advanceSync, deviceAnswered, mergeInventory } from '../service/sync';
import { androidInventorySchema } from '../protocol/android/wire';
import type * as s from '../protocol/android/wire';

type In<B = unknown> = OperationInput<B, Record<string, string>>;

/**
 * The agent reports its lock state with its inventory: the access counts as unlocked (the
 * "security check") only when the latest known state says so.
 */
const unlockedNow = (device: Device, inventory?: { locked?: unknown }): boolean =>
  (typeof inventory?.locked === 'boolean' ? inventory.locked : device.inventory?.locked) === false;

/** A ReportInventory result is checked like a check-in inventory: a wrong type is a 400 naming the field. */
function checkedResultInventory(result: Record<string, unknown> | undefined): z.infer<typeof androidInventorySchema> | undefined {
  if (result?.inventory === undefined) return undefined;
  const parsed = androidInventorySchema.safeParse(result.inventory);
  if (!parsed.success) throw new z.$ZodError(parsed.error.issues.map((i) => ({ ...i, path: ['result', 'inventory', ...i.path] })));
  return parsed.data;
}

/** The device the pipeline authenticated by its bearer token (a 401 never gets this far). */
async function authenticatedDevice(app: App, input: In): Promise<Device> {
  if (input.principal.kind !== 'android-device') throw new DomainError('unauthorized', 'missing device token');
  const device = await app.stores.devices.get(input.principal.tenantId, input.principal.deviceId);
  if (!device || device.registrationState === 'Withdrawn') throw new DomainError('unauthorized', 'device token not valid; enroll again');
  return device;
}

export const androidOperations: Record<SurfaceOp<'android'>, (input: OperationInput<never, never>, app: App) => Promise<HttpResponse>> = {
  androidEnroll: async ({ params, body }: In<z.infer<typeof s.androidEnrollSchema>>, app) =>
    json(201, await enrollAndroidAgent(app, params.tenant, body)),

  androidCheckin: async (input: In<z.infer<typeof s.androidCheckinSchema>>, app) => {
    const device = await authenticatedDevice(app, input);
    const { body, req } = input;
    const update = body.inventory ? inventoryFromAgent(body.inventory) : undefined;
    const at = app.clock.now().toISOString();
    await deviceAnswered(app, device.tenantId, device.id, unlockedNow(device, body.inventory), (d) => {
      if (body.fcmToken) d.push = { token: body.fcmToken };
      if (update) Object.assign(d, mergeInventory(d, update, at));
      d.checkInAddress = req.sourceIp;
      d.userAgent = req.headers['user-agent'] ?? d.userAgent;
    });
    await advanceSync(app, device.tenantId, device.id);
    return json(200, {});
  },

  androidConnect: async (input: In<z.infer<typeof s.androidConnectSchema>>, app) => {
    const device = await authenticatedDevice(app, input);
    const { body } = input;
    const inventory = checkedResultInventory(body.result);
    const after = await recordReport(app, device, {
      status: body.status, commandId: body.commandId, result: body.result, unlocked: unlockedNow(device, inventory),
      errors: body.error ? [{ code: body.error.code ?? 'error', domain: 'AndroidAgent', message: body.error.message ?? '' }] : undefined,
    });
    if (after.registrationState === 'Withdrawn') return noContent();
    const next = await nextCommand(app, after);
    if (!next) return noContent();
    return json(200, { commandId: next.command.id, type: next.command.requestType, payload: next.payload });
  },
};
