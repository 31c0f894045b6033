import type { Page } from 'playwright-core';
import { hoverText } from './editor';

/**
 * A Model Lens hover over `text`, hovering again while it says "analysing…" (the first hover
 * in a document waits for the model to load and the window to be analysed).
 */
export async function modelHover(page: Page, text: string, timeout = 120_000): Promise<string> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const shown = await hoverText(page, text, { contains: /Model Lens/, timeout: Math.max(1000, deadline - Date.now()) });
    if (!shown.includes('analysing')) return shown;
    if (Date.now() > deadline) throw new Error(`the hover over "${text}" still says: ${shown}`);
    await page.waitForTimeout(1000);
  }
}
