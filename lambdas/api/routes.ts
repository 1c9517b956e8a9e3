// The route table: every route of docs/{api,apple,android}.md, declared once. The CDK HTTP API (lib/), the local server
// (bin/local.ts), the Lambda routers (lambdas/handlers/) and the OpenAPI document are all built
// from this list. Implementations live per surface in lambdas/api/{admin,apple,android}.ts.
import type { RouteDef, RouteTable, Surface } from '../http/types';
import * as android from '../protocol/android/wire';
import { JOB_NAMES } from '../domain/jobs';
import * as s from './admin-schemas';
import { checkPathParams } from './path-params';

const route = <const R extends RouteDef>(r: R) => r;

export const ROUTES = [
  // Apple device endpoints (docs/apple.md)
  route({ op: 'appleEnrollmentProfile', method: 'GET', path: '/mdm/{tenant}/enroll/{token}', surface: 'apple', auth: 'public',
    summary: 'Enrollment profile for an enrollment token', success: { status: 200, contentType: 'application/x-apple-aspen-config' }, errors: [404, 409, 410] }),
  route({ op: 'appleCheckin', method: 'PUT', path: '/mdm/{tenant}/checkin', surface: 'apple', auth: 'apple-device',
    summary: 'Apple MDM check-in (Authenticate, TokenUpdate, CheckOut, ...)', success: { status: 200, contentType: 'application/xml' }, errors: [400, 403, 410] }),
  route({ op: 'appleConnect', method: 'PUT', path: '/mdm/{tenant}/connect', surface: 'apple', auth: 'apple-device',
    summary: 'Apple MDM command polling: status in, next command out (or zero bytes)', success: { status: 200, contentType: 'application/xml' }, errors: [400, 403] }),

  // Android agent endpoints (docs/android.md)
  route({ op: 'androidEnroll', method: 'POST', path: '/android/{tenant}/enroll', surface: 'android', auth: 'public',
    summary: 'Enroll an Android agent', body: android.androidEnrollSchema,
    success: { status: 201, schema: android.androidEnrollResultSchema }, errors: [400, 404, 410] }),
  route({ op: 'androidCheckin', method: 'PUT', path: '/android/{tenant}/checkin', surface: 'android', auth: 'android-device',
    summary: 'Android check-in with inventory', body: android.androidCheckinSchema, success: { status: 200, schema: android.emptyObjectSchema }, errors: [400, 401] }),
  route({ op: 'androidConnect', method: 'POST', path: '/android/{tenant}/connect', surface: 'android', auth: 'android-device',
    summary: 'Android command polling: status in, next command out or 204', body: android.androidConnectSchema,
    success: { status: 200, schema: android.androidCommandSchema, description: '204 when nothing is queued' }, errors: [400, 401] }),

  // Admin API (docs/api.md)
  route({ op: 'openapi', method: 'GET', path: '/admin/v1/openapi.json', surface: 'admin', auth: 'public',
    summary: 'This OpenAPI 3.1 document', success: { status: 200 } }),
  route({ op: 'createTenant', method: 'POST', path: '/admin/v1/tenants', surface: 'admin', auth: 'operator',
    summary: 'Create a tenant with its device CA, counters and first admin key', body: s.tenantInputSchema,
    success: { status: 201, schema: s.tenantCreatedSchema }, errors: [409] }),
  route({ op: 'createApiKey', method: 'POST', path: '/admin/v1/api-keys', surface: 'admin', auth: 'admin',
    summary: 'Create an API key (shown once)', body: s.apiKeyInputSchema, success: { status: 201, schema: s.apiKeyCreatedSchema } }),
  route({ op: 'listApiKeys', method: 'GET', path: '/admin/v1/api-keys', surface: 'admin', auth: 'viewer',
    summary: 'List API keys (ids, names, roles, last use)', success: { status: 200, schema: s.pageOf(s.apiKeySchema) } }),
  route({ op: 'deleteApiKey', method: 'DELETE', path: '/admin/v1/api-keys/{id}', surface: 'admin', auth: 'admin',
    summary: 'Revoke an API key', success: { status: 204 } }),
  route({ op: 'createTemplate', method: 'POST', path: '/admin/v1/templates', surface: 'admin', auth: 'admin',
    summary: 'Create a template', body: s.templateInputSchema, success: { status: 201, schema: s.templateSchema } }),
  route({ op: 'listTemplates', method: 'GET', path: '/admin/v1/templates', surface: 'admin', auth: 'viewer',
    summary: 'List templates', query: s.pageQuerySchema, success: { status: 200, schema: s.pageOf(s.templateSchema) } }),
  route({ op: 'getTemplate', method: 'GET', path: '/admin/v1/templates/{id}', surface: 'admin', auth: 'viewer',
    summary: 'Read a template', success: { status: 200, schema: s.templateSchema } }),
  route({ op: 'replaceTemplate', method: 'PUT', path: '/admin/v1/templates/{id}', surface: 'admin', auth: 'admin',
    summary: 'Replace a template (bumps version; its devices become Sync-Required through a background fan-out)', body: s.templateInputSchema,
    success: { status: 200, schema: s.templateChangedSchema }, errors: [409] }),
  route({ op: 'deleteTemplate', method: 'DELETE', path: '/admin/v1/templates/{id}', surface: 'admin', auth: 'admin',
    summary: 'Delete a template (409 while assigned)', success: { status: 204 }, errors: [409] }),
  route({ op: 'createEnrollment', method: 'POST', path: '/admin/v1/enrollments', surface: 'admin', auth: 'admin',
    summary: 'Create an enrollment token', body: s.enrollmentInputSchema, success: { status: 201, schema: s.enrollmentSchema } }),
  route({ op: 'listDevices', method: 'GET', path: '/admin/v1/devices', surface: 'admin', auth: 'viewer',
    summary: 'List devices with filters and cursor paging', query: s.deviceListQuerySchema, success: { status: 200, schema: s.pageOf(s.deviceSchema) } }),
  route({ op: 'getDevice', method: 'GET', path: '/admin/v1/devices/{id}', surface: 'admin', auth: 'viewer',
    summary: 'Device detail', success: { status: 200, schema: s.deviceSchema } }),
  route({ op: 'assignTemplate', method: 'PUT', path: '/admin/v1/devices/{id}/template', surface: 'admin', auth: 'admin',
    summary: 'Assign a template; the device becomes Sync-Required', body: s.assignTemplateSchema, success: { status: 200, schema: s.deviceSchema } }),
  route({ op: 'sendCommand', method: 'POST', path: '/admin/v1/devices/{id}/commands', surface: 'admin', auth: 'admin',
    summary: 'Send a command to one device', body: s.commandInputSchema, success: { status: 202, schema: s.commandAcceptedSchema }, errors: [422] }),
  route({ op: 'listDeviceCommands', method: 'GET', path: '/admin/v1/devices/{id}/commands', surface: 'admin', auth: 'viewer',
    summary: 'Command queue and history of a device', query: s.pageQuerySchema, success: { status: 200, schema: s.deviceCommandsSchema } }),
  route({ op: 'diagnoseDevice', method: 'GET', path: '/admin/v1/devices/{id}/diagnosis', surface: 'admin', auth: 'viewer',
    summary: 'Why this device is not Synchronized', success: { status: 200, schema: s.diagnosisSchema } }),
  route({ op: 'deviceTimeline', method: 'GET', path: '/admin/v1/devices/{id}/timeline', surface: 'admin', auth: 'viewer',
    summary: 'The last syncs of a device as one ordered story', success: { status: 200, schema: s.timelineSchema } }),
  route({ op: 'bulkCommand', method: 'POST', path: '/admin/v1/commands', surface: 'admin', auth: 'admin',
    summary: 'Send a command to many devices (ids or a filter)', body: s.bulkCommandInputSchema, success: { status: 202, schema: s.bulkAcceptedSchema } }),
  route({ op: 'getBulkOperation', method: 'GET', path: '/admin/v1/commands/{id}', surface: 'admin', auth: 'viewer',
    summary: 'Progress of a bulk command', success: { status: 200, schema: s.bulkOperationSchema } }),
  route({ op: 'dashboard', method: 'GET', path: '/admin/v1/dashboard', surface: 'admin', auth: 'viewer',
    summary: 'Fleet counts and active alarms', success: { status: 200, schema: s.dashboardSchema } }),
  route({ op: 'listLogs', method: 'GET', path: '/admin/v1/logs', surface: 'admin', auth: 'viewer',
    summary: 'Logs (alarm, event, command); ?format=csv exports', query: s.logQuerySchema,
    success: { status: 200, schema: s.pageOf(s.logItemSchema), description: 'text/csv with format=csv' } }),
  route({ op: 'putApns', method: 'PUT', path: '/admin/v1/push/apns', surface: 'admin', auth: 'admin',
    summary: 'Upload the APNs MDM push certificate and key', body: s.apnsInputSchema, success: { status: 200, schema: s.apnsResultSchema }, errors: [409, 422] }),
  route({ op: 'putFcm', method: 'PUT', path: '/admin/v1/push/fcm', surface: 'admin', auth: 'admin',
    summary: 'Upload the FCM service account', body: s.fcmInputSchema, success: { status: 200, schema: s.fcmResultSchema }, errors: [422] }),
  route({ op: 'runJob', method: 'POST', path: '/admin/v1/jobs/{job}/run', surface: 'admin', auth: 'admin',
    summary: `Run a scheduled job now (${JOB_NAMES.join(', ')})`, success: { status: 200, schema: s.jobResultSchema } }),
] as const satisfies readonly RouteDef[];

export type SurfaceOp<S extends Surface> = Extract<(typeof ROUTES)[number], { surface: S }>['op'];

/** The routes with their path-parameter check, as the pipeline takes them. */
export const ROUTE_TABLE: RouteTable = { routes: ROUTES, checkPathParams };
