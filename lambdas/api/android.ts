// Android agent endpoints (API.md §3, docs/android.md). Unlike Apple, a bad or missing device
// token is a 401: the agent then re-enrolls.
import * as z from '../zod';
import { DomainError, notFound } from '../domain/errors';
import { isTenantId, type Device } from '../domain/types';
import { json, noContent, type HttpResponse, type OperationInput } from '../http/types';
import { inventoryFromAgent } from '../protocol/android/adapter';
import type { SurfaceOp } from '../routes';
import type { App } from '../service/app';
import { nextCommand, recordReport } from '../service/commands';
import { createDevice, mutateDevice } from '../service/devices';
import { takeOverPendingDevice, useableEnrollment } from '../service/enrollment';
import { randomId, secretToken, sha256Hex } from '../ids';
import { advanceSync, deviceAnswered, mergeInventory, requestSync } from '../service/sync';
import { androidInventorySchema } from './schemas';
import type * as s from './schemas';

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
  androidEnroll: async ({ params, body }: In<z.infer<typeof s.androidEnrollSchema>>, app) => {
    const tenant = isTenantId(params.tenant) ? await app.stores.tenants.get(params.tenant) : undefined;
    if (!tenant) throw notFound('enrollment token');
    const enrollment = await useableEnrollment(app, tenant.id, body.enrollmentToken, 'android');
    const deviceToken = secretToken('dev');
    const tokenHash = sha256Hex(deviceToken);
    const now = app.clock.now().toISOString();
    // Re-enrolling the same serial number replaces the device's old token.
    const existing = await app.stores.devices.findByLink(tenant.id, 'serial', body.serialNumber);
    let deviceId: string;
    if (existing) {
      deviceId = existing.id;
      await takeOverPendingDevice(app, enrollment); // the re-enrolling device needs no second record
      if (existing.deviceTokenHash) await app.stores.devices.unlink(tenant.id, 'token', existing.deviceTokenHash);
      await app.stores.commands.clear(tenant.id, deviceId);
      await mutateDevice(app, tenant.id, deviceId, (d) => {
        const { withdrawalReason: _w, awaitingAnswerSince: _a, syncPhase: _s, ...rest } = d;
        return {
          device: {
            ...rest, registrationState: 'Checked-In', deviceTokenHash: tokenHash, model: body.model, osVersion: body.osVersion,
            push: { token: body.fcmToken }, templateId: enrollment.templateId ?? d.templateId, checkedInAt: now, pendingCommands: {},
          },
          logs: [{ event: 'checked-in', message: 'Android agent enrolled again (old token replaced)' }],
        };
      });
    } else {
      deviceId = (await takeOverPendingDevice(app, enrollment)) ?? randomId('and');
      await createDevice(app, {
        tenantId: tenant.id, id: deviceId, platform: 'android', name: enrollment.name, model: body.model, osVersion: body.osVersion,
        serialNumber: body.serialNumber, templateId: enrollment.templateId, syncState: 'Sync-Required', registrationState: 'Checked-In',
        checkedInAt: now, adminLocked: false, prohibitedApps: [], pendingCommands: {}, push: { token: body.fcmToken },
        deviceTokenHash: tokenHash, enrolledVia: enrollment.tokenHash, createdAt: now, updatedAt: now, rev: 0,
      }, [{ event: 'checked-in', message: 'Android agent enrolled' }]);
      await app.stores.devices.link(tenant.id, 'serial', body.serialNumber, deviceId);
    }
    await app.stores.devices.link(tenant.id, 'token', tokenHash, deviceId);
    await app.stores.enrollments.markUsed(tenant.id, enrollment.tokenHash, deviceId, now);
    await requestSync(app, tenant.id, deviceId, 'enrollment');
    return json(201, { deviceId, deviceToken });
  },

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
