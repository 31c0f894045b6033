// "Why this token?" in the editor itself: the text before the explained token coloured by each
// token's share of logit(target) − logit(foil) through attention (warm: toward the target, blue:
// toward the foil), the explained token underlined. Escape or closing the panel clears it.
import * as vscode from 'vscode';
import { sourceHoverMarkdown } from '../hover/hoverMarkdown';
import type { WhyView } from '../protocol';
import { SOURCE_LEVELS, sourceLevel, sourceLevelColour } from './sourceColours';

const CONTEXT_KEY = 'modelLens.sourceHighlights';

export class SourceHighlights implements vscode.Disposable {
  /** One per level, −SOURCE_LEVELS..−1 then 1..SOURCE_LEVELS (see slot). */
  private readonly levels: vscode.TextEditorDecorationType[];
  private readonly explainedType: vscode.TextEditorDecorationType;
  private shown: vscode.TextEditor | undefined;

  constructor() {
    this.levels = Array.from({ length: 2 * SOURCE_LEVELS }, (_, i) => {
      const level = i < SOURCE_LEVELS ? i - SOURCE_LEVELS : i - SOURCE_LEVELS + 1;
      const { light, dark } = sourceLevelColour(level);
      return vscode.window.createTextEditorDecorationType({
        light: { backgroundColor: light },
        dark: { backgroundColor: dark },
        // High-contrast themes get an outline whose style tells the sign: solid toward the target, dashed toward the foil.
        outlineColor: new vscode.ThemeColor('contrastActiveBorder'),
        outlineWidth: Math.abs(level) > SOURCE_LEVELS / 2 ? '1px' : '0',
        outlineStyle: level > 0 ? 'solid' : 'dashed',
      });
    });
    this.explainedType = vscode.window.createTextEditorDecorationType({
      borderColor: new vscode.ThemeColor('editorCursor.foreground'),
      borderStyle: 'solid',
      borderWidth: '0 0 2px 0',
      fontWeight: 'bold',
    });
  }

  show(view: WhyView): void {
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === view.document.uri);
    this.clear();
    if (!editor) return;
    const doc = editor.document;
    const range = (start: number, end: number) => new vscode.Range(doc.positionAt(start), doc.positionAt(end));
    const largest = view.sources.reduce((m, s) => Math.max(m, Math.abs(s.value)), 0);
    const target = view.choices.find((c) => c.id === view.target)?.text ?? '';
    const foil = view.choices.find((c) => c.id === view.foil)?.text ?? '';
    const buckets: vscode.DecorationOptions[][] = this.levels.map(() => []);
    for (const s of view.sources) {
      const level = sourceLevel(s.value, largest);
      if (level === 0) continue;
      buckets[slot(level)].push({ range: range(s.start, s.end), hoverMessage: new vscode.MarkdownString(sourceHoverMarkdown(s.text, s.value, target, foil)) });
    }
    buckets.forEach((options, i) => editor.setDecorations(this.levels[i], options));
    editor.setDecorations(this.explainedType, [range(view.token.start, view.token.end)]);
    this.shown = editor;
    void vscode.commands.executeCommand('setContext', CONTEXT_KEY, true);
  }

  clear(): void {
    if (this.shown) {
      for (const type of [...this.levels, this.explainedType]) this.shown.setDecorations(type, []);
      this.shown = undefined;
    }
    void vscode.commands.executeCommand('setContext', CONTEXT_KEY, false);
  }

  dispose(): void {
    this.clear();
    for (const type of [...this.levels, this.explainedType]) type.dispose();
  }
}

/** Where a level's decoration type is in SourceHighlights.levels. */
function slot(level: number): number {
  return level < 0 ? level + SOURCE_LEVELS : level + SOURCE_LEVELS - 1;
}
