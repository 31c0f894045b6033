// The WebGPU backend in a real VS Code. This machine has no GPU: Chromium's SwiftShader gives the
// webviews a WebGPU adapter on the CPU, slow but real WebGPU. The numbers must match WebAssembly
// (itself checked against PyTorch's reference outputs in test/integration/defaultModel.test.ts):
// attention and probabilities within 1e-4, logits within 1e-3.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { buildDecoder } from '../helpers/decoderBuilder';
import { writeModelFolder } from '../helpers/modelFolder';
import { explainLines, findWebviewFrame, openFile, runCommand, screenshot, selectLines, useVSCode, waitForNotification, WEBGPU_ARGS } from './harness';

const GOLDENS = path.resolve(__dirname, '..', 'fixtures', 'lens-tiny-goldens', 'goldens.json');

const code = useVSCode({ chromiumArgs: WEBGPU_ARGS, userSettings: { 'modelLens.backend': 'webgpu' } });

test('the default model runs on WebGPU and computes the numbers WebAssembly does', async () => {
  const { page } = code;
  // The reference inputs of the default model, as files a user would open.
  const inputs = (JSON.parse(fs.readFileSync(GOLDENS, 'utf8')) as { inputs: { name: string; text: string | null }[] }).inputs.filter((i) => i.text);
  for (const input of inputs) fs.writeFileSync(path.join(code.workspace, `golden-${input.name}.txt`), input.text!);
  for (const input of inputs) {
    // Quick Open lists new files once VS Code's file watcher has seen them.
    await expect
      .poll(
        () =>
          openFile(page, `golden-${input.name}.txt`).then(
            () => true,
            () => false,
          ),
        { timeout: 30_000, interval: 1000 },
      )
      .toBe(true);
    await selectLines(page, 1, input.text!.split('\n').length);
    await runCommand(page, 'Model Lens: Compare Backend with WebAssembly');
    const message = await waitForNotification(page, /WebGPU vs WebAssembly/, 240_000);
    const number = String.raw`(\d\.\de[+-]\d+)`;
    const [, attention, probabilities, logits] = new RegExp(`attention ${number}, probabilities ${number}, logits ${number}`).exec(message) ?? [];
    expect(Number(attention), message).toBeLessThan(1e-4);
    expect(Number(probabilities), message).toBeLessThan(1e-4);
    expect(Number(logits), message).toBeLessThan(1e-3);
  }
  const gpu = await findWebviewFrame(page, '.gpu-adapter', 10_000);
  expect(await gpu.locator('.gpu-adapter').innerText()).toMatch(/swiftshader/i);
  expect(await gpu.locator('.gpu-stats').innerText()).toMatch(/forward passes/);
  await screenshot(page, 'webgpu-compare');
}, 600_000);

test('Explain Attention works on WebGPU', async () => {
  const { page } = code;
  const panel = await explainLines(page, 'sample.ts', 17, 21, '.ml-chip', 240_000);
  expect(await panel.locator('.ml-chip').count()).toBeGreaterThan(20);
  await screenshot(page, 'webgpu-explain-attention');
}, 300_000);

test('a float16 model on an adapter without shader-f16 moves to WebAssembly, with a notice', async () => {
  const { page } = code;
  // SwiftShader has no shader-f16: the WebGPU run fails and the engine takes over on WebAssembly.
  const fp16 = writeModelFolder('fp16', buildDecoder({ attention: 'unfused', float16: true }));
  await code.setSetting('modelLens.modelPath', fp16, 'workspace');
  const notice = await waitForNotification(page, /now runs on WebAssembly|could not start/, 240_000);
  expect(notice).toMatch(/f16/);
  const panel = await explainLines(page, 'notes.md', 3, 3, '.ml-chip', 120_000);
  expect(await panel.locator('.ml-chip').count()).toBeGreaterThan(10);
  await screenshot(page, 'webgpu-fp16-fallback');
}, 400_000);
