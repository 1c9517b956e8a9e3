// Command-line options of `npm run simulate`, parsed and checked in one place so the programmatic
// entry (runSimulation) and the CLI share the same defaults.
import { parseArgs } from 'node:util';

export interface SimOptions {
  /** Fleet size. */
  devices: number;
  /** Share of the fleet that is Android (the rest is iOS). */
  androidShare: number;
  /** Share of each platform that enrolls and then never answers a push. */
  offlineShare: number;
  /** Share of each platform whose screen is locked when the template arrives. */
  lockedShare: number;
  /** Seconds after its first NotNow at which a locked iPhone is unlocked; undefined: never. */
  unlockAfterSeconds: number | undefined;
  /** Seconds the template sync may take before the run fails. */
  timeoutSeconds: number;
  /** Device sessions (push → poll loop) running at once. */
  concurrency: number;
  /** Enrollments running at once. */
  enrollConcurrency: number;
  /** A running server to target instead of starting one in-process (see docs/simulate.md). */
  url?: string;
  /** Admin API key for --url. */
  adminKey?: string;
  tenant: string;
  /** In-process only: the tenant's push cap per minute (default: the server's default). */
  cap?: number;
  /** In-process only: how many real seconds a server minute lasts (shorter: the cap bites sooner). */
  minuteSeconds: number;
  /** Write the report as JSON to this file. */
  jsonPath?: string;
}

export const DEFAULTS: Omit<SimOptions, 'devices'> = {
  androidShare: 0.3,
  offlineShare: 0.05,
  lockedShare: 0.1,
  unlockAfterSeconds: 10,
  timeoutSeconds: 600,
  concurrency: 32,
  enrollConcurrency: 8,
  tenant: 'demo',
  minuteSeconds: 60,
};

export const USAGE = `usage: npm run simulate -- --devices N [options]

  --devices N            fleet size (required)
  --android-share S      share of Android devices, 0..1 (default ${DEFAULTS.androidShare})
  --offline S            share that enrolls, then never answers a push (default ${DEFAULTS.offlineShare})
  --locked S             share whose screen is locked when the template arrives (default ${DEFAULTS.lockedShare})
  --unlock-after SEC     a locked iPhone is unlocked SEC seconds after it first answers NotNow,
                         or "never" (default ${DEFAULTS.unlockAfterSeconds}; Android agents sync while locked)
  --timeout SEC          fail when reachable devices are not all Synchronized by then (default ${DEFAULTS.timeoutSeconds})
  --concurrency N        device sessions at once (default ${DEFAULTS.concurrency})
  --enroll-concurrency N enrollments at once (default ${DEFAULTS.enrollConcurrency})
  --cap N                in-process: the tenant's pushes per minute (default: the server's, 10000)
  --minute-seconds SEC   in-process: length of a server minute in real seconds (default 60)
  --url URL              target a running server instead (see docs/simulate.md for what it needs)
  --key KEY              admin API key for --url (or MDM_ADMIN_KEY)
  --tenant ID            tenant for --url (default demo)
  --json FILE            also write the report as JSON
`;

function share(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0 || v > 1) throw new Error(`--${name} must be a number from 0 to 1, got ${raw}`);
  return v;
}

function positive(name: string, raw: string | undefined, fallback: number, integer = true): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got ${raw}`);
  return v;
}

/** Parses argv (without node and script); throws with a readable message on bad input. */
export function parseSimArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): SimOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      devices: { type: 'string' },
      'android-share': { type: 'string' },
      offline: { type: 'string' },
      locked: { type: 'string' },
      'unlock-after': { type: 'string' },
      timeout: { type: 'string' },
      concurrency: { type: 'string' },
      'enroll-concurrency': { type: 'string' },
      cap: { type: 'string' },
      'minute-seconds': { type: 'string' },
      url: { type: 'string' },
      key: { type: 'string' },
      tenant: { type: 'string' },
      json: { type: 'string' },
    },
  });
  if (values.devices === undefined) throw new Error('--devices is required');
  const url = values.url;
  if (!url && values.key) throw new Error('--key goes with --url');
  if (url && (values.cap !== undefined || values['minute-seconds'] !== undefined)) {
    throw new Error('--cap and --minute-seconds configure the in-process server; with --url set them on that server');
  }
  const unlock = values['unlock-after'];
  const options: SimOptions = {
    devices: positive('devices', values.devices, 0),
    androidShare: share('android-share', values['android-share'], DEFAULTS.androidShare),
    offlineShare: share('offline', values.offline, DEFAULTS.offlineShare),
    lockedShare: share('locked', values.locked, DEFAULTS.lockedShare),
    unlockAfterSeconds: unlock === 'never' ? undefined : unlock === undefined ? DEFAULTS.unlockAfterSeconds : nonNegative('unlock-after', unlock),
    timeoutSeconds: positive('timeout', values.timeout, DEFAULTS.timeoutSeconds, false),
    concurrency: positive('concurrency', values.concurrency, DEFAULTS.concurrency),
    enrollConcurrency: positive('enroll-concurrency', values['enroll-concurrency'], DEFAULTS.enrollConcurrency),
    url,
    adminKey: url ? (values.key ?? env.MDM_ADMIN_KEY) : undefined,
    tenant: values.tenant ?? DEFAULTS.tenant,
    cap: values.cap === undefined ? undefined : positive('cap', values.cap, 0),
    minuteSeconds: positive('minute-seconds', values['minute-seconds'], DEFAULTS.minuteSeconds, false),
    jsonPath: values.json,
  };
  if (options.offlineShare + options.lockedShare > 1) throw new Error('--offline and --locked together exceed the fleet');
  if (url && !options.adminKey) throw new Error('--url needs an admin key: --key KEY or MDM_ADMIN_KEY');
  return options;
}

function nonNegative(name: string, raw: string): number {
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a number of seconds or "never", got ${raw}`);
  return v;
}
