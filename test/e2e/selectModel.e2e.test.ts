// Model Lens: Select Model… offers the default model and the recent ones, and switching with it
// loads the chosen model (the status bar names it).
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { exists, TINY_GPT2 } from '../helpers/paths';
import { openFile, runCommand, SAMPLE_WORKSPACE, screenshot, startVSCode, type VSCode, VSIX_PATH } from './harness';
import { chooseQuickPickRow as choose, modelInUse, quickPickRows as rows } from './harness/quickPick';

let code: VSCode;

beforeAll(async () => {
  // The fixture is the user's model to begin with: Select Model writes the user setting too.
  if (exists(TINY_GPT2)) code = await startVSCode({ workspace: SAMPLE_WORKSPACE, vsixPath: VSIX_PATH, userSettings: { 'modelLens.modelPath': TINY_GPT2 } });
});

afterAll(async () => {
  await code?.stop();
});

const statusBar = (page: Page) => page.locator('.statusbar').innerText();

test.skipIf(!exists(TINY_GPT2))('switches to the default model and back to a recent one', async () => {
  const { page } = code;
  await openFile(page, 'sample.ts');
  // Nothing asked for Model Lens yet: its status bar item is not there.
  expect(await statusBar(page)).not.toContain('lens-tiny');
  await runCommand(page, 'Model Lens: Open Side Panel');
  // Loaded, not only loading: the recent list is written once it has loaded.
  await expect.poll(() => modelInUse(page), { timeout: 90_000 }).toMatch(/tiny-random-gpt2$/);

  await runCommand(page, 'Model Lens: Select Model…');
  await expect
    .poll(() => rows(page), { timeout: 15_000 })
    .toEqual(
      expect.arrayContaining([
        expect.stringContaining('Default model'),
        expect.stringContaining('tiny-random-gpt2'),
        expect.stringContaining('Browse for a model folder'),
      ]),
    );
  await screenshot(page, 'select-model');
  await choose(page, 'Default model');
  await expect.poll(() => modelInUse(page), { timeout: 90_000 }).toMatch(/lens-tiny$/);

  await runCommand(page, 'Model Lens: Select Model…');
  await expect.poll(() => rows(page), { timeout: 15_000 }).toEqual(expect.arrayContaining([expect.stringMatching(/tiny-random-gpt2/)]));
  await choose(page, 'tiny-random-gpt2');
  await expect.poll(() => modelInUse(page), { timeout: 90_000 }).toMatch(/tiny-random-gpt2$/);
});
