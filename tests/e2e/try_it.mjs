// Scenario: a newcomer tries everything locally, as the README's "Try it" walkthrough says.
// From the welcome card of a fresh `make run` they add sample data, then register for a session,
// take the register of the session happening now, give feedback on yesterday's session and read
// the feedback report of an older one. The walk is timed from the welcome card to the report:
// the pytest side (tests/e2e/test_e2e_try_it.py) holds it under two minutes.

import { cardsWithText, clickCardButton, countCards, runScenario, sendMessage, waitForBotText } from './playground.mjs';

const SAMPLES = 'Sample data added';
const FORM_TITLE = 'Register: ';
const REGISTER_TITLE = "Who's in the room";
const FEEDBACK_FORM = 'Feedback: Sample: Recovery stories';
const REPORT = 'Feedback: Sample: Peer supervision in practice';

// Each button on the sample data card replaces that card with the one it opens (Universal
// Actions), so the card is asked for again: typed again, "sample data" adds nothing and shows it.
async function samplesAgain(page) {
  const before = await countCards(page, SAMPLES);
  await sendMessage(page, 'sample data');
  await waitForBotText(page, SAMPLES, { after: before });
}

async function fill(page, card, label, value) {
  await cardsWithText(page, card).last().getByLabel(label, { exact: false }).first().fill(value);
}

process.exitCode = await runScenario('try_it', async ({ page, step }) => {
  await step('the welcome card says development mode and offers sample data', async () => {
    await waitForBotText(page, 'Welcome to PeerSpace');
    await waitForBotText(page, 'Development mode: try everything');
  });
  const started = Date.now();

  await step('"Add sample data" says what was made and what to try next', async () => {
    await clickCardButton(page, 'Add sample data', { card: 'Welcome to PeerSpace' });
    await waitForBotText(page, SAMPLES);
    await waitForBotText(page, 'you are an administrator and a facilitator here');
  });

  await step('registration: register for the upcoming sample session', async () => {
    await clickCardButton(page, 'Register for the upcoming session', { card: SAMPLES });
    await waitForBotText(page, FORM_TITLE);
    await fill(page, FORM_TITLE, 'Organisation', 'Somerset NHS Foundation Trust');
    await fill(page, FORM_TITLE, 'Role or department', 'Peer support lead');
    await clickCardButton(page, 'Register', { card: FORM_TITLE });
    await waitForBotText(page, "You're registered");
  });

  await step('attendance: take the register of the session happening now', async () => {
    await samplesAgain(page);
    await clickCardButton(page, 'Take the register of the session happening now', { card: SAMPLES });
    await waitForBotText(page, REGISTER_TITLE);
    const register = cardsWithText(page, REGISTER_TITLE).last();
    for (const box of (await register.getByRole('checkbox').all()).slice(0, 3)) await box.check();
    await clickCardButton(page, 'Save the register', { card: REGISTER_TITLE });
    await waitForBotText(page, 'The register is saved.');
  });

  await step('feedback: answer the form for yesterday\'s session', async () => {
    await samplesAgain(page);
    await clickCardButton(page, "Give feedback on yesterday's session", { card: SAMPLES });
    await waitForBotText(page, 'Give feedback');
    await clickCardButton(page, 'Give feedback', { card: 'Session feedback' });
    await waitForBotText(page, FEEDBACK_FORM);
    const form = cardsWithText(page, FEEDBACK_FORM).last();
    for (const [i, label] of ['4 - Very good', '5 - Excellent', '3 - Good'].entries()) {
      await form.getByRole('radio', { name: label }).nth(i).check();
    }
    await clickCardButton(page, 'Send feedback', { card: FEEDBACK_FORM });
    await waitForBotText(page, 'Thank you for your feedback');
  });

  await step('a feedback report: rating bands, themes and "you said, we did"', async () => {
    await samplesAgain(page);
    await clickCardButton(page, 'Read the sample feedback report', { card: SAMPLES });
    await waitForBotText(page, REPORT);
    const report = cardsWithText(page, REPORT).last();
    for (const text of ['Ratings at a glance', 'You said, we did', 'Breakout rooms now start']) {
      if (!(await report.getByText(text, { exact: false }).first().isVisible())) {
        throw new Error(`the report does not show "${text}"`);
      }
    }
  });
  console.log(`walkthrough: ${((Date.now() - started) / 1000).toFixed(1)} s from the welcome card to the report`);
}, { timeoutMs: 140_000 });
