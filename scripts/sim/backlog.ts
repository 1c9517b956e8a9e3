// `npm run simulate -- --scenario backlog`: the push backlog of issue 20 as an operator would see
// it (docs/operations.md §Push backlog). A large tenant's daily resync runs under a small push cap,
// so its pushes wait in a backlog for many minutes; meanwhile its admin locks a device once a
// server minute, and a second, small tenant locks its devices every few seconds. The report says
// how long each Lock waited from request to push (p50, p99, max, on the server's clock), whether
// any tenant's budget went over its cap in any minute, and how many queue messages each pushed
// device took.
import { performance } from 'node:perf_hooks';
import { SimulatedAppleDevice } from '../../kit/apple-device';
import { FakeApns } from '../../kit/fake-apns';
import { pushCert } from '../../kit/tls';
import type { PushQueue } from '../../lambdas/ports';
import { type LocalServer, startLocal } from '../../lambdas/wiring/local';
import { percentile } from '../bench/stats';
import { ScaledClock } from './clock';
import { forEachLimited } from './limiter';

export interface BacklogOptions {
  /** Devices of the large tenant (its resync is the backlog). */
  devices: number;
  /** Devices of the small tenant. */
  smallDevices: number;
  /** Both tenants' pushes per minute. */
  cap: number;
  /** Real seconds per server minute. */
  minuteSeconds: number;
  /** Real seconds the run may take after the resync started. */
  timeoutSeconds: number;
}

export const BACKLOG_DEFAULTS: Omit<BacklogOptions, 'devices'> = {
  smallDevices: 10,
  cap: 20,
  minuteSeconds: 6,
  timeoutSeconds: 600,
};

/** The acceptance: an admin Lock within 75 s, another tenant's within 15 s. */
export const ADMIN_WAIT_LIMIT_S = 75;
export const OTHER_TENANT_WAIT_LIMIT_S = 15;

export interface WaitFigures {
  /** Lock requests measured. */
  n: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

export interface BacklogReport {
  scenario: 'backlog';
  ok: boolean;
  problems: string[];
  options: BacklogOptions;
  /** Server minutes from the resync's start until its last device was pushed. */
  resyncMinutes: number;
  /** Seconds (server clock) from a Lock request until its push reached APNs. */
  waits: { admin: WaitFigures; otherTenant: WaitFigures };
  /** Each tenant's budget ledger per server minute, from the resync's start. */
  budgetPerMinute: { large: number[]; small: number[] };
  capExceeded: boolean;
  /** Messages sent to the push queue per device pushed (each is an SQS send, receive and delete when deployed). */
  queueMessages: { requests: number; drains: number; perPushedDevice: number };
  pushes: number;
  realSeconds: number;
}

const LARGE = 'demo';
const SMALL = 'small';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runBacklogScenario(
  input: Partial<BacklogOptions> & Pick<BacklogOptions, 'devices'>,
  onProgress: (line: string) => void = () => undefined,
): Promise<BacklogReport> {
  const o: BacklogOptions = { ...BACKLOG_DEFAULTS, ...input };
  const clock = new ScaledClock(60 / o.minuteSeconds);
  const serverMs = () => clock.now().getTime();
  const arrivals: Array<{ token: string; at: number }> = [];
  const apns = new FakeApns();
  await apns.start();
  apns.onPush((p) => {
    if (p.status === 200) arrivals.push({ token: p.token, at: serverMs() });
  });
  const local = await startLocal({
    inMemory: true,
    port: 0,
    schedules: false,
    clock,
    apnsOrigin: apns.origin,
    apnsCa: apns.serverCa,
    // One shared identity for the fleet (no RSA key per device: enrollment is not the subject).
    // A drain delivered before its server minute tries again a server second later.
    config: { requireSignature: false, pushDeferDelaySeconds: o.minuteSeconds / 60 },
  });
  const started = performance.now();
  try {
    const messages = countQueueMessages(local.app.pushQueue);
    const api = apiOf(local);
    const { adminKey, operatorKey } = local.credentials;
    const small = await api('POST', '/admin/v1/tenants', operatorKey, { id: SMALL, name: 'Small' });
    const smallKey = small.body.adminKey as string;
    for (const [key, name] of [
      [adminKey, 'large'],
      [smallKey, 'small'],
    ]) {
      const cert = pushCert({ name: `simulate-backlog-${name}` });
      await api('PUT', '/admin/v1/push/apns', key, { certificatePem: cert.certPem, privateKeyPem: cert.keyPem });
    }
    onProgress(`enrolling ${o.devices} + ${o.smallDevices} devices`);
    const large = await enroll(local, api, LARGE, adminKey, o.devices);
    const smallFleet = await enroll(local, api, SMALL, smallKey, o.smallDevices);
    // Every enrollment pushed its device once (under the default cap): let those go out first.
    while (arrivals.length < o.devices + o.smallDevices) await sleep(50);
    await local.settled();
    for (const tenant of [LARGE, SMALL])
      await api('PUT', `/admin/v1/tenants/${tenant}`, operatorKey, { pushCapPerMinute: o.cap });

    // The ledger is judged from the first minute that began under the new caps: the minute they
    // were set in may hold enrollment pushes reserved under the default cap.
    const firstMinute = Math.floor(serverMs() / 60_000) + 1;
    while (serverMs() < firstMinute * 60_000) await sleep(20);
    const resyncAt = serverMs();
    const pushesBefore = arrivals.length;
    messages.reset();
    onProgress(`resync of ${o.devices} devices at ${o.cap} pushes a minute`);
    await api('POST', '/admin/v1/jobs/resync/run', adminKey);
    const pushedSince = (token: string, at: number) => arrivals.find((a) => a.token === token && a.at >= at);
    const resyncDone = () => large.every((d) => pushedSince(d.pushToken, resyncAt));

    // The admin locks a device still waiting for its resync push once a server minute, each time at
    // another second of the minute (the wait depends on it); the small tenant locks one of its
    // devices every ten server seconds.
    const adminLocks: Array<{ token: string; at: number }> = [];
    const otherLocks: Array<{ token: string; at: number }> = [];
    const lock = async (key: string, device: SimulatedAppleDevice, into: typeof adminLocks) => {
      const at = serverMs();
      await api('POST', `/admin/v1/devices/${device.udid}/commands`, key, { type: 'Lock' });
      into.push({ token: device.pushToken, at });
    };
    const deadline = performance.now() + o.timeoutSeconds * 1000;
    const adminSecond = (n: number) => ((7 + 23 * n) % 60) * 1000;
    let nextAdmin = (firstMinute + 1) * 60_000 + adminSecond(0);
    let nextOther = resyncAt + 10_000;
    let locked = 0;
    while (!resyncDone()) {
      if (performance.now() > deadline) break;
      const now = serverMs();
      if (now >= nextAdmin) {
        const waiting = large.find((d) => !pushedSince(d.pushToken, resyncAt));
        if (waiting) await lock(adminKey, waiting, adminLocks);
        const minute = Math.floor(nextAdmin / 60_000) + 1;
        nextAdmin = minute * 60_000 + adminSecond(minute - firstMinute - 1);
      }
      if (now >= nextOther) {
        await lock(smallKey, smallFleet[locked++ % smallFleet.length], otherLocks);
        nextOther += 10_000;
      }
      await sleep(20);
    }
    const allLocksPushed = () => [...adminLocks, ...otherLocks].every((l) => pushedSince(l.token, l.at));
    while (!allLocksPushed() && performance.now() < deadline) await sleep(50);
    const lastMinute = Math.floor(serverMs() / 60_000);
    const resyncEnd = Math.max(...large.map((d) => pushedSince(d.pushToken, resyncAt)?.at ?? Number.NaN));

    const ledger = async (tenant: string) => {
      const used: number[] = [];
      for (let m = firstMinute; m <= lastMinute; m++) used.push(await local.app.stores.budget.used(tenant, m));
      return used;
    };
    const budgetPerMinute = { large: await ledger(LARGE), small: await ledger(SMALL) };
    const waitsOf = (locks: typeof adminLocks) =>
      figures(locks.map((l) => ((pushedSince(l.token, l.at)?.at ?? Number.NaN) - l.at) / 1000));
    const waits = { admin: waitsOf(adminLocks), otherTenant: waitsOf(otherLocks) };
    const capExceeded = [...budgetPerMinute.large, ...budgetPerMinute.small].some((n) => n > o.cap);
    const pushes = arrivals.length - pushesBefore;

    const problems: string[] = [];
    if (!resyncDone()) problems.push(`the resync did not push every device within ${o.timeoutSeconds} s`);
    if (!allLocksPushed()) problems.push('a Lock was never pushed');
    if (capExceeded) problems.push(`a tenant's budget went over its cap of ${o.cap} in a minute`);
    if (!waits.admin.n) problems.push('no admin Lock was measured: the backlog lasted less than two minutes');
    if ((waits.admin.max ?? 0) > ADMIN_WAIT_LIMIT_S)
      problems.push(`an admin Lock waited ${waits.admin.max} s (limit ${ADMIN_WAIT_LIMIT_S})`);
    if ((waits.otherTenant.max ?? 0) > OTHER_TENANT_WAIT_LIMIT_S)
      problems.push(`the other tenant's Lock waited ${waits.otherTenant.max} s (limit ${OTHER_TENANT_WAIT_LIMIT_S})`);
    return {
      scenario: 'backlog',
      ok: problems.length === 0,
      problems,
      options: o,
      resyncMinutes: Math.round(((resyncEnd - resyncAt) / 60_000) * 10) / 10,
      waits,
      budgetPerMinute,
      capExceeded,
      queueMessages: {
        requests: messages.requests,
        drains: messages.drains,
        perPushedDevice: pushes ? Math.round(((messages.requests + messages.drains) / pushes) * 1000) / 1000 : 0,
      },
      pushes,
      realSeconds: Math.round((performance.now() - started) / 1000),
    };
  } finally {
    await local.stop();
    await apns.stop();
  }
}

function figures(seconds: number[]): WaitFigures {
  const sorted = seconds.filter((s) => Number.isFinite(s)).sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 10) / 10;
  if (!sorted.length) return { n: seconds.length, p50: null, p99: null, max: null };
  return {
    n: seconds.length,
    p50: r(percentile(sorted, 50)),
    p99: r(percentile(sorted, 99)),
    max: r(sorted[sorted.length - 1]),
  };
}

/**
 * Counts what the server sends to its push queue: fresh request batches, and backlog drains as a
 * deployment sends them. A drain delivered before its minute re-queues itself; with the
 * simulation's shortened queue delays (pushDeferDelaySeconds) that happens many times a minute,
 * where SQS's delay to the minute boundary makes it one message. So a drain counts once per tenant
 * and minute, plus each hand-over to a fresh message within its minute.
 */
function countQueueMessages(queue: PushQueue) {
  const seen = new Set<string>();
  const counts = {
    requests: 0,
    drains: 0,
    reset() {
      counts.requests = 0;
      counts.drains = 0;
      seen.clear();
    },
  };
  const send = queue.send.bind(queue);
  const sendDrain = queue.sendDrain.bind(queue);
  queue.send = async (batch, delay) => {
    if (batch.length) counts.requests += 1;
    await send(batch, delay);
  };
  queue.sendDrain = async (tenantId, minute, delay) => {
    const key = `${tenantId}#${minute}`;
    if (!seen.has(key) || delay === 0) counts.drains += 1;
    seen.add(key);
    await sendDrain(tenantId, minute, delay);
  };
  return counts;
}

type Api = (
  method: string,
  path: string,
  key: string,
  body?: unknown,
) => Promise<{ status: number; body: Record<string, unknown> }>;

function apiOf(local: LocalServer): Api {
  return async (method, path, key, body) => {
    const res = await fetch(`${local.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  };
}

/** Enrolls `n` iPhones into a tenant, all with one identity, 8 at a time. */
async function enroll(
  local: LocalServer,
  api: Api,
  tenant: string,
  key: string,
  n: number,
): Promise<SimulatedAppleDevice[]> {
  const { url } = (await api('POST', '/admin/v1/enrollments', key, { platform: 'ios' })).body as { url: string };
  const profile = Buffer.from(await (await fetch(url)).arrayBuffer());
  const source = new SimulatedAppleDevice({ baseUrl: local.url, tenant, platform: 'ios' });
  source.installEnrollmentProfile(profile);
  if (source.needsScepIdentity) await source.obtainIdentity();
  const devices = Array.from(
    { length: n },
    () => new SimulatedAppleDevice({ baseUrl: local.url, tenant, platform: 'ios' }),
  );
  await forEachLimited(devices, 8, async (device) => {
    device.installEnrollmentProfile(profile);
    device.adoptIdentityOf(source);
    for (const [step, reply] of [
      ['Authenticate', await device.authenticate()],
      ['TokenUpdate', await device.tokenUpdate()],
    ] as const) {
      if (reply.status !== 200) throw new Error(`${step} failed: ${reply.status}`);
    }
  });
  return devices;
}

export function formatBacklogReport(r: BacklogReport): string {
  const w = (f: WaitFigures) => (f.n ? `p50 ${f.p50} s, p99 ${f.p99} s, max ${f.max} s (${f.n} Locks)` : 'none');
  return [
    `push backlog: ${r.options.devices} devices resynced at ${r.options.cap} pushes a minute (a server minute lasted ${r.options.minuteSeconds} s)`,
    `  resync: every device pushed after ${r.resyncMinutes} server minutes; ${r.pushes} pushes`,
    `  admin Lock, request to push:             ${w(r.waits.admin)}`,
    `  other tenant's Lock, request to push:    ${w(r.waits.otherTenant)}`,
    `  budget per minute, large tenant: ${r.budgetPerMinute.large.join(' ')}`,
    `  budget per minute, small tenant: ${r.budgetPerMinute.small.join(' ')}`,
    `  cap ${r.options.cap} exceeded in any minute: ${r.capExceeded ? 'YES' : 'no'}`,
    `  push-queue messages: ${r.queueMessages.requests} request batches + ${r.queueMessages.drains} drains = ${r.queueMessages.perPushedDevice} per pushed device`,
    `  real time: ${r.realSeconds} s`,
    ...r.problems.map((p) => `problem: ${p}`),
  ].join('\n');
}
