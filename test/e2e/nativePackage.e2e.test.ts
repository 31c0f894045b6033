// The platform package (dist/model-lens-linux-x64.vsix, built by `npm run package`) carries
// onnxruntime-node for its platform: installed into a VS Code with nothing else, `auto` runs the
// model natively, as the side panel says.
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { REPO_ROOT } from './harness/paths';
import { findWebviewFrame, openFile, runCommand, SAMPLE_WORKSPACE, screenshot, selectLines, sidePanelModel, startVSCode, type VSCode } from './harness';

const TARGET = `${process.platform}-${process.arch}`;
const PLATFORM_VSIX = path.join(REPO_ROOT, 'dist', `model-lens-${TARGET}.vsix`);

let code: VSCode;

beforeAll(async () => {
  code = await startVSCode({ workspace: SAMPLE_WORKSPACE, vsixPath: PLATFORM_VSIX });
});

afterAll(async () => {
  await code?.stop();
});

test(`the ${TARGET} package runs the model natively with no setting`, async () => {
  const { page } = code;
  await openFile(page, 'sample.ts');
  await selectLines(page, 17, 21);
  await runCommand(page, 'Model Lens: Open Side Panel');
  const side: Frame = await findWebviewFrame(page, '.ml-section', 60_000);
  await expect.poll(sidePanelModel(side), { timeout: 90_000 }).toContain('lens-tiny');
  const runsOn = () =>
    side
      .locator('.ml-section')
      .first()
      .innerText()
      .catch(() => '');
  await expect.poll(runsOn, { timeout: 30_000 }).toContain('Native (onnxruntime-node)');
  expect(await runsOn()).toMatch(/native ONNX Runtime: onnxruntime-node is installed/);
  // And on which execution provider: no GPU provider is installed here, so auto runs on the CPU.
  expect(await runsOn()).toMatch(/CPU execution provider: modelLens\.native\.executionProvider is auto/);
  await expect.poll(() => side.locator('.ml-heads-table tbody tr').count(), { timeout: 90_000 }).toBeGreaterThan(3);
  await screenshot(page, 'side-panel-native-package');
});
