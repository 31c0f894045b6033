import type { Page } from 'playwright-core';
import { hoverText } from './editor';
import { readNotifications } from './workbench';

/**
 * A Model Lens hover over `text`. Hovers again while there is none yet (the extension activates
 * after start-up) or while it says "analysing…" (the first hover in a document waits for the
 * model to load and the window to be analysed).
 */
export async function modelHover(page: Page, text: string, timeout = 100_000): Promise<string> {
  const deadline = Date.now() + timeout;
  let last = '';
  while (Date.now() < deadline) {
    const shown = await hoverText(page, text, { contains: /Model Lens/, timeout: 15_000 }).catch((e: unknown) => {
      last = String(e);
      return undefined;
    });
    if (shown !== undefined && !shown.includes('analysing')) return shown;
    if (shown !== undefined) last = shown;
    await page.waitForTimeout(1000);
  }
  // Less than a test's 120 s, so that the failure says what the window showed instead of "timed out".
  const status = await page.locator('.statusbar').innerText().catch(() => '(none)');
  const notifications = await readNotifications(page).catch(() => []);
  throw new Error(`no Model Lens answer in the hover over "${text}"; last: ${last}; status bar: ${JSON.stringify(status)}; notifications: ${JSON.stringify(notifications)}`);
}
