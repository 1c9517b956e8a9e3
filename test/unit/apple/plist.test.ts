import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { MalformedPlistError, buildPlist, parsePlist } from '../../../lambdas/protocol/apple/plist';
import { fixturePath, readFixture } from '../../support/fixtures';

function plistFixtures(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...plistFixtures(p));
    else if (/\.(xml|plist|mobileconfig)$/.test(name)) out.push(p);
  }
  return out;
}

describe('parsePlist', () => {
  it('parses every XML fixture (Buffer and string) into a dict', () => {
    const files = plistFixtures(fixturePath());
    expect(files.length).toBeGreaterThan(50);
    for (const f of files) {
      const buf = readFixture(path.relative(fixturePath(), f));
      const fromBuf = parsePlist(buf);
      expect(typeof fromBuf).toBe('object');
      expect(parsePlist(buf.toString('utf8'))).toEqual(fromBuf);
    }
  });

  it('returns Buffers for <data> and numbers for <integer>', () => {
    const d = parsePlist(readFixture('nanomdm', 'TokenUpdate.2.plist'));
    expect(Buffer.isBuffer(d.Token)).toBe(true);
    const e = parsePlist(readFixture('nanomdm', 'enroll.mobileconfig'));
    const mdm = (e.PayloadContent as Array<Record<string, unknown>>)[1];
    expect(mdm.AccessRights).toBe(8191);
    expect(mdm.SignMessage).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['garbage', 'hello world'],
    ['json', '{"a":1}'],
    ['binary plist', 'bplist00\u0000\u0001'],
    ['array root', '<?xml version="1.0"?><plist version="1.0"><array><string>a</string></array></plist>'],
    ['string root', '<plist version="1.0"><string>a</string></plist>'],
    ['html', '<html><body>plist</body></html>'],
    ['dict without key', '<plist><dict><string>x</string></dict></plist>'],
  ])('throws MalformedPlistError (400) on %s', (_name, body) => {
    expect(() => parsePlist(Buffer.from(body))).toThrow(MalformedPlistError);
    try {
      parsePlist(body);
    } catch (e) {
      expect((e as MalformedPlistError).status).toBe(400);
    }
  });
});

describe('buildPlist', () => {
  it('round-trips data, integers, booleans, dates and nested values; drops undefined/null', () => {
    const obj = {
      CommandUUID: 'abc',
      Command: { RequestType: 'InstallProfile', Payload: Buffer.from('<plist/>'), Missing: undefined, Null: null },
      Count: 3,
      Ok: true,
      At: new Date('2024-01-02T03:04:05Z'),
      List: ['a', undefined, 'b'],
    };
    const xml = buildPlist(obj);
    expect(xml).not.toContain('Missing');
    const back = parsePlist(xml);
    expect(back).toEqual({
      CommandUUID: 'abc',
      Command: { RequestType: 'InstallProfile', Payload: Buffer.from('<plist/>') },
      Count: 3,
      Ok: true,
      At: new Date('2024-01-02T03:04:05Z'),
      List: ['a', 'b'],
    });
  });
});
