// The deployment's own EventBridge bus: every event is put there (`source` the product,
// `detail-type` the event type, `detail` the event), so operators route any of them with a rule.
// The client is loaded on the first event: a function that never reports one does not pay for it.
import type { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { MdmEvent } from '../../domain/events';
import type { EventPublisher } from '../../ports';

/** The `source` of every event on the bus (docs/operations.md shows a rule on it). */
export const EVENT_SOURCE = 'serverless-mdm';
/** PutEvents takes at most 10 entries per call. */
const PUT_EVENTS_MAX = 10;

export class EventBridgePublisher implements EventPublisher {
  private client?: Promise<{
    client: EventBridgeClient;
    PutEventsCommand: typeof PutEventsCommand;
  }>;

  constructor(private readonly busName: string) {}

  private load() {
    this.client ??= import('@aws-sdk/client-eventbridge').then((m) => ({
      client: new m.EventBridgeClient({}),
      PutEventsCommand: m.PutEventsCommand,
    }));
    return this.client;
  }

  async publish(events: MdmEvent[]): Promise<void> {
    if (!events.length) return;
    const { client, PutEventsCommand } = await this.load();
    for (let i = 0; i < events.length; i += PUT_EVENTS_MAX) {
      const out = await client.send(
        new PutEventsCommand({
          Entries: events.slice(i, i + PUT_EVENTS_MAX).map((e) => ({
            EventBusName: this.busName,
            Source: EVENT_SOURCE,
            DetailType: e.type,
            Time: new Date(e.at),
            Detail: JSON.stringify(e),
          })),
        }),
      );
      if (out.FailedEntryCount)
        throw new Error(
          `EventBridge refused ${out.FailedEntryCount} events: ${out.Entries?.find((x) => x.ErrorCode)?.ErrorCode}`,
        );
    }
  }
}
