// Compare With Another Text (Activation Patching) as a user runs it: select a statement of the
// sample file, run the command, edit the prefilled text into the corrupted one, and read both
// grids; reload the window and find the panel running the same comparison again; then a corrupted
// text of another length, which is refused with the token counts; last, the clean text edited away
// and the window reloaded: the panel says why it cannot compare again.
import type { Frame } from 'playwright-core';
import { expect, test } from 'vitest';
import { findWebviewFrame, openFile, paintedPixels, runCommand, screenshot, selectRange, useVSCode } from './harness';
import { reloadWindow } from './harness/reload';

const code = useVSCode();
/** The panel of the first comparison. */
let panel: Frame;

/** Runs the command on line 24 (with its indent, so that one word is one token) and answers the input box with `corrupted`. */
async function compare(corrupted: string): Promise<void> {
  const { page } = code;
  // After the first comparison the panel's group has focus: the file is in the first one.
  await runCommand(page, 'View: Focus First Editor Group');
  await openFile(page, 'sample.ts');
  await selectRange(page, 24, 1, 24, 27);
  await runCommand(page, 'Model Lens: Compare With Another Text (Activation Patching)…');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  // The box starts with the selection, to be edited into the corrupted text.
  expect(await input.inputValue()).toBe('    total += order.amount;');
  await input.fill(corrupted);
  await page.keyboard.press('Enter');
}

test('patches the clean run into the corrupted one and shows both grids', async () => {
  const { page } = code;
  await compare('    count += order.amount;');
  panel = await findWebviewFrame(page, '.ml-patching-header h1', 200_000);
  await expect(panel.locator('.ml-patching-text').allInnerTexts()).resolves.toEqual(['    total += order.amount;', '    count += order.amount;']);
  await expect(panel.locator('.ml-patching-metric').innerText()).resolves.toMatch(/logit\(".+"\) − logit\(".+"\) after the last token/);
  await expect.poll(() => paintedPixels(panel, '.ml-patching-section canvas'), { timeout: 30_000 }).toBeGreaterThan(5000);
  const labels = await panel.locator('.ml-patching-section canvas').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('aria-label')));
  expect(labels).toEqual([expect.stringContaining('Residual stream'), expect.stringContaining('Each head')]);
  // Values on hover: the residual stream at the changed token, in the first layer, restores the clean run (1).
  const canvas = panel.locator('.ml-patching-section canvas').first();
  await canvas.focus();
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => panel.locator('.ml-tooltip').innerText(), { timeout: 10_000 }).toMatch(/Patched/);
  await expect(panel.locator('.ml-legend-caption').first().innerText()).resolves.toContain('clean run');
  // The keyboard cursor's tooltip would cover the grid: leave the canvas.
  await canvas.blur();
  await page.mouse.move(0, 0);
  await screenshot(page, 'patching');
}, 300_000);

test('after a window reload the panel runs the same comparison again', async () => {
  const { page } = code;
  const texts = await panel.locator('.ml-patching-text').allInnerTexts();
  const metric = await panel.locator('.ml-patching-metric').innerText();
  const diffs = await panel.locator('.ml-patching-diff').allInnerTexts();
  // The model loads again and the whole sweep runs again.
  panel = await reloadWindow(page, panel, '.ml-patching-header h1', 200_000);
  // The same texts, the same target and foil, the same logit differences: the same comparison.
  expect(await panel.locator('.ml-patching-text').allInnerTexts()).toEqual(texts);
  expect(await panel.locator('.ml-patching-metric').innerText()).toBe(metric);
  expect(await panel.locator('.ml-patching-diff').allInnerTexts()).toEqual(diffs);
  await expect.poll(() => paintedPixels(panel, '.ml-patching-section canvas'), { timeout: 30_000 }).toBeGreaterThan(5000);
  await page.mouse.move(0, 0);
  await screenshot(page, 'patching-restored');
}, 300_000);

test('texts of different token lengths are refused with both counts', async () => {
  const { page } = code;
  await compare('    count += order.amount + 1;');
  const refused = await findWebviewFrame(page, '.ml-status.error', 120_000);
  await expect(refused.locator('.ml-status.error').innerText()).resolves.toMatch(/as many tokens: the clean one has \d+, the corrupted one \d+/);
});

test('after its text changed in the file, a reloaded panel says so instead of comparing', async () => {
  const { page } = code;
  // Close the refused comparison's panel: the first one shows again.
  await page.locator('.tab').filter({ hasText: 'Activation patching' }).locator('.codicon-close').click();
  panel = await findWebviewFrame(page, '.ml-patching-header h1', 60_000);
  // The clean text of line 24 is no longer there: "total" becomes "grand", saved.
  await runCommand(page, 'View: Focus First Editor Group');
  await selectRange(page, 24, 5, 24, 10);
  await page.keyboard.type('grand');
  await runCommand(page, 'File: Save');
  const restored = await reloadWindow(page, panel, '.ml-status.error', 120_000);
  await expect(restored.locator('.ml-status.error').innerText()).resolves.toMatch(/sample\.ts changed since these texts were compared.*Select them again/s);
  await screenshot(page, 'patching-restored-document-changed');
}, 240_000);
