// Limits and faults in a real VS Code: a 100,000-line file and a single 5 MB line are analysed in
// windows without freezing the editor; a model replaced on disk is loaded again (a broken
// replacement is reported and the copy in memory keeps working), and a deleted one keeps working.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { activeEditor, goToPosition, modelHover, openFile, screenshot, useVSCode, waitForNotification } from './harness';
import { DEFAULT_MODEL } from '../helpers/paths';

const code = useVSCode();

test('a model replaced on disk is loaded again; a broken one is reported; a deleted one keeps working', async () => {
  const { page } = code;
  const copy = path.join(code.workspace, 'my-model');
  fs.cpSync(DEFAULT_MODEL, copy, { recursive: true });
  await code.setSetting('modelLens.modelPath', copy, 'workspace');
  await openFile(page, 'sample.ts');
  // Hovers answer from the old model until the new one has loaded.
  await expect.poll(() => modelHover(page, 'perCustomer'), { timeout: 120_000, interval: 1000 }).toContain('my-model');
  // Replaced by something that is not a model: reported, and the copy in memory keeps answering.
  fs.writeFileSync(path.join(copy, 'onnx', 'model.onnx'), 'overwritten by a broken export');
  expect(await waitForNotification(page, /changed on disk/, 60_000)).toContain('loading my-model again');
  expect(await waitForNotification(page, /not an ONNX model/, 60_000)).toContain('Still using my-model');
  expect(await modelHover(page, 'bestCustomer')).toContain('my-model');
  // Deleted: it keeps working from memory, and the user is told.
  fs.rmSync(path.join(copy, 'onnx', 'model.onnx'));
  expect(await waitForNotification(page, /was deleted/, 60_000)).toContain('keeps working from memory');
  expect(await modelHover(page, 'summarize')).toContain('my-model');
}, 300_000);

test('a 100,000-line file: a hover deep inside is answered and typing stays live', async () => {
  const { page } = code;
  const line = (i: number) => `export const value${i} = compute(${i}, 'row ${i}'); // line ${i}\n`;
  fs.writeFileSync(path.join(code.workspace, 'huge.ts'), Array.from({ length: 100_000 }, (_, i) => line(i)).join(''));
  await expect
    .poll(
      () =>
        openFile(page, 'huge.ts').then(
          () => true,
          () => false,
        ),
      { timeout: 30_000, interval: 1000 },
    )
    .toBe(true);
  await goToPosition(page, 90_000, 1);
  expect(await modelHover(page, 'value89999')).toMatch(/P\(token \| text before\)/);
  // The editor still takes keystrokes at once.
  await goToPosition(page, 90_000, 1);
  await page.keyboard.type('// typed ');
  await activeEditor(page).locator('.view-line').filter({ hasText: '// typed export const value89999' }).waitFor({ timeout: 5_000 });
  await screenshot(page, 'robustness-huge-file');
});

test('a single 5 MB line: a hover in the middle is answered', async () => {
  const { page } = code;
  fs.writeFileSync(path.join(code.workspace, 'one-line.txt'), 'the quick brown fox jumps over the lazy dog '.repeat(120_000));
  await expect
    .poll(
      () =>
        openFile(page, 'one-line.txt').then(
          () => true,
          () => false,
        ),
      { timeout: 30_000, interval: 1000 },
    )
    .toBe(true);
  await goToPosition(page, 1, 2_640_001);
  expect(await modelHover(page, 'quick')).toMatch(/P\(token \| text before\)/);
});
