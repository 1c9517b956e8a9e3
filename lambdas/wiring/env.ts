// Reads and validates the environment once per process (docs/architecture.md §Principles).

import { type AppConfig, DEFAULT_CONFIG } from '../service/container';
import * as z from '../zod';

const envSchema = z.object({
  MAIN_TABLE: z._default(z.string().check(z.minLength(1)), 'Main'),
  LOGS_TABLE: z._default(z.string().check(z.minLength(1)), 'Logs'),
  PUSH_QUEUE_URL: z.optional(z.string()),
  BULK_QUEUE_URL: z.optional(z.string()),
  EVENT_BUS_NAME: z.optional(z.string()),
  WEBHOOK_QUEUE_URL: z.optional(z.string()),
  SECRETS_KEY_ID: z.optional(z.string()),
  OPERATOR_KEY_SECRET_ARN: z.optional(z.string()),
  PUBLIC_BASE_URL: z.optional(z.url()),
  PUSH_CAP_PER_MINUTE: z._default(z.coerce.number().check(z.int(), z.minimum(1)), DEFAULT_CONFIG.pushCapPerMinute),
  NOT_RESPONDING_AFTER_DAYS: z._default(z.coerce.number().check(z.minimum(0)), DEFAULT_CONFIG.notRespondingAfterDays),
  APNS_ORIGIN: z._default(z.url(), 'https://api.push.apple.com'),
  REQUIRE_SIGNATURE: z._default(z.enum(['true', 'false']), 'true'),
  MAX_COMMAND_ATTEMPTS: z._default(z.coerce.number().check(z.int(), z.minimum(1)), DEFAULT_CONFIG.maxCommandAttempts),
});

export type Env = z.infer<typeof envSchema>;

export function readEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      `configuration is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

export function appConfig(env: Env, extra: Partial<AppConfig> = {}): AppConfig {
  return {
    publicBaseUrl: env.PUBLIC_BASE_URL,
    pushCapPerMinute: env.PUSH_CAP_PER_MINUTE,
    notRespondingAfterDays: env.NOT_RESPONDING_AFTER_DAYS,
    requireSignature: env.REQUIRE_SIGNATURE === 'true',
    maxCommandAttempts: env.MAX_COMMAND_ATTEMPTS,
    // Deployed: webhooks reach https on public addresses only.
    allowLoopbackHttp: false,
    ...extra,
  };
}
