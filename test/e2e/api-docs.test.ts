// The "Common tasks" examples of docs/api.md, run as written (bash, the machine's curl and jq)
// against the whole product in-process, with a simulated iPhone (fake APNs) and a simulated Android
// agent, in the documented order. Each example's requests must get the documented status and do
// what a reader relies on: the lock reaches the device, the wipe withdraws it, the CSV has rows.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentPushSender, SimulatedAndroidAgent } from '../../kit/android-agent';
import { type ReceivedCommand, SimulatedAppleDevice } from '../../kit/apple-device';
import { type E2E, sampleProfile, startE2E } from '../../kit/e2e';
import { describeRun, type ExampleRun, runExample, shellExamples, which } from '../support/doc-examples';

const DOC = join(__dirname, '../../docs/api.md');
const SECTION = 'Common tasks';
const examples = shellExamples(readFileSync(DOC, 'utf8'), SECTION);

/** Examples not run here, with the reason. Keep this list short. */
const NOT_RUN: Record<string, string> = {};

interface World {
  e2e: E2E;
  fcm: AgentPushSender;
  iphone: SimulatedAppleDevice;
  /** Every command the iPhone received, in order. */
  received: ReceivedCommand[];
  agent?: SimulatedAndroidAgent;
}

type Check = (run: ExampleRun, w: World) => Promise<void>;

const fail = (run: ExampleRun, why: string): never => {
  throw new Error(`${why}\n${describeRun(run)}`);
};
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = <T = any>(run: ExampleRun): T => {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    return fail(run, 'stdout is not one JSON document');
  }
};
/** The JSON documents an example printed (jq's output: each starts and ends at column 0). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const jsonDocs = (text: string): any[] => {
  const docs: unknown[] = [];
  let doc: string[] | undefined;
  for (const line of text.split('\n')) {
    if (!doc && line.startsWith('{')) doc = [];
    if (!doc) continue;
    doc.push(line);
    if (line.startsWith('}') || (doc.length === 1 && line.endsWith('}'))) {
      docs.push(JSON.parse(doc.join('\n')));
      doc = undefined;
    }
  }
  return docs;
};

const apiDevice = (w: World, id: string) => w.e2e.device(id);
const syncState = (w: World, id: string, want: string) =>
  w.e2e.waitFor(async () => (await apiDevice(w, id)).syncState === want, 15_000, `${id} ${want}`);

/** What each example must do, by its heading, in the order of the document. */
const CHECKS: Record<string, { statuses: number[] | RegExp; check: Check }> = {
  'Make a template': {
    statuses: [201],
    check: async (run, w) => {
      const id = run.vars.TEMPLATE;
      if (!id || run.stdout.trim() !== id) fail(run, 'TEMPLATE is not the id printed');
      const t = (await w.e2e.api('GET', `/admin/v1/templates/${id}`)).body;
      expect(t).toMatchObject({ name: 'Standard', version: 1, prohibitedApps: ['com.example.game'] });
      expect(t.items.map((i: { kind: string; identifier: string }) => `${i.kind}:${i.identifier}`)).toEqual([
        'profile:com.example.wifi',
        'app:com.example.app',
      ]);
    },
  },
  'Change a template': {
    statuses: [200, 200],
    check: async (run, w) => {
      const changed = json<{ syncOperationId: string }>(run);
      expect(changed).toMatchObject({
        version: 2,
        prohibitedApps: ['com.example.game', 'com.example.chat'],
        syncOperationId: expect.stringMatching(/^bulk_/),
      });
      // No device uses the template yet: the fan-out finds none.
      expect(await w.e2e.operation(changed.syncOperationId)).toMatchObject({
        type: 'Sync',
        status: 'done',
        targeted: 0,
      });
    },
  },
  'Enroll an Apple device': {
    statuses: [201],
    check: async (run, w) => {
      const url = run.stdout.trim();
      if (!/^http:\/\/127\.0\.0\.1:\d+\/mdm\/demo\/enroll\/\S+$/.test(url)) fail(run, 'no enrollment url printed');
      await w.iphone.enrollFully(url); // "open the url on the device"
      await w.e2e.waitFor(
        async () => (await apiDevice(w, w.iphone.udid)).registrationState === 'Checked-In',
        10_000,
        'iPhone checked in',
      );
    },
  },
  'Enroll an Android device': {
    statuses: [201],
    check: async (run, w) => {
      const agent = SimulatedAndroidAgent.fromQrPayload(run.stdout.trim()); // "the agent app scans it"
      w.fcm.register(agent);
      expect((await agent.enroll()).status).toBe(201);
      w.agent = agent;
      expect(await apiDevice(w, agent.deviceId!)).toMatchObject({
        platform: 'android',
        name: 'Warehouse 3',
        registrationState: 'Checked-In',
      });
    },
  },
  'Find a device': {
    statuses: [200, 200],
    check: async (run, w) => {
      expect(run.vars.DEVICE).toBe(w.iphone.udid);
      const rows = run.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t'));
      expect(rows.find((r) => r[0] === w.iphone.udid)?.[1]).toBe('ios');
      expect(rows.find((r) => r[0] === w.agent?.deviceId)?.slice(1, 3)).toEqual(['android', 'Warehouse 3']);
      expect(rows.at(-1)).toEqual([w.iphone.udid]);
    },
  },
  'Assign a template': {
    statuses: [200],
    check: async (run, w) => {
      expect(json(run)).toMatchObject({ id: w.iphone.udid, templateId: shellEnv.TEMPLATE });
      await syncState(w, w.iphone.udid, 'Synchronized');
      expect([...w.iphone.profiles.keys()]).toContain('com.example.wifi');
      expect(w.iphone.apps.get('com.example.app')).toMatchObject({ version: '2.0', managed: true });
    },
  },
  'Sync a device now': {
    // The answer, then progress reads until the operation is done (how many depends on timing), then the two reads.
    statuses: /^202(,200)+$/,
    check: async (run, w) => {
      const docs = jsonDocs(run.stdout);
      const [operation, state] = docs.slice(-2) as [
        { status: string; commands: Array<{ requestType: string; status: string }> },
        { syncState: string },
      ];
      expect(run.vars.OP).toMatch(/^op_/);
      expect(operation.status).toBe('done');
      // The inventory read (the device matches its template: nothing to send, so no read-back), acknowledged by the iPhone itself.
      expect(operation.commands.map((c) => c.requestType)).toContain('ProfileList');
      expect(operation.commands.every((c) => c.status === 'Acknowledged')).toBe(true);
      const ids = (await w.e2e.api('GET', `/admin/v1/commands/${run.vars.OP}`)).body.commands.map(
        (c: { id: string }) => c.id,
      );
      for (const id of ids)
        expect(w.received.find((c) => c.commandUuid === id)).toMatchObject({ status: 'Acknowledged' });
      expect(state.syncState).toBe('Synchronized');
    },
  },
  "Read a device's inventory": {
    statuses: [200],
    check: async (run, w) => {
      const inventory = json<{ readAt: string; apps: string[]; profiles: string[] }>(run);
      expect(Date.parse(inventory.readAt)).not.toBeNaN();
      expect(inventory.apps).toContain('com.example.app 2.0');
      expect(inventory.apps).toHaveLength(w.iphone.apps.size);
      expect(inventory.profiles).toContain('com.example.wifi');
    },
  },
  'Lock a device': {
    statuses: [202],
    check: async (run, w) => {
      const { commandId } = json<{ commandId: string }>(run);
      await w.e2e.waitFor(() => w.received.some((c) => c.commandUuid === commandId), 10_000, 'DeviceLock received');
      expect(w.received.find((c) => c.commandUuid === commandId)).toMatchObject({
        requestType: 'DeviceLock',
        status: 'Acknowledged',
        command: { Message: 'Call IT on 555-0100' },
      });
      expect(w.iphone.locked).toBe(true);
    },
  },
  'Many devices at once': {
    // The answer, then progress reads until the fan-out is done (how many depends on timing), then the summary.
    statuses: /^202(,200)+$/,
    check: async (run, w) => {
      expect(json(run)).toEqual({ status: 'done', targeted: 2, queued: 2, refused: 0, refusals: [] });
      await w.e2e.waitFor(
        () => w.received.filter((c) => c.requestType === 'DeviceLock').length === 2,
        10_000,
        'the second DeviceLock',
      );
      expect(w.received.filter((c) => c.requestType === 'DeviceLock').at(-1)).toMatchObject({
        status: 'Acknowledged',
        command: { Message: 'Back to IT, please' },
      });
      await w.e2e.waitFor(() => !!w.agent?.received.some((c) => c.type === 'Lock'), 10_000, 'the Android Lock');
      expect(w.agent!.received.find((c) => c.type === 'Lock')).toMatchObject({
        payload: { message: 'Back to IT, please' },
        status: 'Acknowledged',
      });
    },
  },
  'Diagnose a device': {
    statuses: [200, 200, 200],
    check: async (run) => {
      const docs = jsonDocs(run.stdout);
      const diagnosis = docs[0] as { verdict: string; steps: Array<{ question: string }> };
      expect(diagnosis.verdict).toBe('synchronized');
      expect(diagnosis.steps.length).toBeGreaterThan(0);
      expect(diagnosis.steps.every((s) => typeof s.question === 'string')).toBe(true);
      const commands = docs.at(-1) as { queue: unknown[]; history: Array<{ message: string }> };
      expect(commands.history.some((h) => /DeviceLock/.test(h.message))).toBe(true);
      // The timeline lines sit between the two JSON documents.
      expect(run.stdout).toMatch(/^\d{4}-\d\d-\d\dT\S+ {2}\S+ {2}.+$/m);
    },
  },
  'Wipe a device': {
    statuses: [202],
    check: async (run, w) => {
      const { commandId } = json<{ commandId: string }>(run);
      await w.e2e.waitFor(() => w.received.some((c) => c.commandUuid === commandId), 10_000, 'EraseDevice received');
      expect(w.received.find((c) => c.commandUuid === commandId)).toMatchObject({
        requestType: 'EraseDevice',
        status: 'Acknowledged',
      });
      await w.e2e.waitFor(
        async () => (await apiDevice(w, w.iphone.udid)).registrationState === 'Withdrawn',
        10_000,
        'iPhone withdrawn',
      );
      expect(await apiDevice(w, w.iphone.udid)).toMatchObject({ withdrawalReason: 'wiped' });
      expect(w.iphone.enrolled).toBe(false);
    },
  },
  'Retire a device': {
    statuses: [204, 200],
    check: async (run, w) => {
      expect(json(run)).toEqual({ registrationState: 'Withdrawn', withdrawalReason: 'retired' });
      // The erased iPhone enrolls again with a new profile and is managed as before.
      const { url } = await w.e2e.createEnrollment();
      await w.iphone.enrollFully(url);
      await w.e2e.waitFor(
        async () => (await apiDevice(w, w.iphone.udid)).registrationState === 'Checked-In',
        10_000,
        'iPhone enrolled again',
      );
    },
  },
  'Read the dashboard': {
    statuses: [200],
    check: async (run) => {
      const dash = json(run);
      expect(dash.registrationStates).toMatchObject({ Withdrawn: 0, 'Checked-In': 2 });
      expect(dash).toHaveProperty('alarms.critical');
      expect(Array.isArray(dash.activeAlarms)).toBe(true);
    },
  },
  'Read the logs': {
    statuses: [200, 200],
    check: async (run) => {
      expect(run.stdout).toMatch(/ {2}command {2}\S+ {2}.*EraseDevice/);
      expect(run.stdout).toMatch(/ {2}event {2}command-requested {2}Wipe requested by an admin/);
    },
  },
  'Export logs as CSV': {
    statuses: [200],
    check: async (run, w) => {
      const csv = readFileSync(join(dir, 'logs.csv'), 'utf8').trimEnd().split('\r\n');
      expect(csv[0]).toBe('at,type,severity,event,deviceId,message,data,id');
      expect(csv.length).toBeGreaterThan(5);
      expect(csv.some((row) => row.includes(w.iphone.udid) && row.includes('EraseDevice'))).toBe(true);
      expect(readFileSync(join(dir, 'headers.txt'), 'utf8')).toMatch(/content-type: text\/csv/i);
      expect(run.stdout.trim()).toBe('complete: no more parts');
    },
  },
};

let dir: string;
let world: World;
let stopPolling: () => void;
let polls: Promise<unknown> = Promise.resolve();
const pollErrors: unknown[] = [];
/** The shell's environment: the documented variables, and those earlier examples set. */
const shellEnv: Record<string, string> = {};
let curl: string;

beforeAll(async () => {
  // The examples need curl and jq: without them this test fails, it never skips.
  const found = which('curl');
  if (!found)
    throw new Error('curl is not installed (not on PATH): docs/api.md examples cannot be checked. Install curl.');
  curl = found;
  if (!which('jq')) throw new Error('jq is not installed (not on PATH): docs/api.md examples use it. Install jq.');

  dir = mkdtempSync(join(tmpdir(), 'api-docs-'));
  writeFileSync(join(dir, 'wifi.mobileconfig'), Buffer.from(sampleProfile('com.example.wifi', 'Office'), 'base64'));

  // Android pushes go to the simulated agents (FCM's place), on the same server as the iPhone.
  const fcm = new AgentPushSender();
  const e2e = await startE2E({ fcm });
  await e2e.uploadPushCert();
  // The iPhone knows the App Store app the template names; it polls whenever a push reaches it.
  const iphone = new SimulatedAppleDevice({
    baseUrl: e2e.local.url,
    tenant: 'demo',
    platform: 'ios',
    appCatalog: { 123456789: { identifier: 'com.example.app', version: '2.0', name: 'Example' } },
  });
  const received: ReceivedCommand[] = [];
  stopPolling = e2e.apns.onPush((push) => {
    if (!iphone.enrolled || push.token !== iphone.pushToken) return;
    polls = polls
      .then(() => iphone.poll())
      .then(
        (cmds) => {
          received.push(...cmds);
        },
        (err: unknown) => {
          pollErrors.push(err);
        },
      );
  });
  world = { e2e, fcm, iphone, received };
  Object.assign(shellEnv, {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir, // no ~/.curlrc
    LC_ALL: 'C',
    MDM: e2e.local.url,
    KEY: e2e.adminKey,
    SERIAL: iphone.serial,
  });
});

afterAll(async () => {
  stopPolling?.();
  await polls;
  await world?.fcm.delivered();
  await world?.e2e.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe(`docs/api.md "${SECTION}"`, () => {
  it('has a check here for every example, in order, and runs all but the few listed', () => {
    const titles = examples.map((e) => e.title);
    expect(new Set(titles).size).toBe(titles.length); // one block per heading
    expect(titles.filter((t) => !(t in NOT_RUN))).toEqual(Object.keys(CHECKS));
    expect(titles.filter((t) => t in NOT_RUN)).toEqual(Object.keys(NOT_RUN));
    expect(examples).toHaveLength(Object.keys(CHECKS).length + Object.keys(NOT_RUN).length);
  });

  for (const example of examples) {
    if (example.title in NOT_RUN) continue;
    it(`${example.title} (docs/api.md line ${example.line})`, async () => {
      const expected = CHECKS[example.title];
      if (!expected) throw new Error(`no check for the example "${example.title}": add one to CHECKS`);
      const run = await runExample(example.code, { curl, env: shellEnv, cwd: dir });
      if (run.exitCode !== 0) fail(run, 'the example failed');
      const statuses = run.calls.map((c) => c.status).join(',');
      if (
        expected.statuses instanceof RegExp
          ? !expected.statuses.test(statuses)
          : statuses !== expected.statuses.join(',')
      ) {
        fail(run, `expected HTTP statuses ${String(expected.statuses)}`);
      }
      Object.assign(shellEnv, run.vars);
      await expected.check(run, world);
      if (pollErrors.length) throw pollErrors[0];
    });
  }
});
