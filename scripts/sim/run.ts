// One simulation: start the server, enroll the fleet (each device onto an empty baseline
// template) and let the enrollment sync finish, then assign each device its platform's template
// through the admin API and watch until every device that can sync is Synchronized. Returns the
// report; never exits the process.
import { performance } from 'node:perf_hooks';
import { sampleProfile } from '../../kit/e2e';
import { FakeApns } from '../../kit/fake-apns';
import { type PushCertificate, pushCert } from '../../kit/tls';
import { AdminClient, type Dashboard, type DeviceSummary } from './admin';
import { ScaledClock } from './clock';
import { SIM_APP, SimAndroid, SimApple, type SimDevice, type SimPlatform } from './devices';
import { type DevicePlan, Fleet, isReachable, planFleet } from './fleet';
import { forEachLimited } from './limiter';
import { DEFAULTS, type SimOptions } from './options';
import { PushLog, SimFcm } from './pushes';
import { type ApnsMaterial, apnsDir, connectRemote, loadOrCreateApnsMaterial, serverEnv } from './remote';
import type { SimReport, Spread } from './report';
import { type SimTarget, startInProcess } from './target';

export type SimPhase = 'enrolling' | 'baseline sync' | 'assigning template' | 'template sync';

export interface SimProgress {
  phase: SimPhase;
  /** Seconds since the phase began. */
  seconds: number;
  /** Dashboard sync-state counts (the whole tenant). */
  syncStates: Record<string, number>;
  /** Devices expected to end Synchronized in this phase. */
  expected: number;
  total: number;
  /** Devices enrolled so far, or template assignments done so far. */
  done?: number;
  pushes: number;
  /** Device sessions running or waiting for a slot. */
  sessionsBusy: number;
}

export interface SimHooks {
  /** About twice a second while devices enroll and sync. */
  onProgress?(p: SimProgress): void;
}

const PROGRESS_MS = 500;
/** Listing every device costs the server more than the dashboard: confirm completion at most every 2 ms per device. */
const CONFIRM_MS_PER_DEVICE = 2;
/** Admin API calls (template assignments) at once. */
const ADMIN_CONCURRENCY = 8;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** --url's first run: the TLS material is new, so the server must be (re)started to trust it. */
export class SetupNeeded extends Error {}

/** How long after the first enrollment a push must have come (--url: else the server pushes elsewhere). */
const FIRST_PUSH_MS = 30_000;

export async function runSimulation(
  input: Partial<SimOptions> & Pick<SimOptions, 'devices'>,
  hooks: SimHooks = {},
): Promise<SimReport> {
  const o: SimOptions = { ...DEFAULTS, ...input };
  const remote = o.url ? remoteSetup(o) : undefined;
  const mainLoop = performance.eventLoopUtilization();
  const clock = new ScaledClock(o.url ? 1 : 60 / o.minuteSeconds);
  const pushes = new PushLog(clock);
  const fleet = new Fleet(o.concurrency);
  // Both push services wake the device the push is for, as APNs and FCM do.
  const apns = new FakeApns(
    remote ? { port: o.apnsPort, serverTls: remote.serverTls, clientCa: remote.appleCaPem } : {},
  );
  await apns.start();
  apns.onPush((p) => {
    pushes.record('apns');
    fleet.wake(p.token);
  });
  const fcm = new SimFcm((token) => {
    pushes.record('fcm');
    fleet.wake(token);
  });
  let target: SimTarget | undefined;
  try {
    target = o.url
      ? await connectRemote({ url: o.url, adminKey: o.adminKey!, tenant: o.tenant, cap: o.cap })
      : await startInProcess({
          clock,
          apns,
          fcm,
          onWorkerFcm: (token) => fcm.deliverLater(token),
          cap: o.cap,
          minuteSeconds: o.minuteSeconds,
          apiWorkers: o.apiWorkers,
        });
    const started = target;
    const eventLoops = () => ({
      main: performance.eventLoopUtilization(mainLoop).utilization,
      ...started.threadUtilization?.(),
    });
    const noPushHint = o.url ? `is the server started with ${serverEnv(apnsDir(), o.apnsPort)}?` : undefined;
    return await new Simulation(o, target, fleet, pushes, hooks, {
      eventLoops,
      pushCertificate: remote?.push ?? pushCert(),
      noPushHint,
    }).run();
  } finally {
    // Sessions still running end before the server goes away.
    await fleet.idle();
    await target?.stop();
    await apns.stop();
  }
}

function remoteSetup(o: SimOptions): ApnsMaterial {
  if (o.androidShare > 0)
    throw new Error('--url simulates Apple devices only (a running server pushes Android agents through FCM)');
  const dir = apnsDir();
  const { material, created } = loadOrCreateApnsMaterial(dir);
  if (created) {
    throw new SetupNeeded(
      [
        `Made the fake APNs' TLS material in ${dir}. A server pushes to this simulator only when started with`,
        `  ${serverEnv(dir, o.apnsPort)}`,
        `e.g. \`${serverEnv(dir, o.apnsPort)} npm start\`. (Re)start it so, then run the simulator again.`,
      ].join('\n'),
    );
  }
  // After the set-up: on a first run there is no server yet, hence no key.
  if (!o.adminKey)
    throw new Error(
      '--url needs an admin key: --key KEY, MDM_ADMIN_KEY, or $DATA_DIR/credentials.json from `npm start`',
    );
  return material;
}

interface Templates {
  baseline: string;
  byPlatform: Record<SimPlatform, string>;
}

class Simulation {
  private readonly admin: AdminClient;
  private readonly plans: DevicePlan[];
  private readonly iPhonesGetUnlocked: boolean;

  constructor(
    private readonly o: SimOptions,
    private readonly target: SimTarget,
    private readonly fleet: Fleet,
    private readonly pushes: PushLog,
    private readonly hooks: SimHooks,
    private readonly env: {
      eventLoops: () => SimReport['eventLoops'];
      /** Uploaded to the tenant: signed by the CA the fake APNs accepts. */
      pushCertificate: PushCertificate;
      /** Set when a missing first push means a misconfigured server: what to check. */
      noPushHint?: string;
    },
  ) {
    this.admin = new AdminClient(target.url, target.adminKey);
    this.plans = planFleet(o);
    this.iPhonesGetUnlocked = o.unlockAfterSeconds !== undefined;
  }

  async run(): Promise<SimReport> {
    const cert = this.env.pushCertificate;
    await this.admin.call('PUT', '/push/apns', { certificatePem: cert.certPem, privateKeyPem: cert.keyPem }, 200);
    const templates = await this.createTemplates();
    const enrollment = await this.enroll(templates.baseline);
    const sync = await this.syncTemplate(templates.byPlatform);
    return this.report(enrollment, sync, Object.values(templates.byPlatform));
  }

  private async createTemplates(): Promise<Templates> {
    const create = async (body: unknown) => (await this.admin.call<{ id: string }>('POST', '/templates', body)).id;
    return {
      baseline: await create({ name: 'simulate: baseline', items: [] }),
      byPlatform: {
        ios: await create({
          name: 'simulate: iOS standard',
          items: [
            {
              kind: 'profile',
              identifier: 'com.example.sim.wifi',
              payload: sampleProfile('com.example.sim.wifi', 'Simulated'),
            },
            {
              kind: 'app',
              identifier: SIM_APP.bundleId,
              version: SIM_APP.version,
              source: `itunes:${SIM_APP.iTunesStoreID}`,
            },
          ],
        }),
        android: await create({
          name: 'simulate: Android standard',
          items: [
            {
              kind: 'profile',
              identifier: 'com.example.sim.policy',
              policy: { passwordRequirements: { minimumLength: 6 }, cameraDisabled: true },
            },
            { kind: 'app', identifier: SIM_APP.packageName, version: String(SIM_APP.versionCode) },
          ],
        }),
      },
    };
  }

  /** Enrolls every device onto the baseline template and waits for the enrollment sync. */
  private async enroll(baselineId: string): Promise<SimReport['enrollment']> {
    const start = Date.now();
    // One token per platform: a token may enroll many devices until it expires.
    // One token per platform (a token may enroll many devices until it expires), and none for a
    // platform without devices: an unused enrollment shows as a device awaiting check-in.
    const has = (platform: SimPlatform) => this.plans.some((p) => p.platform === platform);
    const enrollment = (platform: SimPlatform) =>
      this.admin.call<{ url: string; qrPayload?: string }>('POST', '/enrollments', {
        platform,
        templateId: baselineId,
        name: 'simulate',
      });
    const appleUrl = has('ios') ? (await enrollment('ios')).url : '';
    const qr = has('android')
      ? (JSON.parse((await enrollment('android')).qrPayload!) as { tenant: string; enrollmentToken: string })
      : undefined;
    const answering = this.plans.filter((p) => p.role !== 'offline').length;
    const { deviceUrls, tenant } = this.target;
    let enrolled = 0;
    const enrollOne = async (plan: DevicePlan) => {
      // Devices spread over the API servers; the enrollment profile and QR code name the main one.
      const url = deviceUrls[this.fleet.devices.length % deviceUrls.length];
      const device =
        plan.platform === 'ios'
          ? new SimApple(plan.role, url, tenant, this.fleet.fetch)
          : new SimAndroid(plan.role, url, qr!.tenant, qr!.enrollmentToken, this.fleet.fetch);
      // Known to the fleet before it enrolls: the enrollment push may come back before enroll() returns.
      this.fleet.add(device);
      await (device instanceof SimApple ? device.enroll(appleUrl) : (device as SimAndroid).enroll());
      enrolled++;
    };
    await this.withProgress(
      'enrolling',
      start,
      answering,
      () => enrolled,
      async () => {
        // The first device of a token takes over the enrollment's pending record, and two devices
        // doing that at once collide (409): one device per token first, then the rest in parallel.
        const firsts = (['ios', 'android'] as const)
          .map((p) => this.plans.find((d) => d.platform === p))
          .filter((d) => d !== undefined);
        for (const plan of firsts) await enrollOne(plan);
        if (this.env.noPushHint) await this.expectFirstPush(this.env.noPushHint);
        await forEachLimited(
          this.plans.filter((p) => !firsts.includes(p)),
          this.o.enrollConcurrency,
          enrollOne,
        );
      },
    );
    const seconds = (Date.now() - start) / 1000;

    // The timeout counts from the last enrollment: enrolling a large fleet takes a while itself.
    const deadline = Date.now() + this.o.timeoutSeconds * 1000;
    const { answering: synced } = await this.waitForSynchronized('baseline sync', start, deadline, [baselineId], {
      answering: (d) => d.answersPushes,
    });
    if (synced === undefined)
      throw new Error(`the enrollment sync did not finish within ${this.o.timeoutSeconds} s of the last enrollment`);
    return { seconds, syncedSeconds: (synced - start) / 1000 };
  }

  private async expectFirstPush(hint: string): Promise<void> {
    const deadline = Date.now() + FIRST_PUSH_MS;
    while (!this.pushes.total) {
      if (Date.now() > deadline)
        throw new Error(
          `no push reached the simulator's fake APNs within ${FIRST_PUSH_MS / 1000} s of the first enrollment: ${hint}`,
        );
      await sleep(100);
    }
  }

  /**
   * Locks the locked share, assigns every device its platform's template and waits. A locked
   * iPhone answers NotNow to installs; it is unlocked a while after its first NotNow and comes
   * back by itself, as iOS does. Android agents run their commands while locked.
   */
  private async syncTemplate(byPlatform: Record<SimPlatform, string>) {
    const { fleet } = this;
    for (const d of fleet.devices) if (d.role === 'locked') d.setLocked(true);
    const commandsBefore = new Map(fleet.devices.map((d) => [d, d.commands]));
    const unlockTimers = new Map<SimDevice, NodeJS.Timeout>();
    fleet.onSessionEnd = (d) => {
      if (!this.iPhonesGetUnlocked || !d.locked || !d.notNow || unlockTimers.has(d)) return;
      unlockTimers.set(
        d,
        setTimeout(() => {
          d.setLocked(false);
          fleet.startSession(d);
        }, this.o.unlockAfterSeconds! * 1000),
      );
    };
    const start = Date.now();
    let assigned = 0;
    await this.withProgress(
      'assigning template',
      start,
      this.reachableCount(),
      () => assigned,
      () =>
        forEachLimited(fleet.devices, ADMIN_CONCURRENCY, async (d) => {
          await this.admin.call('PUT', `/devices/${encodeURIComponent(d.id)}/template`, {
            templateId: byPlatform[d.platform],
          });
          assigned++;
        }),
    );
    const assignSeconds = (Date.now() - start) / 1000;

    const reached = await this.waitForSynchronized(
      'template sync',
      start,
      start + this.o.timeoutSeconds * 1000,
      Object.values(byPlatform),
      {
        neverLocked: (d) => this.reachable(d) && d.role !== 'locked',
        all: (d) => this.reachable(d),
      },
    );
    fleet.onSessionEnd = undefined;
    for (const timer of unlockTimers.values()) clearTimeout(timer);
    await fleet.idle();
    const secondsTo = (at: number | undefined) => (at === undefined ? null : (at - start) / 1000);
    return {
      assignSeconds,
      allReachableSeconds: secondsTo(reached.all),
      neverLockedSeconds: secondsTo(reached.neverLocked),
      commandsBefore,
    };
  }

  private reachable(d: DevicePlan): boolean {
    return isReachable(d, this.iPhonesGetUnlocked);
  }

  private reachableCount(): number {
    return this.plans.filter((p) => this.reachable(p)).length;
  }

  /** Runs `work` while reporting progress every PROGRESS_MS. */
  private async withProgress(
    phase: SimPhase,
    since: number,
    expected: number,
    done: () => number,
    work: () => Promise<void>,
  ): Promise<void> {
    let running: Promise<unknown> | undefined;
    // A beat is skipped while the last dashboard call is still out.
    const timer = setInterval(() => {
      running ??= this.progress(phase, since, expected, done())
        .catch(() => undefined)
        .finally(() => {
          running = undefined;
        });
    }, PROGRESS_MS);
    try {
      await work();
    } finally {
      clearInterval(timer);
      await running;
    }
  }

  private async progress(phase: SimPhase, since: number, expected: number, done?: number): Promise<Dashboard> {
    const dashboard = await this.admin.dashboard();
    this.hooks.onProgress?.({
      phase,
      seconds: (Date.now() - since) / 1000,
      syncStates: dashboard.syncStates,
      expected,
      total: this.plans.length,
      done,
      pushes: this.pushes.total,
      sessionsBusy: this.fleet.busy,
    });
    return dashboard;
  }

  /**
   * Polls the dashboard until its Synchronized count could cover a group of devices, then checks
   * the group in the device list (the dashboard counts the whole tenant). Returns when each group
   * was first seen all Synchronized; a group missing from the result did not make it in time.
   */
  private async waitForSynchronized<G extends string>(
    phase: SimPhase,
    since: number,
    deadline: number,
    templateIds: string[],
    groups: Record<G, (d: SimDevice) => boolean>,
  ): Promise<Partial<Record<G, number>>> {
    const names = Object.keys(groups) as G[];
    const members = Object.fromEntries(names.map((g) => [g, this.fleet.devices.filter(groups[g])])) as Record<
      G,
      SimDevice[]
    >;
    const expected = Math.max(...names.map((g) => members[g].length));
    const reached: Partial<Record<G, number>> = {};
    let lastCheck = 0;
    while (Date.now() < deadline) {
      const synchronized = (await this.progress(phase, since, expected)).syncStates.Synchronized ?? 0;
      const open = names.filter((g) => reached[g] === undefined);
      if (
        open.some((g) => synchronized >= members[g].length) &&
        Date.now() - lastCheck >= this.fleet.devices.length * CONFIRM_MS_PER_DEVICE
      ) {
        lastCheck = Date.now();
        const states = await this.listDevices(templateIds);
        for (const g of open)
          if (members[g].every((d) => states.get(d.id)?.syncState === 'Synchronized')) reached[g] = lastCheck;
        if (names.every((g) => reached[g] !== undefined)) break;
      }
      await sleep(PROGRESS_MS);
    }
    return reached;
  }

  private async listDevices(templateIds: string[]): Promise<Map<string, DeviceSummary>> {
    const lists = await Promise.all(templateIds.map((t) => this.admin.devicesOfTemplate(t)));
    return new Map(lists.flat().map((d) => [d.id, d]));
  }

  private async report(
    enrollment: SimReport['enrollment'],
    sync: Awaited<ReturnType<Simulation['syncTemplate']>>,
    templateIds: string[],
  ): Promise<SimReport> {
    const { o, fleet, pushes, target } = this;
    const final = await this.listDevices(templateIds);
    const stateOf = (d: SimDevice) => final.get(d.id)?.syncState ?? 'unknown';
    const dashboard = await this.admin.dashboard();
    const answering = fleet.devices.filter((d) => d.answersPushes);
    const templateCommands = (platform?: SimPlatform) =>
      answering
        .filter((d) => !platform || d.platform === platform)
        .map((d) => d.commands - sync.commandsBefore.get(d)!);
    const perMinute = pushes.minutes();
    const maxPerMinute = Math.max(0, ...perMinute);
    const budgetPerMinute = await this.budgetLedger();
    const sum = (f: (d: SimDevice) => number) => fleet.devices.reduce((n, d) => n + f(d), 0);

    const problems: string[] = [];
    if (sync.allReachableSeconds === null) {
      const missing = fleet.devices.filter((d) => this.reachable(d) && stateOf(d) !== 'Synchronized').length;
      problems.push(`${missing} reachable devices were not Synchronized within ${o.timeoutSeconds} s`);
    }
    if (budgetPerMinute) {
      const reserved = budgetPerMinute.reduce((a, b) => a + b, 0);
      const most = Math.max(0, ...budgetPerMinute);
      if (target.cap !== undefined && most > target.cap)
        problems.push(`the server reserved ${most} pushes in one minute, over the cap of ${target.cap}`);
      if (pushes.total > reserved)
        problems.push(`${pushes.total} pushes arrived but the server reserved only ${reserved}`);
    } else if (target.cap !== undefined && maxPerMinute > target.cap) {
      problems.push(`${maxPerMinute} pushes arrived in one minute, over the cap of ${target.cap}`);
    }
    const offlineSynced = fleet.devices.filter((d) => d.role === 'offline' && stateOf(d) === 'Synchronized').length;
    if (offlineSynced) problems.push(`${offlineSynced} offline devices are Synchronized, which they cannot be`);

    const { adminKey: _key, ...options } = o;
    const count = (f: (p: DevicePlan) => boolean) => this.plans.filter(f).length;
    return {
      ok: problems.length === 0,
      problems,
      target: o.url ? target.url : `in-process server ${target.url}`,
      options,
      fleet: {
        total: this.plans.length,
        ios: count((p) => p.platform === 'ios'),
        android: count((p) => p.platform === 'android'),
        offline: count((p) => p.role === 'offline'),
        locked: count((p) => p.role === 'locked'),
        reachable: this.reachableCount(),
      },
      enrollment,
      templateSync: {
        assignSeconds: sync.assignSeconds,
        allReachableSeconds: sync.allReachableSeconds,
        neverLockedSeconds: sync.neverLockedSeconds,
        unlockAfterSeconds: o.unlockAfterSeconds ?? null,
        timedOut: sync.allReachableSeconds === null,
      },
      pushes: {
        total: pushes.total,
        apns: pushes.byService.apns,
        fcm: pushes.byService.fcm,
        perMinute,
        maxPerMinute,
        budgetPerMinute,
        cap: target.cap ?? null,
        unanswered: fleet.unanswered,
      },
      commands: {
        templateSync: {
          ...spreadOf(templateCommands()),
          ...Object.fromEntries(
            (['ios', 'android'] as const)
              .filter((p) => this.plans.some((d) => d.platform === p))
              .map((p) => [p, spreadOf(templateCommands(p))]),
          ),
        },
        wholeRun: spreadOf(answering.map((d) => d.commands)),
      },
      sessions: { total: sum((d) => d.sessions), peakConcurrent: fleet.peakSessions },
      eventLoops: this.env.eventLoops(),
      errors: {
        sessionFailures: fleet.failures.length,
        connectionRetries: fleet.connectionRetries,
        samples: fleet.failures.slice(0, 5).map((f) => `${f.platform} ${f.deviceId}: ${f.message}`),
        commandErrors: sum((d) => d.commandErrors),
        notNow: sum((d) => d.notNow),
        deadLetters: (await target.deadLetters()) ?? null,
        alarms: dashboard.activeAlarms.map((a) => `${a.severity}: ${a.message}`),
      },
      finalStates: countBy(fleet.devices, stateOf),
      finalStatesByRole: Object.fromEntries(
        Object.entries(groupBy(fleet.devices, (d) => `${d.platform} ${d.role}`)).map(([k, ds]) => [
          k,
          countBy(ds, stateOf),
        ]),
      ),
    };
  }

  /** The server's own count of pushes per minute, from the minute before the first push arrived. */
  private async budgetLedger(): Promise<number[] | null> {
    const { budgetUsed } = this.target;
    if (!budgetUsed) return null;
    const span = this.pushes.span();
    if (!span.length) return [];
    const used = await Promise.all([span[0] - 1, ...span].map((m) => budgetUsed(m)));
    return used[0] ? used : used.slice(1);
  }
}

function spreadOf(values: number[]): Spread {
  if (!values.length) return { mean: 0, max: 0 };
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, max: Math.max(...values) };
}

function countBy<T>(items: T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + 1;
  return out;
}

function groupBy<T>(items: T[], key: (t: T) => string): Record<string, T[]> {
  const out: Record<string, T[]> = {};
  for (const i of items) (out[key(i)] ??= []).push(i);
  return out;
}
