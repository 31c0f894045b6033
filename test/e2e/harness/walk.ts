import type { Frame, Page } from 'playwright-core';
import { expect } from 'vitest';

/** Picks block `layer` in the step-by-step panel's block picker with the keyboard, as a user would, and waits for its section. */
export async function showWalkBlock(page: Page, frame: Frame, layer: number, layers: number): Promise<void> {
  const picker = frame.locator('.ml-walk-layer');
  const current = Number(await picker.evaluate((e) => (e as unknown as { value: string }).value));
  if (current !== layer) {
    await picker.click();
    for (let i = 0; i < Math.abs(layer - current); i++) await page.keyboard.press(layer > current ? 'ArrowDown' : 'ArrowUp');
    await page.keyboard.press('Enter');
  }
  await expect.poll(() => frame.locator('.ml-walk-block h2').first().innerText(), { timeout: 15_000 }).toBe(`Block ${layer} of ${layers}`);
}
