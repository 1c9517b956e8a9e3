// The tenant's APNs MDM push certificate: its topic (subject UID) and a key that matches it.

import type { KeyObject } from 'node:crypto';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { unprocessable } from '../../domain/errors';

export interface PushCertificate {
  /** The subject UID, e.g. com.apple.mgmt.External.<uuid>: the APNs topic and the profile's Topic. */
  topic: string;
  notAfter: Date;
  certPem: string;
  keyPem: string;
}

const MDM_TOPIC_PREFIX = 'com.apple.mgmt.';

function parseCert(certPem: string): X509Certificate {
  try {
    return new X509Certificate(certPem);
  } catch {
    throw unprocessable('push certificate is not a readable PEM certificate');
  }
}

/** The subject UID of a certificate, or undefined. Node prints one `NAME=value` per line. */
function subjectUid(cert: X509Certificate): string | undefined {
  for (const line of cert.subject.split('\n')) {
    if (line.startsWith('UID=')) return line.slice(4).trim();
  }
  return undefined;
}

/** The MDM push topic of a certificate; throws unprocessable when it is not an MDM push cert. */
export function topicFromCertificate(certPem: string): string {
  const uid = subjectUid(parseCert(certPem));
  if (!uid) throw unprocessable('not an MDM push certificate: the subject has no UID (topic)');
  if (!uid.startsWith(MDM_TOPIC_PREFIX)) {
    throw unprocessable(`not an MDM push certificate: topic "${uid}" does not start with ${MDM_TOPIC_PREFIX}`);
  }
  return uid;
}

function spki(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

/**
 * Validates an uploaded push certificate and its private key (both PEM). Throws unprocessable
 * with a message an admin can act on. Expiry is reported (notAfter), not rejected here.
 */
export function parsePushCertificate(certPem: string, keyPem: string): PushCertificate {
  const cert = parseCert(certPem);
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw unprocessable('push certificate key is not a readable, unencrypted PEM private key');
  }
  const topic = topicFromCertificate(certPem);
  if (!spki(createPublicKey(key)).equals(spki(cert.publicKey))) {
    throw unprocessable('the private key does not belong to the push certificate');
  }
  return { topic, notAfter: new Date(cert.validTo), certPem, keyPem };
}
