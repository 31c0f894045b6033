// Token probabilities where the user reads: a hover over a token, the GLTR heatmap over a
// selection, and the perplexity in the status bar.
import { expect, test } from 'vitest';
import { heatmapDecorations, modelHover, openFile, runCommand, screenshot, selectLines, useVSCode } from './harness';

const code = useVSCode();

test('a hover shows what the model thought of the token', async () => {
  const { page } = code;
  await openFile(page, 'sample.ts');
  const hover = await modelHover(page, 'perCustomer');
  expect(hover).toMatch(/P\(token \| text before\)\s*[\d.e-]+%/);
  expect(hover).toMatch(/rank\s*\d+/);
  expect(hover).toMatch(/surprisal\s*[\d.]+ bits/);
  expect(hover).toContain('Top predictions for this position');
  expect(hover).toContain('Explain attention on this line');
  // The hover fades in: let it finish before the screenshot.
  await page.waitForTimeout(500);
  await screenshot(page, 'hover-token-probability');
});

test('the heatmap colours a selection by rank and the status bar shows its perplexity', async () => {
  const { page } = code;
  await page.mouse.move(0, 0);
  await selectLines(page, 17, 27);
  await runCommand(page, 'Model Lens: Show Token Probability Heatmap');
  const heat = () => heatmapDecorations(page);
  await expect.poll(async () => (await heat()).length, { timeout: 60_000 }).toBeGreaterThan(30);
  expect(new Set((await heat()).map((d) => d.backgroundColor)).size).toBeGreaterThan(1);
  await expect.poll(() => page.locator('.statusbar').innerText(), { timeout: 30_000 }).toMatch(/ppl [\d.]+/);
  // Click into the editor so the selection does not hide the colours in the screenshot.
  await page
    .locator('.monaco-editor .view-lines')
    .first()
    .click({ position: { x: 5, y: 5 } });
  await screenshot(page, 'heatmap-gltr');
  await runCommand(page, 'Model Lens: Clear Token Probability Heatmap');
  await expect.poll(async () => (await heat()).length, { timeout: 15_000 }).toBe(0);
});
