// Reads and validates the environment once per process (DESIGN.md principle 5).
import { z } from 'zod';
import { DEFAULT_CONFIG, type AppConfig } from './service/app';

const envSchema = z.object({
  MAIN_TABLE: z.string().min(1).default('Main'),
  LOGS_TABLE: z.string().min(1).default('Logs'),
  PUSH_QUEUE_URL: z.string().optional(),
  BULK_QUEUE_URL: z.string().optional(),
  SECRETS_KEY_ID: z.string().optional(),
  OPERATOR_KEY_SECRET_ARN: z.string().optional(),
  PUBLIC_BASE_URL: z.url().optional(),
  PUSH_CAP_PER_MINUTE: z.coerce.number().int().min(1).default(DEFAULT_CONFIG.pushCapPerMinute),
  NOT_RESPONDING_AFTER_DAYS: z.coerce.number().min(0).default(DEFAULT_CONFIG.notRespondingAfterDays),
  APNS_ORIGIN: z.url().default('https://api.push.apple.com'),
  REQUIRE_SIGNATURE: z.enum(['true', 'false']).default('true'),
  MAX_COMMAND_ATTEMPTS: z.coerce.number().int().min(1).default(DEFAULT_CONFIG.maxCommandAttempts),
});

export type Env = z.infer<typeof envSchema>;

export function readEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`configuration is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
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
    ...extra,
  };
}
