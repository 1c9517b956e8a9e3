// Test certificates built with node-forge: a CA for test servers, server certificates for
// localhost (and for any host name a test impersonates, e.g. fcm.googleapis.com), a "fake Apple"
// CA and MDM push certificates it signs (subject UID = the push topic).
// Keys come from node:crypto (native RSA keygen is far faster than forge's); everything is cached
// per process because keygen is still the slow part.
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import forge from 'node-forge';

export interface KeyAndCert {
  certPem: string;
  keyPem: string;
}

export interface PushCertificate extends KeyAndCert {
  /** com.apple.mgmt.External.<uuid>, the UID of the subject. */
  topic: string;
}

const UID_OID = '0.9.2342.19200300.100.1.1';
const DAY = 24 * 3600 * 1000;

function newKeys(): { keyPem: string; publicKey: forge.pki.PublicKey; privateKey: forge.pki.rsa.PrivateKey } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  return { keyPem, privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e) };
}

interface IssueOptions {
  subject: forge.pki.CertificateField[];
  issuer?: { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey };
  isCa?: boolean;
  altNames?: string[];
  usage: 'ca' | 'server' | 'client';
  notBefore?: Date;
  notAfter?: Date;
}

function issue(options: IssueOptions): KeyAndCert & { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey } {
  const keys = newKeys();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  // DER integers must be positive and minimal: first byte 0x01..0x7f.
  cert.serialNumber = ((randomBytes(1)[0] % 0x7f) + 1).toString(16).padStart(2, '0') + randomBytes(8).toString('hex');
  cert.validity.notBefore = options.notBefore ?? new Date(Date.now() - DAY);
  cert.validity.notAfter = options.notAfter ?? new Date(Date.now() + 365 * DAY);
  cert.setSubject(options.subject);
  cert.setIssuer(options.issuer ? options.issuer.cert.subject.attributes : options.subject);
  const extensions: object[] = [];
  if (options.usage === 'ca') {
    extensions.push({ name: 'basicConstraints', cA: true, critical: true });
    extensions.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true });
  } else {
    extensions.push({ name: 'basicConstraints', cA: false });
    extensions.push({ name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true });
    extensions.push({
      name: 'extKeyUsage',
      serverAuth: options.usage === 'server',
      clientAuth: options.usage === 'client',
    });
  }
  if (options.altNames) {
    extensions.push({
      name: 'subjectAltName',
      altNames: options.altNames.map((n) => (/^[\d.]+$/.test(n) ? { type: 7, ip: n } : { type: 2, value: n })),
    });
  }
  extensions.push({ name: 'subjectKeyIdentifier' });
  cert.setExtensions(extensions);
  cert.sign(options.issuer?.key ?? keys.privateKey, forge.md.sha256.create());
  return { cert, key: keys.privateKey, certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

const cache = new Map<string, unknown>();
function cached<T>(key: string, make: () => T): T {
  if (!cache.has(key)) cache.set(key, make());
  return cache.get(key) as T;
}

const caNamed = (cn: string) =>
  cached(`ca:${cn}`, () =>
    issue({
      subject: [
        { name: 'commonName', value: cn },
        { name: 'organizationName', value: 'MDM tests' },
      ],
      usage: 'ca',
    }),
  );

/** The CA that signs test servers' certificates (trust it as a client with `ca`). */
export function testCa(): KeyAndCert {
  const { certPem, keyPem } = caNamed('MDM Test Server CA');
  return { certPem, keyPem };
}

/** A server certificate for localhost and 127.0.0.1, plus any extra names, signed by testCa(). */
export function serverCert(extraNames: string[] = []): KeyAndCert {
  const names = ['localhost', '127.0.0.1', ...extraNames];
  return cached(`server:${names.join(',')}`, () => {
    const { certPem, keyPem } = issue({
      subject: [{ name: 'commonName', value: names[0] }],
      issuer: caNamed('MDM Test Server CA'),
      altNames: names,
      usage: 'server',
    });
    return { certPem, keyPem };
  });
}

/** Stands in for Apple's push CA: the fake APNs server accepts client certificates it signed. */
export function fakeAppleCa(): KeyAndCert {
  const { certPem, keyPem } = caNamed('Fake Apple Worldwide Developer Relations CA');
  return { certPem, keyPem };
}

/** A CA that is not the fake Apple one: push certificates it signs are refused by the fake APNs. */
export function otherCa(): KeyAndCert {
  const { certPem, keyPem } = caNamed('Some Other CA');
  return { certPem, keyPem };
}

export interface PushCertOptions {
  uuid?: string;
  /** Sign with otherCa() instead of the fake Apple CA. */
  untrusted?: boolean;
  notAfter?: Date;
  /** Cache key: the same name returns the same certificate within the process. */
  name?: string;
}

/** An MDM push certificate: subject UID=com.apple.mgmt.External.<uuid>, client-auth, like Apple's. */
export function pushCert(options: PushCertOptions = {}): PushCertificate {
  const make = (): PushCertificate => {
    const uuid = options.uuid ?? randomUUID();
    const topic = `com.apple.mgmt.External.${uuid}`;
    const { certPem, keyPem } = issue({
      subject: [
        // forge has no name for UID; its typings lack valueTagClass.
        { type: UID_OID, value: topic, valueTagClass: forge.asn1.Type.UTF8 } as unknown as forge.pki.CertificateField,
        { name: 'commonName', value: `APSP:${uuid}` },
        { name: 'countryName', value: 'US' },
      ],
      issuer: caNamed(options.untrusted ? 'Some Other CA' : 'Fake Apple Worldwide Developer Relations CA'),
      usage: 'client',
      notAfter: options.notAfter,
    });
    return { certPem, keyPem, topic };
  };
  return options.name ? cached(`push:${options.name}:${options.untrusted ? 'u' : 't'}`, make) : make();
}
