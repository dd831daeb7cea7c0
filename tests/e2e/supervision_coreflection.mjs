// Scenario (issue 12): a lead sets up a supervisee, records a supervision, the supervisee
// confirms; a co-reflection is created and its invitation arrives.
//
// Two people, each in their own Playground against the same bot: Alex Wilber (the Playground's
// default user; administrator and facilitator in development mode) and Megan Bowen
// (PLAYGROUND_URL_MEGAN, started with dev/playground-second-person.yml). Megan says hi first so
// the bot knows her. The confirm card and the invitation reach Megan through the outbox, sent by
// the bot's dispatcher (the fixture runs it every second).
//
// Run by tests/e2e/test_e2e_supervision.py.

import {
  cardsWithText, clickCardButton, pickPerson, runScenario, sendMessage, waitForBotText,
} from './playground.mjs';

const SETUP = 'Set up who supports whom';
const RECORD = 'Record a supervision';
const ASKED = 'Did this supervision happen?';
const GROUP_FORM = 'New co-reflection group';
const GROUP = 'North ward co-reflection';
// Sent by the dispatcher, not in answer to a turn: allow for its poll and a busy machine.
const OUTBOX_TIMEOUT_MS = 30_000;

process.exitCode = await runScenario('supervision_coreflection', async ({ page: alex, pages, step }) => {
  const megan = pages.megan;

  await step('Megan says hi, so the bot knows her', async () => {
    await waitForBotText(megan, 'Welcome to PeerSpace');
    await sendMessage(megan, 'hi');
    await waitForBotText(megan, 'What would you like to do?');
  });

  await step('Alex sets himself up as Megan\'s peer supervisor', async () => {
    await waitForBotText(alex, 'Welcome to PeerSpace');
    await sendMessage(alex, 'people');
    await clickCardButton(alex, SETUP, { card: 'People' });
    await waitForBotText(alex, 'Search your organisation');
    await pickPerson(alex, SETUP, 'Worker', 'Megan Bowen');
    await pickPerson(alex, SETUP, 'Peer supervisor', 'Alex Wilber');
    await clickCardButton(alex, 'Save', { card: SETUP });
    await waitForBotText(alex, "Alex Wilber is now Megan Bowen's peer supervisor.");
  });

  await step('Megan is told who supports her', () => waitForBotText(
    megan, "Alex Wilber is now your peer supervisor.", { timeoutMs: OUTBOX_TIMEOUT_MS }));

  await step('Alex records a peer supervision with Megan', async () => {
    await sendMessage(alex, 'record supervision');
    await waitForBotText(alex, RECORD);
    const form = cardsWithText(alex, RECORD).last();
    // The Playground renders a compact ChoiceSet as a combobox; Megan and peer supervision are
    // the only choices Alex has, so the form comes with them chosen.
    for (const [label, value] of [['Who it was for', 'Megan Bowen'], ['Type of supervision', 'Peer supervision (1:1)']]) {
      const shown = await form.getByLabel(label).first().inputValue();
      if (shown !== value) throw new Error(`"${label}" shows "${shown}", not "${value}"`);
    }
    await form.getByLabel('Length in minutes', { exact: false }).first().fill('60');
    await clickCardButton(alex, 'Save', { card: RECORD });
    await waitForBotText(alex, "I've asked Megan Bowen to confirm it");
  });

  await step('Megan confirms it in her own chat', async () => {
    await waitForBotText(megan, ASKED, { timeoutMs: OUTBOX_TIMEOUT_MS });
    await clickCardButton(megan, 'Yes, this happened', { card: ASKED });
    await waitForBotText(megan, 'is confirmed and now counts');
  });

  await step('both see it confirmed: Megan in her supervision, Alex in his team\'s', async () => {
    await sendMessage(megan, 'my supervision');
    await waitForBotText(megan, "Supervision you've had");
    await cardsWithText(megan, "Supervision you've had").last().getByText('Confirmed', { exact: true }).first()
      .waitFor({ state: 'visible' });
    await sendMessage(alex, 'menu');
    await clickCardButton(alex, "See my team's supervision", { card: 'What would you like to do?' });
    await waitForBotText(alex, 'Supervision of the people you support');
    const team = cardsWithText(alex, 'Supervision of the people you support').last();
    await team.getByText('Megan Bowen').first().waitFor({ state: 'visible' });
    await team.getByText('Confirmed', { exact: true }).first().waitFor({ state: 'visible' });
  });

  await step('Alex creates a co-reflection group with Megan', async () => {
    await sendMessage(alex, 'co-reflections');
    await clickCardButton(alex, GROUP_FORM, { card: 'Co-reflections' });
    await waitForBotText(alex, 'Pick the members');
    const form = cardsWithText(alex, 'Pick the members').last();
    await form.getByLabel('Name').first().fill(GROUP);
    await pickPerson(alex, 'Pick the members', 'Members', 'Megan Bowen');
    await form.getByLabel('Joining link').first().fill('https://teams.microsoft.com/l/meetup-join/e2e');
    await clickCardButton(alex, 'Create the group and invite the members', { card: 'Pick the members' });
    await waitForBotText(alex, 'The group is set up. 1 invited now');
  });

  await step('Megan\'s invitation arrives, with the meetings to answer', async () => {
    await waitForBotText(megan, `You're invited: ${GROUP}`, { timeoutMs: OUTBOX_TIMEOUT_MS });
    const invitation = cardsWithText(megan, `You're invited: ${GROUP}`).last();
    // Each button names its meeting ("Going: Tuesday 5 January 2027, 10:00 to 11:00").
    await invitation.getByRole('button', { name: /^Going: / }).first().waitFor({ state: 'visible' });
  });
}, { timeoutMs: 120_000, people: { megan: process.env.PLAYGROUND_URL_MEGAN } });
