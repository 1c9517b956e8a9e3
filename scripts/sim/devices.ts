// The simulated fleet's devices behind one face: Apple devices (the real MDM protocol, signed
// with the identity their enrollment profile gets them: SCEP, or a PKCS#12 inside it) and Android agents (the JSON agent API), each
// counting what it did. The fleet wakes them when a push for their token arrives.
import { SimulatedAndroidAgent } from '../../kit/android-agent';
import { SimulatedAppleDevice } from '../../kit/apple-device';

export type SimPlatform = 'ios' | 'android';
/** online: answers every push; offline: enrolls, then never answers; locked: screen locked when the template arrives. */
export type SimRole = 'online' | 'offline' | 'locked';

/** The app the templates install, and what the simulated App Store hands out for it. */
export const SIM_APP = {
  bundleId: 'com.example.sim.app',
  iTunesStoreID: 1_000_001,
  version: '2.0',
  packageName: 'com.example.sim.app',
  versionCode: 20,
};

export abstract class SimDevice {
  abstract readonly platform: SimPlatform;
  /** Sessions (push answered: Idle, then every command until the server has none). */
  sessions = 0;
  /** Commands the server handed out, over the whole run. */
  commands = 0;
  /** Commands this device answered with an error (none expected: the simulated devices comply). */
  commandErrors = 0;
  /** Commands answered NotNow (locked Apple devices). */
  notNow = 0;
  /** A push arrived and its session has not started yet (pushes coalesce, as APNs and FCM do). */
  wakeQueued = false;
  /** This device's sessions, one after the other. */
  chain: Promise<void> = Promise.resolve();

  constructor(readonly role: SimRole) {}

  /** The server's id for the device. */
  abstract get id(): string;
  abstract get pushToken(): string;
  abstract get locked(): boolean;
  abstract setLocked(locked: boolean): void;
  /** One session; throws on a transport failure or an unexpected HTTP status. */
  abstract session(): Promise<void>;

  get answersPushes(): boolean {
    return this.role !== 'offline';
  }

  protected count(statuses: string[]): void {
    this.sessions++;
    this.commands += statuses.length;
    this.commandErrors += statuses.filter((s) => s === 'Error').length;
    this.notNow += statuses.filter((s) => s === 'NotNow').length;
  }
}

export class SimApple extends SimDevice {
  readonly platform = 'ios';
  readonly device: SimulatedAppleDevice;

  constructor(role: SimRole, baseUrl: string, tenant: string, fetchFn: typeof fetch) {
    super(role);
    this.device = new SimulatedAppleDevice({
      baseUrl,
      tenant,
      platform: 'ios',
      fetch: fetchFn,
      appCatalog: {
        [String(SIM_APP.iTunesStoreID)]: { identifier: SIM_APP.bundleId, version: SIM_APP.version, name: 'Sim App' },
      },
    });
  }

  get id(): string {
    return this.device.udid;
  }
  get pushToken(): string {
    return this.device.pushToken;
  }
  get locked(): boolean {
    return this.device.locked;
  }
  setLocked(locked: boolean): void {
    this.device.locked = locked;
  }

  /** Downloads the enrollment profile (the device gets its identity by SCEP, or from the PKCS#12 inside), then Authenticate and TokenUpdate. */
  async enroll(profileUrl: string): Promise<void> {
    await this.device.enrollFully(profileUrl);
  }

  async session(): Promise<void> {
    const received = await this.device.poll();
    this.count(received.map((c) => c.status));
    const status = this.device.lastHttpStatus;
    if (status !== 200) throw new Error(`Apple connect answered HTTP ${status}`);
  }
}

export class SimAndroid extends SimDevice {
  readonly platform = 'android';
  readonly agent: SimulatedAndroidAgent;
  /** Settles when enroll() has its answer. */
  private enrolled?: Promise<unknown>;

  /** `baseUrl`: where this agent connects (the QR code's server URL, or an API worker's). */
  constructor(role: SimRole, baseUrl: string, tenant: string, enrollmentToken: string, fetchFn: typeof fetch) {
    super(role);
    this.agent = new SimulatedAndroidAgent({ baseUrl, tenant, fetch: fetchFn });
    this.agent.enrollmentToken = enrollmentToken;
  }

  get id(): string {
    if (!this.agent.deviceId) throw new Error('agent not enrolled');
    return this.agent.deviceId;
  }
  get pushToken(): string {
    return this.agent.fcmToken;
  }
  get locked(): boolean {
    return this.agent.locked;
  }
  setLocked(locked: boolean): void {
    this.agent.locked = locked;
  }

  async enroll(): Promise<void> {
    const enrolling = this.agent.enroll();
    this.enrolled = enrolling.catch(() => undefined);
    const res = await enrolling;
    if (res.status !== 201) throw new Error(`Android enroll answered HTTP ${res.status}: ${JSON.stringify(res.body)}`);
  }

  async session(): Promise<void> {
    // The enrollment push can arrive before the enroll answer (and the agent's token) does.
    await this.enrolled;
    const received = await this.agent.poll();
    this.count(received.map((c) => c.status));
    const last = this.agent.requests.at(-1);
    if (last && last.status !== 200 && last.status !== 204)
      throw new Error(`Android ${last.path} answered HTTP ${last.status}`);
  }
}
