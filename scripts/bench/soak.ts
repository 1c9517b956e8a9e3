// The soak: `npm start` as it runs (startLocal in its own process, embedded dynalite, data on disk)
// under a fleet of simulated devices for several minutes, its RSS sampled every 10 s. What it
// answers: does the server's memory level off, and how big does the data folder get?
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SimulatedAndroidAgent } from '../../kit/android-agent';
import { SimulatedAppleDevice } from '../../kit/apple-device';
import { pushCert } from '../../kit/tls';
import { type Cluster, send, startCluster } from './cluster';
import { eachLimited, sleep } from './workload';

export interface SoakSample {
  /** Seconds since the load started. */
  at: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
}

export interface SoakResult {
  appleDevices: number;
  androidDevices: number;
  minutes: number;
  /** Mean time between two actions of one device, ms. */
  actionIntervalMs: number;
  actions: { idle: number; checkIn: number; command: number; errors: number };
  samples: SoakSample[];
  peakRss: number;
  /** Least-squares slope of RSS over the second half of the run, MB per minute. */
  lastHalfSlopeMbPerMin: number;
  dataFolderBytes: number;
  /** Peak under the limit and no growth to speak of in the second half. */
  levelsOff: boolean;
  limitMb: number;
  seconds: number;
}

const SAMPLE_EVERY_MS = 10_000;
/** "Levels off": the second half grows by less than this (noise: GC timing, allocator). */
const FLAT_SLOPE_MB_PER_MIN = 1;
export const SOAK_RSS_LIMIT_MB = 300;
const MB = 1024 * 1024;

/** Total size of the files under `dir`. */
export function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? folderBytes(path) : statSync(path).size;
  }
  return total;
}

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  if (points.length < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / points.length;
  const my = points.reduce((s, [, y]) => s + y, 0) / points.length;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

/** Peak RSS, the slope of the second half, and whether it levels off under the limit. */
export function soakVerdict(
  samples: SoakSample[],
  minutes: number,
): Pick<SoakResult, 'peakRss' | 'lastHalfSlopeMbPerMin' | 'levelsOff'> {
  const peakRss = Math.max(...samples.map((s) => s.rss));
  const half = samples.filter((s) => s.at >= (minutes * 60) / 2);
  const lastHalfSlopeMbPerMin = slope(half.map((s) => [s.at / 60, s.rss / MB]));
  return {
    peakRss,
    lastHalfSlopeMbPerMin,
    levelsOff: peakRss <= SOAK_RSS_LIMIT_MB * MB && lastHalfSlopeMbPerMin <= FLAT_SLOPE_MB_PER_MIN,
  };
}

async function adminOk(cluster: Cluster, method: string, path: string, body?: unknown) {
  const r = await cluster.admin<{ url?: string; qrPayload?: string }>(method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${path}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Apple devices that share one identity (one SCEP issuance for the fleet), enrolled and first-synced. */
async function enrollAppleFleet(cluster: Cluster, n: number): Promise<SimulatedAppleDevice[]> {
  const { url } = await adminOk(cluster, 'POST', '/enrollments', { platform: 'ios' });
  const profile = await send(cluster.url, 'GET', new URL(url!).pathname, {});
  if (profile.status !== 200) throw new Error(`profile download: ${profile.status}`);
  const source = new SimulatedAppleDevice({ baseUrl: cluster.url, tenant: 'demo', platform: 'ios' });
  source.installEnrollmentProfile(profile.body);
  if (source.needsScepIdentity) await source.obtainIdentity();
  const devices: SimulatedAppleDevice[] = [];
  await eachLimited(Array.from({ length: n }), 8, async () => {
    const d = new SimulatedAppleDevice({ baseUrl: cluster.url, tenant: 'demo', platform: 'ios' });
    d.supervised = true; // Restart needs a supervised iOS device
    cluster.devices.set(d.udid, d);
    d.installEnrollmentProfile(profile.body);
    d.adoptIdentityOf(source);
    for (const step of [() => d.authenticate(), () => d.tokenUpdate()]) {
      const r = await step();
      if (r.status !== 200) throw new Error(`check-in: ${r.status} ${r.body.toString().slice(0, 200)}`);
    }
    devices.push(d);
  });
  return devices;
}

async function enrollAndroidFleet(cluster: Cluster, n: number): Promise<SimulatedAndroidAgent[]> {
  const agents: SimulatedAndroidAgent[] = [];
  await eachLimited(Array.from({ length: n }), 8, async () => {
    const { qrPayload } = await adminOk(cluster, 'POST', '/enrollments', { platform: 'android' });
    const agent = SimulatedAndroidAgent.fromQrPayload(qrPayload!);
    const enrolled = await agent.enroll();
    if (enrolled.status !== 201) throw new Error(`android enroll: ${enrolled.status}`);
    await agent.checkIn();
    await agent.poll();
    agents.push(agent);
  });
  return agents;
}

export async function measureSoak(opts: {
  devices: number;
  minutes: number;
  dataDir: string;
  actionIntervalMs?: number;
  log?: (s: string) => void;
}): Promise<SoakResult> {
  const log = opts.log ?? (() => undefined);
  const started = performance.now();
  const actionIntervalMs = opts.actionIntervalMs ?? 5000;
  const cluster = await startCluster({ requireSignature: false, embedded: { dataDir: opts.dataDir } });
  try {
    const cert = pushCert({ name: 'bench-soak' });
    await adminOk(cluster, 'PUT', '/push/apns', { certificatePem: cert.certPem, privateKeyPem: cert.keyPem });
    const appleCount = Math.ceil(opts.devices / 2);
    const apple = await enrollAppleFleet(cluster, appleCount);
    const android = await enrollAndroidFleet(cluster, opts.devices - appleCount);
    await cluster.pollsDone();
    log(
      `  soak: ${apple.length} Apple devices and ${android.length} Android agents enrolled; load for ${opts.minutes} min`,
    );

    const actions = { idle: 0, checkIn: 0, command: 0, errors: 0 };
    const samples: SoakSample[] = [];
    const t0 = performance.now();
    const deadline = t0 + opts.minutes * 60_000;
    const sample = async () => {
      const { memory } = await cluster.server.stats();
      samples.push({
        at: (performance.now() - t0) / 1000,
        rss: memory.rss,
        heapTotal: memory.heapTotal,
        heapUsed: memory.heapUsed,
        external: memory.external,
      });
    };
    await sample();
    const sampler = (async () => {
      while (performance.now() < deadline) {
        await sleep(Math.min(SAMPLE_EVERY_MS, Math.max(0, deadline - performance.now())));
        await sample();
        const last = samples.at(-1)!;
        log(
          `  soak ${last.at.toFixed(0)} s: RSS ${(last.rss / MB).toFixed(0)} MB, heap ${(last.heapUsed / MB).toFixed(0)} MB`,
        );
      }
    })();
    // Each device, at random intervals: mostly idle connects, some check-ins, now and then a
    // command round trip (the admin queues Restart; Apple devices poll on the push, agents poll).
    const act = async (run: () => Promise<unknown>, kind: keyof typeof actions) => {
      try {
        await run();
        actions[kind] += 1;
      } catch {
        actions.errors += 1;
      }
    };
    const drive = async (step: () => Promise<void>) => {
      await sleep(Math.random() * actionIntervalMs);
      while (performance.now() < deadline) {
        await step();
        await sleep(actionIntervalMs * (0.5 + Math.random()));
      }
    };
    const pick = () => {
      const r = Math.random();
      return r < 0.8 ? 'idle' : r < 0.95 ? 'checkIn' : 'command';
    };
    await Promise.all([
      ...apple.map((d) =>
        drive(async () => {
          const kind = pick();
          if (kind === 'idle') await act(() => d.poll(), 'idle');
          else if (kind === 'checkIn') await act(() => d.tokenUpdate(), 'checkIn');
          else await act(() => adminOk(cluster, 'POST', `/devices/${d.udid}/commands`, { type: 'Restart' }), 'command');
        }),
      ),
      ...android.map((a) =>
        drive(async () => {
          const kind = pick();
          if (kind === 'idle') await act(() => a.poll(), 'idle');
          else if (kind === 'checkIn') await act(() => a.checkIn(), 'checkIn');
          else
            await act(async () => {
              await adminOk(cluster, 'POST', `/devices/${a.deviceId}/commands`, { type: 'Restart' });
              await a.poll();
            }, 'command');
        }),
      ),
    ]);
    await sampler;
    await cluster.pollsDone();
    const minutes = (performance.now() - t0) / 60_000;
    const verdict = soakVerdict(samples, minutes);
    await cluster.stop(); // the database closes its files: their size is what stays on disk
    const dataFolderBytes = folderBytes(opts.dataDir);
    return {
      appleDevices: apple.length,
      androidDevices: android.length,
      minutes,
      actionIntervalMs,
      actions,
      samples,
      ...verdict,
      dataFolderBytes,
      limitMb: SOAK_RSS_LIMIT_MB,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await cluster.stop();
  }
}
