// A head ablation in the editor itself: while heads are switched off in the attention panel, the
// text it explains is coloured by each token's change in log₂ P on the token strip's diverging
// scale (blue: less likely, red: more likely), and a status bar item says what the colours are.
// It lasts as long as the ablation effect (ablationEffect.ts): Reset in the panel clears it.
import * as vscode from 'vscode';
import { affects, readSettings } from '../config';
import { ablationHoverLine } from '../hover/hoverMarkdown';
import type { AblationEffects } from './ablationEffect';
import { DivergingDecorations } from './divergingDecorations';
import { changeLevels } from './sourceColours';

export class AblationDecorations implements vscode.Disposable {
  private readonly levels = new DivergingDecorations();
  private readonly legend: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly effects: AblationEffects) {
    this.legend = vscode.window.createStatusBarItem('modelLens.ablationLegend', vscode.StatusBarAlignment.Right, 95);
    this.legend.name = 'Model Lens heads switched off';
    this.disposables = [
      effects.onDidChange(() => this.draw()),
      // An editor shown again is a new TextEditor, without decorations.
      vscode.window.onDidChangeVisibleTextEditors(() => this.draw()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affects(e, 'hover.enabled')) this.draw();
      }),
    ];
  }

  private draw(): void {
    const effect = this.effects.effect;
    const levels = effect ? changeLevels(effect.tokens.map((t) => t.delta)) : [];
    // The token hover already says what the heads did; the decorations say it only when that hover is off.
    const ownHover = !readSettings().hoverEnabled;
    for (const editor of vscode.window.visibleTextEditors) {
      if (!effect || editor.document.uri.toString() !== effect.documentUri) {
        this.levels.clear(editor);
        continue;
      }
      const doc = editor.document;
      this.levels.set(
        editor,
        effect.tokens.map((t, i) => ({
          level: levels[i],
          options: {
            range: new vscode.Range(doc.positionAt(t.start), doc.positionAt(t.end)),
            hoverMessage: ownHover ? new vscode.MarkdownString(`**Model Lens** · ${ablationHoverLine(effect, t)}`) : undefined,
          },
        })),
      );
    }
    this.updateLegend();
  }

  private updateLegend(): void {
    const effect = this.effects.effect;
    // Shown while the coloured text is on screen: the user switches heads off with the panel focused.
    if (!effect || !vscode.window.visibleTextEditors.some((e) => e.document.uri.toString() === effect.documentUri)) {
      this.legend.hide();
      return;
    }
    const heads = effect.heads.map((h) => `L${h.layer} H${h.head}`).join(', ');
    this.legend.text = `$(debug-disconnect) ${effect.heads.length} head${effect.heads.length === 1 ? '' : 's'} off: blue less likely · red more likely`;
    this.legend.tooltip = `Model Lens: the explained text is coloured by each token's change in log₂ P with ${heads} switched off (${effect.mode} ablation): blue where the token became less likely, red where it became more likely. Reset in the attention panel to switch them back on.`;
    this.legend.show();
  }

  dispose(): void {
    for (const d of [...this.disposables, this.legend, this.levels]) d.dispose();
  }
}
