// Why is this device not Synchronized? The operators' troubleshooting flow (docs/sync.md
// §Diagnosis), as a pure function: every step with its evidence, in order, and the
// first failing one as the verdict. Output matches diagnosisSchema in lambdas/api/admin-schemas.ts.

import { explainError } from './error-explanations';
import type { Device, SyncState } from './types';

export type DiagnosisVerdict =
  | 'synchronized'
  | 'push-not-sent'
  | 'push-credential-invalid'
  | 'device-unreachable'
  | 'device-locked'
  | 'command-errors'
  | 'in-progress';

export interface PushCredentialFacts {
  kind: 'apns' | 'fcm';
  valid: boolean;
  notAfter?: string;
  invalidSince?: string;
}

export interface RecentCommandError {
  commandId: string;
  requestType: string;
  code: number | string;
  domain: string;
  message: string;
  at: string;
}

export interface DiagnosisInput {
  device: Pick<Device, 'id' | 'syncState' | 'platform'> &
    Partial<Pick<Device, 'lastPushAt' | 'lastSeenAt' | 'lastUnlockedSeenAt' | 'syncRequestedAt' | 'syncRequestedBy'>>;
  /** The tenant's credential for this device's push service; undefined = none uploaded. */
  pushCredential: PushCredentialFacts | undefined;
  /** Does the pending work need an unlock (a profile install or change)? */
  pendingNeedsUnlock: boolean;
  recentCommandErrors: readonly RecentCommandError[];
  now: string;
}

export interface DiagnosisStep {
  step: number;
  question: string;
  /** true passed, false failed, null not applicable (skipped). */
  ok: boolean | null;
  evidence: Record<string, unknown>;
  advice?: string;
}

export interface ExplainedCommandError {
  commandId: string;
  requestType: string;
  code: number | string;
  domain: string;
  message: string;
  explanation?: string;
  fix?: string;
}

export interface Diagnosis {
  deviceId: string;
  syncState: SyncState;
  verdict: DiagnosisVerdict;
  steps: DiagnosisStep[];
  errors: ExplainedCommandError[];
  /** What a failing step found that did not keep the device from Synchronized (verdict `synchronized`). */
  notes: string[];
}

const ms = (iso: string | undefined): number => (iso === undefined ? Number.NaN : Date.parse(iso));
/** a strictly after b; false when either is missing. */
const after = (a: string | undefined, b: string | undefined): boolean => ms(a) > ms(b);
const atOrAfter = (a: string | undefined, b: string | undefined): boolean => ms(a) >= ms(b);
const later = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined ? b : b === undefined ? a : after(b, a) ? b : a;
const hoursBetween = (from: string | undefined, to: string): number | undefined => {
  const h = (ms(to) - ms(from)) / 3_600_000;
  return Number.isNaN(h) ? undefined : Math.round(h * 10) / 10;
};

const CREDENTIAL_NAME = { apns: 'Apple push certificate', fcm: 'FCM service account' } as const;

function credentialProblem(c: PushCredentialFacts | undefined, now: string): string | undefined {
  if (!c) return 'no push credential is uploaded';
  if (!c.valid) return `the ${CREDENTIAL_NAME[c.kind]} is invalid${c.invalidSince ? ` since ${c.invalidSince}` : ''}`;
  if (c.notAfter !== undefined && !after(c.notAfter, now))
    return `the ${CREDENTIAL_NAME[c.kind]} expired on ${c.notAfter}`;
  return undefined;
}

/**
 * Step 1: was a push sent after the last sync request? A push at the same instant as the request
 * counts (the request handler may push at once, with the same clock reading). A device that came
 * by itself after the request needed no push: skipped. A device with no request and no push has
 * nothing to push for: skipped when Synchronized, failed otherwise.
 */
function pushStep(input: DiagnosisInput): { step: DiagnosisStep; verdict?: DiagnosisVerdict } {
  const { device, now } = input;
  const platform = device.platform === 'android' ? 'fcm' : 'apns';
  const kind = input.pushCredential?.kind ?? platform;
  const problem = credentialProblem(input.pushCredential, now);
  const evidence: Record<string, unknown> = {
    syncRequestedAt: device.syncRequestedAt ?? null,
    syncRequestedBy: device.syncRequestedBy ?? null,
    lastPushAt: device.lastPushAt ?? null,
    credential: {
      kind,
      present: input.pushCredential !== undefined,
      valid: problem === undefined,
      notAfter: input.pushCredential?.notAfter ?? null,
      invalidSince: input.pushCredential?.invalidSince ?? null,
    },
  };
  const question = 'Was a push sent after the last sync request?';
  const pushed =
    device.lastPushAt !== undefined &&
    (device.syncRequestedAt === undefined || atOrAfter(device.lastPushAt, device.syncRequestedAt));
  if (pushed) return { step: { step: 1, question, ok: true, evidence } };
  if (device.syncRequestedAt !== undefined && after(device.lastSeenAt, device.syncRequestedAt)) {
    evidence.note = 'the device connected by itself after the request; no push was needed';
    return { step: { step: 1, question, ok: null, evidence } };
  }
  if (device.syncRequestedAt === undefined && device.lastPushAt === undefined && device.syncState === 'Synchronized') {
    evidence.note = 'no sync was requested and no push was needed';
    return { step: { step: 1, question, ok: null, evidence } };
  }
  if (device.lastPushAt !== undefined) evidence.note = 'the last push was sent before the last sync request';
  if (problem !== undefined) {
    return {
      step: {
        step: 1,
        question,
        ok: false,
        evidence,
        advice: `No push was sent: ${problem}. Upload a valid ${CREDENTIAL_NAME[kind]} (renew it if it expired); pushes resume by themselves.`,
      },
      verdict: 'push-credential-invalid',
    };
  }
  return {
    step: {
      step: 1,
      question,
      ok: false,
      evidence,
      advice:
        "No push was sent yet, although the push credential is valid. The push may be waiting its turn under the per-minute push cap, or the device's push token is dead (re-enroll it). Run the resync job to push again.",
    },
    verdict: 'push-not-sent',
  };
}

/**
 * The instant later answers are measured against: the last push, or the sync request when that is
 * later (no push yet, or the device came by itself). Undefined when there is neither.
 */
const anchorOf = (input: DiagnosisInput): string | undefined =>
  later(input.device.lastPushAt, input.device.syncRequestedAt);

/** Step 2: did the device answer after the push (strictly later: lastSeenAt > lastPushAt, docs/sync.md §Diagnosis)? */
function reachStep(input: DiagnosisInput): DiagnosisStep {
  const { device, now } = input;
  const anchor = anchorOf(input);
  const question = 'Did the device access the server after the push?';
  const evidence: Record<string, unknown> = {
    since: anchor ?? null,
    lastSeenAt: device.lastSeenAt ?? null,
    hoursSince: hoursBetween(anchor, now) ?? null,
  };
  if (anchor === undefined)
    return { step: 2, question, ok: null, evidence: { ...evidence, note: 'nothing was pushed or requested' } };
  if (after(device.lastSeenAt, anchor)) return { step: 2, question, ok: true, evidence };
  return {
    step: 2,
    question,
    ok: false,
    evidence,
    advice:
      'The device has not contacted the server since the push: it is powered off, has no network, or is faulty. Restart the device; if it still does not connect, reset it.',
  };
}

/** Step 3: did it access while unlocked after the push, where the pending work needs an unlock? */
function unlockStep(input: DiagnosisInput): DiagnosisStep {
  const { device } = input;
  const anchor = anchorOf(input);
  const question = 'Did the device access the server while unlocked after the push (security check)?';
  const evidence: Record<string, unknown> = {
    since: anchor ?? null,
    lastUnlockedSeenAt: device.lastUnlockedSeenAt ?? null,
    pendingNeedsUnlock: input.pendingNeedsUnlock,
  };
  if (device.platform === 'android') {
    return { step: 3, question, ok: null, evidence: { ...evidence, note: 'Android agents run commands while locked' } };
  }
  if (!input.pendingNeedsUnlock) {
    return { step: 3, question, ok: null, evidence: { ...evidence, note: 'no pending work needs an unlock' } };
  }
  if (anchor === undefined)
    return { step: 3, question, ok: null, evidence: { ...evidence, note: 'nothing was pushed or requested' } };
  if (after(device.lastUnlockedSeenAt, anchor)) return { step: 3, question, ok: true, evidence };
  return {
    step: 3,
    question,
    ok: false,
    evidence,
    advice:
      'The device has connected only while locked since the push, and the pending profile install or change waits for an unlock. Ask the user to unlock the device; removals, apps and books do not wait for it on most devices.',
  };
}

/** Step 4: the newest command errors since the last sync request, explained where the code is known. */
function errorStep(input: DiagnosisInput): { step: DiagnosisStep; errors: ExplainedCommandError[] } {
  const since = input.device.syncRequestedAt;
  const current = input.recentCommandErrors
    .filter((e) => since === undefined || atOrAfter(e.at, since))
    .slice()
    .sort((a, b) => ms(b.at) - ms(a.at));
  const errors = current.map((e): ExplainedCommandError => {
    const known = explainError(e.domain, e.code);
    return {
      commandId: e.commandId,
      requestType: e.requestType,
      code: e.code,
      domain: e.domain,
      message: e.message,
      ...(known ? { explanation: `${known.title}: ${known.explanation}`, fix: known.fix } : {}),
    };
  });
  const step: DiagnosisStep = {
    step: 4,
    question: 'Did the commands of this sync finish without errors?',
    ok: errors.length === 0,
    evidence: {
      errorCount: errors.length,
      olderErrorsIgnored: input.recentCommandErrors.length - current.length,
      ...(errors.length > 0
        ? {
            newest: {
              commandId: current[0].commandId,
              at: current[0].at,
              code: current[0].code,
              domain: current[0].domain,
            },
          }
        : {}),
    },
  };
  if (errors.length > 0)
    step.advice = errors[0].fix ?? "Read the device's message for each failed command in the command log.";
  return { step, errors };
}

/** A failing step of a Synchronized device, said as a note: it did not block the sync. */
function nonBlockingNote(step: DiagnosisStep, errors: readonly ExplainedCommandError[]): string {
  if (step.step === 4) {
    const list = errors.map((e) => `${e.requestType} (${e.domain} ${e.code}: ${e.message})`).join('; ');
    return `${errors.length} command error(s) did not block the sync: ${list}`;
  }
  return `step ${step.step} (${step.question}) failed without blocking the sync${step.advice ? `: ${step.advice}` : ''}`;
}

/**
 * The diagnosis: every step, the first failing one as the verdict. The verdict agrees with the sync
 * state: a Synchronized device is `synchronized`, and what its failing steps found becomes notes
 * (e.g. a query the device does not know, MCMDMErrorDomain 12021, while its contents match).
 */
export function diagnose(input: DiagnosisInput): Diagnosis {
  const push = pushStep(input);
  const reach = reachStep(input);
  const unlock = unlockStep(input);
  const { step: errorsStep, errors } = errorStep(input);
  const steps = [push.step, reach, unlock, errorsStep];
  const base = { deviceId: input.device.id, syncState: input.device.syncState, steps, errors };

  if (input.device.syncState === 'Synchronized') {
    const notes = steps.filter((s) => s.ok === false).map((s) => nonBlockingNote(s, errors));
    return { ...base, verdict: 'synchronized', notes };
  }
  let verdict: DiagnosisVerdict;
  if (push.step.ok === false) verdict = push.verdict ?? 'push-not-sent';
  else if (reach.ok === false) verdict = 'device-unreachable';
  else if (unlock.ok === false) verdict = 'device-locked';
  else if (errorsStep.ok === false) verdict = 'command-errors';
  else verdict = 'in-progress';

  return { ...base, verdict, notes: [] };
}
