// docs/protocol.md §NotNow: after a NotNow, the rest of the session gets only commands that never answer
// NotNow; serving one costs the device its own re-poll, so a delayed push is queued; the next
// session (Idle) tries everything again.
import type { PushRequest } from '../../lambdas/domain/types';
import { enqueueCommands } from '../../lambdas/service/command-queue';
import {
  type CommandReport,
  NOT_NOW_RETRY_SECONDS,
  nextCommand,
  openSession,
  recordReport,
} from '../../lambdas/service/device-session';
import { createDevice } from '../../lambdas/service/devices';
import { type LocalServer, startLocal } from '../../lambdas/wiring/local';
import { newDevice } from '../support/factories';

describe('NotNow policy', () => {
  let local: LocalServer;
  const pushes: Array<{ batch: PushRequest[]; delay?: number }> = [];
  beforeAll(async () => {
    local = await startLocal({ inMemory: true, port: 0, schedules: false });
    local.app.pushQueue = {
      send: async (batch, delay) => {
        pushes.push({ batch, delay });
      },
      sendDrain: async () => {
        throw new Error('no push backlog in this test: nothing should be drained');
      },
    };
  });
  afterAll(async () => {
    await local?.stop();
  });

  it('holds back what would NotNow again, serves what never does, and re-pushes later', async () => {
    const { app } = local;
    const device = await createDevice(
      app,
      newDevice({ tenantId: 'demo', id: 'UDID-NOTNOW', platform: 'ios', push: { token: 'ab', magic: 'm' } }),
    );
    const [install, remove, info] = await enqueueCommands(
      app,
      device,
      [
        { requestType: 'InstallProfile', payload: { RequestType: 'InstallProfile' }, needsUnlock: true },
        {
          requestType: 'RemoveProfile',
          payload: { RequestType: 'RemoveProfile', Identifier: 'x' },
          needsUnlock: false,
        },
        { requestType: 'DeviceInformation', payload: { RequestType: 'DeviceInformation' }, needsUnlock: false },
      ],
      'admin',
    );

    // One connect request each: a session of its own, the report, the command handed out.
    const connect = async (report: CommandReport) => {
      const session = await openSession(app, (await app.tenantCache.get('demo'))!, device.id);
      return nextCommand(app, await recordReport(app, session!, report));
    };
    expect((await connect({ status: 'Idle' }))?.command.id).toBe(install.id);

    const served = await connect({ status: 'NotNow', commandId: install.id });
    expect(served?.command.id).toBe(info.id); // RemoveProfile may NotNow too: held back
    expect(pushes.at(-1)).toMatchObject({
      delay: NOT_NOW_RETRY_SECONDS,
      batch: [{ deviceId: 'UDID-NOTNOW', reason: 'not-now-retry' }],
    });

    // the rest waits for the next session
    expect(await connect({ status: 'Acknowledged', commandId: info.id, result: {} })).toBeUndefined();

    expect((await connect({ status: 'Idle' }))?.command.id).toBe(remove.id); // unlocked: a new session
    const queue = await app.stores.commands.liveQueue('demo', 'UDID-NOTNOW');
    expect(queue.find((c) => c.id === install.id)?.status).toBe('NotNow');
  });
});
