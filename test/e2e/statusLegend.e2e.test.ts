// What the hover and the one Model Lens status bar item show, read in the real VS Code: the hover's
// probability bars as text (█ and ░, all the same width, the percentage before them), and, while
// the heatmap is shown, the status item's tooltip as the heatmap's legend in its theme colours.
import type { Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { BAR_WIDTH } from '../../src/host/hover/hoverMarkdown';
import { heatmapDecorations, isHeatmapColour, modelHover, openFile, runCommand, screenshot, selectLines, useVSCode } from './harness';
import type { DomElement } from './harness/dom';

const code = useVSCode();

const STATUS_ITEM = '.statusbar [aria-label^="Model Lens: "]';
/** The tooltip the status bar shows (VS Code's hover widget). */
const TOOLTIP = '.workbench-hover:visible, .monaco-hover:not(.hidden):visible';

test('the hover draws its bars as text, each beside its percentage', async () => {
  const { page } = code;
  await openFile(page, 'sample.ts');
  const hover = await modelHover(page, 'perCustomer');
  const bars = hover.match(/[█░]+/g) ?? [];
  expect(bars.length).toBeGreaterThanOrEqual(3);
  for (const bar of bars) expect([...bar]).toHaveLength(BAR_WIDTH);
  // Each row of the table: the token, then its probability, then the bar.
  const rows = hover.split('\n').filter((line) => /[█░]/.test(line));
  for (const row of rows) expect(row).toMatch(new RegExp(`\\S.*\\s[\\d.e-]+%\\s+[█░]{${BAR_WIDTH}}\\s*$`));
  // The hover is taller than VS Code lets it be: scroll it to the alternatives for the picture.
  const shown = page.locator('.monaco-hover:not(.hidden) .monaco-hover-content').first();
  await shown.hover();
  await page.mouse.wheel(0, 150);
  await page.waitForTimeout(500); // the scroll and the hover's fade-in settle
  await screenshot(page, 'hover-text-bars');
});

async function statusTooltip(page: Page): Promise<string> {
  await page.mouse.move(0, 0);
  await page.locator(STATUS_ITEM).first().hover();
  const tooltip = page.locator(TOOLTIP).filter({ hasText: 'Token probability heatmap' }).first();
  await tooltip.waitFor({ timeout: 15_000 });
  return tooltip.innerText();
}

test("with the heatmap shown, the one status item's tooltip is its legend, in the theme's heatmap colours", async () => {
  const { page } = code;
  await page.mouse.move(0, 0);
  await selectLines(page, 17, 27);
  await runCommand(page, 'Model Lens: Show Token Probability Heatmap');
  const heat = () => heatmapDecorations(page);
  await expect.poll(async () => (await heat()).length, { timeout: 60_000 }).toBeGreaterThan(30);
  await expect.poll(() => page.locator(STATUS_ITEM).first().innerText(), { timeout: 15_000 }).toContain('heatmap');
  // No item per colour any more.
  expect(await page.locator('.statusbar').innerText()).not.toMatch(/top 10|top 1000|beyond/);
  // Click into the editor so the selection does not hide the colours in the screenshot.
  await page
    .locator('.monaco-editor .view-lines')
    .first()
    .click({ position: { x: 5, y: 5 } });

  const text = await statusTooltip(page);
  for (const label of ['top 10', 'top 100', 'top 1000', 'beyond']) expect(text).toContain(label);
  expect(text).toContain('modelLens.heatmap.top10Background');
  // Each band is drawn in the colour the heatmap uses: VS Code kept the style and resolved the variable.
  const bands = page.locator(TOOLTIP).locator('span[style*="--vscode-modelLens-heatmap-"]');
  await expect.poll(() => bands.count()).toBe(4);
  const painted = await bands.evaluateAll((spans: DomElement[]) =>
    spans.map((s) => s.ownerDocument.defaultView!.getComputedStyle(s).backgroundColor.replace(/\s+/g, '')),
  );
  for (const colour of painted) expect(isHeatmapColour(colour), `${colour} is a heatmap colour`).toBe(true);
  await screenshot(page, 'status-heatmap-legend');

  // Its link clears the heatmap; the item and its tooltip go back to the model alone.
  await page.locator(TOOLTIP).getByText('Clear the heatmap').click();
  await expect.poll(async () => (await heat()).length, { timeout: 15_000 }).toBe(0);
  await expect.poll(() => page.locator(STATUS_ITEM).first().innerText()).not.toContain('heatmap');
});
