// Reads the XML property lists devices send, in one forward pass with an explicit stack: time and
// memory are linear in the body, nothing recurses, and nesting depth and element count are capped.
// (plist@3's parser is exponential in the nesting depth: a signed 1 KB body could freeze the server.)
// The subset read is Apple's plist DTD: plist, dict, key, array, string, integer, real, true, false,
// date, data; the five XML entities and character references; CDATA; comments, processing
// instructions (the XML declaration) and a DOCTYPE without an internal subset are skipped.
import { DomainError } from '../../domain/errors';

/** A device body that is not an XML plist dict. Maps to HTTP 400 (never 401: that unenrolls). */
export class MalformedPlistError extends DomainError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('bad-request', message, details);
    this.name = 'MalformedPlistError';
  }
}

/** A plist over the nesting or element limit: 400 too, before any more of it is read. */
export class PlistTooComplexError extends MalformedPlistError {
  constructor(limit: 'depth' | 'elements', max: number) {
    super(
      limit === 'depth'
        ? `plist nests dicts and arrays deeper than ${max} levels`
        : `plist has more than ${max} elements`,
      { limit, max },
    );
    this.name = 'PlistTooComplexError';
  }
}

export interface PlistLimits {
  /** Nested dicts and arrays. Device messages nest fewer than 10. */
  maxDepth: number;
  /** Start tags. A 3,000-app InstalledApplicationList is about 100,000. */
  maxElements: number;
}

export const PLIST_LIMITS: PlistLimits = { maxDepth: 32, maxElements: 200_000 };

const LEAVES = new Set(['key', 'string', 'integer', 'real', 'date', 'data', 'true', 'false']);

type Frame =
  | { kind: 'plist'; values: unknown[] }
  | { kind: 'dict'; value: Record<string, unknown>; key: string | undefined }
  | { kind: 'array'; value: unknown[] }
  | { kind: 'leaf'; name: string; text: string[] };

function fail(message: string): never {
  throw new MalformedPlistError(`malformed plist: ${message}`);
}

const ENTITY = /&(?:#x([0-9a-fA-F]+)|#([0-9]+)|(lt|gt|amp|quot|apos));|&/g;
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(raw: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(ENTITY, (_m, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
    if (name) return NAMED[name];
    if (hex === undefined && dec === undefined) fail('a bare & in text (write &amp;)');
    const code = hex !== undefined ? parseInt(hex, 16) : parseInt(dec as string, 10);
    if (!(code > 0 && code <= 0x10ffff)) fail('a character reference out of range');
    return String.fromCodePoint(code);
  });
}

/** Letters, digits and . - _ : (XML name characters, ASCII). */
function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 58) || c === 45 || c === 46 || c === 95;
}

function leafValue(name: string, text: string): unknown {
  switch (name) {
    case 'key':
    case 'string':
      return text;
    case 'true':
      return true;
    case 'false':
      return false;
    case 'data':
      return Buffer.from(text.replace(/\s+/g, ''), 'base64');
    default: // integer, real, date: never empty
      if (text.trim() === '') fail(`an empty <${name}>`);
      return name === 'integer' ? parseInt(text, 10) : name === 'real' ? parseFloat(text) : new Date(text);
  }
}

/**
 * Parses an XML plist into values as plist@3 does (`<data>` → Buffer, `<date>` → Date, `<integer>`
 * and `<real>` → number): the single value inside `<plist>`, or an array when there are several.
 * Text between elements outside string-like leaves is ignored, as plist@3 does.
 */
export function readXmlPlist(xml: string, limits: PlistLimits = PLIST_LIMITS): unknown {
  // XML line-end normalisation (character references such as &#xD; survive it, as they should).
  const src = (xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml).replace(/\r\n?/g, '\n');
  const stack: Frame[] = [];
  let depth = 0;
  let elements = 0;
  let root: { value: unknown } | undefined;

  const top = (): Frame | undefined => stack[stack.length - 1];

  /** Hands a finished value (or key) to the element around it. */
  const deliver = (value: unknown, isKey: boolean) => {
    const parent = top();
    if (!parent || parent.kind === 'leaf') fail('a value outside <plist>');
    if (parent.kind === 'dict') {
      if (isKey) {
        if (value === '__proto__') fail('a __proto__ key');
        parent.key = value as string;
      } else {
        parent.value[parent.key as string] = value;
        parent.key = undefined;
      }
    } else if (parent.kind === 'array') parent.value.push(value);
    else parent.values.push(value);
  };

  const open = (name: string) => {
    if (++elements > limits.maxElements) throw new PlistTooComplexError('elements', limits.maxElements);
    const parent = top();
    if (!parent) {
      if (root) fail('content after the root element');
      if (name !== 'plist') fail(`the root element is <${name}>, not <plist>`);
      stack.push({ kind: 'plist', values: [] });
      return;
    }
    if (parent.kind === 'leaf') fail(`<${name}> inside <${parent.name}>`);
    if (parent.kind === 'dict') {
      if (parent.key === undefined && name !== 'key') fail(`<${name}> where a <key> belongs in a <dict>`);
      if (parent.key !== undefined && name === 'key') fail(`<key> "${parent.key}" has no value`);
    } else if (name === 'key') fail('<key> outside a <dict>');
    if (name === 'dict' || name === 'array') {
      if (++depth > limits.maxDepth) throw new PlistTooComplexError('depth', limits.maxDepth);
      stack.push(name === 'dict' ? { kind: 'dict', value: {}, key: undefined } : { kind: 'array', value: [] });
    } else if (LEAVES.has(name)) stack.push({ kind: 'leaf', name, text: [] });
    else fail(`unsupported element <${name}>`);
  };

  const close = (name: string) => {
    const frame = stack.pop();
    const openName = !frame ? undefined : frame.kind === 'leaf' ? frame.name : frame.kind;
    if (!frame || openName !== name) fail(openName ? `</${name}> closes <${openName}>` : `</${name}> closes nothing`);
    switch (frame.kind) {
      case 'plist':
        root = { value: frame.values.length === 1 ? frame.values[0] : frame.values };
        return;
      case 'dict':
        depth--;
        // A trailing key without a value reads as "" (as plist@3 does).
        if (frame.key !== undefined) frame.value[frame.key] = '';
        return deliver(frame.value, false);
      case 'array':
        depth--;
        return deliver(frame.value, false);
      case 'leaf':
        return deliver(leafValue(frame.name, frame.text.join('')), frame.name === 'key');
    }
  };

  /** Index just past the `>` of a tag or declaration starting at `from`; quoted values may hold `>`. */
  const tagEnd = (from: number, what: string): number => {
    for (let k = from; k < src.length; k++) {
      const c = src[k];
      if (c === '>') return k + 1;
      if (c === '"' || c === "'") {
        const q = src.indexOf(c, k + 1);
        if (q === -1) break;
        k = q;
      } else if (c === '<') break;
      else if (c === '[' && what === 'DOCTYPE') fail('a DOCTYPE with an internal subset');
    }
    fail(`an unterminated ${what}`);
  };

  let i = 0;
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const textEnd = lt === -1 ? src.length : lt;
    const leaf = top();
    if (textEnd > i && leaf?.kind === 'leaf') leaf.text.push(decodeEntities(src.slice(i, textEnd)));
    if (lt === -1) break;

    if (src.startsWith('<!--', lt)) {
      const end = src.indexOf('-->', lt + 4);
      if (end === -1) fail('an unterminated comment');
      i = end + 3;
    } else if (src.startsWith('<![CDATA[', lt)) {
      const end = src.indexOf(']]>', lt + 9);
      if (end === -1) fail('an unterminated CDATA section');
      if (leaf?.kind === 'leaf') leaf.text.push(src.slice(lt + 9, end));
      i = end + 3;
    } else if (src.startsWith('<?', lt)) {
      const end = src.indexOf('?>', lt + 2);
      if (end === -1) fail('an unterminated processing instruction');
      i = end + 2;
    } else if (src.startsWith('<!DOCTYPE', lt)) {
      if (stack.length > 0 || root) fail('a DOCTYPE inside the document');
      i = tagEnd(lt + 9, 'DOCTYPE');
    } else if (src[lt + 1] === '/') {
      let j = lt + 2;
      while (j < src.length && isNameChar(src.charCodeAt(j))) j++;
      const name = src.slice(lt + 2, j);
      while (j < src.length && /\s/.test(src[j])) j++;
      if (src[j] !== '>') fail(`a malformed closing tag </${name}`);
      close(name);
      i = j + 1;
    } else {
      let j = lt + 1;
      while (j < src.length && isNameChar(src.charCodeAt(j))) j++;
      const name = src.slice(lt + 1, j);
      if (!name || !/[\s/>]/.test(src[j] ?? '')) fail('a malformed tag');
      i = tagEnd(j, `<${name}> tag`);
      open(name);
      if (src[i - 2] === '/') close(name);
    }
  }
  if (stack.length > 0) {
    const frame = top()!;
    fail(`<${frame.kind === 'leaf' ? frame.name : frame.kind}> is not closed`);
  }
  if (!root) fail('no <plist> element');
  return root.value;
}
