// End-to-end harness: the whole product in-process (startLocal, in-memory dynalite) on a real
// port, a fake APNs (HTTP/2 + TLS with client certificates) and simulated Apple devices that poll
// the server when a push for their token reaches the fake, as real devices do.
import { randomUUID } from 'node:crypto';
import type { Clock, PushMessage, PushSender } from '../lambdas/ports';
import { buildPlist } from '../lambdas/protocol/apple/plist';
import type { AppConfig } from '../lambdas/service/container';
import { handlePushMessage } from '../lambdas/service/push-worker';
import { type LocalServer, startLocal } from '../lambdas/wiring/local';
import { SimulatedAppleDevice } from './apple-device';
import { FakeApns, type RecordedPush } from './fake-apns';
import { type PushCertificate, pushCert } from './tls';

/**
 * A clock that the test moves: every reading is 1 ms after the previous one (so "the device
 * answered after the push" is always strictly true, as in real life), and advance() jumps ahead.
 * It starts at the beginning of the current minute, so per-minute accounting is exact.
 */
export class TestClock implements Clock {
  private t: number;
  constructor(start: Date = new Date(Math.floor(Date.now() / 60_000) * 60_000)) {
    this.t = start.getTime();
  }
  now(): Date {
    this.t += 1;
    return new Date(this.t);
  }
  /** The current time without moving it. */
  peek(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
  /** Jumps to the start of the next minute. */
  nextMinute(): void {
    this.t = (Math.floor(this.t / 60_000) + 1) * 60_000;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ApiReply<T = any> {
  status: number;
  body: T;
  text: string;
}

export interface E2EOptions {
  config?: Partial<AppConfig>;
  /** Do not poll devices on push (tests that want to drive polls themselves). */
  manualPolls?: boolean;
  /** The FCM side (e.g. an AgentPushSender delivering to simulated Android agents). */
  fcm?: PushSender;
  /**
   * How long waitFor and settle wait at most by default (30 s; operation() twice that). Only a
   * guard against a hang: a suite that waits for many outcomes on a loaded machine raises it.
   */
  patienceMs?: number;
}

export interface E2E {
  local: LocalServer;
  apns: FakeApns;
  clock: TestClock;
  adminKey: string;
  /** Calls the admin API with the demo admin key (or `key`). */
  api<T = any>(method: string, path: string, body?: unknown, key?: string): Promise<ApiReply<T>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Uploads an MDM push certificate the fake APNs trusts (PUT /admin/v1/push/apns). */
  uploadPushCert(cert?: PushCertificate): Promise<PushCertificate>;
  createTemplate(input: {
    name?: string;
    items?: unknown[];
    prohibitedApps?: string[];
  }): Promise<{ id: string; version: number }>;
  createEnrollment(input?: {
    templateId?: string;
    expiresInHours?: number;
    name?: string;
  }): Promise<{ token: string; url: string; expiresAt: string }>;
  /** A simulated device the push wiring knows (not enrolled). */
  newDevice(opts?: {
    platform?: 'ios' | 'macos';
    sendsUnlockToken?: boolean;
    fetch?: typeof fetch;
  }): SimulatedAppleDevice;
  /** Enrolls `n` new devices (Authenticate + TokenUpdate), `concurrency` at a time. */
  enrollDevices(n: number, opts?: { templateId?: string; concurrency?: number }): Promise<SimulatedAppleDevice[]>;
  /**
   * Many devices fast: one enrollment profile (one server-issued identity) installed on `n`
   * simulators, each with its own UDID and push token, and the template assigned between
   * Authenticate and TokenUpdate. Needs config { requireSignature: false }: with signatures
   * verified, one identity cannot stand for several devices.
   */
  enrollShared(n: number, opts?: { templateId?: string; concurrency?: number }): Promise<SimulatedAppleDevice[]>;
  /** Waits until a bulk operation or sync fan-out is done; returns its progress. */
  operation(id: string, timeoutMs?: number): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Waits until nothing is queued or polling and `until` (if given) holds; throws after timeoutMs. */
  settle(until?: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void>;
  /** Waits until `until` holds (no need for the queue to drain: deferred pushes may be waiting). */
  waitFor(until: () => boolean | Promise<boolean>, timeoutMs?: number, what?: string): Promise<void>;
  device(id: string): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Pushes the fake APNs accepted for this token. */
  pushesTo(token: string): RecordedPush[];
  /** Turns the poll-on-push wiring on or off. */
  autoPoll: boolean;
  /**
   * One push worker: push batches are handled one after the other instead of concurrently (as
   * several Lambda instances would), for tests of what one batch sees of the previous ones.
   */
  onePushWorker: boolean;
  /** Push messages (batches and backlog drains) the worker began and finished handling (a test can wait for the worker's next try). */
  pushBatches: { started: number; finished: number };
  /** Errors thrown by push messages (each is retried by the queue, then dead-lettered), newest last. */
  pushErrors: Array<{ message: PushMessage; error: unknown }>;
  /** Errors thrown by device polls driven by pushes. */
  pollErrors: unknown[];
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A small .mobileconfig (one Wi-Fi payload), base64, for template items. */
export function sampleProfile(identifier = 'com.example.wifi', ssid = 'Office'): string {
  const xml = buildPlist({
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: identifier,
    PayloadUUID: randomUUID().toUpperCase(),
    PayloadDisplayName: `Wi-Fi ${ssid}`,
    PayloadContent: [
      {
        PayloadType: 'com.apple.wifi.managed',
        PayloadVersion: 1,
        PayloadIdentifier: `${identifier}.wifi`,
        PayloadUUID: randomUUID().toUpperCase(),
        SSID_STR: ssid,
        EncryptionType: 'WPA2',
        AutoJoin: true,
      },
    ],
  });
  return Buffer.from(xml, 'utf8').toString('base64');
}

export async function startE2E(opts: E2EOptions = {}): Promise<E2E> {
  const patience = opts.patienceMs ?? 30_000;
  const apns = new FakeApns();
  await apns.start();
  const clock = new TestClock();
  const local = await startLocal({
    inMemory: true,
    port: 0,
    schedules: false,
    clock,
    apnsOrigin: apns.origin,
    apnsCa: apns.serverCa,
    config: opts.config,
    ...(opts.fcm ? { push: { fcm: opts.fcm } } : {}),
  });
  // The same consumer local mode wires, tracked so stop() can let a delivery finish before the
  // database closes.
  const deliveries = new Set<Promise<unknown>>();
  let stopping = false;
  let previousBatch: Promise<unknown> = Promise.resolve();
  local.queue.consume(async (message) => {
    if (stopping) return; // shutting down: a deferred batch must not reach a closed database
    const handle = async () => {
      e2e.pushBatches.started += 1;
      try {
        return await handlePushMessage(local.app, message);
      } catch (error) {
        e2e.pushErrors.push({ message, error });
        throw error;
      } finally {
        e2e.pushBatches.finished += 1;
      }
    };
    const p = e2e.onePushWorker ? previousBatch.then(handle) : handle();
    if (e2e.onePushWorker) previousBatch = p.catch(() => undefined);
    deliveries.add(p);
    try {
      await p;
    } finally {
      deliveries.delete(p);
    }
  });
  const adminKey = local.credentials.adminKey;
  const devices = new Map<string, SimulatedAppleDevice>();
  const inFlight = new Set<Promise<unknown>>();
  const chains = new Map<string, Promise<unknown>>();
  const pollErrors: unknown[] = [];

  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => undefined);
    return p;
  };

  const e2e: E2E = {
    local,
    apns,
    clock,
    adminKey,
    pollErrors,
    autoPoll: !opts.manualPolls,
    onePushWorker: false,
    pushBatches: { started: 0, finished: 0 },
    pushErrors: [],

    async api(method, path, body, key = adminKey) {
      const res = await fetch(`${local.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed as never, text };
    },

    async uploadPushCert(cert = pushCert({ name: 'e2e-demo' })) {
      const r = await e2e.api('PUT', '/admin/v1/push/apns', {
        certificatePem: cert.certPem,
        privateKeyPem: cert.keyPem,
      });
      if (r.status !== 200) throw new Error(`push certificate upload failed: ${r.status} ${r.text}`);
      return cert;
    },

    async createTemplate({ name = 'e2e template', items = [], prohibitedApps }) {
      const r = await e2e.api('POST', '/admin/v1/templates', {
        name,
        items,
        ...(prohibitedApps ? { prohibitedApps } : {}),
      });
      if (r.status !== 201) throw new Error(`template creation failed: ${r.status} ${r.text}`);
      return r.body;
    },

    async createEnrollment(input = {}) {
      const r = await e2e.api('POST', '/admin/v1/enrollments', { platform: 'ios', ...input });
      if (r.status !== 201) throw new Error(`enrollment creation failed: ${r.status} ${r.text}`);
      return r.body;
    },

    newDevice({ platform = 'ios', sendsUnlockToken, fetch: deviceFetch } = {}) {
      const device = new SimulatedAppleDevice({
        baseUrl: local.url,
        tenant: 'demo',
        platform,
        sendsUnlockToken,
        fetch: deviceFetch,
      });
      devices.set(device.udid, device);
      return device;
    },

    async enrollDevices(n, { templateId, concurrency = 4 } = {}) {
      const out: SimulatedAppleDevice[] = [];
      let next = 0;
      const worker = async () => {
        while (next < n) {
          next++;
          const { url } = await e2e.createEnrollment({ templateId });
          const device = e2e.newDevice();
          await device.enrollFully(url);
          out.push(device);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
      return out;
    },

    async enrollShared(n, { templateId, concurrency = 4 } = {}) {
      const { url } = await e2e.createEnrollment({ templateId });
      const res = await fetch(url);
      if (res.status !== 200) throw new Error(`enrollment profile download failed: ${res.status}`);
      const profile = Buffer.from(await res.arrayBuffer());
      // One identity for the whole fleet: a SCEP challenge is good for one certificate only.
      const source = new SimulatedAppleDevice({ baseUrl: local.url, tenant: 'demo', platform: 'ios' });
      source.installEnrollmentProfile(profile);
      if (source.needsScepIdentity) await source.obtainIdentity();
      const out: SimulatedAppleDevice[] = [];
      let next = 0;
      const check = (what: string, r: { status: number; body: Buffer | string }) => {
        if (r.status !== 200) throw new Error(`${what} failed: ${r.status} ${r.body.toString().slice(0, 200)}`);
      };
      const worker = async () => {
        while (next < n) {
          next++;
          const device = e2e.newDevice();
          device.installEnrollmentProfile(profile);
          device.adoptIdentityOf(source);
          check('Authenticate', await device.authenticate());
          if (templateId) {
            const r = await e2e.api('PUT', `/admin/v1/devices/${device.udid}/template`, { templateId });
            check('template assignment', { status: r.status, body: r.text });
          }
          check('TokenUpdate', await device.tokenUpdate());
          out.push(device);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
      return out;
    },

    async waitFor(until, timeoutMs = patience, what = 'condition') {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (pollErrors.length) throw pollErrors[0];
        if (await until()) return;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await sleep(20);
      }
    },

    async settle(until, timeoutMs = patience) {
      const deadline = Date.now() + timeoutMs;
      let quietRounds = 0;
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`e2e.settle timed out after ${timeoutMs} ms`);
        await Promise.race([local.settled(), sleep(Math.min(left, 200))]);
        await Promise.race([Promise.allSettled([...inFlight]), sleep(Math.min(left, 200))]);
        if (pollErrors.length) throw pollErrors[0];
        const idle = inFlight.size === 0;
        if (idle && (!until || (await until()))) {
          // Twice in a row: a poll may just have queued a push.
          if (++quietRounds >= 2) return;
        } else quietRounds = 0;
        await sleep(10);
      }
    },

    async operation(id, timeoutMs = 2 * patience) {
      let progress: any; // eslint-disable-line @typescript-eslint/no-explicit-any
      await e2e.waitFor(
        async () => {
          const r = await e2e.api('GET', `/admin/v1/commands/${id}`);
          if (r.status !== 200) throw new Error(`operation ${id}: ${r.status} ${r.text}`);
          progress = r.body;
          return progress.status === 'done';
        },
        timeoutMs,
        `operation ${id} to finish`,
      );
      return progress;
    },

    async device(id) {
      const r = await e2e.api('GET', `/admin/v1/devices/${id}`);
      if (r.status !== 200) throw new Error(`device ${id}: ${r.status} ${r.text}`);
      return r.body;
    },

    pushesTo(token) {
      return apns.pushes.filter((p) => p.token === token && p.status === 200);
    },

    async stop() {
      unsubscribe();
      e2e.autoPoll = false;
      stopping = true;
      await Promise.allSettled([...inFlight]);
      await local.bulkQueue.close();
      await local.queue.close();
      while (deliveries.size) await Promise.allSettled([...deliveries]);
      await local.stop();
      await apns.stop();
    },
  };

  // A push that reaches "Apple" wakes the device with that token: it polls, one session at a time.
  const unsubscribe = apns.onPush((push) => {
    if (!e2e.autoPoll) return;
    const device = [...devices.values()].find((d) => d.enrolled && d.pushToken === push.token);
    if (!device) return;
    const previous = chains.get(device.udid) ?? Promise.resolve();
    const run = previous
      .then(() => device.poll())
      .catch((err: unknown) => {
        pollErrors.push(err);
      });
    chains.set(device.udid, run);
    track(run);
  });

  return e2e;
}
