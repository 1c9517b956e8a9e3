// What the push services saw: every push that reached the fake APNs or the stand-in for FCM,
// counted per server minute (the minute the server's per-tenant cap is counted in).
import type { Clock, PushCredentialError, PushOutcome, PushSender, PushTarget } from '../../lambdas/ports';

export type PushService = 'apns' | 'fcm';

export class PushLog {
  readonly byService: Record<PushService, number> = { apns: 0, fcm: 0 };
  private readonly perMinute = new Map<number, number>();

  constructor(private readonly clock: Clock) {}

  record(service: PushService): void {
    this.byService[service]++;
    const minute = Math.floor(this.clock.now().getTime() / 60_000);
    this.perMinute.set(minute, (this.perMinute.get(minute) ?? 0) + 1);
  }

  get total(): number {
    return this.byService.apns + this.byService.fcm;
  }

  /** The server minutes from the first push to the last (epoch minutes), empty before any push. */
  span(): number[] {
    if (!this.perMinute.size) return [];
    const keys = [...this.perMinute.keys()];
    const first = Math.min(...keys);
    return Array.from({ length: Math.max(...keys) - first + 1 }, (_, i) => first + i);
  }

  /** Pushes that arrived in each minute of span(). */
  minutes(): number[] {
    return this.span().map((m) => this.perMinute.get(m) ?? 0);
  }
}

/**
 * Stands where FCM would be (the in-process server's `push.fcm`): answers every message as sent,
 * then delivers it a moment later, as FCM does, to whoever listens. The real FcmSender is tested
 * against a fake FCM endpoint in test/adapters/fcm.test.ts; here only the fleet's behaviour counts.
 */
export class SimFcm implements PushSender {
  private seq = 0;

  constructor(private readonly deliver: (token: string) => void) {}

  async send(_tenantId: string, targets: PushTarget[]): Promise<PushOutcome[] | PushCredentialError> {
    return targets.map((t) => {
      this.deliverLater(t.token);
      return { deviceId: t.deviceId, status: 'sent' as const, messageId: `projects/simulate/messages/${++this.seq}` };
    });
  }

  /** Delivers a message after the sender has had its answer (also for pushes the API workers send). */
  deliverLater(token: string): void {
    setImmediate(() => this.deliver(token));
  }
}
