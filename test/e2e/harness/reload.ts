import type { Frame, Page } from 'playwright-core';
import { expect } from 'vitest';
import { findWebviewFrame, runCommand } from './workbench';

/**
 * Runs "Developer: Reload Window" and returns the webview frame that holds `selector` after it.
 * `before` is a panel's page from before the reload: only a page made after it (once that one is
 * gone) says anything about restoring.
 */
export async function reloadWindow(page: Page, before: Frame, selector: string, timeout: number): Promise<Frame> {
  await runCommand(page, 'Developer: Reload Window');
  await expect.poll(() => before.isDetached(), { timeout: 30_000 }).toBe(true);
  return findWebviewFrame(page, selector, timeout);
}
