// The queues of local mode: the same messages and delays as SQS, delivered in-process to a
// consumer (the push worker, the bulk worker). Like SQS, a failed message is retried a few times,
// then dead-lettered.
import type { PushRequest } from '../../domain/types';
import type { BulkQueue, BulkWork, PushQueue } from '../../ports';

export type MessageConsumer<T> = (message: T) => Promise<void>;

/** Work due later than this (e.g. a NotNow retry in 15 minutes) does not hold up `drained()`. */
const DRAIN_HORIZON_MS = 60_000;

export class InProcessQueue<T> {
  private consumer?: MessageConsumer<T>;
  private readonly timers = new Map<NodeJS.Timeout, { counted: boolean }>();
  private inFlight = 0;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  readonly deadLetters: T[] = [];

  constructor(private readonly opts: { maxReceives?: number; onDeadLetter?: (message: T, err: unknown) => void } = {}) {}

  consume(consumer: MessageConsumer<T>): void {
    this.consumer = consumer;
  }

  protected enqueue(message: T, delaySeconds: number): void {
    if (this.closed) return;
    this.schedule(message, delaySeconds * 1000, 1);
  }

  private schedule(message: T, delayMs: number, receive: number): void {
    const counted = delayMs <= DRAIN_HORIZON_MS;
    if (counted) this.inFlight += 1;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!counted) this.inFlight += 1;
      void this.deliver(message, receive);
    }, delayMs);
    timer.unref?.();
    this.timers.set(timer, { counted });
  }

  private async deliver(message: T, receive: number): Promise<void> {
    try {
      if (this.consumer && !this.closed) await this.consumer(message);
    } catch (err) {
      if (this.closed) return;
      if (receive < (this.opts.maxReceives ?? 5)) this.schedule(message, 1000 * receive, receive + 1);
      else { this.deadLetters.push(message); this.opts.onDeadLetter?.(message, err); }
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

  /** Stops taking and delivering work, then waits for the messages already being processed. */
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

/** Push batches for the push worker. */
export class InProcessPushQueue extends InProcessQueue<PushRequest[]> implements PushQueue {
  async send(batch: PushRequest[], delaySeconds = 0): Promise<void> {
    if (batch.length) this.enqueue(batch, delaySeconds);
  }
}

/** Bulk fan-out work for the bulk worker, one message per step as on SQS. */
export class InProcessBulkQueue extends InProcessQueue<BulkWork> implements BulkQueue {
  async send(work: BulkWork[]): Promise<void> {
    for (const step of work) this.enqueue(step, 0);
  }
}
