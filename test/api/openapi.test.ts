// The OpenAPI document is generated from the route table and the request schemas: it must be a
// valid OpenAPI 3.1 document, document every route, and name no route that does not exist.
import { Validator } from '@seriousme/openapi-schema-validator';
import { openApiDocument } from '../../lambdas/api/openapi';
import { ROUTES, type RouteDef } from '../../lambdas/routes';
import { startLocal, type LocalServer } from '../../lambdas/wiring/local';

type Doc = { openapi: string; paths: Record<string, Record<string, { operationId: string; requestBody?: unknown; security?: unknown[]; responses: Record<string, unknown> }>> };

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
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
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
    beforeAll(async () => { local = await startLocal({ inMemory: true, port: 0, schedules: false }); });
    afterAll(async () => { await local?.stop(); });

    it('answers without a key', async () => {
      const res = await fetch(`${local.url}/admin/v1/openapi.json`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as Doc).openapi).toBe('3.1.0');
    });
  });
});
