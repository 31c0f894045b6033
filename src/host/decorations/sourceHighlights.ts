// "Why this token?" in the editor itself: the text before the explained token coloured by each
// token's share of logit(target) − logit(foil) through attention (warm: toward the target, blue:
// toward the foil), the explained token underlined. Escape or closing the panel clears it.
import * as vscode from 'vscode';
import { sourceHoverMarkdown } from '../hover/hoverMarkdown';
import type { WhyView } from '../../shared/protocol';
import { markedTokenType } from './decorationTypes';
import { DivergingDecorations } from './divergingDecorations';
import { sourceLevel } from './sourceColours';

const CONTEXT_KEY = 'modelLens.sourceHighlights';

export class SourceHighlights implements vscode.Disposable {
  private readonly levels = new DivergingDecorations();
  private readonly explainedType = markedTokenType();
  private shown: vscode.TextEditor | undefined;

  show(view: WhyView): void {
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === view.document.uri);
    this.clear();
    if (!editor) return;
    const doc = editor.document;
    const range = (start: number, end: number) => new vscode.Range(doc.positionAt(start), doc.positionAt(end));
    const largest = view.sources.reduce((m, s) => Math.max(m, Math.abs(s.value)), 0);
    const target = view.choices.find((c) => c.id === view.target)?.text ?? '';
    const foil = view.choices.find((c) => c.id === view.foil)?.text ?? '';
    const levels = view.sources.map((s) => ({
      level: sourceLevel(s.value, largest),
      options: { range: range(s.start, s.end), hoverMessage: new vscode.MarkdownString(sourceHoverMarkdown(s.text, s.value, target, foil)) },
    }));
    this.levels.set(editor, levels);
    editor.setDecorations(this.explainedType, [range(view.token.start, view.token.end)]);
    this.shown = editor;
    void vscode.commands.executeCommand('setContext', CONTEXT_KEY, true);
  }

  clear(): void {
    if (this.shown) {
      this.levels.clear(this.shown);
      this.shown.setDecorations(this.explainedType, []);
      this.shown = undefined;
    }
    void vscode.commands.executeCommand('setContext', CONTEXT_KEY, false);
  }

  dispose(): void {
    this.clear();
    this.levels.dispose();
    this.explainedType.dispose();
  }
}
