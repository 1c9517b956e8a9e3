import { generateKeyPairSync } from 'node:crypto';
import { generatePushCertificateForTests } from '../../../kit/push-cert';
import { DomainError } from '../../../lambdas/domain/errors';
import { parsePushCertificate, topicFromCertificate } from '../../../lambdas/protocol/apple/push-cert';
import { readFixture } from '../../support/fixtures';

const fixture = (name: string) => readFixture('micromdm', 'push-certs', name).toString('utf8');
const strayKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
  type: 'pkcs8',
  format: 'pem',
}) as string;

function expect422(fn: () => unknown, message: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).status).toBe(422);
    expect((e as DomainError).message).toMatch(message);
    return;
  }
  throw new Error('expected a 422');
}

describe('push certificate', () => {
  it('reads the topic from the micromdm mock push certificate', () => {
    expect(topicFromCertificate(fixture('mock_push_cert.pem'))).toBe(
      'com.apple.mgmt.External.18a16429-886b-41f1-9c30-2bd04ae4fc37',
    );
  });

  it('rejects the fixtures without a UID or with a wrong prefix', () => {
    expect422(() => parsePushCertificate(fixture('mock_push_cert_no_uid.pem'), strayKey), /no UID/);
    expect422(
      () => parsePushCertificate(fixture('mock_push_cert_wrong_uid_prefix.pem'), strayKey),
      /does not start with com\.apple\.mgmt\./,
    );
  });

  it('rejects a key that does not belong to the certificate', () => {
    expect422(() => parsePushCertificate(fixture('mock_push_cert.pem'), strayKey), /does not belong/);
    const a = generatePushCertificateForTests();
    expect422(() => parsePushCertificate(a.certPem, strayKey), /does not belong/);
  });

  it('rejects unreadable PEMs', () => {
    const a = generatePushCertificateForTests();
    expect422(() => parsePushCertificate('not a cert', a.keyPem), /certificate is not a readable/);
    expect422(() => parsePushCertificate(a.certPem, 'not a key'), /key is not a readable/);
    expect422(() => parsePushCertificate(a.keyPem, a.keyPem), /certificate is not a readable/);
  });

  it('accepts a generated push certificate with its key', () => {
    const now = new Date('2025-01-01T00:00:00Z');
    const g = generatePushCertificateForTests('com.apple.mgmt.External.11111111-2222-3333-4444-555555555555', now, 365);
    const r = parsePushCertificate(g.certPem, g.keyPem);
    expect(r.topic).toBe(g.topic);
    expect(r.notAfter.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(r.certPem).toBe(g.certPem);
  });
});
