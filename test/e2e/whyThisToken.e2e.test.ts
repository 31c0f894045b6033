// Why This Token? as a user runs it: put the cursor on a token, run the command from the palette,
// read the parts and check they add up to the measured difference, see the earlier text coloured
// in the editor, clear it with Escape, and pick another foil.
import type { Frame } from 'playwright-core';
import { expect, test } from 'vitest';
import { editorDecorations, findWebviewFrame, goToPosition, modelHover, openFile, runCommand, screenshot, useVSCode } from './harness';
import { reloadWindow } from './harness/reload';

const code = useVSCode();
let panel: Frame;
/** The last measured difference the panel showed, as displayed. */
let lastMeasured = '';

/** Extension decorations in the editor beside the panel. */
async function colouredTokens(): Promise<number> {
  return (await editorDecorations(code.page, { anyGroup: true })).filter((d) => d.className.includes('ced-')).length;
}

/** A number as the panel writes it (a real minus sign, a plus sign on positive differences). */
function readNumber(text: string): number {
  return Number(text.replace('−', '-').replace('+', ''));
}

test('explains the token at the cursor: parts that add up to the measured difference', async () => {
  const { page } = code;
  await openFile(page, 'sample.ts');
  // "ustom" of the second "perCustomer" on line 26 ("per", "C", "ustom", "er" for the default
  // model): the text before it has "perCustomer" already, and the model copies it.
  await goToPosition(page, 26, 42);
  const before = await colouredTokens();
  await runCommand(page, 'Model Lens: Why This Token?');
  panel = await findWebviewFrame(page, '.ml-why-chart .ml-why-row', 120_000);

  await expect.poll(() => panel.locator('.ml-why-token').innerText()).toBe('ustom');
  const labels = await panel.locator('.ml-why-row .ml-why-label').allInnerTexts();
  expect(labels).toContain('embedding');
  expect(labels.filter((l) => /^L\dH\d$/.test(l)).length).toBeGreaterThanOrEqual(4);
  expect(labels.some((l) => /^L\d MLP$/.test(l))).toBe(true);
  // Largest first.
  const values = (await panel.locator('.ml-why-row .ml-why-value').allInnerTexts()).map(readNumber);
  expect(values.map(Math.abs)).toEqual([...values.map(Math.abs)].sort((a, b) => b - a));

  // "sum of parts = measured difference", both numbers as displayed.
  const sum = await panel.locator('.ml-why-sum-value').innerText();
  const measured = await panel.locator('.ml-why-measured-value').innerText();
  expect(sum).toBe(measured);
  expect(Number.isFinite(readNumber(measured))).toBe(true);
  await expect.poll(() => panel.locator('.ml-why-sum').innerText()).toContain('= measured difference');
  // The displayed parts add up to it too (to the rounding of each part).
  expect(Math.abs(values.reduce((a, b) => a + b, 0) - readNumber(measured))).toBeLessThan(0.0005 * values.length + 1e-9);

  // The text before the token is coloured in the editor.
  await expect.poll(colouredTokens, { timeout: 15_000 }).toBeGreaterThan(before + 2);
  // Room for the editor's lines beside the panel in the screenshot.
  await runCommand(page, 'View: Close Primary Side Bar');
  await expect.poll(colouredTokens, { timeout: 15_000 }).toBeGreaterThan(before + 2);
  await screenshot(page, 'why-this-token');
});

test('Escape in the panel or the editor clears the colouring, and the button brings it back', async () => {
  const { page } = code;
  const coloured = await colouredTokens();
  await panel.locator('.ml-why-title').click();
  await page.keyboard.press('Escape');
  await expect.poll(colouredTokens, { timeout: 15_000 }).toBeLessThan(coloured);
  await panel.locator('vscode-button', { hasText: 'Colour the editor' }).click();
  await expect.poll(colouredTokens, { timeout: 15_000 }).toBe(coloured);
  // Escape in the editor clears it too (the modelLens.sourceHighlights keybinding).
  await runCommand(page, 'View: Focus First Editor Group');
  await page.keyboard.press('Escape');
  await expect.poll(colouredTokens, { timeout: 15_000 }).toBeLessThan(coloured);
  await panel.locator('vscode-button', { hasText: 'Colour the editor' }).click();
  await expect.poll(colouredTokens, { timeout: 15_000 }).toBe(coloured);
});

test('another foil explains the same token again', async () => {
  const before = await panel.locator('.ml-why-measured').innerText();
  // Open the foil's dropdown and take the option after the current foil (never the target, which comes first).
  await panel.locator('vscode-single-select').nth(1).click();
  await code.page.keyboard.press('ArrowDown');
  await code.page.keyboard.press('Enter');
  await expect.poll(() => panel.locator('.ml-why-measured').innerText(), { timeout: 60_000 }).not.toBe(before);
  expect(await panel.locator('.ml-why-sum-value').innerText()).toBe(await panel.locator('.ml-why-measured-value').innerText());
  lastMeasured = await panel.locator('.ml-why-measured').innerText();
});

test('a head opens in Explain Attention, on that layer and head', async () => {
  const head = panel.locator('button.ml-why-head').first();
  const [, layer, index] = /^L(\d+)H(\d+)$/.exec(await head.innerText())!;
  await head.click();
  const attention = await findWebviewFrame(code.page, '.ml-head-view .ml-view-title', 90_000);
  await expect.poll(() => attention.locator('.ml-head-view .ml-view-title').innerText(), { timeout: 60_000 }).toBe(`Layer ${layer}, head ${index}`);
  // The explained token and the one whose stream predicted it are the explained queries.
  const chips = await attention.locator('.ml-chip').allInnerTexts();
  expect(chips.join('')).toContain('Custom');
});

test("the token hover's link explains the hovered token", async () => {
  const { page } = code;
  // Back to the editor (the panels beside it hold the focus).
  await runCommand(page, 'View: Focus First Editor Group');
  const hover = await modelHover(page, 'bestCustomer');
  expect(hover).toContain('Why this token?');
  // The hover's first line: "Model Lens · <token> · <model>".
  const hovered = hover.split('\n')[0].split(' · ')[1];
  await page.locator('.monaco-hover:not(.hidden) a', { hasText: 'Why this token?' }).first().click();
  // The panel was behind Explain Attention's tab: shown again, it is a new page.
  panel = await findWebviewFrame(page, '.ml-why-token', 60_000);
  await expect.poll(() => panel.locator('.ml-why-measured').innerText(), { timeout: 60_000 }).not.toBe(lastMeasured);
  expect(await panel.locator('.ml-why-token').innerText()).toBe(hovered);
  expect(await panel.locator('.ml-why-sum-value').innerText()).toBe(await panel.locator('.ml-why-measured-value').innerText());
});

test('after a window reload the panel explains the same token again', async () => {
  const { page } = code;
  const token = await panel.locator('.ml-why-token').innerText();
  const measured = await panel.locator('.ml-why-measured').innerText();
  panel = await reloadWindow(page, panel, '.ml-why-chart .ml-why-row', 110_000);
  await expect.poll(() => panel.locator('.ml-why-measured').innerText(), { timeout: 60_000 }).toBe(measured);
  expect(await panel.locator('.ml-why-token').innerText()).toBe(token);
}, 180_000);
