// Reports events (docs/api.md §Events): called once where a change is committed, it gives the
// event its id and time, puts it on the deployment's bus and queues one delivery for each of the
// tenant's webhooks that wants it.
import type { EventDraft, MdmEvent } from '../domain/events';
import { webhookWants } from '../domain/events';
import { sha256Hex } from '../ids';
import { logger } from '../logger';
import type { App } from './container';

/** Same change, same id: receivers deduplicate on it. */
export const eventId = (tenantId: string, key: string) => `evt_${sha256Hex(`${tenantId}|${key}`).slice(0, 32)}`;

/** Removes undefined fields (a device without a name has no `name`, not `"name": null`). */
const defined = (data: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined));

export function buildEvents(app: App, tenantId: string, drafts: EventDraft[]): MdmEvent[] {
  const at = app.clock.now().toISOString();
  return drafts.map((d) => ({ id: eventId(tenantId, d.key), type: d.type, tenantId, at, data: defined(d.data) }));
}

/**
 * Reports the events of a change that is already committed. A failure to report is logged, never
 * thrown: the change stands either way, and failing the caller (a device's request) would not
 * report it again (the retried request finds nothing left to change).
 */
export async function emitEvents(app: App, tenantId: string, drafts: EventDraft[]): Promise<void> {
  if (!drafts.length) return;
  const events = buildEvents(app, tenantId, drafts);
  const failed = (what: string) => (err: unknown) =>
    logger.error({ msg: `events not ${what}`, tenantId, events: events.map((e) => e.id), error: String(err) });
  await app.events.publish(events).catch(failed('published on the bus'));
  await queueDeliveries(app, tenantId, events).catch(failed('queued for webhooks'));
}

/** One pending delivery per event and active webhook of the tenant that subscribed to its type. */
async function queueDeliveries(app: App, tenantId: string, events: MdmEvent[]): Promise<void> {
  const hooks = (await app.stores.webhooks.list(tenantId)).filter((h) => !h.pausedAt);
  const deliveries = events.flatMap((event) =>
    hooks
      .filter((h) => webhookWants(h.events, event.type))
      .map((h) => ({ tenantId, webhookId: h.id, event, attempt: 1 })),
  );
  if (deliveries.length) await app.webhookQueue.send(deliveries);
}
