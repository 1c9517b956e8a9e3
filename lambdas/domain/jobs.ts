// The scheduled jobs, one list for the service, the API, the local scheduler and the CDK rules
// (lib/ imports this module, so it must stay free of runtime dependencies).
export const JOB_NAMES = ['resync', 'not-responding-sweep', 'reconcile-counters', 'certificate-check'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export function isJobName(value: string): value is JobName {
  return (JOB_NAMES as readonly string[]).includes(value);
}
