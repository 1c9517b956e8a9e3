// Throughput, latency and server CPU of the device endpoints, with the server in its own process
// (cluster.ts). CPU per request = the server process's process.cpuUsage() (user + system) across a
// run, divided by the requests of the run: the load generator (signing, parsing) and DynamoDB
// (dynalite, its own process, reported separately) are not in it.

import { SimulatedAndroidAgent } from '../../kit/android-agent';
import { SimulatedAppleDevice } from '../../kit/apple-device';
import { pushCert } from '../../kit/tls';
import { CHECKIN_CONTENT_TYPE, CONNECT_CONTENT_TYPE } from '../../lambdas/protocol/apple/messages';
import { buildPlist } from '../../lambdas/protocol/apple/plist';
import { signMdmMessage } from '../../lambdas/protocol/apple/sign';
import { type Cluster, send, startCluster } from './cluster';
import { type ProfileShare, summarizeProfile } from './profile';
import type { ChildStats } from './server-process';
import { type Summary, summarize } from './stats';
import { eachLimited, sleep, TEMPLATE_ITEMS } from './workload';

export interface CpuSample {
  /** Units the CPU is divided by (requests, devices, commands). */
  count: number;
  unit: string;
  /** Server process CPU per unit, ms. */
  serverCpuMs: number;
  /** DynamoDB emulator CPU per unit, ms (not a Lambda cost; shown so nothing is hidden). */
  dynamoCpuMs: number;
  /** Load generator CPU per unit, ms (excluded from the server figure). */
  clientCpuMs: number;
  seconds: number;
}

export interface Scenario extends CpuSample {
  name: string;
  what: string;
  concurrency: number;
  requestsPerSecond: number;
  latencyMs: Summary;
  errors: number;
}

export interface LoadResult {
  appleDevices: number;
  androidDevices: number;
  enrollment: CpuSample;
  templateSync: CpuSample;
  idleResync: CpuSample;
  scenarios: Scenario[];
  commandEnqueue: CpuSample;
  commandRoundTrip: { apple: CpuSample & { latencyMs: Summary }; android: CpuSample & { latencyMs: Summary } };
  /** Server self time by package/area in a separate, profiled run of each idle-connect scenario. */
  profiles: Array<{ scenario: string; requests: number; busyMsPerRequest: number; groups: ProfileShare[] }>;
  seconds: number;
}

const cpuMs = (s: ChildStats) => (s.cpu.user + s.cpu.system) / 1000;
const clientCpuNow = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

/** Measures server, DynamoDB and client CPU around `body`, per `count()` units. */
async function measureCpu(cluster: Cluster, unit: string, body: () => Promise<number>): Promise<CpuSample> {
  const [s0, d0] = await Promise.all([cluster.server.stats(), cluster.dynamo.stats()]);
  const c0 = clientCpuNow();
  const t0 = performance.now();
  const count = await body();
  const seconds = (performance.now() - t0) / 1000;
  const c1 = clientCpuNow();
  const [s1, d1] = await Promise.all([cluster.server.stats(), cluster.dynamo.stats()]);
  return {
    count,
    unit,
    serverCpuMs: (cpuMs(s1) - cpuMs(s0)) / count,
    dynamoCpuMs: (cpuMs(d1) - cpuMs(d0)) / count,
    clientCpuMs: (c1 - c0) / count,
    seconds,
  };
}

interface PreparedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** A signed Apple request, built once and replayed (the server keeps no nonce: a device may resend). */
function appleRequest(
  device: SimulatedAppleDevice,
  endpoint: 'checkin' | 'connect',
  dict: Record<string, unknown>,
): PreparedRequest {
  const body = Buffer.from(buildPlist(dict), 'utf8');
  return {
    method: 'PUT',
    path: `/mdm/${device.tenant}/${endpoint}`,
    headers: {
      'content-type': endpoint === 'checkin' ? CHECKIN_CONTENT_TYPE : `${CONNECT_CONTENT_TYPE}; charset=UTF-8`,
      'mdm-signature': signMdmMessage(body, device.identityCertPem!, device.identityKeyPem!),
      'user-agent': 'MDM/1.0',
    },
    body,
  };
}

function androidRequest(
  agent: SimulatedAndroidAgent,
  method: string,
  endpoint: string,
  json: unknown,
): PreparedRequest {
  return {
    method,
    path: `/android/${agent.tenant}/${endpoint}`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${agent.deviceToken}` },
    body: Buffer.from(JSON.stringify(json)),
  };
}

/** Closed loop: `concurrency` workers, worker i replays requests[i % n], `total` requests in all. */
async function closedLoop(
  base: string,
  requests: PreparedRequest[],
  concurrency: number,
  total: number,
  okStatus: number[],
): Promise<{ latencies: number[]; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  let issued = 0;
  const worker = async (w: number) => {
    const r = requests[w % requests.length];
    while (issued < total) {
      issued++;
      const t0 = performance.now();
      const res = await send(base, r.method, r.path, r.headers, r.body);
      latencies.push(performance.now() - t0);
      if (!okStatus.includes(res.status)) errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  return { latencies, errors };
}

async function scenario(
  cluster: Cluster,
  name: string,
  what: string,
  requests: PreparedRequest[],
  total: number,
  okStatus: number[],
): Promise<Scenario> {
  const concurrency = requests.length;
  await closedLoop(cluster.url, requests, concurrency, Math.max(100, Math.round(total / 5)), okStatus); // warm-up: JIT, sockets
  let result: { latencies: number[]; errors: number } = { latencies: [], errors: 0 };
  const cpu = await measureCpu(cluster, 'request', async () => {
    result = await closedLoop(cluster.url, requests, concurrency, total, okStatus);
    return total;
  });
  return {
    name,
    what,
    concurrency,
    ...cpu,
    requestsPerSecond: total / cpu.seconds,
    latencyMs: summarize(result.latencies),
    errors: result.errors,
  };
}

async function waitForSynchronized(cluster: Cluster, expected: number, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (cluster.pollErrors.length) throw cluster.pollErrors[0];
    await cluster.pollsDone();
    const dash = await cluster.admin<{ syncStates: Record<string, number> }>('GET', '/dashboard');
    if (dash.body.syncStates.Synchronized >= expected) {
      await cluster.pollsDone();
      return;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out: ${JSON.stringify(dash.body.syncStates)} (want ${expected} Synchronized)`);
    await sleep(100);
  }
}

async function waitForPushes(cluster: Cluster, before: number, n: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (cluster.apns.pushes.length - before < n) {
    if (Date.now() > deadline) throw new Error(`only ${cluster.apns.pushes.length - before} of ${n} pushes arrived`);
    await sleep(20);
  }
}

async function check<T>(what: string, p: Promise<{ status: number; body?: T }>, ok = [200, 201, 202]): Promise<T> {
  const r = await p;
  if (!ok.includes(r.status)) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as T;
}

/** Enrolls Apple devices the real way: one enrollment link and identity each, signed check-ins. */
export async function enrollApple(cluster: Cluster, n: number, concurrency = 4): Promise<SimulatedAppleDevice[]> {
  const devices: SimulatedAppleDevice[] = [];
  await eachLimited(Array.from({ length: n }), concurrency, async () => {
    const { url } = await check(
      'enrollment',
      cluster.admin<{ url: string }>('POST', '/enrollments', { platform: 'ios' }),
    );
    const device = new SimulatedAppleDevice({ baseUrl: cluster.url, tenant: 'demo', platform: 'ios' });
    device.supervised = true; // so that Restart is allowed (it needs a supervised iOS device)
    cluster.devices.set(device.udid, device);
    await device.enrollFully(url);
    devices.push(device);
  });
  return devices;
}

export async function measureLoad(opts: {
  appleDevices: number;
  androidDevices: number;
  requests: number;
  commandRounds: number;
  log?: (s: string) => void;
}): Promise<LoadResult> {
  const log = opts.log ?? (() => undefined);
  const started = performance.now();
  const cluster = await startCluster({ requireSignature: true });
  try {
    const cert = pushCert({ name: 'bench' });
    await check(
      'push certificate',
      cluster.admin('PUT', '/push/apns', { certificatePem: cert.certPem, privateKeyPem: cert.keyPem }),
    );

    let apple: SimulatedAppleDevice[] = [];
    const enrollment = await measureCpu(cluster, 'device', async () => {
      apple = await enrollApple(cluster, opts.appleDevices);
      await waitForSynchronized(cluster, opts.appleDevices);
      return apple.length;
    });
    log(`  enrolled ${apple.length} Apple devices: ${enrollment.serverCpuMs.toFixed(1)} ms server CPU each`);

    const template = await check(
      'template',
      cluster.admin<{ id: string }>('POST', '/templates', { name: 'bench', items: TEMPLATE_ITEMS }),
    );
    // A sync may fan out through the bulk queue after the request returns: wait for every
    // device's push first, then for all to be Synchronized again.
    const templateSync = await measureCpu(cluster, 'device', async () => {
      const before = cluster.apns.pushes.length;
      await eachLimited(apple, 8, async (d) => {
        await check('assign', cluster.admin('PUT', `/devices/${d.udid}/template`, { templateId: template.id }));
      });
      await waitForPushes(cluster, before, apple.length);
      await waitForSynchronized(cluster, apple.length);
      return apple.length;
    });
    const idleResync = await measureCpu(cluster, 'device', async () => {
      const before = cluster.apns.pushes.length;
      await check('resync', cluster.admin('POST', '/jobs/resync/run'));
      await waitForPushes(cluster, before, apple.length);
      await waitForSynchronized(cluster, apple.length);
      return apple.length;
    });
    log(
      `  template sync ${templateSync.serverCpuMs.toFixed(1)} ms, idle resync ${idleResync.serverCpuMs.toFixed(1)} ms server CPU per device`,
    );

    const android: SimulatedAndroidAgent[] = [];
    await eachLimited(Array.from({ length: opts.androidDevices }), 4, async () => {
      const { qrPayload } = await check(
        'enrollment',
        cluster.admin<{ qrPayload: string }>('POST', '/enrollments', { platform: 'android' }),
      );
      const agent = SimulatedAndroidAgent.fromQrPayload(qrPayload);
      await check('android enroll', agent.enroll());
      await check('android checkin', agent.checkIn());
      await agent.poll(); // the enrollment sync (no push reaches it here: no FCM account uploaded)
      android.push(agent);
    });

    cluster.autoPoll = false;
    const scenarios: Scenario[] = [];
    const run = async (name: string, what: string, requests: PreparedRequest[], ok: number[]) => {
      scenarios.push(await scenario(cluster, name, what, requests, opts.requests, ok));
      const s = scenarios.at(-1)!;
      log(
        `  ${name}: ${s.requestsPerSecond.toFixed(0)} req/s, p50 ${s.latencyMs.p50.toFixed(1)} ms, p99 ${s.latencyMs.p99.toFixed(1)} ms, ${s.serverCpuMs.toFixed(2)} ms server CPU/request, ${s.errors} errors`,
      );
    };
    await run(
      'apple-checkin',
      'TokenUpdate check-in, signed (Mdm-Signature verified)',
      apple.map((d) =>
        appleRequest(d, 'checkin', {
          MessageType: 'TokenUpdate',
          Token: Buffer.from(d.pushToken, 'hex'),
          PushMagic: d.pushMagic,
          UnlockToken: d.unlockTokenBytes,
          AwaitingConfiguration: false,
          NotOnConsole: false,
          Topic: d.topic,
          UDID: d.udid,
        }),
      ),
      [200],
    );
    await run(
      'apple-idle-connect',
      'connect with Status Idle and nothing queued, signed',
      apple.map((d) => appleRequest(d, 'connect', { UDID: d.udid, Status: 'Idle' })),
      [200],
    );
    await run(
      'android-checkin',
      'agent check-in with its inventory',
      android.map((a) => androidRequest(a, 'PUT', 'checkin', { fcmToken: a.fcmToken, inventory: a.inventory() })),
      [200, 204],
    );
    await run(
      'android-idle-connect',
      'agent connect with status Idle and nothing queued',
      android.map((a) => androidRequest(a, 'POST', 'connect', { status: 'Idle' })),
      [204],
    );

    // Where the CPU goes: the idle connects again, under the sampling profiler (not in the figures above).
    const profiles: LoadResult['profiles'] = [];
    for (const [name, requests, ok] of [
      ['apple-idle-connect', apple.map((d) => appleRequest(d, 'connect', { UDID: d.udid, Status: 'Idle' })), [200]],
      ['android-idle-connect', android.map((a) => androidRequest(a, 'POST', 'connect', { status: 'Idle' })), [204]],
    ] as const) {
      const total = Math.max(100, Math.round(opts.requests / 2));
      const profile = await cluster.server.profile(async () => {
        await closedLoop(cluster.url, [...requests], requests.length, total, [...ok]);
      });
      const summary = summarizeProfile(profile);
      profiles.push({
        scenario: name,
        requests: total,
        busyMsPerRequest: summary.busyMs / total,
        groups: summary.groups,
      });
    }
    log(
      `  profile of an Apple idle connect: ${profiles[0].groups
        .slice(0, 4)
        .map((g) => `${g.name} ${(g.share * 100).toFixed(0)}%`)
        .join(', ')}`,
    );

    // Command round trips: the admin queues Restart (and the push goes out), then the device's
    // session fetches it (Idle → command) and reports it (Acknowledged → nothing left): 2 requests.
    const appleLatencies: number[] = [];
    const androidLatencies: number[] = [];
    let enqueueTotal: CpuSample | undefined;
    let appleTotal: CpuSample | undefined;
    let androidTotal: CpuSample | undefined;
    const accumulate = (a: CpuSample | undefined, b: CpuSample): CpuSample =>
      a
        ? {
            ...a,
            count: a.count + b.count,
            seconds: a.seconds + b.seconds,
            serverCpuMs: (a.serverCpuMs * a.count + b.serverCpuMs * b.count) / (a.count + b.count),
            dynamoCpuMs: (a.dynamoCpuMs * a.count + b.dynamoCpuMs * b.count) / (a.count + b.count),
            clientCpuMs: (a.clientCpuMs * a.count + b.clientCpuMs * b.count) / (a.count + b.count),
          }
        : b;
    for (let round = 0; round < opts.commandRounds; round++) {
      const pushesBefore = cluster.apns.pushes.length;
      enqueueTotal = accumulate(
        enqueueTotal,
        await measureCpu(cluster, 'command', async () => {
          await eachLimited(apple, 8, async (d) => {
            await check('command', cluster.admin('POST', `/devices/${d.udid}/commands`, { type: 'Restart' }));
          });
          await waitForPushes(cluster, pushesBefore, apple.length);
          return apple.length;
        }),
      );
      appleTotal = accumulate(
        appleTotal,
        await measureCpu(cluster, 'command', async () => {
          await Promise.all(
            apple.map(async (d) => {
              const t0 = performance.now();
              const got = await d.poll();
              appleLatencies.push(performance.now() - t0);
              if (got.length !== 1 || got[0].status !== 'Acknowledged')
                throw new Error(
                  `expected one acknowledged command, got ${JSON.stringify(got.map((c) => c.requestType))}`,
                );
            }),
          );
          return apple.length;
        }),
      );
      await eachLimited(android, 8, async (a) => {
        await check('command', cluster.admin('POST', `/devices/${a.deviceId}/commands`, { type: 'Restart' }));
      });
      await cluster.server.stats(); // let the (failing, no FCM account) push attempts finish first
      await sleep(200);
      androidTotal = accumulate(
        androidTotal,
        await measureCpu(cluster, 'command', async () => {
          await Promise.all(
            android.map(async (a) => {
              const t0 = performance.now();
              const got = await a.poll();
              androidLatencies.push(performance.now() - t0);
              if (got.length !== 1) throw new Error(`expected one command, got ${got.length}`);
            }),
          );
          return android.length;
        }),
      );
    }
    log(
      `  command: enqueue ${enqueueTotal!.serverCpuMs.toFixed(2)} ms, Apple round trip ${appleTotal!.serverCpuMs.toFixed(2)} ms, Android ${androidTotal!.serverCpuMs.toFixed(2)} ms server CPU`,
    );

    return {
      appleDevices: apple.length,
      androidDevices: android.length,
      enrollment,
      templateSync,
      idleResync,
      scenarios,
      commandEnqueue: enqueueTotal!,
      commandRoundTrip: {
        apple: { ...appleTotal!, latencyMs: summarize(appleLatencies) },
        android: { ...androidTotal!, latencyMs: summarize(androidLatencies) },
      },
      profiles,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await cluster.stop();
  }
}

export interface MemoryGrowth {
  /** (after all − before) / devices, bytes: includes one-off growth (caches, JIT code, buffers). */
  heapUsedPerDevice: number;
  rssPerDevice: number;
  /** Second half only, (after all − halfway) / (devices / 2): the part that keeps growing with devices. */
  heapUsedMarginalPerDevice: number;
  rssMarginalPerDevice: number;
  heapUsed: [number, number, number];
  rss: [number, number, number];
}

export interface MemoryResult {
  devices: number;
  warmupDevices: number;
  server: MemoryGrowth;
  dynamo: MemoryGrowth;
  seconds: number;
}

/**
 * Memory per enrolled device: the server and DynamoDB processes after a full GC, before and after
 * enrolling `devices` more devices (each enrolled, checked in, first sync done). One shared
 * enrollment profile with signatures off, as the e2e harness's enrollShared does: issuing 1000
 * identities would take minutes and changes nothing the server keeps per device.
 */
export async function measureMemory(opts: { devices: number; log?: (s: string) => void }): Promise<MemoryResult> {
  const started = performance.now();
  const warmupDevices = 20;
  const cluster = await startCluster({ requireSignature: false });
  try {
    const cert = pushCert({ name: 'bench-memory' });
    await check(
      'push certificate',
      cluster.admin('PUT', '/push/apns', { certificatePem: cert.certPem, privateKeyPem: cert.keyPem }),
    );
    const { url } = await check(
      'enrollment',
      cluster.admin<{ url: string }>('POST', '/enrollments', { platform: 'ios' }),
    );
    const profile = await send(cluster.url, 'GET', new URL(url).pathname, {});
    if (profile.status !== 200) throw new Error(`profile download: ${profile.status}`);
    // A SCEP challenge is good for one certificate: the fleet shares the first device's identity.
    const source = new SimulatedAppleDevice({ baseUrl: cluster.url, tenant: 'demo', platform: 'ios' });
    source.installEnrollmentProfile(profile.body);
    if (source.needsScepIdentity) await source.obtainIdentity();
    let enrolled = 0;
    const enroll = async (n: number) => {
      await eachLimited(Array.from({ length: n }), 8, async () => {
        const d = new SimulatedAppleDevice({ baseUrl: cluster.url, tenant: 'demo', platform: 'ios' });
        cluster.devices.set(d.udid, d);
        d.installEnrollmentProfile(profile.body);
        d.adoptIdentityOf(source);
        for (const step of [() => d.authenticate(), () => d.tokenUpdate()]) {
          const r = await step();
          if (r.status !== 200) throw new Error(`check-in: ${r.status} ${r.body.toString().slice(0, 200)}`);
        }
      });
      enrolled += n;
      await waitForSynchronized(cluster, enrolled);
    };
    await enroll(warmupDevices);
    const snapshot = () => Promise.all([cluster.server.stats(true), cluster.dynamo.stats(true)]);
    const first = Math.floor(opts.devices / 2);
    const [s0, d0] = await snapshot();
    await enroll(first);
    const [s1, d1] = await snapshot();
    await enroll(opts.devices - first);
    const [s2, d2] = await snapshot();
    const growth = (a: ChildStats, b: ChildStats, c: ChildStats): MemoryGrowth => ({
      heapUsedPerDevice: (c.memory.heapUsed - a.memory.heapUsed) / opts.devices,
      rssPerDevice: (c.memory.rss - a.memory.rss) / opts.devices,
      heapUsedMarginalPerDevice: (c.memory.heapUsed - b.memory.heapUsed) / (opts.devices - first),
      rssMarginalPerDevice: (c.memory.rss - b.memory.rss) / (opts.devices - first),
      heapUsed: [a.memory.heapUsed, b.memory.heapUsed, c.memory.heapUsed],
      rss: [a.memory.rss, b.memory.rss, c.memory.rss],
    });
    const server = growth(s0, s1, s2);
    const dynamo = growth(d0, d1, d2);
    opts.log?.(
      `  memory: server ${server.heapUsedMarginalPerDevice.toFixed(0)} B heap/device (marginal), dynalite ${dynamo.heapUsedMarginalPerDevice.toFixed(0)} B heap/device`,
    );
    return { devices: opts.devices, warmupDevices, server, dynamo, seconds: (performance.now() - started) / 1000 };
  } finally {
    await cluster.stop();
  }
}
