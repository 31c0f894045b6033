// VS Code in Chinese (`--locale zh-cn`, no language pack installed): the command palette finds
// Model Lens's commands by their Chinese titles (package.nls.zh-cn.json), and the attention
// panel, the side panel and the status bar item speak Chinese (l10n/bundle.l10n.zh-cn.json, which
// the host hands to the webviews), in the guide's terms.
import type { Frame } from 'playwright-core';
import { expect, test } from 'vitest';
import { findWebviewFrame, openFile, paintedPixels, runCommand, screenshot, selectLines, useVSCode } from './harness';

const code = useVSCode({ locale: 'zh-cn' });

/** The heading texts of `selector` in `frame`, trimmed, line breaks between their parts (a step's number and title) dropped. */
async function texts(frame: Frame, selector: string): Promise<string[]> {
  return (await frame.locator(selector).allInnerTexts()).map((t) => t.replace(/\s*\n\s*/g, '').trim());
}

test('Explain Attention, run by its Chinese title, shows the attention panel in Chinese', async () => {
  const { page } = code;
  await openFile(page, 'sample.ts');
  await selectLines(page, 17, 21);
  await runCommand(page, 'Model Lens: 解释注意力');
  const panel = await findWebviewFrame(page, '.ml-tabs', 60_000);
  await panel.locator('.ml-header .ml-model').waitFor({ timeout: 120_000 });
  expect(await panel.locator('html').getAttribute('lang')).toBe('zh-cn');
  expect(await texts(panel, '.ml-tab-title')).toEqual(['模型视图', '头视图', '数学推导']);
  expect(await panel.locator('.ml-header').innerText()).toMatch(/\d+ 层 × \d+ 个头/);
  expect(await texts(panel, '.ml-field-label')).toEqual(['层', '头', '刻度']);
  expect(await panel.locator('.ml-model-hint').innerText()).toContain('每一层的每一个头');
  await expect.poll(() => paintedPixels(panel, '.ml-model-view canvas'), { timeout: 30_000 }).toBeGreaterThan(1000);
  await screenshot(page, 'chinese-attention-model-view');

  await panel.locator('vscode-tab-header[data-tab="head"]').click();
  await expect.poll(() => panel.locator('.ml-head-view .ml-view-title').innerText(), { timeout: 20_000 }).toMatch(/^第 \d+ 层，(第 \d+ 个头|各头平均)$/);

  await panel.locator('vscode-tab-header[data-tab="math"]').click();
  // Each heading is its number, then its name.
  await expect
    .poll(() => texts(panel, '.ml-math .ml-step h3 > span:last-child'), { timeout: 30_000 })
    .toEqual(['查询、键和值', '得分：QKᵀ / √d_k', '因果掩码：S + M', 'Softmax：A = softmax(S + M)', '输出：z = A·V']);
  expect(await panel.locator('.ml-math-note').innerText()).toMatch(/^表格显示词元/);
  expect(await texts(panel, '.ml-math caption')).toEqual(expect.arrayContaining(['Q（查询）', 'K（键）', 'V（值）', 'A：注意力权重']));
  await screenshot(page, 'chinese-attention-math');
});

test("the side panel's sections are titled in Chinese", async () => {
  const { page } = code;
  // The attention panel beside the editor would take the file; VS Code's own commands keep their
  // English titles, as no pack translates them.
  await runCommand(page, 'View: Close All Editor Groups');
  await openFile(page, 'sample.ts');
  await selectLines(page, 17, 21);
  await runCommand(page, 'Model Lens: 打开侧边面板');
  const side = await findWebviewFrame(page, '.ml-section', 60_000);
  await expect.poll(() => side.locator('.ml-heads-table tbody tr').count(), { timeout: 90_000 }).toBeGreaterThan(3);
  const headings = await side.locator('vscode-collapsible.ml-section').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('heading')));
  expect(headings).toEqual(['模型', '激活值', 'Logit lens（逐层预测）', '注意力头']);
  expect(await side.locator('.ml-header .ml-count').innerText()).toMatch(/^\d+ 个词元$/);
  expect(await side.locator('[data-section="activations"] .ml-caption').innerText()).toContain('残差流');
  expect(await texts(side, '.ml-stat-label')).toEqual(expect.arrayContaining(['架构', '参数量', '层数', '词表']));
  await expect.poll(() => paintedPixels(side, '[data-section="activations"] canvas'), { timeout: 30_000 }).toBeGreaterThan(500);
  await screenshot(page, 'chinese-side-panel');
});

test('the status bar item describes the model in Chinese', async () => {
  const { page } = code;
  // Shown once a model is in use, which the tests above did.
  // The item and the link inside it both carry the label.
  const item = page.locator('.statusbar [aria-label^="Model Lens："]').first();
  await item.waitFor({ timeout: 30_000 });
  expect(await item.getAttribute('aria-label')).toMatch(/^Model Lens：lens-tiny.*。点击打开“选择模型”。$/);
});
