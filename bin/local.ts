// `npm start`: the whole product on this machine — dynalite with data under .data/, every route on
// PORT (8080), the push queue and the schedules in-process.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { appConfig, readEnv } from '../lambdas/wiring/env';
import { startLocal } from '../lambdas/wiring/local';

async function main() {
  const port = Number(process.env.PORT ?? 8080);
  // The same settings as a deployment (README §Configure): push cap, Not-Responding threshold, ...
  const env = readEnv();
  const local = await startLocal({
    config: appConfig(env),
    apnsOrigin: env.APNS_ORIGIN,
    port,
    host: process.env.HOST ?? '127.0.0.1',
    dataDir: process.env.DATA_DIR ?? '.data',
  });
  const lines = [
    `MDM server running at ${local.url}  (data in ${process.env.DATA_DIR ?? '.data'}/)`,
    `  console:      ${local.url}/console/  (sign in with the admin key)`,
    `  tenant:       demo`,
  ];
  if (local.credentials.firstStart) {
    lines.push(
      `  admin key:    ${local.credentials.adminKey}`,
      `  operator key: ${local.credentials.operatorKey}`,
      `  (shown once; also kept in ${process.env.DATA_DIR ?? '.data'}/credentials.json)`,
    );
  } else {
    lines.push(`  keys:         in ${process.env.DATA_DIR ?? '.data'}/credentials.json`);
  }
  lines.push(`  try:          curl -H "Authorization: Bearer <admin key>" ${local.url}/admin/v1/dashboard`);
  console.log(lines.join('\n'));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: shutting down`);
    await local.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
