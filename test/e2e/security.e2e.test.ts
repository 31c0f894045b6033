// Hostile text is shown as text, never run as HTML; in Restricted Mode a model path from
// workspace settings is not loaded.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { explainLines, modelHover, openFile, readNotifications, SAMPLE_WORKSPACE, screenshot, startVSCode, type VSCode, VSIX_PATH } from './harness';

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
