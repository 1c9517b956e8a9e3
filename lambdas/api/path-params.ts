// Every path parameter is checked, by name, before an operation reads it: an over-long id or one
// with other characters is a 400 here instead of a DynamoDB error (500) later.

import { badRequest } from '../domain/errors';
import type * as z from '../zod';
import { idSchema, jobNameSchema, tenantIdSchema } from './admin-schemas';

/** The schema of each `{name}` in the route table; a name not listed here is an id. */
export const PATH_PARAM_SCHEMAS: Record<string, z.ZodMiniType<string>> = {
  tenant: tenantIdSchema,
  job: jobNameSchema,
  id: idSchema,
  token: idSchema,
};

export const pathParamSchema = (name: string): z.ZodMiniType<string> => PATH_PARAM_SCHEMAS[name] ?? idSchema;

/** Throws a 400 naming the first path parameter that is not valid. */
export function checkPathParams(params: Record<string, string>): void {
  for (const [name, value] of Object.entries(params)) {
    const result = pathParamSchema(name).safeParse(value);
    if (!result.success) {
      const message = result.error.issues[0]?.message ?? 'not valid';
      throw badRequest(`path parameter ${name}: ${message}`, { issues: [{ path: name, message }] });
    }
  }
}
