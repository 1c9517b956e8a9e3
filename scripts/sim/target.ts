// The server the fleet talks to: by default the whole product started in-process (startLocal with
// in-memory dynalite, as `npm start` runs it), pushing Apple devices through the fake APNs and
// Android agents through the simulator's stand-in for FCM.
import type { Clock, PushSender } from '../../lambdas/ports';
import { DEFAULT_CONFIG } from '../../lambdas/service/app';
import { startLocal } from '../../lambdas/wiring/local';
import type { FakeApns } from '../../test/support/fake-apns';

export interface SimTarget {
  url: string;
  tenant: string;
  adminKey: string;
  /** The tenant's pushes-per-minute cap, when known. */
  cap?: number;
  /** Push batches the server gave up on (in-process only: its queue's dead letters). */
  deadLetters(): number | undefined;
  /** Pushes the server reserved from the tenant's budget in a server minute (in-process only). */
  budgetUsed?(minute: number): Promise<number>;
  stop(): Promise<void>;
}

export interface InProcessOptions {
  clock: Clock;
  apns: FakeApns;
  fcm: PushSender;
  cap?: number;
  /** Real seconds per server minute (the clock runs 60/minuteSeconds times faster). */
  minuteSeconds: number;
}

export async function startInProcess(o: InProcessOptions): Promise<SimTarget> {
  const cap = o.cap ?? DEFAULT_CONFIG.pushCapPerMinute;
  const local = await startLocal({
    inMemory: true, port: 0, schedules: false, clock: o.clock,
    apnsOrigin: o.apns.origin, apnsCa: o.apns.serverCa, push: { fcm: o.fcm },
    config: {
      pushCapPerMinute: cap,
      // Pushes over the cap wait for the next server minute; with a fast clock that comes in
      // seconds, so retry often instead of waiting for the next wall-clock minute.
      ...(o.minuteSeconds < 60 ? { pushDeferDelaySeconds: o.minuteSeconds / 10 } : {}),
    },
  });
  return {
    url: local.url,
    tenant: 'demo',
    adminKey: local.credentials.adminKey,
    cap,
    deadLetters: () => local.queue.deadLetters.length,
    budgetUsed: (minute) => local.app.stores.budget.used('demo', minute),
    stop: () => local.stop(),
  };
}
