// A local stand-in for APNs: real HTTP/2 over TLS on 127.0.0.1, requiring a client certificate
// signed by the fake Apple CA, as api.push.apple.com requires Apple-issued push certificates.
// Tests script answers per token or for everything; a fleet simulator can watch pushes with onPush.
import { randomUUID, X509Certificate } from 'node:crypto';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { fakeAppleCa, serverCert, testCa } from './tls';

export interface ApnsAnswer {
  status: number;
  /** APNs error reason, e.g. Unregistered, BadDeviceToken, BadCertificate. */
  reason?: string;
  /** For 410: when the token stopped being valid (ms since epoch). */
  timestamp?: number;
  /** Delay before answering. */
  delayMs?: number;
}

export interface RecordedPush {
  token: string;
  path: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  clientCertSubject: string;
  /** The UID of the client certificate's subject (the push topic). */
  clientTopic?: string;
  /** Which TLS session (connection) carried it, numbered from 1. */
  session: number;
  status: number;
  reason?: string;
  /** The apns-id the fake answered with (what the sender records as the message id). */
  apnsId: string;
  at: Date;
}

export interface FakeApnsOptions {
  /** CA that client certificates must chain to (default: the fake Apple CA). */
  clientCa?: string;
  /** Delay before every answer, so concurrent streams overlap. */
  latencyMs?: number;
  /** Port to listen on (default: any free one). */
  port?: number;
  /** The server's certificate and key (default: serverCert(), signed by testCa()). */
  serverTls?: { certPem: string; keyPem: string };
}

const SENSITIVE = new Set([':authority', ':scheme']);

export class FakeApns {
  readonly pushes: RecordedPush[] = [];
  /** TLS connections accepted (HTTP/2 sessions). */
  sessions = 0;
  /** Most streams in flight at once. */
  maxConcurrent = 0;
  private inFlight = 0;
  private server?: http2.Http2SecureServer;
  private readonly live = new Set<http2.ServerHttp2Session>();
  private readonly scripts = new Map<string, ApnsAnswer[]>();
  private readonly sticky = new Map<string, ApnsAnswer>();
  private everything?: ApnsAnswer;
  private readonly listeners = new Set<(push: RecordedPush) => void>();
  private url = '';

  constructor(private readonly options: FakeApnsOptions = {}) {}

  /** The origin to give the sender (APNS_ORIGIN), e.g. https://127.0.0.1:51234. */
  get origin(): string {
    if (!this.url) throw new Error('FakeApns not started');
    return this.url;
  }

  /** The CA that signed the fake's server certificate (what a client must trust). */
  get serverCa(): string {
    return testCa().certPem;
  }

  async start(): Promise<string> {
    const { certPem, keyPem } = this.options.serverTls ?? serverCert();
    const server = http2.createSecureServer({
      key: keyPem,
      cert: certPem,
      ca: this.options.clientCa ?? fakeAppleCa().certPem,
      requestCert: true,
      rejectUnauthorized: true,
    });
    let sessionNo = 0;
    server.on('session', (session) => {
      this.sessions++;
      this.live.add(session);
      (session as { fakeNo?: number }).fakeNo = ++sessionNo;
      session.on('close', () => this.live.delete(session));
      session.on('error', () => undefined);
    });
    // A refused client certificate is normal in tests; keep it off stderr.
    server.on('tlsClientError', () => undefined);
    server.on('stream', (stream, headers) => void this.handle(stream, headers));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, '127.0.0.1', resolve);
    });
    this.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const s of this.live) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Answers the next pushes to `token` with these, one per push, then 200 again. */
  script(token: string, ...answers: ApnsAnswer[]): void {
    this.scripts.set(token, [...(this.scripts.get(token) ?? []), ...answers]);
  }

  /** Answers every push to `token` with this (e.g. 410 Unregistered); undefined to stop. */
  always(token: string, answer: ApnsAnswer | undefined): void {
    if (answer) this.sticky.set(token, answer);
    else this.sticky.delete(token);
  }

  /** Answers every push with this (e.g. 403 BadCertificate: a revoked certificate); undefined to stop. */
  answerAll(answer: ApnsAnswer | undefined): void {
    this.everything = answer;
  }

  /** Watches accepted pushes (a fleet simulator wakes its devices here); returns an unsubscribe. */
  onPush(cb: (push: RecordedPush) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Sends GOAWAY on every open connection, as APNs does when it recycles connections. */
  goAwayAll(): void {
    for (const s of this.live) s.goaway(http2.constants.NGHTTP2_NO_ERROR);
  }

  reset(): void {
    this.pushes.length = 0;
    this.scripts.clear();
    this.sticky.clear();
    this.everything = undefined;
    this.sessions = 0;
    this.maxConcurrent = 0;
  }

  private async handle(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): Promise<void> {
    this.inFlight++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.inFlight);
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString('utf8');
      const path = String(headers[':path'] ?? '');
      const method = String(headers[':method'] ?? '');
      const token = path.startsWith('/3/device/') ? path.slice('/3/device/'.length) : '';
      const socket = stream.session?.socket as TLSSocket | undefined;
      const peer = socket?.getPeerX509Certificate?.();
      const clientCertSubject = peer ? new X509Certificate(peer.raw).subject : '';
      const clientTopic = /^UID=(.*)$/m.exec(clientCertSubject)?.[1];
      const answer = this.decide(token, method, path, headers, body, clientTopic);
      const delay = answer.delayMs ?? this.options.latencyMs ?? 0;
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));

      const apnsId = randomUUID().toUpperCase();
      const recorded: RecordedPush = {
        token,
        path,
        method,
        body,
        clientCertSubject,
        clientTopic,
        headers: Object.fromEntries(
          Object.entries(headers)
            .filter(([k]) => !SENSITIVE.has(k))
            .map(([k, v]) => [k, String(v)]),
        ),
        session: (stream.session as { fakeNo?: number } | undefined)?.fakeNo ?? 0,
        status: answer.status,
        reason: answer.reason,
        apnsId,
        at: new Date(),
      };
      this.pushes.push(recorded);
      if (stream.destroyed) return;
      stream.respond({
        ':status': answer.status,
        'apns-id': apnsId,
        ...(answer.status === 200 ? {} : { 'content-type': 'application/json' }),
      });
      if (answer.status === 200) stream.end();
      else
        stream.end(
          JSON.stringify({ reason: answer.reason, ...(answer.timestamp ? { timestamp: answer.timestamp } : {}) }),
        );
      if (answer.status === 200) for (const cb of this.listeners) cb(recorded);
    } catch {
      // The client went away mid-request; nothing to answer.
    } finally {
      this.inFlight--;
    }
  }

  /** Scripted answers first, then the checks APNs itself makes, then 200. */
  private decide(
    token: string,
    method: string,
    path: string,
    headers: http2.IncomingHttpHeaders,
    body: string,
    clientTopic?: string,
  ): ApnsAnswer {
    if (this.everything) return this.everything;
    const sticky = this.sticky.get(token);
    if (sticky) return sticky;
    const queue = this.scripts.get(token);
    if (queue?.length) return queue.shift()!;
    if (method !== 'POST') return { status: 405, reason: 'MethodNotAllowed' };
    if (!path.startsWith('/3/device/')) return { status: 404, reason: 'BadPath' };
    if (!/^[0-9a-f]+$/i.test(token)) return { status: 400, reason: 'BadDeviceToken' };
    if (headers['apns-topic'] && headers['apns-topic'] !== clientTopic)
      return { status: 400, reason: 'TopicDisallowed' };
    if (!body) return { status: 400, reason: 'PayloadEmpty' };
    return { status: 200 };
  }
}
