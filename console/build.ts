// Builds the admin console (console/src, preact) into three files: index.html, app.js, style.css.
// The local server builds it in memory on the first /console request; the CDK stack builds it at
// synth time into a directory for the S3 deployment. Everything the page loads comes from here:
// no CDN, no web font, no third-party origin (the CSP of lambdas/http/console-static.ts).

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync, transformSync } from 'esbuild';

export interface ConsoleFile {
  body: Buffer;
  contentType: string;
}

const CONTENT_TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/** The console's files by name (`index.html`, `app.js`, `style.css`). */
export function buildConsole(): Map<string, ConsoleFile> {
  const js = buildSync({
    entryPoints: [join(__dirname, 'src', 'main.tsx')],
    bundle: true,
    minify: true,
    write: false,
    format: 'iife',
    target: 'es2020',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  }).outputFiles[0].contents;
  const css = transformSync(readFileSync(join(__dirname, 'src', 'style.css'), 'utf8'), {
    loader: 'css',
    minify: true,
  }).code;
  const html = readFileSync(join(__dirname, 'src', 'index.html'));
  const files = new Map<string, ConsoleFile>();
  const add = (name: string, body: Buffer) => files.set(name, { body, contentType: CONTENT_TYPES[name] });
  add('index.html', html);
  add('app.js', Buffer.from(js));
  add('style.css', Buffer.from(css, 'utf8'));
  return files;
}

/** Writes the built console into `dir` (the CDK asset for the S3 bucket); returns `dir`. */
export function writeConsole(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, file] of buildConsole()) writeFileSync(join(dir, name), file.body);
  return dir;
}
