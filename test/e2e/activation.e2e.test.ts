import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  openFile,
  runCommand,
  SAMPLE_WORKSPACE,
  screenshot,
  selectLines,
  startVSCode,
  VSIX_PATH,
  type VSCode,
} from './harness';

let code: VSCode;

beforeAll(async () => {
  code = await startVSCode({ workspace: SAMPLE_WORKSPACE, vsixPath: VSIX_PATH });
});

afterAll(async () => {
  await code?.stop();
});

test('the installed extension offers Explain Attention in the palette and answers it', async () => {
  const { page } = code;
  await openFile(page, 'sample.ts');
  await selectLines(page, 17, 21);

  // Offered in the palette: contributed by the manifest of the installed .vsix.
  await runCommand(page, 'Model Lens: Explain Attention');

  // Answered: the extension activated and its handler ran. It opens its attention panel, or
  // says in a "Model Lens: ..." notification what stands in the way (e.g. no model yet).
  const panelTab = page.locator('.tabs-container .tab[aria-label^="Attention"]');
  const message = page.locator('.notifications-toasts .notification-list-item-message', { hasText: /^Model Lens:/ });
  const answer = panelTab.or(message).first();
  await answer.waitFor({ timeout: 60_000 });
  expect(await answer.innerText()).toMatch(/^(Attention|Model Lens:)/);

  await screenshot(page, 'activation-explain-attention');
});
