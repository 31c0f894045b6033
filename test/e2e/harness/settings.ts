import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { runCommand, waitForActiveEditor } from './workbench';

export type Settings = Record<string, unknown>;

export function readSettings(file: string): Settings {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Settings) : {};
}

export function writeSettings(file: string, settings: Settings): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(settings, null, 2));
}

function sameJson(file: string, expected: string): boolean {
  try {
    return JSON.stringify(JSON.parse(fs.readFileSync(file, 'utf8'))) === JSON.stringify(JSON.parse(expected));
  } catch {
    return false; // being written
  }
}

/**
 * code-server does not notice a user settings file changed behind its back (a workspace
 * settings file it does), so a user setting is changed the way a user would: in VS Code's
 * own settings.json editor, saved and closed. VS Code applies it on save.
 */
export async function setUserSetting(page: Page, file: string, key: string, value: unknown, timeout = 15_000): Promise<void> {
  const text = JSON.stringify({ ...readSettings(file), [key]: value }, null, 2);
  await runCommand(page, 'Preferences: Open User Settings (JSON)');
  await waitForActiveEditor(page, 'settings.json', timeout);
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text); // one insertion: no auto-closing of brackets and quotes
  await page.keyboard.press('Control+S');
  const deadline = Date.now() + timeout;
  while (!sameJson(file, text)) {
    if (Date.now() > deadline) throw new Error(`saving ${key} in the user settings did not reach ${file}`);
    await page.waitForTimeout(100);
  }
  await runCommand(page, 'View: Close Editor');
}
