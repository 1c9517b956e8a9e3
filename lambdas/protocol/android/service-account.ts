// A tenant's Firebase service-account JSON: checked when an admin uploads it (a clear 422 naming
// what is wrong) and read again by the FCM sender (adapters/fcm) to sign its token requests.
import { createPrivateKey } from 'node:crypto';
import { unprocessable } from '../../domain/errors';

export interface ServiceAccount {
  projectId: string;
  clientEmail: string;
  privateKey: string;
  privateKeyId?: string;
}

/** Validates an uploaded service-account JSON; throws `unprocessable` with the reason. */
export function parseServiceAccount(json: string): { projectId: string; clientEmail: string } {
  const { projectId, clientEmail } = readServiceAccount(json);
  return { projectId, clientEmail };
}

export function readServiceAccount(json: string): ServiceAccount {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw unprocessable('the service account is not JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw unprocessable('the service account must be a JSON object');
  const o = raw as Record<string, unknown>;
  if (o.type !== 'service_account')
    throw unprocessable('the JSON is not a service account key (type must be "service_account")');
  const str = (k: string) => (typeof o[k] === 'string' && (o[k] as string).trim() ? (o[k] as string) : undefined);
  const projectId = str('project_id');
  const clientEmail = str('client_email');
  const privateKey = str('private_key');
  if (!projectId) throw unprocessable('the service account has no project_id');
  if (!clientEmail || !/^[^@\s]+@[^@\s]+$/.test(clientEmail))
    throw unprocessable('the service account has no valid client_email');
  if (!privateKey) throw unprocessable('the service account has no private_key');
  try {
    const key = createPrivateKey(privateKey);
    if (key.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
  } catch {
    throw unprocessable('the service account private_key is not a readable RSA PEM key');
  }
  return { projectId, clientEmail, privateKey, privateKeyId: str('private_key_id') };
}
