// Model Lens: Download Model… in a real VS Code, against a loopback Hub (modelLens.hub.endpoint)
// that serves the default model's files as a repository with two precisions: any repository id,
// the precision with its size, the download with its progress, and the model in use afterwards;
// Select Model… then lists it. A gated repository without a token ends in a message that says so.
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHubServer, type HubServer } from '../helpers/hubServer';
import { DEFAULT_MODEL } from '../helpers/paths';
import { openFile, runCommand, screenshot, useVSCode, waitForNotification } from './harness';
import { chooseQuickPickRow, modelInUse, quickPickRows } from './harness/quickPick';

const REPO = 'fixtures/lens-tiny-onnx';
const GATED = 'fixtures/lens-tiny-gated';
const files = {
  'config.json': path.join(DEFAULT_MODEL, 'config.json'),
  'tokenizer.json': path.join(DEFAULT_MODEL, 'tokenizer.json'),
  'tokenizer_config.json': path.join(DEFAULT_MODEL, 'tokenizer_config.json'),
  'onnx/model.onnx': path.join(DEFAULT_MODEL, 'onnx', 'model.onnx'),
  // A second precision, as transformers.js repositories have (here the same weights).
  'onnx/model_fp16.onnx': path.join(DEFAULT_MODEL, 'onnx', 'model.onnx'),
};

let hub: HubServer;
let endpoint = '';

beforeAll(async () => {
  hub = await startHubServer([
    { id: REPO, files },
    { id: GATED, gated: true, files },
  ]);
  endpoint = hub.endpoint;
});

afterAll(async () => {
  await hub?.close();
});

// Started after the Hub: its address goes into the user settings.
const code = useVSCode({
  get userSettings() {
    return { 'modelLens.hub.endpoint': endpoint };
  },
});

/** Runs Download Model…, asks for `repo` by id, and waits for its precisions. */
async function askFor(repo: string): Promise<void> {
  const { page } = code;
  await runCommand(page, 'Model Lens: Download Model…');
  await expect
    .poll(() => quickPickRows(page), { timeout: 15_000 })
    .toEqual(expect.arrayContaining([expect.stringContaining('GPT-2'), expect.stringContaining('SmolLM2-135M'), expect.stringContaining('Any repository id')]));
  await chooseQuickPickRow(page, 'Any repository id');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(repo);
  await page.keyboard.press('Enter');
}

test('downloads a model from the Hub and uses it; Select Model lists it', async () => {
  const { page } = code;
  await openFile(page, 'sample.ts');
  await askFor(REPO);
  await expect
    .poll(() => quickPickRows(page), { timeout: 30_000 })
    .toEqual([expect.stringMatching(/full precision.*model\.onnx · 17\.5 MB/s), expect.stringMatching(/float16.*model_fp16\.onnx/s)]);
  await screenshot(page, 'download-model-precision');
  await chooseQuickPickRow(page, 'full precision');
  await waitForNotification(page, /lens-tiny-onnx \(full precision, 17\.5 MB\) downloaded from 127\.0\.0\.1:\d+ and is the model in use now/, 60_000);
  // The bytes came through the Hub's redirect to its CDN.
  expect(hub.requests.filter((r) => r.server === 'cdn').map((r) => r.path)).toEqual([`/repos/${hub.sha256(REPO, 'onnx/model.onnx')}`]);

  await runCommand(page, 'Model Lens: Open Side Panel');
  await expect.poll(() => modelInUse(page), { timeout: 90_000 }).toBe('lens-tiny-onnx');

  await runCommand(page, 'Model Lens: Select Model…');
  await expect
    .poll(() => quickPickRows(page), { timeout: 15_000 })
    .toEqual(
      expect.arrayContaining([
        expect.stringMatching(/fixtures\/lens-tiny-onnx.*full precision · 17\.5 MB · in use/s),
        expect.stringContaining('Download a model from the Hugging Face Hub'),
      ]),
    );
  await chooseQuickPickRow(page, 'Default model');
  await expect.poll(() => modelInUse(page), { timeout: 90_000 }).toBe('lens-tiny');
  await runCommand(page, 'Model Lens: Select Model…');
  await chooseQuickPickRow(page, 'fixtures/lens-tiny-onnx');
  await expect.poll(() => modelInUse(page), { timeout: 90_000 }).toBe('lens-tiny-onnx');
});

test('a gated model without a token says how to get access, and downloads nothing', async () => {
  const { page } = code;
  hub.requests.length = 0;
  await askFor(GATED);
  await expect.poll(() => quickPickRows(page), { timeout: 30_000 }).toHaveLength(2);
  await chooseQuickPickRow(page, 'full precision');
  const message = await waitForNotification(page, /is a gated model/, 30_000);
  expect(message).toContain(`${GATED} is a gated model on ${hub.endpoint}`);
  expect(message).toContain('Set Hugging Face Hub Token');
  expect(hub.requests.filter((r) => r.path.includes('/resolve/') || r.server === 'cdn')).toEqual([]);
});
