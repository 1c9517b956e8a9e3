// ApnsSender against a real HTTP/2 + TLS fake of APNs that requires a client certificate.

import { FakeApns } from '../../kit/fake-apns';
import { pushCert, testCa } from '../../kit/tls';
import type { ApnsCredentials, ApnsSenderOptions } from '../../lambdas/adapters/apns/apns-sender';
import { ApnsSender } from '../../lambdas/adapters/apns/apns-sender';
import type { PushOutcome, PushTarget } from '../../lambdas/ports';

// The fake's certificates are issued for the real present, so the sender's clock is real too.
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const TOKEN = '1ba7c9000000000000000000000000000000000000000000000000000000042cc';
const target = (n: number | string, extra: Partial<PushTarget> = {}): PushTarget => ({
  deviceId: `dev-${n}`,
  token: typeof n === 'number' ? n.toString(16).padStart(64, '0') : n,
  magic: `magic-${n}`,
  ...extra,
});

describe('ApnsSender', () => {
  const fake = new FakeApns();
  const cert = pushCert({ name: 'tenant-a' });
  const senders: ApnsSender[] = [];
  let creds: Record<string, ApnsCredentials | undefined>;

  const sender = (overrides: Partial<ApnsSenderOptions> = {}) => {
    const s = new ApnsSender({
      origin: fake.origin,
      credentials: async (tenantId) => creds[tenantId],
      now: () => NOW,
      ca: testCa().certPem,
      maxRetries: 2,
      retryBaseMs: 5,
      ...overrides,
    });
    senders.push(s);
    return s;
  };

  beforeAll(async () => {
    await fake.start();
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(() => {
    fake.reset();
    creds = { a: cert };
  });
  afterEach(async () => {
    await Promise.all(senders.splice(0).map((s) => s.close()));
  });

  it('posts exactly the MDM push: path, headers and body', async () => {
    const result = await sender().send('a', [target(TOKEN, { magic: 'E3C1A0F2-PUSH-MAGIC' })]);
    expect(result).toEqual([
      { deviceId: `dev-${TOKEN}`, status: 'sent', messageId: expect.stringMatching(/^[0-9A-F-]{36}$/) },
    ]);
    expect(fake.pushes).toHaveLength(1);
    const push = fake.pushes[0];
    expect(push.method).toBe('POST');
    expect(push.path).toBe(`/3/device/${TOKEN}`);
    expect(push.body).toBe('{"mdm":"E3C1A0F2-PUSH-MAGIC"}');
    expect(push.headers).toMatchObject({
      'apns-push-type': 'mdm',
      'apns-topic': cert.topic,
      'apns-priority': '10',
      'apns-expiration': String(Math.floor(NOW.getTime() / 1000) + 86_400),
      'content-type': 'application/json',
    });
    expect(push.clientTopic).toBe(cert.topic);
    expect((result as PushOutcome[])[0]).toMatchObject({ messageId: expect.any(String) });
  });

  it('reuses one connection across calls and sends a batch concurrently over it', async () => {
    const slow = new FakeApns({ latencyMs: 40 });
    await slow.start();
    try {
      const s = sender({ origin: slow.origin, concurrency: 20 });
      const first = await s.send(
        'a',
        Array.from({ length: 60 }, (_, i) => target(i + 1)),
      );
      const second = await s.send('a', [target(999)]);
      expect((first as PushOutcome[]).every((o) => o.status === 'sent')).toBe(true);
      expect(second).toEqual([expect.objectContaining({ status: 'sent' })]);
      expect(slow.sessions).toBe(1);
      expect(slow.maxConcurrent).toBeGreaterThan(1);
      expect(slow.maxConcurrent).toBeLessThanOrEqual(20);
      expect(new Set(slow.pushes.map((p) => p.session))).toEqual(new Set([1]));
    } finally {
      await slow.stop();
    }
  });

  it('opens a new connection for a new certificate, and one per tenant', async () => {
    const s = sender();
    await s.send('a', [target(1)]);
    creds.b = pushCert({ name: 'tenant-b' });
    await s.send('b', [target(2)]);
    creds.a = pushCert({ name: 'tenant-a-renewed' });
    await s.send('a', [target(3)]);
    await s.send('a', [target(4)]);
    expect(fake.sessions).toBe(3);
    expect(fake.pushes.map((p) => p.clientTopic)).toEqual([cert.topic, creds.b.topic, creds.a.topic, creds.a.topic]);
  });

  it('reconnects after the server sends GOAWAY', async () => {
    const s = sender();
    await s.send('a', [target(1)]);
    // No pause: the GOAWAY frame precedes, on the same connection, any refusal of a stream sent
    // meanwhile, so the sender has dropped the connection before it retries.
    fake.goAwayAll();
    expect(await s.send('a', [target(2)])).toEqual([expect.objectContaining({ status: 'sent' })]);
    expect(fake.sessions).toBe(2);
  });

  it('maps each APNs answer to an outcome', async () => {
    fake.always(target(1).token, { status: 410, reason: 'Unregistered', timestamp: NOW.getTime() });
    fake.always(target(2).token, { status: 410, reason: 'ExpiredToken' });
    fake.always(target(3).token, { status: 400, reason: 'BadDeviceToken' });
    fake.always(target(4).token, { status: 400, reason: 'DeviceTokenNotForTopic' });
    fake.always(target(5).token, { status: 400, reason: 'BadTopic' });
    fake.always(target(6).token, { status: 413, reason: 'PayloadTooLarge' });
    const result = await sender().send(
      'a',
      [1, 2, 3, 4, 5, 6, 7].map((n) => target(n)),
    );
    expect(result).toEqual([
      { deviceId: 'dev-1', status: 'dead-token', reason: 'Unregistered' },
      { deviceId: 'dev-2', status: 'dead-token', reason: 'ExpiredToken' },
      { deviceId: 'dev-3', status: 'dead-token', reason: 'BadDeviceToken' },
      { deviceId: 'dev-4', status: 'dead-token', reason: 'DeviceTokenNotForTopic' },
      { deviceId: 'dev-5', status: 'failed', reason: '400 BadTopic' },
      { deviceId: 'dev-6', status: 'failed', reason: '413 PayloadTooLarge' },
      { deviceId: 'dev-7', status: 'sent', messageId: expect.any(String) },
    ]);
  });

  it('retries 429/500/503 with backoff and succeeds when APNs recovers', async () => {
    fake.script(
      target(1).token,
      { status: 500, reason: 'InternalServerError' },
      { status: 429, reason: 'TooManyRequests' },
    );
    fake.script(target(2).token, { status: 503, reason: 'Shutdown' });
    const result = await sender().send('a', [target(1), target(2)]);
    expect(result).toEqual([expect.objectContaining({ status: 'sent' }), expect.objectContaining({ status: 'sent' })]);
    expect(fake.pushes.filter((p) => p.token === target(1).token).map((p) => p.status)).toEqual([500, 429, 200]);
  });

  it("answers 'retry' once the retries run out", async () => {
    fake.always(target(1).token, { status: 503, reason: 'ServiceUnavailable' });
    const result = await sender({ maxRetries: 2 }).send('a', [target(1), target(2)]);
    expect(result).toEqual([
      { deviceId: 'dev-1', status: 'retry', reason: '503 ServiceUnavailable' },
      expect.objectContaining({ deviceId: 'dev-2', status: 'sent' }),
    ]);
    expect(fake.pushes.filter((p) => p.token === target(1).token)).toHaveLength(3);
  });

  it('returns a credential error for the whole call on 403 and stops sending', async () => {
    fake.answerAll({ status: 403, reason: 'BadCertificate' });
    const targets = Array.from({ length: 50 }, (_, i) => target(i + 1));
    const result = await sender({ concurrency: 2 }).send('a', targets);
    expect(result).toEqual({ kind: 'credential', reason: 'APNs refused the push certificate: BadCertificate' });
    expect(fake.pushes.length).toBeLessThanOrEqual(2);
  });

  it('returns a credential error when the TLS handshake refuses the certificate', async () => {
    creds.a = pushCert({ name: 'not-apple', untrusted: true });
    const result = await sender().send('a', [target(1), target(2)]);
    expect(result).toEqual({
      kind: 'credential',
      reason: expect.stringContaining('TLS handshake refused the push certificate'),
    });
    expect(fake.pushes).toHaveLength(0);
  });

  it('returns a credential error without connecting when nothing is uploaded, the key does not match, or it expired', async () => {
    creds = {
      none: undefined,
      mismatch: { ...cert, keyPem: pushCert({ name: 'tenant-b' }).keyPem },
      expired: pushCert({ name: 'expired', notAfter: new Date(NOW.getTime() - 1000) }),
    };
    const s = sender();
    expect(await s.send('none', [target(1)])).toEqual({ kind: 'credential', reason: 'no APNs certificate uploaded' });
    expect(await s.send('mismatch', [target(1)])).toEqual({
      kind: 'credential',
      reason: expect.stringContaining('unusable'),
    });
    expect(await s.send('expired', [target(1)])).toEqual({
      kind: 'credential',
      reason: expect.stringMatching(/^the APNs certificate expired on /),
    });
    expect(fake.sessions).toBe(0);
  });

  it('does not send malformed addressing and fails instead of killing the device', async () => {
    const result = await sender().send('a', [
      { deviceId: 'b64', token: 'G6fJAA==', magic: 'm' },
      { deviceId: 'nomagic', token: 'abcd' },
    ]);
    expect(result).toEqual([
      { deviceId: 'b64', status: 'failed', reason: 'token is not hex' },
      { deviceId: 'nomagic', status: 'failed', reason: 'no PushMagic' },
    ]);
    expect(fake.pushes).toHaveLength(0);
  });

  it('verifies the server: an untrusted APNs endpoint is never sent to', async () => {
    // Node's trust store (no test CA): the fake's certificate is refused, so the push is retried later.
    const result = await sender({ ca: undefined, maxRetries: 0 }).send('a', [target(1)]);
    expect(result).toEqual([{ deviceId: 'dev-1', status: 'retry', reason: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }]);
    expect(fake.pushes).toHaveLength(0);
  });

  it('lets a simulator watch accepted pushes', async () => {
    const seen: string[] = [];
    const off = fake.onPush((p) => seen.push(JSON.parse(p.body).mdm));
    await sender().send('a', [target(1), target(2)]);
    off();
    expect(seen.sort()).toEqual(['magic-1', 'magic-2']);
  });
});
