// Accessibility check of web pages with axe-core (WCAG 2.2 AA tags) in headless Chromium, at
// 1280 px and 320 px wide; at 320 px the page must not scroll sideways either (WCAG 1.4.10).
//
// As a module:  import { checkAccessibility } from './axe.mjs';
//               await checkAccessibility(page, 'registration form');   // throws on any violation
// From a shell: node tests/e2e/axe.mjs URL [URL ...]                   // exit 1 on any violation
//               (CHROMIUM_PATH as for the other browser tests; default /usr/bin/chromium)
//
// Uses the top-level axe-core (4.14.1) rather than the copy @axe-core/playwright bundles.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium } from 'playwright-core';

export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
export const WIDTHS = [1280, 320];
const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Run axe on `page` (already loaded) at each width; throw an Error listing every violation. */
export async function checkAccessibility(page, label, { widths = WIDTHS } = {}) {
  const problems = [];
  const original = page.viewportSize();
  for (const width of widths) {
    await page.setViewportSize({ width, height: 900 });
    const results = await new AxeBuilder({ page, axeSource: AXE_SOURCE }).withTags(WCAG_TAGS).analyze();
    for (const v of results.violations) {
      const where = v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ');
      problems.push(`${label} at ${width} px: ${v.id} (${v.impact}): ${v.help} [${where}]`);
    }
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
    if (sideways) problems.push(`${label} at ${width} px: the page scrolls sideways`);
  }
  if (original) await page.setViewportSize(original);
  if (problems.length) throw new Error(`accessibility problems:\n${problems.join('\n')}`);
  console.log(`  axe ${label}: 0 violations at ${widths.join(' px and ')} px`);
}

/** The same check for scripts that count failures instead of stopping at the first page. */
export async function axeViolations(page, label) {
  try {
    await checkAccessibility(page, label);
    return 0;
  } catch (error) {
    console.log(error.message);
    return 1;
  }
}

/** A headless Chromium browser as the browser tests launch it. */
export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox'] });
}

async function main(urls) {
  if (!urls.length) {
    console.error('usage: node tests/e2e/axe.mjs URL [URL ...]');
    return 2;
  }
  const browser = await launchBrowser();
  let failed = 0;
  try {
    const page = await (await browser.newContext()).newPage();
    for (const url of urls) {
      await page.goto(url);
      try {
        await checkAccessibility(page, url);
      } catch (error) {
        failed += 1;
        console.error(error.message);
      }
    }
  } finally {
    await browser.close();
  }
  return failed ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
