// The queues of local mode: the same messages and delays as SQS, delivered in-process to a
// consumer (the push worker, the bulk worker). Like SQS, a failed message is retried a few times,
// then dead-lettered. With a journal (`npm start`), a message is kept in the database from send
// to done, and `resume()` delivers what a previous run left behind.
import type { PushRequest } from '../../domain/types';
import { timeOrderedId } from '../../ids';
import { logger } from '../../logger';
import type { BulkQueue, BulkWork, PushMessage, PushQueue, WebhookDelivery, WebhookQueue } from '../../ports';
import type { JournaledMessage, QueueJournal } from './queue-journal';

export type MessageConsumer<T> = (message: T) => Promise<void>;

/** Dead-lettered messages kept for a look (the newest); a long-running `npm start` must not hold them all. */
const DEAD_LETTERS_KEPT = 100;

/** Work due later than this (e.g. a NotNow retry in 15 minutes) does not hold up `drained()`. */
const DRAIN_HORIZON_MS = 60_000;

export interface InProcessQueueOptions<T> {
  maxReceives?: number;
  onDeadLetter?: (message: T, err: unknown) => void;
  /** Keeps messages durable under this queue name. */
  journal?: { store: QueueJournal; queue: string };
}

export class InProcessQueue<T> {
  private consumer?: MessageConsumer<T>;
  private readonly timers = new Map<NodeJS.Timeout, { counted: boolean }>();
  private inFlight = 0;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  /** The newest dead-lettered messages (at most DEAD_LETTERS_KEPT); `deadLetterCount` counts them all. */
  readonly deadLetters: T[] = [];
  deadLetterCount = 0;

  constructor(private readonly opts: InProcessQueueOptions<T> = {}) {}

  consume(consumer: MessageConsumer<T>): void {
    this.consumer = consumer;
  }

  /** Schedules the messages an earlier run sent and never finished, keeping what is left of their delays. */
  async resume(): Promise<number> {
    const journal = this.opts.journal;
    if (!journal) return 0;
    const pending = await journal.store.pending<T>(journal.queue);
    for (const message of pending) this.schedule(message, Math.max(0, message.dueAt - Date.now()), 1);
    return pending.length;
  }

  protected async enqueue(body: T, delaySeconds: number): Promise<void> {
    const message: JournaledMessage<T> = {
      id: timeOrderedId(new Date()),
      body,
      dueAt: Date.now() + delaySeconds * 1000,
    };
    // Durable before it counts as sent: the caller may acknowledge the work right after this.
    // A message sent while closing (a step finishing during stop) waits in the journal for the next start.
    await this.opts.journal?.store.put(this.opts.journal.queue, message);
    if (!this.closed) this.schedule(message, delaySeconds * 1000, 1);
  }

  private schedule(message: JournaledMessage<T>, delayMs: number, receive: number): void {
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

  private async deliver(message: JournaledMessage<T>, receive: number): Promise<void> {
    try {
      // Closing (or no consumer yet): the journal keeps the message for the next start.
      if (!this.consumer || this.closed) return;
      await this.consumer(message.body);
      await this.forget(message);
    } catch (err) {
      if (this.closed) return;
      if (receive < (this.opts.maxReceives ?? 5)) this.schedule(message, 1000 * receive, receive + 1);
      else {
        this.deadLetterCount += 1;
        this.deadLetters.push(message.body);
        if (this.deadLetters.length > DEAD_LETTERS_KEPT) this.deadLetters.shift();
        this.opts.onDeadLetter?.(message.body, err);
        await this.forget(message);
      }
    } finally {
      this.settle();
    }
  }

  /** Done with a message. If the delete fails it runs again after the next start: at least once, as on SQS. */
  private async forget(message: JournaledMessage<T>): Promise<void> {
    const journal = this.opts.journal;
    await journal?.store.delete(journal.queue, message.id).catch((err: unknown) =>
      logger.warn({
        msg: 'local queue: done message not removed; it runs again after a restart',
        error: String(err),
      }),
    );
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

/** Push batches and backlog drains for the push worker. */
export class InProcessPushQueue extends InProcessQueue<PushMessage> implements PushQueue {
  async send(batch: PushRequest[], delaySeconds = 0): Promise<void> {
    if (batch.length) await this.enqueue({ requests: batch }, delaySeconds);
  }

  async sendDrain(tenantId: string, minute: number, delaySeconds: number): Promise<void> {
    await this.enqueue({ drain: { tenantId, minute } }, delaySeconds);
  }
}

/** Bulk fan-out work for the bulk worker, one message per step as on SQS. */
export class InProcessBulkQueue extends InProcessQueue<BulkWork> implements BulkQueue {
  async send(work: BulkWork[]): Promise<void> {
    for (const step of work) await this.enqueue(step, 0);
  }
}

/** Pending webhook deliveries for the delivery worker, one message per delivery as on SQS. */
export class InProcessWebhookQueue extends InProcessQueue<WebhookDelivery> implements WebhookQueue {
  async send(deliveries: WebhookDelivery[], delaySeconds = 0): Promise<void> {
    for (const delivery of deliveries) await this.enqueue(delivery, delaySeconds);
  }
}
