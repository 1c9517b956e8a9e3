// The admin console (issue #18, docs/console.md) driven in a real headless Chromium against the
// local server with a simulated fleet: what an admin does there is what the admin API does.
import { request } from 'node:http';
import type { Browser, Page } from 'puppeteer-core';
import { consolePage, launchBrowser } from '../support/browser';
import { type ConsoleFleet, startConsoleFleet } from '../support/console-fleet';

jest.setTimeout(120_000);

let fleet: ConsoleFleet;
let browser: Browser;
let page: Page;
let problems: string[];
let base: string;

beforeAll(async () => {
  [fleet, browser] = await Promise.all([startConsoleFleet(), launchBrowser()]);
  base = `${fleet.e.local.url}/console/`;
  ({ page, problems } = await consolePage(browser, fleet.e.local.url));
  // A hang guard sized for a loaded 2-core CI machine (the e2e suites run beside this one), not a
  // performance bound: every wait below is for an outcome on the page.
  page.setDefaultTimeout(90_000);
});
afterAll(async () => {
  await browser?.close();
  await fleet?.stop();
});
afterEach(() => {
  // No CSP violation, script error or request to another origin, on any page.
  expect(problems).toEqual([]);
});

/**
 * What the page.evaluate callbacks (which run in the browser) touch; the root tsconfig has no DOM
 * library, whose fetch types would clash with Node's.
 */
interface BrowserWindow {
  location: { hash: string };
  sessionStorage: { length: number };
  localStorage: { getItem(key: string): string | null };
  document: { querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }> };
}
const text = (selector: string) => page.$eval(selector, (el) => el.textContent ?? '');
const waitForText = (selector: string, needle: string) =>
  page.waitForFunction(
    (s, n) =>
      Array.from((globalThis as unknown as BrowserWindow).document.querySelectorAll(s)).some((el) =>
        el.textContent?.includes(n),
      ),
    { timeout: 90_000 },
    selector,
    needle,
  );
const go = async (hash: string) => {
  await page.evaluate((h) => {
    (globalThis as unknown as BrowserWindow).location.hash = h;
  }, hash);
};
const sessionKeys = () => page.evaluate(() => (globalThis as unknown as BrowserWindow).sessionStorage.length);

async function signIn(key: string): Promise<void> {
  await page.goto(base);
  await page.waitForSelector('#api-key');
  await page.type('#api-key', key);
  await page.click('#signin button[type=submit]');
}

/** Raw GET with the path exactly as written (fetch would normalise `..`). */
function rawGet(
  path: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { hostname, port } = new URL(fleet.e.local.url);
  return new Promise((resolve, reject) => {
    request({ hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('static files', () => {
  it('serves the console with a strict CSP and the right content types, and nothing outside it', async () => {
    const index = await rawGet('/console/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-security-policy']).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
    expect(index.body).not.toMatch(/<script>|style=|https?:\/\//); // no inline script or style, no remote asset
    expect((await rawGet('/console/app.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await rawGet('/console/style.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await rawGet('/console')).headers.location).toBe('/console/');
    for (const path of [
      '/console/../package.json',
      '/console/%2e%2e/package.json',
      '/console/..%2fpackage.json',
      '/console/src/main.tsx',
      '/console/build.ts',
    ]) {
      const r = await rawGet(path);
      expect([path, r.status]).toEqual([path, 404]);
      expect(r.body).not.toContain('serverless-mdm');
    }
  });
});

describe('console', () => {
  it("refuses a bad key with the API's message", async () => {
    await signIn('not-a-key');
    await waitForText('[role=alert]', 'API key not valid');
    expect(await page.$('#signout')).toBeNull();
  });

  it('signs in with the admin key and shows the dashboard numbers of GET /admin/v1/dashboard', async () => {
    await signIn(fleet.e.adminKey);
    await page.waitForSelector('[data-count="sync-Synchronized"]');
    expect(await sessionKeys()).toBe(1);
    expect(
      await page.evaluate(() => (globalThis as unknown as BrowserWindow).localStorage.getItem('mdm.session')),
    ).toBeNull();
    expect(page.url()).not.toContain(fleet.e.adminKey);
    const api = (await fleet.e.api('GET', '/admin/v1/dashboard')).body;
    const shown = await page.$$eval('[data-count]', (els) =>
      Object.fromEntries(els.map((el) => [el.getAttribute('data-count'), Number(el.textContent)])),
    );
    const expected: Record<string, number> = {};
    for (const [k, v] of Object.entries(api.syncStates as Record<string, number>)) expected[`sync-${k}`] = v;
    for (const [k, v] of Object.entries(api.registrationStates as Record<string, number>)) expected[`reg-${k}`] = v;
    for (const [k, v] of Object.entries(api.alarms as Record<string, number>)) expected[`alarm-${k}`] = v;
    for (const [k, v] of Object.entries(api.adminLocked as Record<string, number>)) expected[`locked-${k}`] = v;
    for (const [k, v] of Object.entries(api.prohibitedApps as Record<string, number>)) expected[`prohibited-${k}`] = v;
    for (const [k, v] of Object.entries(api.pendingCommands as Record<string, number>)) expected[`pending-${k}`] = v;
    expect(shown).toEqual(expected);
    expect(shown['sync-Not-Synchronized']).toBe(1);
    expect(shown['reg-Checked-In']).toBe(7);
  });

  it('opens the not-synchronized device from the dashboard and reads its diagnosis', async () => {
    await page.click('[data-count="sync-Not-Synchronized"]');
    await page.waitForSelector(`#device-table [data-device="${fleet.failing.udid}"]`);
    expect(await page.$$eval('#device-table tbody tr', (rows) => rows.length)).toBe(1);
    await page.click(`#device-table [data-device="${fleet.failing.udid}"] a`);
    await page.waitForSelector('#diagnosis [data-verdict]');
    expect(await page.$eval('#diagnosis [data-verdict]', (el) => el.getAttribute('data-verdict'))).toBe(
      'command-errors',
    );
    expect(await page.$eval('#diagnosis [data-step="4"]', (el) => el.getAttribute('data-ok'))).toBe('false');
    expect(await text('#diagnosis .errors')).toMatch(/InstallProfile.*MCInstallationErrorDomain 4027/);
    expect(await text('#detail')).toContain((await fleet.e.device(fleet.failing.udid)).serialNumber);
  });

  it('shows the inventory the server last read, with counts, on the device page', async () => {
    const device = fleet.synced[0];
    await go(`#/devices/${device.udid}`);
    await page.waitForSelector('#inventory [data-inventory="profiles"] [data-item="com.example.wifi"]');
    const api = (await fleet.e.api('GET', `/admin/v1/devices/${device.udid}/inventory`)).body;
    for (const kind of ['apps', 'profiles'] as const) {
      const rows = await page.$$eval(`#inventory [data-inventory="${kind}"] tbody tr`, (trs) =>
        trs.map((tr) => tr.getAttribute('data-item')),
      );
      expect([kind, rows.sort()]).toEqual([kind, api[kind].map((x: { identifier: string }) => x.identifier).sort()]);
      expect(await text(`#inventory [data-inventory="${kind}"] h3`)).toContain(`(${api[kind].length})`);
    }
    // An enrollment nobody has used yet: nothing read.
    const spare = (await fleet.e.api('GET', '/admin/v1/devices?q=Spare')).body.items[0];
    await go(`#/devices/${spare.id}`);
    await waitForText('#inventory', 'Not read from the device yet');
  });

  it('lists the admin-locked devices from the dashboard count', async () => {
    const agent = fleet.agents[0];
    const lock = await fleet.e.api('POST', `/admin/v1/devices/${agent.deviceId}/commands`, { type: 'AdminLock' });
    expect(lock.status).toBe(202);
    await fleet.e.waitFor(async () => (await fleet.e.device(agent.deviceId!)).adminLocked === true);
    await go('#/logs'); // the dashboard reads its counts when it opens
    await page.waitForSelector('#log-filters');
    await go('#/');
    await waitForText('[data-count="locked-android"]', '1');
    await page.click('[data-count="locked-android"]');
    await page.waitForSelector(`#device-table [data-device="${agent.deviceId}"]`);
    expect(await page.$$eval('#device-table tbody tr', (rows) => rows.length)).toBe(1);
    expect(page.url()).toContain('adminLocked=true');
    expect(
      await page.$eval(
        '#device-filters input[name=adminLocked]',
        (el) => (el as unknown as { checked: boolean }).checked,
      ),
    ).toBe(true);
  });

  it("sends a Lock with the Mac's PIN and shows it in the queue; a command the device cannot do shows the 422 reason", async () => {
    fleet.e.autoPoll = false; // the Mac stays away, so the Lock waits in its queue
    await go(`#/devices/${fleet.mac.udid}`);
    await page.waitForSelector('#cmd-type');
    await page.select('#cmd-type', 'Lock');
    await page.type('#cmd-message', 'Please return this Mac');
    await page.type('#cmd-pin', '123456');
    await page.click('#cmd-send');
    await waitForText('#actions [role=status]', 'Lock');
    await page.waitForSelector('#queue [data-command="Lock"]', { timeout: 30_000 });
    const queue = (await fleet.e.api('GET', `/admin/v1/devices/${fleet.mac.udid}/commands`)).body.queue;
    expect(queue.map((c: { adminType?: string }) => c.adminType)).toEqual(['Lock']);
    fleet.e.autoPoll = true;

    await go(`#/devices/${fleet.failing.udid}`);
    await page.waitForSelector('#cmd-type');
    await page.select('#cmd-type', 'AdminLock');
    await page.click('#cmd-send');
    await waitForText('#actions [role=alert]', 'AdminLock is Lost Mode, which needs a supervised iOS device');
  });

  it('edits the template and the device goes back to Synchronized', async () => {
    fleet.failing.failProfileInstall = undefined; // the passcode was changed on the device
    await go(`#/templates?id=${fleet.template.id}`);
    await page.waitForSelector('#template-prohibited');
    await page.click('#template-prohibited');
    await page.keyboard.press('End');
    await page.keyboard.type('\ncom.example.chat');
    await page.click('#template-save');
    await waitForText('[role=status]', 'version 2');
    await page.waitForSelector('.operation[data-status="done"]', { timeout: 60_000 });
    expect((await fleet.e.api('GET', `/admin/v1/templates/${fleet.template.id}`)).body.prohibitedApps).toEqual([
      'com.example.game',
      'com.example.chat',
    ]);
    await go(`#/devices/${fleet.failing.udid}`);
    await page.waitForSelector('h1[data-sync="Synchronized"]', { timeout: 60_000 });
    expect((await fleet.e.device(fleet.failing.udid)).syncState).toBe('Synchronized');
  });

  it('exports the filtered logs as CSV', async () => {
    await go('#/logs?type=command');
    await page.waitForSelector('#log-table');
    const [csv] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/admin/v1/logs') && r.url().includes('format=csv')),
      page.click('#export-csv'),
    ]);
    expect(csv.status()).toBe(200);
    expect(csv.headers()['content-type']).toMatch(/^text\/csv/);
    expect(csv.url()).toContain('type=command');
    const body = await csv.text();
    const rows = body.trimEnd().split('\n').length - 1;
    expect(rows).toBeGreaterThan(0);
    await waitForText('[role=status]', `${rows}`);
  });

  it('switches to Japanese, state names staying as the API spells them', async () => {
    await page.select('#lang', 'ja');
    await go('#/');
    await waitForText('header nav', 'ダッシュボード');
    await waitForText('h1', 'ダッシュボード');
    expect(await text('main')).toContain('Not-Synchronized');
    await page.select('#lang', 'en');
    await waitForText('header nav', 'Dashboard');
  });

  it('shows a viewer every page and no button that writes; sign-out clears the key', async () => {
    const admin = '[data-write]';
    for (const hash of [
      `#/devices/${fleet.failing.udid}`,
      '#/devices',
      `#/templates?id=${fleet.template.id}`,
      '#/enroll',
      '#/settings',
    ]) {
      await go(hash);
      await page.waitForSelector(admin); // the admin sees write controls on each of these pages
    }
    const viewer = await fleet.e.api('POST', '/admin/v1/api-keys', { name: 'auditor', role: 'viewer' });
    await page.click('#signout');
    await page.waitForSelector('#api-key');
    expect(await sessionKeys()).toBe(0);
    await page.type('#api-key', viewer.body.key);
    await page.click('#signin button[type=submit]');
    await page.waitForSelector('#role[data-role="viewer"]');
    const pages: Array<[string, string]> = [
      ['#/', '[data-count]'],
      ['#/devices', '#device-table'],
      [`#/devices/${fleet.failing.udid}`, '#diagnosis [data-verdict]'],
      ['#/templates', '#template-table'],
      [`#/templates?id=${fleet.template.id}`, '#template-editor'],
      ['#/enroll', 'h1'],
      ['#/logs', '#log-table'],
      ['#/settings', '#keys table'],
    ];
    for (const [hash, ready] of pages) {
      await go(hash);
      await page.waitForSelector(ready).catch(async (err: Error) => {
        throw new Error(`${hash}: ${ready} never showed; the page says: ${(await text('main')).slice(0, 500)}`, {
          cause: err,
        });
      });
      expect([hash, await page.$$eval(admin, (els) => els.length)]).toEqual([hash, 0]);
    }
  });
});
