// Hostile input at the edge, over real HTTP against the local server: deeply nested plists from a
// device that signs them, bodies over 1 MB, over-long ids. Every answer is a 4xx (never a 5xx,
// never a 401 to an Apple device), and the request log line carries the status actually sent.

import type { SimulatedAppleDevice } from '../../kit/apple-device';
import { type E2E, startE2E } from '../../kit/e2e';
import { buildPlist } from '../../lambdas/protocol/apple/plist';
import { signMdmMessage } from '../../lambdas/protocol/apple/sign';

jest.setTimeout(60_000);

const CHECKIN = 'application/x-apple-aspen-mdm-checkin';
const OVER_1_MB = 1024 * 1024 + 1;

/** The request log lines written while `fn` runs (the server runs in this process). */
async function requestLogLines(fn: () => Promise<void>): Promise<Array<Record<string, unknown>>> {
  const lines: string[] = [];
  const level = process.env.LOG_LEVEL;
  process.env.LOG_LEVEL = 'info';
  const spies = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    }),
  );
  try {
    await fn();
  } finally {
    spies.forEach((s) => s.mockRestore());
    process.env.LOG_LEVEL = level;
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => 'route' in l && 'status' in l);
}

describe('hostile input at the edge', () => {
  let e: E2E;
  let device: SimulatedAppleDevice;
  let viewerKey: string;

  /** A PUT to an Apple endpoint, signed by the enrolled device over exactly these bytes. */
  const signedPut = async (path: string, body: Buffer) => {
    const res = await fetch(`${e.local.url}${path}`, {
      method: 'PUT',
      body,
      headers: {
        'content-type': CHECKIN,
        'mdm-signature': signMdmMessage(body, device.identityCertPem!, device.identityKeyPem!),
      },
    });
    return { status: res.status, text: await res.text() };
  };

  const send = async (method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) => {
    const res = await fetch(`${e.local.url}${path}`, {
      method,
      body,
      headers: { authorization: `Bearer ${e.adminKey}`, ...headers },
    });
    const text = await res.text();
    return { status: res.status, text, json: () => JSON.parse(text) as { error: { code: string; message: string } } };
  };

  beforeAll(async () => {
    e = await startE2E({ manualPolls: true });
    await e.uploadPushCert();
    const { url } = await e.createEnrollment();
    device = e.newDevice();
    await device.enrollFully(url);
    await e.settle();
    const viewer = await e.api('POST', '/admin/v1/api-keys', { name: 'ro', role: 'viewer' });
    viewerKey = viewer.body.key;
  });
  afterAll(async () => {
    await e?.stop();
  });

  describe('a deeply nested plist from an enrolled device', () => {
    const nested = (depth: number) =>
      Buffer.from(
        `<?xml version="1.0"?><plist version="1.0"><dict><key>UDID</key><string>${device.udid}</string><key>Status</key><string>Idle</string>` +
          `<key>X</key>${'<dict><key>a</key>'.repeat(depth)}<string>x</string>${'</dict>'.repeat(depth)}</dict></plist>`,
      );

    it('is refused with 400 naming the limit, and the server keeps serving', async () => {
      // plist@3 spent over 15 minutes of CPU on this body.
      for (const path of ['/mdm/demo/connect', '/mdm/demo/checkin']) {
        const r = await signedPut(path, nested(1000));
        expect(r.status).toBe(400);
        expect(JSON.parse(r.text)).toMatchObject({
          error: { code: 'bad-request', details: { limit: 'depth', max: 32 } },
        });
      }
      expect((await device.connect({ Status: 'Idle' })).status).toBe(200);
    });

    it('is read when it stays within the depth limit', async () => {
      expect((await signedPut('/mdm/demo/connect', nested(20))).status).toBe(200);
    });
  });

  describe('a body over 1 MB', () => {
    const big = Buffer.alloc(OVER_1_MB, 'a');
    const cases: Array<[string, string, string, Record<string, string>]> = [
      ['an Apple route', 'PUT', '/mdm/demo/connect', { 'content-type': CHECKIN }],
      ['an Android route', 'POST', '/android/demo/enroll', { 'content-type': 'application/json' }],
      ['an admin route', 'POST', '/admin/v1/templates', { 'content-type': 'application/json' }],
    ];

    it.each(cases)('gets 413 on %s, delivered before the connection closes', async (_name, method, path, headers) => {
      const r = await send(method, path, big, headers);
      expect(r.status).toBe(413);
      expect(r.json()).toMatchObject({ error: { code: 'payload-too-large' } });
    });

    it('gets 413 for a body of many megabytes too, and the server keeps serving', async () => {
      const r = await send('POST', '/admin/v1/templates', Buffer.alloc(8 * 1024 * 1024, 'a'), {
        'content-type': 'application/json',
      });
      expect(r.status).toBe(413);
      expect((await send('GET', '/admin/v1/dashboard')).status).toBe(200);
    });

    it('is logged as 413', async () => {
      const lines = await requestLogLines(async () => {
        expect((await send('POST', '/admin/v1/templates', big, { 'content-type': 'application/json' })).status).toBe(
          413,
        );
      });
      expect(lines.map((l) => l.status)).toEqual([413]);
    });
  });

  describe('over-long and malformed ids', () => {
    it.each([1100, 3000])(
      'answers a %i-character path id with 400 on every admin route that takes one',
      async (length) => {
        const id = 'd'.repeat(length);
        for (const [method, path] of [
          ['GET', `/admin/v1/devices/${id}`],
          ['GET', `/admin/v1/devices/${id}/commands`],
          ['GET', `/admin/v1/devices/${id}/diagnosis`],
          ['GET', `/admin/v1/devices/${id}/timeline`],
          ['PUT', `/admin/v1/devices/${id}/template`],
          ['POST', `/admin/v1/devices/${id}/commands`],
          ['GET', `/admin/v1/templates/${id}`],
          ['PUT', `/admin/v1/templates/${id}`],
          ['DELETE', `/admin/v1/templates/${id}`],
          ['GET', `/admin/v1/commands/${id}`],
          ['DELETE', `/admin/v1/api-keys/${id}`],
          ['POST', `/admin/v1/jobs/${id}/run`],
        ]) {
          const r = await send(method, path, method === 'GET' ? undefined : '{}', {
            'content-type': 'application/json',
          });
          expect({ method, status: r.status }).toEqual({ method, status: 400 });
          expect(r.json().error.message).toMatch(/^path parameter (id|job): /);
        }
      },
    );

    it('answers an id with characters outside the id alphabet with 400, and a well-formed unknown id with 404', async () => {
      expect((await send('GET', `/admin/v1/devices/${encodeURIComponent('a#DEVICE')}`)).status).toBe(400);
      expect((await send('GET', `/admin/v1/devices/${encodeURIComponent('a b')}`)).status).toBe(400);
      expect((await send('GET', '/admin/v1/devices/no-such-device')).status).toBe(404);
    });

    it('answers over-long ids in admin bodies and queries with 400', async () => {
      const long = 'd'.repeat(3000);
      expect(
        (
          await send('POST', '/admin/v1/commands', JSON.stringify({ type: 'Sync', deviceIds: [long] }), {
            'content-type': 'application/json',
          })
        ).status,
      ).toBe(400);
      expect((await send('GET', `/admin/v1/logs?deviceId=${long}`)).status).toBe(400);
    });

    it('answers a signed Authenticate with a 3,000-character UDID with 400, never 401 or 5xx', async () => {
      const body = Buffer.from(
        buildPlist({ MessageType: 'Authenticate', UDID: 'A'.repeat(3000), Topic: device.topic, SerialNumber: 'X1' }),
      );
      const r = await signedPut('/mdm/demo/checkin', body);
      expect(r.status).toBe(400);
      expect(r.text).toMatch(/UDID is not valid/);
      const report = Buffer.from(
        buildPlist({ UDID: device.udid, Status: 'Acknowledged', CommandUUID: 'c'.repeat(3000) }),
      );
      expect((await signedPut('/mdm/demo/connect', report)).status).toBe(400);
    });

    it('answers an Apple route with an over-long tenant with 400', async () => {
      const body = Buffer.from(buildPlist({ UDID: device.udid, Status: 'Idle' }));
      expect((await signedPut(`/mdm/${'t'.repeat(3000)}/connect`, body)).status).toBe(400);
    });

    it('answers an Android enrollment with a 3,000-character serial number with 400', async () => {
      const enrollment = await e.api('POST', '/admin/v1/enrollments', { platform: 'android' });
      expect(enrollment.status).toBe(201);
      const enroll = (serialNumber: string) =>
        send(
          'POST',
          '/android/demo/enroll',
          JSON.stringify({
            enrollmentToken: enrollment.body.token,
            serialNumber,
            model: 'Pixel 8',
            osVersion: '14',
            fcmToken: 'fcm-token',
          }),
          { 'content-type': 'application/json' },
        );
      const r = await enroll('S'.repeat(3000));
      expect(r.status).toBe(400);
      expect(r.json().error.message).toMatch(/^serialNumber: /);
      expect((await enroll('R58M12ABCDE')).status).toBe(201); // the token was not used up by the refusal
    });
  });

  describe('the request log', () => {
    it.each([
      ['404', 'GET', '/admin/v1/devices/no-such-device', undefined, 404],
      ['400', 'GET', `/admin/v1/devices/${'d'.repeat(3000)}`, undefined, 400],
      ['403', 'POST', '/admin/v1/templates', 'viewer', 403],
    ])('writes one line with the status sent (%s)', async (_name, method, path, as, status) => {
      const lines = await requestLogLines(async () => {
        const res = await fetch(`${e.local.url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${as === 'viewer' ? viewerKey : e.adminKey}`,
            'content-type': 'application/json',
          },
          body: method === 'POST' ? JSON.stringify({ name: 'x', items: [] }) : undefined,
        });
        expect(res.status).toBe(status);
      });
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 'info', method, status });
    });

    it('names the route template and leaves out a tenant that is not one', async () => {
      const body = Buffer.from(buildPlist({ UDID: device.udid, Status: 'Idle' }));
      const lines = await requestLogLines(async () => {
        expect((await signedPut(`/mdm/${'t'.repeat(3000)}/connect`, body)).status).toBe(400);
      });
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ route: '/mdm/{tenant}/connect', status: 400 });
      expect(lines[0].tenant).toBeUndefined();
    });
  });
});
