// The installed extension's page (the Extensions view's Details) shows the README with its
// screenshots: they are packaged with the extension, so the page works offline.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { findWebviewFrame, runCommand, SAMPLE_WORKSPACE, screenshot, startVSCode, type VSCode, VSIX_PATH } from './harness';

let code: VSCode;

beforeAll(async () => {
  code = await startVSCode({ workspace: SAMPLE_WORKSPACE, vsixPath: VSIX_PATH });
});

afterAll(async () => {
  await code?.stop();
});

test("the installed extension's page shows the README and its screenshots", async () => {
  const { page } = code;
  await runCommand(page, 'Extensions: Show Installed Extensions');
  const entry = page.locator('.extension-list-item').filter({ hasText: 'Model Lens' }).first();
  await entry.waitFor({ timeout: 30_000 });
  await entry.click();
  const readme = await findWebviewFrame(page, 'img[src*="screenshots"]', 60_000);
  const images = () =>
    readme.locator('img[src*="screenshots"]').evaluateAll((imgs) =>
      imgs.map((i) => {
        const img = i as unknown as { complete: boolean; naturalWidth: number; getAttribute(name: string): string | null };
        return { src: img.getAttribute('src') ?? '', loaded: img.complete && img.naturalWidth > 0 };
      }),
    );
  await expect.poll(async () => (await images()).length, { timeout: 30_000 }).toBeGreaterThan(10);
  await expect.poll(async () => (await images()).filter((i) => !i.loaded).map((i) => i.src), { timeout: 30_000 }).toEqual([]);
  await screenshot(page, 'extension-page');
});
