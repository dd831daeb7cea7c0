// Scenario: a peer support worker sets up the daily check-in from the welcome card, receives a
// prompt (through the outbox and the real dispatcher), checks in and sees the kind reply; a
// hard-day check-in shows signposting; "my check-ins" shows the trend.
//
// The pytest side (tests/test_e2e_checkins.py) moves the queued prompt to now once the schedule
// is saved: we write E2E_READY_FILE, then wait for E2E_SEEDED_FILE.

import fs from 'node:fs';
import { cardsWithText, clickCardButton, runScenario, sendMessage, waitForBotText } from './playground.mjs';

const SETUP = 'When should I ask you?';
const FORM = 'How are you feeling right now?';
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

async function waitForFile(file, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (fs.existsSync(file)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${file} did not appear: the prompt was not moved to now`);
}

process.exitCode = await runScenario('checkins', async ({ page, step }) => {
  await step('the welcome card offers the daily check-in', async () => {
    await waitForBotText(page, 'Welcome to PeerSpace');
    await waitForBotText(page, 'a daily check-in, just for you');
  });
  await step('opting in: a time for every day, saved', async () => {
    await clickCardButton(page, 'Set up my daily check-in', { card: 'Welcome to PeerSpace' });
    await waitForBotText(page, SETUP);
    const card = cardsWithText(page, SETUP).last();
    for (const day of DAYS) await card.getByLabel(day, { exact: true }).fill('21:30');
    await clickCardButton(page, 'Save', { card: SETUP });
    await waitForBotText(page, 'Your check-in schedule is saved');
  });
  await step('the prompt arrives through the outbox', async () => {
    fs.writeFileSync(process.env.E2E_READY_FILE, 'ready');
    await waitForFile(process.env.E2E_SEEDED_FILE);
    await waitForBotText(page, "Your shift's over", { timeoutMs: 30_000 });
    await waitForBotText(page, 'Skip today');
  });
  await step('checking in from the prompt gives a kind reply about rest', async () => {
    const card = cardsWithText(page, "Your shift's over").last();
    await card.getByRole('radio', { name: 'Good', exact: true }).check();
    await card.getByText('Rest', { exact: true }).click();
    await card.getByLabel('Something that went well today', { exact: false }).first().fill('Good chat with the ward team');
    await clickCardButton(page, 'Check in', { card: "Your shift's over" });
    await waitForBotText(page, 'Thank you for checking in');
    await waitForBotText(page, 'rest', { timeoutMs: 5_000 });
  });
  await step('a hard day shows signposting in the same reply', async () => {
    await sendMessage(page, 'check in now');
    await waitForBotText(page, 'Everything except the first question is optional');
    const card = cardsWithText(page, 'Everything except the first question is optional').last();
    await card.getByRole('radio', { name: 'Really struggling', exact: true }).check();
    await clickCardButton(page, 'Check in', { card: 'Everything except the first question is optional' });
    await waitForBotText(page, "I'm not a crisis service");
    await waitForBotText(page, '116 123');
    await waitForBotText(page, 'Ask my peer supervisor to get in touch');
  });
  await step('"my check-ins" shows the trend and what went well', async () => {
    await sendMessage(page, 'my check-ins');
    await waitForBotText(page, 'How I\'ve felt');
    await waitForBotText(page, 'Days I checked in: 1 of the last 7');
    await waitForBotText(page, 'Good chat with the ward team');
    await waitForBotText(page, 'Really struggling');
  });
});
