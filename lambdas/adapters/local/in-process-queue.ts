// PushQueue for local mode: the same batches and delays as SQS, delivered in-process to a
// consumer (the push worker). Like SQS, a failed batch is retried a few times, then dead-lettered.
import type { PushQueue, PushRequest } from '../../ports';

export type BatchConsumer = (batch: PushRequest[]) => Promise<void>;

export class InProcessPushQueue implements PushQueue {
  private consumer?: BatchConsumer;
  private readonly timers = new Set<NodeJS.Timeout>();
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  readonly deadLetters: PushRequest[][] = [];

  constructor(private readonly opts: { maxReceives?: number; onDeadLetter?: (batch: PushRequest[], err: unknown) => void } = {}) {}

  consume(consumer: BatchConsumer): void {
    this.consumer = consumer;
  }

  async send(batch: PushRequest[], delaySeconds = 0): Promise<void> {
    if (!batch.length) return;
    this.schedule(batch, delaySeconds * 1000, 1);
  }

  private schedule(batch: PushRequest[], delayMs: number, receive: number): void {
    this.inFlight += 1;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.deliver(batch, receive);
    }, delayMs);
    timer.unref?.();
    this.timers.add(timer);
  }

  private async deliver(batch: PushRequest[], receive: number): Promise<void> {
    try {
      if (this.consumer) await this.consumer(batch);
    } catch (err) {
      if (receive < (this.opts.maxReceives ?? 5)) this.schedule(batch, 1000 * receive, receive + 1);
      else { this.deadLetters.push(batch); this.opts.onDeadLetter?.(batch, err); }
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Resolves once nothing is queued or being processed (tests and graceful shutdown). */
  async drained(): Promise<void> {
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
