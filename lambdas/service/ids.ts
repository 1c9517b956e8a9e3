// Identifiers and secrets the server hands out.
import { randomBytes } from 'node:crypto';

/** Time-ordered id (sorts by creation) with 72 random bits: queue order and log order follow it. */
export function timeOrderedId(at: Date): string {
  return `${at.getTime().toString(36).padStart(9, '0')}${randomBytes(9).toString('hex')}`;
}

/** Opaque random id for objects admins see (templates, keys, devices). */
export function randomId(prefix: string): string {
  return `${prefix}_${randomBytes(10).toString('hex')}`;
}

/** 256 random bits, URL-safe: API keys, enrollment tokens, Android device tokens. */
export function secretToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}
