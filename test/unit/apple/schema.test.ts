// Our commands and enrollment profile against apple/device-management's YAML schemas.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { fixturePath } from '../../support/fixtures';

interface SchemaKey {
  key: string;
  type: string;
  presence?: 'required' | 'optional';
  rangelist?: unknown[];
  subkeys?: SchemaKey[];
}

interface AppleSchema {
  title: string;
  payload: { requesttype?: string; payloadtype?: string };
  payloadkeys?: SchemaKey[];
  responsekeys?: SchemaKey[];
}

const ADM = fixturePath('apple-device-management');

function loadSchema(...parts: string[]): AppleSchema {
  return parse(readFileSync(path.join(ADM, ...parts), 'utf8')) as AppleSchema;
}

/** Every command schema, keyed by RequestType. */
function commandSchemas(): Map<string, AppleSchema> {
  const dir = path.join(ADM, 'mdm', 'commands');
  const out = new Map<string, AppleSchema>();
  for (const f of readdirSync(dir)) {
    const s = loadSchema('mdm', 'commands', f);
    if (s.payload.requesttype) out.set(s.payload.requesttype, s);
  }
  return out;
}

/** Whether a JS value fits a schema `<type>`. */
function fitsType(value: unknown, type: string): boolean {
  switch (type) {
    case '<string>':
      return typeof value === 'string';
    case '<integer>':
      return Number.isInteger(value);
    case '<real>':
      return typeof value === 'number';
    case '<boolean>':
      return typeof value === 'boolean';
    case '<data>':
      return Buffer.isBuffer(value);
    case '<date>':
      return value instanceof Date;
    case '<array>':
      return Array.isArray(value);
    case '<dictionary>':
      return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
    default:
      return true;
  }
}

/** Problems with `dict` against `keys`: missing required keys, unknown keys, wrong types. */
function schemaProblems(dict: Record<string, unknown>, keys: SchemaKey[], where = ''): string[] {
  const problems: string[] = [];
  const known = new Map(keys.map((k) => [k.key, k]));
  for (const k of keys) {
    if (k.presence === 'required' && !(k.key in dict)) problems.push(`${where}${k.key}: required but missing`);
  }
  for (const [name, value] of Object.entries(dict)) {
    const k = known.get(name);
    if (!k) {
      if (!known.has('ANY')) problems.push(`${where}${name}: not in the schema`);
      continue;
    }
    if (!fitsType(value, k.type)) problems.push(`${where}${name}: expected ${k.type}, got ${JSON.stringify(value)}`);
    else if (k.rangelist && !(Array.isArray(value) ? value : [value]).every((v) => k.rangelist!.includes(v))) {
      problems.push(`${where}${name}: ${JSON.stringify(value)} not in ${JSON.stringify(k.rangelist)}`);
    }
  }
  return problems;
}

import * as kitCmd from '../../../kit/apple-commands';
import type { AppleCommand } from '../../../lambdas/protocol/apple/command-builders';
import * as cmd from '../../../lambdas/protocol/apple/command-builders';
import {
  buildEnrollmentProfile,
  enrollmentProfileIdentifier,
} from '../../../lambdas/protocol/apple/enrollment-profile';
import { parsePlist } from '../../../lambdas/protocol/apple/plist';

const samples: Array<[string, AppleCommand]> = [
  ['deviceInformation', cmd.deviceInformation()],
  ['securityInfo', kitCmd.securityInfo()],
  ['profileList', cmd.profileList()],
  ['installedApplicationList', cmd.installedApplicationList()],
  ['managedApplicationList', kitCmd.managedApplicationList()],
  ['managedMediaList', cmd.managedMediaList()],
  ['certificateList', kitCmd.certificateList()],
  ['installProfile', cmd.installProfile(Buffer.from('<plist/>'))],
  ['removeProfile', cmd.removeProfile('com.example.wifi')],
  [
    'installApplication (store id)',
    cmd.installApplication({ identifier: 'com.example.app', iTunesStoreID: 361309726 }),
  ],
  [
    'installApplication (manifest)',
    cmd.installApplication({ identifier: 'com.example.app', manifestURL: 'https://x.example/m.plist' }),
  ],
  ['installApplication (bundle id)', cmd.installApplication({ identifier: 'com.example.app' })],
  ['removeApplication', cmd.removeApplication('com.example.app')],
  ['installMedia (store)', cmd.installMedia({ iTunesStoreID: 123 })],
  [
    'installMedia (url)',
    cmd.installMedia({ mediaURL: 'https://x.example/book.pdf', persistentId: 'com.example.book', title: 'Book' }),
  ],
  ['removeMedia', cmd.removeMedia({ persistentId: 'com.example.book' })],
  ['removeMedia (store)', cmd.removeMedia({ iTunesStoreID: 123 })],
  ['deviceLock', cmd.deviceLock({ pin: '123456', message: 'Call IT', phoneNumber: '+15555550100' })],
  ['deviceLock (bare)', cmd.deviceLock()],
  ['restartDevice', cmd.restartDevice()],
  ['eraseDevice', cmd.eraseDevice({ pin: '123456' })],
  ['clearPasscode', kitCmd.clearPasscode(Buffer.from('unlock'))],
  ['enableLostMode', cmd.enableLostMode({ message: 'Lost', phoneNumber: '+15555550100', footnote: 'ACME' })],
  ['disableLostMode', cmd.disableLostMode()],
  ['unenroll', cmd.unenroll('t1')],
];

describe('commands against the apple/device-management schemas', () => {
  const schemas = commandSchemas();

  it.each(samples)('%s matches its schema', (_name, c) => {
    const schema = schemas.get(c.requestType);
    expect(schema).toBeDefined();
    expect(c.command.RequestType).toBe(schema!.payload.requesttype);
    const { RequestType: _rt, ...params } = c.command;
    expect(schemaProblems(params, schema!.payloadkeys ?? [])).toEqual([]);
    // DeviceInformation queries must be names the schema knows.
    if (c.requestType === 'DeviceInformation') {
      const allowed = schema!.payloadkeys!.find((k) => k.key === 'Queries')!.subkeys![0].subkeys!.map((k) => k.key);
      for (const q of params.Queries as string[]) expect(allowed).toContain(q);
    }
  });

  it('survives the wire: encodeCommand produces the {CommandUUID, Command} envelope', () => {
    for (const [, c] of samples) {
      const back = parsePlist(cmd.encodeCommand('uuid-1', c.command));
      expect(back).toEqual({ CommandUUID: 'uuid-1', Command: c.command });
    }
  });
});

describe('SCEP enrollment profile against the schemas', () => {
  const profile = parsePlist(
    buildEnrollmentProfile({
      tenantId: 't1',
      tenantName: 'Acme',
      serverUrl: 'https://mdm.example.com/mdm/t1/connect',
      topic: 'com.apple.mgmt.External.11111111-2222-3333-4444-555555555555',
      identity: {
        kind: 'scep',
        url: 'https://mdm.example.com/scep/t1',
        challenge: 'c'.repeat(32),
        subject: 't1 device',
      },
    }),
  );
  const payloads = profile.PayloadContent as Array<Record<string, unknown>>;
  const scep = payloads.find((p) => p.PayloadType === 'com.apple.security.scep')!;
  const common = loadSchema('mdm', 'profiles', 'CommonPayloadKeys.yaml').payloadkeys!;

  it('com.apple.security.scep.yaml payload has its required keys and only known keys', () => {
    const schema = loadSchema('mdm', 'profiles', 'com.apple.security.scep.yaml');
    expect(schema.payload.payloadtype).toBe('com.apple.security.scep');
    expect(schemaProblems(scep, [...common, ...schema.payloadkeys!])).toEqual([]);
  });

  it('asks for a 2048-bit RSA key the device makes, and the MDM payload uses it', () => {
    expect(scep.PayloadContent).toEqual({
      URL: 'https://mdm.example.com/scep/t1',
      Subject: [[['CN', 't1 device']]],
      Challenge: 'c'.repeat(32),
      Keysize: 2048,
      'Key Type': 'RSA',
      'Key Usage': 5,
    });
    const mdm = payloads.find((p) => p.PayloadType === 'com.apple.mdm')!;
    expect(mdm.IdentityCertificateUUID).toBe(scep.PayloadUUID);
    expect(payloads).toHaveLength(2);
  });
});

describe('enrollment profile against the schemas', () => {
  const profile = parsePlist(
    buildEnrollmentProfile({
      tenantId: 't1',
      tenantName: 'Acme',
      serverUrl: 'https://mdm.example.com/mdm/t1/connect',
      checkInUrl: 'https://mdm.example.com/mdm/t1/checkin',
      topic: 'com.apple.mgmt.External.11111111-2222-3333-4444-555555555555',
      identity: { kind: 'pkcs12', p12: Buffer.from('p12'), password: 'pw' },
    }),
  );
  const payloads = profile.PayloadContent as Array<Record<string, unknown>>;
  const byType = (t: string) => payloads.find((p) => p.PayloadType === t)!;
  const common = loadSchema('mdm', 'profiles', 'CommonPayloadKeys.yaml').payloadkeys!;

  it('has the top-level keys of a Configuration profile', () => {
    expect(schemaProblems(profile, loadSchema('mdm', 'profiles', 'TopLevel.yaml').payloadkeys!)).toEqual([]);
    expect(profile.PayloadIdentifier).toBe(enrollmentProfileIdentifier('t1'));
  });

  it.each([
    ['com.apple.mdm.yaml', 'com.apple.mdm'],
    ['com.apple.security.pkcs12.yaml', 'com.apple.security.pkcs12'],
  ])('%s payload has its required keys and only known keys', (file, type) => {
    const schema = loadSchema('mdm', 'profiles', file);
    expect(schema.payload.payloadtype).toBe(type);
    expect(schemaProblems(byType(type), [...common, ...schema.payloadkeys!])).toEqual([]);
  });

  it('points the MDM payload at the identity payload and asks for signed messages', () => {
    const mdm = byType('com.apple.mdm');
    expect(mdm.IdentityCertificateUUID).toBe(byType('com.apple.security.pkcs12').PayloadUUID);
    expect(mdm).toMatchObject({
      SignMessage: true,
      AccessRights: 8191,
      CheckOutWhenRemoved: true,
      ServerCapabilities: ['com.apple.mdm.per-user-connections'],
      Topic: 'com.apple.mgmt.External.11111111-2222-3333-4444-555555555555',
      ServerURL: 'https://mdm.example.com/mdm/t1/connect',
      CheckInURL: 'https://mdm.example.com/mdm/t1/checkin',
    });
    const uuids = [profile.PayloadUUID, ...payloads.map((p) => p.PayloadUUID)];
    expect(new Set(uuids).size).toBe(3);
  });
});
