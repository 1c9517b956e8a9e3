// Local mode has no EventBridge: the events that would go on the bus are kept in memory (the
// newest ones), so a test or a developer can see what a deployment would publish.
import type { MdmEvent } from '../../domain/events';
import type { EventPublisher } from '../../ports';

const KEPT = 1000;

export class InMemoryEventBus implements EventPublisher {
  readonly events: MdmEvent[] = [];

  async publish(events: MdmEvent[]): Promise<void> {
    this.events.push(...events);
    if (this.events.length > KEPT) this.events.splice(0, this.events.length - KEPT);
  }
}
