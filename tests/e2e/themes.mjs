// Teams' light and dark themes for cards in the Agents Playground.
//
// The Playground (0.2.28) has no theme switch: it draws every chat card with one host config
// built into its main.*.js, Teams' light one (`JSON.parse('{"choiceSetInputValueSeparator"...')`,
// checked equal to microsoft/AdaptiveCards samples/HostConfig/microsoft-teams-light.json). For
// the dark theme the page is served its own script with that host config's container colours
// replaced by Teams' dark ones from tests/data/teams_card_colours.json (the same values
// tests/shared/card_rules.py checks contrast against), and prefers-color-scheme set to dark.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const COLOURS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'data', 'teams_card_colours.json');
const HOST_CONFIG_START = "JSON.parse('{\"choiceSetInputValueSeparator\"";
export const THEMES = ['light', 'dark'];

/** Teams' card colours for `theme` (light, dark, high_contrast), by container style. */
export function themeColours(theme) {
  const themes = JSON.parse(fs.readFileSync(COLOURS, 'utf8')).themes;
  if (!themes[theme]) throw new Error(`no Teams theme "${theme}" in ${COLOURS}`);
  return themes[theme];
}

/** `script` with its built-in card host config given `theme`'s container colours. */
export function withHostConfigColours(script, theme) {
  const start = script.indexOf(HOST_CONFIG_START);
  if (start < 0) throw new Error("the Playground's card host config was not found in its script (a new Playground?)");
  const from = start + "JSON.parse('".length;
  const end = script.indexOf("')", from);
  const config = JSON.parse(script.slice(from, end).replace(/\\'/g, "'"));
  for (const [style, colours] of Object.entries(themeColours(theme))) {
    config.containerStyles[style] = { ...config.containerStyles[style], ...colours };
  }
  const literal = JSON.stringify(config).replace(/\\/g, '\\\\').replace(/'/g, "\\'");
  return script.slice(0, from) + literal + script.slice(end);
}

/** A runScenario `prepare` that shows cards in Teams' `theme`. */
export function useTeamsTheme(theme) {
  return async (context, page) => {
    await page.emulateMedia({ colorScheme: theme === 'dark' ? 'dark' : 'light' });
    if (theme === 'light') return; // the Playground's own
    await context.route(/\/static\/js\/main\.[0-9a-f]+\.js$/, async (route) => {
      const response = await route.fetch();
      const body = withHostConfigColours(await response.text(), theme);
      await route.fulfill({ response, body, headers: { ...response.headers(), 'content-length': String(Buffer.byteLength(body)) } });
    });
  };
}
