// Enrollment tokens, enrolling a device (both platforms) and the end of management (withdrawal).

import { counterDeltas } from '../domain/counters';
import { DomainError, gone, notFound } from '../domain/errors';
import type {
  Device,
  Enrollment,
  EnrollmentPlatform,
  Platform,
  RegistrationState,
  WithdrawalReason,
} from '../domain/types';
import { randomId, secretToken, sha256Hex } from '../ids';
import { pages } from '../paging';
import type { DeviceLink } from '../ports';
import { clearAlarm, logEvent } from './audit';
import type { App } from './container';
import { createDevice, mutateDevice } from './devices';

export const DEFAULT_ENROLLMENT_HOURS = 72;

export interface EnrollmentCreated {
  token: string;
  url: string;
  expiresAt: string;
  qrPayload?: string;
}

export async function createEnrollment(
  app: App,
  tenantId: string,
  baseUrl: string,
  input: { platform: EnrollmentPlatform; name?: string; templateId?: string; expiresInHours?: number },
): Promise<EnrollmentCreated> {
  if (input.templateId && !(await app.stores.templates.get(tenantId, input.templateId))) throw notFound('template');
  const now = app.clock.now();
  const token = secretToken('enr');
  const expiresAt = new Date(
    now.getTime() + (input.expiresInHours ?? DEFAULT_ENROLLMENT_HOURS) * 3600_000,
  ).toISOString();
  // docs/api.md §Names and states: a device is Awaiting-Check-In from the moment its enrollment is issued, and Expired if
  // the token is not used in time. The record is taken over by the first device that enrolls.
  const pendingDeviceId = newDeviceId(input.platform);
  const enrollment: Enrollment = {
    tenantId,
    tokenHash: sha256Hex(token),
    platform: input.platform,
    name: input.name,
    templateId: input.templateId,
    createdAt: now.toISOString(),
    expiresAt,
    pendingDeviceId,
  };
  await app.stores.enrollments.create(enrollment);
  await createDevice(app, {
    tenantId,
    id: pendingDeviceId,
    platform: input.platform,
    name: input.name,
    templateId: input.templateId,
    syncState: 'Sync-Required',
    registrationState: 'Awaiting-Check-In',
    adminLocked: false,
    prohibitedApps: [],
    pendingCommands: {},
    enrolledVia: enrollment.tokenHash,
    pendingEnrollmentExpiresAt: expiresAt,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    rev: 0,
  });
  await logEvent(
    app,
    tenantId,
    'enrollment-created',
    `${input.platform} enrollment created${input.name ? ` for ${input.name}` : ''}, expires ${expiresAt}`,
  );
  if (input.platform === 'ios') return { token, url: `${baseUrl}/mdm/${tenantId}/enroll/${token}`, expiresAt };
  const url = `${baseUrl}/android/${tenantId}/enroll`;
  return {
    token,
    url,
    expiresAt,
    qrPayload: JSON.stringify({ serverUrl: baseUrl, tenant: tenantId, enrollmentToken: token }),
  };
}

/**
 * Finds a usable enrollment: 404 for an unknown token, 410 once it has expired. A token may
 * enroll several devices until then (a staging QR code for a batch of devices); its expiry ends
 * that, used or not.
 */
export async function useableEnrollment(
  app: App,
  tenantId: string,
  token: string,
  platform: EnrollmentPlatform,
): Promise<Enrollment> {
  const enrollment = await app.stores.enrollments.get(tenantId, sha256Hex(token));
  if (!enrollment || enrollment.platform !== platform) throw notFound('enrollment token');
  if (Date.parse(enrollment.expiresAt) <= app.clock.now().getTime()) {
    throw gone('this enrollment token has expired; ask your administrator for a new one');
  }
  return enrollment;
}

/**
 * The device that enrolls takes over its enrollment's pending record: the record goes (counters
 * follow) and its id is returned for devices whose id the server chooses (Android). The delete is
 * conditional on the rev read, so of several devices enrolling with one token at once exactly one
 * takes the record over and its counters are removed once; the others enroll as devices of their own.
 */
export async function takeOverPendingDevice(app: App, enrollment: Enrollment): Promise<string | undefined> {
  if (!enrollment.pendingDeviceId) return undefined;
  for (;;) {
    const pending = await app.stores.devices.get(enrollment.tenantId, enrollment.pendingDeviceId);
    if (!pending?.pendingEnrollmentExpiresAt || pending.registrationState === 'Checked-In') return undefined;
    // Lost: taken over by another device (the re-read ends) or changed by an admin (taken over then).
    if (!(await app.stores.devices.delete(enrollment.tenantId, pending.id, pending.rev))) continue;
    await app.stores.counters.add(enrollment.tenantId, counterDeltas(pending, undefined), pending.id);
    return pending.id;
  }
}

/** A device id the server chooses (Android devices, pending enrollment records). */
const newDeviceId = (platform: EnrollmentPlatform | Platform) => randomId(platform === 'android' ? 'and' : 'enr');

/** A device enrolling, as its platform's check-in decoded it. */
export interface DeviceEnrollment {
  tenantId: string;
  platform: Platform;
  /** The record of this device (same Apple UDID, same Android serial number): it enrolls again. */
  existing?: Device;
  /** The id of a new device when the device has one (the Apple UDID); else the pending record's id, or a new one. */
  deviceId?: string;
  /** The hash of the enrollment token it used, and that enrollment (template, name, pending record) when found. */
  enrolledVia?: string;
  enrollment?: Enrollment;
  /** What the device reported; a fact it did not report keeps the known one. */
  facts: Partial<
    Pick<
      Device,
      | 'name'
      | 'model'
      | 'osVersion'
      | 'serialNumber'
      | 'identityCertHash'
      | 'identityCertNotAfter'
      | 'userAgent'
      | 'deviceTokenHash'
    >
  >;
  /** The push address, replaced at every enrollment (an Apple device sends its own at TokenUpdate). */
  push?: Device['push'];
  /** An Apple device is Awaiting-Check-In until its first TokenUpdate; an Android agent is Checked-In at once. */
  registrationState: Extract<RegistrationState, 'Awaiting-Check-In' | 'Checked-In'>;
  /**
   * The lookup that identifies the device when `existing` is not known (the Android serial
   * number): claimed before the device is created, so two enrollments of one device at once make
   * one device (the later one enrolls it again).
   */
  identifiedBy?: { kind: DeviceLink; value: string };
  /** Lookups pointing at the device once it is enrolled (the Android device token). */
  links: Array<{ kind: DeviceLink; value: string }>;
  log: { event: string; created: string; again: string };
}

/**
 * Enrolls a device, new or again, on either platform. Again is a fresh start: the old queue is
 * dropped, the old device token stops working, and the session state (withdrawal, awaited answer,
 * sync phase, NotNow) is forgotten. The enrollment's pending record is taken over and its token
 * marked used. Returns the device id.
 *
 * Safe when the same device enrolls twice at once (dynalite has no transactions: each step is a
 * single-item conditional write): the identifying lookup is claimed first, and a create that
 * finds the device already there enrolls it again instead.
 */
export async function enrollDevice(app: App, e: DeviceEnrollment): Promise<string> {
  const now = app.clock.now().toISOString();
  const pendingId = e.enrollment ? await takeOverPendingDevice(app, e.enrollment) : undefined;
  let deviceId = e.existing?.id ?? e.deviceId ?? pendingId ?? newDeviceId(e.platform);
  if (!e.existing && e.identifiedBy)
    deviceId = await app.stores.devices.claimLink(e.tenantId, e.identifiedBy.kind, e.identifiedBy.value, deviceId);
  if (e.existing || !(await createEnrolledDevice(app, e, deviceId, now))) await enrollAgain(app, e, deviceId, now);
  if (e.enrolledVia) await app.stores.enrollments.markUsed(e.tenantId, e.enrolledVia, deviceId, now);
  for (const link of e.links) await app.stores.devices.link(e.tenantId, link.kind, link.value, deviceId);
  return deviceId;
}

/** What the device reported, the enrollment's name when it reported none. */
function reportedFacts(e: DeviceEnrollment): Partial<Device> {
  return Object.fromEntries(
    Object.entries({ ...e.facts, name: e.facts.name ?? e.enrollment?.name }).filter(([, v]) => v !== undefined),
  );
}

/** A new device; false (nothing written) when a device with this id exists already. */
async function createEnrolledDevice(app: App, e: DeviceEnrollment, deviceId: string, now: string): Promise<boolean> {
  try {
    await createDevice(
      app,
      {
        tenantId: e.tenantId,
        id: deviceId,
        platform: e.platform,
        ...reportedFacts(e),
        ...(e.registrationState === 'Checked-In' ? { checkedInAt: now } : {}),
        templateId: e.enrollment?.templateId,
        syncState: 'Sync-Required',
        registrationState: e.registrationState,
        adminLocked: false,
        prohibitedApps: [],
        pendingCommands: {},
        ...(e.push ? { push: e.push } : {}),
        enrolledVia: e.enrolledVia,
        createdAt: now,
        updatedAt: now,
        rev: 0,
      },
      [{ event: e.log.event, message: e.log.created }],
    );
    return true;
  } catch (err) {
    if (err instanceof DomainError && err.code === 'conflict') return false;
    throw err;
  }
}

/** The device enrolls again: a fresh start, and the device token it had stops working. */
async function enrollAgain(app: App, e: DeviceEnrollment, deviceId: string, now: string): Promise<void> {
  await app.stores.commands.clear(e.tenantId, deviceId);
  let replacedToken: string | undefined;
  await mutateDevice(app, e.tenantId, deviceId, (d) => {
    replacedToken = d.deviceTokenHash; // the last run's is the one the landed write replaced
    const { withdrawalReason: _w, awaitingAnswerSince: _a, syncPhase: _s, lastNotNowAt: _n, ...rest } = d;
    return {
      device: {
        ...rest,
        ...reportedFacts(e),
        ...(e.registrationState === 'Checked-In' ? { checkedInAt: now } : {}),
        platform: e.platform,
        registrationState: e.registrationState,
        push: e.push,
        pendingCommands: {},
        templateId: e.enrollment?.templateId ?? d.templateId,
        enrolledVia: e.enrolledVia ?? d.enrolledVia,
      },
      logs: [{ event: e.log.event, message: e.log.again }],
    };
  });
  if (replacedToken && replacedToken !== e.facts.deviceTokenHash)
    await app.stores.devices.unlink(e.tenantId, 'token', replacedToken);
}

/** Pending enrollment records whose token expired unused become Expired (run by the hourly sweep). */
export async function expireUnusedEnrollments(app: App, tenantId: string): Promise<number> {
  const now = app.clock.now().toISOString();
  let expired = 0;
  for await (const page of pages((cursor) =>
    app.stores.devices.list(tenantId, { registrationState: 'Awaiting-Check-In' }, cursor, 100),
  )) {
    for (const d of page.items) {
      if (!d.pendingEnrollmentExpiresAt || d.pendingEnrollmentExpiresAt > now) continue;
      await mutateDevice(app, tenantId, d.id, (cur) =>
        cur.registrationState !== 'Awaiting-Check-In' || !cur.pendingEnrollmentExpiresAt
          ? undefined
          : {
              device: { ...cur, registrationState: 'Expired' },
              logs: [
                {
                  event: 'enrollment-expired',
                  message: `the enrollment${cur.name ? ` for ${cur.name}` : ''} expired before a device used it`,
                  severity: 'info',
                },
              ],
            },
      );
      expired += 1;
    }
  }
  return expired;
}

/**
 * Stops managing a device: Withdrawn with its reason, its queue dropped, its push token forgotten
 * (a new enrollment brings a new one), its alarms cleared. Its history stays in the logs.
 */
export async function withdrawDevice(app: App, device: Device, reason: WithdrawalReason): Promise<Device> {
  const updated = await mutateDevice(app, device.tenantId, device.id, (d) => {
    if (d.registrationState === 'Withdrawn') {
      // Retiring a device already withdrawn (say wiped) records the admin's last word; anything else keeps the first reason.
      if (reason !== 'retired' || d.withdrawalReason === 'retired') return undefined;
      return {
        device: { ...d, withdrawalReason: reason },
        logs: [{ event: 'withdrawn', message: 'device retired', severity: 'info', data: { reason } }],
      };
    }
    const { awaitingAnswerSince: _a, syncPhase: _s, lastNotNowAt: _n, push: _p, ...rest } = d;
    return {
      device: {
        ...rest,
        registrationState: 'Withdrawn',
        withdrawalReason: reason,
        pendingCommands: {},
        adminLocked: false,
        prohibitedApps: [],
      },
      logs: [{ event: 'withdrawn', message: `device withdrawn (${reason})`, severity: 'info', data: { reason } }],
    };
  });
  await app.stores.commands.clear(device.tenantId, device.id);
  if (device.prohibitedApps.length)
    await clearAlarm(app, device.tenantId, `prohibited-app#${device.id}`, 'device withdrawn');
  if (updated.deviceTokenHash) await app.stores.devices.unlink(device.tenantId, 'token', updated.deviceTokenHash);
  return updated;
}
