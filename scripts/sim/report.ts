// The simulator's report: what it measured, as JSON (--json) and as text (stdout).
import type { SimOptions } from './options';

export interface Spread {
  mean: number;
  max: number;
}

export interface SimReport {
  ok: boolean;
  /** Why ok is false, one line each. */
  problems: string[];
  target: string;
  options: Omit<SimOptions, 'adminKey'>;
  /** Reachable: answers pushes and, if a locked iPhone, gets unlocked (these must end Synchronized). */
  fleet: { total: number; ios: number; android: number; offline: number; locked: number; reachable: number };
  enrollment: {
    /** Enrolling every device: profile download (identity issued) or agent enroll, check-in. */
    seconds: number;
    /** From the first enrollment until every device that answers pushes was Synchronized on the empty baseline template. */
    syncedSeconds: number;
  };
  templateSync: {
    /** Assigning the template to every device through the API. */
    assignSeconds: number;
    /** From the first assignment until every reachable device was Synchronized (null: not within the timeout). */
    allReachableSeconds: number | null;
    /** The same for the reachable devices that were never locked (null: not within the timeout). */
    neverLockedSeconds: number | null;
    /** A locked iPhone was unlocked this long after its first NotNow (null: never). */
    unlockAfterSeconds: number | null;
    timedOut: boolean;
  };
  pushes: {
    total: number;
    apns: number;
    fcm: number;
    /** Pushes APNs and FCM received per server minute, from the first push of the run. */
    perMinute: number[];
    maxPerMinute: number;
    /**
     * In-process: what the server reserved from the tenant's budget per server minute (its own
     * ledger, from the minute before the first push). Arrival times lag the reservation by the
     * send itself, which with a fast clock (--minute-seconds) can cross into the next minute;
     * the ledger cannot, so the cap is checked against it.
     */
    budgetPerMinute: number[] | null;
    cap: number | null;
    /** Pushes that reached a device that never answers (offline). */
    unanswered: number;
  };
  /** Commands the server handed each device that answers pushes, in the template sync and in the whole run. */
  commands: {
    /** Per platform: only the platforms the fleet has. */
    templateSync: Spread & { ios?: Spread; android?: Spread };
    wholeRun: Spread;
  };
  sessions: { total: number; peakConcurrent: number };
  /**
   * How busy each event loop was over the run (0..1): the main thread (the simulated devices, the
   * fake APNs, the in-process server's admin API and push worker) and, in-process, the database
   * thread and each API worker. One near 1 is the limit.
   */
  eventLoops: { main: number; database?: number; apiWorkers?: number[] };
  errors: {
    sessionFailures: number;
    /** Device requests sent again because a kept-alive connection was reset (not failures). */
    connectionRetries: number;
    /** A few failures, for a first look. */
    samples: string[];
    /** Commands a device answered with Error. */
    commandErrors: number;
    /** NotNow answers (locked Apple devices): expected, not errors. */
    notNow: number;
    /** Push batches the server dead-lettered (in-process only). */
    deadLetters: number | null;
    /** The dashboard's active alarms at the end. */
    alarms: string[];
  };
  /** Device counts per sync state at the end, overall and per role. */
  finalStates: Record<string, number>;
  finalStatesByRole: Record<string, Record<string, number>>;
}

const sec = (s: number | null) => (s === null ? 'not reached' : `${s.toFixed(1)} s`);
const spread = (s: Spread) => `mean ${s.mean.toFixed(1)}, max ${s.max}`;
const pct = (u: number) => `${Math.round(u * 100)}%`;
const states = (r: Record<string, number>) =>
  Object.entries(r)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';

export function formatReport(r: SimReport): string {
  const lines = [
    `Fleet simulation against ${r.target}: ${r.ok ? 'OK' : 'FAILED'}`,
    `  fleet            ${r.fleet.total} devices: ${r.fleet.ios} iOS, ${r.fleet.android} Android; ${r.fleet.offline} offline, ${r.fleet.locked} locked; ${r.fleet.reachable} reachable`,
    `  enrollment       ${sec(r.enrollment.seconds)} to enroll, ${sec(r.enrollment.syncedSeconds)} until the baseline sync was done`,
    `  template sync    assigned in ${sec(r.templateSync.assignSeconds)}; never-locked devices Synchronized after ${sec(r.templateSync.neverLockedSeconds)}; ` +
      `every reachable device after ${sec(r.templateSync.allReachableSeconds)}` +
      (r.templateSync.unlockAfterSeconds === null
        ? ' (locked iPhones never unlocked)'
        : ` (a locked iPhone is unlocked ${r.templateSync.unlockAfterSeconds} s after its NotNow)`),
    `  pushes           ${r.pushes.total} (APNs ${r.pushes.apns}, FCM ${r.pushes.fcm}), ${r.pushes.unanswered} of them to offline devices; cap ${r.pushes.cap === null ? 'unknown' : `${r.pushes.cap}/min`}`,
    ...(r.pushes.budgetPerMinute
      ? [
          `    reserved per server minute (max ${Math.max(0, ...r.pushes.budgetPerMinute)}): ${r.pushes.budgetPerMinute.join(' ')}`,
        ]
      : []),
    `    received per server minute (max ${r.pushes.maxPerMinute}): ${r.pushes.perMinute.join(' ') || '-'}`,
    `  commands/device  template sync: ${spread(r.commands.templateSync)}` +
      [
        ['iOS', r.commands.templateSync.ios],
        ['Android', r.commands.templateSync.android],
      ]
        .filter(([, s]) => s)
        .map(([name, s]) => `; ${name} ${spread(s as Spread)}`)
        .join('') +
      `; whole run: ${spread(r.commands.wholeRun)}`,
    `  sessions         ${r.sessions.total}, at most ${r.sessions.peakConcurrent} at once`,
    `  event loops      busy: main thread ${pct(r.eventLoops.main)}` +
      (r.eventLoops.database === undefined ? '' : `, database ${pct(r.eventLoops.database)}`) +
      (r.eventLoops.apiWorkers ?? []).map((u, i) => `, API worker ${i + 1} ${pct(u)}`).join(''),
    `  errors           ${r.errors.sessionFailures} failed sessions, ${r.errors.commandErrors} command errors, ` +
      (r.errors.deadLetters === null ? '' : `${r.errors.deadLetters} dead-lettered push batches, `) +
      `${r.errors.alarms.length} active alarms; ${r.errors.notNow} NotNow (locked devices), ${r.errors.connectionRetries} requests retried on a reset connection`,
    ...r.errors.samples.map((s) => `                   ${s}`),
    ...r.errors.alarms.map((a) => `                   alarm: ${a}`),
    `  final states     ${states(r.finalStates)}`,
    ...Object.entries(r.finalStatesByRole).map(([role, s]) => `    ${role.padEnd(14)} ${states(s)}`),
    ...r.problems.map((p) => `  problem: ${p}`),
  ];
  return lines.join('\n');
}
