// The bad-input corpus (docs/operations.md §Limits): every route of the route table (the OpenAPI
// document's routes and the Apple and Android device routes) gets malformed, oversized, deeply
// nested and wrongly typed bodies, over-long and wrong-alphabet ids, foreign and forged cursors,
// bad limits and bad credentials, over real HTTP against the local server. Every answer must be
// below 500, never 401 on an Apple route, and come back before a hang guard; afterwards the server
// still serves the dashboard and its devices. Routes added later are covered without editing this.

import { randomBytes } from 'node:crypto';
import { SimulatedAndroidAgent } from '../../kit/android-agent';
import type { SimulatedAppleDevice } from '../../kit/apple-device';
import { type E2E, startE2E } from '../../kit/e2e';
import { ROUTES } from '../../lambdas/api/routes';
import type { RouteDef } from '../../lambdas/http/types';
import { buildPlist } from '../../lambdas/protocol/apple/plist';
import { signMdmMessage } from '../../lambdas/protocol/apple/sign';

jest.setTimeout(120_000);

/**
 * Only a hang guard: a request that never answers (a parser spinning on a hostile body) shows as a
 * timeout, while a slow answer on a loaded machine stays far below it.
 */
const HANG_GUARD_MS = 15_000;
const CONCURRENCY = 8;
const CHECKIN = 'application/x-apple-aspen-mdm-checkin';
const JSON_TYPE = 'application/json';

interface Probe {
  route: RouteDef;
  /** Another method than the route's (405, or another route of the same path). */
  method?: string;
  variant: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const deepPlist = (depth: number, udid: string) =>
  `<?xml version="1.0"?><plist version="1.0"><dict><key>UDID</key><string>${udid}</string><key>MessageType</key>` +
  `<string>Authenticate</string><key>X</key>${'<array>'.repeat(depth)}${'</array>'.repeat(depth)}</dict></plist>`;

/** The top-level field names of a route's body schema (zod/mini keeps them in its definition). */
function bodyFields(route: RouteDef): string[] {
  const shape = (route.body as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
  return shape ? Object.keys(shape) : [];
}

describe('the bad-input corpus', () => {
  let e: E2E;
  let device: SimulatedAppleDevice;
  let agent: SimulatedAndroidAgent;
  let viewerKey: string;
  let otherTenantKey: string;
  let templateId: string;
  const cursors: Record<string, string> = {};

  beforeAll(async () => {
    e = await startE2E({ manualPolls: true });
    await e.uploadPushCert();
    const { url } = await e.createEnrollment();
    device = e.newDevice();
    await device.enrollFully(url);
    const android = await e.api('POST', '/admin/v1/enrollments', { platform: 'android' });
    agent = SimulatedAndroidAgent.fromQrPayload(android.body.qrPayload);
    expect((await agent.enroll()).status).toBe(201);
    viewerKey = (await e.api('POST', '/admin/v1/api-keys', { name: 'ro', role: 'viewer' })).body.key;
    const other = await e.api(
      'POST',
      '/admin/v1/tenants',
      { id: 'other', name: 'Other' },
      e.local.credentials.operatorKey,
    );
    expect(other.status).toBe(201);
    otherTenantKey = other.body.adminKey;
    templateId = (await e.createTemplate({ name: 'corpus' })).id;
    await e.createTemplate({ name: 'corpus 2' });
    await e.settle();
    // Real cursors of this tenant's lists: used on other lists and by the other tenant, they are foreign.
    for (const list of ['devices', 'templates', 'logs']) {
      const page = await e.api('GET', `/admin/v1/${list}?limit=1`);
      expect(page.body.cursor).toEqual(expect.any(String));
      cursors[list] = page.body.cursor;
    }
  });
  afterAll(async () => {
    await e?.stop();
  });

  /** The credentials a route's rule admits (the corpus's bodies then reach validation). */
  const goodAuth = (route: RouteDef): Record<string, string> => {
    if (route.auth === 'admin' || route.auth === 'viewer') return { authorization: `Bearer ${e.adminKey}` };
    if (route.auth === 'operator') return { authorization: `Bearer ${e.local.credentials.operatorKey}` };
    if (route.auth === 'android-device') return { authorization: `Bearer ${agent.deviceToken}` };
    return {};
  };

  /**
   * A well-formed value for a path parameter: a real object where the request cannot act on it (a
   * read, or a write whose body the corpus breaks), an unknown one otherwise (a DELETE, a body-less
   * action such as running a job).
   */
  const plausible = (route: RouteDef, name: string): string => {
    const acts = route.method !== 'GET' && !route.body;
    if (name === 'tenant') return 'demo';
    if (name === 'token') return 'enr_unknown';
    if (name === 'job') return 'no-such-job';
    if (acts || route.method === 'DELETE') return 'unknown-id';
    if (route.path.startsWith('/admin/v1/devices/')) return device.udid;
    if (route.path.startsWith('/admin/v1/templates/')) return templateId;
    return 'unknown-id';
  };

  const pathWith = (route: RouteDef, override: Record<string, string> = {}) =>
    route.path.replace(/\{(\w+)\}/g, (_m, name: string) => override[name] ?? plausible(route, name));

  /** A plist body signed by the enrolled device, as an Apple route would get it. */
  const signed = (body: Buffer): Record<string, string> => ({
    'content-type': CHECKIN,
    'mdm-signature': signMdmMessage(body, device.identityCertPem!, device.identityKeyPem!),
  });

  function corpus(): Probe[] {
    const probes: Probe[] = [];
    for (const route of ROUTES as readonly RouteDef[]) {
      const add = (variant: string, p: Partial<Probe> = {}) =>
        probes.push({ route, variant, path: pathWith(route), headers: goodAuth(route), ...p });
      const isApple = route.surface === 'apple';
      const json = (text: string): Partial<Probe> => ({
        headers: { ...goodAuth(route), 'content-type': JSON_TYPE },
        body: Buffer.from(text),
      });

      // Credentials: none, malformed, unknown, too weak, another tenant's.
      add('no credentials', { headers: {} });
      add('empty bearer', { headers: { authorization: 'Bearer ' } });
      add('unknown bearer', { headers: { authorization: 'Bearer mdm_unknownkeyunknownkey' } });
      add('basic auth', { headers: { authorization: 'Basic Zm9vOmJhcg==' } });
      add('8 KB bearer', { headers: { authorization: `Bearer ${'k'.repeat(8192)}` } });
      add('viewer key', { headers: { authorization: `Bearer ${viewerKey}` } });
      add("another tenant's key", { headers: { authorization: `Bearer ${otherTenantKey}` } });
      add('admin key', { headers: { authorization: `Bearer ${e.adminKey}` } });
      for (const method of ['PATCH', 'OPTIONS', 'HEAD']) add(`method ${method}`, { method });

      // Path parameters: too long, outside the id alphabet, unicode, an encoded slash.
      for (const name of route.path.match(/\{(\w+)\}/g)?.map((p) => p.slice(1, -1)) ?? []) {
        for (const [what, value] of [
          ['1,100-character', 'd'.repeat(1100)],
          ['wrong-alphabet', encodeURIComponent('a#DEVICE<x>')],
          ['dot-dot', encodeURIComponent('../..')],
          ['unicode', encodeURIComponent('dévice✓')],
          ['encoded slash', 'a%2Fb'],
          ['bad percent-encoding', '%E0%A4%A'],
        ])
          add(`${what} ${name}`, { path: pathWith(route, { [name]: value }) });
      }

      // Query strings: foreign and forged cursors, bad limits, oversized values.
      if (route.method === 'GET') {
        const base = pathWith(route);
        for (const [list, cursor] of Object.entries(cursors)) {
          add(`a ${list} cursor`, { path: `${base}?cursor=${encodeURIComponent(cursor)}` });
          add(`a ${list} cursor, other tenant`, {
            path: `${base}?cursor=${encodeURIComponent(cursor)}`,
            headers: { authorization: `Bearer ${otherTenantKey}` },
          });
          add(`an edited ${list} cursor`, {
            path: `${base}?cursor=${encodeURIComponent(`${cursor.slice(0, -3)}AAA`)}`,
          });
        }
        for (const q of [
          'cursor=garbage',
          `cursor=${'A'.repeat(5000)}`,
          'cursor=',
          'limit=-1',
          'limit=0',
          'limit=abc',
          'limit=1e309',
          'limit=99999999999999999999',
          'limit=1.5',
          'limit=1&limit=2',
          'from=not-a-date&to=also-not',
          'severity=%00&type=%FF',
          `q=${'q'.repeat(6000)}`,
          `deviceId=${'d'.repeat(1100)}`,
        ])
          add(`query ${q.slice(0, 30)}`, { path: `${base}?${q}` });
      }

      // Bodies: malformed, wrong types, oversized, deeply nested (sent to every route that takes one).
      if (route.method !== 'GET') {
        add('invalid JSON', json('{"a":'));
        for (const wrong of ['[]', '1', '"s"', 'null', 'true', '{}']) add(`JSON ${wrong}`, json(wrong));
        const fields = bodyFields(route);
        if (fields.length) {
          const every = (v: unknown) => JSON.stringify(Object.fromEntries(fields.map((f) => [f, v])));
          add('fields as numbers', json(every(12345)));
          add('fields as objects', json(every({ $gt: '', nested: { admin: true } })));
          add('fields as null', json(every(null)));
          add('fields as 10,000-element arrays', json(every(Array(10_000).fill('a'))));
          add('fields as long strings', json(every('x'.repeat(Math.floor(900_000 / fields.length)))));
          add('__proto__ pollution', json(`{"__proto__":{"polluted":1},"constructor":{"prototype":{"p":1}}}`));
        }
        add('JSON nested 10,000 deep (arrays)', json(deepArray(10_000)));
        add('JSON nested 10,000 deep (objects)', json(deepObject(10_000)));
        add('2 MB body', json(`"${'a'.repeat(2 * 1024 * 1024)}"`));
        add('garbage bytes', { body: randomBytes(4096), headers: { ...goodAuth(route), 'content-type': JSON_TYPE } });
        add('text/plain body', {
          body: Buffer.from('hello'),
          headers: { ...goodAuth(route), 'content-type': 'text/plain' },
        });
        add('empty body', json(''));
      }

      // Apple routes: plists, signed by the enrolled device or not.
      if (isApple && route.method === 'PUT') {
        const authenticate = (fields: Record<string, unknown>) =>
          Buffer.from(buildPlist({ MessageType: 'Authenticate', UDID: device.udid, Topic: device.topic, ...fields }));
        const plists: Array<[string, Buffer]> = [
          ['deep plist', Buffer.from(deepPlist(10_000, device.udid))],
          [
            'plist with 900 KB strings',
            authenticate({ SerialNumber: 's'.repeat(450_000), DeviceName: 'n'.repeat(450_000) }),
          ],
          ['plist of wrong types', authenticate({ UDID: 42, SerialNumber: [1, 2], OSVersion: { a: 1 } })],
          ['plist that is an array', Buffer.from(buildPlist([1, 2, 3] as never))],
          ['binary plist header', Buffer.concat([Buffer.from('bplist00'), randomBytes(200)])],
          [
            'XML entity expansion',
            Buffer.from(
              `<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY a "${'x'.repeat(1000)}"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>` +
                `<plist version="1.0"><dict><key>UDID</key><string>&b;&b;&b;&b;</string></dict></plist>`,
            ),
          ],
          ['garbage', randomBytes(4096)],
          ['no body', Buffer.alloc(0)],
          ['status report of wrong types', Buffer.from(buildPlist({ UDID: device.udid, Status: 7, CommandUUID: [] }))],
        ];
        for (const [what, body] of plists) {
          add(`unsigned ${what}`, { body, headers: { 'content-type': CHECKIN } });
          add(`signed ${what}`, { body, headers: signed(body) });
        }
        const idle = Buffer.from(buildPlist({ UDID: device.udid, Status: 'Idle' }));
        add('garbage Mdm-Signature', { body: idle, headers: { 'content-type': CHECKIN, 'mdm-signature': 'AAAA' } });
        add('signature over other bytes', {
          body: idle,
          headers: { ...signed(Buffer.from('other')), 'content-type': CHECKIN },
        });
        add('unknown tenant', {
          path: route.path.replace('{tenant}', 'nosuchtenant'),
          body: idle,
          headers: signed(idle),
        });
      }
    }
    return probes;
  }

  it('answers every hostile request below 500, never 401 on an Apple route, and keeps serving', async () => {
    const probes = corpus();
    const failures: string[] = [];
    const hit = new Set<string>();
    let next = 0;
    const worker = async () => {
      while (next < probes.length) {
        const probe = probes[next++];
        const what = `${probe.method ?? probe.route.method} ${probe.route.path} [${probe.variant}]`;
        try {
          const res = await fetch(`${e.local.url}${probe.path}`, {
            method: probe.method ?? probe.route.method,
            headers: probe.headers,
            body: probe.body,
            signal: AbortSignal.timeout(HANG_GUARD_MS),
          });
          await res.arrayBuffer();
          if (res.status >= 500) failures.push(`${what} → ${res.status}`);
          if (probe.route.surface === 'apple' && res.status === 401) failures.push(`${what} → 401 to an Apple device`);
          hit.add(`${probe.route.method} ${probe.route.path}`);
        } catch (err) {
          failures.push(`${what} → no answer (${(err as Error).name}: ${(err as Error).message})`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    expect(failures).toEqual([]);
    expect(probes.length).toBeGreaterThan(500);
    expect([...hit].sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    // Still serving: the dashboard, the Apple device's session and the Android agent's check-in.
    expect((await e.api('GET', '/admin/v1/dashboard')).status).toBe(200);
    expect((await device.connect({ Status: 'Idle' })).status).toBe(200);
    expect((await agent.checkIn()).status).toBe(200);
  });
});
