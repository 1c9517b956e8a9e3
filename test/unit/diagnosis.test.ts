import { diagnosisSchema } from '../../lambdas/api/admin-schemas';
import type { DiagnosisInput, RecentCommandError } from '../../lambdas/domain/diagnosis';
import { diagnose } from '../../lambdas/domain/diagnosis';
import { ERROR_EXPLANATIONS, explainError } from '../../lambdas/domain/error-explanations';

const H = 3_600_000;
const T0 = Date.parse('2026-11-23T09:00:00.000Z');
const t = (hours: number) => new Date(T0 + hours * H).toISOString();
const apns = { kind: 'apns' as const, valid: true, notAfter: t(24 * 300) };

function input(over: Partial<DiagnosisInput> = {}, device: Partial<DiagnosisInput['device']> = {}): DiagnosisInput {
  return {
    device: {
      id: 'dev-1',
      platform: 'ios',
      syncState: 'Not-Synchronized',
      syncRequestedAt: t(0),
      syncRequestedBy: 'template-change',
      lastPushAt: t(0.01),
      lastSeenAt: t(0.02),
      lastUnlockedSeenAt: t(0.02),
      ...device,
    },
    pushCredential: apns,
    pendingNeedsUnlock: true,
    recentCommandErrors: [],
    now: t(2),
    ...over,
  };
}
const err = (over: Partial<RecentCommandError> = {}): RecentCommandError => ({
  commandId: 'cmd-1',
  requestType: 'InstallProfile',
  code: 4027,
  domain: 'MCInstallationErrorDomain',
  message: 'Profile requires passcode change',
  at: t(0.05),
  ...over,
});
const oks = (d: ReturnType<typeof diagnose>) => d.steps.map((s) => s.ok);

describe('diagnose: shape', () => {
  it('always returns the four steps in order and validates against diagnosisSchema', () => {
    for (const d of [
      diagnose(input()),
      diagnose(input({ pushCredential: undefined }, { lastPushAt: undefined })),
      diagnose(input({ recentCommandErrors: [err()] })),
    ]) {
      expect(d.steps.map((s) => s.step)).toEqual([1, 2, 3, 4]);
      expect(diagnosisSchema.parse(d)).toEqual(d);
    }
  });
});

describe('diagnose: verdicts', () => {
  it('synchronized: state Synchronized and every step fine', () => {
    const d = diagnose(input({}, { syncState: 'Synchronized' }));
    expect(d.verdict).toBe('synchronized');
    expect(oks(d)).toEqual([true, true, true, true]);
    expect(d.errors).toEqual([]);
  });
  it('in-progress: every step fine, no errors, not Synchronized yet', () => {
    expect(diagnose(input()).verdict).toBe('in-progress');
  });
  it('push-not-sent: no push since the request, credential fine', () => {
    const d = diagnose(
      input({}, { lastPushAt: undefined, lastSeenAt: t(-5), lastUnlockedSeenAt: t(-5), syncState: 'Sync-Required' }),
    );
    expect(d.verdict).toBe('push-not-sent');
    expect(d.steps[0].ok).toBe(false);
    expect(d.steps[0].advice).toMatch(/per-minute push cap/);
    expect(d.steps[0].evidence).toMatchObject({ lastPushAt: null, credential: { kind: 'apns', valid: true } });
  });
  it('push-not-sent: the last push was before the request', () => {
    const d = diagnose(input({}, { lastPushAt: t(-1), lastSeenAt: t(-0.5), syncState: 'Sync-Required' }));
    expect(d.verdict).toBe('push-not-sent');
    expect(d.steps[0].evidence.note).toMatch(/before the last sync request/);
  });
  it('push-credential-invalid: none uploaded', () => {
    const d = diagnose(
      input({ pushCredential: undefined }, { lastPushAt: undefined, lastSeenAt: t(-1), syncState: 'Sync-Required' }),
    );
    expect(d.verdict).toBe('push-credential-invalid');
    expect(d.steps[0].advice).toMatch(/no push credential is uploaded.*Apple push certificate/);
  });
  it('push-credential-invalid: marked invalid (FCM on Android)', () => {
    const d = diagnose(
      input(
        { pushCredential: { kind: 'fcm', valid: false, invalidSince: t(-3) } },
        { platform: 'android', lastPushAt: undefined, lastSeenAt: t(-1), syncState: 'Sync-Required' },
      ),
    );
    expect(d.verdict).toBe('push-credential-invalid');
    expect(d.steps[0].advice).toContain(`FCM service account is invalid since ${t(-3)}`);
  });
  it('push-credential-invalid: expired by date even though marked valid', () => {
    const d = diagnose(
      input(
        { pushCredential: { kind: 'apns', valid: true, notAfter: t(1) }, now: t(1) },
        { lastPushAt: undefined, lastSeenAt: t(-1) },
      ),
    );
    expect(d.verdict).toBe('push-credential-invalid');
    expect(d.steps[0].evidence.credential).toMatchObject({ valid: false, notAfter: t(1) });
  });
  it('a push sent after the request passes step 1 even when the credential has since expired', () => {
    const d = diagnose(input({ pushCredential: { kind: 'apns', valid: false } }));
    expect(d.steps[0].ok).toBe(true);
    expect(d.steps[0].evidence.credential).toMatchObject({ valid: false });
  });
  it('device-unreachable: no access after the push; advice restart then reset', () => {
    const d = diagnose(input({}, { syncState: 'Sync-Requested', lastSeenAt: t(-3), lastUnlockedSeenAt: t(-3) }));
    expect(d.verdict).toBe('device-unreachable');
    expect(oks(d)).toEqual([true, false, false, true]);
    expect(d.steps[1].advice).toMatch(/Restart the device; if it still does not connect, reset it/);
    expect(d.steps[1].evidence).toMatchObject({ since: t(0.01), lastSeenAt: t(-3), hoursSince: 2 });
  });
  it('device-unreachable: never seen at all', () => {
    expect(
      diagnose(input({}, { lastSeenAt: undefined, lastUnlockedSeenAt: undefined, syncState: 'Not-Responding' }))
        .verdict,
    ).toBe('device-unreachable');
  });
  it('device-locked: answered only while locked, and profile work is pending', () => {
    const d = diagnose(input({}, { lastUnlockedSeenAt: t(-1) }));
    expect(d.verdict).toBe('device-locked');
    expect(d.steps[2].advice).toMatch(/unlock/);
  });
  it('device-locked comes before command errors', () => {
    expect(diagnose(input({ recentCommandErrors: [err()] }, { lastUnlockedSeenAt: undefined })).verdict).toBe(
      'device-locked',
    );
  });
  it('step 3 is skipped on Android (commands run while locked)', () => {
    const d = diagnose(
      input({ pushCredential: { kind: 'fcm', valid: true } }, { platform: 'android', lastUnlockedSeenAt: undefined }),
    );
    expect(d.steps[2].ok).toBeNull();
    expect(d.steps[2].evidence.note).toMatch(/Android/);
    expect(d.verdict).toBe('in-progress');
  });
  it('step 3 is skipped when nothing pending needs an unlock', () => {
    const d = diagnose(input({ pendingNeedsUnlock: false }, { lastUnlockedSeenAt: undefined }));
    expect(d.steps[2].ok).toBeNull();
    expect(d.verdict).toBe('in-progress');
  });
  it('step 3 applies to macOS like iOS', () => {
    expect(diagnose(input({}, { platform: 'macos', lastUnlockedSeenAt: t(-1) })).verdict).toBe('device-locked');
  });
  it('command-errors: each error explained with its fix; 4027 says split the passcode payload', () => {
    const d = diagnose(
      input({
        recentCommandErrors: [
          err(),
          err({ commandId: 'cmd-2', code: 99999, domain: 'Nowhere', message: '?', at: t(0.06) }),
        ],
      }),
    );
    expect(d.verdict).toBe('command-errors');
    expect(d.errors.map((e) => e.commandId)).toEqual(['cmd-2', 'cmd-1']); // newest first
    expect(d.errors[1]).toMatchObject({
      code: 4027,
      domain: 'MCInstallationErrorDomain',
      message: 'Profile requires passcode change',
    });
    expect(d.errors[1].fix).toMatch(/[Ss]plit the passcode payload into its own profile/);
    expect(d.errors[0].explanation).toBeUndefined();
    expect(d.steps[3]).toMatchObject({ ok: false, evidence: { errorCount: 2, newest: { commandId: 'cmd-2' } } });
  });
  it('command errors on a Synchronized device are reported as notes, not as the verdict', () => {
    const d = diagnose(
      input({ recentCommandErrors: [err({ code: 12063, domain: 'MCMDMErrorDomain' })] }, { syncState: 'Synchronized' }),
    );
    expect(d.verdict).toBe('synchronized');
    expect(d.errors.map((e) => e.code)).toEqual([12063]);
    expect(d.notes[0]).toMatch(/MCMDMErrorDomain 12063/);
  });
  it('ignores errors older than the last sync request', () => {
    const d = diagnose(input({ recentCommandErrors: [err({ at: t(-1) })] }));
    expect(d.verdict).toBe('in-progress');
    expect(d.steps[3].evidence).toMatchObject({ errorCount: 0, olderErrorsIgnored: 1 });
  });
  it('accepts string codes (Android agent)', () => {
    const d = diagnose(
      input(
        {
          pushCredential: { kind: 'fcm', valid: true },
          recentCommandErrors: [err({ code: 'install-failed', domain: 'AndroidAgent' })],
        },
        { platform: 'android' },
      ),
    );
    expect(d.errors[0].explanation).toMatch(/App installation failed/);
  });
});

describe('diagnose: timestamp edges', () => {
  it('a push at the same instant as the request counts as sent', () => {
    expect(diagnose(input({}, { lastPushAt: t(0) })).steps[0].ok).toBe(true);
  });
  it('an access at the same instant as the push is not an answer to it (strictly after)', () => {
    const d = diagnose(input({}, { lastSeenAt: t(0.01), lastUnlockedSeenAt: t(0.01) }));
    expect(d.steps[1].ok).toBe(false);
    expect(d.verdict).toBe('device-unreachable');
  });
  it('an unlocked access at the same instant as the push does not pass the security check', () => {
    expect(diagnose(input({}, { lastUnlockedSeenAt: t(0.01) })).verdict).toBe('device-locked');
  });
  it('a device that came by itself after the request needed no push', () => {
    const d = diagnose(input({}, { lastPushAt: t(-2), lastSeenAt: t(1), lastUnlockedSeenAt: t(1) }));
    expect(d.steps[0].ok).toBeNull();
    expect(d.steps[1]).toMatchObject({ ok: true, evidence: { since: t(0) } });
    expect(d.verdict).toBe('in-progress');
  });
  it('a re-push after the device answered is measured from the latest push', () => {
    const d = diagnose(input({}, { lastPushAt: t(1), lastSeenAt: t(0.5) }));
    expect(d.verdict).toBe('device-unreachable');
  });
  it('a Synchronized device with no request and no push has nothing to diagnose', () => {
    const d = diagnose(
      input(
        {},
        { syncState: 'Synchronized', syncRequestedAt: undefined, syncRequestedBy: undefined, lastPushAt: undefined },
      ),
    );
    expect(oks(d)).toEqual([null, null, null, true]);
    expect(d.verdict).toBe('synchronized');
  });
  it('a Synchronized device is synchronized whatever errors its sync met; they are notes', () => {
    // A device that does not know one inventory query (MCMDMErrorDomain 12021) but whose contents match.
    const unknownQuery = err({
      requestType: 'DeviceInformation',
      code: 12021,
      domain: 'MCMDMErrorDomain',
      message: 'Unknown command',
    });
    const d = diagnose(input({ recentCommandErrors: [unknownQuery] }, { syncState: 'Synchronized' }));
    expect(d.verdict).toBe('synchronized');
    expect(oks(d)).toEqual([true, true, true, false]);
    expect(d.errors).toHaveLength(1);
    expect(d.notes).toEqual([
      '1 command error(s) did not block the sync: DeviceInformation (MCMDMErrorDomain 12021: Unknown command)',
    ]);
    expect(diagnosisSchema.parse(d)).toEqual(d);
  });
  it('the same errors on a device that is not Synchronized are the verdict, with no notes', () => {
    const d = diagnose(input({ recentCommandErrors: [err()] }));
    expect(d.verdict).toBe('command-errors');
    expect(d.notes).toEqual([]);
  });
  it('a never-pushed, never-requested device that is not Synchronized fails step 1', () => {
    expect(
      diagnose(input({}, { syncState: 'Sync-Required', syncRequestedAt: undefined, lastPushAt: undefined })).verdict,
    ).toBe('push-not-sent');
  });
});

describe('error table', () => {
  it.each([
    ['MCInstallationErrorDomain', [4001, 4004, 4005, 4009, 4010, 4012, 4015, 4020, 4022, 4024, 4025, 4026, 4027, 4030]],
    ['MCProfileErrorDomain', [1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010]],
    ['MCPayloadErrorDomain', [2000, 2001, 2002, 2003, 2004, 2005]],
    ['MCPasscodeErrorDomain', [5000, 5001, 5002, 5003, 5004, 5005, 5006, 5007, 5008, 5010, 5011, 5013, 5014]],
    [
      'MCMDMErrorDomain',
      [
        12000,
        12007,
        12013,
        12021,
        ...Array.from({ length: 16 }, (_, i) => 12023 + i),
        12049,
        12063,
        12066,
        12067,
        12068,
        12069,
        12075,
        12078,
        12081,
        12084,
      ],
    ],
    ['MCTunnelErrorDomain', [14001]],
    ['MDMServer', ['no-result']],
    ['AndroidAgent', ['policy-rejected', 'install-failed', 'not-device-owner']],
  ] as const)('%s has every listed code', (domain, codes) => {
    for (const code of codes) expect(explainError(domain, code)).toBeDefined();
  });
  it('4026 is the removal date in the past; numbers and strings look up alike', () => {
    expect(explainError('MCInstallationErrorDomain', 4026)?.title).toMatch(/[Rr]emoval date/);
    expect(explainError('MCInstallationErrorDomain', '4026')).toBe(explainError('MCInstallationErrorDomain', 4026));
  });
  it('unknown codes and domains give undefined', () => {
    expect(explainError('MCInstallationErrorDomain', 4999)).toBeUndefined();
    expect(explainError('MCProfileErrorDomain', 4026)).toBeUndefined();
  });
  it('every row has a title, an explanation and a fix', () => {
    for (const [key, e] of Object.entries(ERROR_EXPLANATIONS)) {
      expect(key).toMatch(/^[A-Za-z.]+:[\w-]+$/);
      expect(e.title.length).toBeGreaterThan(3);
      expect(e.explanation.length).toBeGreaterThan(10);
      expect(e.fix.length).toBeGreaterThan(10);
    }
  });
});
