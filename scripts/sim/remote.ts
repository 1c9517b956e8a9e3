// --url: a server that is already running (typically `npm start` in another terminal). Apple
// devices only: the server must push them through the simulator's fake APNs, so it has to be
// started with APNS_ORIGIN pointing here and NODE_EXTRA_CA_CERTS trusting the fake's CA. That TLS
// material is made once and kept under the data directory, so one server start serves many runs.
// Android agents would be woken through FCM, which a running server reaches at Google.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fakeAppleCa, type PushCertificate, pushCert, serverCert, testCa } from '../../kit/tls';
import { AdminClient } from './admin';
import type { SimTarget } from './target';

export interface ApnsMaterial {
  /** The fake APNs server's certificate and key (for 127.0.0.1 and localhost). */
  serverTls: { certPem: string; keyPem: string };
  /** The CA that signed serverTls: what the server must trust (NODE_EXTRA_CA_CERTS). */
  caPem: string;
  /** The fake Apple CA the fake APNs requires client certificates from. */
  appleCaPem: string;
  /** The tenant's push certificate, signed by the fake Apple CA; the same topic run after run. */
  push: PushCertificate;
}

/** Where the material lives: beside `npm start`'s data, never in the repository. */
export function apnsDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.DATA_DIR || '.data', 'simulate');
}

/** Loads the material, or makes and saves it (`created`: the server cannot trust it yet). */
export function loadOrCreateApnsMaterial(dir: string): { material: ApnsMaterial; created: boolean } {
  const file = join(dir, 'apns.json');
  if (existsSync(file)) return { material: JSON.parse(readFileSync(file, 'utf8')) as ApnsMaterial, created: false };
  const material: ApnsMaterial = {
    serverTls: serverCert(),
    caPem: testCa().certPem,
    appleCaPem: fakeAppleCa().certPem,
    push: pushCert(),
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, JSON.stringify(material, null, 2), { mode: 0o600 });
  writeFileSync(join(dir, 'apns-ca.pem'), material.caPem);
  return { material, created: true };
}

/** The environment the server must be started with to push to this simulator. */
export function serverEnv(dir: string, apnsPort: number): string {
  return `APNS_ORIGIN=https://127.0.0.1:${apnsPort} NODE_EXTRA_CA_CERTS=${join(dir, 'apns-ca.pem')}`;
}

/** The admin key: --key, MDM_ADMIN_KEY, or the one `npm start` saved in the data directory. */
export function defaultAdminKey(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.MDM_ADMIN_KEY) return env.MDM_ADMIN_KEY;
  const file = resolve(env.DATA_DIR || '.data', 'credentials.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { adminKey?: string }).adminKey : undefined;
}

export async function connectRemote(o: {
  url: string;
  adminKey: string;
  tenant: string;
  cap?: number;
}): Promise<SimTarget> {
  const url = o.url.replace(/\/$/, '');
  // Fail early and plainly on a wrong URL or key.
  await new AdminClient(url, o.adminKey).dashboard();
  return {
    url,
    deviceUrls: [url],
    tenant: o.tenant,
    adminKey: o.adminKey,
    cap: o.cap,
    deadLetters: async () => undefined,
    stop: async () => undefined,
  };
}
