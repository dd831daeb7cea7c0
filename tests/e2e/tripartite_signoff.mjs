// Scenario (issue 13): a probation review is due, each of the three signs it off in their own
// chat, the task completes.
//
// Three people, each in their own Playground against the same bot: Alex Wilber (the default user;
// administrator in development mode, here Megan's line manager), Megan Bowen (PLAYGROUND_URL_MEGAN,
// dev/playground-second-person.yml; the worker) and Adele Vance (PLAYGROUND_URL_ADELE,
// tests/e2e/playground-third-person.yml; Megan's peer supervisor). Megan and Adele say hi first so
// the bot knows them. The probation starts a month ago (E2E_PROBATION_START), so its first review
// is due today (E2E_REVIEW_DUE): both dates come from the pytest side, in the bot's time zone.
//
// Run by tests/e2e/test_e2e_tripartite.py.

import { clickCardButton, pickPerson, runScenario, sendMessage, waitForBotText } from './playground.mjs';

const SETUP = 'Set up who supports whom';
const MENU = 'What would you like to do?';
const MANAGE = "My team's probation, absences and appraisals";
const START = 'Start probation for Megan Bowen';
const MINE = 'My tripartite tasks';
const OPEN = `Open: Probation review for Megan Bowen, due ${process.env.E2E_REVIEW_DUE}`;
const AGREE = 'I agree with this record';
// Sent by the dispatcher, not in answer to a turn: allow for its poll and a busy machine.
const OUTBOX_TIMEOUT_MS = 30_000;

async function signOff(page, { last = false } = {}) {
  await sendMessage(page, 'menu');
  await clickCardButton(page, 'See my tripartite tasks', { card: MENU });
  await waitForBotText(page, OPEN);
  await clickCardButton(page, OPEN, { card: MINE });
  await waitForBotText(page, AGREE);
  // "Sign-off" is on the task card only, not on the list or on a notice about the same review.
  await clickCardButton(page, AGREE, { card: 'Sign-off' });
  await waitForBotText(page, 'Thank you, your agreement is recorded.');
  await waitForBotText(page, last ? 'All three of you have signed this off.' : 'You have agreed. Waiting for the others.');
}

process.exitCode = await runScenario('tripartite_signoff', async ({ page: alex, pages, step }) => {
  const { megan, adele } = pages;
  if (!process.env.E2E_PROBATION_START || !process.env.E2E_REVIEW_DUE) {
    throw new Error('Set E2E_PROBATION_START and E2E_REVIEW_DUE (YYYY-MM-DD): tests/e2e/test_e2e_tripartite.py does.');
  }

  await step('Megan and Adele say hi, so the bot knows them', async () => {
    for (const page of [megan, adele]) {
      await waitForBotText(page, 'Welcome to PeerSpace');
      await sendMessage(page, 'hi');
      await waitForBotText(page, MENU);
    }
  });

  await step('Alex sets up Megan with himself as line manager and Adele as peer supervisor', async () => {
    await waitForBotText(alex, 'Welcome to PeerSpace');
    await sendMessage(alex, 'people');
    await clickCardButton(alex, SETUP, { card: 'People' });
    await waitForBotText(alex, 'Search your organisation');
    await pickPerson(alex, SETUP, 'Worker', 'Megan Bowen');
    await pickPerson(alex, SETUP, 'Line manager', 'Alex Wilber');
    await pickPerson(alex, SETUP, 'Peer supervisor', 'Adele Vance');
    await clickCardButton(alex, 'Save', { card: SETUP });
    await waitForBotText(alex, "Alex Wilber is now Megan Bowen's line manager.");
    await waitForBotText(alex, "Adele Vance is now Megan Bowen's peer supervisor.");
  });

  await step('Alex starts Megan\'s probation a month ago', async () => {
    await sendMessage(alex, 'menu');
    await clickCardButton(alex, 'Manage my team', { card: MENU });
    await waitForBotText(alex, MANAGE);
    await clickCardButton(alex, START, { card: MANAGE });
    await waitForBotText(alex, 'Start the probation');
    const form = alex.locator('.ac-adaptiveCard').filter({ hasText: 'Start the probation' }).last();
    await form.getByLabel('Start date in role').first().fill(process.env.E2E_PROBATION_START);
    await clickCardButton(alex, 'Start the probation', { card: START });
    await waitForBotText(alex, 'Probation started for Megan Bowen');
  });

  await step('Megan signs the review off', () => signOff(megan));
  await step('Adele signs the review off', () => signOff(adele));
  await step('Alex signs it off last, and it is complete', () => signOff(alex, { last: true }));

  await step('Megan and Adele are told it is complete', async () => {
    for (const page of [megan, adele]) {
      await waitForBotText(page, 'A tripartite task is complete', { timeoutMs: OUTBOX_TIMEOUT_MS });
    }
  });
}, { timeoutMs: 120_000, people: { megan: process.env.PLAYGROUND_URL_MEGAN, adele: process.env.PLAYGROUND_URL_ADELE } });
