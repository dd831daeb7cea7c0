// The anonymous feedback page in Chromium, as someone from another trust meets it: open the QR
// code's link, answer with the keyboard and mouse, see the thank-you page; a second submission
// from the same browser is refused. axe-core at 1280 and 320 px on every page: 0 violations.
// E2E_FEEDBACK_URL is the QR code's link (tests/e2e/test_e2e_web_feedback.py serves the bot).
import { chromium } from 'playwright-core';
import { axeViolations } from './axe.mjs';

const URL = process.env.E2E_FEEDBACK_URL;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium' });
let failures = 0;
const check = (ok, what) => { if (!ok) { failures += 1; console.log(`  FAILED: ${what}`); } };
const heading = async (p) => p.getByRole('heading', { level: 1 }).innerText();
const sees = async (p, text, what) => { const h = await heading(p); check(h === text, `${what} (page says "${h}")`); };

try {
  const context = await browser.newContext();
  const page = await context.newPage();
  const early = await context.newPage(); // a second tab with the same form, sent after the first
  await page.goto(URL);
  await early.goto(URL);
  await sees(page, `Feedback: ${process.env.E2E_SESSION_TITLE}`, 'form heading');
  failures += await axeViolations(page, 'form');

  await page.getByRole('button', { name: 'Send feedback' }).click();
  check((await page.getByRole('alert').innerText()).includes('There is a problem'), 'error summary');
  check(await page.locator('#field-overall').getAttribute('aria-invalid') === null, 'radio itself not marked');
  check((await page.title()).startsWith('Error:'), 'title says error');
  failures += await axeViolations(page, 'errors');

  const rate = (question, label) => page.getByRole('group', { name: question }).getByLabel(label).check();
  await rate('Overall, how was the session?', '5 - Excellent');
  await rate('How useful was the presentation part?', '4 - Very good');
  // Keyboard alone for the last one: Tab into the group, arrows choose.
  await page.getByRole('group', { name: 'How useful was the discussion part?' }).getByLabel('1 - Poor').focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.getByLabel('What was most helpful?').fill('Hearing how other trusts run peer supervision');
  await page.getByRole('group', { name: /Which topics/ }).getByLabel('Supervision', { exact: false }).first().check();
  await page.getByRole('button', { name: 'Send feedback' }).focus();
  await Promise.all([page.waitForEvent('framenavigated'), page.keyboard.press('Enter')]);
  await page.waitForLoadState();
  await sees(page, 'Thank you for your feedback', 'thanked');
  failures += await axeViolations(page, 'thanks');

  await early.getByRole('group', { name: 'Overall, how was the session?' }).getByLabel('1 - Poor').check();
  await early.getByRole('group', { name: 'How useful was the presentation part?' }).getByLabel('1 - Poor').check();
  await early.getByRole('group', { name: 'How useful was the discussion part?' }).getByLabel('1 - Poor').check();
  await early.getByRole('button', { name: 'Send feedback' }).click();
  await sees(early, 'You have already answered', 'second submission refused');
  failures += await axeViolations(early, 'already answered');

  await page.goto(URL);
  await sees(page, 'You have already answered', 'revisit recognised');
} finally {
  await browser.close();
}
console.log(failures ? `web_feedback: ${failures} failures` : 'web_feedback: passed');
process.exit(failures ? 1 : 0);
