// Scenario: someone outside Teams registers on the web page with the keyboard alone, a second
// person finds the session full and joins the waitlist, the first cancels through their
// personal link and the second gets the place. axe-core checks every page at 1280 and 320 px.
// The pytest side (tests/e2e/test_e2e_web_register.py) starts the bot and gives REGISTER_URL.

import { checkAccessibility, launchBrowser } from './axe.mjs';

const REGISTER_URL = process.env.REGISTER_URL;
const STEP_TIMEOUT_MS = 15_000;

async function step(label, fn) {
  const t0 = Date.now();
  const result = await fn();
  console.log(`  ok  ${label} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return result;
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

async function focusedId(page) {
  return page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName || '');
}

async function tabTo(page, id, maxTabs = 20) {
  for (let i = 0; i < maxTabs; i += 1) {
    await page.keyboard.press('Tab');
    if ((await focusedId(page)) === id) return;
  }
  throw new Error(`Tab never reached #${id}`);
}

async function heading(page) {
  return (await page.locator('h1').first().innerText()).trim();
}

async function run() {
  expect(REGISTER_URL, 'set REGISTER_URL to the session\'s public registration page');
  const browser = await launchBrowser();
  try {
    const first = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    first.setDefaultTimeout(STEP_TIMEOUT_MS);
    const page = await first.newPage();
    await step('the registration page opens and passes axe', async () => {
      await page.goto(REGISTER_URL);
      expect((await heading(page)).startsWith('Register:'), `unexpected heading ${await heading(page)}`);
      await checkAccessibility(page, 'registration form');
    });
    await step('keyboard: the skip link comes first, Enter on an empty form shows the errors', async () => {
      await page.keyboard.press('Tab');
      expect((await page.evaluate(() => document.activeElement?.className)) === 'skip-link', 'skip link not first');
      await tabTo(page, 'field-name');
      await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
      expect(await page.locator('.error-summary').isVisible(), 'no error summary');
      expect((await page.locator('#field-name').getAttribute('aria-invalid')) === 'true', 'name not marked invalid');
      expect((await page.title()).startsWith('Error:'), 'the title does not say there is an error');
      await checkAccessibility(page, 'registration form with errors');
    });
    await step('keyboard: the form is filled in and sent with Tab and Enter', async () => {
      await page.keyboard.press('Tab');  // the skip link, then the error summary's links
      await tabTo(page, 'field-name');
      await page.keyboard.type('Dana Outside');
      await page.keyboard.press('Tab');
      await page.keyboard.type('Mersey Care NHS FT');
      await page.keyboard.press('Tab');
      await page.keyboard.type('Peer support worker');
      await page.keyboard.press('Tab');
      await page.keyboard.type('Starting out in a new team');
      await tabTo(page, 'BUTTON');
      await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
      expect((await heading(page)) === "You're registered", `unexpected heading ${await heading(page)}`);
      expect(await page.getByRole('link', { name: 'Join the session in Microsoft Teams' }).isVisible(), 'no join link');
      await checkAccessibility(page, 'personal page (registered)');
    });
    const personal = page.url();

    const second = await browser.newContext({ viewport: { width: 320, height: 800 } });
    second.setDefaultTimeout(STEP_TIMEOUT_MS);
    const other = await second.newPage();
    await step('a second person at 320 px finds the session full and joins the waitlist', async () => {
      await other.goto(REGISTER_URL);
      await other.getByLabel('Your name').fill('Eve Waiting');
      await other.getByLabel('Organisation').fill('Leeds and York Partnership NHS FT');
      await other.getByLabel('Role or department').fill('Peer lead');
      await Promise.all([other.waitForNavigation(), other.getByRole('button', { name: 'Register' }).click()]);
      expect((await heading(other)) === "You're on the waitlist", `unexpected heading ${await heading(other)}`);
      expect(await other.getByText('number 1 on the waitlist').isVisible(), 'no waitlist position');
      expect((await other.getByRole('link', { name: 'Join the session in Microsoft Teams' }).count()) === 0,
        'the waitlist sees the joining link');
      await checkAccessibility(other, 'personal page (waitlisted)');
    });
    await step('the first person cancels through their personal link', async () => {
      await page.goto(personal);
      await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Cancel my place' }).click()]);
      await checkAccessibility(page, 'cancel confirmation');
      await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Yes, cancel my place' }).click()]);
      expect((await heading(page)) === 'Your place is cancelled', `unexpected heading ${await heading(page)}`);
      await checkAccessibility(page, 'personal page (cancelled)');
    });
    await step('the waitlisted person now has the place', async () => {
      await other.reload();
      expect((await heading(other)) === "You're registered", `unexpected heading ${await heading(other)}`);
    });
    await step('a forged link gets a friendly page that passes axe', async () => {
      await page.goto(`${personal.slice(0, -4)}abcd`);
      expect((await heading(page)) === 'Page not found', `unexpected heading ${await heading(page)}`);
      await checkAccessibility(page, 'error page');
    });
  } finally {
    await browser.close();
  }
}

try {
  await run();
  console.log('web_register: passed');
} catch (error) {
  console.error(`web_register: FAILED: ${error.message}`);
  process.exitCode = 1;
}
