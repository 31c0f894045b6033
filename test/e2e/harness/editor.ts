import type { Locator, Page } from 'playwright-core';
import type { DomElement } from './dom';
import { openQuickInput } from './workbench';

// Positions are 1-based lines and columns as VS Code's status bar shows them ("Ln 3, Col 5").
// Columns count characters in files indented with spaces (the status bar counts a tab as
// several columns).

/** The text editors of the active editor group: the one it shows, and any pane it keeps hidden. */
const GROUP_EDITORS = '.editor-group-container.active .editor-instance > .monaco-editor';
const HOVER = '.monaco-hover:not(.hidden) .monaco-hover-content';

/** The text editor the active editor group shows. */
export function activeEditor(page: Page): Locator {
  return page.locator(GROUP_EDITORS).filter({ visible: true }).first();
}

const CURSOR_STATUS = '[id="status.editor.selection"]';

async function cursorStatus(page: Page, pattern: RegExp, timeout = 10_000): Promise<string> {
  const item = page.locator(CURSOR_STATUS).filter({ hasText: pattern });
  try {
    await item.waitFor({ timeout });
  } catch {
    const now = await page
      .locator(CURSOR_STATUS)
      .innerText()
      .catch(() => '(no cursor status)');
    throw new Error(`cursor status should match ${pattern}, is "${now}"`);
  }
  return item.innerText();
}

/** Moves the cursor with Go to Line (Ctrl+G, "line:column") and waits until it is there. */
export async function goToPosition(page: Page, line: number, column = 1): Promise<void> {
  const input = await openQuickInput(page, 'Control+G');
  await input.fill(`:${line}:${column}`);
  // The picker describes the position once it has parsed the text; accept only then.
  await page
    .locator('.quick-input-widget')
    .filter({ hasText: new RegExp(`Go to line ${line}\\b`) })
    .waitFor();
  await page.keyboard.press('Enter');
  await cursorStatus(page, new RegExp(`^Ln ${line}, Col ${column}$`));
}

/**
 * Selects from (startLine, startColumn) to (endLine, endColumn), end exclusive, with the
 * keyboard as a user would; the selection is checked against the status bar.
 */
export async function selectRange(page: Page, startLine: number, startColumn: number, endLine: number, endColumn: number): Promise<void> {
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

/** Where `text` is on screen, as findText reports it. */
interface TextTarget {
  /** Which of the group's editors shows it (see GROUP_EDITORS). */
  editor: number;
  /** The middle of its middle character. */
  x: number;
  y: number;
  /** Its middle character's line (from the line numbers; -1 without them) and column
   *  (characters before it on the rendered line, plus one). */
  line: number;
  column: number;
  /** What the page has at (x, y) when that is not the text: what would get the mouse instead. */
  covered: string | null;
}

/**
 * Finds the first occurrence of `text` that is on screen in a visible editor, preferring one the
 * mouse can reach (nothing drawn over it, such as sticky scroll). Runs in the page, so it is
 * self-contained.
 */
function findText(editors: DomElement[], text: string): TextTarget | null {
  const describe = (element: DomElement | null): string => {
    if (!element) return 'nothing';
    const name = (e: DomElement) =>
      `${e.tagName.toLowerCase()}${typeof e.className === 'string' && e.className.trim() !== '' ? `.${e.className.trim().split(/\s+/).slice(0, 3).join('.')}` : ''}`;
    return element.parentElement ? `${name(element)} in ${name(element.parentElement)}` : name(element);
  };
  let blocked: TextTarget | null = null;
  for (let e = 0; e < editors.length; e++) {
    const editor = editors[e]!;
    const box = editor.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue; // an editor pane the group keeps hidden
    // The text area without the gutter: a point outside it would hover the line numbers or nothing.
    const area = (editor.querySelectorAll('.editor-scrollable')[0] ?? editor).getBoundingClientRect();
    const lineAt = new Map<string, number>();
    for (const margin of Array.from(editor.querySelectorAll('.margin-view-overlays > div'))) {
      const number = margin.querySelectorAll('.line-numbers')[0]?.textContent;
      if (number) lineAt.set(margin.style.top, Number(number));
    }
    const lines = Array.from(editor.querySelectorAll('.view-lines .view-line'));
    lines.sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
    for (const line of lines) {
      const rendered = (line.textContent ?? '').replace(/\u00a0/g, ' '); // Monaco renders spaces as NBSP
      // The line is split into one span per token: walk its text nodes once, occurrence by occurrence.
      const walker = line.ownerDocument.createTreeWalker(line, 4 /* NodeFilter.SHOW_TEXT */);
      let node = walker.nextNode();
      let nodeStart = 0;
      for (let index = rendered.indexOf(text); index >= 0; index = rendered.indexOf(text, index + 1)) {
        const middle = index + Math.floor(text.length / 2);
        while (node && middle >= nodeStart + (node.nodeValue ?? '').length) {
          nodeStart += (node.nodeValue ?? '').length;
          node = walker.nextNode();
        }
        if (!node) break;
        const range = line.ownerDocument.createRange();
        range.setStart(node, middle - nodeStart);
        range.setEnd(node, middle - nodeStart + 1);
        const char = range.getBoundingClientRect();
        if (char.left > area.right) break; // the rest of the line is scrolled out to the right
        if (char.top < area.top || char.bottom > area.bottom || char.left < area.left || char.right > area.right) continue;
        const x = char.left + char.width / 2;
        const y = char.top + char.height / 2;
        const hit = line.ownerDocument.elementFromPoint(x, y);
        const target = { editor: e, x, y, line: lineAt.get(line.style.top) ?? -1, column: middle + 1, covered: line.contains(hit) ? null : describe(hit) };
        if (target.covered === null) return target;
        blocked ??= target;
      }
    }
  }
  return blocked;
}

/** The pages whose last hover was shown from the keyboard. */
const keyboardHovers = new WeakSet<Page>();

/** How long the mouse gets to bring up a hover (any, even "Loading...") before the keyboard is used. */
const MOUSE_HOVER_MS = 5_000;

/**
 * Shows the hover at `target` from the keyboard: the cursor goes there with Go to Line, and
 * Show or Focus Hover (Ctrl+K Ctrl+I) asks the same hover providers as the mouse does.
 */
async function keyboardHover(page: Page, target: TextTarget): Promise<void> {
  if (target.line < 0) throw new Error('the editor shows no line numbers to go to');
  await goToPosition(page, target.line, target.column);
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+I');
}

export interface HoverOptions {
  /** Wait until the hover contains this (hover providers answer one after another). */
  contains?: string | RegExp;
  timeout?: number;
}

/**
 * Points the mouse at the first visible occurrence of `text` in the active editor and returns
 * the text of the hover that appears. When the mouse cannot reach the text, or brings up no hover
 * at all, the hover is shown from the keyboard instead (the cursor moves to the text); the error
 * then says why.
 */
export async function hoverText(page: Page, text: string, options: HoverOptions = {}): Promise<string> {
  const timeout = options.timeout ?? 15_000;
  const deadline = Date.now() + timeout;
  const editors = page.locator(GROUP_EDITORS);
  // Leave any previous hover first, so that the new one is really about `text`. One shown from
  // the keyboard need not follow the mouse: Escape closes it.
  await page.mouse.move(0, 0);
  const previous = editors.locator(HOVER).first();
  if (keyboardHovers.has(page)) {
    keyboardHovers.delete(page);
    const left = await previous.waitFor({ state: 'hidden', timeout: Math.min(2_000, timeout) }).then(
      () => true,
      () => false,
    );
    if (!left) await page.keyboard.press('Escape');
  }
  await previous.waitFor({ state: 'hidden', timeout: Math.max(1_000, deadline - Date.now()) });

  const target = await editors.evaluateAll(findText, text);
  if (!target) throw new Error(`"${text}" is not visible in the active editor`);
  const hover = editors.nth(target.editor).locator(HOVER);
  let how = 'mouse';
  if (target.covered === null) {
    await page.mouse.move(target.x - 2, target.y);
    await page.mouse.move(target.x, target.y, { steps: 2 }); // Monaco starts hovers on mousemove
    const wait = Math.min(MOUSE_HOVER_MS, timeout / 2);
    const shown = await hover
      .first()
      .waitFor({ state: 'visible', timeout: wait })
      .then(
        () => true,
        () => false,
      );
    if (!shown) how = `keyboard: the mouse at (${target.x.toFixed(0)}, ${target.y.toFixed(0)}) brought up no hover in ${wait} ms`;
  } else {
    how = `keyboard: the mouse would land on ${target.covered}`;
  }
  if (how !== 'mouse') {
    keyboardHovers.add(page);
    try {
      await keyboardHover(page, target);
    } catch (error) {
      throw new Error(`no hover over "${text}" (${how}; Ln ${target.line}, Col ${target.column}: ${(error as Error).message})`);
    }
  }

  const ready = hover.filter({ hasNotText: /^\s*Loading\.\.\.\s*$/ });
  const expected = options.contains === undefined ? ready : ready.filter({ hasText: options.contains });
  try {
    await expected.first().waitFor({ state: 'visible', timeout: Math.max(1_000, deadline - Date.now()) });
  } catch {
    const shown = await hover.allInnerTexts();
    const want = options.contains === undefined ? '' : ` containing ${String(options.contains)}`;
    throw new Error(`no hover${want} over "${text}" (${how}) within ${timeout} ms; shown: ${JSON.stringify(shown)}`);
  }
  // Said in the test's output: each time the mouse fails is a clue to why it does.
  if (how !== 'mouse') console.warn(`hover over "${text}" shown from the ${how}`);
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
      (filter.classPrefix === undefined || decoration.className.split(' ').some((name) => name.startsWith(filter.classPrefix!))) &&
      (filter.backgroundColor === undefined || decoration.backgroundColor === filter.backgroundColor),
  );
}
