// Apple device endpoints (docs/apple.md, docs/protocol.md). Never a 401 here: an Apple device removes
// its MDM profile on a 401. Bad signatures and certificates get 400; a device the server no
// longer manages gets 403 {"code":"com.apple.unrecognized.device"}.

import { DomainError } from '../domain/errors';
import { isTenantId } from '../domain/identifiers';
import { StoredLimitError } from '../domain/limits';
import type { Tenant } from '../domain/types';
import { baseUrl } from '../http/base-url';
import type { HttpRequest, HttpResponse, OperationInput } from '../http/types';
import { json } from '../http/types';
import { encodeCommand } from '../protocol/apple/command-builders';
import { ENROLLMENT_PROFILE_CONTENT_TYPE } from '../protocol/apple/enrollment-profile';
import {
  type CheckinMessage,
  checkinResponse,
  parseCheckin,
  parseCommandReport,
  platformFromAuthenticate,
} from '../protocol/apple/messages';
import { MalformedPlistError } from '../protocol/apple/plist';
import type * as ScepProtocol from '../protocol/apple/scep';
import { type VerifiedSigner, verifyMdmSignature } from '../protocol/apple/signature';
import {
  appleEnrollmentProfile,
  authenticateAppleDevice,
  recordAppleTokenUpdate,
  requireCurrentCertificate,
} from '../service/apple-enrollment';
import { logEvent } from '../service/audit';
import type { App } from '../service/container';
import { openSession, reportAndHandOut } from '../service/device-session';
import { withdrawDevice } from '../service/enrollment';
import type * as ScepService from '../service/scep';
import type { SurfaceOp } from './routes';

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

/** Parses a device plist; anything the parser throws is a malformed plist (400). */
function parseDevicePlist<T>(req: HttpRequest, parse: (b: Buffer) => T): T {
  try {
    return parse(req.body);
  } catch (err) {
    throw err instanceof DomainError ? err : new MalformedPlistError(String((err as Error).message));
  }
}

/** Secret values a device message can carry (TokenUpdate, SetBootstrapToken): never logged. */
const SECRET_VALUES = /(<key>(?:UnlockToken|PushMagic|Token|BootstrapToken)<\/key>\s*<(data|string)>)[^<]*(<\/\2>)/g;

/** The raw body as logged: secret values redacted first, then cut to 4 KB. */
function loggableBody(body: Buffer): string {
  const text = body.toString('utf8').replace(SECRET_VALUES, '$1(redacted)$3');
  return Buffer.from(text, 'utf8').subarray(0, RAW_LOG_BYTES).toString('utf8');
}

/**
 * Runs a device request; a 400 it ends in is logged with its reason and the raw body (docs/apple.md
 * §Status codes), so an operator can see why a device was refused.
 */
async function logRefusals(
  app: App,
  tenant: Tenant,
  req: HttpRequest,
  handle: () => Promise<HttpResponse>,
): Promise<HttpResponse> {
  try {
    return await handle();
  } catch (err) {
    if (err instanceof DomainError && err.status === 400) {
      const malformed = err instanceof MalformedPlistError;
      const signatureFailure = typeof err.details?.reason === 'string' ? err.details.reason : undefined;
      await logEvent(
        app,
        tenant.id,
        malformed ? 'malformed-request' : 'device-request-refused',
        `${malformed ? 'malformed device request' : 'device request refused'}: ${err.message}`,
        {
          severity: 'minor',
          data: {
            route: req.path,
            reason: err.message,
            ...(signatureFailure ? { signatureFailure } : {}),
            raw: loggableBody(req.body),
          },
        },
      );
    }
    throw err;
  }
}

/**
 * A check-in or connect, with the tenant from the container's cache (docs/architecture.md §The
 * device session). A request refused on the cached tenant (its signature, its topic) is tried once
 * more on a fresh read when the tenant changed meanwhile in another container (a new push
 * certificate or device CA setting), so a stale cache never refuses a device.
 */
async function deviceRequest(
  app: App,
  params: Record<string, string>,
  req: HttpRequest,
  handle: (app: App, tenant: Tenant, req: HttpRequest) => Promise<HttpResponse>,
): Promise<HttpResponse> {
  const cached = isTenantId(params.tenant) ? await app.tenantCache.get(params.tenant) : undefined;
  if (!cached) return unrecognizedDevice();
  try {
    return await handle(app, cached, req);
  } catch (err) {
    const refused = err instanceof DomainError && err.status === 400 && !(err instanceof StoredLimitError);
    const fresh = refused ? await app.tenantCache.reload(cached.id) : undefined;
    if (fresh && JSON.stringify(fresh) !== JSON.stringify(cached))
      return logRefusals(app, fresh, req, () => handle(app, fresh, req));
    return logRefusals(app, cached, req, () => Promise.reject(err));
  }
}

function checkTopic(tenant: Tenant, msg: CheckinMessage): void {
  const topic = 'topic' in msg ? msg.topic : undefined;
  if (topic && tenant.apns && topic !== tenant.apns.topic)
    throw new DomainError('bad-request', 'the message topic is not this tenant’s push topic');
}

export const appleOperations: Record<
  SurfaceOp<'apple'>,
  (input: OperationInput<never, never>, app: App) => Promise<HttpResponse>
> = {
  appleEnrollmentProfile: async ({ params, req }, app) => {
    const tenant = await tenantFor(app, params);
    if (!tenant) throw new DomainError('not-found', 'enrollment token not found');
    const profile = await appleEnrollmentProfile(app, tenant, params.token, baseUrl(app, req));
    return {
      status: 200,
      headers: {
        'content-type': ENROLLMENT_PROFILE_CONTENT_TYPE,
        'content-disposition': `attachment; filename="${tenant.id}-enroll.mobileconfig"`,
      },
      body: profile,
    };
  },

  scepGet: async ({ params, query }, app) => scep(app, params, query as ScepQuery, undefined),
  scepPost: async ({ params, query, req }, app) => scep(app, params, query as ScepQuery, req.body),

  appleCheckin: async ({ params, req }, app) => deviceRequest(app, params, req, checkin),
  appleConnect: async ({ params, req }, app) => deviceRequest(app, params, req, connect),
};

type ScepQuery = { operation: 'GetCACaps' | 'GetCACert' | 'PKIOperation'; message?: string };

/** SCEP: capabilities, the CA certificate, or a certificate request (POST body, or GET `message` in base64). */
async function scep(
  app: App,
  params: Record<string, string>,
  query: ScepQuery,
  body: Buffer | undefined,
): Promise<HttpResponse> {
  const tenant = await tenantFor(app, params);
  if (!tenant) throw new DomainError('not-found', 'tenant not found');
  // Loaded here, not with the module: SCEP brings node-forge and pkijs, which a device's connect never needs.
  const { SCEP_CA_CAPS, SCEP_CA_CERT_CONTENT_TYPE, SCEP_PKI_MESSAGE_CONTENT_TYPE } =
    require('../protocol/apple/scep') as typeof ScepProtocol;
  const { scepCaCertificate, scepPkiOperation } = require('../service/scep') as typeof ScepService;
  if (query.operation === 'GetCACaps')
    return { status: 200, headers: { 'content-type': 'text/plain' }, body: `${SCEP_CA_CAPS.join('\n')}\n` };
  if (query.operation === 'GetCACert')
    return {
      status: 200,
      headers: { 'content-type': SCEP_CA_CERT_CONTENT_TYPE },
      body: scepCaCertificate(tenant),
    };
  const request = body && body.length > 0 ? body : Buffer.from(query.message ?? '', 'base64');
  if (request.length === 0) throw new DomainError('bad-request', 'PKIOperation needs a request body or message');
  return {
    status: 200,
    headers: { 'content-type': SCEP_PKI_MESSAGE_CONTENT_TYPE },
    body: await scepPkiOperation(app, tenant, request),
  };
}

async function checkin(app: App, tenant: Tenant, req: HttpRequest): Promise<HttpResponse> {
  const signer = await verifySigner(app, tenant, req);
  const msg = parseDevicePlist(req, parseCheckin);
  checkTopic(tenant, msg);
  if (msg.type === 'Authenticate') {
    const facts = {
      udid: msg.udid,
      platform: platformFromAuthenticate(msg),
      serialNumber: msg.serialNumber,
      model: msg.modelName ?? msg.productName ?? msg.model,
      osVersion: msg.osVersion,
      deviceName: msg.deviceName,
      userAgent: req.headers['user-agent'],
    };
    return (await authenticateAppleDevice(app, tenant, facts, signer)) === 'unrecognized'
      ? unrecognizedDevice()
      : okEmpty();
  }
  if (msg.type === 'TokenUpdate' || msg.type === 'CheckOut') {
    const device = await app.stores.devices.get(tenant.id, msg.udid);
    if (!device || device.registrationState === 'Withdrawn')
      return msg.type === 'CheckOut' ? okEmpty() : unrecognizedDevice();
    await requireCurrentCertificate(app, device, signer);
    if (msg.type === 'TokenUpdate') {
      // User channels are declined at UserAuthenticate.
      if (msg.channel !== 'user') {
        await recordAppleTokenUpdate(app, device, {
          token: msg.token,
          pushMagic: msg.pushMagic,
          unlockToken: msg.unlockToken,
          sourceIp: req.sourceIp,
          userAgent: req.headers['user-agent'],
        });
      }
      return okEmpty();
    }
    if (msg.channel === 'device') await withdrawDevice(app, device, 'checked-out');
    return okEmpty();
  }
  const reply = checkinResponse(msg);
  return {
    status: reply.status,
    headers: reply.contentType ? { 'content-type': reply.contentType } : {},
    body: reply.body,
  };
}

async function connect(app: App, tenant: Tenant, req: HttpRequest): Promise<HttpResponse> {
  const signer = await verifySigner(app, tenant, req);
  const report = parseDevicePlist(req, parseCommandReport);
  const session = await openSession(app, tenant, report.udid);
  if (!session || session.device.registrationState === 'Withdrawn') return unrecognizedDevice();
  const device = await requireCurrentCertificate(app, session.device, signer);
  if (report.channel === 'user') return okEmpty(); // no user-channel commands are queued
  const next = await reportAndHandOut(
    app,
    { ...session, device },
    {
      status: report.status,
      commandId: report.commandUuid,
      result: report.raw,
      errors: report.errorChain?.map((e) => ({ code: e.code, domain: e.domain, message: e.message })),
    },
  );
  if (!next) return okEmpty(); // the empty command response is zero bytes (docs/protocol.md §Zero-length answer)
  return {
    status: 200,
    headers: { 'content-type': 'application/xml' },
    body: encodeCommand(next.command.id, next.payload),
  };
}
