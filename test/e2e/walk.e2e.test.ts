// The whole model, step by step, as a user walks it: cursor on a token, the command from the
// palette, then every block in turn, each step's check ✓ (recomputed from the steps before it and
// matching the model's own tensor); the temperature slider reshapes the prediction; after a window
// reload the panel walks the same token again; a head opens in Explain Attention. Then the same
// walk on ONNX Runtime's fused GPT-2 export.
import type { Frame } from 'playwright-core';
import { expect, test } from 'vitest';
import { findWebviewFrame, goToPosition, openFile, runCommand, screenshot, useVSCode, showWalkBlock } from './harness';
import { reloadWindow } from './harness/reload';
import { exists, TINY_GPT2 } from '../helpers/paths';

const COMMAND = 'Model Lens: Walk Through the Transformer (Step by Step)';
const code = useVSCode();
let panel: Frame;

/** The panel's checks: how many, and the text of any that is not ✓. */
async function checks(frame: Frame): Promise<{ count: number; failing: string[] }> {
  const lines = frame.locator('.ml-walk-steps .ml-check');
  return { count: await lines.count(), failing: await frame.locator('.ml-walk-steps .ml-check:not(.ok)').allInnerTexts() };
}

/** Walks every block of the token the panel shows; each must show all 8 checks, each ✓. */
async function expectEveryStepChecked(frame: Frame, layers: number): Promise<void> {
  for (let L = 0; L < layers; L++) {
    await showWalkBlock(code.page, frame, L, layers);
    // H⁰; ln1, resid_mid, ln2, the activation function, resid_post; ln_final and the softmax.
    const { count, failing } = await checks(frame);
    expect(failing, `block ${L}`).toEqual([]);
    expect(count, `block ${L}`).toBe(8);
  }
}

test('walks a token of the default model through every block, each step checked', async () => {
  const { page } = code;
  await openFile(page, 'sample.ts');
  // "ustom" of the second "perCustomer" on line 26.
  await goToPosition(page, 26, 42);
  await runCommand(page, COMMAND);
  panel = await findWebviewFrame(page, '.ml-walk-steps .ml-step', 120_000);
  await expect.poll(() => panel.locator('.ml-walk-title').innerText()).toContain('ustom');
  const steps = await panel.locator('.ml-step h3').allInnerTexts();
  expect(steps.join('\n')).toMatch(/Input representation: H⁰ = E \+ P[\s\S]*Concat of all heads[\s\S]*Feed-forward network[\s\S]*Linear map and softmax/);
  await expectEveryStepChecked(panel, 4);
  // The positional encoding's picture: a similarity matrix of the positions up to the token.
  expect(await panel.locator('.ml-walk-similarity td').count()).toBeGreaterThan(100);
  await panel.locator('.ml-walk-similarity').scrollIntoViewIfNeeded();
  await screenshot(page, 'walk-positions');
  await showWalkBlock(code.page, panel, 1, 4);
  await panel
    .locator('.ml-walk-block h2')
    .first()
    .evaluate((e) => e.scrollIntoView({ block: 'start' }));
  await screenshot(page, 'walk-block');
});

test('the temperature slider sharpens and flattens the prediction', async () => {
  const top = () => panel.locator('.ml-walk-bar-value').first().innerText();
  const atOne = await top();
  const slider = panel.locator('.ml-walk-temperature');
  await slider.scrollIntoViewIfNeeded();
  await slider.fill('0.5');
  const sharp = await top();
  await slider.fill('3');
  const flat = await top();
  const percent = (s: string) => Number(s.replace('%', ''));
  expect(percent(sharp)).toBeGreaterThan(percent(atOne));
  expect(percent(flat)).toBeLessThan(percent(atOne));
  await slider.fill('1');
  await expect.poll(top).toBe(atOne);
  await screenshot(code.page, 'walk-output');
});

test('another token of the same text is walked from the token picker', async () => {
  const before = await panel.locator('.ml-walk-title').innerText();
  await panel.locator('.ml-walk-token').click();
  await code.page.keyboard.press('ArrowUp');
  await code.page.keyboard.press('Enter');
  await expect.poll(() => panel.locator('.ml-walk-title').innerText(), { timeout: 30_000 }).not.toBe(before);
  expect((await checks(panel)).failing).toEqual([]);
});

test('after a window reload the panel walks the same token again', async () => {
  const title = await panel.locator('.ml-walk-title').innerText();
  panel = await reloadWindow(code.page, panel, '.ml-walk-steps .ml-step', 120_000);
  await expect.poll(() => panel.locator('.ml-walk-title').innerText(), { timeout: 60_000 }).toBe(title);
  expect((await checks(panel)).failing).toEqual([]);
}, 180_000);

test('a head button opens that head in Explain Attention', async () => {
  await showWalkBlock(code.page, panel, 2, 4);
  await panel.locator('.ml-walk-heads vscode-button', { hasText: 'Head 1' }).click();
  const attention = await findWebviewFrame(code.page, '.ml-head-view .ml-view-title', 90_000);
  await expect.poll(() => attention.locator('.ml-head-view .ml-view-title').innerText(), { timeout: 60_000 }).toBe('Layer 2, head 1');
  // And back: the math tab's last step leads to the rest of the model for its token.
  await attention.locator('vscode-tab-header[data-tab="math"]').click();
  const next = attention.locator('.ml-math-next vscode-button');
  await next.waitFor({ timeout: 60_000 });
  const token = /follow (.+) through the whole model/.exec(await next.innerText())![1];
  await next.click();
  // The step-by-step panel's page is made again when it is shown again: find it anew.
  await expect
    .poll(async () => (await findWebviewFrame(code.page, '.ml-walk-title', 60_000)).locator('.ml-walk-title').innerText(), { timeout: 60_000 })
    .toContain(token);
});

test.skipIf(!exists(TINY_GPT2))(
  'walks ONNX Runtime’s fused GPT-2 export (EmbedLayerNormalization, SkipLayerNormalization, FastGelu) with every step checked',
  async () => {
    const { page } = code;
    // Its random tokenizer's ids fit the model's 1000-row table only for short words: letters.txt has letters.
    await code.setSetting('modelLens.modelPath', TINY_GPT2, 'workspace');
    // VS Code reads the settings file a moment later; a model already in use is replaced right away.
    await expect.poll(() => page.locator('.statusbar').innerText(), { timeout: 90_000 }).toContain('tiny-random-gpt2');
    await runCommand(page, 'View: Focus First Editor Group');
    await openFile(page, 'letters.txt');
    await goToPosition(page, 1, 27);
    await runCommand(page, COMMAND);
    const frame = await findWebviewFrame(page, '.ml-walk-steps', 120_000);
    // The whole page's text, so that a failure shows what the panel said instead.
    await expect.poll(() => frame.locator('body').innerText(), { timeout: 90_000 }).toMatch(/tiny-random-gpt2: 5 blocks/);
    await expectEveryStepChecked(frame, 5);
    await screenshot(page, 'walk-gpt2-fused');
  },
  240_000,
);
