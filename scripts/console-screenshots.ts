// `npm run screenshots`: every page of the admin console, in English and Japanese, taken from the
// running product (local server, simulated fleet) in headless Chromium, into docs/console/*.png.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.LOG_LEVEL ??= 'error';

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consolePage, launchBrowser } from '../test/support/browser';
import { startConsoleFleet } from '../test/support/console-fleet';

const OUT = join(__dirname, '..', 'docs', 'console');

async function main() {
  const [fleet, browser] = await Promise.all([startConsoleFleet(), launchBrowser()]);
  try {
    const { page, problems } = await consolePage(browser, fleet.e.local.url);
    const go = async (hash: string, ready: string) => {
      await page.evaluate((h) => {
        (globalThis as unknown as { location: { hash: string } }).location.hash = h;
      }, hash);
      await page.waitForSelector(ready, { timeout: 30_000 });
    };
    // A pending Lock (the iPhone stays away), so the dashboard's pending commands are not all zero.
    fleet.e.autoPoll = false;
    await fleet.e.api('POST', `/admin/v1/devices/${fleet.synced[0].udid}/commands`, {
      type: 'Lock',
      params: { message: 'Call IT' },
    });
    const pem = mkdtempSync(join(tmpdir(), 'mdm-shots-'));
    writeFileSync(join(pem, 'push.pem'), fleet.pushCert.certPem);
    writeFileSync(join(pem, 'push.key'), fleet.pushCert.keyPem);

    await page.goto(`${fleet.e.local.url}/console/`);
    await page.waitForSelector('#api-key');
    await page.screenshot({ path: join(OUT, 'signin-en.png') });
    await page.type('#api-key', fleet.e.adminKey);
    await page.click('#signin button[type=submit]');
    await page.waitForSelector('[data-count]');

    for (const lang of ['en', 'ja'] as const) {
      await page.select('#lang', lang);
      const shot = (name: string) => page.screenshot({ path: join(OUT, `${name}-${lang}.png`) });
      await go('#/', '[data-count]');
      await shot('dashboard');
      await go('#/devices', '#device-table');
      await shot('devices');
      await go(`#/devices/${fleet.failing.udid}`, '#diagnosis [data-verdict]');
      await page.$eval('#diagnosis', (el) => el.scrollIntoView());
      await shot('device');
      await go(`#/templates?id=${fleet.template.id}`, '#template-editor');
      await shot('templates');
      await go('#/enroll', '#enroll-form');
      await page.type('#enroll-name', lang === 'ja' ? '受付 iPad' : 'Front desk iPad');
      await page.click('#enroll-create');
      await page.waitForSelector('#enroll-qr');
      await shot('enroll');
      await go('#/logs', '#log-table');
      await shot('logs');
      await go('#/settings', '#keys table');
      const [cert, key] = await page.$$('#apns input[type=file]');
      await cert.uploadFile(join(pem, 'push.pem'));
      await key.uploadFile(join(pem, 'push.key'));
      await page.click('#apns button[type=submit]');
      await page.waitForSelector('#apns dl');
      await shot('settings');
    }
    if (problems.length) throw new Error(`the console reported problems:\n${problems.join('\n')}`);
    console.log(`screenshots written to ${OUT}`);
  } finally {
    await browser.close();
    await fleet.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
