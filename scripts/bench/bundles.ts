// Lambda bundle size and cold-start import time. Each deployed handler is bundled the way
// lib/constructs/mdm-function.ts has NodejsFunction bundle it (the CDK passes these flags to the
// same esbuild), then required in fresh `node` processes: the median of several imports is the
// module-loading part of a cold start (Lambda's own init and the first request come on top).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { median } from './stats';

export interface Contributor {
  /** A package (node_modules) or a project folder. */
  name: string;
  bytes: number;
  share: number;
}

export interface BundleResult {
  name: string;
  entry: string;
  bytes: number;
  sourceMapBytes: number;
  /** Wall time (what a cold start waits) and the CPU time in it (less moved by other load on the machine). */
  importMs: { median: number; samples: number[]; cpuMedian: number };
  /** With NODE_OPTIONS=--enable-source-maps, as the functions are deployed. */
  importWithSourceMapsMs: { median: number; samples: number[]; cpuMedian: number };
  /** The external packages the bundle loads when imported (the AWS SDK, from the runtime) imported alone: the floor. */
  externals: string[];
  /** External packages the bundle loads only later, on the paths that use them (lazy SDK clients). */
  lazyExternals: string[];
  externalsImportMs: { median: number; cpuMedian: number };
  top: Contributor[];
}

/** The esbuild options NodejsFunction derives from MdmFunction's `bundling` props. */
export function lambdaBuildOptions(root: string, entry: string, outfile: string) {
  return {
    entryPoints: [join(root, entry)],
    bundle: true,
    platform: 'node' as const,
    target: 'node22',
    format: 'cjs' as const,
    outfile,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    external: ['@aws-sdk/*'],
    supported: { 'dynamic-import': false },
    tsconfig: join(root, 'tsconfig.json'),
    metafile: true,
    logLevel: 'silent' as const,
  };
}

/** The handler entries the stacks deploy, read from lib/ so a new function is measured too. */
export function deployedEntries(root: string): string[] {
  const found = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts'))
        for (const m of readFileSync(path, 'utf8').matchAll(/['"](lambdas\/handlers\/[\w-]+\.ts)['"]/g))
          found.add(m[1]);
    }
  };
  walk(join(root, 'lib'));
  return [...found].sort();
}

/** Bytes in the output per package (node_modules/<pkg>) or project folder (two levels). */
export function topContributors(metafile: Metafile, limit = 10): Contributor[] {
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint);
  if (!output) return [];
  const totals = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
    const name = pkg ?? path.split('/').slice(0, 2).join('/');
    totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
  }
  const all = [...totals.values()].reduce((s, v) => s + v, 0);
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, bytes]) => ({ name, bytes, share: bytes / all }));
}

/**
 * Wall and CPU time of require() of `modules` in a fresh node, measured inside it (process start-up
 * excluded), and the external packages it loaded.
 */
function importTime(
  modules: string[],
  nodeModules: string,
  sourceMaps: boolean,
): { wall: number; cpu: number; loaded: string[] } {
  const script =
    `const c=process.cpuUsage(),t=process.hrtime.bigint();for(const m of ${JSON.stringify(modules)})require(m);` +
    'const w=Number(process.hrtime.bigint()-t)/1e6,u=process.cpuUsage(c);' +
    'const loaded=[...new Set(Object.keys(require.cache).map(k=>/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(k)?.[1]).filter(Boolean))];' +
    'process.stdout.write(JSON.stringify({wall:w,cpu:(u.user+u.system)/1000,loaded}))';
  const out = execFileSync(process.execPath, [...(sourceMaps ? ['--enable-source-maps'] : []), '-e', script], {
    // The SDK is external: it resolves from the project's node_modules as from the Lambda runtime's.
    env: {
      PATH: process.env.PATH ?? '',
      NODE_PATH: nodeModules,
      AWS_REGION: 'us-east-1',
      MAIN_TABLE: 'Main',
      LOGS_TABLE: 'Logs',
      SECRETS_KEY_ID: 'bench',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    encoding: 'utf8',
  });
  return JSON.parse(out) as { wall: number; cpu: number; loaded: string[] };
}

export async function measureBundles(opts: {
  root: string;
  outDir: string;
  runs: number;
  log?: (s: string) => void;
}): Promise<BundleResult[]> {
  const results: BundleResult[] = [];
  for (const entry of deployedEntries(opts.root)) {
    const name = entry.replace(/^lambdas\/handlers\//, '').replace(/\.ts$/, '');
    const dir = join(opts.outDir, name);
    mkdirSync(dir, { recursive: true });
    const outfile = join(dir, 'index.js');
    const out = await build(lambdaBuildOptions(opts.root, entry, outfile));
    writeFileSync(join(dir, 'meta.json'), JSON.stringify(out.metafile));
    const output = Object.values(out.metafile!.outputs).find((o) => o.entryPoint);
    const required = [
      ...new Set(
        (output?.imports ?? [])
          .filter((x) => x.external && !x.path.startsWith('node:') && !builtinModules.includes(x.path))
          .map((x) => x.path),
      ),
    ].sort();
    const nodeModules = join(opts.root, 'node_modules');
    // Which of them an import loads (the rest load lazily, at first use): the floor is those alone.
    const loadedAtImport = new Set(importTime([outfile], nodeModules, false).loaded);
    const externals = required.filter((p) => loadedAtImport.has(p));
    const lazyExternals = required.filter((p) => !loadedAtImport.has(p));
    const plain: Array<{ wall: number; cpu: number }> = [];
    const withMaps: Array<{ wall: number; cpu: number }> = [];
    const sdkOnly: Array<{ wall: number; cpu: number }> = [];
    // Interleaved, so a burst of load elsewhere on the machine hits all three alike.
    for (let i = 0; i < opts.runs; i++) {
      plain.push(importTime([outfile], nodeModules, false));
      withMaps.push(importTime([outfile], nodeModules, true));
      sdkOnly.push(importTime(externals, nodeModules, false));
    }
    const result: BundleResult = {
      name,
      entry: relative(opts.root, join(opts.root, entry)),
      bytes: statSync(outfile).size,
      sourceMapBytes: statSync(`${outfile}.map`).size,
      importMs: {
        median: median(plain.map((x) => x.wall)),
        samples: plain.map((x) => x.wall),
        cpuMedian: median(plain.map((x) => x.cpu)),
      },
      importWithSourceMapsMs: {
        median: median(withMaps.map((x) => x.wall)),
        samples: withMaps.map((x) => x.wall),
        cpuMedian: median(withMaps.map((x) => x.cpu)),
      },
      top: topContributors(out.metafile!),
      externals,
      lazyExternals,
      externalsImportMs: { median: median(sdkOnly.map((x) => x.wall)), cpuMedian: median(sdkOnly.map((x) => x.cpu)) },
    };
    results.push(result);
    opts.log?.(
      `  ${name}: ${(result.bytes / 1024).toFixed(0)} KB, import ${result.importMs.median.toFixed(0)} ms (${result.importWithSourceMapsMs.median.toFixed(0)} ms with source maps)`,
    );
  }
  return results;
}
