// Apple device endpoints (API.md §2, docs/apple.md). Never a 401 here: an Apple device removes
// its MDM profile on a 401. Bad signatures and certificates get 400; a device the server no
// longer manages gets 403 {"code":"com.apple.unrecognized.device"}.
import { conflict, DomainError } from '../domain/errors';
import { isTenantId, type Device, type Tenant } from '../domain/types';
import { baseUrl } from '../http/base-url';
import type { HttpRequest, HttpResponse, OperationInput } from '../http/types';
import { json } from '../http/types';
import { issueDeviceIdentity } from '../protocol/apple/ca';
import { encodeCommand } from '../protocol/apple/commands';
import { buildEnrollmentProfile, ENROLLMENT_PROFILE_CONTENT_TYPE, FULL_ACCESS_RIGHTS } from '../protocol/apple/enrollment-profile';
import { checkinResponse, parseCheckin, parseCommandReport, platformFromAuthenticate, type CheckinMessage } from '../protocol/apple/messages';
import { MalformedPlistError } from '../protocol/apple/plist';
import { verifyMdmSignature, type VerifiedSigner } from '../protocol/apple/signature';
import type { SurfaceOp } from '../routes';
import { UNLOCK_TOKEN_SECRET } from '../service/admin-commands';
import type { App } from '../service/app';
import { logEvent } from '../service/audit';
import { createDevice, mutateDevice } from '../service/devices';
import { nextCommand, recordReport } from '../service/commands';
import { takeOverPendingDevice, useableEnrollment, withdrawDevice } from '../service/enrollment';
import { sha256Hex } from '../ids';
import { requestSync } from '../service/sync';
import { CA_KEY_SECRET } from '../service/tenants';

const EMPTY = Buffer.alloc(0);
const RAW_LOG_BYTES = 4096;

/** The sanctioned "stop managing me" answer (iOS 17+ / macOS 14+), used in place of 401. */
export const unrecognizedDevice = (): HttpResponse => json(403, { code: 'com.apple.unrecognized.device' });

const okEmpty = (): HttpResponse => ({ status: 200, body: EMPTY });

async function tenantFor(app: App, params: Record<string, string>): Promise<Tenant | undefined> {
  return isTenantId(params.tenant) ? app.stores.tenants.get(params.tenant) : undefined;
}

/** Verifies Mdm-Signature when the tenant requires it (the default). */
async function verifySigner(app: App, tenant: Tenant, req: HttpRequest): Promise<VerifiedSigner | undefined> {
  if (tenant.requireSignature === false) return undefined;
  return verifyMdmSignature(req.headers['mdm-signature'], req.body, tenant.caCertificatePem, app.clock.now());
}

/** Parses a device plist; a malformed one is logged with its raw body cut to 4 KB, then 400. */
async function parseOrLog<T>(app: App, tenant: Tenant, req: HttpRequest, parse: (b: Buffer) => T): Promise<T> {
  try {
    return parse(req.body);
  } catch (err) {
    if (err instanceof DomainError) {
      await logEvent(app, tenant.id, 'malformed-request', `malformed device request: ${err.message}`, {
        severity: 'minor', data: { route: req.path, raw: req.body.subarray(0, RAW_LOG_BYTES).toString('utf8') },
      });
    }
    throw err instanceof MalformedPlistError || err instanceof DomainError ? err : new MalformedPlistError(String((err as Error).message));
  }
}

/** The `identity` link from a certificate hash to the device it was bound to at Authenticate. */
const boundIdentityKey = (certHash: string) => `bound#${certHash}`;

/** The request must come from the certificate bound to this device at Authenticate. */
function requireBoundCertificate(device: Device, signer: VerifiedSigner | undefined): void {
  if (signer && device.identityCertHash && device.identityCertHash !== signer.certHash) {
    throw new DomainError('bad-request', 'the identity certificate does not belong to this device');
  }
}

function checkTopic(tenant: Tenant, msg: CheckinMessage): void {
  const topic = 'topic' in msg ? msg.topic : undefined;
  if (topic && tenant.apns && topic !== tenant.apns.topic) throw new DomainError('bad-request', 'the message topic is not this tenant’s push topic');
}

async function authenticate(app: App, tenant: Tenant, req: HttpRequest, msg: Extract<CheckinMessage, { type: 'Authenticate' }>, signer: VerifiedSigner | undefined): Promise<HttpResponse> {
  const existing = await app.stores.devices.get(tenant.id, msg.udid);
  const enrollmentHash = signer ? (await app.stores.devices.resolveLink(tenant.id, 'identity', signer.certHash)) : undefined;
  if (existing && existing.registrationState !== 'Withdrawn') requireBoundCertificate(existing, signer);
  if (!existing && signer && !enrollmentHash) return unrecognizedDevice(); // not an identity this server handed out
  // One identity, one device (docs/apple.md): a certificate already bound to another UDID is refused.
  const boundTo = signer ? await app.stores.devices.resolveLink(tenant.id, 'identity', boundIdentityKey(signer.certHash)) : undefined;
  if (boundTo && boundTo !== msg.udid) throw new DomainError('bad-request', 'the identity certificate belongs to another device');
  const enrollment = enrollmentHash ? await app.stores.enrollments.get(tenant.id, enrollmentHash) : undefined;
  if (enrollment) await takeOverPendingDevice(app, enrollment);
  const now = app.clock.now().toISOString();
  const facts = {
    platform: platformFromAuthenticate(msg), serialNumber: msg.serialNumber, model: msg.modelName ?? msg.productName ?? msg.model,
    osVersion: msg.osVersion, name: msg.deviceName ?? enrollment?.name, identityCertHash: signer?.certHash,
    identityCertNotAfter: signer?.notAfter.toISOString(), userAgent: req.headers['user-agent'],
  };
  if (!existing) {
    await createDevice(app, {
      tenantId: tenant.id, id: msg.udid, ...facts, templateId: enrollment?.templateId, syncState: 'Sync-Required',
      registrationState: 'Awaiting-Check-In', adminLocked: false, prohibitedApps: [], pendingCommands: {},
      enrolledVia: enrollmentHash, createdAt: now, updatedAt: now, rev: 0,
    }, [{ event: 'authenticate', message: 'device authenticated (enrollment in progress)' }]);
  } else {
    // Re-enrollment: a fresh start, the old queue dropped (nanomdm does the same).
    await app.stores.commands.clear(tenant.id, msg.udid);
    await mutateDevice(app, tenant.id, msg.udid, (d) => {
      const { withdrawalReason: _w, awaitingAnswerSince: _a, syncPhase: _s, lastNotNowAt: _n, ...rest } = d;
      return {
        device: {
          ...rest, ...Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined)),
          templateId: enrollment?.templateId ?? d.templateId, registrationState: 'Awaiting-Check-In', pendingCommands: {},
          enrolledVia: enrollmentHash ?? d.enrolledVia, push: undefined,
        },
        logs: [{ event: 'authenticate', message: 'device authenticated again (re-enrollment)' }],
      };
    });
  }
  if (enrollmentHash) await app.stores.enrollments.markUsed(tenant.id, enrollmentHash, msg.udid, now);
  if (signer && !boundTo) await app.stores.devices.link(tenant.id, 'identity', boundIdentityKey(signer.certHash), msg.udid);
  return okEmpty();
}

async function tokenUpdate(app: App, tenant: Tenant, req: HttpRequest, msg: Extract<CheckinMessage, { type: 'TokenUpdate' }>, device: Device): Promise<HttpResponse> {
  if (msg.channel === 'user') return okEmpty(); // user channels are declined at UserAuthenticate
  if (msg.unlockToken) await app.stores.secrets.put(tenant.id, UNLOCK_TOKEN_SECRET(device.id), msg.unlockToken.toString('base64'));
  const now = app.clock.now().toISOString();
  const first = device.registrationState !== 'Checked-In';
  await mutateDevice(app, tenant.id, device.id, (d) => ({
    device: {
      ...d, push: { token: msg.token, magic: msg.pushMagic, dead: false },
      ...(first ? {
        registrationState: 'Checked-In' as const, checkedInAt: now, checkInAddress: req.sourceIp,
        userAgent: req.headers['user-agent'] ?? d.userAgent, accessRights: FULL_ACCESS_RIGHTS.toString(16).toUpperCase(),
      } : {}),
    },
    logs: [{ event: first ? 'checked-in' : 'token-update', message: first ? 'device checked in (enrollment complete)' : 'push token updated' }],
  }));
  // Enrollment is complete at the first TokenUpdate: only now may the sync start and the server push.
  if (first) await requestSync(app, tenant.id, device.id, 'enrollment');
  return okEmpty();
}

export const appleOperations: Record<SurfaceOp<'apple'>, (input: OperationInput<never, never>, app: App) => Promise<HttpResponse>> = {
  appleEnrollmentProfile: async ({ params, req }, app) => {
    const tenant = await tenantFor(app, params);
    if (!tenant) throw new DomainError('not-found', 'enrollment token not found');
    const enrollment = await useableEnrollment(app, tenant.id, params.token, 'ios');
    if (!tenant.apns) throw conflict('this organisation has not uploaded an Apple push certificate yet, so devices cannot enroll; an admin uploads it with PUT /admin/v1/push/apns');
    const caKey = await app.stores.secrets.get(tenant.id, CA_KEY_SECRET);
    if (!caKey || !tenant.caCertificatePem) throw conflict('this organisation has no device CA');
    const identity = issueDeviceIdentity({ certPem: tenant.caCertificatePem, keyPem: caKey }, `${tenant.id} device`, app.clock.now());
    await app.stores.devices.link(tenant.id, 'identity', sha256Hex(certDer(identity.certPem)), enrollment.tokenHash);
    const base = baseUrl(app, req);
    const profile = buildEnrollmentProfile({
      tenantId: tenant.id, tenantName: tenant.name, serverUrl: `${base}/mdm/${tenant.id}/connect`, checkInUrl: `${base}/mdm/${tenant.id}/checkin`,
      topic: tenant.apns.topic, identity: { p12: identity.p12, password: identity.password },
    });
    return { status: 200, headers: { 'content-type': ENROLLMENT_PROFILE_CONTENT_TYPE, 'content-disposition': `attachment; filename="${tenant.id}-enroll.mobileconfig"` }, body: profile };
  },

  appleCheckin: async ({ params, req }, app) => {
    const tenant = await tenantFor(app, params);
    if (!tenant) return unrecognizedDevice();
    const signer = await verifySigner(app, tenant, req);
    const msg = await parseOrLog(app, tenant, req, parseCheckin);
    checkTopic(tenant, msg);
    if (msg.type === 'Authenticate') return authenticate(app, tenant, req, msg, signer);
    if (msg.type === 'TokenUpdate' || msg.type === 'CheckOut') {
      const device = await app.stores.devices.get(tenant.id, msg.udid);
      if (!device || device.registrationState === 'Withdrawn') return msg.type === 'CheckOut' ? okEmpty() : unrecognizedDevice();
      requireBoundCertificate(device, signer);
      if (msg.type === 'TokenUpdate') return tokenUpdate(app, tenant, req, msg, device);
      if (msg.channel === 'device') await withdrawDevice(app, device, 'checked-out');
      return okEmpty();
    }
    const reply = checkinResponse(msg);
    return { status: reply.status, headers: reply.contentType ? { 'content-type': reply.contentType } : {}, body: reply.body };
  },

  appleConnect: async ({ params, req }, app) => {
    const tenant = await tenantFor(app, params);
    if (!tenant) return unrecognizedDevice();
    const signer = await verifySigner(app, tenant, req);
    const report = await parseOrLog(app, tenant, req, parseCommandReport);
    const device = await app.stores.devices.get(tenant.id, report.udid);
    if (!device || device.registrationState === 'Withdrawn') return unrecognizedDevice();
    requireBoundCertificate(device, signer);
    if (report.channel === 'user') return okEmpty(); // no user-channel commands are queued
    const after = await recordReport(app, device, {
      status: report.status, commandId: report.commandUuid, result: report.raw,
      errors: report.errorChain?.map((e) => ({ code: e.code, domain: e.domain, message: e.message })),
    });
    if (after.registrationState === 'Withdrawn') return okEmpty();
    const next = await nextCommand(app, after);
    if (!next) return okEmpty(); // the empty command response is zero bytes (PROTOCOL.md §0.7)
    return { status: 200, headers: { 'content-type': 'application/xml' }, body: encodeCommand(next.command.id, next.payload) };
  },
};

function certDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}
