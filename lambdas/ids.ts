// Identifiers and secrets the server hands out.
import { createHash, randomBytes } from 'node:crypto';

let lastMs = -1;
let sequence = 0;

/**
 * Time-ordered id (sorts by creation) with 72 random bits: queue order and log order follow it.
 * Ids made in the same millisecond by this process keep their order through a sequence number,
 * so a sync plan queued in one go runs in the planned order.
 */
export function timeOrderedId(at: Date): string {
  const ms = at.getTime();
  sequence = ms === lastMs ? sequence + 1 : 0;
  lastMs = ms;
  return `${ms.toString(36).padStart(9, '0')}${sequence.toString(36).padStart(4, '0')}${randomBytes(9).toString('hex')}`;
}

/** Opaque random id for objects admins see (templates, keys, devices). */
export function randomId(prefix: string): string {
  return `${prefix}_${randomBytes(10).toString('hex')}`;
}

/** 256 random bits, URL-safe: API keys, enrollment tokens, Android device tokens. */
export function secretToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/** What is stored and looked up instead of a secret (API keys, tokens, identity certificates). */
export function sha256Hex(value: string | Buffer): string {
  return createHash('sha256').update(value).digest('hex');
}
