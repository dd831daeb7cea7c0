// Scenario: someone who attended a session opens the feedback form from the menu, answers it and
// sends it. The pytest side (tests/e2e/test_e2e_feedback.py) seeds the attendance once this page's
// user is known to the bot: we write E2E_READY_FILE, then wait for E2E_SEEDED_FILE.

import fs from 'node:fs';
import { clickCardButton, runScenario, sendMessage, waitForBotText, waitForFile } from './playground.mjs';

process.exitCode = await runScenario('feedback_submit', async ({ page, step }) => {
  await step('welcome card on opening the chat', () => waitForBotText(page, 'Welcome to PeerSpace'));
  await step('the test seeds an attended session', async () => {
    fs.writeFileSync(process.env.E2E_READY_FILE, 'ready');
    await waitForFile(process.env.E2E_SEEDED_FILE, 'the session was not seeded');
  });
  await step('the menu opens "Session feedback"', async () => {
    await sendMessage(page, 'menu');
    await waitForBotText(page, 'What would you like to do?');
    await clickCardButton(page, 'Give session feedback', { card: 'What would you like to do?' });
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
