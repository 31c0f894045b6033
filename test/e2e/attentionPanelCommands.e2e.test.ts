// Explain Attention without the palette, and the attention panel's title bar: its default key
// chord (Ctrl+K A) on a selection; Export… (the format picked, then the save dialog) writing what
// the panel shows; Pin keeping a panel's analysis while the next explanation opens a panel of its own,
// and across a window reload.
import fs from 'node:fs';
import path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { findWebviewFrame, openFile, screenshot, selectLines, useVSCode, waitForActiveEditor, waitForNotification } from './harness';
import { chooseQuickPickRow, quickPickRows } from './harness/quickPick';
import { reloadWindow } from './harness/reload';

const code = useVSCode();
let panel: Frame;
/** What the first panel's header says it explained, e.g. "55 explained tokens, 108 before them as context". */
let explained = '';

/** A title-bar action of the editor groups, by the start of its label (its command's title). */
const titleAction = (page: Page, title: string) => page.locator(`.editor-actions a.action-label[aria-label^="${title}"]`);

/** Focuses the attention panel's group: VS Code shows title-bar actions on the active group only. */
const focusPanel = (page: Page, title: string | RegExp) => page.locator('.tabs-container .tab').filter({ hasText: title }).click();

/** The tab titles of the attention panels, in every group. */
const attentionTabs = (page: Page) =>
  page
    .locator('.tabs-container .tab .label-name')
    .filter({ hasText: /^Attention/ })
    .allInnerTexts();

test('Ctrl+K A explains the selected lines', async () => {
  const { page } = code;
  await openFile(page, 'sample.ts');
  await selectLines(page, 17, 21);
  await page.keyboard.press('Control+K');
  await page.keyboard.press('a');
  panel = await findWebviewFrame(page, '.ml-grid', 90_000);
  await panel.locator('.ml-chip').first().waitFor({ timeout: 90_000 });
  // The selection, not the current line: the strip starts at line 17 and runs past it.
  expect(await panel.locator('.ml-chip').first().getAttribute('title')).toContain('export');
  const strip = (await panel.locator('.ml-chip').evaluateAll((chips) => chips.map((c) => c.getAttribute('title') ?? ''))).join(' ');
  expect(strip).toContain('total');
  expect(await attentionTabs(page)).toEqual(['Attention: sample.ts']);
  explained = await panel.locator('.ml-header .ml-dim').filter({ hasText: 'explained token' }).innerText();
  expect(explained).toMatch(/^\d+ explained tokens/);
});

test('Export… in the title bar saves the attention the panel shows as JSON', async () => {
  const { page } = code;
  const exported = path.join(code.workspace, 'attention-sample.ts-L0-H0.json');
  expect(fs.existsSync(exported)).toBe(false);
  await focusPanel(page, 'Attention: sample.ts');
  await titleAction(page, 'Export Attention').click();
  await expect
    .poll(() => quickPickRows(page), { timeout: 15_000 })
    .toEqual([expect.stringContaining('PNG'), expect.stringContaining('JSON'), expect.stringContaining('CSV')]);
  await chooseQuickPickRow(page, 'JSON');
  // The save dialog (a quick input in the browser) suggests the file in the workspace folder.
  const input = page.locator('.quick-input-widget input');
  await expect.poll(() => input.inputValue(), { timeout: 15_000 }).toMatch(/attention-sample\.ts-L0-H0\.json$/);
  await page.keyboard.press('Enter');
  await waitForNotification(page, 'exported attention-sample.ts-L0-H0.json');
  const json = JSON.parse(fs.readFileSync(exported, 'utf8')) as { attention: string; queries: { text: string }[]; weights: number[][] };
  expect(json.attention).toBe('layer 0, head 0');
  expect(json.weights).toHaveLength(json.queries.length);
  // Each query's attention is a distribution over the keys.
  for (const row of json.weights) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
});

test('a pinned panel keeps its analysis; the next explanation opens another', async () => {
  const { page } = code;
  await focusPanel(page, 'Attention: sample.ts');
  await titleAction(page, 'Pin This Attention Panel').click();
  await expect.poll(() => attentionTabs(page)).toEqual(['Attention: sample.ts (pinned)']);
  // The title bar now offers Unpin.
  await titleAction(page, 'Unpin This Attention Panel').waitFor({ timeout: 10_000 });
  await screenshot(page, 'attention-title-bar');

  // Back to the editor (the title bar's clicks may have made the panel's group the active one).
  await page.keyboard.press('Control+1');
  await waitForActiveEditor(page, 'sample.ts');
  await selectLines(page, 24, 26);
  await page.keyboard.press('Control+K');
  await page.keyboard.press('a');
  await expect.poll(() => attentionTabs(page), { timeout: 90_000 }).toEqual(['Attention: sample.ts (pinned)', 'Attention: sample.ts']);
  // The new panel explains the new lines: its header counts other tokens.
  await findWebviewFrame(page, `.ml-header:has-text("explained token"):not(:has-text("${explained}"))`, 90_000);
  // The pinned panel still shows lines 17–21 (a hidden panel's page is made again when shown).
  await focusPanel(page, '(pinned)');
  const pinned = await findWebviewFrame(page, `.ml-header:has-text("${explained}")`, 30_000);
  expect(await pinned.locator('.ml-chip').first().getAttribute('title')).toContain('export');
});

test('a pinned panel is still pinned after the window reloads', async () => {
  const { page } = code;
  await focusPanel(page, '(pinned)');
  const before = await findWebviewFrame(page, `.ml-header:has-text("${explained}")`, 30_000);
  await reloadWindow(page, before, `.ml-header:has-text("${explained}")`, 120_000);
  // The restored panel says so in its tab and still explains lines 17–21; the other one is not pinned.
  await expect.poll(() => attentionTabs(page), { timeout: 60_000 }).toContain('Attention: sample.ts (pinned)');
  expect((await attentionTabs(page)).filter((t) => t.endsWith('(pinned)'))).toHaveLength(1);
  await focusPanel(page, '(pinned)');
  await titleAction(page, 'Unpin This Attention Panel').waitFor({ timeout: 10_000 });
});
