// An Android agent enrolls with an enrollment token and gets its device token (docs/android.md).
import { notFound } from '../domain/errors';
import { secretToken, sha256Hex } from '../ids';
import type { App } from './container';
import { enrollDevice, useableEnrollment } from './enrollment';
import { requestSync } from './sync';

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
export async function enrollAndroidAgent(app: App, tenantId: string, input: AgentEnrollment): Promise<{ deviceId: string; deviceToken: string }> {
  const tenant = /^[a-z0-9-]{3,40}$/.test(tenantId) ? await app.stores.tenants.get(tenantId) : undefined;
  if (!tenant) throw notFound('enrollment token');
  const enrollment = await useableEnrollment(app, tenant.id, input.enrollmentToken, 'android');
  const deviceToken = secretToken('dev');
  const tokenHash = sha256Hex(deviceToken);
  const existing = await app.stores.devices.findByLink(tenant.id, 'serial', input.serialNumber);
  const deviceId = await enrollDevice(app, {
    tenantId: tenant.id, platform: 'android', existing, enrolledVia: enrollment.tokenHash, enrollment,
    facts: { model: input.model, osVersion: input.osVersion, serialNumber: input.serialNumber, deviceTokenHash: tokenHash },
    push: { token: input.fcmToken },
    registrationState: 'Checked-In',
    links: [...(existing ? [] : [{ kind: 'serial' as const, value: input.serialNumber }]), { kind: 'token', value: tokenHash }],
    log: { event: 'checked-in', created: 'Android agent enrolled', again: 'Android agent enrolled again (old token replaced)' },
  });
  await requestSync(app, tenant.id, deviceId, 'enrollment');
  return { deviceId, deviceToken };
}
