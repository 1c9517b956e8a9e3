// The OpenAPI document is generated from the route table and the request schemas: it must be a
// valid OpenAPI 3.1 document, document every route, and name no route that does not exist.
import { Validator } from '@seriousme/openapi-schema-validator';
import { openApiDocument } from '../../lambdas/api/openapi';
import { ROUTES } from '../../lambdas/api/routes';
import type { RouteDef } from '../../lambdas/http/types';
import { type LocalServer, startLocal } from '../../lambdas/wiring/local';

type Doc = {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      { operationId: string; requestBody?: unknown; security?: unknown[]; responses: Record<string, unknown> }
    >
  >;
};

describe('OpenAPI document', () => {
  const doc = openApiDocument() as unknown as Doc;

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(doc as never);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('documents every route of the route table, and only those', () => {
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(documented).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('gives every route with a body its request schema, its error responses and its auth', () => {
    for (const route of ROUTES as readonly RouteDef[]) {
      const op = doc.paths[route.path][route.method.toLowerCase()];
      expect(op.operationId).toBe(route.op);
      if (route.body) expect(op.requestBody).toBeDefined();
      expect(op.responses['400']).toBeDefined();
      if (['viewer', 'admin', 'operator'].includes(route.auth)) {
        expect(op.responses['401']).toBeDefined();
        expect(op.security).toEqual([{ apiKey: [] }]);
      }
    }
  });

  describe('served at GET /admin/v1/openapi.json', () => {
    let local: LocalServer;
    beforeAll(async () => {
      local = await startLocal({ inMemory: true, port: 0, schedules: false });
    });
    afterAll(async () => {
      await local?.stop();
    });

    it('answers without a key', async () => {
      const res = await fetch(`${local.url}/admin/v1/openapi.json`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as Doc).openapi).toBe('3.1.0');
    });
  });
});

describe('Android command payloads', () => {
  it('documents every command the Android adapter can send, each with its payload shape', async () => {
    const { androidCommandSchema, ANDROID_COMMAND_TYPES } = await import('../../lambdas/protocol/android/wire');
    const { androidAdapter } = await import('../../lambdas/protocol/android/adapter');
    const device = { platform: 'android' } as never;
    const produced = [
      ...androidAdapter.inventoryQueries(device, undefined),
      ...(['install-profile', 'remove-profile', 'install-app', 'remove-app', 'install-book'] as const).map((action) =>
        androidAdapter.syncAction(
          {
            action,
            identifier: 'x',
            hash: 'h',
            version: '7',
            needsUnlock: false,
            item:
              action === 'install-profile'
                ? { kind: 'profile', identifier: 'x', policy: { a: 1 } }
                : { kind: 'app', identifier: 'x', version: '7', source: 'https://apk' },
          },
          device,
        ),
      ),
      ...(['Lock', 'Restart', 'Wipe', 'ClearPasscode', 'Unenroll', 'AdminLock', 'AdminUnlock'] as const).flatMap(
        (type) => {
          const plan = androidAdapter.adminCommand(type, { message: 'm', newPasscode: '1234' }, device, {
            tenantId: 'demo',
          });
          return 'commands' in plan ? plan.commands : [];
        },
      ),
    ];
    expect(new Set(produced.map((c) => c.requestType))).toEqual(new Set(ANDROID_COMMAND_TYPES));
    for (const c of produced) {
      const payload = { ...c.payload, ...(c.secrets ?? {}) };
      expect(androidCommandSchema.safeParse({ commandId: 'id', type: c.requestType, payload }).success).toBe(true);
    }
    const doc = openApiDocument() as unknown as {
      components: { schemas: Record<string, { oneOf?: unknown[]; anyOf?: unknown[] }> };
    };
    const variants = doc.components.schemas.AndroidCommand.oneOf ?? doc.components.schemas.AndroidCommand.anyOf;
    expect(variants).toHaveLength(ANDROID_COMMAND_TYPES.length);
  });
});
