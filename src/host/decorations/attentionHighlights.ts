// Attention shown in the editor itself: after the user clicks a token in the attention panel,
// every token of the selection gets a background as strong as the attention the clicked token
// pays it, and the clicked token an outline. Escape or closing the panel clears it.
import * as vscode from 'vscode';
import { attentionHoverMarkdown } from '../hover/hoverMarkdown';
import { levelType, markedTokenType } from './decorationTypes';

/** Attention weights are bucketed: a decoration type has one fixed colour. */
const LEVELS = 10;
const CONTEXT_KEY = 'modelLens.attentionHighlights';

export interface Highlight {
  documentUri: string;
  /** The query token: its range as document offsets, and its text. */
  query: { start: number; end: number; text: string };
  /** Key tokens with their attention weights (already scaled to [0, 1] for display). */
  keys: { start: number; end: number; weight: number; raw: number }[];
  /** Which attention this is (layer and head), in Model Lens' own words. */
  label: string;
}

export class AttentionHighlights implements vscode.Disposable {
  private readonly levels: vscode.TextEditorDecorationType[];
  private readonly queryType: vscode.TextEditorDecorationType;
  private shown: vscode.TextEditor | undefined;

  constructor() {
    this.levels = Array.from({ length: LEVELS }, (_, i) => {
      const alpha = (0.12 + (0.6 * i) / (LEVELS - 1)).toFixed(2);
      // High-contrast themes get an outline whose presence, not its colour, carries the signal.
      return levelType({ light: `rgba(0, 110, 220, ${alpha})`, dark: `rgba(80, 160, 255, ${alpha})` }, i >= LEVELS / 2, 'solid');
    });
    this.queryType = markedTokenType();
  }

  show(highlight: Highlight): void {
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === highlight.documentUri);
    this.clear();
    if (!editor) return;
    const doc = editor.document;
    const range = (start: number, end: number) => new vscode.Range(doc.positionAt(start), doc.positionAt(end));
    const buckets: vscode.DecorationOptions[][] = Array.from({ length: LEVELS }, () => []);
    for (const key of highlight.keys) {
      if (key.weight <= 0.02 || key.end <= key.start) continue;
      const level = Math.min(LEVELS - 1, Math.floor(key.weight * LEVELS));
      const hoverMessage = new vscode.MarkdownString(attentionHoverMarkdown(highlight.query.text, highlight.label, key.raw));
      buckets[level].push({ range: range(key.start, key.end), hoverMessage });
    }
    buckets.forEach((options, i) => editor.setDecorations(this.levels[i], options));
    editor.setDecorations(this.queryType, [range(highlight.query.start, highlight.query.end)]);
    this.shown = editor;
    void vscode.commands.executeCommand('setContext', CONTEXT_KEY, true);
  }

  clear(): void {
    if (this.shown) {
      for (const type of [...this.levels, this.queryType]) this.shown.setDecorations(type, []);
      this.shown = undefined;
    }
    void vscode.commands.executeCommand('setContext', CONTEXT_KEY, false);
  }

  dispose(): void {
    this.clear();
    for (const type of [...this.levels, this.queryType]) type.dispose();
  }
}
