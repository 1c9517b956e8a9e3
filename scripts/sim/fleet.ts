// Routes pushes to the simulated devices: a push for a device's token starts a session (Idle,
// then every command), at most `concurrency` sessions at once across the fleet and one at a time
// per device. Pushes to a device whose session has not started yet coalesce into that session.
import type { SimDevice, SimPlatform, SimRole } from './devices';
import { retryingFetch } from './http';
import { Limiter } from './limiter';
import type { SimOptions } from './options';

/** What a device is: its platform and how it behaves. */
export interface DevicePlan {
  platform: SimPlatform;
  role: SimRole;
}

/** Splits the fleet into platforms, then each platform into offline, locked and online devices. */
export function planFleet(
  o: Pick<SimOptions, 'devices' | 'androidShare' | 'offlineShare' | 'lockedShare'>,
): DevicePlan[] {
  const android = Math.round(o.devices * o.androidShare);
  const out: DevicePlan[] = [];
  for (const [platform, count] of [
    ['ios', o.devices - android],
    ['android', android],
  ] as const) {
    const offline = Math.round(count * o.offlineShare);
    const locked = Math.min(count - offline, Math.round(count * o.lockedShare));
    for (let i = 0; i < count; i++)
      out.push({ platform, role: i < offline ? 'offline' : i < offline + locked ? 'locked' : 'online' });
  }
  return out;
}

/**
 * Whether a device is reachable, i.e. must end Synchronized: it answers pushes, and a locked one
 * either runs its commands while locked (an Android agent) or gets unlocked (an iPhone, unless
 * --unlock-after never).
 */
export function isReachable(d: DevicePlan, iPhonesGetUnlocked: boolean): boolean {
  if (d.role === 'offline') return false;
  return d.role !== 'locked' || d.platform === 'android' || iPhonesGetUnlocked;
}

export interface SessionFailure {
  deviceId: string;
  platform: string;
  message: string;
}

export class Fleet {
  readonly devices: SimDevice[] = [];
  readonly failures: SessionFailure[] = [];
  /** Pushes for a device that does not answer pushes (offline), or for no known device. */
  unanswered = 0;
  /** Device requests sent again after the connection was reset (see http.ts). */
  connectionRetries = 0;
  /** What the devices send their requests with. */
  readonly fetch = retryingFetch(() => {
    this.connectionRetries++;
  });
  /** Called after each session (the simulator unlocks a locked iPhone a while after its NotNow). */
  onSessionEnd?: (device: SimDevice) => void;
  private readonly byToken = new Map<string, SimDevice>();
  private readonly limiter: Limiter;

  constructor(concurrency: number) {
    this.limiter = new Limiter(concurrency);
  }

  add(device: SimDevice): void {
    this.devices.push(device);
    this.byToken.set(device.pushToken, device);
  }

  /** A push reached "Apple" or "Google" for this token. */
  wake(token: string): void {
    const device = this.byToken.get(token);
    if (!device?.answersPushes) {
      this.unanswered++;
      return;
    }
    this.startSession(device);
  }

  /** A session the device starts by itself (an unlocked iPhone comes back after a NotNow). */
  startSession(device: SimDevice): void {
    if (device.wakeQueued) return;
    device.wakeQueued = true;
    device.chain = device.chain.then(() =>
      this.limiter.run(async () => {
        device.wakeQueued = false;
        try {
          await device.session();
        } catch (err) {
          this.failures.push({
            deviceId: device.id,
            platform: device.platform,
            message: err instanceof Error ? err.message : String(err),
          });
        }
        this.onSessionEnd?.(device);
      }),
    );
  }

  /** Most sessions seen running at once. */
  get peakSessions(): number {
    return this.limiter.peak;
  }

  /** Sessions running or waiting for a slot. */
  get busy(): number {
    return this.limiter.busy;
  }

  /** Resolves once every session started so far (and any it queued) has ended. */
  async idle(): Promise<void> {
    let chains: Array<Promise<void>>;
    do {
      chains = this.devices.map((d) => d.chain);
      await Promise.all(chains);
    } while (this.devices.some((d, i) => d.chain !== chains[i]));
  }
}
