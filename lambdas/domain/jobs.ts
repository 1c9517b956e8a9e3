// The scheduled jobs, one list for the service, the API, the local scheduler and the CDK rules
// (lib/ imports this module, so it must stay free of runtime dependencies).
export const JOB_NAMES = ['resync', 'not-responding-sweep', 'reconcile-counters', 'certificate-check'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export function isJobName(value: string): value is JobName {
  return (JOB_NAMES as readonly string[]).includes(value);
}

/**
 * From this many days before an Apple device's identity certificate expires, the daily
 * certificate-check sends it a renewal profile (docs/apple.md §Renewal).
 */
export const IDENTITY_RENEWAL_DAYS = 30;
/** At most this many renewals are queued per tenant and run; the rest follow on the next days. */
export const IDENTITY_RENEWALS_PER_RUN = 500;
