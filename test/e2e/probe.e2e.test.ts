import { expect, test } from 'vitest';
import fs from 'node:fs';
import * as h from './harness';

test('probe', async () => {
  const vsc = await h.startVSCode({ workspace: h.SAMPLE_WORKSPACE, vsixPath: h.VSIX_PATH });
  const { page } = vsc;
  try {
    await h.openFile(page, 'sample.ts');
    vsc.setSetting('editor.lineNumbers', 'off', 'workspace');
    const t = Date.now();
    await expect.poll(() => page.locator('.line-numbers').count(), { timeout: 15000 }).toBe(0);
    console.log('workspace scope took', Date.now() - t);
    vsc.setSetting('editor.fontSize', 20);
    const t2 = Date.now();
    await expect.poll(() => h.activeEditor(page).locator('.view-line').first().evaluate((e: any) => e.style.height), { timeout: 40000 }).toBe('27px');
    console.log('user scope took', Date.now() - t2);
  } finally {
    const logs = fs.readdirSync(vsc.workspace + '/..');
    console.log(logs, fs.readFileSync(vsc.workspace + '/../code-server.log', 'utf8').slice(-3000));
    await vsc.stop();
  }
});
