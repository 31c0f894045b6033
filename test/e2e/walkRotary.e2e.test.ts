// The walk on a Llama-style model (no position table: rotary embeddings written as torch exports
// them, RMSNorm, a gated SiLU MLP), built here and opened as the configured model: the input step
// shows the angles of the token's position and the rotation redone from them ✓, the positions
// get their angle heatmap, and each block checks its rotation and its gated MLP ✓.
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  findWebviewFrame,
  goToPosition,
  openFile,
  runCommand,
  SAMPLE_WORKSPACE,
  screenshot,
  startVSCode,
  VSIX_PATH,
  type VSCode,
  showWalkBlock,
} from './harness';
import { buildDecoder } from '../helpers/decoderBuilder';
import { writeModelFolder } from '../helpers/modelFolder';

const COMMAND = 'Model Lens: Walk Through the Transformer (Step by Step)';
let code: VSCode;

beforeAll(async () => {
  // 4 heads of 32 dimensions: 16 frequencies, enough to see the fast ones cycle and the slow ones stay.
  const onnx = buildDecoder({ attention: 'unfused', unfusedRotary: 'computed', rms: true, gatedMlp: true, dModel: 128, dMlp: 256 });
  const folder = writeModelFolder('llama-style', onnx);
  code = await startVSCode({ workspace: SAMPLE_WORKSPACE, vsixPath: VSIX_PATH, workspaceSettings: { 'modelLens.modelPath': folder } });
});

afterAll(async () => {
  await code?.stop();
});

test('walks a rotary model: the angles of the token’s position, the rotation and the gated MLP checked', async () => {
  const { page } = code;
  await openFile(page, 'letters.txt');
  await goToPosition(page, 1, 27);
  await runCommand(page, COMMAND);
  const frame = await findWebviewFrame(page, '.ml-walk-steps .ml-step', 120_000);
  await expect.poll(() => frame.locator('body').innerText(), { timeout: 90_000 }).toMatch(/Rotary position embedding: the angles at position \d+/);
  const body = await frame.locator('body').innerText();
  expect(body).toMatch(/This model adds no position vector here, so H⁰ = E/);
  expect(body).toMatch(/Feed-forward network, gated/);
  // 16 frequencies × the positions up to the token.
  expect(await frame.locator('.ml-walk-rotary td').count()).toBeGreaterThanOrEqual(16 * 20);
  for (const L of [0, 1]) {
    await showWalkBlock(code.page, frame, L, 2);
    // H⁰ and the rotation in step 1; ln1, the rotation, resid_mid, ln2, the gated MLP, resid_post; ln_final and the softmax.
    const lines = frame.locator('.ml-walk-steps .ml-check');
    expect(await frame.locator('.ml-walk-steps .ml-check:not(.ok)').allInnerTexts(), `block ${L}`).toEqual([]);
    expect(await lines.count(), `block ${L}`).toBe(10);
  }
  await frame.locator('.ml-walk-sub', { hasText: 'Rotary position embedding' }).evaluate((e) => e.scrollIntoView({ block: 'start' }));
  await screenshot(page, 'walk-rotary');
  await frame.locator('.ml-walk-rotary').evaluate((e) => e.scrollIntoView({ block: 'center' }));
  await screenshot(page, 'walk-rotary-positions');
  await frame.locator('.ml-step', { hasText: 'Feed-forward network, gated' }).evaluate((e) => e.scrollIntoView({ block: 'start' }));
  await screenshot(page, 'walk-gated-mlp');
}, 240_000);
