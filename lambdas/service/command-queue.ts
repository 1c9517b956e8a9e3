// Putting device commands on a device's queue: ids in plan order, priority by origin, and secret
// params sealed to the device until they are handed out (device-session.ts).
import type { Command, Device } from '../domain/types';
import { timeOrderedId } from '../ids';
import type { CommandSpec } from '../ports/platform';
import type { App } from './container';

export const commandSecretContext = (d: Pick<Device, 'tenantId' | 'id'>) => `${d.tenantId}/command/${d.id}`;

/** Priority of queued commands: admin commands run before sync work. */
export const PRIORITY = { admin: 0, sync: 5 } as const;

/**
 * Queues the device commands of a plan, in order. With `idBase` the ids are derived from it
 * (idBase, idBase001, idBase002, ...: they sort in plan order), so queueing the same plan again
 * (a retried bulk step) queues nothing twice; only the commands queued now are returned.
 */
export async function enqueueCommands(
  app: App,
  device: Device,
  specs: CommandSpec[],
  origin: Command['origin'],
  opts: { adminType?: Command['adminType']; idBase?: string; operationId?: string } = {},
): Promise<Command[]> {
  const commands: Command[] = [];
  for (const [index, spec] of specs.entries()) {
    const now = app.clock.now();
    const id = opts.idBase ? `${opts.idBase}${index ? String(index).padStart(3, '0') : ''}` : timeOrderedId(now);
    const command: Command = {
      tenantId: device.tenantId,
      deviceId: device.id,
      id,
      requestType: spec.requestType,
      adminType: opts.adminType,
      ...(opts.operationId ? { operationId: opts.operationId } : {}),
      origin,
      priority: origin === 'admin' ? PRIORITY.admin : PRIORITY.sync,
      payload: spec.payload,
      needsUnlock: spec.needsUnlock,
      status: 'Queued',
      attempts: 0,
      notNowCount: 0,
      action: spec.action,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      ...(spec.secrets
        ? { sealed: await app.box.seal(JSON.stringify(spec.secrets), commandSecretContext(device)) }
        : {}),
    };
    if (await app.stores.commands.enqueue(command)) commands.push(command);
  }
  return commands;
}
