// Scenario: a newcomer opens the bot, asks for help, reads "About and privacy", and looks at
// "My data" without deleting anything.
//
// Run by tests/e2e/test_e2e_playground.py; by hand: start `make run`, then
//   PLAYGROUND_URL=http://127.0.0.1:56150/ node tests/e2e/welcome_menu.mjs
// (the welcome card only comes on a conversation's first visit: use a fresh database).

import { clickCardButton, countCards, runScenario, sendMessage, waitForBotText } from './playground.mjs';

const ABOUT_TITLE = 'About PeerSpace and your privacy';

process.exitCode = await runScenario('welcome_menu', async ({ page, step }) => {
  await step('welcome card on opening the chat', () => waitForBotText(page, 'Welcome to PeerSpace'));

  await step('typing "help" shows the menu', async () => {
    await sendMessage(page, 'help');
    await waitForBotText(page, 'What would you like to do?');
  });

  await step('the menu\'s "About and privacy" row opens the about card', async () => {
    await clickCardButton(page, 'Read about privacy', { card: 'What would you like to do?' });
    await waitForBotText(page, ABOUT_TITLE);
  });

  await step('the welcome card\'s "About and privacy" button opens it again', async () => {
    const before = await countCards(page, ABOUT_TITLE);
    await clickCardButton(page, 'About and privacy', { card: 'Welcome to PeerSpace' });
    await waitForBotText(page, ABOUT_TITLE, { after: before });
  });

  await step('typing "my data" shows what the bot holds', async () => {
    await sendMessage(page, 'my data');
    await waitForBotText(page, 'What I hold about you');
  });

  await step('"Keep it" answers that nothing was deleted', async () => {
    await clickCardButton(page, 'Keep it', { card: 'What I hold about you' });
    await waitForBotText(page, 'Nothing deleted');
  });
});
