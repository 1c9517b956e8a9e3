// What the benchmark asks of the server, shared by the in-process counts and the load test.
import { sampleProfile } from '../../kit/e2e';

/** A template of the usual size: two Wi-Fi profiles and one app. */
export const TEMPLATE_ITEMS = [
  { kind: 'profile', identifier: 'com.example.wifi', payload: sampleProfile('com.example.wifi', 'Office') },
  { kind: 'profile', identifier: 'com.example.wifi.guest', payload: sampleProfile('com.example.wifi.guest', 'Guest') },
  { kind: 'app', identifier: 'com.example.app' },
];

/** Runs `fn` over `items` with at most `concurrency` at a time. */
export async function eachLimited<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
