// A real headless Chromium for the console's browser tests and screenshots: @sparticuz/chromium
// ships the browser inside the npm package (no download at run time), puppeteer-core drives it.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/**
 * @sparticuz/chromium is ESM only (import.meta), which jest's CommonJS runtime cannot load: a
 * child node unpacks the browser (once, into the temp directory) and says where it is.
 */
async function chromium(): Promise<{ executablePath: string; args: string[] }> {
  const script =
    "import c from '@sparticuz/chromium'; console.log(JSON.stringify({ executablePath: await c.executablePath(), args: c.args }));";
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: join(__dirname, '..', '..'),
  });
  return JSON.parse(stdout) as { executablePath: string; args: string[] };
}

export async function launchBrowser(): Promise<Browser> {
  const { executablePath, args } = await chromium();
  return puppeteer.launch({ executablePath, args, headless: 'shell', defaultViewport: { width: 1280, height: 800 } });
}

/**
 * A page that records what must never happen in the console: Content-Security-Policy violations,
 * uncaught errors, and requests to any origin but the server's.
 */
export async function consolePage(browser: Browser, origin: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${String(err)}`));
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:'))
      problems.push(`foreign request: ${url}`);
  });
  page.on('dialog', (d) => void d.accept());
  return { page, problems };
}
