// The quick picks of Select Model… and Download Model…, and the model the status bar says is in use.
import type { Page } from 'playwright-core';

const ROW = '.quick-input-widget .monaco-list-row[role="option"]';

/** The rows of the open quick pick, as text. */
export const quickPickRows = (page: Page): Promise<string[]> => page.locator(ROW).allInnerTexts();

/** Clicks the open quick pick's row whose text contains `text`. */
export async function chooseQuickPickRow(page: Page, text: string): Promise<void> {
  const row = page.locator(ROW).filter({ hasText: text }).first();
  await row.click();
  await row.waitFor({ state: 'hidden' });
}

/** The model the status bar item says is in use once loaded ('' while one loads, or before any). */
export async function modelInUse(page: Page): Promise<string> {
  const labels = await page.locator('.statusbar [aria-label^="Model Lens: "]').evaluateAll((items) => items.map((i) => i.getAttribute('aria-label') ?? ''));
  const label = labels.find((l) => !l.startsWith('Model Lens: loading')) ?? '';
  return /^Model Lens: ([^,.]+)/.exec(label)?.[1] ?? '';
}
