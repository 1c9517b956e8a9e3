// Shell examples from the documentation, run for real: the fenced `sh` blocks of one Markdown
// section, each run with bash and the machine's curl, so a test can check what it did.
import { spawn, spawnSync } from 'node:child_process';

export interface DocExample {
  /** The `###` heading the block sits under. */
  title: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
}

const SHELL_FENCE = /^```(sh|bash|shell|console)\s*$/;

/**
 * The shell blocks (```sh, ```bash, ```shell, ```console) of the `## section` of a Markdown
 * document, in order, each with the `###` heading above it. Throws when the section is missing or
 * a block has no heading: an example nobody can name is an example nobody checks.
 */
export function shellExamples(markdown: string, section: string): DocExample[] {
  const lines = markdown.split(/\r?\n/);
  const start = lines.findIndex((l) => l.trim() === `## ${section}`);
  if (start < 0) throw new Error(`no "## ${section}" section`);
  const out: DocExample[] = [];
  let title: string | undefined;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i];
    if (/^## /.test(line)) break;
    const heading = /^### (.+?)\s*$/.exec(line);
    if (heading) {
      title = heading[1];
      continue;
    }
    if (!line.startsWith('```')) continue;
    const fenceLine = i + 1;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i].startsWith('```'); i++) body.push(lines[i]);
    if (i >= lines.length) throw new Error(`line ${fenceLine}: code block never closed`);
    if (!SHELL_FENCE.test(line)) continue;
    if (!title) throw new Error(`line ${fenceLine}: shell block with no ### heading above it`);
    out.push({ title, code: body.join('\n'), line: fenceLine });
  }
  return out;
}

/** Where a program is on PATH, or undefined. */
export function which(program: string): string | undefined {
  const r = spawnSync('bash', ['-c', `command -v ${program}`], { encoding: 'utf8' });
  const path = r.status === 0 ? r.stdout.trim() : '';
  return path || undefined;
}

export interface CurlCall {
  status: number;
  method: string;
  url: string;
}

export interface ExampleRun {
  exitCode: number | null;
  stdout: string;
  /** What the example wrote to stderr, without the request records. */
  stderr: string;
  /** Every request curl made, in order, with the HTTP status it got (0: no answer). */
  calls: CurlCall[];
  /** The shell variables the example assigns (NAME=... at the start of a line), after it ran. */
  vars: Record<string, string>;
}

export interface RunOptions {
  /** The curl binary to run. */
  curl: string;
  /** The whole environment of the shell (PATH included). */
  env: Record<string, string>;
  cwd: string;
  timeoutMs?: number;
}

const MARK = '@@doc-example-curl';

/**
 * Runs one example with `bash -c` under `set -euo pipefail` (an unset variable or a failing
 * pipeline fails it). curl is the real binary, given one extra `-w` that reports each request's
 * status on stderr. Asynchronous on purpose: the server answering the example may live in this
 * very process.
 */
export function runExample(code: string, opts: RunOptions): Promise<ExampleRun> {
  const assigned = [...new Set([...code.matchAll(/^\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]))];
  const script = [
    'set -euo pipefail',
    `curl() { "$DOC_EXAMPLE_CURL" -w '%{stderr}\\n${MARK} %{http_code} %{method} %{url_effective}\\n' "$@"; }`,
    code,
    `for __name in ${assigned.join(' ')}; do printf '%s=%s\\0' "$__name" "\${!__name-}" >&3; done`,
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], {
      cwd: opts.cwd,
      env: { ...opts.env, DOC_EXAMPLE_CURL: opts.curl },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    const chunks: Buffer[][] = [[], [], []];
    const streams = [child.stdout, child.stderr, child.stdio[3]];
    streams.forEach((s, i) => s?.on('data', (c: Buffer) => chunks[i].push(c)));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 15_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      const [stdout, rawErr, varsText] = chunks.map((c) => Buffer.concat(c).toString('utf8'));
      const calls: CurlCall[] = [];
      const errLines: string[] = [];
      for (const line of rawErr.split('\n')) {
        const m = new RegExp(`^${MARK} (\\d+) (\\S+) (.*)$`).exec(line);
        if (m) calls.push({ status: Number(m[1]), method: m[2], url: m[3] });
        else errLines.push(line);
      }
      const vars: Record<string, string> = {};
      for (const pair of varsText.split('\0')) {
        const eq = pair.indexOf('=');
        if (eq > 0) vars[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      resolve({ exitCode, stdout, stderr: errLines.join('\n').trim(), calls, vars });
    });
  });
}

/** A one-paragraph account of a run, for failure messages. */
export function describeRun(run: ExampleRun): string {
  return [
    `exit code ${run.exitCode}`,
    `requests: ${run.calls.map((c) => `${c.method} ${c.url} -> ${c.status}`).join('; ') || 'none'}`,
    `stdout: ${run.stdout.slice(0, 2000) || '(empty)'}`,
    `stderr: ${run.stderr.slice(0, 2000) || '(empty)'}`,
  ].join('\n');
}
