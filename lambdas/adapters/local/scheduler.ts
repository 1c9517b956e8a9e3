// Local stand-in for the EventBridge schedules: runs each job on its interval in-process.
export interface ScheduledJob {
  name: string;
  everyMs: number;
  run: () => Promise<unknown>;
}

export class InProcessScheduler {
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly onError: (job: string, err: unknown) => void) {}

  start(jobs: ScheduledJob[]): void {
    for (const job of jobs) {
      let running = false;
      const timer = setInterval(() => {
        if (running) return; // never overlap a slow run with the next one
        running = true;
        job
          .run()
          .catch((err) => this.onError(job.name, err))
          .finally(() => {
            running = false;
          });
      }, job.everyMs);
      timer.unref?.();
      this.timers.push(timer);
    }
  }

  stop(): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
  }
}
