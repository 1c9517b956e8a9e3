// A minimal reader of CMS SignedData (RFC 5652) and its signature check with node:crypto: only the
// fields a detached Mdm-Signature and a SCEP message need. It reads BER as devices send it
// (indefinite lengths, constructed OCTET STRINGs). A general ASN.1 library (asn1js/pkijs) built an
// object per node and verified through WebCrypto: a fifth of an idle connect's CPU.
import { createHash, constants as cryptoConstants, type KeyObject, verify, X509Certificate } from 'node:crypto';

/** One TLV of a BER/DER buffer: where its content lies, its children parsed on demand. */
export interface Tlv {
  /** The identifier octet (class, constructed bit, tag number < 31). */
  tag: number;
  buf: Buffer;
  start: number;
  contentStart: number;
  /** End of the content (for an indefinite length: where its end-of-contents octets start). */
  contentEnd: number;
  end: number;
  indefinite: boolean;
  depth: number;
}

const TAG = {
  integer: 0x02,
  octetString: 0x04,
  constructedOctetString: 0x24,
  oid: 0x06,
  sequence: 0x30,
  set: 0x31,
  context0: 0xa0,
  context1: 0xa1,
  context0Primitive: 0x80,
} as const;
/** Nesting a CMS message needs is ~15 levels; deeper is hostile input. */
const MAX_DEPTH = 48;

const isConstructed = (tag: number) => (tag & 0x20) !== 0;

export function readTlv(buf: Buffer, pos: number, limit: number, depth = 0): Tlv {
  if (depth > MAX_DEPTH) throw new Error('nested too deeply');
  if (pos + 2 > limit) throw new Error('truncated');
  const tag = buf[pos];
  if ((tag & 0x1f) === 0x1f) throw new Error('high tag numbers are not used in CMS');
  const first = buf[pos + 1];
  if (first === 0x80) {
    if (!isConstructed(tag)) throw new Error('indefinite length on a primitive value');
    let p = pos + 2;
    while (!(buf[p] === 0 && buf[p + 1] === 0)) p = readTlv(buf, p, limit, depth + 1).end;
    if (p + 2 > limit) throw new Error('truncated');
    return { tag, buf, start: pos, contentStart: pos + 2, contentEnd: p, end: p + 2, indefinite: true, depth };
  }
  let length = first;
  let contentStart = pos + 2;
  if (first > 0x80) {
    const n = first & 0x7f;
    if (n > 4 || pos + 2 + n > limit) throw new Error('bad length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[pos + 2 + i];
    contentStart += n;
  }
  const contentEnd = contentStart + length;
  if (contentEnd > limit) throw new Error('truncated');
  return { tag, buf, start: pos, contentStart, contentEnd, end: contentEnd, indefinite: false, depth };
}

export function children(t: Tlv): Tlv[] {
  if (!isConstructed(t.tag)) throw new Error(`tag 0x${t.tag.toString(16)} is not constructed`);
  const out: Tlv[] = [];
  for (let p = t.contentStart; p < t.contentEnd; ) {
    const child = readTlv(t.buf, p, t.contentEnd, t.depth + 1);
    out.push(child);
    p = child.end;
  }
  return out;
}

function expect(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) throw new Error(`${what} expected`);
  return t;
}

const content = (t: Tlv) => t.buf.subarray(t.contentStart, t.contentEnd);

export function oidOf(t: Tlv): string {
  const b = content(expect(t, TAG.oid, 'OBJECT IDENTIFIER'));
  if (b.length === 0) throw new Error('empty OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let value = 0;
  for (const byte of b) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  const first = arcs.shift() ?? 0;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...arcs].join('.');
}

/** The bytes of an OCTET STRING, primitive or (BER) constructed of chunks. */
export function octetsOf(t: Tlv): Buffer {
  if (t.tag === TAG.octetString) return content(t);
  if (t.tag === TAG.constructedOctetString) return Buffer.concat(children(t).map(octetsOf));
  throw new Error('OCTET STRING expected');
}

/** UTF8String, PrintableString, T61String, IA5String: a string attribute (SCEP's are PrintableString). */
const STRING_TAGS = new Set([0x0c, 0x13, 0x14, 0x16]);
export function textOf(t: Tlv): string | undefined {
  return STRING_TAGS.has(t.tag) ? content(t).toString(t.tag === 0x0c ? 'utf8' : 'latin1') : undefined;
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Re-encodes with definite lengths (BER → DER framing), optionally under another tag. */
export function toDer(t: Tlv, tag = t.tag): Buffer {
  if (!t.indefinite && tag === t.tag) return t.buf.subarray(t.start, t.end);
  const body = isConstructed(t.tag) ? Buffer.concat(children(t).map((c) => toDer(c))) : content(t);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

export interface SignerInfo {
  sid: { issuer: Buffer; serial: Buffer } | { subjectKeyId: Buffer };
  digestAlgorithm: string;
  /** The signed attributes re-encoded as the DER SET that was signed, and each attribute's values. */
  signedAttrs?: { der: Buffer; attributes: Array<{ type: string; values: Tlv[] }> };
  signatureAlgorithm: string;
  signature: Buffer;
}

export interface SignedData {
  /** The encapsulated content; undefined when detached. */
  content?: Buffer;
  /** DER of each certificate the message carries. */
  certificates: Buffer[];
  signerInfos: SignerInfo[];
}

const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const OID_SUBJECT_KEY_ID = '2.5.29.14';

/** Reads a DER/BER ContentInfo that holds a CMS SignedData; throws an Error saying why it is not one. */
export function readSignedData(der: Buffer): SignedData {
  const top = expect(readTlv(der, 0, der.length), TAG.sequence, 'ContentInfo SEQUENCE');
  const [typeTlv, explicit] = children(top);
  const contentType = oidOf(expect(typeTlv, TAG.oid, 'content type'));
  if (contentType !== OID_SIGNED_DATA) throw new Error(`content type ${contentType}`);
  const signed = expect(children(expect(explicit, TAG.context0, 'content'))[0], TAG.sequence, 'SignedData');
  const parts = children(signed);
  expect(parts[0], TAG.integer, 'version');
  expect(parts[1], TAG.set, 'digestAlgorithms');
  const encap = children(expect(parts[2], TAG.sequence, 'encapContentInfo'));
  oidOf(encap[0]);
  const eContent = encap[1] ? children(expect(encap[1], TAG.context0, 'eContent'))[0] : undefined;
  let i = 3;
  const certificates: Buffer[] = [];
  if (parts[i]?.tag === TAG.context0) {
    for (const c of children(parts[i])) if (c.tag === TAG.sequence) certificates.push(toDer(c));
    i++;
  }
  if (parts[i]?.tag === TAG.context1) i++; // CRLs: unused
  const signerInfos = children(expect(parts[i], TAG.set, 'signerInfos')).map(readSignerInfo);
  return { content: eContent ? octetsOf(eContent) : undefined, certificates, signerInfos };
}

function readSignerInfo(t: Tlv): SignerInfo {
  const parts = children(expect(t, TAG.sequence, 'SignerInfo'));
  expect(parts[0], TAG.integer, 'SignerInfo version');
  const sidTlv = parts[1];
  let sid: SignerInfo['sid'];
  if (sidTlv?.tag === TAG.sequence) {
    const [issuer, serial] = children(sidTlv);
    sid = {
      issuer: toDer(expect(issuer, TAG.sequence, 'issuer')),
      serial: content(expect(serial, TAG.integer, 'serial')),
    };
  } else if (sidTlv?.tag === TAG.context0Primitive) {
    sid = { subjectKeyId: content(sidTlv) };
  } else throw new Error('signer identifier expected');
  const digestAlgorithm = oidOf(children(expect(parts[2], TAG.sequence, 'digestAlgorithm'))[0]);
  let i = 3;
  let signedAttrs: SignerInfo['signedAttrs'];
  if (parts[i]?.tag === TAG.context0) {
    const attributes = children(parts[i]).map((a) => {
      const [type, values] = children(expect(a, TAG.sequence, 'Attribute'));
      return { type: oidOf(type), values: children(expect(values, TAG.set, 'attribute values')) };
    });
    // What was signed is the attributes as a SET (RFC 5652 §5.4), not the [0] they travel in.
    signedAttrs = { der: toDer(parts[i], TAG.set), attributes };
    i++;
  }
  const signatureAlgorithm = oidOf(children(expect(parts[i], TAG.sequence, 'signatureAlgorithm'))[0]);
  const signature = octetsOf(expect(parts[i + 1], TAG.octetString, 'signature'));
  return { sid, digestAlgorithm, signedAttrs, signatureAlgorithm, signature };
}

/** The first value of a signed attribute. */
export function signedAttribute(si: SignerInfo, type: string): Tlv | undefined {
  return si.signedAttrs?.attributes.find((a) => a.type === type)?.values[0];
}

/** The certificate `si` names, among those the message carries. */
export function signerCertificate(signed: SignedData, si: SignerInfo): Buffer | undefined {
  return signed.certificates.find((der) => {
    try {
      return matchesSid(der, si.sid);
    } catch {
      return false;
    }
  });
}

function matchesSid(certDer: Buffer, sid: SignerInfo['sid']): boolean {
  const tbs = children(children(readTlv(certDer, 0, certDer.length))[0]);
  const fields = tbs[0].tag === TAG.context0 ? tbs.slice(1) : tbs;
  if ('issuer' in sid) return content(fields[0]).equals(sid.serial) && toDer(fields[2]).equals(sid.issuer);
  const extensions = tbs.find((t) => t.tag === 0xa3);
  if (!extensions) return false;
  for (const ext of children(children(extensions)[0])) {
    const [id, ...rest] = children(ext);
    if (oidOf(id) === OID_SUBJECT_KEY_ID) {
      const value = octetsOf(rest[rest.length - 1]);
      return octetsOf(readTlv(value, 0, value.length)).equals(sid.subjectKeyId);
    }
  }
  return false;
}

const DIGESTS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
/** Signature algorithms: RSA PKCS#1 v1.5 and ECDSA; the digest is the SignerInfo's unless named here. */
const SIGNATURES: Record<string, { kind: 'rsa' | 'ecdsa'; digest?: string }> = {
  '1.2.840.113549.1.1.1': { kind: 'rsa' },
  '1.2.840.113549.1.1.5': { kind: 'rsa', digest: 'sha1' },
  '1.2.840.113549.1.1.14': { kind: 'rsa', digest: 'sha224' },
  '1.2.840.113549.1.1.11': { kind: 'rsa', digest: 'sha256' },
  '1.2.840.113549.1.1.12': { kind: 'rsa', digest: 'sha384' },
  '1.2.840.113549.1.1.13': { kind: 'rsa', digest: 'sha512' },
  '1.2.840.10045.2.1': { kind: 'ecdsa' },
  '1.2.840.10045.4.1': { kind: 'ecdsa', digest: 'sha1' },
  '1.2.840.10045.4.3.2': { kind: 'ecdsa', digest: 'sha256' },
  '1.2.840.10045.4.3.3': { kind: 'ecdsa', digest: 'sha384' },
  '1.2.840.10045.4.3.4': { kind: 'ecdsa', digest: 'sha512' },
};

/**
 * Checks `si`'s signature with `publicKey` over `data` (the detached or encapsulated content):
 * with signed attributes, their message digest must be the content's and the signature covers
 * them; without, the signature covers the content. Throws an Error saying why it does not verify.
 */
export function checkSignature(si: SignerInfo, data: Buffer, publicKey: KeyObject): void {
  const digest = DIGESTS[si.digestAlgorithm];
  if (!digest) throw new Error(`unsupported digest algorithm ${si.digestAlgorithm}`);
  const algorithm = SIGNATURES[si.signatureAlgorithm];
  if (!algorithm) throw new Error(`unsupported signature algorithm ${si.signatureAlgorithm}`);
  let signedBytes = data;
  if (si.signedAttrs) {
    const md = signedAttribute(si, OID_MESSAGE_DIGEST);
    if (!md) throw new Error('signed attributes carry no message digest');
    if (!octetsOf(md).equals(createHash(digest).update(data).digest())) {
      throw new Error('message digest does not match the content');
    }
    signedBytes = si.signedAttrs.der;
  }
  const key = algorithm.kind === 'rsa' ? { key: publicKey, padding: cryptoConstants.RSA_PKCS1_PADDING } : publicKey;
  let ok: boolean;
  try {
    ok = verify(algorithm.digest ?? digest, signedBytes, key, si.signature);
  } catch (e) {
    throw new Error(`signature cannot be checked: ${(e as Error).message}`);
  }
  if (!ok) throw new Error('signature does not verify');
}

/**
 * Verifies the single signer of `signed` over its own content, or over `detached` content, and
 * returns the signer's certificate DER (undefined when the message carries none). Throws an Error
 * when the signature does not verify.
 */
export function verifySigner(signed: SignedData, detached?: Buffer): Buffer | undefined {
  const si = signed.signerInfos[0];
  if (!si) throw new Error('no signer');
  const data = detached ?? signed.content;
  if (!data) throw new Error('no content to verify');
  const certDer = signerCertificate(signed, si);
  if (!certDer) return undefined;
  checkSignature(si, data, new X509Certificate(certDer).publicKey);
  return certDer;
}
