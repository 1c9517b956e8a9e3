// APNs for MDM over node:http2 with the tenant's push certificate (docs/protocol.md §APNs push: the apns2
// package is JWT-only and always adds an `aps` key, so it cannot send MDM pushes).
//
// One HTTP/2 session per tenant and certificate, kept on the instance (the wiring holds the sender
// at module scope, so a warm Lambda container reuses its connections) and replaced after GOAWAY,
// close or error. The server is verified against Node's trust store; a test or relay CA is added
// with NODE_EXTRA_CA_CERTS at process start (docs/protocol.md §APNs push). `ca` exists only for in-process tests.
import { createHash, X509Certificate } from 'node:crypto';
import http2 from 'node:http2';
import type { PushCredentialError, PushOutcome, PushSender, PushTarget } from '../../ports';

export const DEFAULT_APNS_ORIGIN = 'https://api.push.apple.com';

export interface ApnsCredentials {
  certPem: string;
  keyPem: string;
  /** The certificate's UID: com.apple.mgmt.External.<uuid>. */
  topic: string;
}

export interface ApnsSenderOptions {
  /** APNS_ORIGIN; default https://api.push.apple.com. */
  origin?: string;
  credentials: (tenantId: string) => Promise<ApnsCredentials | undefined>;
  now: () => Date;
  /** Retries of a 429/500/503 or a broken stream before answering 'retry' (default 3). */
  maxRetries?: number;
  /** First backoff; doubles per retry (default 250 ms). */
  retryBaseMs?: number;
  /** Streams in flight per call (APNs allows many per connection; default 100). */
  concurrency?: number;
  /** Per-request timeout (default 10 s). */
  requestTimeoutMs?: number;
  /**
   * Tests only: trust this CA instead of Node's store. Production never sets it and adds a
   * relay's CA with NODE_EXTRA_CA_CERTS, so TLS verification is never weakened.
   */
  ca?: string;
}

/** APNs reasons that mean "this token is no longer good for this topic". */
const DEAD_400 = new Set(['BadDeviceToken', 'DeviceTokenNotForTopic']);
const RETRY_STATUS = new Set([429, 500, 503]);
/**
 * TLS alerts a server sends when it refuses our client certificate (unknown CA, revoked, expired,
 * missing). OpenSSL surfaces them as ERR_SSL_{SSLV3,TLSV1,TLSV13}_ALERT_<name>.
 */
const CLIENT_CERT_ALERT =
  /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_(?:BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_\w+|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED|HANDSHAKE_FAILURE|DECRYPT_ERROR)$/;
/** Local problems with the uploaded certificate or key (unparseable, key does not match). */
const LOCAL_CREDENTIAL_ERROR = /^ERR_OSSL_|^ERR_SSL_|^ERR_CRYPTO_/;

type Attempt =
  | { kind: 'response'; status: number; reason?: string; apnsId?: string }
  | { kind: 'error'; error: NodeJS.ErrnoException };

class CredentialFailure extends Error {}

interface Connection {
  fingerprint: string;
  session: http2.ClientHttp2Session;
  /** Set by the session's 'error' event: stream errors alone often hide a TLS alert. */
  error?: NodeJS.ErrnoException;
  /** TLS handshake done (our side). */
  secure: boolean;
  /** The server's HTTP/2 SETTINGS arrived: it accepted the connection. */
  settled: boolean;
  /** Closed after our handshake but before the server's SETTINGS: see REFUSED_AFTER_HANDSHAKE. */
  refused: boolean;
}

/**
 * With TLS 1.3 the client finishes its handshake before the server checks the client certificate,
 * and a server may then just close the socket instead of sending an alert (Node's own TLS servers
 * do). A server that accepted us must send its HTTP/2 SETTINGS first, so "closed after the
 * handshake, before SETTINGS" means refused. A network blip can look the same once, so this counts
 * as a credential failure only when every attempt ends this way.
 */
const REFUSED_AFTER_HANDSHAKE = 'EAPNS_REFUSED_AFTER_HANDSHAKE';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ApnsSender implements PushSender {
  private readonly origin: string;
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;
  private readonly concurrency: number;
  private readonly timeoutMs: number;
  private readonly connections = new Map<string, Connection>();

  constructor(private readonly options: ApnsSenderOptions) {
    this.origin = options.origin ?? DEFAULT_APNS_ORIGIN;
    this.maxRetries = options.maxRetries ?? 3;
    this.retryBaseMs = options.retryBaseMs ?? 250;
    this.concurrency = Math.max(1, options.concurrency ?? 100);
    this.timeoutMs = options.requestTimeoutMs ?? 10_000;
  }

  async send(tenantId: string, targets: PushTarget[]): Promise<PushOutcome[] | PushCredentialError> {
    const creds = await this.options.credentials(tenantId);
    if (!creds) return credential('no APNs certificate uploaded');
    const problem = this.checkCertificate(creds);
    if (problem) return credential(problem);

    const outcomes: PushOutcome[] = new Array(targets.length);
    let next = 0;
    let failure: CredentialFailure | undefined;
    const worker = async () => {
      // A credential failure stops new sends; streams already in flight finish.
      while (!failure && next < targets.length) {
        const i = next++;
        try {
          outcomes[i] = await this.sendOne(tenantId, creds, targets[i]);
        } catch (err) {
          if (err instanceof CredentialFailure) failure ??= err;
          else throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, targets.length) }, worker));
    if (failure) {
      // The certificate is refused: don't keep a session that can only fail.
      this.drop(tenantId);
      return credential(failure.message);
    }
    return outcomes;
  }

  /** Closes every session (tests, local-mode shutdown). */
  async close(): Promise<void> {
    const sessions = [...this.connections.values()].map((c) => c.session);
    this.connections.clear();
    await Promise.all(
      sessions.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.closed || s.destroyed) return resolve();
            s.close(() => resolve());
          }),
      ),
    );
  }

  /** Catches what can be known without connecting: unreadable, expired or topic-less certificates. */
  private checkCertificate(creds: ApnsCredentials): string | undefined {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(creds.certPem);
    } catch {
      return 'the APNs certificate cannot be read';
    }
    const now = this.options.now().getTime();
    if (Date.parse(cert.validTo) < now)
      return `the APNs certificate expired on ${new Date(cert.validTo).toISOString()}`;
    if (Date.parse(cert.validFrom) > now) return 'the APNs certificate is not valid yet';
    if (!creds.topic) return 'the APNs certificate has no topic';
    return undefined;
  }

  private async sendOne(tenantId: string, creds: ApnsCredentials, target: PushTarget): Promise<PushOutcome> {
    const { deviceId } = target;
    const token = target.token.toLowerCase();
    // Malformed addressing is our bug (e.g. base64 instead of hex): don't send, don't kill the device.
    if (!/^[0-9a-f]+$/.test(token)) return { deviceId, status: 'failed', reason: 'token is not hex' };
    if (!target.magic) return { deviceId, status: 'failed', reason: 'no PushMagic' };
    const body = JSON.stringify({ mdm: target.magic });

    let last = '';
    let refusals = 0;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await sleep(this.retryBaseMs * 2 ** (attempt - 1));
      const result = await this.post(tenantId, creds, token, body);
      if (result.kind === 'error') {
        last = result.error.code ?? result.error.message;
        if (last === REFUSED_AFTER_HANDSHAKE && ++refusals > this.maxRetries) {
          throw new CredentialFailure(
            'the TLS handshake refused the push certificate (APNs closed every connection before answering)',
          );
        }
      } else {
        const { status, reason = '' } = result;
        if (status === 200) return { deviceId, status: 'sent', messageId: result.apnsId };
        if (status === 403) throw new CredentialFailure(`APNs refused the push certificate: ${reason || 'Forbidden'}`);
        if (status === 410) return { deviceId, status: 'dead-token', reason: reason || 'Unregistered' };
        if (status === 400 && DEAD_400.has(reason)) return { deviceId, status: 'dead-token', reason };
        if (!RETRY_STATUS.has(status)) return { deviceId, status: 'failed', reason: `${status} ${reason}`.trim() };
        last = `${status} ${reason}`.trim();
        // Shutdown means this connection is going away: retry on a new one.
        if (status === 503) this.drop(tenantId);
      }
      if (attempt >= this.maxRetries) return { deviceId, status: 'retry', reason: last };
    }
  }

  private post(tenantId: string, creds: ApnsCredentials, token: string, body: string): Promise<Attempt> {
    let conn: Connection;
    try {
      conn = this.connection(tenantId, creds);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      // createSecureContext throws at once on a bad PEM or a key that doesn't match the certificate.
      if (LOCAL_CREDENTIAL_ERROR.test(e.code ?? ''))
        throw new CredentialFailure(`the APNs certificate or key is unusable: ${e.message}`);
      return Promise.resolve({ kind: 'error', error: e });
    }
    const now = this.options.now().getTime();
    return new Promise<Attempt>((resolve, reject) => {
      let settled = false;
      let status = 0;
      let apnsId: string | undefined;
      const chunks: Buffer[] = [];
      const settleError = (error: NodeJS.ErrnoException) => {
        if (settled) return;
        settled = true;
        // Let the session report its TLS alert first: a refused certificate surfaces there.
        setImmediate(() => {
          const cause =
            conn.error && CLIENT_CERT_ALERT.test(conn.error.code ?? '')
              ? conn.error
              : CLIENT_CERT_ALERT.test(error.code ?? '')
                ? error
                : undefined;
          if (cause) reject(new CredentialFailure(`the TLS handshake refused the push certificate (${cause.code})`));
          else if (conn.refused)
            resolve({
              kind: 'error',
              error: Object.assign(new Error('APNs closed the connection after the TLS handshake'), {
                code: REFUSED_AFTER_HANDSHAKE,
              }),
            });
          else resolve({ kind: 'error', error: conn.error ?? error });
        });
      };
      let req: http2.ClientHttp2Stream;
      try {
        req = conn.session.request({
          ':method': 'POST',
          ':path': `/3/device/${token}`,
          'apns-push-type': 'mdm',
          'apns-topic': creds.topic,
          'apns-priority': '10',
          'apns-expiration': String(Math.floor(now / 1000) + 24 * 3600),
          'content-type': 'application/json',
        });
      } catch (err) {
        this.forget(tenantId, conn);
        settleError(err as NodeJS.ErrnoException);
        return;
      }
      req.setTimeout(this.timeoutMs, () => {
        settleError(Object.assign(new Error('APNs request timed out'), { code: 'ETIMEDOUT' }));
        req.close(http2.constants.NGHTTP2_CANCEL);
      });
      req.on('response', (headers) => {
        status = Number(headers[':status']);
        const id = headers['apns-id'];
        apnsId = Array.isArray(id) ? id[0] : id;
      });
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (settled || status === 0) return;
        settled = true;
        let reason: string | undefined;
        if (chunks.length) {
          try {
            reason = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { reason?: string }).reason;
          } catch {
            reason = undefined;
          }
        }
        resolve({ kind: 'response', status, reason, apnsId });
      });
      req.on('error', (err: NodeJS.ErrnoException) => settleError(err));
      req.on('close', () => {
        if (!settled)
          settleError(
            Object.assign(new Error(`stream closed (code ${req.rstCode})`), { code: 'ERR_HTTP2_STREAM_CLOSED' }),
          );
      });
      req.end(body);
    });
  }

  /** The tenant's open session for this certificate, or a new one. */
  private connection(tenantId: string, creds: ApnsCredentials): Connection {
    const fingerprint = createHash('sha256').update(creds.certPem).digest('hex');
    const existing = this.connections.get(tenantId);
    if (existing) {
      const s = existing.session;
      if (existing.fingerprint === fingerprint && !s.closed && !s.destroyed && !existing.error) return existing;
      // A new certificate (renewal) or a dead connection: start over.
      this.drop(tenantId);
    }
    const session = http2.connect(this.origin, {
      key: creds.keyPem,
      cert: creds.certPem,
      ...(this.options.ca ? { ca: this.options.ca } : {}),
    });
    const conn: Connection = { fingerprint, session, secure: false, settled: false, refused: false };
    session.once('connect', () => (conn.secure = true));
    session.once('remoteSettings', () => (conn.settled = true));
    session.socket.once('close', () => (conn.refused = conn.secure && !conn.settled));
    session.on('error', (err: NodeJS.ErrnoException) => {
      conn.error = err;
      this.forget(tenantId, conn);
    });
    // After GOAWAY the session serves its open streams only; new pushes take a new one.
    session.on('goaway', () => this.forget(tenantId, conn));
    session.on('close', () => this.forget(tenantId, conn));
    this.connections.set(tenantId, conn);
    return conn;
  }

  private forget(tenantId: string, conn: Connection): void {
    if (this.connections.get(tenantId) === conn) this.connections.delete(tenantId);
  }

  private drop(tenantId: string): void {
    const conn = this.connections.get(tenantId);
    if (!conn) return;
    this.connections.delete(tenantId);
    if (!conn.session.closed && !conn.session.destroyed) conn.session.close();
  }
}

const credential = (reason: string): PushCredentialError => ({ kind: 'credential', reason });
