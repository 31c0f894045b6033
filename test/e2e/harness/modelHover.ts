import type { Page } from 'playwright-core';
import { hoverText } from './editor';
import { readNotifications } from './workbench';

/**
 * A Model Lens hover over `text`. Hovers again while there is none yet (the extension activates
 * after start-up) or while it says "analysing…" (the first hover in a document waits for the
 * model to load and the window to be analysed). Gives up well inside a test's 120 s, so that a
 * failure says what each attempt saw and what the window showed, instead of "timed out".
 */
export async function modelHover(page: Page, text: string, timeout = 80_000): Promise<string> {
  const started = Date.now();
  const deadline = started + timeout;
  const attempts: string[] = [];
  while (Date.now() < deadline) {
    // hoverText's timeout covers the old hover leaving and the new one coming.
    const wait = Math.max(1000, Math.min(15_000, (deadline - Date.now()) / 2));
    const shown = await hoverText(page, text, { contains: /Model Lens/, timeout: wait }).catch((e: unknown) => {
      attempts.push(`${((Date.now() - started) / 1000).toFixed(0)} s: ${String(e).slice(0, 500)}`);
      return undefined;
    });
    if (shown !== undefined && !shown.includes('analysing')) return shown;
    if (shown !== undefined) attempts.push(`${((Date.now() - started) / 1000).toFixed(0)} s: ${shown.slice(0, 120)}`);
    await page.waitForTimeout(1000);
  }
  const status = await page
    .locator('.statusbar')
    .innerText()
    .catch(() => '(none)');
  const notifications = await readNotifications(page).catch(() => []);
  throw new Error(
    `no Model Lens answer in the hover over "${text}" within ${timeout} ms.\nAttempts:\n  ${attempts.join('\n  ')}\nStatus bar: ${JSON.stringify(status)}\nNotifications: ${JSON.stringify(notifications)}`,
  );
}
