import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import plist from 'plist';
import {
  buildPlist,
  MalformedPlistError,
  PLIST_LIMITS,
  PlistTooComplexError,
  parsePlist,
} from '../../../lambdas/protocol/apple/plist';
import { readXmlPlist } from '../../../lambdas/protocol/apple/plist-reader';
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
  it('parses every XML fixture (Buffer and string) into a dict, exactly as the plist library does', () => {
    const files = plistFixtures(fixturePath());
    expect(files.length).toBeGreaterThan(50);
    for (const f of files) {
      const buf = readFixture(path.relative(fixturePath(), f));
      const fromBuf = parsePlist(buf);
      expect(typeof fromBuf).toBe('object');
      expect(parsePlist(buf.toString('utf8'))).toEqual(fromBuf);
      expect({ file: f, value: fromBuf }).toStrictEqual({ file: f, value: plist.parse(buf.toString('utf8')) });
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

describe('parsePlist on hostile and unusual input', () => {
  const nestedDicts = (depth: number) =>
    `<plist><dict>${'<key>a</key><dict>'.repeat(depth)}${'</dict>'.repeat(depth)}</dict></plist>`;
  const refusal = (body: string) => {
    try {
      parsePlist(body);
    } catch (e) {
      return e as MalformedPlistError;
    }
    throw new Error('parsePlist accepted the body');
  };

  it('refuses a 1,000-deep dict (25 KB) with a 400 naming the depth limit', () => {
    // plist@3 did not finish this one in 15 minutes.
    const err = refusal(nestedDicts(1000));
    expect(err).toBeInstanceOf(PlistTooComplexError);
    expect(err.status).toBe(400);
    expect(err.details).toEqual({ limit: 'depth', max: PLIST_LIMITS.maxDepth });
  });

  it('accepts exactly the depth limit and refuses one level more, for dicts and arrays', () => {
    // The root dict is level 1.
    expect(() => parsePlist(nestedDicts(PLIST_LIMITS.maxDepth - 1))).not.toThrow();
    expect(refusal(nestedDicts(PLIST_LIMITS.maxDepth))).toBeInstanceOf(PlistTooComplexError);
    const arrays = (n: number) =>
      `<plist><dict><key>a</key>${'<array>'.repeat(n)}${'</array>'.repeat(n)}</dict></plist>`;
    expect(() => parsePlist(arrays(PLIST_LIMITS.maxDepth - 1))).not.toThrow();
    expect(refusal(arrays(PLIST_LIMITS.maxDepth))).toBeInstanceOf(PlistTooComplexError);
  });

  it('reads without recursion: 100,000 levels parse when the limit allows them', () => {
    const depth = 100_000;
    const xml = `<plist>${'<array>'.repeat(depth)}<true/>${'</array>'.repeat(depth)}</plist>`;
    let v = readXmlPlist(xml, { maxDepth: depth, maxElements: depth + 2 });
    for (let i = 0; i < depth; i++) v = (v as unknown[])[0];
    expect(v).toBe(true);
  });

  it('refuses more elements than the limit, and accepts a 3,000-app InstalledApplicationList', () => {
    const many = `<plist><dict><key>a</key><array>${'<true/>'.repeat(PLIST_LIMITS.maxElements)}</array></dict></plist>`;
    expect(refusal(many).details).toEqual({ limit: 'elements', max: PLIST_LIMITS.maxElements });
    // Every key iOS reports for an app: 31 elements per app.
    const app = buildPlist({
      Identifier: 'com.example.app',
      Name: 'App',
      ShortVersion: '1.2.3',
      Version: '123',
      BundleSize: 123456,
      DynamicSize: 789,
      Installing: false,
      IsValidated: true,
      ExternalVersionIdentifier: 8888,
      AdHocCodeSigned: false,
      AppStoreVendable: true,
      BetaApp: false,
      DeviceBasedVPP: false,
      HasUpdateAvailable: false,
      IsAppClip: false,
    })
      .replace(/^[\s\S]*?<dict>/, '<dict>')
      .replace(/<\/plist>\s*$/, '');
    const list = `<plist><dict><key>Status</key><string>Acknowledged</string><key>InstalledApplicationList</key><array>${app.repeat(
      3000,
    )}</array></dict></plist>`;
    expect((parsePlist(list).InstalledApplicationList as unknown[]).length).toBe(3000);
  });

  it('decodes entities, character references and CDATA, and skips comments, the XML declaration and the DOCTYPE', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><!-- a comment with <tags> -->
<dict>
  <key>A&amp;B</key><string>&lt;x&gt; &quot;q&quot; &apos;s&apos; &#233;&#x1F600;</string>
  <key>C</key><string><![CDATA[<raw> & ]]>tail<!-- inside --></string>
  <key>Lines</key><string>a\r\nb</string>
  <key>N</key><integer>-42</integer><key>R</key><real>2.5</real>
  <key>D</key><date>2024-01-02T03:04:05Z</date><key>Bin</key><data>
    aGVs
    bG8=
  </data>
  <key>T</key><true/><key>F</key><false/><key>E</key><dict/><key>L</key><array/>
</dict>
</plist>`.replace(/\\r\\n/, '\r\n');
    const d = parsePlist(xml);
    expect(d).toStrictEqual(plist.parse(xml));
    expect(d['A&B']).toBe('<x> "q" \'s\' é😀');
    expect(d.C).toBe('<raw> & tail');
    expect(d.Lines).toBe('a\nb');
    expect(d.Bin).toEqual(Buffer.from('hello'));
  });

  it.each([
    ['an unclosed dict', '<plist><dict><key>a</key><string>x</string></plist>'],
    ['a mismatched close', '<plist><dict><key>a</key><string>x</integer></dict></plist>'],
    ['an unterminated document', '<plist><dict><key>a</key><string>x'],
    ['a bare ampersand', '<plist><dict><key>a</key><string>x & y</string></dict></plist>'],
    ['an unknown entity', '<plist><dict><key>a</key><string>&nbsp;</string></dict></plist>'],
    ['an out-of-range character reference', '<plist><dict><key>a</key><string>&#x110000;</string></dict></plist>'],
    [
      'a DTD internal subset (entity expansion)',
      '<!DOCTYPE plist [<!ENTITY x "xx">]><plist><dict><key>a</key><string>&x;</string></dict></plist>',
    ],
    ['an unknown element', '<plist><dict><key>a</key><script>x</script></dict></plist>'],
    ['an element inside a string', '<plist><dict><key>a</key><string>x<true/></string></dict></plist>'],
    ['two keys in a row', '<plist><dict><key>a</key><key>b</key><string>x</string></dict></plist>'],
    ['a __proto__ key', '<plist><dict><key>__proto__</key><dict><key>polluted</key><true/></dict></dict></plist>'],
    ['an empty integer', '<plist><dict><key>a</key><integer></integer></dict></plist>'],
    ['a second root element', '<plist><dict/></plist><plist><dict/></plist>'],
    ['an unterminated comment', '<plist><dict><!-- </dict></plist>'],
  ])('throws MalformedPlistError (400) on %s', (_name, body) => {
    const err = refusal(body);
    expect(err).toBeInstanceOf(MalformedPlistError);
    expect(err.status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads keys named like Object.prototype members as ordinary keys', () => {
    const xml =
      '<plist><dict><key>toString</key><dict><key>constructor</key><array/></dict><key>hasOwnProperty</key><string>x</string></dict></plist>';
    const parsed = parsePlist(xml);
    expect(parsed).toEqual({ toString: { constructor: [] }, hasOwnProperty: 'x' });
    expect(Object.keys(parsed)).toEqual(['toString', 'hasOwnProperty']);
  });

  it('reads random shallow plists exactly as the plist library does', () => {
    // Characters that need escaping or normalising, and any Unicode grapheme. NEL (U+0085),
    // LINE SEPARATOR (U+2028) and PARAGRAPH SEPARATOR (U+2029) are left out: the plist library's XML
    // parser turns them into line feeds, while plists are XML 1.0, which keeps them (and so do we;
    // every other code point was checked to read the same).
    const char = fc.oneof(
      fc.constantFrom('<', '>', '&', '"', "'", ']]>', '\n', '\r', '\t', ' '),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }).filter((c) => !/[\u0085\u2028\u2029]/.test(c)),
    );
    const text = fc.string({ unit: char, maxLength: 16 });
    // The plist library breaks on keys that name Object.prototype members (toString, constructor, ...):
    // they are left to the test below.
    const key = text.filter((k) => !(k in Object.prototype));
    const leaf = fc.oneof(
      text,
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.integer({ min: 0, max: 4_102_444_800 }).map((s) => new Date(s * 1000)),
      fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
    );
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small', maxDepth: 3 }, leaf, tie('array'), tie('dict')),
      array: fc.array(tie('value'), { maxLength: 4 }),
      dict: fc.dictionary(key, tie('value'), { maxKeys: 4, noNullPrototype: true }),
    }));
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 6, noNullPrototype: true }), (root) => {
        const xml = plist.build(root as plist.PlistValue);
        expect(parsePlist(xml)).toStrictEqual(plist.parse(xml));
      }),
      { numRuns: 300 },
    );
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
