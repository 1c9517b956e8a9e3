// An Android agent's requests as use cases (docs/android.md): it enrolls with an enrollment token
// and gets its device token, then checks in with its inventory.
import { notFound } from '../domain/errors';
import { isTenantId } from '../domain/identifiers';
import type { Device } from '../domain/types';
import { secretToken, sha256Hex } from '../ids';
import { inventoryFromAgent } from '../protocol/android/adapter';
import type { App } from './container';
import { enrollDevice, useableEnrollment } from './enrollment';
import { advanceSync, deviceAnswered, mergeInventory, requestSync } from './sync';

/**
 * The agent reports its lock state with its inventory: the access counts as unlocked (the
 * "security check") only when the latest known state says so.
 */
export const unlockedNow = (device: Device, inventory?: { locked?: unknown }): boolean =>
  (typeof inventory?.locked === 'boolean' ? inventory.locked : device.inventory?.locked) === false;

export interface AgentEnrollment {
  enrollmentToken: string;
  serialNumber: string;
  model: string;
  osVersion: string;
  fcmToken: string;
}

/**
 * Enrolls the agent; the same serial number enrolling again is the same device, whose old token
 * stops working. The agent is Checked-In at once, so its first sync starts now.
 */
export async function enrollAndroidAgent(
  app: App,
  tenantId: string,
  input: AgentEnrollment,
): Promise<{ deviceId: string; deviceToken: string }> {
  const tenant = isTenantId(tenantId) ? await app.stores.tenants.get(tenantId) : undefined;
  if (!tenant) throw notFound('enrollment token');
  const enrollment = await useableEnrollment(app, tenant.id, input.enrollmentToken, 'android');
  const deviceToken = secretToken('dev');
  const tokenHash = sha256Hex(deviceToken);
  const existing = await app.stores.devices.findByLink(tenant.id, 'serial', input.serialNumber);
  const deviceId = await enrollDevice(app, {
    tenantId: tenant.id,
    platform: 'android',
    existing,
    enrolledVia: enrollment.tokenHash,
    enrollment,
    facts: {
      model: input.model,
      osVersion: input.osVersion,
      serialNumber: input.serialNumber,
      deviceTokenHash: tokenHash,
    },
    push: { token: input.fcmToken },
    registrationState: 'Checked-In',
    identifiedBy: { kind: 'serial', value: input.serialNumber },
    links: [{ kind: 'token', value: tokenHash }],
    log: {
      event: 'checked-in',
      created: 'Android agent enrolled',
      again: 'Android agent enrolled again (old token replaced)',
    },
  });
  await requestSync(app, tenant.id, deviceId, 'enrollment');
  return { deviceId, deviceToken };
}

export interface AgentCheckin {
  fcmToken?: string;
  /** The agent's inventory report, as validated by the wire schema. */
  inventory?: { locked?: boolean };
  sourceIp?: string;
  userAgent?: string;
}

/** A check-in: the device answered (new push token, inventory, address), and its sync moves on. */
export async function recordAgentCheckin(app: App, device: Device, checkin: AgentCheckin): Promise<void> {
  const update = checkin.inventory ? inventoryFromAgent(checkin.inventory) : undefined;
  const at = app.clock.now().toISOString();
  await deviceAnswered(app, device.tenantId, device.id, unlockedNow(device, checkin.inventory), (d) => {
    if (checkin.fcmToken) d.push = { token: checkin.fcmToken };
    if (update) Object.assign(d, mergeInventory(d, update, at));
    d.checkInAddress = checkin.sourceIp;
    d.userAgent = checkin.userAgent ?? d.userAgent;
  });
  await advanceSync(app, device.tenantId, device.id);
}
