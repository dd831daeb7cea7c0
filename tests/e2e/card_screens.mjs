// Screenshots of the main cards in Teams' light or dark theme (E2E_THEME), for a look at how
// they read: welcome, menu, the session list, the registration form, the feedback form and the
// check-in card. Saved as $E2E_ARTIFACTS/cards/<theme>/<n>-<card>.png (CI keeps that folder).
//
// The pytest side (tests/e2e/test_e2e_card_screens.py) seeds an attended session once this
// page's user is known: we write E2E_READY_FILE, then wait for E2E_SEEDED_FILE.

import fs from 'node:fs';
import path from 'node:path';
import {
  cardsWithText, clickCardButton, runScenario, sendMessage, waitForBotText, waitForFile,
} from './playground.mjs';
import { themeColours, useTeamsTheme } from './themes.mjs';

const THEME = process.env.E2E_THEME || 'light';
const FOLDER = path.join(process.env.E2E_ARTIFACTS || '/tmp', 'cards', THEME);
const MENU = 'What would you like to do?';
const LIST_TITLE = 'Implementation space sessions';
const FEEDBACK = 'Feedback: Peer supervision in practice';

let shots = 0;
async function shoot(page, text, name) {
  const card = cardsWithText(page, text).last();
  await card.scrollIntoViewIfNeeded();
  // The chat pane may still be scrolling to the new card; a shot taken then frames the wrong area.
  await page.waitForTimeout(400);
  shots += 1;
  const file = path.join(FOLDER, `${shots}-${name}.png`);
  await card.screenshot({ path: file, timeout: 10_000 });
  console.log(`  saved ${file}`);
}

// The text colour a card actually got, as CSS rgb(): proof the theme reached the renderer.
function cssRgb(hostColour) {
  const hex = hostColour.replace('#', '').slice(-6);
  return `rgb(${[0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;
}

fs.rmSync(FOLDER, { recursive: true, force: true }); // no shot left from an earlier run
fs.mkdirSync(FOLDER, { recursive: true });
process.exitCode = await runScenario(`card_screens_${THEME}`, async ({ page, step }) => {
  await step(`welcome card, in Teams' ${THEME} theme`, async () => {
    await waitForBotText(page, 'Welcome to PeerSpace');
    const title = cardsWithText(page, 'Welcome to PeerSpace').last().locator('.ac-textBlock').first();
    const colour = await title.evaluate((el) => getComputedStyle(el).color);
    const expected = cssRgb(themeColours(THEME).default.foregroundColors.default.default);
    if (colour !== expected) throw new Error(`card text is ${colour}, not ${THEME} theme's ${expected}`);
    await shoot(page, 'Welcome to PeerSpace', 'welcome');
  });
  await step('menu', async () => {
    await sendMessage(page, 'menu');
    await waitForBotText(page, MENU);
    await shoot(page, MENU, 'menu');
  });
  await step('the session list', async () => {
    await clickCardButton(page, 'Open sessions', { card: MENU });
    await waitForBotText(page, LIST_TITLE);
    await shoot(page, LIST_TITLE, 'sessions');
  });
  await step('the registration form', async () => {
    await clickCardButton(page, /^Register for /, { card: LIST_TITLE });
    await waitForBotText(page, 'Register: ');
    await shoot(page, 'Register: ', 'register');
  });
  await step('the feedback form', async () => {
    fs.writeFileSync(process.env.E2E_READY_FILE, 'ready');
    await waitForFile(process.env.E2E_SEEDED_FILE, 'the session was not seeded');
    await sendMessage(page, 'feedback');
    await clickCardButton(page, 'Give feedback', { card: 'Session feedback' });
    await waitForBotText(page, FEEDBACK);
    await shoot(page, FEEDBACK, 'feedback');
  });
  await step('the check-in card', async () => {
    await sendMessage(page, 'check in now');
    await waitForBotText(page, 'How are you feeling right now?');
    await shoot(page, 'How are you feeling right now?', 'checkin');
  });
}, {
  prepare: async (context, page) => {
    // Tall enough for the longest card (the feedback form) to be photographed whole: the chat
    // pane scrolls, and a card taller than it would be cut off under the Playground's header.
    await page.setViewportSize({ width: 1280, height: 2400 });
    await useTeamsTheme(THEME)(context, page);
  },
});
