// The web edition (package.json "browser", src/web) in VS Code's web worker extension host, as on
// vscode.dev: code-server is told to run Model Lens there (remote.extensionKind "web"), where there
// is no Node.js. The log says so, the hover shows the same numbers as the desktop engine computes
// for the same text, and Explain Attention draws the attention panel.
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, expect, test } from 'vitest';
import { LoadedModel } from '../../src/engine/loadedModel';
import type { Analysis } from '../../src/engine/types';
import { percent } from '../../src/host/hover/hoverMarkdown';
import {
  findWebviewFrame,
  goToPosition,
  heatmapDecorations,
  modelHover,
  openFile,
  openQuickInput,
  paintedPixels,
  runCommand,
  screenshot,
  selectLines,
  useVSCode,
} from './harness';
import { REPO_ROOT } from './harness/paths';

const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { publisher: string; name: string };
const EXTENSION_ID = `${manifest.publisher}.${manifest.name}`;

/** A file of the test's own, short enough that the hover's window is the whole text. */
const FILE = 'web.md';
const TEXT = [
  '# Attention on the web',
  '',
  'Each layer of a transformer lets every token look back at the tokens before it.',
  'Heads often specialise: some attend to the previous token, some to the first one.',
  '',
].join('\n');

const code = useVSCode({ userSettings: { 'remote.extensionKind': { [EXTENSION_ID]: ['web'] } } });

let expected: Analysis;
beforeAll(async () => {
  fs.writeFileSync(path.join(code.workspace, FILE), TEXT);
  const model = await LoadedModel.load(path.join(REPO_ROOT, 'media/models/lens-tiny'), { backend: 'wasm', threads: 1 });
  try {
    expected = await model.analyze(TEXT);
  } finally {
    await model.release();
  }
}, 120_000);

const OUTPUT_VIEW = '.part.panel [id="workbench.panel.output"]';

/**
 * The log lines the Output view shows now, wrapped lines joined again: its last lines, which the
 * view shows once its editor is scrolled to the end (Monaco renders only the lines in view).
 */
async function outputText(page: Page): Promise<string> {
  const lines = page.locator(`${OUTPUT_VIEW} .monaco-editor .view-lines`).first();
  if (!(await lines.isVisible().catch(() => false))) return '';
  // Scrolled with the wheel: a click would take the focus from the editor the hovers need.
  await page.mouse.move(0, 0);
  await lines.hover({ timeout: 2_000 }).catch(() => undefined);
  await page.mouse.wheel(0, 100_000);
  await page.waitForTimeout(200);
  const shown = await lines.innerText().catch(() => '');
  return shown.replace(/\u00a0/g, ' ').replace(/\n(?!\d{4}-\d\d-\d\d )/g, '');
}

/** The numbers a hover shows for a token, as the hover writes them. */
function shownNumbers(hover: string): { token: string; p: string; rank: string; surprisal: string; entropy: string } {
  const field = (re: RegExp) => re.exec(hover)?.[1] ?? `(no match for ${re})`;
  return {
    token: field(/Model Lens\s*·\s*(.+?)\s*·/),
    p: field(/P\(token \| text before\)\s*([\d.e-]+%)/),
    rank: field(/rank\s*(\d+)/),
    surprisal: field(/surprisal\s*([\d.]+) bits/),
    entropy: field(/entropy of the prediction\s*([\d.]+) bits/),
  };
}

/** The same numbers from the desktop engine's analysis, for the token whose text is `token`. */
function expectedNumbers(token: string) {
  const i = expected.tokens.findIndex((t) => t.text === token);
  if (i < 0) throw new Error(`no token ${JSON.stringify(token)} in ${JSON.stringify(expected.tokens.map((t) => t.text))}`);
  const p = expected.prob[i];
  return { token, p: percent(p), rank: String(expected.rank[i]), surprisal: (-Math.log2(p)).toFixed(2), entropy: expected.entropy[i].toFixed(2) };
}

test('runs in the web worker extension host, without Node.js', async () => {
  const { page } = code;
  await openFile(page, FILE);
  // The first hover waits for the model: it loads in the engine's Web Worker.
  expect(await modelHover(page, 'transformer')).toContain('lens-tiny');
  await runCommand(page, 'Model Lens: Show Log');
  await expect.poll(() => outputText(page), { timeout: 15_000 }).toContain('Web edition in the web worker extension host');
  const log = await outputText(page);
  expect(log).toContain('Node.js (process) absent, WebAssembly present, Worker present');
  expect(log).toMatch(/Backend: WebAssembly in a Web Worker, one thread/);
  expect(log).toContain("The engine's Web Worker started");
  expect(log).toMatch(/\[info\] Loaded lens-tiny \(.*model\.onnx\) in \d+(\.\d)? m?s on WebAssembly/);
  await runCommand(page, 'View: Hide Panel');
}, 180_000);

/** Hovers words and checks each hover against the desktop engine's numbers; `model` is the name the hover gives. */
async function expectDesktopNumbers(page: Page, model: string): Promise<void> {
  for (const word of ['transformer', 'previous', 'specialise']) {
    const hover = await modelHover(page, word);
    expect(hover).toContain(model);
    const shown = shownNumbers(hover);
    // The hover writes a token's spaces as middle dots.
    const token = shown.token.replace(/^`|`$/g, '').replace(/·/g, ' ');
    expect({ ...shown, token }).toEqual(expectedNumbers(token));
  }
}

test('the hover shows the probabilities the desktop engine computes for the same text', async () => {
  const { page } = code;
  await openFile(page, FILE);
  await expectDesktopNumbers(page, 'lens-tiny');
  await page.waitForTimeout(500);
  await screenshot(page, 'web-hover');
}, 180_000);

test('the heatmap colours the text by rank and the status bar shows its perplexity', async () => {
  const { page } = code;
  await page.mouse.move(0, 0);
  await openFile(page, FILE);
  await selectLines(page, 3, 4);
  await runCommand(page, 'Model Lens: Show Token Probability Heatmap');
  await expect.poll(async () => (await heatmapDecorations(page)).length, { timeout: 60_000 }).toBeGreaterThan(30);
  expect(new Set((await heatmapDecorations(page)).map((d) => d.backgroundColor)).size).toBeGreaterThan(1);
  await expect.poll(() => page.locator('.statusbar').innerText(), { timeout: 30_000 }).toMatch(/ppl [\d.]+/);
}, 180_000);

test('Explain Attention opens the attention panel with its heatmaps', async () => {
  const { page } = code;
  await openFile(page, FILE);
  await selectLines(page, 3, 4);
  await runCommand(page, 'Model Lens: Explain Attention');
  const panel = await findWebviewFrame(page, '.ml-grid', 90_000);
  await panel.locator('.ml-chip').first().waitFor({ timeout: 90_000 });
  expect(await panel.locator('.ml-chip').count()).toBeGreaterThan(20);
  await expect.poll(() => paintedPixels(panel, '.ml-grid canvas'), { timeout: 20_000 }).toBeGreaterThan(1000);
  // The editor with its heatmap beside the panel: the README's picture of the web edition.
  await page
    .locator('.monaco-editor .view-lines')
    .first()
    .click({ position: { x: 5, y: 5 } });
  await page.waitForTimeout(300);
  await screenshot(page, 'web');
}, 180_000);

test('Why This Token? and the step-by-step walk run on the web engine, their checks passing', async () => {
  const { page } = code;
  await openFile(page, 'sample.ts');
  // "ustom" of the second "perCustomer" on line 26, as in whyThisToken.e2e and walk.e2e.
  await goToPosition(page, 26, 42);
  await runCommand(page, 'Model Lens: Why This Token?');
  const why = await findWebviewFrame(page, '.ml-why-chart .ml-why-row', 120_000);
  await expect.poll(() => why.locator('.ml-why-token').innerText()).toBe('ustom');
  // The parts of the logit difference add up to the difference measured, as displayed.
  expect(await why.locator('.ml-why-sum-value').innerText()).toBe(await why.locator('.ml-why-measured-value').innerText());
  await goToPosition(page, 26, 42);
  await runCommand(page, 'Model Lens: Walk Through the Transformer (Step by Step)');
  const walk = await findWebviewFrame(page, '.ml-walk-steps .ml-step', 120_000);
  await expect.poll(() => walk.locator('.ml-walk-title').innerText()).toContain('ustom');
  // Each step recomputed from the ones before it matches the model's own tensor.
  await expect.poll(() => walk.locator('.ml-walk-steps .ml-check').count(), { timeout: 30_000 }).toBe(8);
  expect(await walk.locator('.ml-walk-steps .ml-check:not(.ok)').allInnerTexts()).toEqual([]);
}, 180_000);

test("the desktop's commands are not offered", async () => {
  const { page } = code;
  const input = await openQuickInput(page, 'F1');
  for (const title of [
    'Model Lens: Download Model',
    'Model Lens: Compare Backend with WebAssembly',
    'Model Lens: Compare With Another Text',
    'Model Lens: Open Side Panel',
  ]) {
    await input.fill(`>${title}`);
    await page.waitForTimeout(500);
    const rows = await page.locator('.quick-input-widget .monaco-list-row[role="option"]').allInnerTexts();
    expect(
      rows.filter((r) => r.includes(title)),
      title,
    ).toEqual([]);
  }
  // What the web edition has is offered.
  await input.fill('>Model Lens: Explain Attention');
  await expect
    .poll(() => page.locator('.quick-input-widget .monaco-list-row[role="option"]').allInnerTexts())
    .toContainEqual(expect.stringContaining('Explain Attention'));
  await page.keyboard.press('Escape');
}, 60_000);

test('a model folder in the workspace, named by modelLens.modelPath, is read through the workspace file system', async () => {
  const { page } = code;
  fs.cpSync(path.join(REPO_ROOT, 'media/models/lens-tiny'), path.join(code.workspace, 'models/tiny-copy'), { recursive: true });
  await code.setSetting('modelLens.modelPath', 'models/tiny-copy', 'workspace');
  await openFile(page, FILE);
  // The same weights under another name: the same numbers, from the copy.
  await expect.poll(() => modelHover(page, 'transformer'), { timeout: 60_000 }).toContain('tiny-copy');
  await expectDesktopNumbers(page, 'tiny-copy');
  await runCommand(page, 'Model Lens: Show Log');
  await expect
    .poll(() => outputText(page), { timeout: 15_000 })
    .toMatch(/\[info\] Loaded tiny-copy \(\/vscode-remote\/.*\/models\/tiny-copy\/onnx\/model\.onnx\)/);
  await runCommand(page, 'View: Hide Panel');
}, 180_000);

test('a request past its deadline stops the Web Worker, and the next one reads the model into a new worker', async () => {
  const { page } = code;
  // The default model with a tokenizer whose pattern backtracks without end on a run of a's that
  // does not end the text (as in requestDeadline.test.ts): only such a text hangs it.
  const folder = path.join(code.workspace, 'models/stuck-tiny');
  fs.cpSync(path.join(REPO_ROOT, 'media/models/lens-tiny'), folder, { recursive: true });
  const tokenizer = JSON.parse(fs.readFileSync(path.join(folder, 'tokenizer.json'), 'utf8')) as { pre_tokenizer: object };
  const split = { type: 'Split', pattern: { Regex: '(a+)+$' }, behavior: 'Isolated', invert: false };
  tokenizer.pre_tokenizer = { type: 'Sequence', pretokenizers: [split, tokenizer.pre_tokenizer] };
  fs.writeFileSync(path.join(folder, 'tokenizer.json'), JSON.stringify(tokenizer));
  fs.writeFileSync(path.join(code.workspace, 'stuck.txt'), `${'a'.repeat(40)}!`);
  // A text of its own for after (analyses of the same text are kept), whose tokens up to its end are FILE's.
  fs.writeFileSync(path.join(code.workspace, 'again.md'), `${TEXT}\nOne more line.\n`);
  await code.setSetting('modelLens.requestTimeoutSeconds', 5, 'workspace');
  await code.setSetting('modelLens.modelPath', 'models/stuck-tiny', 'workspace');
  await openFile(page, FILE);
  await expect.poll(() => modelHover(page, 'transformer'), { timeout: 60_000 }).toContain('stuck-tiny');
  await openFile(page, 'stuck.txt');
  await selectLines(page, 1, 1);
  await runCommand(page, 'Model Lens: Show Token Probability Heatmap');
  await runCommand(page, 'Model Lens: Show Log');
  await expect.poll(() => outputText(page), { timeout: 60_000 }).toMatch(/\[warning\] Engine worker stopped: a request passed its deadline/);
  await runCommand(page, 'View: Hide Panel');
  // The next request goes to a new worker, which gets the model's files read again.
  await openFile(page, 'again.md');
  await expectDesktopNumbers(page, 'stuck-tiny');
  await runCommand(page, 'Model Lens: Show Log');
  await expect.poll(() => outputText(page), { timeout: 15_000 }).toMatch(/Engine worker restarted \(worker 2 of this engine\)/);
  const log = await outputText(page);
  expect(log).toMatch(/The new worker loads .*models\/stuck-tiny again/);
  await runCommand(page, 'View: Hide Panel');
  await code.setSetting('modelLens.modelPath', '', 'workspace');
}, 180_000);
