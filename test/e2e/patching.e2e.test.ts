// Compare With Another Text (Activation Patching) as a user runs it: select a statement of the
// sample file, run the command, edit the prefilled text into the corrupted one, and read both
// grids; then a corrupted text of another length, which is refused with the token counts.
import type { Frame } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { findWebviewFrame, openFile, paintedPixels, runCommand, SAMPLE_WORKSPACE, screenshot, selectRange, startVSCode, type VSCode, VSIX_PATH } from './harness';

let code: VSCode;

beforeAll(async () => {
  code = await startVSCode({ workspace: SAMPLE_WORKSPACE, vsixPath: VSIX_PATH });
});

afterAll(async () => {
  await code?.stop();
});

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
  const panel: Frame = await findWebviewFrame(page, '.ml-patching-header h1', 200_000);
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

test('texts of different token lengths are refused with both counts', async () => {
  const { page } = code;
  await compare('    count += order.amount + 1;');
  const panel = await findWebviewFrame(page, '.ml-status.error', 120_000);
  await expect(panel.locator('.ml-status.error').innerText()).resolves.toMatch(/as many tokens: the clean one has \d+, the corrupted one \d+/);
});
