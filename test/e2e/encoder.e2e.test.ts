// Explain Attention on an encoder (BERT-shaped: bidirectional attention, post-norm, a masked-LM
// head), built here with a WordPiece tokenizer and opened as the configured model: the panel says
// the attention reads both ways, the head view gives the keys after each query their weights
// (above the diagonal, where a decoder's cells are masked), and the math tab recomputes the
// softmax without a causal mask and matches the model.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Frame } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  explainLines,
  findWebviewFrame,
  modelHover,
  openFile,
  paintedPixels,
  runCommand,
  SAMPLE_WORKSPACE,
  screenshot,
  selectLines,
  startVSCode,
  VSIX_PATH,
  type VSCode,
} from './harness';
import { buildEncoder, encoderWeights } from '../helpers/encoderBuilder';
import { writeModelFolder } from '../helpers/modelFolder';
import { wordPieceTokenizer } from '../helpers/tokenizers';

const WORDS = ['the', 'cat', 'sat', 'on', 'mat', 'dog', '##s', 'a', '.', ','];
const TEXT = 'The cat sat on the mat.\nThe dogs sat on a mat, the cat sat.\n';

let code: VSCode;
let workspace: string;

beforeAll(async () => {
  const weights = encoderWeights({ dModel: 64, heads: 4, dMlp: 128 });
  const tokenizer = wordPieceTokenizer(WORDS, weights.options.vocab);
  const folder = writeModelFolder('bert-e2e', buildEncoder(weights), {
    'tokenizer.json': JSON.stringify(tokenizer.json),
    'tokenizer_config.json': JSON.stringify(tokenizer.config),
    'config.json': JSON.stringify({ model_type: 'bert' }),
  });
  // The sample workspace with a text in the tokenizer's words.
  workspace = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'model-lens-encoder-')), 'workspace');
  fs.cpSync(SAMPLE_WORKSPACE, workspace, { recursive: true });
  fs.writeFileSync(path.join(workspace, 'cats.txt'), TEXT);
  code = await startVSCode({ workspace, vsixPath: VSIX_PATH, workspaceSettings: { 'modelLens.modelPath': folder } });
});

afterAll(async () => {
  await code?.stop();
  if (workspace) fs.rmSync(path.dirname(workspace), { recursive: true, force: true });
});

/** What the head view's heatmap says of the cell under its keyboard cursor (its live region). */
async function cellUnderCursor(panel: Frame): Promise<string> {
  return (await panel.locator('.ml-head-view .ml-heatmap .ml-visually-hidden').first().textContent()) ?? '';
}

test('shows an encoder’s attention to later tokens, unmasked, and recomputes it without a causal mask', async () => {
  const { page } = code;
  const panel = await explainLines(page, 'cats.txt', 2, 2, '.ml-grid', 120_000);
  await panel.locator('.ml-chip').first().waitFor({ timeout: 90_000 });
  await expect.poll(() => panel.locator('.ml-notes').innerText(), { timeout: 30_000 }).toMatch(/attends in both directions/);

  await panel.locator('vscode-tab-header[data-tab="head"]').click();
  await expect.poll(() => paintedPixels(panel, '.ml-head-view canvas'), { timeout: 20_000 }).toBeGreaterThan(1000);
  // Along the first explained query's row with the keyboard, then to its last key: every key
  // after the query has a weight, none reads "masked".
  const canvas = panel.locator('.ml-head-view canvas.ml-heatmap-canvas');
  await canvas.press('ArrowRight');
  await canvas.press('Home');
  const cells: string[] = [];
  for (let c = 0; c < 6; c++) {
    await canvas.press('ArrowRight');
    cells.push(await cellUnderCursor(panel));
  }
  await canvas.press('End');
  cells.push(await cellUnderCursor(panel));
  for (const cell of cells) {
    const m = cell.match(/^query (\d+) .* to key (\d+) .*: (\S+)$/);
    expect(m, cell).not.toBeNull();
    // Above the diagonal: the key comes after the query, and its weight is a number.
    expect(Number(m![2]), cell).toBeGreaterThan(Number(m![1]));
    expect(cell).not.toMatch(/masked/);
    expect(Number.parseFloat(m![3].replace('−', '-')), cell).toBeGreaterThan(0);
  }
  // The readout above the map says the same.
  expect(await panel.locator('.ml-head-view .ml-readout').innerText()).not.toMatch(/masked/);
  await canvas.blur();
  await panel.locator('.ml-chip').first().click();
  await expect.poll(() => panel.locator('.ml-topkeys').innerText(), { timeout: 10_000 }).toMatch(/attends most to/);
  await screenshot(page, 'encoder-attention');

  await panel.locator('vscode-tab-header[data-tab="math"]').click();
  await panel
    .getByText(/Matches the model's pattern/)
    .first()
    .waitFor({ timeout: 30_000 });
  const math = await panel.locator('.ml-math').innerText();
  expect(math).toMatch(/No causal mask: M = 0/);
  expect(math).toMatch(/Softmax: A = softmax\(S\)/);
  expect(math).not.toMatch(/Causal mask: S \+ M/);
  // Both checks pass: the softmax over every key reproduces the model's pattern, A·V its z.
  expect(await panel.locator('.ml-math .ml-check.ok').count()).toBe(2);
  expect(await panel.locator('.ml-math td.masked, .ml-math td.future').count()).toBe(0);
  await screenshot(page, 'encoder-attention-math');
}, 300_000);

test('a hover and the side panel say the masked model’s probabilities were computed with each token masked', async () => {
  const { page } = code;
  // Back to the editor group: the attention panel of the test before keeps the focus otherwise.
  await page.keyboard.press('Control+1');
  await openFile(page, 'cats.txt');
  const hover = await modelHover(page, 'dogs');
  expect(hover).toMatch(/P\(token \| the rest, token masked\)/);
  expect(hover).toMatch(/with the token masked/);
  expect(hover).not.toMatch(/Why this token/);
  await selectLines(page, 2, 2);
  await runCommand(page, 'Model Lens: Open Side Panel');
  const side = await findWebviewFrame(page, '.ml-section', 60_000);
  await expect.poll(() => side.locator('.ml-rows').first().innerText(), { timeout: 90_000 }).toMatch(/Each token, masked \(bidirectional attention/);
  await expect.poll(() => side.locator('[data-section="lens"] .ml-caption').innerText(), { timeout: 60_000 }).toMatch(/bold where that is the token itself/);
  // The status bar item gives the selection's pseudo-perplexity.
  await expect.poll(() => page.locator('.statusbar').innerText(), { timeout: 30_000 }).toMatch(/pppl \d/);
  await screenshot(page, 'encoder-side-panel');
}, 300_000);

test('a sequence classifier’s class probabilities are in the side panel', async () => {
  const weights = encoderWeights({ dModel: 64, heads: 4, dMlp: 128, classes: 2 });
  const tokenizer = wordPieceTokenizer(WORDS, weights.options.vocab);
  const folder = writeModelFolder('bert-classifier-e2e', buildEncoder(weights), {
    'tokenizer.json': JSON.stringify(tokenizer.json),
    'tokenizer_config.json': JSON.stringify(tokenizer.config),
    'config.json': JSON.stringify({ model_type: 'bert', id2label: { 0: 'NEGATIVE', 1: 'POSITIVE' } }),
  });
  const classifier = await startVSCode({ workspace, vsixPath: VSIX_PATH, workspaceSettings: { 'modelLens.modelPath': folder } });
  try {
    const { page } = classifier;
    await openFile(page, 'cats.txt');
    await selectLines(page, 1, 2);
    await runCommand(page, 'Model Lens: Open Side Panel');
    const side = await findWebviewFrame(page, '.ml-section', 60_000);
    const table = side.locator('.ml-class-table');
    await table.waitFor({ timeout: 120_000 });
    const rows = await table.locator('tr').allInnerTexts();
    expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(['NEGATIVE', 'POSITIVE']);
    const percents = rows.map((r) => Number.parseFloat(/([\d.]+)\s*%/.exec(r)![1]));
    expect(percents.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 0);
    await expect.poll(() => side.locator('.ml-rows').first().innerText()).toMatch(/Classes of the whole text \(NEGATIVE, POSITIVE\)/);
    await screenshot(page, 'classifier-side-panel');
  } finally {
    await classifier.stop();
  }
}, 300_000);
