import fs from 'node:fs';
import path from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';
import { TEST_OUTPUT } from './paths';

const QUICK_INPUT = '.quick-input-widget';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The quick-pick rows whose label is exactly `label`. */
function quickPickRow(page: Page, label: string): Locator {
  return page
    .locator(`${QUICK_INPUT} .monaco-list-row[role="option"]`)
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) });
}

/**
 * Presses `key` until the quick input shows: right after start-up a key press can land
 * before the workbench has registered its keybindings, and is then lost.
 */
export async function openQuickInput(page: Page, key: string, timeout = 15_000): Promise<Locator> {
  const input = page.locator(`${QUICK_INPUT} input`);
  const deadline = Date.now() + timeout;
  for (;;) {
    await page.keyboard.press(key);
    try {
      await input.waitFor({ state: 'visible', timeout: 2_000 });
      return input;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${key} did not open the quick input`, { cause: error });
    }
  }
}

/**
 * Types `value` into the quick input that `key` opens and picks the row labelled `label`.
 * The list filters asynchronously as the text arrives, so the row is waited for and
 * clicked rather than trusting whichever row has focus when Enter would be pressed.
 */
async function pick(page: Page, key: string, value: string, label: string, timeout: number): Promise<void> {
  let input = await openQuickInput(page, key, timeout);
  try {
    await input.fill(value, { timeout: 5_000 });
  } catch {
    // Closed between opening and typing (a panel or editor took the focus as it settled): open it again.
    input = await openQuickInput(page, key, timeout);
    await input.fill(value);
  }
  const row = quickPickRow(page, label).first();
  try {
    await row.waitFor({ state: 'visible', timeout });
  } catch {
    const shown = await page.locator(`${QUICK_INPUT} .monaco-list-row`).allInnerTexts();
    await page.keyboard.press('Escape');
    throw new Error(`"${label}" is not offered for "${value}"; the list shows: ${JSON.stringify(shown)}`);
  }
  await row.click();
  // Gone when the quick input closes, or when the command opens a quick pick of its own.
  await row.waitFor({ state: 'hidden', timeout });
}

/** Runs a command by its palette title, e.g. 'Model Lens: Explain Attention'. */
export async function runCommand(page: Page, title: string, timeout = 15_000): Promise<void> {
  await pick(page, 'F1', `>${title}`, title, timeout);
}

/** Opens a workspace file with Quick Open and waits until its editor has focus. */
export async function openFile(page: Page, relativePath: string, timeout = 15_000): Promise<void> {
  const name = path.posix.basename(relativePath);
  await pick(page, 'Control+P', relativePath, name, timeout);
  await waitForActiveEditor(page, name, timeout);
}

/** Waits until the active tab shows the file called `name` and its text editor has focus. */
export async function waitForActiveEditor(page: Page, name: string, timeout = 15_000): Promise<void> {
  const group = page.locator('.editor-group-container.active');
  await group.locator(`.tab.active[data-resource-name="${name}"]`).waitFor({ timeout });
  await group.locator('.editor-instance > .monaco-editor.focused').waitFor({ timeout });
}

const TOAST = '.notifications-toasts .notification-toast';
const TOAST_MESSAGE = `${TOAST} .notification-list-item-message`;
// Toasts slide in; once this class is set the toast is at rest (and screenshots are stable).
const SETTLED_TOAST_MESSAGE = `${TOAST}.notification-fade-in-done .notification-list-item-message`;

/** The texts of the notification toasts on screen now. */
export async function readNotifications(page: Page): Promise<string[]> {
  const texts = await page.locator(TOAST_MESSAGE).allInnerTexts();
  return texts.map((text) => text.trim()).filter((text) => text !== '');
}

/** Waits for a notification toast containing `text` and returns its full text. */
export async function waitForNotification(page: Page, text: string | RegExp, timeout = 30_000): Promise<string> {
  const toast = page.locator(SETTLED_TOAST_MESSAGE).filter({ hasText: text }).first();
  try {
    await toast.waitFor({ state: 'visible', timeout });
  } catch {
    const shown = await readNotifications(page);
    throw new Error(`no notification matching ${String(text)}; shown: ${JSON.stringify(shown)}`);
  }
  return (await toast.innerText()).trim();
}

/**
 * The frame that contains `selector`. A webview's document sits two iframes deep
 * (the webview host frame, then the content frame), created when the panel opens.
 */
export async function findWebviewFrame(page: Page, selector: string, timeout = 30_000): Promise<Frame> {
  const deadline = Date.now() + timeout;
  for (;;) {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame() || frame.isDetached()) continue;
      const count = await frame
        .locator(selector)
        .count()
        .catch(() => 0); // the frame may navigate meanwhile
      if (count > 0) return frame;
    }
    if (Date.now() > deadline) {
      const urls = page.frames().map((frame) => frame.url());
      throw new Error(`no frame contains ${selector} after ${timeout} ms; frames: ${JSON.stringify(urls)}`);
    }
    await page.waitForTimeout(200);
  }
}

/** Saves a PNG of the whole window to test-output/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(TEST_OUTPUT, `${name}.png`);
  fs.mkdirSync(TEST_OUTPUT, { recursive: true });
  await page.screenshot({ path: file });
  return file;
}
