// Worker threads of the simulator (the database, the API workers) and how the main thread talks
// to them: a worker posts {type: 'ready', url} once it serves, answers each request in order, and
// posts {type: 'fcm', token} whenever its server pushes an Android agent.

import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/** Main thread → worker. */
export type ThreadRequest = 'dead-letters' | 'stop';

/** Worker → main thread. */
export type ThreadMessage =
  | { type: 'ready'; url: string }
  /** An FCM push for this token: the main thread's stand-in for FCM delivers it. */
  | { type: 'fcm'; token: string }
  /** Answers 'dead-letters': push batches its queue gave up on. */
  | { type: 'dead-letters'; count: number }
  /** Answers 'stop'. */
  | { type: 'stopped' };

export interface Thread {
  url: string;
  /** Event-loop utilization since it started (0..1). */
  utilization(): number;
  deadLetters(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts scripts/sim/<file> in a worker thread and waits until it serves. */
export async function startThread(
  file: string,
  workerData: unknown,
  onFcm: (m: { token: string }) => void = () => undefined,
): Promise<Thread> {
  // TypeScript loads through tsx's CommonJS hook, under tsx and under jest alike.
  const code = `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register(); require(${JSON.stringify(join(__dirname, file))});`;
  // `env`: a copy of what this module sees (under jest, its sandbox's process.env, LOG_LEVEL included).
  const worker = new Worker(code, { eval: true, workerData, env: { ...process.env } });
  const answers: Array<(m: ThreadMessage) => void> = [];
  const url = await new Promise<string>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: ThreadMessage) => {
      if (m.type === 'ready') resolve(m.url);
      else if (m.type === 'fcm') onFcm(m);
      else answers.shift()?.(m);
    });
  });
  const ask = (request: ThreadRequest) =>
    new Promise<ThreadMessage>((resolve) => {
      answers.push(resolve);
      worker.postMessage(request);
    });
  return {
    url,
    utilization: () => worker.performance.eventLoopUtilization().utilization,
    deadLetters: async () => {
      const answer = await ask('dead-letters');
      return answer.type === 'dead-letters' ? answer.count : 0;
    },
    stop: async () => {
      await ask('stop');
      await worker.terminate();
    },
  };
}
