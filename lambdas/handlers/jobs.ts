// EventBridge → a scheduled job ({"job": "resync" | "not-responding-sweep" | ...}).
import { logger } from '../logger';
import { runJob } from '../service/jobs';
import { awsApp } from '../wiring/aws';

export async function handler(event: { job?: string }) {
  const run = await runJob(await awsApp(), String(event.job));
  logger.info({ msg: 'job finished', ...run });
  return run;
}
