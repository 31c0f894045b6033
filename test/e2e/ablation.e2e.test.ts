// Switching heads off in Explain Attention as a user does it: explain lines of the sample file on
// the default model, alt-click a head (and switch a second one off from the keyboard), see the
// token strip show each token's change in log-probability, switch to mean ablation, then Reset.
// Then the same change in the editor: the hover over an explained token and the colours of the
// explained text, gone after Reset, an edit of the document, or closing the panel.
import type { Frame } from 'playwright-core';
import { expect, test } from 'vitest';
import { BUCKET_COLOURS } from '../../src/host/decorations/heatmapColours';
import { SOURCE_LEVELS, sourceLevelColour } from '../../src/host/decorations/sourceColours';
import { editorDecorations, explainLines, goToPosition, modelHover, paintedPixels, runCommand, screenshot, useVSCode } from './harness';

const code = useVSCode();
let panel: Frame;

/** The chips that show a change, with the change in bits each holds. */
function changes(): Promise<number[]> {
  return panel
    .locator('.ml-chip.changed')
    .evaluateAll((nodes) => nodes.map((n) => Number((n as unknown as { dataset: Record<string, string> }).dataset.change)));
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

/** Background colours, without spaces, of each level of the diverging scale in both themes. */
function colourSet(colours: { light: string; dark: string }[]): Set<string> {
  return new Set(colours.flatMap((c) => [c.light, c.dark]).map((rgba) => rgba.replace(/\s+/g, '')));
}
const CHANGE_COLOURS = colourSet(
  Array.from({ length: 2 * SOURCE_LEVELS + 1 }, (_, i) => i - SOURCE_LEVELS)
    .filter(Boolean)
    .map(sourceLevelColour),
);
const HEAT_COLOURS = colourSet(Object.values(BUCKET_COLOURS));

/** Decorations with one of `colours` in the editor beside the panel, as the lines they are on. */
async function decoratedLines(colours: Set<string>): Promise<number[]> {
  const all = await editorDecorations(code.page, { anyGroup: true });
  return all.filter((d) => colours.has(d.backgroundColor.replace(/\s+/g, ''))).map((d) => d.line);
}

/** Switches layer 0, head 1 off with an alt-click and waits for the panel to show the run. */
async function switchOneHeadOff(): Promise<void> {
  await panel.locator('.ml-thumb[data-layer="0"][data-head="1"]').click({ modifiers: ['Alt'] });
  await expect.poll(() => panel.locator('.ml-ablation-text').innerText(), { timeout: 60_000 }).toMatch(/^1 head ablated \(zero\): L0 H1\.$/);
  await expect.poll(async () => (await changes()).length, { timeout: 60_000 }).toBeGreaterThan(20);
}

/** The hover over `text` in the editor (lines 17–27 are explained; "perCustomer" is on line 18). */
async function hoverOver(text: string): Promise<string> {
  await runCommand(code.page, 'View: Focus First Editor Group');
  return modelHover(code.page, text, 60_000);
}

const SWITCHED_OFF = /With L0 H1, L1 H3 switched off \(zero\): P [\d.]+% → [\d.e-]+% · Δ log₂ P [+−±]\d+\.\d\d bits/;

test('while heads are off, the hover and the editor show each token’s change; Reset removes both', async () => {
  const { page } = code;
  // Back to zero ablation (the test above left mean), with no head off yet.
  await panel.locator('.ml-select-ablation').click();
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Enter');
  // The heatmap over the visible lines: the cursor in the editor, without the explained selection.
  await runCommand(page, 'View: Focus First Editor Group');
  await goToPosition(page, 18, 1);
  await runCommand(page, 'Model Lens: Show Token Probability Heatmap');
  await expect.poll(async () => (await decoratedLines(HEAT_COLOURS)).filter((l) => l >= 18 && l <= 26).length, { timeout: 60_000 }).toBeGreaterThan(10);

  await switchOneHeadOff();
  const cell = panel.locator('.ml-thumb[data-layer="1"][data-head="3"]');
  await cell.focus();
  await cell.press('a');
  await expect.poll(() => panel.locator('.ml-ablation-text').innerText(), { timeout: 60_000 }).toMatch(/^2 heads ablated \(zero\): L0 H1, L1 H3\.$/);

  // The explained text takes the change's colours, on both sides of 0, and the heatmap leaves it to them.
  await expect.poll(async () => (await decoratedLines(CHANGE_COLOURS)).length, { timeout: 30_000 }).toBeGreaterThan(10);
  const colours = new Set(
    (await editorDecorations(page, { anyGroup: true })).map((d) => d.backgroundColor.replace(/\s+/g, '')).filter((c) => CHANGE_COLOURS.has(c)),
  );
  expect(colours.size).toBeGreaterThan(1);
  await expect.poll(async () => (await decoratedLines(HEAT_COLOURS)).filter((l) => l >= 18 && l <= 26).length, { timeout: 15_000 }).toBe(0);
  expect((await decoratedLines(HEAT_COLOURS)).filter((l) => l < 17 || l > 27).length).toBeGreaterThan(0);
  await expect.poll(() => page.locator('.statusbar').innerText()).toContain('2 heads off: blue less likely · red more likely');

  // The hover over an explained token says what switching the heads off did to it; outside, nothing.
  const inside = await hoverOver('perCustomer');
  expect(inside).toMatch(SWITCHED_OFF);
  expect(inside).toContain('P(token | text before)');
  await page.waitForTimeout(500); // the hover fades in
  await screenshot(page, 'ablation-hover');
  expect(await hoverOver('bestCustomer: string')).not.toContain('switched off');

  // One click on Reset: no line in the hover, no change colours, the heatmap back over the text.
  await panel.locator('.ml-ablation-reset').click();
  await expect.poll(async () => (await decoratedLines(CHANGE_COLOURS)).length, { timeout: 15_000 }).toBe(0);
  await expect.poll(async () => (await decoratedLines(HEAT_COLOURS)).filter((l) => l >= 18 && l <= 26).length, { timeout: 30_000 }).toBeGreaterThan(10);
  expect(await page.locator('.statusbar').innerText()).not.toContain('heads off');
  const after = await hoverOver('perCustomer');
  expect(after).toContain('P(token | text before)');
  expect(after).not.toContain('switched off');
  await runCommand(page, 'Model Lens: Clear Token Probability Heatmap');
});

test('an edit of the document or closing the panel removes the change from the editor', async () => {
  const { page } = code;
  await switchOneHeadOff();
  await expect.poll(async () => (await decoratedLines(CHANGE_COLOURS)).length, { timeout: 30_000 }).toBeGreaterThan(10);
  // Room for the editor beside the panel, without the heatmap: the picture the README shows.
  await runCommand(page, 'View: Close Primary Side Bar');
  expect(await hoverOver('perCustomer')).toMatch(/With L0 H1 switched off \(zero\)/);
  await page.waitForTimeout(500); // the hover fades in
  await screenshot(page, 'ablation-hover-editor');

  // Typing at the cursor (inside the explained lines, after the hover's focus command) moves the text the offsets name.
  await page.keyboard.press('End');
  await page.keyboard.type(' ');
  await expect.poll(async () => (await decoratedLines(CHANGE_COLOURS)).length, { timeout: 15_000 }).toBe(0);
  expect(await hoverOver('perCustomer')).not.toContain('switched off');
  // Undone, the text is as explained again: the next run shows in the editor again.
  await runCommand(page, 'View: Focus First Editor Group');
  await page.keyboard.press('Control+Z');
  await panel.locator('.ml-ablation-reset').click();
  await switchOneHeadOff();
  await expect.poll(async () => (await decoratedLines(CHANGE_COLOURS)).length, { timeout: 30_000 }).toBeGreaterThan(10);

  await page.locator('.tab').filter({ hasText: 'Attention' }).locator('.codicon-close').click();
  await expect.poll(async () => (await decoratedLines(CHANGE_COLOURS)).length, { timeout: 15_000 }).toBe(0);
  expect(await page.locator('.statusbar').innerText()).not.toContain('heads off');
});
