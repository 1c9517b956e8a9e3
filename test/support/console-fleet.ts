// A small simulated fleet for the admin console's browser tests and screenshots
// (docs/console.md): Apple devices on an "Office" template (one of them refuses the Wi-Fi profile
// with 4027 and stays Not-Synchronized), a Mac and two Android agents, all on the local server.
import { AgentPushSender, SimulatedAndroidAgent } from '../../kit/android-agent';
import type { SimulatedAppleDevice } from '../../kit/apple-device';
import { type E2E, sampleProfile, startE2E } from '../../kit/e2e';
import type { PushCertificate } from '../../kit/tls';

export interface ConsoleFleet {
  e: E2E;
  fcm: AgentPushSender;
  pushCert: PushCertificate;
  template: { id: string; version: number };
  synced: SimulatedAppleDevice[];
  /** Refuses the template's profile (MCInstallationErrorDomain 4027): Not-Synchronized. */
  failing: SimulatedAppleDevice;
  mac: SimulatedAppleDevice;
  agents: SimulatedAndroidAgent[];
  stop(): Promise<void>;
}

export async function startConsoleFleet(opts: { appleDevices?: number } = {}): Promise<ConsoleFleet> {
  const fcm = new AgentPushSender();
  const e = await startE2E({ fcm });
  const pushCert = await e.uploadPushCert();
  const template = await e.createTemplate({
    name: 'Office',
    items: [{ kind: 'profile', identifier: 'com.example.wifi', payload: sampleProfile('com.example.wifi', 'Office') }],
    prohibitedApps: ['com.example.game'],
  });
  const synced = await e.enrollDevices(opts.appleDevices ?? 3, { templateId: template.id, concurrency: 2 });
  const failing = e.newDevice();
  failing.failProfileInstall = 4027;
  await failing.enrollFully((await e.createEnrollment({ templateId: template.id, name: 'Reception iPad' })).url);
  const mac = e.newDevice({ platform: 'macos' });
  await mac.enrollFully((await e.createEnrollment({ name: 'Design Mac' })).url);
  const agents: SimulatedAndroidAgent[] = [];
  for (const name of ['Warehouse 1', 'Warehouse 2']) {
    const r = await e.api<{ qrPayload: string }>('POST', '/admin/v1/enrollments', { platform: 'android', name });
    const agent = SimulatedAndroidAgent.fromQrPayload(r.body.qrPayload);
    if ((await agent.enroll()).status !== 201) throw new Error('android enrollment failed');
    fcm.register(agent);
    agents.push(agent);
  }
  // One enrollment nobody has used yet: Awaiting-Check-In on the dashboard.
  await e.createEnrollment({ name: 'Spare iPhone' });
  const state = async (udid: string) => (await e.device(udid)).syncState;
  await e.settle(
    async () =>
      (await state(failing.udid)) === 'Not-Synchronized' &&
      (await Promise.all(synced.map((d) => state(d.udid)))).every((s) => s === 'Synchronized'),
    60_000,
  );
  return { e, fcm, pushCert, template, synced, failing, mac, agents, stop: () => e.stop() };
}
