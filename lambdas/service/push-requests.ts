// Asking for pushes: requests go to the push queue in batches of up to 100; the push worker plans,
// budgets and sends them (push-worker.ts).
import type { PushRequest } from '../domain/types';
import type { App } from './container';

export async function requestPush(
  app: App,
  requests: Array<Omit<PushRequest, 'requestedAt'>>,
  delaySeconds = 0,
): Promise<void> {
  const requestedAt = app.clock.now().toISOString();
  for (let i = 0; i < requests.length; i += 100) {
    await app.pushQueue.send(
      requests.slice(i, i + 100).map((r) => ({ ...r, requestedAt })),
      delaySeconds,
    );
  }
}
