// `npm run simulate -- --devices N [...]`: a fleet of simulated Apple devices and Android agents
// enrolls into the server and syncs a template; the report says how long it took, how pushes
// went against the cap and what each device was asked to do. docs/simulate.md has the details.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// One JSON line per request from the in-process server would bury the progress and the report.
process.env.LOG_LEVEL ??= 'error';

import { writeFileSync } from 'node:fs';
import { formatBacklogReport, runBacklogScenario } from './sim/backlog';
import { parseBacklogArgs, parseSimArgs, type SimOptions, scenarioOf, USAGE } from './sim/options';
import { ProgressView } from './sim/progress';
import { formatReport } from './sim/report';
import { runSimulation, SetupNeeded } from './sim/run';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let scenario: ReturnType<typeof scenarioOf>;
  try {
    scenario = scenarioOf(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (scenario === 'backlog') return backlog(argv);
  let options: SimOptions;
  try {
    options = parseSimArgs(argv.filter((a, i) => a !== '--scenario' && argv[i - 1] !== '--scenario'));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const view = new ProgressView();
  let phase = '';
  const report = await runSimulation(options, {
    onProgress: (p) => {
      if (p.phase !== phase) view.finish();
      phase = p.phase;
      view.update(p);
    },
  });
  view.finish();
  process.stdout.write(`${formatReport(report)}\n`);
  if (options.jsonPath) writeFileSync(options.jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  return report.ok ? 0 : 1;
}

/** The push-backlog scenario (docs/simulate.md §Push backlog). */
async function backlog(argv: string[]): Promise<number> {
  let options: ReturnType<typeof parseBacklogArgs>;
  try {
    options = parseBacklogArgs(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const report = await runBacklogScenario(options, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`${formatBacklogReport(report)}\n`);
  if (options.jsonPath) writeFileSync(options.jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  return report.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof SetupNeeded) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`simulate: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
