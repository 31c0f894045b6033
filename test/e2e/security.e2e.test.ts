// Hostile text is shown as text, never run as HTML; in Restricted Mode the workspace's settings
// choose neither the model nor the threads, memory or backend it takes, and a relative model path
// is not looked up in the workspace.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { explainLines, findWebviewFrame, modelHover, openFile, readNotifications, runCommand, SAMPLE_WORKSPACE, screenshot, startVSCode, type VSCode, VSIX_PATH } from './harness';

const HOSTILE = '<img src=x onerror="document.title=\'pwned\'">\n</script><script>document.title = "pwned"</script>\n';

let code: VSCode | undefined;
afterEach(async () => {
  await code?.stop();
  code = undefined;
});

test('markup in the document is shown literally in the attention panel', async () => {
  code = await startVSCode({ workspace: SAMPLE_WORKSPACE, vsixPath: VSIX_PATH });
  fs.writeFileSync(path.join(code.workspace, 'hostile.html'), HOSTILE);
  const { page } = code;
  const panel = await explainLines(page, 'hostile.html', 1, 2, '.ml-chip', 90_000);
  const labels = (await panel.locator('.ml-chip').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('aria-label') ?? ''))).join('');
  expect(labels).toContain('<');
  expect(labels).toContain('img');
  expect(await panel.locator('img').count()).toBe(0);
  expect(await panel.title()).not.toBe('pwned');
  await screenshot(page, 'security-hostile-text');
});

test('Restricted Mode ignores a model path from workspace settings and keeps the default model', async () => {
  code = await startVSCode({
    workspace: SAMPLE_WORKSPACE,
    vsixPath: VSIX_PATH,
    restrictedMode: true,
    userSettings: { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' },
    workspaceSettings: { 'modelLens.modelPath': './not-a-model' },
  });
  const { page } = code;
  await openFile(page, 'sample.ts');
  const hover = await modelHover(page, 'perCustomer');
  expect(hover).toContain('lens-tiny');
  expect((await readNotifications(page)).filter((n) => n.includes('not-a-model'))).toEqual([]);
  await screenshot(page, 'security-restricted-mode');
}, 240_000);

test('Restricted Mode ignores a hostile workspace settings file and a relative model path into the workspace', async () => {
  // The repository holds a broken "model" that a relative user setting would name.
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'model-lens-hostile-workspace-'));
  fs.cpSync(SAMPLE_WORKSPACE, workspace, { recursive: true });
  fs.mkdirSync(path.join(workspace, 'hostile-model', 'onnx'), { recursive: true });
  fs.writeFileSync(path.join(workspace, 'hostile-model', 'onnx', 'model.onnx'), 'not a model');
  fs.writeFileSync(path.join(workspace, 'hostile-model', 'tokenizer.json'), '{}');
  try {
    code = await startVSCode({
      workspace,
      vsixPath: VSIX_PATH,
      restrictedMode: true,
      userSettings: { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'modelLens.modelPath': 'hostile-model' },
      // 512 threads took 5.3 GB; a 1 MB limit would refuse the 17 MB default model; WebGPU would open a tab.
      workspaceSettings: { 'modelLens.threads': 512, 'modelLens.maxModelSizeMB': 1, 'modelLens.backend': 'webgpu' },
    });
    const { page } = code;
    await openFile(page, 'sample.ts');
    expect(await modelHover(page, 'perCustomer')).toContain('lens-tiny');
    expect((await readNotifications(page)).filter((n) => n.includes('hostile-model'))).toEqual([]);

    await runCommand(page, 'Model Lens: Open Side Panel');
    const side = await findWebviewFrame(page, '.ml-section', 60_000);
    await expect.poll(() => side.locator('.ml-model-name').first().innerText().catch(() => ''), { timeout: 90_000 }).toContain('lens-tiny');
    const runsOn = await side.locator('.ml-row').filter({ hasText: 'Runs on' }).innerText();
    const threads = Number(/WebAssembly, (\d+) threads?/.exec(runsOn)?.[1]);
    expect(threads).toBeGreaterThanOrEqual(1);
    expect(threads).toBeLessThanOrEqual(4);
    expect(runsOn).not.toContain('as set in modelLens.backend');
    expect(await page.locator('.tab').filter({ hasText: 'Model Lens GPU' }).count()).toBe(0);
    await screenshot(page, 'security-restricted-mode-hostile-settings');
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}, 300_000);
