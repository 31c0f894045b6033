import type { Frame, Page } from 'playwright-core';
import { selectLines } from './editor';
import { findWebviewFrame, openFile, runCommand } from './workbench';

/**
 * Runs "Model Lens: Explain Attention" on lines `first`–`last` of `file` from the command
 * palette, and returns the panel's frame once `selector` shows in it.
 */
export async function explainLines(page: Page, file: string, first: number, last: number, selector: string, timeout: number): Promise<Frame> {
  await openFile(page, file);
  await selectLines(page, first, last);
  await runCommand(page, 'Model Lens: Explain Attention');
  return findWebviewFrame(page, selector, timeout);
}
