// The Getting Started walkthrough: its steps are listed on VS Code's Welcome page, and running a
// step's command marks that step done.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runCommand, SAMPLE_WORKSPACE, screenshot, startVSCode, type VSCode, VSIX_PATH } from './harness';

let code: VSCode;

beforeAll(async () => {
  code = await startVSCode({ workspace: SAMPLE_WORKSPACE, vsixPath: VSIX_PATH });
});

afterAll(async () => {
  await code?.stop();
});

const STEPS = [
  'Explain attention on your own code',
  'Hover a token',
  'See how surprising a text is',
  'Follow the selection in the side panel',
  'Walk through the whole Transformer',
  'Ask why the model predicted a token',
  'Use your own model',
];

test('the Getting Started walkthrough lists its steps and follows the commands run', async () => {
  const { page } = code;
  await runCommand(page, 'Welcome: Open Walkthrough...');
  const row = page.locator('.quick-input-widget .monaco-list-row[role="option"]').filter({ hasText: 'Get started with Model Lens' }).first();
  await row.click();
  const walkthrough = page.locator('.gettingStartedContainer');
  await expect.poll(() => walkthrough.innerText().catch(() => ''), { timeout: 30_000 }).toContain('Get started with Model Lens');
  const text = await walkthrough.innerText();
  for (const step of STEPS) expect(text).toContain(step);
  await screenshot(page, 'walkthrough');
  const done = () => page.locator('.getting-started-step[aria-checked="true"]').allInnerTexts();
  expect((await done()).join('\n')).not.toContain('Use your own model');
  // Running a step's command completes it (the quick pick is closed again without choosing).
  await runCommand(page, 'Model Lens: Select Model…');
  await page.locator('.quick-input-widget .monaco-list-row').first().waitFor();
  await page.keyboard.press('Escape');
  await expect.poll(async () => (await done()).join('\n'), { timeout: 15_000 }).toContain('Use your own model');
});
