// FcmSender through the real firebase-admin against a local fake of Google's token endpoint and
// the FCM v1 send endpoint, over both of firebase-admin's transports.
import { Messaging } from 'firebase-admin/messaging';
import type { FakeServiceAccount } from '../../kit/fake-fcm';
import { ANSWERS, FakeFcm } from '../../kit/fake-fcm';
import type { FcmSenderOptions } from '../../lambdas/adapters/fcm/fcm-sender';
import { FCM_MAX_BATCH, FcmSender } from '../../lambdas/adapters/fcm/fcm-sender';
import { DomainError } from '../../lambdas/domain/errors';
import type { PushOutcome, PushTarget } from '../../lambdas/ports';
import { parseServiceAccount } from '../../lambdas/protocol/android/service-account';

const target = (n: number): PushTarget => ({ deviceId: `dev-${n}`, token: `fcm-token-${n}` });
const targets = (count: number) => Array.from({ length: count }, (_, i) => target(i + 1));

describe.each(['http2', 'http1'] as const)('FcmSender over %s', (transport) => {
  const fake = new FakeFcm();
  let route: ReturnType<FakeFcm['route']>;
  let account: FakeServiceAccount;
  let creds: Record<string, string | undefined>;
  const senders: FcmSender[] = [];

  const sender = (overrides: Partial<FcmSenderOptions> = {}) => {
    const s = new FcmSender({
      credentials: async (t) => creds[t],
      transport,
      httpAgent: route.httpAgent,
      ...overrides,
    });
    senders.push(s);
    return s;
  };

  beforeAll(async () => {
    await fake.start();
    route = fake.route();
    account = fake.serviceAccount('mdm-test');
  });
  afterAll(async () => {
    route.restore();
    await fake.stop();
  });
  beforeEach(() => {
    fake.reset();
    creds = { a: account.json };
  });
  afterEach(async () => {
    await Promise.all(senders.splice(0).map((s) => s.close()));
  });

  it('sends data-only messages with high Android priority to the tenant project', async () => {
    const result = await sender().send('a', targets(3));
    expect(result).toEqual(
      [1, 2, 3].map((n) => ({
        deviceId: `dev-${n}`,
        status: 'sent',
        messageId: expect.stringMatching(/^projects\/mdm-test\/messages\//),
      })),
    );
    expect(fake.messages).toHaveLength(3);
    for (const m of fake.messages) {
      expect(m.projectId).toBe('mdm-test');
      expect(m.message).toEqual({
        token: expect.stringMatching(/^fcm-token-\d$/),
        data: { type: 'sync' },
        android: { priority: 'high' },
      });
      expect(m.httpVersion).toBe(transport === 'http2' ? '2.0' : '1.1');
    }
    expect(fake.tokenRequests).toEqual([
      expect.objectContaining({
        clientEmail: account.clientEmail,
        scope: 'https://www.googleapis.com/auth/firebase.messaging',
      }),
    ]);
  });

  it('reuses the access token and app across calls', async () => {
    const s = sender();
    await s.send('a', [target(1)]);
    await s.send('a', [target(2)]);
    expect(fake.tokenRequests).toHaveLength(1);
    expect(new Set(fake.messages.map((m) => m.authorization)).size).toBe(1);
  });

  it('sends in chunks of at most 500', async () => {
    // A spy calls through: the real sendEach still runs.
    const spy = jest.spyOn(Messaging.prototype, 'sendEach');
    try {
      const result = (await sender().send('a', targets(1_201))) as PushOutcome[];
      expect(spy.mock.calls.map(([messages]) => messages.length)).toEqual([FCM_MAX_BATCH, FCM_MAX_BATCH, 201]);
      expect(result).toHaveLength(1_201);
      expect(result.every((o) => o.status === 'sent')).toBe(true);
      expect(fake.messages).toHaveLength(1_201);
    } finally {
      spy.mockRestore();
    }
  });

  it('maps each FCM error to an outcome', async () => {
    fake.failToken('fcm-token-1', ANSWERS.unregistered);
    fake.failToken('fcm-token-2', ANSWERS.invalidArgument);
    fake.failToken('fcm-token-3', ANSWERS.internal);
    fake.failToken('fcm-token-4', ANSWERS.senderIdMismatch);
    const result = await sender().send('a', targets(5));
    expect(result).toEqual([
      { deviceId: 'dev-1', status: 'dead-token', reason: 'messaging/registration-token-not-registered' },
      { deviceId: 'dev-2', status: 'dead-token', reason: 'messaging/invalid-argument' },
      { deviceId: 'dev-3', status: 'retry', reason: 'messaging/internal-error' },
      // Another project's token among working ones: that device, not the credential.
      { deviceId: 'dev-4', status: 'dead-token', reason: 'messaging/mismatched-credential' },
      expect.objectContaining({ deviceId: 'dev-5', status: 'sent' }),
    ]);
  });

  it('returns a credential error when every message is refused as another project', async () => {
    fake.answerAll(ANSWERS.senderIdMismatch);
    expect(await sender().send('a', targets(3))).toEqual({
      kind: 'credential',
      reason: expect.stringContaining('messaging/mismatched-credential'),
    });
  });

  it('returns a credential error when FCM rejects the access token', async () => {
    const s = sender();
    await s.send('a', [target(1)]);
    fake.revokeAccessTokens();
    expect(await s.send('a', [target(2)])).toEqual({
      kind: 'credential',
      reason: expect.stringContaining('messaging/third-party-auth-error'),
    });
  });

  it('returns a credential error when Google refuses the key, and none when nothing is uploaded', async () => {
    fake.refuseAllTokens();
    expect(await sender().send('a', [target(1)])).toEqual({
      kind: 'credential',
      reason: 'Google refused the service account: invalid_grant: Invalid JWT Signature.',
    });
    creds = {};
    expect(await sender().send('a', [target(1)])).toEqual({
      kind: 'credential',
      reason: 'no FCM service account uploaded',
    });
    expect(fake.messages).toHaveLength(0);
  });

  it('uses a new app when the tenant uploads a new service account', async () => {
    const s = sender();
    await s.send('a', [target(1)]);
    const other = fake.serviceAccount('other-project');
    creds.a = other.json;
    await s.send('a', [target(2)]);
    expect(fake.messages.map((m) => m.projectId)).toEqual(['mdm-test', 'other-project']);
    expect(fake.tokenRequests.map((t) => t.clientEmail)).toEqual([account.clientEmail, other.clientEmail]);
  });
});

describe('FcmSender without a reachable Google', () => {
  it("answers 'retry' when the token endpoint cannot be reached", async () => {
    const fake = new FakeFcm();
    await fake.start();
    const route = fake.route();
    const json = fake.serviceAccount().json;
    await fake.stop();
    const s = new FcmSender({ credentials: async () => json, httpAgent: route.httpAgent });
    try {
      expect(await s.send('a', [target(1)])).toEqual([
        { deviceId: 'dev-1', status: 'retry', reason: expect.stringContaining('token endpoint unreachable') },
      ]);
    } finally {
      await s.close();
      route.restore();
    }
  });
});

describe('parseServiceAccount', () => {
  const fake = new FakeFcm();
  const valid = JSON.parse(fake.serviceAccount('proj-1').json) as Record<string, unknown>;

  it('returns the project and client email of a valid key', () => {
    expect(parseServiceAccount(JSON.stringify(valid))).toEqual({
      projectId: 'proj-1',
      clientEmail: valid.client_email,
    });
  });

  it.each([
    ['not JSON', '{'],
    ['an array', '[]'],
    ['another credential type', JSON.stringify({ ...valid, type: 'authorized_user' })],
    ['no project_id', JSON.stringify({ ...valid, project_id: '' })],
    ['no client_email', JSON.stringify({ ...valid, client_email: undefined })],
    [
      'a broken private key',
      JSON.stringify({ ...valid, private_key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }),
    ],
  ])('rejects %s as unprocessable', (_, json) => {
    let error: unknown;
    try {
      parseServiceAccount(json);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('unprocessable');
  });
});
