// A local stand-in for Google's OAuth token endpoint and the FCM v1 send endpoint, served over TLS
// on 127.0.0.1 with HTTP/2 and HTTP/1.1 (firebase-admin's sendEach uses HTTP/2 by default and
// HTTP/1.1 with its legacy transport; both POST /v1/projects/{id}/messages:send per message).
//
// firebase-admin hard-codes https://fcm.googleapis.com and google's token URL, so route() points
// those names at the fake: an https.Agent whose connections go to the fake (token request and the
// HTTP/1.1 transport), and a redirect of http2.connect for the HTTP/2 transport. TLS stays verified:
// the fake's certificate is valid for those names and signed by the test CA the agent trusts.
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { serverCert, testCa } from './tls';

export const FCM_HOST = 'fcm.googleapis.com';
export const TOKEN_HOST = 'oauth2.googleapis.com';

export interface FcmAnswer {
  /** HTTP status, e.g. 404 for UNREGISTERED, 400 INVALID_ARGUMENT, 401, 403, 500, 503. */
  httpStatus: number;
  /** Canonical status, e.g. NOT_FOUND, INVALID_ARGUMENT, UNAUTHENTICATED, PERMISSION_DENIED. */
  status: string;
  /** FcmError errorCode, e.g. UNREGISTERED, SENDER_ID_MISMATCH, THIRD_PARTY_AUTH_ERROR. */
  errorCode?: string;
  message?: string;
}

export interface RecordedMessage {
  projectId: string;
  message: {
    token: string;
    data?: Record<string, string>;
    android?: { priority?: string };
    notification?: unknown;
    [k: string]: unknown;
  };
  httpVersion: string;
  authorization: string;
  at: Date;
}

export interface FakeServiceAccount {
  json: string;
  projectId: string;
  clientEmail: string;
}

export const ANSWERS = {
  unregistered: {
    httpStatus: 404,
    status: 'NOT_FOUND',
    errorCode: 'UNREGISTERED',
    message: 'Requested entity was not found.',
  },
  invalidArgument: {
    httpStatus: 400,
    status: 'INVALID_ARGUMENT',
    errorCode: 'INVALID_ARGUMENT',
    message: 'The registration token is not a valid FCM registration token',
  },
  senderIdMismatch: {
    httpStatus: 403,
    status: 'PERMISSION_DENIED',
    errorCode: 'SENDER_ID_MISMATCH',
    message: 'SenderId mismatch',
  },
  unavailable: {
    httpStatus: 503,
    status: 'UNAVAILABLE',
    errorCode: 'UNAVAILABLE',
    message: 'The service is currently unavailable.',
  },
  internal: { httpStatus: 500, status: 'INTERNAL', errorCode: 'INTERNAL', message: 'Internal error encountered.' },
  unauthenticated: {
    httpStatus: 401,
    status: 'UNAUTHENTICATED',
    message: 'Request had invalid authentication credentials.',
  },
} satisfies Record<string, FcmAnswer>;

export class FakeFcm {
  readonly messages: RecordedMessage[] = [];
  readonly tokenRequests: Array<{ clientEmail: string; scope: string; at: Date }> = [];
  /** firebase-admin connections seen, by protocol. */
  readonly connections = { h2: 0, http1: 0 };
  private server?: http2.Http2SecureServer;
  private port = 0;
  private readonly keys = new Map<string, { publicKeyPem: string; projectId: string }>();
  private readonly issued = new Set<string>();
  private readonly perToken = new Map<string, FcmAnswer>();
  private everything?: FcmAnswer;
  private refuseTokens?: { status: number; error: string; description: string };
  private seq = 0;

  async start(): Promise<void> {
    const { certPem, keyPem } = serverCert([FCM_HOST, TOKEN_HOST]);
    const server = http2.createSecureServer({ key: keyPem, cert: certPem, allowHTTP1: true });
    server.on('session', () => this.connections.h2++);
    server.on('secureConnection', (socket: tls.TLSSocket) => {
      if (socket.alpnProtocol !== 'h2') this.connections.http1++;
    });
    server.on('request', (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** A service account whose key the fake's token endpoint accepts. */
  serviceAccount(projectId = 'mdm-test'): FakeServiceAccount {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const clientEmail = `firebase-adminsdk-${this.keys.size}@${projectId}.iam.gserviceaccount.com`;
    this.keys.set(clientEmail, {
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      projectId,
    });
    const json = JSON.stringify({
      type: 'service_account',
      project_id: projectId,
      private_key_id: `key-${this.keys.size}`,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: clientEmail,
      client_id: '100000000000000000000',
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: 'https://oauth2.googleapis.com/token',
    });
    return { json, projectId, clientEmail };
  }

  /** Answers every send to this FCM token with an error (undefined: success again). */
  failToken(token: string, answer: FcmAnswer | undefined): void {
    if (answer) this.perToken.set(token, answer);
    else this.perToken.delete(token);
  }

  /** Answers every send with an error (undefined: back to normal). */
  answerAll(answer: FcmAnswer | undefined): void {
    this.everything = answer;
  }

  /** Makes the token endpoint refuse every key (a deleted/revoked service-account key). */
  refuseAllTokens(refuse = true): void {
    this.refuseTokens = refuse
      ? { status: 400, error: 'invalid_grant', description: 'Invalid JWT Signature.' }
      : undefined;
  }

  /** Forgets issued access tokens: the next send carrying an old one gets 401. */
  revokeAccessTokens(): void {
    this.issued.clear();
  }

  reset(): void {
    this.messages.length = 0;
    this.tokenRequests.length = 0;
    this.perToken.clear();
    this.everything = undefined;
    this.refuseTokens = undefined;
    this.connections.h2 = 0;
    this.connections.http1 = 0;
  }

  /**
   * Sends Google's API names to this fake: `httpAgent` for FcmSender (token requests and the
   * HTTP/1.1 transport) and a redirect of http2.connect (the HTTP/2 transport). Call restore().
   */
  route(): { httpAgent: https.Agent; restore: () => void } {
    const port = this.port;
    const ca = testCa().certPem;
    const agent = new https.Agent({ keepAlive: true, maxSockets: 16, ca });
    // Same TLS checks as the real hosts (servername and certificate), only the address changes.
    (agent as unknown as { createConnection: (o: tls.ConnectionOptions) => tls.TLSSocket }).createConnection = (o) =>
      tls.connect({ ...o, host: '127.0.0.1', port, servername: o.servername || String(o.host), ca });
    const realConnect = http2.connect;
    const redirected = ((authority: string | URL, ...rest: unknown[]) => {
      const url = new URL(String(authority));
      if (url.hostname !== FCM_HOST)
        return (realConnect as (...a: unknown[]) => http2.ClientHttp2Session)(authority, ...rest);
      const options = (typeof rest[0] === 'object' && rest[0]) || {};
      const listener = rest.find((r) => typeof r === 'function');
      const session = realConnect(
        `https://127.0.0.1:${port}`,
        { ...(options as http2.SecureClientSessionOptions), ca, servername: FCM_HOST },
        listener as () => void,
      );
      // firebase-admin 13.9 sends ':scheme: "https:"' (url.parse's protocol, colon included).
      // Google's front end takes it; Node's nghttp2 server answers PROTOCOL_ERROR. Fix only that.
      const request = session.request.bind(session);
      session.request = (headers?: http2.OutgoingHttpHeaders, opts?: http2.ClientSessionRequestOptions) =>
        request(headers && headers[':scheme'] === 'https:' ? { ...headers, ':scheme': 'https' } : headers, opts);
      return session;
    }) as typeof http2.connect;
    http2.connect = redirected;
    return {
      httpAgent: agent,
      restore: () => {
        if (http2.connect === redirected) http2.connect = realConnect;
        agent.destroy();
      },
    };
  }

  private async handle(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(JSON.stringify(value));
    };
    // Routed by path: the redirected HTTP/2 session's :authority is the fake's address.
    if (req.method === 'POST' && req.url === '/token') return this.token(body, json);
    const send = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(req.url ?? '');
    if (req.method === 'POST' && send) return this.send(send[1], req, body, json);
    json(404, { error: { code: 404, message: `no route for ${req.method} ${req.url}`, status: 'NOT_FOUND' } });
  }

  private token(body: string, json: (status: number, value: unknown) => void): void {
    const form = new URLSearchParams(body);
    const assertion = form.get('assertion') ?? '';
    const [h, c, s] = assertion.split('.');
    const claims = (() => {
      try {
        return JSON.parse(Buffer.from(c ?? '', 'base64url').toString('utf8')) as {
          iss?: string;
          scope?: string;
          aud?: string;
          exp?: number;
        };
      } catch {
        return {};
      }
    })();
    const key = this.keys.get(claims.iss ?? '');
    const signed =
      !!key &&
      !!s &&
      verify('sha256', Buffer.from(`${h}.${c}`), createPublicKey(key.publicKeyPem), Buffer.from(s, 'base64url'));
    const fresh = typeof claims.exp === 'number' && claims.exp * 1000 > Date.now();
    const grant = form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:jwt-bearer';
    if (this.refuseTokens)
      return json(this.refuseTokens.status, {
        error: this.refuseTokens.error,
        error_description: this.refuseTokens.description,
      });
    if (!grant || !signed || !fresh || claims.aud !== `https://${TOKEN_HOST}/token`) {
      return json(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    }
    this.tokenRequests.push({ clientEmail: claims.iss ?? '', scope: claims.scope ?? '', at: new Date() });
    const accessToken = `ya29.fake-${++this.seq}`;
    this.issued.add(accessToken);
    json(200, { access_token: accessToken, expires_in: 3599, token_type: 'Bearer' });
  }

  private send(
    projectId: string,
    req: http2.Http2ServerRequest,
    body: string,
    json: (status: number, value: unknown) => void,
  ): void {
    const authorization = String(req.headers.authorization ?? '');
    if (!this.issued.has(authorization.replace(/^Bearer /, ''))) return json(401, fcmError(ANSWERS.unauthenticated));
    let parsed: { message?: RecordedMessage['message'] } = {};
    try {
      parsed = JSON.parse(body);
    } catch {
      return json(
        400,
        fcmError({ httpStatus: 400, status: 'INVALID_ARGUMENT', message: 'Invalid JSON payload received.' }),
      );
    }
    const message = parsed.message;
    if (!message?.token)
      return json(
        400,
        fcmError({ httpStatus: 400, status: 'INVALID_ARGUMENT', message: 'Recipient of the message is not set.' }),
      );
    this.messages.push({ projectId, message, httpVersion: req.httpVersion, authorization, at: new Date() });
    const answer = this.everything ?? this.perToken.get(message.token);
    if (answer) return json(answer.httpStatus, fcmError(answer));
    json(200, { name: `projects/${projectId}/messages/0:${Date.now()}%${++this.seq}` });
  }
}

/** The FCM v1 error body. */
export function fcmError(a: FcmAnswer): unknown {
  return {
    error: {
      code: a.httpStatus,
      message: a.message ?? a.status,
      status: a.status,
      ...(a.errorCode
        ? { details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: a.errorCode }] }
        : {}),
    },
  };
}
