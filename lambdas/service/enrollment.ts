// Enrollment tokens and the end of management (withdrawal).
import { gone, notFound } from '../domain/errors';
import type { Device, Enrollment, EnrollmentPlatform, WithdrawalReason } from '../domain/types';
import { sha256Hex } from '../http/pipeline';
import type { App } from './app';
import { clearAlarm, logEvent } from './audit';
import { mutateDevice } from './devices';
import { secretToken } from './ids';

export const DEFAULT_ENROLLMENT_HOURS = 72;

export interface EnrollmentCreated {
  token: string;
  url: string;
  expiresAt: string;
  qrPayload?: string;
}

export async function createEnrollment(
  app: App, tenantId: string, baseUrl: string,
  input: { platform: EnrollmentPlatform; name?: string; templateId?: string; expiresInHours?: number },
): Promise<EnrollmentCreated> {
  if (input.templateId && !(await app.stores.templates.get(tenantId, input.templateId))) throw notFound('template');
  const now = app.clock.now();
  const token = secretToken('enr');
  const expiresAt = new Date(now.getTime() + (input.expiresInHours ?? DEFAULT_ENROLLMENT_HOURS) * 3600_000).toISOString();
  const enrollment: Enrollment = {
    tenantId, tokenHash: sha256Hex(token), platform: input.platform, name: input.name, templateId: input.templateId,
    createdAt: now.toISOString(), expiresAt,
  };
  await app.stores.enrollments.create(enrollment);
  await logEvent(app, tenantId, 'enrollment-created', `${input.platform} enrollment created${input.name ? ` for ${input.name}` : ''}, expires ${expiresAt}`);
  if (input.platform === 'ios') return { token, url: `${baseUrl}/mdm/${tenantId}/enroll/${token}`, expiresAt };
  const url = `${baseUrl}/android/${tenantId}/enroll`;
  return { token, url, expiresAt, qrPayload: JSON.stringify({ serverUrl: baseUrl, tenant: tenantId, enrollmentToken: token }) };
}

/**
 * Finds a usable enrollment: 404 for an unknown token, 410 once it has expired. A token may
 * enroll several devices until then (a staging QR code for a batch of devices); its expiry ends
 * that, used or not.
 */
export async function useableEnrollment(app: App, tenantId: string, token: string, platform: EnrollmentPlatform): Promise<Enrollment> {
  const enrollment = await app.stores.enrollments.get(tenantId, sha256Hex(token));
  if (!enrollment || enrollment.platform !== platform) throw notFound('enrollment token');
  if (Date.parse(enrollment.expiresAt) <= app.clock.now().getTime()) {
    throw gone('this enrollment token has expired; ask your administrator for a new one');
  }
  return enrollment;
}

/** Stops managing a device: Withdrawn with its reason, its queue dropped, its alarms cleared. */
export async function withdrawDevice(app: App, device: Device, reason: WithdrawalReason): Promise<Device> {
  const updated = await mutateDevice(app, device.tenantId, device.id, (d) => {
    if (d.registrationState === 'Withdrawn') return undefined;
    const { awaitingAnswerSince: _a, syncPhase: _s, lastNotNowAt: _n, ...rest } = d;
    return {
      device: { ...rest, registrationState: 'Withdrawn', withdrawalReason: reason, pendingCommands: {}, adminLocked: false, prohibitedApps: [] },
      logs: [{ event: 'withdrawn', message: `device withdrawn (${reason})`, severity: 'info', data: { reason } }],
    };
  });
  await app.stores.commands.clear(device.tenantId, device.id);
  if (device.prohibitedApps.length) await clearAlarm(app, device.tenantId, `prohibited-app#${device.id}`, 'device withdrawn');
  if (updated.deviceTokenHash) await app.stores.devices.unlink(device.tenantId, 'token', updated.deviceTokenHash);
  return updated;
}
