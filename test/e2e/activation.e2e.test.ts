import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  openFile,
  runCommand,
  SAMPLE_WORKSPACE,
  screenshot,
  selectLines,
  startVSCode,
  VSIX_PATH,
  waitForNotification,
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
  // Answered: the extension activated and its command handler ran.
  await runCommand(page, 'Model Lens: Explain Attention');
  const message = await waitForNotification(page, 'Model Lens: Explain Attention');
  expect(message).toBe('Model Lens: Explain Attention is not wired up yet.');

  await screenshot(page, 'activation-explain-attention');
});
