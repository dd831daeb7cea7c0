// Scenario: someone opens the sessions from the menu, registers for the next session, and sees
// the confirmation card with the agenda and an "add to calendar" link.
//
// Run by tests/e2e/test_e2e_sessions.py; by hand: start `make run` on a fresh database, then
//   PLAYGROUND_URL=http://127.0.0.1:56150/ node tests/e2e/sessions_register.mjs

import { cardsWithText, clickCardButton, runScenario, sendMessage, waitForBotText } from './playground.mjs';

const LIST_TITLE = 'Implementation space sessions';
const FORM_TITLE = 'Register: ';

async function fill(page, card, label, value) {
  const input = cardsWithText(page, card).last().getByLabel(label, { exact: false }).first();
  await input.fill(value);
}

process.exitCode = await runScenario('sessions_register', async ({ page, step }) => {
  await step('welcome card on opening the chat', () => waitForBotText(page, 'Welcome to PeerSpace'));

  await step('the menu\'s "Sessions" row lists the coming sessions', async () => {
    await sendMessage(page, 'menu');
    await waitForBotText(page, 'What would you like to do?');
    await clickCardButton(page, 'Open sessions', { card: 'What would you like to do?' });
    await waitForBotText(page, LIST_TITLE);
    await waitForBotText(page, '14:00 to 16:00');
  });

  await step('"Register for <day>" opens the form, prefilled with my name', async () => {
    await clickCardButton(page, /^Register for /, { card: LIST_TITLE });
    await waitForBotText(page, FORM_TITLE);
  });

  await step('submitting without an organisation keeps the form and says why', async () => {
    await fill(page, FORM_TITLE, 'Role or department', 'Peer support lead');
    await clickCardButton(page, 'Register', { card: FORM_TITLE });
    // The client checks required fields itself, or the bot answers with the form and a message.
    await page.waitForTimeout(500);
    await waitForBotText(page, 'Organisation');
  });

  await step('a complete form gives the confirmation card', async () => {
    await fill(page, FORM_TITLE, 'Organisation', 'Somerset NHS Foundation Trust');
    await fill(page, FORM_TITLE, 'Role or department', 'Peer support lead');
    await fill(page, FORM_TITLE, 'What brings you here', 'Setting up peer support roles on our wards');
    await clickCardButton(page, 'Register', { card: FORM_TITLE });
    await waitForBotText(page, "You're registered");
    await waitForBotText(page, 'Agenda');
    await waitForBotText(page, 'Add to calendar');
  });
});
