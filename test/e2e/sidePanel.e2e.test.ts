// The side panel follows the selection and fills its four sections; a model folder that fails to
// load is reported while the previous model keeps answering, and switching back works.
import type { Frame } from 'playwright-core';
import { expect, test } from 'vitest';
import {
  paintedPixels,
  findWebviewFrame,
  modelHover,
  openFile,
  runCommand,
  screenshot,
  selectLines,
  sidePanelModel,
  useVSCode,
  waitForNotification,
  writeBrokenModel,
} from './harness';

const code = useVSCode();

/** Opens the side panel on lines 17–21 of sample.ts and waits until its heads are listed: each test starts from it. */
async function filledSidePanel(): Promise<Frame> {
  const { page } = code;
  await openFile(page, 'sample.ts');
  await selectLines(page, 17, 21);
  await runCommand(page, 'Model Lens: Open Side Panel');
  const side = await findWebviewFrame(page, '.ml-section', 60_000);
  await expect.poll(() => side.locator('.ml-heads-table tbody tr').count(), { timeout: 90_000 }).toBeGreaterThan(3);
  return side;
}

test('the side panel shows the model, activations, logit lens and heads of the selection', async () => {
  const { page } = code;
  const side = await filledSidePanel();
  await expect.poll(sidePanelModel(side), { timeout: 90_000 }).toContain('lens-tiny');
  await expect.poll(() => paintedPixels(side, '[data-section="activations"] canvas'), { timeout: 30_000 }).toBeGreaterThan(500);
  await expect.poll(() => paintedPixels(side, '[data-section="lens"] canvas'), { timeout: 30_000 }).toBeGreaterThan(500);
  await screenshot(page, 'side-panel');
});

test('the side panel comes back filled after it was hidden', async () => {
  const { page } = code;
  await filledSidePanel();
  await runCommand(page, 'View: Show Explorer');
  await runCommand(page, 'Model Lens: Open Side Panel');
  const side = await findWebviewFrame(page, '.ml-section', 60_000);
  await expect.poll(() => side.locator('.ml-heads-table tbody tr').count(), { timeout: 60_000 }).toBeGreaterThan(3);
});

test('a model folder that fails to load is reported, and the previous model keeps answering', async () => {
  const { page } = code;
  const side = await filledSidePanel();
  await code.setSetting('modelLens.modelPath', writeBrokenModel(code.workspace), 'workspace');
  // The error, not the progress notification of the load that fails ("Model Lens: loading broken-model…").
  const message = await waitForNotification(page, /Model Lens: (?!loading).*broken-model/, 60_000);
  expect(message).toMatch(/not valid JSON|not an ONNX model/);
  expect(message).toContain('Still using lens-tiny');
  await expect.poll(() => side.locator('.ml-error').count(), { timeout: 30_000 }).toBeGreaterThan(0);
  await screenshot(page, 'side-panel-broken-model');
  await openFile(page, 'sample.ts');
  const hover = await modelHover(page, 'perCustomer');
  expect(hover).toContain('lens-tiny');
  // Back to the default model.
  await code.setSetting('modelLens.modelPath', '', 'workspace');
  await expect.poll(() => side.locator('.ml-error').count(), { timeout: 60_000 }).toBe(0);
});
