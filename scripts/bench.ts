// `npm run bench`: measures the server and writes docs/performance.md and docs/performance.json.
// Sections (scripts/bench/): Lambda bundles, DynamoDB units per device, throughput/latency/CPU of
// the device endpoints, memory per device, `npm start` in one process and its soak; then the cost
// model, the targets (issue #15's) and the scale arithmetic.
// It reports; it never fails on a missed target. See docs/performance.md "Reproduce" for options.
process.env.LOG_LEVEL ??= 'silent'; // the in-process server's request log would drown the progress lines
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { DEFAULTS } from '../lib/app-stack';
import { measureBundles } from './bench/bundles';
import { measureDynamoPhases } from './bench/dynamo-phases';
import { measureEmbeddedIdle, measureLoad, measureMemory } from './bench/load';
import { buildCostModel, evaluateTargets, scaleOnPaper } from './bench/model';
import { measurePushBacklog, pushBacklogOnPaper } from './bench/push-backlog';
import { type BenchReport, renderMarkdown } from './bench/report';
import { measureSoak } from './bench/soak';

const ROOT = join(__dirname, '..');

interface Options {
  appleDevices: number;
  androidDevices: number;
  requests: number;
  commandRounds: number;
  syncDevices: number;
  memoryDevices: number;
  importRuns: number;
  soakMinutes: number;
  soakDevices: number;
  write: boolean;
}

function parseArgs(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const o: Options = quick
    ? {
        appleDevices: 4,
        androidDevices: 4,
        requests: 200,
        commandRounds: 1,
        syncDevices: 3,
        memoryDevices: 50,
        importRuns: 3,
        soakMinutes: 1,
        soakDevices: 200,
        write: true,
      }
    : {
        appleDevices: 16,
        androidDevices: 16,
        requests: 1000,
        commandRounds: 3,
        syncDevices: 10,
        memoryDevices: 300,
        importRuns: 7,
        soakMinutes: 10,
        soakDevices: 200,
        write: true,
      };
  const numeric: Record<string, keyof Options> = {
    '--apple-devices': 'appleDevices',
    '--android-devices': 'androidDevices',
    '--requests': 'requests',
    '--command-rounds': 'commandRounds',
    '--sync-devices': 'syncDevices',
    '--memory-devices': 'memoryDevices',
    '--import-runs': 'importRuns',
    '--soak-minutes': 'soakMinutes',
    '--soak-devices': 'soakDevices',
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=');
    if (flag === '--quick') continue;
    if (flag === '--no-write') {
      o.write = false;
      continue;
    }
    const key = numeric[flag];
    if (!key)
      throw new Error(`unknown option ${argv[i]}; options: --quick --no-write ${Object.keys(numeric).join(' ')}`);
    const value = Number(inline ?? argv[++i]);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} needs a positive integer`);
    (o as unknown as Record<string, number>)[key] = value;
  }
  return o;
}

function git(): BenchReport['git'] {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain', '--', 'lambdas', 'lib'], { cwd: ROOT, encoding: 'utf8' }).trim() !==
      '';
    return { commit, dirty };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

/** Queues with a Lambda consumer in the stacks (each has idle pollers): SqsEventSource uses in lib/. */
function polledQueues(): number {
  let count = 0;
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts'))
        count += (readFileSync(path, 'utf8').match(/new (QueueWorker|PushFanout)\(/g) ?? []).length;
    }
  };
  walk(join(ROOT, 'lib'));
  return Math.max(1, count);
}

async function main(): Promise<void> {
  if (process.argv.includes('--render-only')) {
    // Re-renders the page from the last run's JSON (after a change to the report's wording or to a
    // deployment setting): the measurements stay, the model on paper is recomputed.
    const report = JSON.parse(readFileSync(join(ROOT, 'docs', 'performance.json'), 'utf8')) as BenchReport;
    report.scale = scaleOnPaper(report.dynamo, report.cost, report.scale.pushCapPerMinute);
    report.pushBacklog = {
      measured: report.pushBacklog?.measured,
      paper: pushBacklogOnPaper(report.cost.assumptions, report.scale.pushCapPerMinute),
    };
    report.targets = evaluateTargets({ ...report });
    writeFileSync(join(ROOT, 'docs', 'performance.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(ROOT, 'docs', 'performance.md'), renderMarkdown(report));
    return;
  }
  const opts = parseArgs(process.argv.slice(2));
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const started = Date.now();
  const loadAverageStart = loadavg();

  log('bundles: building each Lambda handler as the CDK does, timing cold imports');
  const bundles = await measureBundles({
    root: ROOT,
    outDir: join(tmpdir(), 'mdm-bench-bundles'),
    runs: opts.importRuns,
    log,
  });
  log(`DynamoDB: counting reads and writes per device (${opts.syncDevices} devices)`);
  const dynamo = await measureDynamoPhases({ devices: opts.syncDevices, log });
  log(
    `load: ${opts.appleDevices} Apple devices and ${opts.androidDevices} Android agents against the server in its own process`,
  );
  const load = await measureLoad({
    appleDevices: opts.appleDevices,
    androidDevices: opts.androidDevices,
    requests: opts.requests,
    commandRounds: opts.commandRounds,
    log,
  });
  log(`memory: ${opts.memoryDevices} more enrolled devices`);
  const memory = await measureMemory({ devices: opts.memoryDevices, log });
  log(`npm start in one process: signed Idle connects with the embedded database`);
  const embeddedDir = mkdtempSync(join(tmpdir(), 'mdm-bench-embedded-'));
  const embedded = await measureEmbeddedIdle({
    appleDevices: opts.appleDevices,
    requests: opts.requests,
    dataDir: embeddedDir,
    log,
  });
  rmSync(embeddedDir, { recursive: true, force: true });
  log(`soak: npm start under ${opts.soakDevices} devices for ${opts.soakMinutes} min`);
  const soakDir = mkdtempSync(join(tmpdir(), 'mdm-bench-soak-'));
  const soak = await measureSoak({ devices: opts.soakDevices, minutes: opts.soakMinutes, dataDir: soakDir, log });
  rmSync(soakDir, { recursive: true, force: true });
  log('push backlog: a resync under a small cap, with admin Locks and another tenant acting meanwhile');
  const backlog = await measurePushBacklog(process.argv.includes('--quick'));

  const cost = buildCostModel(load, dynamo, polledQueues());
  const scale = scaleOnPaper(dynamo, cost, DEFAULTS.pushCapPerMinute);
  const report: BenchReport = {
    generatedAt: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    options: { ...opts },
    machine: {
      kind: 'node',
      node: process.version,
      cpus: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGiB: totalmem() / 1024 ** 3,
      os: `${type()} ${release()}`,
      loadAverageStart,
      loadAverageEnd: loadavg(),
    },
    git: git(),
    seconds: (Date.now() - started) / 1000,
    load,
    memory,
    dynamo,
    bundles,
    cost,
    embedded,
    soak,
    targets: evaluateTargets({ load, dynamo, cost, bundles, scale, embedded, soak }),
    scale,
    pushBacklog: { measured: backlog, paper: pushBacklogOnPaper(cost.assumptions, DEFAULTS.pushCapPerMinute) },
  };
  const markdown = renderMarkdown(report);
  if (opts.write) {
    writeFileSync(join(ROOT, 'docs', 'performance.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(ROOT, 'docs', 'performance.md'), markdown);
    log('wrote docs/performance.md and docs/performance.json');
  } else {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  }
  log(
    report.targets
      .map((t) => `${t.notRun ? 'not run' : t.met ? 'met    ' : 'NOT MET'}  ${t.target}: ${t.measured}`)
      .join('\n'),
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${String((err as Error).stack ?? err)}\n`);
    process.exit(1);
  },
);
