// Hostile text is shown as text, never run as HTML; text from a model folder never becomes a
// link, a command or an image; Explain Attention never opens a document a command link names; in
// Restricted Mode the workspace's settings choose neither the model nor the threads, memory or
// backend it takes, and a relative model path is not looked up in the workspace.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import {
  findWebviewFrame,
  modelHover,
  openFile,
  readNotifications,
  runCommand,
  SAMPLE_WORKSPACE,
  screenshot,
  sidePanelModel,
  useVSCodeEachTest,
  waitForActiveEditor,
  waitForNotification,
  explainLines,
} from './harness';
import { DEFAULT_MODEL } from '../helpers/paths';

/** A model name (config.json's _name_or_path) with an icon, a command link, an image and HTML. */
const HOSTILE_NAME =
  '$(bug) [Open Settings](command:workbench.action.openSettings) ![](https://example.invalid/x.png) <img src="https://example.invalid/y.png">';
const HOSTILE = '<img src=x onerror="document.title=\'pwned\'">\n</script><script>document.title = "pwned"</script>\n';

const start = useVSCodeEachTest();

test('markup in the document is shown literally in the attention panel', async () => {
  const code = await start();
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
  const code = await start({
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
    const code = await start({
      workspace,
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
    await expect.poll(sidePanelModel(side), { timeout: 90_000 }).toContain('lens-tiny');
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

test('a model whose name holds a command link, an image and HTML: shown as text in the hover, the status bar and notifications, nothing fetched', async () => {
  const code = await start();
  const { page } = code;
  const fetched: string[] = [];
  page.context().on('request', (request) => {
    if (request.url().includes('example.invalid')) fetched.push(request.url());
  });
  const copy = path.join(code.workspace, 'hostile-model');
  fs.cpSync(DEFAULT_MODEL, copy, { recursive: true });
  const configFile = path.join(copy, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(configFile, 'utf8')), _name_or_path: HOSTILE_NAME }));
  await code.setSetting('modelLens.modelPath', copy, 'workspace');
  await openFile(page, 'sample.ts');

  // The hover (trusted for Explain Attention's link) shows the name as the characters it holds.
  await expect.poll(() => modelHover(page, 'perCustomer'), { timeout: 120_000, interval: 1000 }).toContain('![](https://example.invalid/x.png)');
  const hover = page.locator('.monaco-hover:not(.hidden) .monaco-hover-content');
  expect(await hover.innerText()).toContain('[Open Settings](command:workbench.action.openSettings)');
  expect(await hover.locator('img').count()).toBe(0);
  const links = await hover.locator('a').allInnerTexts();
  expect(links).toContain('Explain attention on this line');
  expect(links.filter((link) => link.includes('Open Settings'))).toEqual([]);
  // The status bar shows `$(bug)` as text, not as an icon.
  expect(await page.locator('.statusbar').innerText()).toContain('$(bug)');
  expect(await page.locator('.statusbar .codicon-bug').count()).toBe(0);
  await screenshot(page, 'security-hostile-model-name-hover');

  // Broken on disk: the notifications name the model, and hold no link.
  fs.writeFileSync(path.join(copy, 'onnx', 'model.onnx'), 'overwritten by a broken export');
  expect(await waitForNotification(page, /Still using/, 60_000)).toContain('Open Settings');
  const toasts = page.locator('.notifications-toasts .notification-toast .notification-list-item-message').filter({ hasText: 'Model Lens' });
  expect(await toasts.count()).toBeGreaterThan(0);
  expect(await toasts.locator('a').count()).toBe(0);
  await screenshot(page, 'security-hostile-model-name-notification');
  expect(fetched).toEqual([]);
}, 300_000);

test('Explain Attention given a document that is not open (as a command link could) refuses it', async () => {
  const code = await start();
  const { page } = code;
  await openFile(page, 'sample.ts');
  // A key bound to the command with the arguments a crafted link would carry: a file nobody opened.
  const uri = `file://${path.join(code.workspace, 'notes.md')}`;
  await runCommand(page, 'Preferences: Open Keyboard Shortcuts (JSON)');
  await waitForActiveEditor(page, 'keybindings.json');
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(JSON.stringify([{ key: 'ctrl+alt+shift+9', command: 'modelLens.explainAttention', args: { uri, line: 0 } }]));
  await page.keyboard.press('Control+S');
  await runCommand(page, 'View: Close Editor');
  await expect
    .poll(
      async () => {
        await page.keyboard.press('Control+Alt+Shift+9');
        return (await readNotifications(page)).join('\n');
      },
      { timeout: 60_000, interval: 2000 },
    )
    .toContain('only explains documents open in the editor');
  expect(await page.locator('.tab[data-resource-name="notes.md"]').count()).toBe(0);
  expect(await page.locator('.tab').filter({ hasText: 'Attention' }).count()).toBe(0);
}, 240_000);
