// PushQueue for local mode: the same batches and delays as SQS, delivered in-process to a
// consumer (the push worker). Like SQS, a failed batch is retried a few times, then dead-lettered.
import type { PushQueue, PushRequest } from '../../ports';

export type BatchConsumer = (batch: PushRequest[]) => Promise<void>;

/** Work due later than this (e.g. a NotNow retry in 15 minutes) does not hold up `drained()`. */
const DRAIN_HORIZON_MS = 60_000;

export class InProcessPushQueue implements PushQueue {
  private consumer?: BatchConsumer;
  private readonly timers = new Map<NodeJS.Timeout, { counted: boolean }>();
  private inFlight = 0;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  readonly deadLetters: PushRequest[][] = [];

  constructor(private readonly opts: { maxReceives?: number; onDeadLetter?: (batch: PushRequest[], err: unknown) => void } = {}) {}

  consume(consumer: BatchConsumer): void {
    this.consumer = consumer;
  }

  async send(batch: PushRequest[], delaySeconds = 0): Promise<void> {
    if (!batch.length || this.closed) return;
    this.schedule(batch, delaySeconds * 1000, 1);
  }

  private schedule(batch: PushRequest[], delayMs: number, receive: number): void {
    const counted = delayMs <= DRAIN_HORIZON_MS;
    if (counted) this.inFlight += 1;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!counted) this.inFlight += 1;
      void this.deliver(batch, receive);
    }, delayMs);
    timer.unref?.();
    this.timers.set(timer, { counted });
  }

  private async deliver(batch: PushRequest[], receive: number): Promise<void> {
    try {
      if (this.consumer && !this.closed) await this.consumer(batch);
    } catch (err) {
      if (this.closed) return;
      if (receive < (this.opts.maxReceives ?? 5)) this.schedule(batch, 1000 * receive, receive + 1);
      else { this.deadLetters.push(batch); this.opts.onDeadLetter?.(batch, err); }
    } finally {
      this.settle();
    }
  }

  private settle(): void {
    this.inFlight -= 1;
    if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves once nothing is being processed and nothing is due within the next minute. */
  async drained(): Promise<void> {
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking and delivering work, then waits for the batches already being processed. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [timer, { counted }] of this.timers) {
      clearTimeout(timer);
      if (counted) this.settle();
    }
    this.timers.clear();
    await this.drained();
  }
}
