import type { Locator, Page } from 'playwright-core';
import type { DomElement } from './dom';
import { openQuickInput } from './workbench';

// Positions are 1-based lines and columns as VS Code's status bar shows them ("Ln 3, Col 5").
// Columns count characters in files indented with spaces (the status bar counts a tab as
// several columns).

/** The text editor of the active editor group. */
export function activeEditor(page: Page): Locator {
  return page.locator('.editor-group-container.active .editor-instance > .monaco-editor').first();
}

const CURSOR_STATUS = '[id="status.editor.selection"]';

async function cursorStatus(page: Page, pattern: RegExp, timeout = 10_000): Promise<string> {
  const item = page.locator(CURSOR_STATUS).filter({ hasText: pattern });
  try {
    await item.waitFor({ timeout });
  } catch {
    const now = await page.locator(CURSOR_STATUS).innerText().catch(() => '(no cursor status)');
    throw new Error(`cursor status should match ${pattern}, is "${now}"`);
  }
  return item.innerText();
}

/** Moves the cursor with Go to Line (Ctrl+G, "line:column") and waits until it is there. */
export async function goToPosition(page: Page, line: number, column = 1): Promise<void> {
  const input = await openQuickInput(page, 'Control+G');
  await input.fill(`:${line}:${column}`);
  // The picker describes the position once it has parsed the text; accept only then.
  await page.locator('.quick-input-widget').filter({ hasText: new RegExp(`Go to line ${line}\\b`) }).waitFor();
  await page.keyboard.press('Enter');
  await cursorStatus(page, new RegExp(`^Ln ${line}, Col ${column}$`));
}

/**
 * Selects from (startLine, startColumn) to (endLine, endColumn), end exclusive, with the
 * keyboard as a user would; the selection is checked against the status bar.
 */
export async function selectRange(
  page: Page,
  startLine: number,
  startColumn: number,
  endLine: number,
  endColumn: number,
): Promise<void> {
  await goToPosition(page, startLine, startColumn);
  const vertical = endLine > startLine ? 'Shift+ArrowDown' : 'Shift+ArrowUp';
  for (let i = 0; i < Math.abs(endLine - startLine); i++) await page.keyboard.press(vertical);
  // Moving vertically keeps the column only where the line is long enough: read where it landed.
  const status = await cursorStatus(page, new RegExp(`^Ln ${endLine}, Col \\d+`));
  const column = Number(/Col (\d+)/.exec(status)![1]);
  const horizontal = endColumn > column ? 'Shift+ArrowRight' : 'Shift+ArrowLeft';
  for (let i = 0; i < Math.abs(endColumn - column); i++) await page.keyboard.press(horizontal);
  const selected = endLine === startLine && endColumn === startColumn ? '$' : ' \\(\\d+ selected\\)';
  await cursorStatus(page, new RegExp(`^Ln ${endLine}, Col ${endColumn}${selected}`));
}

/** Selects whole lines, from the start of `startLine` to the end of `endLine`. */
export async function selectLines(page: Page, startLine: number, endLine: number): Promise<void> {
  await goToPosition(page, startLine, 1);
  for (let i = startLine; i < endLine; i++) await page.keyboard.press('Shift+ArrowDown');
  await page.keyboard.press('Shift+End');
  await cursorStatus(page, new RegExp(`^Ln ${endLine}, Col \\d+ \\(\\d+ selected\\)`));
}

/** Where to point at `text` on screen: the middle of its middle character, or null. */
function locateText(lines: DomElement[], text: string): { x: number; y: number } | null {
  const editorBox = lines[0]?.closest('.monaco-editor')?.getBoundingClientRect();
  const byTop = [...lines].sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
  for (const line of byTop) {
    const index = (line.textContent ?? '').replace(/\u00a0/g, ' ').indexOf(text); // Monaco renders spaces as NBSP
    if (index < 0) continue;
    // The line is split into one span per token: find the text node holding the character.
    const walker = line.ownerDocument.createTreeWalker(line, 4 /* NodeFilter.SHOW_TEXT */);
    let offset = index + Math.floor(text.length / 2);
    let node = walker.nextNode();
    while (node && offset >= (node.nodeValue ?? '').length) {
      offset -= (node.nodeValue ?? '').length;
      node = walker.nextNode();
    }
    if (!node) continue;
    const range = line.ownerDocument.createRange();
    range.setStart(node, offset);
    range.setEnd(node, offset + 1);
    const box = range.getBoundingClientRect();
    if (editorBox && (box.top < editorBox.top || box.bottom > editorBox.bottom)) continue;
    return { x: box.left + box.width / 2, y: box.top + box.height / 2 };
  }
  return null;
}

export interface HoverOptions {
  /** Wait until the hover contains this (hover providers answer one after another). */
  contains?: string | RegExp;
  timeout?: number;
}

/**
 * Points the mouse at the first visible occurrence of `text` in the active editor and
 * returns the text of the hover that appears.
 */
export async function hoverText(page: Page, text: string, options: HoverOptions = {}): Promise<string> {
  const timeout = options.timeout ?? 15_000;
  const editor = activeEditor(page);
  const hover = editor.locator('.monaco-hover:not(.hidden) .monaco-hover-content');
  // Leave any previous hover first, so that the new one is really about `text`.
  await page.mouse.move(0, 0);
  await hover.first().waitFor({ state: 'hidden', timeout });

  const point = await editor.locator('.view-lines .view-line').evaluateAll(locateText, text);
  if (!point) throw new Error(`"${text}" is not visible in the active editor`);
  await page.mouse.move(point.x - 2, point.y);
  await page.mouse.move(point.x, point.y, { steps: 2 }); // Monaco starts hovers on mousemove

  const ready = hover.filter({ hasNotText: /^\s*Loading\.\.\.\s*$/ });
  const expected = options.contains === undefined ? ready : ready.filter({ hasText: options.contains });
  try {
    await expected.first().waitFor({ state: 'visible', timeout });
  } catch {
    const shown = await hover.allInnerTexts();
    const want = options.contains === undefined ? '' : ` containing ${String(options.contains)}`;
    throw new Error(`no hover${want} over "${text}" within ${timeout} ms; shown: ${JSON.stringify(shown)}`);
  }
  return (await hover.allInnerTexts()).join('\n').trim();
}

export interface Decoration {
  /** 'overlay': a box drawn behind the text (a decoration's className, e.g. backgroundColor);
   *  'inline': a span of the text itself (inlineClassName: color, fontWeight, ...). */
  kind: 'overlay' | 'inline';
  line: number;
  /** Its class names, without Monaco's token-colour classes (mtk1, ...). */
  className: string;
  /** Computed, e.g. 'rgba(255, 0, 0, 0.3)'; 'rgba(0, 0, 0, 0)' when it has none. */
  backgroundColor: string;
  /** The decorated text, for inline decorations; '' for overlays. */
  text: string;
}

export interface DecorationFilter {
  /** Keep decorations with a class name starting with this, e.g. 'ced-' (extension decorations). */
  classPrefix?: string;
  backgroundColor?: string;
  /** Read the first text editor even when another editor group (e.g. a webview) is active. */
  anyGroup?: boolean;
}

function collectDecorations(editor: DomElement): Decoration[] {
  const lineAt = new Map<string, number>();
  for (const margin of Array.from(editor.querySelectorAll('.margin-view-overlays > div'))) {
    const number = margin.querySelectorAll('.line-numbers')[0]?.textContent;
    if (number) lineAt.set(margin.style.top, Number(number));
  }
  const style = (element: DomElement) => editor.ownerDocument.defaultView!.getComputedStyle(element);
  const found: Decoration[] = [];
  for (const box of Array.from(editor.querySelectorAll('.view-overlays > div > div'))) {
    found.push({
      kind: 'overlay',
      line: lineAt.get(box.parentElement!.style.top) ?? -1,
      className: box.className,
      backgroundColor: style(box).backgroundColor,
      text: '',
    });
  }
  for (const span of Array.from(editor.querySelectorAll('.view-lines .view-line span span'))) {
    const className = span.className
      .split(' ')
      .filter((name) => name !== '' && !/^mtk(\d+|[ibus])$/.test(name))
      .join(' ');
    if (className === '') continue;
    found.push({
      kind: 'inline',
      line: lineAt.get(span.closest('.view-line')!.style.top) ?? -1,
      className,
      backgroundColor: style(span).backgroundColor,
      text: (span.textContent ?? '').replace(/\u00a0/g, ' '),
    });
  }
  return found.sort((a, b) => a.line - b.line);
}

/**
 * The decorations drawn in the visible part of the active editor (Monaco renders only the
 * lines on screen). VS Code names extension decoration classes `ced-<type>-<n>`.
 */
export async function editorDecorations(page: Page, filter: DecorationFilter = {}): Promise<Decoration[]> {
  // A webview panel beside the editor may hold the focus: then read the first text editor.
  const editor = filter.anyGroup ? page.locator('.editor-group-container .editor-instance > .monaco-editor').first() : activeEditor(page);
  const all = await editor.evaluate(collectDecorations);
  return all.filter(
    (decoration) =>
      (filter.classPrefix === undefined ||
        decoration.className.split(' ').some((name) => name.startsWith(filter.classPrefix!))) &&
      (filter.backgroundColor === undefined || decoration.backgroundColor === filter.backgroundColor),
  );
}
