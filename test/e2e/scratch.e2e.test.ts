import { afterAll, beforeAll, expect, test } from 'vitest';
import { findWebviewFrame, openFile, runCommand, SAMPLE_WORKSPACE, screenshot, selectLines, startVSCode, VSIX_PATH, waitForNotification, WEBGPU_ARGS, type VSCode } from './harness';
import { buildDecoder } from '../helpers/decoderBuilder';
import { writeModelFolder } from '../helpers/modelFolder';

let code: VSCode;
const model = writeModelFolder('e2e', buildDecoder({ attention: 'unfused', layers: 3, vocab: 64 }));
beforeAll(async () => {
  code = await startVSCode({ workspace: SAMPLE_WORKSPACE, vsixPath: VSIX_PATH, chromiumArgs: WEBGPU_ARGS, userSettings: { 'modelLens.modelPath': model, 'modelLens.backend': 'webgpu' } });
});
afterAll(async () => { await code?.stop(); });

test('webgpu', async () => {
  const { page } = code;
  await openFile(page, 'notes.md');
  await selectLines(page, 3, 4);
  await runCommand(page, 'Model Lens: Compare Backend with WebAssembly');
  let message = '';
  try { message = await waitForNotification(page, /vs WebAssembly|failed|WebAssembly:/, 120000); } catch (e) { console.log(String(e)); }
  console.log('MESSAGE', message);
  await screenshot(page, 'scratch-webgpu');
  const gpu = await findWebviewFrame(page, '.gpu-status', 10000).catch(() => undefined);
  console.log('GPU', gpu ? await gpu.locator('body').innerText() : 'no frame');
  expect(message).toContain('WebGPU');
});
