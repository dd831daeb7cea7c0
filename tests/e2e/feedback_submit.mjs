// Scenario: someone who attended a session opens the feedback form from the menu, answers it and
// sends it. The pytest side (tests/e2e/test_e2e_feedback.py) seeds the attendance once this page's
// user is known to the bot: we write E2E_READY_FILE, then wait for E2E_SEEDED_FILE.

import fs from 'node:fs';
import { clickCardButton, runScenario, sendMessage, waitForBotText } from './playground.mjs';

async function waitForFile(file, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (fs.existsSync(file)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${file} did not appear: the session was not seeded`);
}

process.exitCode = await runScenario('feedback_submit', async ({ page, step }) => {
  await step('welcome card on opening the chat', () => waitForBotText(page, 'Welcome to PeerSpace'));
  await step('the test seeds an attended session', async () => {
    fs.writeFileSync(process.env.E2E_READY_FILE, 'ready');
    await waitForFile(process.env.E2E_SEEDED_FILE);
  });
  await step('the menu opens "Session feedback"', async () => {
    await sendMessage(page, 'menu');
    await waitForBotText(page, 'What would you like to do?');
    await clickCardButton(page, 'Open', { card: 'What would you like to do?', row: 'Tell the facilitators, anonymously' });
    await waitForBotText(page, 'Give feedback');
  });
  await step('the form opens for the attended session', async () => {
    await clickCardButton(page, 'Give feedback', { card: 'Session feedback' });
    await waitForBotText(page, 'Feedback: Peer supervision in practice');
  });
  await step('the form is filled in and sent', async () => {
    const form = page.locator('.ac-adaptiveCard').filter({ hasText: 'Feedback: Peer supervision in practice' }).last();
    for (const [i, label] of ['5 - Excellent', '4 - Very good', '3 - Good'].entries()) {
      await form.getByRole('radio', { name: label }).nth(i).check();
    }
    await form.locator('textarea').first().fill('The co-reflection examples on supervision were great');
    await clickCardButton(page, 'Send feedback', { card: 'Feedback: Peer supervision in practice' });
    await waitForBotText(page, 'Thank you for your feedback');
  });
});
