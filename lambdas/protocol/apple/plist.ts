// XML property lists in and out. Devices send XML plists, read by our own linear reader
// (plist-reader.ts: plist@3's parser is exponential in the nesting depth); we build with plist@3's
// builder alone (its index also loads the parser and with it @xmldom/xmldom, which we never use).
import type { PlistValue } from 'plist';
import { build } from 'plist/lib/build';
import { MalformedPlistError, readXmlPlist } from './plist-reader';

export { MalformedPlistError, PLIST_LIMITS, PlistTooComplexError } from './plist-reader';

function isDict(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Date);
}

/**
 * Parses an XML plist whose root is a dict. `<data>` comes back as Buffer, `<date>` as Date.
 * Nesting depth and element count are capped (PLIST_LIMITS): past them, PlistTooComplexError (400).
 */
export function parsePlist(body: Buffer | string): Record<string, unknown> {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.startsWith('bplist')) throw new MalformedPlistError('binary plists are not accepted');
  if (!/<plist[\s>]/.test(text)) throw new MalformedPlistError('body is not an XML plist');
  const parsed = readXmlPlist(text);
  if (!isDict(parsed)) throw new MalformedPlistError('plist root is not a dict');
  return parsed;
}

/** Drops undefined/null values: plist@3 would emit a dangling <key> for them. */
function clean(value: unknown): unknown {
  // Binary read back from DynamoDB is a plain Uint8Array: still <data>, never a dict of bytes.
  if (value instanceof Uint8Array && !Buffer.isBuffer(value))
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.filter((v) => v !== undefined && v !== null).map(clean);
  if (isDict(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) out[k] = clean(v);
    return out;
  }
  return value;
}

/** Builds an XML plist. Buffers become `<data>`, integers `<integer>`, Dates `<date>`. */
export function buildPlist(obj: Record<string, unknown>): string {
  return build(clean(obj) as PlistValue);
}
