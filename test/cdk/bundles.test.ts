// Each deployed handler bundled as MdmFunction bundles it (scripts/bench/bundles.ts mirrors its
// esbuild options): everything but the runtime's SDK is inside the bundle, including what the code
// loads lazily, and importing it loads no SDK client but DynamoDB's (the others load at first use).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { deployedEntries, lambdaBuildOptions } from '../../scripts/bench/bundles';

const ROOT = join(__dirname, '..', '..');
const outDir = mkdtempSync(join(tmpdir(), 'mdm-bundles-test-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/** The @aws-sdk packages a fresh node has loaded once `outfile` is required. */
function sdkLoadedAtImport(outfile: string): string[] {
  const script =
    `require(${JSON.stringify(outfile)});` +
    'const names=Object.keys(require.cache).map(k=>/node_modules\\/(@aws-sdk\\/[a-z-]+)\\//.exec(k)?.[1]).filter(Boolean);' +
    'process.stdout.write(JSON.stringify([...new Set(names)].sort()))';
  const out = execFileSync(process.execPath, ['-e', script], {
    env: { PATH: process.env.PATH ?? '', NODE_PATH: join(ROOT, 'node_modules'), AWS_REGION: 'us-east-1' },
    encoding: 'utf8',
  });
  return JSON.parse(out) as string[];
}

describe.each(deployedEntries(ROOT))('%s bundle', (entry) => {
  const outfile = join(outDir, entry.replace(/\W+/g, '-'), 'index.js');
  let runtimeImports: string[];
  beforeAll(async () => {
    const result = await build(lambdaBuildOptions(ROOT, entry, outfile));
    const output = Object.values(result.metafile?.outputs ?? {}).find((o) => o.entryPoint);
    runtimeImports = (output?.imports ?? []).map((i) => i.path);
  });

  it('requires at run time only the runtime SDK and node built-ins (lazy modules are inside)', () => {
    const outside = runtimeImports.filter(
      (p) => !p.startsWith('@aws-sdk/') && !p.startsWith('node:') && !builtinModules.includes(p),
    );
    expect(outside).toEqual([]);
  });

  it('loads only the DynamoDB client when imported', () => {
    expect(sdkLoadedAtImport(outfile).filter((p) => p.startsWith('@aws-sdk/client-'))).toEqual([
      '@aws-sdk/client-dynamodb',
    ]);
  });
});
