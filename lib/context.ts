import type { Node } from 'constructs';
import type { AppTunables } from './app-stack';

/** Context keys (`-c key=value` or cdk.json "context") that become AppStack tunables. */
export const CONTEXT_KEYS = {
  number: ['pushCapPerMinute', 'notRespondingAfterDays', 'logRetentionDays', 'pushMaxConcurrency'],
  string: [
    'resyncSchedule',
    'sweepSchedule',
    'reconcileSchedule',
    'certificateCheckSchedule',
    'apnsOrigin',
    'domainName',
    'certificateArn',
    'alarmEmail',
  ],
  boolean: ['tracing'],
} as const;

/**
 * Reads the tunables from CDK context. `-c` values arrive as strings, cdk.json values as JSON:
 * both are accepted; anything unparsable fails synth with the key's name.
 */
export function tunablesFromContext(node: Node): AppTunables {
  const out: Record<string, unknown> = {};
  const get = (key: string): unknown => {
    const v: unknown = node.tryGetContext(key);
    return v === undefined || v === '' ? undefined : v;
  };
  for (const key of CONTEXT_KEYS.number) {
    const v = get(key);
    if (v === undefined) continue;
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(n)) throw new Error(`context ${key} must be a number, got ${JSON.stringify(v)}`);
    out[key] = n;
  }
  for (const key of CONTEXT_KEYS.string) {
    const v = get(key);
    if (v !== undefined) out[key] = String(v);
  }
  for (const key of CONTEXT_KEYS.boolean) {
    const v = get(key);
    if (v === undefined) continue;
    if (v === true || v === 'true') out[key] = true;
    else if (v === false || v === 'false') out[key] = false;
    else throw new Error(`context ${key} must be true or false, got ${JSON.stringify(v)}`);
  }
  return out as AppTunables;
}
