// Sends webhook requests (docs/api.md §Webhooks, "Safety"). Every address a host name resolves
// to is checked, at the moment the connection is made (the check is the connection's own DNS
// lookup, so a name cannot resolve to a public address for the check and a private one for the
// request). Redirects are never followed (node:http does not), and a request gets 10 s in all.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type AddressKind, classifyAddress } from '../../domain/addresses';
import type { PostResult, WebhookTransport } from '../../ports';

export const WEBHOOK_TIMEOUT_MS = 10_000;

export interface WebhookTransportOptions {
  /** Local mode: `http://` and `https://` to loopback (127.0.0.1, ::1, localhost) are allowed too. */
  allowLoopbackHttp: boolean;
  timeoutMs?: number;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

export class HttpWebhookTransport implements WebhookTransport {
  constructor(private readonly opts: WebhookTransportOptions) {}

  private allowed(kind: AddressKind | undefined, protocol: string): boolean {
    if (kind === 'loopback') return this.opts.allowLoopbackHttp;
    return kind === 'public' && protocol === 'https:';
  }

  private refusal(addresses: string[], protocol: string): string | undefined {
    const bad = addresses.find((a) => !this.allowed(classifyAddress(a), protocol));
    if (bad === undefined) return undefined;
    return classifyAddress(bad) === 'public'
      ? 'only https URLs are allowed'
      : `the host resolves to ${bad}, which is not a public address`;
  }

  async check(url: string): Promise<string | undefined> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'not a valid URL';
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'only https URLs are allowed';
    if (parsed.protocol === 'http:' && !this.opts.allowLoopbackHttp) return 'only https URLs are allowed';
    if (parsed.username || parsed.password) return 'credentials in the URL are not allowed';
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    if (classifyAddress(host) !== undefined) return this.refusal([host], parsed.protocol);
    try {
      const addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
        dnsLookup(host, { all: true }, (err, found) => (err ? reject(err) : resolve(found))),
      );
      return this.refusal(
        addresses.map((a) => a.address),
        parsed.protocol,
      );
    } catch {
      return `the host ${host} cannot be resolved`;
    }
  }

  /** The connection's own DNS lookup, refusing a host with any address the webhook may not reach. */
  private guardedLookup(protocol: string) {
    return (hostname: string, options: LookupOptions, callback: LookupCallback) => {
      dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
        if (err) return callback(err, []);
        const refused = this.refusal(
          addresses.map((a) => a.address),
          protocol,
        );
        if (refused) return callback(Object.assign(new Error(refused), { code: 'EADDRNOTALLOWED' }), []);
        if (options.all) return callback(null, addresses);
        callback(null, addresses[0].address, addresses[0].family);
      });
    };
  }

  async post(url: string, headers: Record<string, string>, body: string): Promise<PostResult> {
    const refused = await this.check(url);
    if (refused) return { error: `address refused: ${refused}` };
    const target = new URL(url);
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const timeoutMs = this.opts.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
    return new Promise<PostResult>((resolve) => {
      const req = request(
        target,
        {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          lookup: this.guardedLookup(target.protocol) as never,
          signal: AbortSignal.timeout(timeoutMs),
          agent: false,
        },
        (res) => {
          res.resume(); // the answer's body is not used; drain it so the socket closes
          resolve({ status: res.statusCode ?? 0 });
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: describe(err, timeoutMs) }));
      req.end(body);
    });
  }
}

function describe(err: NodeJS.ErrnoException, timeoutMs: number): string {
  if (err.name === 'AbortError' || err.name === 'TimeoutError') return `timed out after ${timeoutMs / 1000} s`;
  if (err.code === 'ECONNREFUSED') return 'connection refused';
  if (err.code === 'EADDRNOTALLOWED') return `address refused: ${err.message}`;
  if (err.code === 'ENOTFOUND') return 'host not found';
  return err.code ?? err.message;
}
