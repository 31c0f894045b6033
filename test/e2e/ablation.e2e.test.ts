// Switching heads off in Explain Attention as a user does it: explain lines of the sample file on
// the default model, alt-click a head (and switch a second one off from the keyboard), see the
// token strip show each token's change in log-probability, switch to mean ablation, then Reset.
import type { Frame } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { explainLines, paintedPixels, SAMPLE_WORKSPACE, screenshot, startVSCode, type VSCode, VSIX_PATH } from './harness';

let code: VSCode;
let panel: Frame;

beforeAll(async () => {
  code = await startVSCode({ workspace: SAMPLE_WORKSPACE, vsixPath: VSIX_PATH });
});

afterAll(async () => {
  await code?.stop();
});

/** The chips that show a change, with the change in bits each holds. */
function changes(): Promise<number[]> {
  return panel.locator('.ml-chip.changed').evaluateAll((nodes) => nodes.map((n) => Number((n as unknown as { dataset: Record<string, string> }).dataset.change)));
}

test('a head switched off changes the probabilities on the token strip, and Reset brings them back', async () => {
  const { page } = code;
  panel = await explainLines(page, 'sample.ts', 17, 27, '.ml-grid', 90_000);
  // The grid is there from the start; the chips come with the analysis.
  await panel.locator('.ml-chip').first().waitFor({ timeout: 90_000 });
  await expect.poll(() => paintedPixels(panel, '.ml-grid canvas'), { timeout: 30_000 }).toBeGreaterThan(1000);
  await expect(panel.locator('.ml-ablation-text').innerText()).resolves.toContain('alt-click a head');
  expect(await panel.locator('.ml-chip.changed').count()).toBe(0);

  // Alt-click switches layer 0, head 1 off without opening it.
  await panel.locator('.ml-thumb[data-layer="0"][data-head="1"]').click({ modifiers: ['Alt'] });
  await expect.poll(() => panel.locator('.ml-thumb.ablated').count()).toBe(1);
  await expect.poll(async () => (await changes()).length, { timeout: 60_000 }).toBeGreaterThan(20);
  const one = await changes();
  // The run without the head is not the plain run: some tokens moved by a measurable amount.
  expect(one.some((d) => Math.abs(d) > 0.05)).toBe(true);
  await expect(panel.locator('.ml-ablation-text').innerText()).resolves.toMatch(/1 head ablated \(zero\): L0 H1/);
  expect(await panel.locator('.ml-thumb[data-layer="0"][data-head="1"] .ml-ablate').getAttribute('aria-pressed')).toBe('true');

  // A second head from the keyboard: focus the grid's cell and press A.
  const cell = panel.locator('.ml-thumb[data-layer="1"][data-head="3"]');
  await cell.focus();
  await cell.press('a');
  await expect.poll(() => panel.locator('.ml-ablation-text').innerText(), { timeout: 60_000 }).toMatch(/^2 heads ablated \(zero\): L0 H1, L1 H3\.$/);
  await expect.poll(async () => (await changes()).join(), { timeout: 60_000 }).not.toBe(one.join());
  const title = await panel.locator('.ml-chip.changed').nth(5).getAttribute('title');
  expect(title).toMatch(/with the heads off: P = .*bits/);
  await expect.poll(() => panel.locator('.ml-ablation .ml-legend').isVisible()).toBe(true);
  // The bar and the strip in view, without a head's tooltip over them.
  await page.mouse.move(400, 400);
  await panel.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
  await screenshot(page, 'ablation');

  // Mean ablation replaces the heads' output by its average instead: the text runs again, other numbers.
  const zero = (await changes()).join();
  await panel.locator('.ml-select-ablation').click();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await expect.poll(() => panel.locator('.ml-ablation-text').innerText(), { timeout: 60_000 }).toMatch(/^2 heads ablated \(mean\): L0 H1, L1 H3\.$/);
  await expect.poll(async () => (await changes()).join(), { timeout: 60_000 }).not.toBe(zero);

  // One click on Reset: every head back on, the strip as it was.
  await panel.locator('.ml-ablation-reset').click();
  await expect.poll(() => panel.locator('.ml-chip.changed').count()).toBe(0);
  expect(await panel.locator('.ml-thumb.ablated').count()).toBe(0);
  await expect(panel.locator('.ml-ablation-text').innerText()).resolves.toContain('alt-click a head');
});
