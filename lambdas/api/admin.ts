// Admin API operations (docs/api.md): thin — validated input in, one service call, a response out.

import { badRequest, notFound } from '../domain/errors';
import { baseUrl } from '../http/base-url';
import { type HttpResponse, json, noContent, type OperationInput } from '../http/types';
import { putSigningCredential } from '../service/apple-enrollment';
import { callerView, type Principal } from '../service/auth';
import { getBulkProgress, startBulkCommand } from '../service/bulk-commands';
import type { App } from '../service/container';
import { dashboard } from '../service/dashboard';
import { assignTemplate, deviceCommands, retireDevice, sendCommand } from '../service/device-admin';
import { deviceInventory, deviceView, getDevice } from '../service/devices';
import { deviceTimeline, diagnoseDevice } from '../service/diagnosis';
import { createEnrollment } from '../service/enrollment';
import { runJob } from '../service/jobs';
import { exportLogsCsv } from '../service/logs';
import { pushCredentialState, putApnsCredential, putFcmCredential } from '../service/push-credential-upload';
import { createTemplate, deleteTemplate, getTemplate, replaceTemplate, templateView } from '../service/templates';
import {
  createApiKey,
  createTenant,
  deleteApiKey,
  listTenants,
  publicApiKey,
  readTenant,
  updateTenant,
} from '../service/tenants';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhooks,
  pingWebhook,
  replaceWebhook,
  webhookDeliveries,
  webhookView,
} from '../service/webhooks';
import type * as z from '../zod';
import type * as s from './admin-schemas';
import { openApiDocument } from './openapi';
import type { SurfaceOp } from './routes';

type In<B = unknown, Q = Record<string, string>> = OperationInput<B, Q>;

/** The tenant a key belongs to; operations never take a tenant from the URL or body. */
export function tenantOf(principal: Principal): string {
  if (principal.kind !== 'key') throw badRequest('this route needs a tenant API key');
  return principal.tenantId;
}

/** A CSV export page as a download; X-Next-Cursor names the next page. */
function csvResponse(page: { csv: string; cursor?: string }): HttpResponse {
  return {
    status: 200,
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': 'attachment; filename="logs.csv"',
      ...(page.cursor ? { 'x-next-cursor': page.cursor } : {}),
    },
    body: page.csv,
  };
}

export const adminOperations: Record<
  SurfaceOp<'admin'>,
  (input: In<never, never>, app: App) => Promise<HttpResponse>
> = {
  openapi: async (_i, _app) => json(200, openApiDocument()),

  createTenant: async ({ body }: In<z.infer<typeof s.tenantInputSchema>>, app) => {
    const { tenant, adminKey } = await createTenant(app, body);
    return json(201, { id: tenant.id, name: tenant.name, adminKey });
  },

  listTenants: async ({ query }: In<never, z.infer<typeof s.pageQuerySchema>>, app) =>
    json(200, await listTenants(app, query.cursor, query.limit)),
  getTenantById: async ({ params }, app) => json(200, await readTenant(app, params.id)),
  updateTenantById: async ({ params, body }: In<z.infer<typeof s.tenantUpdateSchema>>, app) =>
    json(200, await updateTenant(app, params.id, body)),
  getOwnTenant: async ({ principal }, app) => json(200, await readTenant(app, tenantOf(principal))),
  renameOwnTenant: async ({ principal, body }: In<z.infer<typeof s.tenantRenameSchema>>, app) =>
    json(200, await updateTenant(app, tenantOf(principal), { name: body.name })),
  getCaller: async ({ principal }, _app) => json(200, callerView(principal)),

  createApiKey: async ({ body, principal }: In<z.infer<typeof s.apiKeyInputSchema>>, app) => {
    const { apiKey, key } = await createApiKey(app, tenantOf(principal), body);
    return json(201, { ...publicApiKey(apiKey), key });
  },
  listApiKeys: async ({ principal }, app) =>
    json(200, { items: (await app.stores.apiKeys.listByTenant(tenantOf(principal))).map(publicApiKey) }),
  deleteApiKey: async ({ params, principal }, app) => {
    await deleteApiKey(app, tenantOf(principal), params.id);
    return noContent();
  },

  createTemplate: async ({ body, principal }: In<z.infer<typeof s.templateInputSchema>>, app) =>
    json(201, templateView(await createTemplate(app, tenantOf(principal), body))),
  listTemplates: async ({ query, principal }: In<unknown, z.infer<typeof s.pageQuerySchema>>, app) => {
    const page = await app.stores.templates.list(tenantOf(principal), query.cursor, query.limit);
    return json(200, { items: page.items.map(templateView), cursor: page.cursor });
  },
  getTemplate: async ({ params, principal }, app) =>
    json(200, templateView(await getTemplate(app, tenantOf(principal), params.id))),
  replaceTemplate: async ({ params, body, principal }: In<z.infer<typeof s.templateInputSchema>>, app) => {
    const { template, syncOperationId } = await replaceTemplate(app, tenantOf(principal), params.id, body);
    return json(200, { ...templateView(template), syncOperationId });
  },
  deleteTemplate: async ({ params, principal }, app) => {
    await deleteTemplate(app, tenantOf(principal), params.id);
    return noContent();
  },

  createEnrollment: async ({ req, body, principal }: In<z.infer<typeof s.enrollmentInputSchema>>, app) =>
    json(201, await createEnrollment(app, tenantOf(principal), baseUrl(app, req), body)),

  listDevices: async ({ query, principal }: In<unknown, z.infer<typeof s.deviceListQuerySchema>>, app) => {
    const { limit, cursor, ...filter } = query;
    const page = await app.stores.devices.list(tenantOf(principal), filter, cursor, limit ?? 100);
    return json(200, { items: page.items.map(deviceView), cursor: page.cursor });
  },
  getDevice: async ({ params, principal }, app) =>
    json(200, deviceView(await getDevice(app, tenantOf(principal), params.id))),
  deviceInventory: async ({ params, principal }, app) =>
    json(200, await deviceInventory(app, tenantOf(principal), params.id)),
  retireDevice: async ({ params, principal }, app) => {
    await retireDevice(app, tenantOf(principal), params.id);
    return noContent();
  },
  assignTemplate: async ({ params, body, principal }: In<z.infer<typeof s.assignTemplateSchema>>, app) =>
    json(200, deviceView(await assignTemplate(app, tenantOf(principal), params.id, body.templateId))),
  sendCommand: async ({ params, body, principal }: In<z.infer<typeof s.commandInputSchema>>, app) =>
    json(202, await sendCommand(app, tenantOf(principal), params.id, body.type, body.params ?? {})),
  listDeviceCommands: async ({ params, query, principal }: In<unknown, z.infer<typeof s.pageQuerySchema>>, app) =>
    json(200, await deviceCommands(app, tenantOf(principal), params.id, query.cursor, query.limit)),
  diagnoseDevice: async ({ params, principal }, app) =>
    json(200, await diagnoseDevice(app, tenantOf(principal), params.id)),
  deviceTimeline: async ({ params, principal }, app) =>
    json(200, await deviceTimeline(app, tenantOf(principal), params.id)),
  bulkCommand: async ({ body, principal }: In<z.infer<typeof s.bulkCommandInputSchema>>, app) =>
    json(202, await startBulkCommand(app, tenantOf(principal), body)),
  getBulkOperation: async ({ params, principal }, app) => {
    const op = await getBulkProgress(app, tenantOf(principal), params.id);
    if (!op) throw notFound('bulk operation');
    return json(200, op);
  },

  dashboard: async ({ principal }, app) => json(200, await dashboard(app, tenantOf(principal))),

  listLogs: async ({ query, principal }: In<unknown, z.infer<typeof s.logQuerySchema>>, app) => {
    const { limit, cursor, format, ...filter } = query;
    const tenantId = tenantOf(principal);
    if (format === 'csv') return csvResponse(await exportLogsCsv(app, tenantId, filter, cursor, limit));
    const page = await app.stores.logs.query(tenantId, filter, cursor, limit ?? 100);
    return json(200, { items: page.items.map(({ tenantId: _t, ...rest }) => rest), cursor: page.cursor });
  },

  pushState: async ({ principal }, app) => json(200, await pushCredentialState(app, tenantOf(principal))),
  putApns: async ({ body, principal }: In<z.infer<typeof s.apnsInputSchema>>, app) =>
    json(200, await putApnsCredential(app, tenantOf(principal), body)),
  putFcm: async ({ body, principal }: In<z.infer<typeof s.fcmInputSchema>>, app) =>
    json(200, await putFcmCredential(app, tenantOf(principal), body.serviceAccountJson)),

  putSigning: async ({ body, principal }: In<z.infer<typeof s.signingInputSchema>>, app) =>
    json(200, await putSigningCredential(app, tenantOf(principal), body)),

  runJob: async ({ params, principal }, app) =>
    json(200, await runJob(app, params.job, { tenantId: tenantOf(principal) })),

  createWebhook: async ({ body, principal }: In<z.infer<typeof s.webhookInputSchema>>, app) =>
    json(201, await createWebhook(app, tenantOf(principal), body)),
  listWebhooks: async ({ principal }, app) =>
    json(200, { items: (await listWebhooks(app, tenantOf(principal))).map(webhookView) }),
  getWebhook: async ({ params, principal }, app) =>
    json(200, webhookView(await getWebhook(app, tenantOf(principal), params.id))),
  replaceWebhook: async ({ params, body, principal }: In<z.infer<typeof s.webhookInputSchema>>, app) =>
    json(200, webhookView(await replaceWebhook(app, tenantOf(principal), params.id, body))),
  deleteWebhook: async ({ params, principal }, app) => {
    await deleteWebhook(app, tenantOf(principal), params.id);
    return noContent();
  },
  testWebhook: async ({ params, principal }, app) => json(200, await pingWebhook(app, tenantOf(principal), params.id)),
  listWebhookDeliveries: async ({ params, query, principal }: In<unknown, z.infer<typeof s.pageQuerySchema>>, app) =>
    json(200, await webhookDeliveries(app, tenantOf(principal), params.id, query.cursor, query.limit)),
};
