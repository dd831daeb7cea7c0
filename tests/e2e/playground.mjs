// Helpers for browser end-to-end scenarios against the Microsoft 365 Agents Playground.
//
// They never start the bot or the Playground: the pytest fixture in tests/e2e/test_e2e_playground.py
// does that and passes the page address in PLAYGROUND_URL. A scenario is one .mjs file that
// calls `runScenario(name, async ({ page, step }) => { ... })`; each helper has a bounded
// timeout so a hung bot fails the run with a screenshot instead of blocking CI.
//
// Page facts these helpers rely on (Playground 0.2.28):
// - the compose box is a Lexical editor: [contenteditable][role=textbox][data-lexical-editor];
// - each Adaptive Card renders inside `.ac-adaptiveCard`, a Container or ColumnSet as a plain
//   `.ac-container`, and each card button is a <button> whose accessible name is its title;
// - a sentence can appear in several nodes (message, preview, log panel), hence `.first()`.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-dev-shm-usage',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];
// One bot turn (Playground -> bot -> SQLite -> Playground) takes well under a second here;
// 15 s leaves room for a slow CI machine without letting a hang run on.
export const STEP_TIMEOUT_MS = 15_000;
export const SCENARIO_TIMEOUT_MS = 90_000;
// The Playground's 9 MB main.js takes about 4 s of CPU to start in headless Chromium here
// (no GPU), more on a busy machine.
export const PAGE_LOAD_TIMEOUT_MS = 30_000;
// Sentences that mean the bot failed a turn: seeing one, stop waiting for the expected card
// at once, rather than turn a clear failure into a vague timeout.
export const BOT_FAILURE_TEXTS = [
  'Sorry, something went wrong',
  "I didn't catch that",
  'That card has already been used or is out of date',
];

const CARD = '.ac-adaptiveCard';
const COMPOSE_BOX = '[contenteditable="true"][role="textbox"][data-lexical-editor="true"]';

/** Error raised by a helper: its message is what the scenario prints on failure. */
export class ScenarioError extends Error {}

/**
 * Launch headless Chromium with a fresh profile and open the Playground page.
 * `prepare(context, page)`, if given, runs before the page loads (routes, media emulation).
 * Returns { context, page, close }; `close` also removes the profile folder.
 */
export async function openPlayground(
  url, { viewport = { width: 1280, height: 900 }, timeoutMs = PAGE_LOAD_TIMEOUT_MS, prepare = null } = {},
) {
  if (!url) throw new ScenarioError('No Playground address: set PLAYGROUND_URL (e.g. http://127.0.0.1:56150/).');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'peerspace-e2e-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    timeout: timeoutMs,
  });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(timeoutMs);
  const page = context.pages()[0] ?? (await context.newPage());
  const close = async () => {
    await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  };
  try {
    if (prepare) await prepare(context, page);
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    await page.locator(COMPOSE_BOX).first().waitFor({ state: 'visible', timeout: timeoutMs });
  } catch (err) {
    await close();
    throw new ScenarioError(`The Playground page at ${url} did not load: ${err.message.split('\n')[0]}`);
  }
  return { context, page, close };
}

/** Locator of every rendered card that contains `text` (newest last). */
export function cardsWithText(page, text) {
  return page.locator(CARD).filter({ hasText: text });
}

/** How many rendered cards contain `text`: take this before an action, then pass it as `after`. */
export async function countCards(page, text) {
  return cardsWithText(page, text).count();
}

// Failure sentences already on the page before the last action (from an earlier step) do not
// count. The counts are taken by sendMessage/clickCardButton *before* they act: taken at the
// start of a wait, a quick reply would already be in them and go unnoticed.
const failureMarks = new WeakMap();

async function countFailureTexts(page, texts) {
  const counts = new Map();
  for (const text of texts) counts.set(text, await page.getByText(text).count());
  return counts;
}

async function markBeforeAction(page) {
  failureMarks.set(page, await countFailureTexts(page, BOT_FAILURE_TEXTS));
}

async function failureBaseline(page, texts) {
  const marked = failureMarks.get(page);
  const now = await countFailureTexts(page, texts);
  return new Map([...now].map(([text, n]) => [text, marked?.has(text) ? marked.get(text) : n]));
}

async function newFailureText(page, baseline) {
  for (const [text, before] of baseline) {
    if ((await page.getByText(text).count()) > before) return text;
  }
  return null;
}

/**
 * Wait until the bot shows `text` anywhere on the page, and return its first visible node.
 * With `after: n`, wait for a card containing `text` beyond the first n (for a card that was
 * already shown earlier in the chat). Fails early if the bot answers with one of `failOn`
 * (pass [] for a scenario that expects such an answer).
 */
export async function waitForBotText(
  page, text, { timeoutMs = STEP_TIMEOUT_MS, after = null, failOn = BOT_FAILURE_TEXTS } = {},
) {
  const baseline = await failureBaseline(page, failOn);
  const deadline = Date.now() + timeoutMs;
  const target = after === null ? page.getByText(text).first() : cardsWithText(page, text).nth(after);
  while (Date.now() < deadline) {
    if (await target.isVisible().catch(() => false)) return target;
    const failure = await newFailureText(page, baseline);
    if (failure) throw new ScenarioError(`Waiting for "${text}", the bot answered "${failure}..." instead.`);
    await page.waitForTimeout(150);
  }
  const which = after === null ? '' : ` (card number ${after + 1} with that text)`;
  throw new ScenarioError(`"${text}"${which} did not appear within ${timeoutMs / 1000} s.`);
}

/** Type `text` into the compose box and send it with Enter, as a person would. */
export async function sendMessage(page, text, { timeoutMs = STEP_TIMEOUT_MS } = {}) {
  const box = page.locator(COMPOSE_BOX).first();
  await markBeforeAction(page);
  await box.click({ timeout: timeoutMs });
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
  // The editor empties once the Playground has taken the message.
  await page.waitForFunction(
    (selector) => (document.querySelector(selector)?.textContent ?? '').trim() === '',
    COMPOSE_BOX,
    { timeout: timeoutMs },
  ).catch(() => {
    throw new ScenarioError(`The compose box did not send "${text}" within ${timeoutMs / 1000} s.`);
  });
}

/**
 * Click a card button by its title. `card`: text the card must contain (the newest such card
 * is used); `row`: text of the ColumnSet row holding the button, for cards whose rows all have
 * a button of the same title. `title` may be a RegExp ("Register for <day>").
 */
export async function clickCardButton(page, title, { card = null, row = null, timeoutMs = STEP_TIMEOUT_MS } = {}) {
  let scope = page.locator(CARD);
  if (card) scope = scope.filter({ hasText: card });
  scope = scope.last();
  const where = [card && `card "${card}"`, row && `row "${row}"`].filter(Boolean).join(', ') || 'any card';
  let button = scope.getByRole('button', { name: title, exact: true });
  try {
    if (row) button = await rowButton(scope, row, title, timeoutMs);
    await markBeforeAction(page);
    await button.first().click({ timeout: timeoutMs });
  } catch (err) {
    const n = await button.count().catch(() => 0);
    throw new ScenarioError(`Could not click button "${title}" in ${where} (${n} found): ${err.message.split('\n')[0]}`);
  }
}

// The Playground renders a ColumnSet as a plain `.ac-container`, so a row is found as the
// innermost container holding the row's text and exactly one button of that title.
async function rowButton(scope, row, title, timeoutMs) {
  const byTitle = (loc) => loc.getByRole('button', { name: title, exact: true });
  const rows = scope.locator('.ac-container').filter({ hasText: row }).filter({ has: byTitle(scope.page()) });
  await rows.first().waitFor({ state: 'visible', timeout: timeoutMs });
  for (let i = (await rows.count()) - 1; i >= 0; i -= 1) {
    const candidate = byTitle(rows.nth(i));
    if ((await candidate.count()) === 1) return candidate;
  }
  throw new ScenarioError(`no row holding "${row}" has exactly one "${title}" button`);
}

/**
 * Pick `name` in the people picker labelled `label` on the newest card containing `card`. The
 * Playground renders an Input.ChoiceSet whose choices come from `graph.microsoft.com/users` as its
 * own people picker over the users of its config file (it sends their account id, "user-id-1").
 */
export async function pickPerson(page, card, label, name, { timeoutMs = STEP_TIMEOUT_MS } = {}) {
  const field = cardsWithText(page, card).last().locator('label', { hasText: label }).first().locator('xpath=..');
  try {
    await field.getByRole('combobox').first().click({ timeout: timeoutMs });
    await page.keyboard.type(name.split(' ')[0]);
    await page.getByRole('option', { name: new RegExp(name) }).first().click({ timeout: timeoutMs });
  } catch (err) {
    throw new ScenarioError(`Could not pick "${name}" as "${label}" on card "${card}": ${err.message.split('\n')[0]}`);
  }
}

/** Wait for `file` (written by the pytest side: see run_scenario_seeded); fail saying `missing`. */
export async function waitForFile(file, missing, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (fs.existsSync(file)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new ScenarioError(`${file} did not appear: ${missing}`);
}

/** The visible chat text, trimmed to its end: printed on failure to show what the bot said last. */
export async function chatTail(page, chars = 1500) {
  const text = await page.locator('body').innerText({ timeout: 2000 }).catch(() => '');
  return text.length > chars ? `...${text.slice(-chars)}` : text;
}

/**
 * Run one scenario: open the Playground at PLAYGROUND_URL, run `body({ page, pages, step })`, close.
 * `people` maps a name to another Playground's address (a second person, each its own Playground
 * process against the same bot); their pages are opened too and passed as `pages[name]`.
 * Exits 0 on success. On failure or after `timeoutMs`, saves a screenshot to
 * $E2E_ARTIFACTS/<name>-failure.png (default /tmp), prints the reason and exits 1.
 * With E2E_SCREENSHOT=path, also saves a screenshot on success (for a look at the cards).
 * `prepare` is passed to openPlayground (e.g. a Teams theme from ./themes.mjs).
 */
export async function runScenario(name, body, { timeoutMs = SCENARIO_TIMEOUT_MS, prepare = null, people = {} } = {}) {
  const started = Date.now();
  const artifacts = process.env.E2E_ARTIFACTS || '/tmp';
  let session = null;
  const others = {};
  let current = 'opening the Playground';
  const step = async (label, fn) => {
    current = label;
    const t0 = Date.now();
    const result = await fn();
    console.log(`  ok  ${label} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    return result;
  };
  const screenshot = async (file, page = session?.page) => {
    if (!page) return null;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await page.screenshot({ path: file, fullPage: false, timeout: 5000 });
    return file;
  };

  let timer;
  let timedOut = false;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new ScenarioError(`scenario took longer than ${timeoutMs / 1000} s`));
    }, timeoutMs);
  });
  const opening = openPlayground(process.env.PLAYGROUND_URL, { prepare }).then(async (s) => {
    session = s;
    for (const [who, url] of Object.entries(people)) others[who] = await openPlayground(url, { prepare });
    return s;
  });
  const pages = () => Object.fromEntries(Object.entries(others).map(([who, o]) => [who, o.page]));
  const work = opening.then((s) => body({ page: s.page, pages: pages(), step }));
  // After the deadline wins, the body's pending calls reject once the browser closes: that
  // late rejection is expected and must not crash the process with a second report.
  work.catch(() => {});
  try {
    await Promise.race([work, deadline]);
    if (process.env.E2E_SCREENSHOT) await screenshot(process.env.E2E_SCREENSHOT);
    console.log(`${name}: passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  } catch (err) {
    const reason = err instanceof ScenarioError ? err.message : (err.stack || String(err));
    console.error(`${name}: FAILED while ${current}: ${reason}`);
    const shot = await screenshot(path.join(artifacts, `${name}-failure.png`)).catch((e) => {
      console.error(`(no screenshot: ${e.message.split('\n')[0]})`);
      return null;
    });
    if (shot) console.error(`screenshot: ${shot}`);
    if (session) console.error(`page text at failure:\n${await chatTail(session.page)}`);
    for (const [who, other] of Object.entries(others)) {
      const file = await screenshot(path.join(artifacts, `${name}-${who}-failure.png`), other.page).catch(() => null);
      console.error(`${who}'s page${file ? ` (screenshot: ${file})` : ''}:\n${await chatTail(other.page)}`);
    }
    process.exitCode = 1;
    return 1;
  } finally {
    clearTimeout(timer);
    if (timedOut) {
      // The deadline may have struck while the browser was still starting: wait a little for
      // it so it can be closed, and make sure nothing left behind keeps node running.
      if (!session) await Promise.race([opening.catch(() => {}), new Promise((r) => setTimeout(r, 10_000))]);
      setTimeout(() => process.exit(process.exitCode ?? 1), 5_000).unref();
    }
    for (const other of Object.values(others)) await other.close();
    if (session) await session.close();
  }
}
