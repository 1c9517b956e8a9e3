// The load-test set-up: the server and its DynamoDB in two child processes (server-process.ts),
// and here, in the benchmark's own process, the fake APNs and the simulated devices.
import { type ChildProcess, fork } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import type { SimulatedAppleDevice } from '../../kit/apple-device';
import { FakeApns } from '../../kit/fake-apns';
import type { CpuProfile } from './profile';
import type { ChildReady, ChildStats } from './server-process';

const CHILD = join(__dirname, 'server-process.ts');

export class Child {
  private nextId = 1;
  private readonly waiting = new Map<number, (m: unknown) => void>();
  constructor(readonly process: ChildProcess) {
    process.on('message', (m: { type: string; id?: number }) => {
      if (m.id !== undefined) this.waiting.get(m.id)?.(m);
    });
  }

  private ask<T>(message: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, (m) => {
        this.waiting.delete(id);
        resolve(m as T);
      });
      this.process.send({ ...message, id });
    });
  }

  /** CPU (µs) and memory of the child; `gc` collects garbage first (after reading the CPU). */
  stats(gc = false): Promise<ChildStats> {
    return this.ask({ type: 'stats', gc });
  }

  /** Runs `body` under the child's V8 sampling profiler and returns the profile. */
  async profile(body: () => Promise<void>): Promise<CpuProfile> {
    await this.ask({ type: 'profile-start' });
    await body();
    return (await this.ask<{ profile: CpuProfile }>({ type: 'profile-stop' })).profile;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.process.exitCode !== null) {
        resolve();
        return;
      }
      this.process.once('exit', () => resolve());
      this.process.send({ type: 'stop' });
    });
  }
}

async function startChild(
  role: 'dynamo' | 'server' | 'local',
  env: Record<string, string>,
): Promise<{ child: Child; ready: ChildReady }> {
  const proc = fork(CHILD, [], {
    // BENCH_CHILD_ARGS adds node flags to the children, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    execArgv: ['--import', 'tsx', '--expose-gc', ...(process.env.BENCH_CHILD_ARGS?.split(' ').filter(Boolean) ?? [])],
    // The server logs one JSON line per request, as it does on Lambda; the lines go nowhere.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: {
      ...process.env,
      BENCH_ROLE: role,
      LOG_LEVEL: 'info',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...env,
    },
  });
  const ready = await new Promise<ChildReady>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`bench ${role} process exited with ${code} before it was ready`)));
    proc.on('message', (m: { type: string }) => {
      if (m.type === 'ready') resolve(m as ChildReady);
    });
  });
  proc.removeAllListeners('exit');
  return { child: new Child(proc), ready };
}

export interface Cluster {
  url: string;
  adminKey: string;
  server: Child;
  /** The database's own process; absent when the server embeds it (`embedded`, as `npm start`). */
  dynamo?: Child;
  apns: FakeApns;
  /** Devices polled when a push for their token reaches the fake APNs (while autoPoll is on). */
  devices: Map<string, SimulatedAppleDevice>;
  autoPoll: boolean;
  /** Waits for the polls started by pushes. */
  pollsDone(): Promise<void>;
  pollErrors: unknown[];
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

export async function startCluster(opts: {
  requireSignature: boolean;
  /** Run `npm start` as is: one process with its embedded dynalite and its data under `dataDir`. */
  embedded?: { dataDir: string };
}): Promise<Cluster> {
  const apns = new FakeApns();
  await apns.start();
  let dynamo: { child: Child; ready: ChildReady } | undefined;
  let server: { child: Child; ready: ChildReady };
  if (opts.embedded) {
    server = await startChild('local', {
      BENCH_LOCAL: JSON.stringify({
        dataDir: opts.embedded.dataDir,
        apnsOrigin: apns.origin,
        apnsCa: apns.serverCa,
        requireSignature: opts.requireSignature,
      }),
    });
  } else {
    dynamo = await startChild('dynamo', {});
    if (dynamo.ready.role !== 'dynamo') throw new Error('unexpected ready message');
    server = await startChild('server', {
      BENCH_SERVER: JSON.stringify({
        dynamoEndpoint: dynamo.ready.endpoint,
        apnsOrigin: apns.origin,
        apnsCa: apns.serverCa,
        requireSignature: opts.requireSignature,
      }),
    });
  }
  if (server.ready.role === 'dynamo') throw new Error('unexpected ready message');
  const { url, adminKey } = server.ready;
  const devices = new Map<string, SimulatedAppleDevice>();
  const chains = new Map<string, Promise<unknown>>();
  const inFlight = new Set<Promise<unknown>>();
  let stopping: Promise<void> | undefined;
  const cluster: Cluster = {
    url,
    adminKey,
    server: server.child,
    dynamo: dynamo?.child,
    apns,
    devices,
    autoPoll: true,
    pollErrors: [],
    async pollsDone() {
      while (inFlight.size) await Promise.allSettled([...inFlight]);
    },
    async admin(method, path, body) {
      const res = await send(
        url,
        method,
        `/admin/v1${path}`,
        { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
      );
      const text = res.body.toString('utf8');
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as never };
    },
    stop() {
      stopping ??= (async () => {
        unsubscribe();
        cluster.autoPoll = false;
        await cluster.pollsDone();
        await server.child.stop();
        await dynamo?.child.stop();
        await apns.stop();
        agent.destroy();
      })();
      return stopping;
    },
  };
  const byToken = () => new Map([...devices.values()].map((d) => [d.pushToken, d]));
  const unsubscribe = apns.onPush((push) => {
    if (!cluster.autoPoll) return;
    const device = byToken().get(push.token);
    if (!device?.enrolled) return;
    const run = (chains.get(device.udid) ?? Promise.resolve())
      .then(() => device.poll())
      .catch((err: unknown) => {
        cluster.pollErrors.push(err);
      });
    chains.set(device.udid, run);
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
  });
  return cluster;
}

/** One keep-alive agent for the load: connection set-up is not what we measure. */
export const agent = new Agent({ keepAlive: true, maxSockets: 256 });

export interface RawReply {
  status: number;
  body: Buffer;
}

/** A plain node:http request (cheaper on the client than fetch, so the load generator stays light). */
export function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${base}${path}`,
      { method, headers: { ...headers, 'content-length': String(body?.length ?? 0) }, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      // A kept-alive socket the server closed as idle just as it was reused: send again on a new
      // one (what the node:http docs advise; a repeated bench request is harmless).
      if (req.reusedSocket && err.code === 'ECONNRESET') send(base, method, path, headers, body).then(resolve, reject);
      else reject(err);
    });
    req.end(body);
  });
}
