// axe-core (WCAG 2.2 A and AA rules) on the page as it is now, at each width: prints each
// violation and returns how many there were. Same shape as the web pages' runner.
import { AxeBuilder } from '@axe-core/playwright';

export const WIDTHS = [1280, 320];
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

export async function axeViolations(page, label) {
  let count = 0;
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    const { violations } = await new AxeBuilder({ page }).withTags(TAGS).analyze();
    for (const v of violations) {
      console.log(`  axe ${label} @${width}px: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    }
    count += violations.length;
  }
  return count;
}
