// The "Model Lens" log: after a model loads, Model Lens: Show Log opens the Output view on it with
// the backend and the load (and none of the document's text); a model that fails to load is
// reported in a notification whose "Show Log" button opens the log with the error.
import type { Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { modelHover, openFile, runCommand, screenshot, useVSCode, waitForNotification, writeBrokenModel } from './harness';

const code = useVSCode();

const OUTPUT_VIEW = '.part.panel [id="workbench.panel.output"]';

/** The channel the Output view shows, as its channel picker names it ('' when the view is hidden). */
async function outputChannel(page: Page): Promise<string> {
  const picker = page.locator(`.part.panel select.monaco-select-box`).first();
  if (!(await picker.isVisible().catch(() => false))) return '';
  return picker
    .evaluate((select) => {
      const { options, selectedIndex } = select as unknown as { options: ArrayLike<{ text: string }>; selectedIndex: number };
      return options[selectedIndex]?.text ?? '';
    })
    .catch(() => '');
}

/**
 * The log lines the Output view's editor shows now ('' when the view is hidden). The editor wraps
 * long lines; each log line starts with its time stamp, so the wrapped parts are joined again.
 */
async function outputText(page: Page): Promise<string> {
  const lines = page.locator(`${OUTPUT_VIEW} .monaco-editor .view-lines`).first();
  if (!(await lines.isVisible().catch(() => false))) return '';
  const shown = await lines.innerText().catch(() => '');
  return shown.replace(/\u00a0/g, ' ').replace(/\n(?!\d{4}-\d\d-\d\d )/g, '');
}

test('Model Lens: Show Log opens the log with the backend and the model that loaded', async () => {
  const { page } = code;
  await openFile(page, 'sample.ts');
  expect(await modelHover(page, 'perCustomer')).toContain('lens-tiny');
  await runCommand(page, 'Model Lens: Show Log');
  await expect.poll(() => outputChannel(page), { timeout: 15_000 }).toBe('Model Lens');
  await expect.poll(() => outputText(page), { timeout: 15_000 }).toMatch(/\[info\] Loaded lens-tiny \(.*model\.onnx\) in \d+(\.\d)? m?s on WebAssembly/);
  const log = await outputText(page);
  expect(log).toMatch(/\[info\] Backend: WebAssembly/);
  // The document's text stays out of the log.
  expect(log).not.toContain('perCustomer');
  await screenshot(page, 'log-loaded');
}, 180_000);

test('a failed load is reported with a Show Log button that opens the log with the error', async () => {
  const { page } = code;
  await runCommand(page, 'View: Hide Panel');
  await expect.poll(() => outputText(page), { timeout: 10_000 }).toBe('');
  await code.setSetting('modelLens.modelPath', writeBrokenModel(code.workspace), 'workspace');
  const message = await waitForNotification(page, /Model Lens: .*broken-model/, 60_000);
  const toast = page
    .locator('.notifications-toasts .notification-toast')
    .filter({ hasText: /broken-model/ })
    .first();
  // The existing buttons stay, with Show Log after them.
  const buttons = (await toast.locator('.notification-list-item-buttons-container .monaco-button').allInnerTexts()).map((b) => b.trim());
  expect(buttons).toEqual(['Open Settings', 'Use Default Model', 'Show Log']);
  await screenshot(page, 'log-error-notification');
  await toast.getByRole('button', { name: 'Show Log' }).click();
  await expect.poll(() => outputChannel(page), { timeout: 15_000 }).toBe('Model Lens');
  await expect.poll(() => outputText(page), { timeout: 15_000 }).toMatch(/\[error\] Loading .*broken-model failed after/);
  const log = await outputText(page);
  const reason = /not valid JSON|not an ONNX model/.exec(message)?.[0];
  expect(reason).toBeDefined();
  expect(log).toContain(`[error] ${message.replace(/^Model Lens: /, '').slice(0, 40)}`);
  expect(log).toContain(reason!);
  await screenshot(page, 'log-error');
  await code.setSetting('modelLens.modelPath', '', 'workspace');
}, 180_000);
