// At most `limit` tasks at once, the rest wait in arrival order. Device sessions go through one:
// a thousand devices polling the moment their push lands would only queue up in the server's
// event loop and time each other out, as a real fleet's polls are spread out by the network.
export class Limiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  /** Most tasks seen running at once. */
  peak = 0;

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    this.peak = Math.max(this.peak, this.running);
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next task, so `running` never dips below the queue's demand.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** Tasks running or waiting. */
  get busy(): number {
    return this.running + this.waiting.length;
  }
}

/** Runs `work` for each item, `concurrency` at a time; rejects on the first failure. */
export async function forEachLimited<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
