// The installed extension's page in the Extensions view shows the README with its screenshots:
// that page loads only https: and data: images, so the package carries them inline.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { findWebviewFrame, runCommand, SAMPLE_WORKSPACE, screenshot, startVSCode, type VSCode, VSIX_PATH } from './harness';

let code: VSCode;

/** The part of an image element read here (the tests are compiled without the DOM's types). */
interface Loaded {
  naturalWidth: number;
}

beforeAll(async () => {
  code = await startVSCode({ workspace: SAMPLE_WORKSPACE, vsixPath: VSIX_PATH });
});

afterAll(async () => {
  await code?.stop();
});

test("the extension's page shows the README's screenshots", async () => {
  const { page } = code;
  await runCommand(page, 'Extensions: Show Enabled Extensions');
  await page.locator('.extensions-viewlet .monaco-list-row').filter({ hasText: 'Model Lens' }).first().click();
  // The README is a webview inside the extension's editor.
  const readme = await findWebviewFrame(page, 'img', 60_000);
  await expect.poll(() => readme.locator('img').count(), { timeout: 30_000 }).toBeGreaterThan(10);
  const sources = await readme.locator('img').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('src')?.slice(0, 30) ?? ''));
  expect(sources.every((src) => /^data:image\/(png|gif)/.test(src))).toBe(true);
  // The animated capture of Explain Attention opens the page.
  expect(sources[0]).toMatch(/^data:image\/gif/);
  // Every image decoded: an image the page refused or could not find has no width.
  const unloaded = () => readme.locator('img').evaluateAll((nodes) => nodes.filter((n) => !((n as unknown as Loaded).naturalWidth > 0)).length);
  await expect.poll(unloaded, { timeout: 30_000 }).toBe(0);
  await screenshot(page, 'extension-page');
});
