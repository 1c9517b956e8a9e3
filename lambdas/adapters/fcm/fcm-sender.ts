// FCM pushes with firebase-admin: one Firebase app per tenant and service account, data-only
// messages with high Android priority (the agent wakes and calls /connect; no notification shown).
import { createHash } from 'node:crypto';
import type { Agent } from 'node:https';
import type * as FirebaseApp from 'firebase-admin/app';
import type { App } from 'firebase-admin/app';
import type * as FirebaseMessaging from 'firebase-admin/messaging';
import type { Messaging, TokenMessage } from 'firebase-admin/messaging';
import { DomainError } from '../../domain/errors';
import type { PushCredentialError, PushOutcome, PushSender, PushTarget } from '../../ports';
import { readServiceAccount } from '../../protocol/android/service-account';
import { ServiceAccountCredential, TokenError } from './service-account';

/** sendEach accepts at most 500 messages. */
export const FCM_MAX_BATCH = 500;

export interface FcmSenderOptions {
  /** The tenant's service-account JSON, as uploaded. */
  credentials: (tenantId: string) => Promise<string | undefined>;
  /**
   * firebase-admin sends over HTTP/2 by default; 'http1' uses its legacy transport, which goes
   * through `httpAgent` (a proxy, or a test's route to a local fake).
   */
  transport?: 'http2' | 'http1';
  /** Agent for the token request and the HTTP/1.1 transport. Default: Node's global agent. */
  httpAgent?: Agent;
  /** Messages per sendEach call (max 500). */
  batchSize?: number;
}

const DEAD = new Set([
  'messaging/registration-token-not-registered',
  'messaging/invalid-registration-token',
  'messaging/invalid-argument',
]);
const CREDENTIAL = new Set([
  'messaging/authentication-error',
  'app/invalid-credential',
  'messaging/third-party-auth-error',
  'messaging/mismatched-credential',
]);
const RETRY = new Set([
  'messaging/server-unavailable',
  'messaging/internal-error',
  'messaging/unknown-error',
  'messaging/message-rate-exceeded',
  'messaging/device-message-rate-exceeded',
  'app/network-error',
  'app/network-timeout',
]);

interface TenantApp {
  fingerprint: string;
  app: App;
  messaging: Messaging;
  credential: ServiceAccountCredential;
}

let firebase: Promise<[typeof FirebaseApp, typeof FirebaseMessaging]> | undefined;
/** firebase-admin (with google-auth-library, ~0.3 MB) loads at the first FCM push: most pushes go to APNs. */
const loadFirebase = () => {
  firebase ??= Promise.all([import('firebase-admin/app'), import('firebase-admin/messaging')]);
  return firebase;
};

/** firebase-admin app names are process-global: keep each sender's apart. */
let instances = 0;

export class FcmSender implements PushSender {
  private readonly instance = ++instances;
  private readonly apps = new Map<string, TenantApp>();
  private readonly batchSize: number;

  constructor(private readonly options: FcmSenderOptions) {
    this.batchSize = Math.min(FCM_MAX_BATCH, Math.max(1, options.batchSize ?? FCM_MAX_BATCH));
  }

  async send(tenantId: string, targets: PushTarget[]): Promise<PushOutcome[] | PushCredentialError> {
    const json = await this.options.credentials(tenantId);
    if (!json) return credential('no FCM service account uploaded');
    let tenant: TenantApp;
    try {
      tenant = await this.appFor(tenantId, json);
    } catch (err) {
      if (err instanceof DomainError) return credential(err.message);
      throw err;
    }
    // Fetch (or reuse) the token first: a refused key is a credential error for the whole call,
    // an unreachable token endpoint is a retry. firebase-admin would report both the same way.
    try {
      await tenant.credential.getAccessToken();
    } catch (err) {
      if (err instanceof TokenError && err.transient)
        return targets.map((t) => ({ deviceId: t.deviceId, status: 'retry', reason: err.message }));
      return credential((err as Error).message);
    }

    const outcomes: PushOutcome[] = [];
    for (let i = 0; i < targets.length; i += this.batchSize) {
      const chunk = targets.slice(i, i + this.batchSize);
      const result = await this.sendChunk(tenant.messaging, chunk);
      if ('kind' in result) return result;
      outcomes.push(...result);
    }
    return outcomes;
  }

  /** Deletes every Firebase app (tests, local-mode shutdown). */
  async close(): Promise<void> {
    const apps = [...this.apps.values()];
    this.apps.clear();
    if (!apps.length) return;
    const [{ deleteApp }] = await loadFirebase();
    await Promise.all(apps.map((a) => deleteApp(a.app).catch(() => undefined)));
  }

  private async sendChunk(messaging: Messaging, chunk: PushTarget[]): Promise<PushOutcome[] | PushCredentialError> {
    const messages: TokenMessage[] = chunk.map((t) => ({
      token: t.token,
      // Data-only: the agent handles it silently, even in the background.
      data: { type: 'sync' },
      android: { priority: 'high' },
    }));
    let batch;
    try {
      batch = await messaging.sendEach(messages);
    } catch (err) {
      // A session-level failure (connection refused, GOAWAY): nothing in the chunk is known sent.
      const code = (err as { code?: string }).code ?? '';
      if (CREDENTIAL.has(code)) return credential((err as Error).message);
      return chunk.map((t) => ({ deviceId: t.deviceId, status: 'retry', reason: code || (err as Error).message }));
    }
    const anySent = batch.successCount > 0;
    const outcomes: PushOutcome[] = [];
    for (let j = 0; j < chunk.length; j++) {
      const { deviceId } = chunk[j];
      const r = batch.responses[j];
      if (r.success) {
        outcomes.push({ deviceId, status: 'sent', messageId: r.messageId });
        continue;
      }
      const code = r.error?.code ?? 'unknown';
      const message = r.error?.message ?? code;
      if (DEAD.has(code)) outcomes.push({ deviceId, status: 'dead-token', reason: code });
      // SENDER_ID_MISMATCH for one token while others went through: that token belongs to another
      // Firebase project (a stale install), not a bad tenant credential.
      else if (code === 'messaging/mismatched-credential' && anySent)
        outcomes.push({ deviceId, status: 'dead-token', reason: code });
      else if (CREDENTIAL.has(code)) return credential(`FCM refused the service account (${code}): ${message}`);
      else if (RETRY.has(code)) outcomes.push({ deviceId, status: 'retry', reason: code });
      else outcomes.push({ deviceId, status: 'failed', reason: `${code}: ${message}` });
    }
    return outcomes;
  }

  /** The tenant's Firebase app for this service account; a new upload gets a new app. */
  private async appFor(tenantId: string, json: string): Promise<TenantApp> {
    const fingerprint = createHash('sha256').update(json).digest('hex').slice(0, 16);
    const existing = this.apps.get(tenantId);
    if (existing?.fingerprint === fingerprint) return existing;
    const account = readServiceAccount(json);
    const [{ deleteApp, initializeApp }, { getMessaging }] = await loadFirebase();
    // Another send for this tenant may have built the app while this one waited for the module.
    const built = this.apps.get(tenantId);
    if (built?.fingerprint === fingerprint) return built;
    if (built) {
      this.apps.delete(tenantId);
      void deleteApp(built.app).catch(() => undefined);
    }
    const credential = new ServiceAccountCredential(account, this.options.httpAgent);
    const app = initializeApp(
      {
        credential,
        projectId: account.projectId,
        ...(this.options.httpAgent ? { httpAgent: this.options.httpAgent } : {}),
      },
      `fcm:${this.instance}:${tenantId}:${fingerprint}`,
    );
    const messaging = getMessaging(app);
    if (this.options.transport === 'http1') messaging.enableLegacyHttpTransport();
    const tenant: TenantApp = { fingerprint, app, messaging, credential };
    this.apps.set(tenantId, tenant);
    return tenant;
  }
}

const credential = (reason: string): PushCredentialError => ({ kind: 'credential', reason });
