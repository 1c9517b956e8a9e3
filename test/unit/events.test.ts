// The pure side of events: which device changes are reported as which events, which addresses a
// webhook may reach, and the retry backoff.
import { classifyAddress } from '../../lambdas/domain/addresses';
import { deviceChangeEvents, retryDelaySeconds, webhookWants } from '../../lambdas/domain/events';
import type { Device } from '../../lambdas/domain/types';
import { newDevice } from '../support/factories';

const types = (before: Device | undefined, after: Device) => deviceChangeEvents(before, after).map((e) => e.type);

describe('deviceChangeEvents', () => {
  const pending = newDevice({
    registrationState: 'Awaiting-Check-In',
    pendingEnrollmentExpiresAt: '2026-12-01T00:00:00.000Z',
  });

  it('reports nothing for an enrollment token that no device used yet, nor for its expiry', () => {
    expect(types(undefined, pending)).toEqual([]);
    expect(types(pending, { ...pending, registrationState: 'Expired', rev: 1 })).toEqual([]);
  });

  it('Apple: enrolled at Authenticate, checked in at the first TokenUpdate', () => {
    const authenticated = newDevice({ registrationState: 'Awaiting-Check-In', serialNumber: 'C02X' });
    expect(types(undefined, authenticated)).toEqual(['device.enrolled']);
    const checkedIn = { ...authenticated, registrationState: 'Checked-In' as const, checkedInAt: 't1', rev: 1 };
    expect(types(authenticated, checkedIn)).toEqual(['device.checked_in']);
    // A later TokenUpdate (new push token) is no new check-in.
    expect(types(checkedIn, { ...checkedIn, push: { token: 'new' }, rev: 2 })).toEqual([]);
    // Authenticate again (re-enrollment) is a new enrollment.
    expect(types(checkedIn, { ...checkedIn, registrationState: 'Awaiting-Check-In', rev: 3 })).toEqual([
      'device.enrolled',
    ]);
  });

  it('Android: enrolled and checked in at once, and again at a re-enrollment', () => {
    const enrolled = newDevice({ platform: 'android', registrationState: 'Checked-In', checkedInAt: 't1' });
    expect(types(undefined, enrolled)).toEqual(['device.enrolled', 'device.checked_in']);
    expect(types(enrolled, { ...enrolled, checkedInAt: 't2', rev: 1 })).toEqual([
      'device.enrolled',
      'device.checked_in',
    ]);
  });

  it('reports a sync state change with from and to, and Not-Responding also as its own event', () => {
    const d = newDevice({ syncState: 'Sync-Requested', checkedInAt: 't1', rev: 4 });
    const drafts = deviceChangeEvents(d, { ...d, syncState: 'Not-Responding', rev: 5 });
    expect(drafts.map((x) => [x.type, x.data.from, x.data.to])).toEqual([
      ['device.sync_state_changed', 'Sync-Requested', 'Not-Responding'],
      ['device.not_responding', undefined, undefined],
    ]);
    expect(types(d, { ...d, lastSeenAt: 'now', rev: 5 })).toEqual([]);
  });

  it('reports a withdrawal once, with its reason', () => {
    const d = newDevice({ checkedInAt: 't1' });
    const withdrawn = { ...d, registrationState: 'Withdrawn' as const, withdrawalReason: 'wiped' as const, rev: 1 };
    const [event] = deviceChangeEvents(d, withdrawn);
    expect(event).toMatchObject({ type: 'device.withdrawn', data: { reason: 'wiped', deviceId: d.id } });
    expect(types(withdrawn, { ...withdrawn, rev: 2 })).toEqual([]);
  });

  it('names each change by device and revision, so the same change gets the same event id', () => {
    const d = newDevice({ syncState: 'Sync-Required', rev: 7 });
    const once = deviceChangeEvents(d, { ...d, syncState: 'Synchronized', rev: 8 });
    const again = deviceChangeEvents(d, { ...d, syncState: 'Synchronized', rev: 8 });
    expect(once[0].key).toBe(again[0].key);
    expect(deviceChangeEvents(d, { ...d, syncState: 'Synchronized', rev: 9 })[0].key).not.toBe(once[0].key);
  });

  it('carries no push token, device token or certificate hash', () => {
    const d = newDevice({
      registrationState: 'Awaiting-Check-In',
      push: { token: 'SECRET-TOKEN', magic: 'SECRET-MAGIC' },
      deviceTokenHash: 'SECRET-HASH',
      identityCertHash: 'SECRET-CERT',
    });
    expect(JSON.stringify(deviceChangeEvents(undefined, d))).not.toMatch(/SECRET/);
  });
});

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['10.0.0.1', 'not-public'],
    ['172.16.0.1', 'not-public'],
    ['172.31.255.255', 'not-public'],
    ['192.168.1.1', 'not-public'],
    ['169.254.169.254', 'not-public'],
    ['100.64.0.1', 'not-public'],
    ['0.0.0.0', 'not-public'],
    ['224.0.0.1', 'not-public'],
    ['255.255.255.255', 'not-public'],
    ['::', 'not-public'],
    ['fe80::1', 'not-public'],
    ['fd00:ec2::254', 'not-public'],
    ['fc00::1', 'not-public'],
    ['ff02::1', 'not-public'],
    ['::ffff:10.0.0.1', 'not-public'],
    ['::ffff:a9fe:a9fe', 'not-public'],
    ['64:ff9b::10.0.0.1', 'not-public'],
    ['2002:0a00:0001::1', 'not-public'],
    ['2001:db8::1', 'not-public'],
    ['[fe80::1%eth0]', 'not-public'],
    ['172.32.0.1', 'public'],
    ['93.184.215.14', 'public'],
    ['8.8.8.8', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['::ffff:8.8.8.8', 'public'],
  ])('%s is %s', (ip, kind) => {
    expect(classifyAddress(ip)).toBe(kind);
  });

  it('says a host name is not an address', () => {
    expect(classifyAddress('example.com')).toBeUndefined();
    expect(classifyAddress('1.2.3')).toBeUndefined();
    expect(classifyAddress('1:2:3:4:5:6:7:8:9')).toBeUndefined();
  });
});

describe('retryDelaySeconds', () => {
  it('doubles from about 30 s up to 15 minutes, with jitter between half and all of the step', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((n) => retryDelaySeconds(n, 0.999))).toEqual([
      30, 60, 120, 240, 480, 900, 900, 900,
    ]);
    expect(retryDelaySeconds(1, 0)).toBe(15);
    expect(retryDelaySeconds(20, 0)).toBe(450);
  });

  it('keeps retrying for a day: more than a day of delays fits in well over 90 attempts', () => {
    let total = 0;
    let attempts = 0;
    while (total < 24 * 3600) total += retryDelaySeconds(++attempts, 0.999);
    expect(attempts).toBeGreaterThan(90);
  });
});

describe('webhookWants', () => {
  it('takes every type when subscribed to none, and a ping always', () => {
    expect(webhookWants([], 'alarm.raised')).toBe(true);
    expect(webhookWants(['device.enrolled'], 'alarm.raised')).toBe(false);
    expect(webhookWants(['device.enrolled'], 'ping')).toBe(true);
  });
});
