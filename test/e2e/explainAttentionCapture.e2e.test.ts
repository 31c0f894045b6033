// The README's animated capture of Explain Attention, recorded as a user runs it: lines selected,
// Ctrl+K A, the panel of every layer and head, a token clicked and what it attends to lit up in
// the editor, one head opened large, and its math. Written to test-output/explain-attention.gif.
import fs from 'node:fs';
import { expect, test } from 'vitest';
import { editorDecorations, findWebviewFrame, openFile, paintedPixels, Recording, selectLines, useVSCode } from './harness';

const code = useVSCode();

test('records Explain Attention from a selection to a head’s math', async () => {
  const { page } = code;
  const recording = new Recording(page);
  await openFile(page, 'sample.ts');
  await selectLines(page, 17, 21);
  await recording.frame(1500);
  // The default chord, as a user would press it.
  await page.keyboard.press('Control+K');
  await page.keyboard.press('a');
  const panel = await findWebviewFrame(page, '.ml-grid', 90_000);
  await expect.poll(() => paintedPixels(panel, '.ml-grid canvas'), { timeout: 30_000 }).toBeGreaterThan(1000);
  await recording.frame(2500);
  const highlights = async () => (await editorDecorations(page, { anyGroup: true })).filter((d) => d.className.includes('ced-')).length;
  await panel.locator('.ml-chip').nth(12).click();
  await expect.poll(highlights, { timeout: 15_000 }).toBeGreaterThan(0);
  await recording.frame(2500);
  await panel.locator('vscode-tab-header[data-tab="head"]').click();
  await expect.poll(() => paintedPixels(panel, '.ml-head-view canvas'), { timeout: 20_000 }).toBeGreaterThan(1000);
  await recording.frame(2500);
  await panel.locator('vscode-tab-header[data-tab="math"]').click();
  await panel
    .getByText(/Matches the model's pattern/)
    .first()
    .waitFor({ timeout: 30_000 });
  await recording.frame(3500);
  const gif = fs.readFileSync(recording.save('explain-attention'));
  expect(recording.length).toBe(5);
  expect(new TextDecoder().decode(gif.subarray(0, 6))).toBe('GIF89a');
  // Half the 1400 × 900 viewport: the logical screen size in the header.
  expect([gif.readUInt16LE(6), gif.readUInt16LE(8)]).toEqual([700, 450]);
});
