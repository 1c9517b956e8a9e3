// A reference Android agent that speaks the server's JSON API (docs/android.md) over
// HTTP, for e2e tests and as the executable description of what a real agent does: it enrolls
// (from the QR payload or a token), checks in with its inventory, and on every FCM data message
// runs the connect loop — Idle, then one command at a time, executed against its own simulated
// state and reported Acknowledged / Error / NotNow, until the server answers 204.
//
// AgentPushSender is the push boundary for local e2e: a PushSender that records what the push
// worker would send through FCM and delivers the data message to the registered agent. The real
// FcmSender is tested separately against a fake FCM endpoint (test/adapters/fcm.test.ts).
import { randomBytes } from 'node:crypto';
import type { PushCredentialError, PushOutcome, PushSender, PushTarget } from '../lambdas/ports';

export interface AgentApp {
  packageName: string;
  versionCode: number;
  /** Installed through the server (InstallApp): the only apps the server may remove. */
  managed: boolean;
}

export interface AgentPolicy {
  id: string;
  hash: string;
  policy: Record<string, unknown>;
}

export interface AgentCommand {
  commandId: string;
  type: string;
  payload: Record<string, unknown>;
}

export interface ReceivedCommand extends AgentCommand {
  /** What the agent answered. */
  status: 'Acknowledged' | 'Error' | 'NotNow';
  error?: { code: string; message: string };
}

export interface AgentResponse<T = Record<string, unknown>> {
  status: number;
  body?: T;
}

export interface SimulatedAndroidAgentOptions {
  baseUrl: string;
  tenant: string;
  serialNumber?: string;
  model?: string;
  osVersion?: string;
  fetch?: typeof fetch;
  /** Apps present before enrollment (not managed). Default: a few system apps. */
  preinstalled?: Array<{ packageName: string; versionCode: number }>;
}

export interface QrPayload {
  serverUrl: string;
  tenant: string;
  enrollmentToken: string;
}

const SYSTEM_APPS = [
  { packageName: 'com.android.chrome', versionCode: 612345 },
  { packageName: 'com.google.android.gms', versionCode: 241234 },
  { packageName: 'com.android.settings', versionCode: 34 },
];

type Outcome =
  | { status: 'Acknowledged'; result?: Record<string, unknown> }
  | { status: 'Error'; error: { code: string; message: string } }
  | { status: 'NotNow' };

export class SimulatedAndroidAgent {
  readonly baseUrl: string;
  readonly tenant: string;
  readonly serialNumber: string;
  readonly model: string;
  osVersion: string;
  fcmToken = `fcm-${randomBytes(12).toString('hex')}`;
  enrollmentToken?: string;
  deviceId?: string;
  deviceToken?: string;

  // The device's own state, as the agent reads it for its inventory.
  readonly apps = new Map<string, AgentApp>();
  readonly policies = new Map<string, AgentPolicy>();
  locked = false;
  passcodeSet = true;
  adminLocked = false;
  lockMessage?: string;
  /** The last passcode set by ClearPasscode (undefined: none). */
  passcode?: string;
  restarts = 0;
  wiped = false;
  unenrolled = false;
  /** The server answered 401: the agent must enroll again. */
  unauthorized = false;

  /** Every command the server handed out, with what the agent answered. */
  readonly received: ReceivedCommand[] = [];
  /** Every FCM data message delivered to the agent. */
  readonly pushes: Array<Record<string, string>> = [];
  /** Every HTTP exchange: method, path, status. */
  readonly requests: Array<{ method: string; path: string; status: number }> = [];

  // Switches.
  /** No network: requests fail, pushes wait (FCM keeps the last one) until back online. */
  offline = false;
  /** Delay (ms) before each request. */
  slowMs = 0;
  private readonly failures = new Map<string, { code: string; message: string }>();
  private readonly notNows = new Map<string, number>();
  private heldPush?: Record<string, string>;

  private readonly fetchFn: typeof fetch;
  private chain: Promise<unknown> = Promise.resolve();
  private pollQueued?: Promise<ReceivedCommand[]>;
  private enrolling?: Promise<unknown>;

  constructor(opts: SimulatedAndroidAgentOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/$/, '');
    this.tenant = opts.tenant;
    this.serialNumber = opts.serialNumber ?? `SIM${randomBytes(5).toString('hex').toUpperCase()}`;
    this.model = opts.model ?? 'Pixel 8';
    this.osVersion = opts.osVersion ?? '14';
    this.fetchFn = opts.fetch ?? fetch;
    for (const a of opts.preinstalled ?? SYSTEM_APPS) this.apps.set(a.packageName, { ...a, managed: false });
  }

  /** An agent set up from the enrollment QR code (`qrPayload` of POST /admin/v1/enrollments). */
  static fromQrPayload(
    qrPayload: string,
    opts: Omit<SimulatedAndroidAgentOptions, 'baseUrl' | 'tenant'> = {},
  ): SimulatedAndroidAgent {
    const qr = JSON.parse(qrPayload) as QrPayload;
    const agent = new SimulatedAndroidAgent({ ...opts, baseUrl: qr.serverUrl, tenant: qr.tenant });
    agent.enrollmentToken = qr.enrollmentToken;
    return agent;
  }

  // ---- switches ----------------------------------------------------------------------------

  /** The next command of this type fails with an Error report. */
  failNext(type: string, error: { code?: string; message?: string } = {}): void {
    this.failures.set(type, {
      code: error.code ?? 'install-failed',
      message: error.message ?? `${type} failed on the simulated device`,
    });
  }

  /** The next `times` commands of this type answer NotNow. */
  notNowNext(type: string, times = 1): void {
    this.notNows.set(type, times);
  }

  setOffline(offline: boolean): void {
    this.offline = offline;
    if (!offline && this.heldPush) {
      const data = this.heldPush;
      this.heldPush = undefined;
      void this.onPush(data);
    }
  }

  // ---- what the agent reports --------------------------------------------------------------

  inventory() {
    return {
      apps: [...this.apps.values()].map((a) => ({
        packageName: a.packageName,
        versionCode: a.versionCode,
        managed: a.managed,
      })),
      policies: [...this.policies.values()].map((p) => ({ id: p.id, hash: p.hash })),
      locked: this.locked,
      passcodeSet: this.passcodeSet,
      osVersion: this.osVersion,
    };
  }

  // ---- the API -------------------------------------------------------------------------------

  /** POST /android/{tenant}/enroll. Keeps deviceId and deviceToken on 201. */
  enroll(enrollmentToken = this.enrollmentToken): Promise<AgentResponse<{ deviceId: string; deviceToken: string }>> {
    if (!enrollmentToken) throw new Error('no enrollment token');
    const run = (async () => {
      const res = await this.request<{ deviceId: string; deviceToken: string }>(
        'POST',
        'enroll',
        {
          enrollmentToken,
          serialNumber: this.serialNumber,
          model: this.model,
          osVersion: this.osVersion,
          fcmToken: this.fcmToken,
        },
        false,
      );
      if (res.status === 201 && res.body) {
        this.deviceId = res.body.deviceId;
        this.deviceToken = res.body.deviceToken;
        this.enrollmentToken = enrollmentToken;
        this.unauthorized = false;
        this.wiped = false;
        this.unenrolled = false;
      }
      return res;
    })();
    this.enrolling = run.catch(() => undefined);
    return run;
  }

  /** PUT /android/{tenant}/checkin with the FCM token and the inventory. */
  checkIn(opts: { inventory?: boolean } = {}): Promise<AgentResponse> {
    return this.request('PUT', 'checkin', {
      fcmToken: this.fcmToken,
      ...(opts.inventory === false ? {} : { inventory: this.inventory() }),
    });
  }

  /** One raw connect call (tests of the API itself). */
  connect(body: Record<string, unknown>): Promise<AgentResponse<AgentCommand>> {
    return this.request<AgentCommand>('POST', 'connect', body);
  }

  /**
   * The connect loop: Idle, then each command executed and reported, until 204 (or 401, after
   * which the agent needs to enroll again). Runs one at a time; a poll asked for while one is
   * running runs once after it (pushes coalesce). Returns the commands this loop handled.
   */
  poll(): Promise<ReceivedCommand[]> {
    if (this.pollQueued) return this.pollQueued;
    const run = this.chain.then(() => {
      this.pollQueued = undefined;
      return this.connectLoop();
    });
    this.pollQueued = run;
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Resolves once no poll is running or queued. */
  async idle(): Promise<void> {
    let current;
    do {
      current = this.chain;
      await current;
    } while (current !== this.chain);
  }

  /** An FCM data message arrived: poll (after enrollment finished), or hold it while offline. */
  async onPush(data: Record<string, string>): Promise<void> {
    this.pushes.push(data);
    if (this.offline) {
      this.heldPush = data;
      return;
    }
    await this.enrolling;
    if (!this.deviceToken || this.unauthorized) return;
    await this.poll().catch(() => undefined);
  }

  private async connectLoop(): Promise<ReceivedCommand[]> {
    const handled: ReceivedCommand[] = [];
    let res = await this.connect({ status: 'Idle' });
    for (let guard = 0; res.status === 200 && res.body; guard++) {
      if (guard > 500) throw new Error('connect loop did not end');
      const command = res.body;
      const outcome = this.execute(command);
      const received: ReceivedCommand = {
        ...command,
        status: outcome.status,
        ...(outcome.status === 'Error' ? { error: outcome.error } : {}),
      };
      this.received.push(received);
      handled.push(received);
      res = await this.connect({ commandId: command.commandId, ...outcome });
    }
    if (res.status !== 204 && res.status !== 401)
      throw new Error(`connect answered ${res.status}: ${JSON.stringify(res.body)}`);
    return handled;
  }

  /** Runs one command against the simulated device. */
  private execute(command: AgentCommand): Outcome {
    const { type, payload } = command;
    const notNow = this.notNows.get(type);
    if (notNow) {
      if (notNow > 1) this.notNows.set(type, notNow - 1);
      else this.notNows.delete(type);
      return { status: 'NotNow' };
    }
    const failure = this.failures.get(type);
    if (failure) {
      this.failures.delete(type);
      return { status: 'Error', error: failure };
    }
    const str = (k: string) => (typeof payload[k] === 'string' ? (payload[k] as string) : undefined);
    const bad = (message: string): Outcome => ({ status: 'Error', error: { code: 'bad-payload', message } });
    switch (type) {
      case 'ReportInventory':
        return { status: 'Acknowledged', result: { inventory: this.inventory() } };
      case 'ApplyPolicy': {
        const id = str('policyId');
        const hash = str('hash');
        if (!id || !hash) return bad('ApplyPolicy needs policyId and hash');
        const policy = (payload.policy ?? {}) as Record<string, unknown>;
        if (typeof policy !== 'object' || Array.isArray(policy))
          return { status: 'Error', error: { code: 'policy-rejected', message: 'policy is not a JSON object' } };
        this.policies.set(id, { id, hash, policy });
        return { status: 'Acknowledged' };
      }
      case 'RemovePolicy': {
        const id = str('policyId');
        if (!id) return bad('RemovePolicy needs policyId');
        this.policies.delete(id);
        return { status: 'Acknowledged' };
      }
      case 'InstallApp': {
        const packageName = str('packageName');
        if (!packageName) return bad('InstallApp needs packageName');
        const wanted = payload.versionCode === undefined ? undefined : Number(payload.versionCode);
        if (wanted !== undefined && !Number.isInteger(wanted))
          return bad(`versionCode ${String(payload.versionCode)} is not a number`);
        const current = this.apps.get(packageName);
        this.apps.set(packageName, {
          packageName,
          versionCode: Math.max(wanted ?? 1, current?.versionCode ?? 0),
          managed: true,
        });
        return { status: 'Acknowledged' };
      }
      case 'RemoveApp': {
        const packageName = str('packageName');
        if (!packageName) return bad('RemoveApp needs packageName');
        this.apps.delete(packageName);
        return { status: 'Acknowledged' };
      }
      case 'Lock':
        this.locked = true;
        this.lockMessage = str('message');
        return { status: 'Acknowledged' };
      case 'Restart':
        this.restarts += 1;
        return { status: 'Acknowledged' };
      case 'Wipe':
        // Factory reset: everything goes (a real device also loses the agent and its token; the
        // simulator keeps deviceToken so a test can show the server now refuses it).
        this.apps.clear();
        for (const a of SYSTEM_APPS) this.apps.set(a.packageName, { ...a, managed: false });
        this.policies.clear();
        this.locked = false;
        this.passcodeSet = false;
        this.passcode = undefined;
        this.adminLocked = false;
        this.wiped = true;
        return { status: 'Acknowledged' };
      case 'ClearPasscode': {
        const newPasscode = str('newPasscode');
        this.passcode = newPasscode;
        this.passcodeSet = newPasscode !== undefined;
        return { status: 'Acknowledged' };
      }
      case 'Unenroll':
        // Stop managing: remove what the server delivered.
        for (const [name, app] of this.apps) if (app.managed) this.apps.delete(name);
        this.policies.clear();
        this.adminLocked = false;
        this.unenrolled = true;
        return { status: 'Acknowledged' };
      case 'AdminLock':
        this.adminLocked = true;
        this.locked = true;
        this.lockMessage = str('message');
        return { status: 'Acknowledged' };
      case 'AdminUnlock':
        this.adminLocked = false;
        return { status: 'Acknowledged' };
      case 'Noop':
        return { status: 'Acknowledged' };
      default:
        return { status: 'Error', error: { code: 'unsupported-command', message: `this agent does not know ${type}` } };
    }
  }

  private async request<T>(
    method: string,
    op: 'enroll' | 'checkin' | 'connect',
    body: unknown,
    auth = true,
  ): Promise<AgentResponse<T>> {
    if (this.slowMs) await new Promise((r) => setTimeout(r, this.slowMs));
    if (this.offline) throw new Error('simulated agent is offline');
    const path = `/android/${this.tenant}/${op}`;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': `SimulatedAndroidAgent/1.0 (${this.model}; Android ${this.osVersion})`,
    };
    if (auth && this.deviceToken) headers.authorization = `Bearer ${this.deviceToken}`;
    const res = await this.fetchFn(`${this.baseUrl}${path}`, { method, headers, body: JSON.stringify(body) });
    const text = await res.text();
    this.requests.push({ method, path, status: res.status });
    if (res.status === 401) this.unauthorized = true;
    return { status: res.status, body: text ? (JSON.parse(text) as T) : undefined };
  }
}

export interface RecordedPush {
  tenantId: string;
  deviceId: string;
  token: string;
  /** The FCM data message, as FcmSender sends it. */
  data: Record<string, string>;
  messageId: string;
}

/**
 * A PushSender standing where FCM would be: it records each push and delivers its data message to
 * the agent holding that FCM token, after send() has returned (as FCM would, a moment later).
 */
export class AgentPushSender implements PushSender {
  readonly sent: RecordedPush[] = [];
  private readonly agents = new Map<string, SimulatedAndroidAgent>();
  private readonly deliveries = new Set<Promise<void>>();
  private seq = 0;

  /**
   * @param opts.immediate deliver each message and let the agent finish its session before send()
   *   returns: FCM is faster than the push worker's bookkeeping (a race real devices can win).
   */
  constructor(private readonly opts: { immediate?: boolean } = {}) {}

  register(agent: SimulatedAndroidAgent): void {
    this.agents.set(agent.fcmToken, agent);
  }

  sentTo(deviceId: string): RecordedPush[] {
    return this.sent.filter((p) => p.deviceId === deviceId);
  }

  async send(tenantId: string, targets: PushTarget[]): Promise<PushOutcome[] | PushCredentialError> {
    if (this.opts.immediate) {
      for (const t of targets) await this.agents.get(t.token)?.onPush({ type: 'sync' });
    }
    return targets.map((t) => {
      const push: RecordedPush = {
        tenantId,
        deviceId: t.deviceId,
        token: t.token,
        data: { type: 'sync' },
        messageId: `projects/sim/messages/${++this.seq}`,
      };
      this.sent.push(push);
      const agent = this.opts.immediate ? undefined : this.agents.get(t.token);
      if (agent) {
        const delivery = new Promise<void>((resolve) => setTimeout(resolve, 1)).then(() =>
          agent.onPush({ ...push.data }),
        );
        this.deliveries.add(delivery);
        void delivery.finally(() => this.deliveries.delete(delivery));
      }
      return { deviceId: t.deviceId, status: 'sent' as const, messageId: push.messageId };
    });
  }

  /** Resolves once every delivered push has been handled by its agent. */
  async delivered(): Promise<void> {
    while (this.deliveries.size) await Promise.all([...this.deliveries]);
  }
}
