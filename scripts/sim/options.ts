// Command-line options of `npm run simulate`, parsed and checked in one place so the programmatic
// entry (runSimulation) and the CLI share the same defaults.
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { BACKLOG_DEFAULTS, type BacklogOptions } from './backlog';
import { defaultAdminKey } from './remote';

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
  /** Seconds each sync (the enrollment's, then the template's) may take before the run fails. */
  timeoutSeconds: number;
  /** Device sessions (push → poll loop) running at once. */
  concurrency: number;
  /** Enrollments running at once. */
  enrollConcurrency: number;
  /** A running server to target instead of starting one in-process (see docs/simulate.md). */
  url?: string;
  /** Admin API key for --url. */
  adminKey?: string;
  /** The tenant of that key (--url). */
  tenant: string;
  /** --url: the port of the fake APNs, as the server's APNS_ORIGIN names it. */
  apnsPort: number;
  /** The tenant's push cap per minute: in-process, set on the server (default: its default); with --url, what to check against. */
  cap?: number;
  /** In-process only: how many real seconds a server minute lasts (shorter: the cap bites sooner). */
  minuteSeconds: number;
  /** In-process only: extra API servers in worker threads, over the same database (0: none). */
  apiWorkers: number;
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
  enrollConcurrency: 16,
  tenant: 'demo',
  apnsPort: 2197,
  minuteSeconds: 60,
  // One device API server per core; the main thread (the simulated devices) and the database thread share the cores with them.
  apiWorkers: availableParallelism(),
};

export const USAGE = `usage: npm run simulate -- --devices N [options]

  --devices N            fleet size (required)
  --android-share S      share of Android devices, 0..1 (default ${DEFAULTS.androidShare})
  --offline S            share that enrolls, then never answers a push (default ${DEFAULTS.offlineShare})
  --locked S             share whose screen is locked when the template arrives (default ${DEFAULTS.lockedShare})
  --unlock-after SEC     a locked iPhone is unlocked SEC seconds after it first answers NotNow,
                         or "never" (default ${DEFAULTS.unlockAfterSeconds}; Android agents sync while locked)
  --timeout SEC          fail when reachable devices are not all Synchronized SEC seconds after the
                         last enrollment, or after the first template assignment (default ${DEFAULTS.timeoutSeconds})
  --concurrency N        device sessions at once (default ${DEFAULTS.concurrency})
  --enroll-concurrency N enrollments at once (default ${DEFAULTS.enrollConcurrency})
  --cap N                the tenant's pushes per minute: in-process, the server's setting (default
                         10000); with --url, the cap to check the pushes against
  --minute-seconds SEC   in-process: length of a server minute in real seconds (default 60)
  --api-workers N        in-process: device API servers in worker threads over the same database,
                         as Lambda runs several containers; 0: devices use the main server
                         (default ${DEFAULTS.apiWorkers}, one per core)
  --url URL              target a running server instead, Apple devices only; it must push through
                         this simulator's fake APNs (docs/simulate.md; the first run prints how)
  --key KEY              admin API key for --url (default: MDM_ADMIN_KEY, else the key \`npm start\`
                         saved in $DATA_DIR/credentials.json)
  --tenant ID            the key's tenant, for --url (default demo)
  --apns-port N          --url: the fake APNs' port (default 2197)
  --json FILE            also write the report as JSON

usage: npm run simulate -- --scenario backlog --devices N [options]

  A large tenant (N devices) resyncs under a small cap while its admin locks a device every
  server minute and a small tenant locks its devices every ten server seconds (docs/simulate.md).
  --small-devices N      the small tenant's devices (default ${BACKLOG_DEFAULTS.smallDevices})
  --cap N                both tenants' pushes per minute (default ${BACKLOG_DEFAULTS.cap})
  --minute-seconds SEC   length of a server minute in real seconds (default ${BACKLOG_DEFAULTS.minuteSeconds})
  --timeout SEC          real seconds the resync may take (default ${BACKLOG_DEFAULTS.timeoutSeconds})
  --json FILE            also write the report as JSON
`;

/** The scenario a command line asks for: the fleet sync (default) or the push backlog. */
export function scenarioOf(argv: string[]): 'fleet' | 'backlog' {
  const i = argv.indexOf('--scenario');
  if (i < 0) return 'fleet';
  const name = argv[i + 1];
  if (name !== 'fleet' && name !== 'backlog') throw new Error(`--scenario must be fleet or backlog, got ${name}`);
  return name;
}

/** Parses the options of `--scenario backlog`; throws with a readable message on bad input. */
export function parseBacklogArgs(argv: string[]): BacklogOptions & { jsonPath?: string } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      scenario: { type: 'string' },
      devices: { type: 'string' },
      'small-devices': { type: 'string' },
      cap: { type: 'string' },
      'minute-seconds': { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'string' },
    },
  });
  if (values.devices === undefined) throw new Error('--devices is required');
  return {
    devices: positive('devices', values.devices, 0),
    smallDevices: positive('small-devices', values['small-devices'], BACKLOG_DEFAULTS.smallDevices),
    cap: positive('cap', values.cap, BACKLOG_DEFAULTS.cap),
    minuteSeconds: positive('minute-seconds', values['minute-seconds'], BACKLOG_DEFAULTS.minuteSeconds, false),
    timeoutSeconds: positive('timeout', values.timeout, BACKLOG_DEFAULTS.timeoutSeconds, false),
    jsonPath: values.json,
  };
}

function share(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0 || v > 1) throw new Error(`--${name} must be a number from 0 to 1, got ${raw}`);
  return v;
}

function positive(name: string, raw: string | undefined, fallback: number, integer = true): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v)))
    throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got ${raw}`);
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
      'api-workers': { type: 'string' },
      url: { type: 'string' },
      key: { type: 'string' },
      tenant: { type: 'string' },
      'apns-port': { type: 'string' },
      json: { type: 'string' },
    },
  });
  if (values.devices === undefined) throw new Error('--devices is required');
  const url = values.url;
  if (!url && values.key) throw new Error('--key goes with --url');
  if (url && (values['minute-seconds'] !== undefined || values['api-workers'] !== undefined)) {
    throw new Error('--minute-seconds and --api-workers configure the in-process server');
  }
  if (!url && (values.tenant !== undefined || values['apns-port'] !== undefined))
    throw new Error('--tenant and --apns-port go with --url');
  // A running server wakes Android agents through FCM, at Google: only Apple devices can answer.
  if (url && values['android-share'] !== undefined && Number(values['android-share']) !== 0) {
    throw new Error(
      '--url simulates Apple devices only: a running server pushes Android agents through FCM, which the simulator cannot stand in for',
    );
  }
  const unlock = values['unlock-after'];
  const options: SimOptions = {
    devices: positive('devices', values.devices, 0),
    androidShare: share('android-share', values['android-share'], url ? 0 : DEFAULTS.androidShare),
    offlineShare: share('offline', values.offline, DEFAULTS.offlineShare),
    lockedShare: share('locked', values.locked, DEFAULTS.lockedShare),
    unlockAfterSeconds:
      unlock === 'never'
        ? undefined
        : unlock === undefined
          ? DEFAULTS.unlockAfterSeconds
          : nonNegative('unlock-after', unlock),
    timeoutSeconds: positive('timeout', values.timeout, DEFAULTS.timeoutSeconds, false),
    concurrency: positive('concurrency', values.concurrency, DEFAULTS.concurrency),
    enrollConcurrency: positive('enroll-concurrency', values['enroll-concurrency'], DEFAULTS.enrollConcurrency),
    url,
    adminKey: url ? (values.key ?? defaultAdminKey(env)) : undefined,
    tenant: values.tenant ?? DEFAULTS.tenant,
    apnsPort: values['apns-port'] === undefined ? DEFAULTS.apnsPort : positive('apns-port', values['apns-port'], 0),
    cap: values.cap === undefined ? undefined : positive('cap', values.cap, 0),
    minuteSeconds: positive('minute-seconds', values['minute-seconds'], DEFAULTS.minuteSeconds, false),
    apiWorkers:
      values['api-workers'] === undefined ? DEFAULTS.apiWorkers : wholeNumber('api-workers', values['api-workers']),
    jsonPath: values.json,
  };
  if (options.offlineShare + options.lockedShare > 1)
    throw new Error('--offline and --locked together exceed the fleet');
  return options;
}

function wholeNumber(name: string, raw: string): number {
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a whole number, got ${raw}`);
  return v;
}

function nonNegative(name: string, raw: string): number {
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a number of seconds or "never", got ${raw}`);
  return v;
}
