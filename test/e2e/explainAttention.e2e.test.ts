// Explain Attention as a user runs it: select lines, run the command from the palette, read the
// panel, click a token and see the editor light up, open a head and its math.
import type { Frame } from 'playwright-core';
import { expect, test } from 'vitest';
import { editorDecorations, explainLines, paintedPixels, screenshot, useVSCode } from './harness';

const code = useVSCode();
let explained: Frame | undefined;

/** The panel of lines 17–21, explained by the first test that needs it: each test also runs alone. */
async function explainedPanel(): Promise<Frame> {
  explained ??= await explainLines(code.page, 'sample.ts', 17, 21, '.ml-grid', 90_000);
  return explained;
}

test('explains the selected lines in a panel of every layer and head', async () => {
  const { page } = code;
  explained = undefined;
  const panel = await explainedPanel();
  await panel.locator('.ml-chip').first().waitFor({ timeout: 90_000 });
  // The token strip holds the selected text, token by token.
  const chips = await panel.locator('.ml-chip').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('aria-label') ?? ''));
  expect(chips.length).toBeGreaterThan(20);
  const strip = await panel
    .locator('.ml-strip')
    .getAttribute('aria-label')
    .catch(() => '');
  expect(strip ?? '').not.toContain('<img');
  const firstChip = await panel.locator('.ml-chip').first().getAttribute('title');
  expect(firstChip).toContain('export');
  // Heatmaps are drawn: the grid's canvases have painted pixels.
  await expect.poll(() => paintedPixels(panel, '.ml-grid canvas'), { timeout: 20_000 }).toBeGreaterThan(1000);
  await screenshot(page, 'explain-attention-model-view');
});

test('clicking a token lights up what it attends to in the editor', async () => {
  const { page } = code;
  const panel = await explainedPanel();
  await panel.locator('.ml-chip').nth(12).waitFor({ timeout: 90_000 });
  const highlights = async () => (await editorDecorations(page, { anyGroup: true })).filter((d) => d.className.includes('ced-')).length;
  const before = await highlights();
  await panel.locator('.ml-chip').nth(12).click();
  await expect.poll(highlights, { timeout: 15_000 }).toBeGreaterThan(before);
  await screenshot(page, 'explain-attention-editor-highlights');
  // Escape in the panel clears them.
  await panel.locator('.ml-chip').nth(12).focus();
  await page.keyboard.press('Escape');
  await expect.poll(highlights, { timeout: 15_000 }).toBe(before);
});

test('a head opens large, and its math matches the model', async () => {
  const { page } = code;
  const panel = await explainedPanel();
  await panel.locator('vscode-tab-header[data-tab="math"]').click();
  await panel
    .getByText(/Matches the model's pattern/)
    .first()
    .waitFor({ timeout: 30_000 });
  await screenshot(page, 'explain-attention-math');
  await panel.locator('vscode-tab-header[data-tab="head"]').click();
  await expect.poll(() => paintedPixels(panel, '.ml-head-view canvas'), { timeout: 20_000 }).toBeGreaterThan(1000);
  await screenshot(page, 'explain-attention-head-view');
});
