// Enrollment tokens and the end of management (withdrawal).
import { gone, notFound } from '../domain/errors';
import type { Device, Enrollment, EnrollmentPlatform, WithdrawalReason } from '../domain/types';
import type { App } from './app';
import { counterDeltas } from '../domain/counters';
import { clearAlarm, logEvent } from './audit';
import { createDevice, mutateDevice } from './devices';
import { randomId, secretToken, sha256Hex } from '../ids';
import { pages } from '../paging';

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
  // API.md: a device is Awaiting-Check-In from the moment its enrollment is issued, and Expired if
  // the token is not used in time. The record is taken over by the first device that enrolls.
  const pendingDeviceId = randomId(input.platform === 'android' ? 'and' : 'enr');
  const enrollment: Enrollment = {
    tenantId, tokenHash: sha256Hex(token), platform: input.platform, name: input.name, templateId: input.templateId,
    createdAt: now.toISOString(), expiresAt, pendingDeviceId,
  };
  await app.stores.enrollments.create(enrollment);
  await createDevice(app, {
    tenantId, id: pendingDeviceId, platform: input.platform, name: input.name, templateId: input.templateId,
    syncState: 'Sync-Required', registrationState: 'Awaiting-Check-In', adminLocked: false, prohibitedApps: [], pendingCommands: {},
    enrolledVia: enrollment.tokenHash, pendingEnrollmentExpiresAt: expiresAt, createdAt: now.toISOString(), updatedAt: now.toISOString(), rev: 0,
  });
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

/**
 * The device that enrolls takes over its enrollment's pending record: the record goes (counters
 * follow) and its id is returned for devices whose id the server chooses (Android).
 */
export async function takeOverPendingDevice(app: App, enrollment: Enrollment): Promise<string | undefined> {
  if (!enrollment.pendingDeviceId) return undefined;
  const pending = await app.stores.devices.get(enrollment.tenantId, enrollment.pendingDeviceId);
  if (!pending?.pendingEnrollmentExpiresAt || pending.registrationState === 'Checked-In') return undefined;
  await app.stores.devices.delete(enrollment.tenantId, pending.id);
  await app.stores.counters.add(enrollment.tenantId, counterDeltas(pending, undefined), pending.id);
  return pending.id;
}

/** Pending enrollment records whose token expired unused become Expired (run by the hourly sweep). */
export async function expireUnusedEnrollments(app: App, tenantId: string): Promise<number> {
  const now = app.clock.now().toISOString();
  let expired = 0;
  for await (const page of pages((cursor) => app.stores.devices.list(tenantId, { registrationState: 'Awaiting-Check-In' }, cursor, 100))) {
    for (const d of page.items) {
      if (!d.pendingEnrollmentExpiresAt || d.pendingEnrollmentExpiresAt > now) continue;
      await mutateDevice(app, tenantId, d.id, (cur) => (cur.registrationState !== 'Awaiting-Check-In' || !cur.pendingEnrollmentExpiresAt ? undefined : {
        device: { ...cur, registrationState: 'Expired' },
        logs: [{ event: 'enrollment-expired', message: `the enrollment${cur.name ? ` for ${cur.name}` : ''} expired before a device used it`, severity: 'info' }],
      }));
      expired += 1;
    }
  }
  return expired;
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
