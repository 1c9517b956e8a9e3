// A benchmark child process: either the local server (startLocal, exactly as `npm start` builds it)
// or the DynamoDB it talks to (dynalite), each in its own process so that the server's CPU time
// is what a Lambda function would spend, without the database emulator's or the load generator's.
//
// A third role, 'local', is `npm start` itself: startLocal with its embedded dynalite in the same
// process and its data on disk (BENCH_LOCAL.dataDir), for the in-process figures and the soak.
//
// Started by cluster.ts with `node --import tsx --expose-gc`; talks over the IPC channel:
//   parent → {type: 'stats', id, gc?}  child → {type: 'stats', id, cpu, memory}
//   parent → {type: 'profile-start' | 'profile-stop', id}  child → {type: 'profile', id, profile?}
//   parent → {type: 'stop'}
// The server's DynamoDB client is pointed at the other process by a build-step middleware that
// rewrites the endpoint of every request (startLocal has no option for an external DynamoDB; its
// own embedded dynalite then stays idle and empty).
import { Session } from 'node:inspector';
import { ensureTables, startEmbeddedDynamo } from '../../lambdas/adapters/dynamodb/embedded';
import { createTenant } from '../../lambdas/service/tenants';
import { startLocal } from '../../lambdas/wiring/local';
import { TABLES, useSharedDynamo } from '../sim/shared-dynamo';

export interface ChildStats {
  /** process.cpuUsage(): microseconds. */
  cpu: { user: number; system: number };
  memory: NodeJS.MemoryUsage;
}

export type ChildReady =
  | { type: 'ready'; role: 'dynamo'; endpoint: string }
  | { type: 'ready'; role: 'server' | 'local'; url: string; adminKey: string };

type ParentMessage =
  | { type: 'stats'; id: number; gc?: boolean }
  | { type: 'profile-start' | 'profile-stop'; id: number }
  | { type: 'stop' };

/** The V8 sampling profiler of this process, started and stopped on request (no --cpu-prof restart). */
const profiler = (() => {
  let session: Session | undefined;
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => {
      session!.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result)));
    });
  return {
    async start() {
      session = new Session();
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 250 });
      await post('Profiler.start');
    },
    async stop(): Promise<unknown> {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      session!.disconnect();
      session = undefined;
      return profile;
    },
  };
})();

const send = (message: unknown) => process.send?.(message);

function stats(gc: boolean): ChildStats {
  // CPU first: a forced GC would otherwise be billed to the work being measured.
  const cpu = process.cpuUsage();
  if (gc) {
    const collect = (globalThis as { gc?: () => void }).gc;
    if (!collect) throw new Error('run with --expose-gc');
    collect();
    collect();
  }
  return { cpu, memory: process.memoryUsage() };
}

async function main(): Promise<void> {
  const role = process.env.BENCH_ROLE;
  let stop: () => Promise<void>;
  if (role === 'dynamo') {
    const dynamo = await startEmbeddedDynamo();
    stop = () => dynamo.stop();
    send({ type: 'ready', role, endpoint: dynamo.endpoint } satisfies ChildReady);
  } else if (role === 'server') {
    const opts = JSON.parse(process.env.BENCH_SERVER ?? '{}') as {
      dynamoEndpoint: string;
      apnsOrigin: string;
      apnsCa: string;
      requireSignature: boolean;
    };
    const local = await startLocal({
      inMemory: true,
      port: 0,
      schedules: false,
      apnsOrigin: opts.apnsOrigin,
      apnsCa: opts.apnsCa,
      config: { requireSignature: opts.requireSignature },
    });
    useSharedDynamo(local.dynamo.client, opts.dynamoEndpoint);
    await ensureTables(local.dynamo.client, TABLES);
    const { adminKey } = await createTenant(local.app, { id: 'demo', name: 'Demo' });
    stop = () => local.stop();
    send({ type: 'ready', role, url: local.url, adminKey } satisfies ChildReady);
  } else if (role === 'local') {
    const opts = JSON.parse(process.env.BENCH_LOCAL ?? '{}') as {
      dataDir: string;
      apnsOrigin: string;
      apnsCa: string;
      requireSignature: boolean;
    };
    // As bin/local.ts builds it: data on disk, schedules on, tenant `demo` and its admin key bootstrapped.
    const local = await startLocal({
      dataDir: opts.dataDir,
      port: 0,
      apnsOrigin: opts.apnsOrigin,
      apnsCa: opts.apnsCa,
      config: { requireSignature: opts.requireSignature },
    });
    stop = () => local.stop();
    send({ type: 'ready', role, url: local.url, adminKey: local.credentials.adminKey } satisfies ChildReady);
  } else {
    throw new Error(`BENCH_ROLE must be dynamo, server or local, got ${role}`);
  }

  process.on('message', (m: ParentMessage) => {
    if (m.type === 'stats') send({ type: 'stats', id: m.id, ...stats(!!m.gc) });
    if (m.type === 'profile-start') void profiler.start().then(() => send({ type: 'profile', id: m.id }));
    if (m.type === 'profile-stop') void profiler.stop().then((profile) => send({ type: 'profile', id: m.id, profile }));
    if (m.type === 'stop') void stop().finally(() => process.exit(0));
  });
  // Orphaned (the parent died): do not linger.
  process.on('disconnect', () => void stop().finally(() => process.exit(0)));
}

main().catch((err: unknown) => {
  process.stderr.write(`bench ${process.env.BENCH_ROLE} process failed: ${String((err as Error).stack ?? err)}\n`);
  process.exit(1);
});
