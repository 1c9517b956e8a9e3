// The OAuth access token the tenant's Firebase service account exchanges for (RFC 7523 JWT bearer
// grant, as google-auth-library does). Reading the account itself: protocol/android/service-account.ts.
//
// Why not firebase-admin's cert(): its google-auth-library fetches the token with gaxios, which
// loads node-fetch v3 by dynamic import(); that fails under jest's CommonJS VM, so no test could run
// the real token exchange. This ~60-line credential runs the same in tests and production, caches
// the token, and tells a refused key (credential error) from an unreachable endpoint (retry).
import { sign } from 'node:crypto';
import type { Agent } from 'node:https';
import https from 'node:https';
import type { Credential, GoogleOAuthAccessToken } from 'firebase-admin/app';
import type { ServiceAccount } from '../../protocol/android/service-account';

/** Where Google issues access tokens. The JSON's token_uri is ignored: a tenant upload must not choose where we POST. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

/** A token request that failed; `transient` when worth retrying (network, 5xx), not a refused key. */
export class TokenError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

const b64url = (v: string | Buffer) => Buffer.from(v).toString('base64url');

export class ServiceAccountCredential implements Credential {
  private cached?: { token: string; expiresAt: number };
  private pending?: Promise<GoogleOAuthAccessToken>;

  constructor(
    private readonly account: ServiceAccount,
    private readonly agent?: Agent,
  ) {}

  getAccessToken(): Promise<GoogleOAuthAccessToken> {
    const now = Date.now();
    // Reuse until five minutes before expiry, like firebase-admin's own cache.
    if (this.cached && this.cached.expiresAt - now > 5 * 60_000) {
      return Promise.resolve({
        access_token: this.cached.token,
        expires_in: Math.floor((this.cached.expiresAt - now) / 1000),
      });
    }
    this.pending ??= this.fetchToken().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async fetchToken(): Promise<GoogleOAuthAccessToken> {
    const iat = Math.floor(Date.now() / 1000);
    const header = {
      alg: 'RS256',
      typ: 'JWT',
      ...(this.account.privateKeyId ? { kid: this.account.privateKeyId } : {}),
    };
    const claims = { iss: this.account.clientEmail, scope: SCOPE, aud: GOOGLE_TOKEN_URL, iat, exp: iat + 3600 };
    const unsigned = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(unsigned), this.account.privateKey);
    const form = new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: `${unsigned}.${b64url(signature)}`,
    }).toString();

    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = https.request(
        GOOGLE_TOKEN_URL,
        {
          method: 'POST',
          agent: this.agent,
          timeout: 10_000,
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(form) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (e) => reject(new TokenError(`token endpoint: ${e.message}`, true)));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (e) => reject(new TokenError(`token endpoint unreachable: ${e.message}`, true)));
      req.end(form);
    });
    let parsed: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {};
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = {};
    }
    if (status === 200 && typeof parsed.access_token === 'string' && typeof parsed.expires_in === 'number') {
      this.cached = { token: parsed.access_token, expiresAt: Date.now() + parsed.expires_in * 1000 };
      return { access_token: parsed.access_token, expires_in: parsed.expires_in };
    }
    const detail =
      [parsed.error, parsed.error_description].filter((x) => typeof x === 'string').join(': ') || `HTTP ${status}`;
    // 4xx (invalid_grant: revoked or deleted key; invalid_client...) is the key; anything else may pass.
    const refused = status >= 400 && status < 500 && status !== 429;
    throw new TokenError(
      refused ? `Google refused the service account: ${detail}` : `token endpoint failed: ${detail}`,
      !refused,
    );
  }
}
