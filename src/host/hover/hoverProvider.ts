// Hovering a token in any document shows what the model thought of it. The answer comes from
// the window cache when it can; otherwise the window is analysed in the engine's worker, and a
// hover that would wait too long says "analysing…" while the work goes on for the next hover.
// While heads are switched off in the attention panel, a token of the text it explains also says
// what that did to its probability.
import * as vscode from 'vscode';
import { readSettings } from '../config';
import type { AblationEffects } from '../decorations/ablationEffect';
import type { ModelManager } from '../modelManager';
import type { TokenInfo } from '../probabilities/documentWindows';
import type { TokenProbabilities } from '../probabilities/tokenProbabilities';
import { ablationHoverLine, hoverMarkdown } from './hoverMarkdown';

/** How long a hover waits for an analysis before answering "analysing…". */
const HOVER_BUDGET_MS = 800;

export class TokenHoverProvider implements vscode.HoverProvider {
  constructor(
    private readonly models: ModelManager,
    private readonly probabilities: TokenProbabilities,
    private readonly ablation: AblationEffects,
  ) {}

  async provideHover(doc: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    // Read for this document: the setting can be turned off per language.
    if (!readSettings(doc).hoverEnabled) return undefined;
    const offset = doc.offsetAt(position);
    const ablated = this.ablationMarkdown(doc, offset);
    const cached = this.probabilities.cachedTokenAt(doc, offset);
    if (cached) return this.hover(doc, cached, ablated);
    // The analysis follows the hover's cancellation only until the hover gives up waiting:
    // once it says "analysing…", the work goes on so that the next hover finds it done.
    const source = new vscode.CancellationTokenSource();
    const link = token.onCancellationRequested(() => source.cancel());
    const work = this.probabilities.tokenAt(doc, offset, source.token);
    const timeout = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), HOVER_BUDGET_MS));
    try {
      const result = await Promise.race([work, timeout]);
      if (result === 'late') {
        work.catch(() => undefined);
        return new vscode.Hover([...ablated, new vscode.MarkdownString('$(sync~spin) **Model Lens** · analysing…', true)]);
      }
      return result && !token.isCancellationRequested ? this.hover(doc, result, ablated) : undefined;
    } catch {
      // Cancelled because the pointer moved, or the model failed (reported where it failed).
      return undefined;
    } finally {
      link.dispose();
    }
  }

  /** The line about the switched-off heads for the token at `offset`, first in the hover; none outside the explained text. */
  private ablationMarkdown(doc: vscode.TextDocument, offset: number): vscode.MarkdownString[] {
    const effect = this.ablation.effect;
    const ablated = this.ablation.tokenAt(doc.uri.toString(), offset);
    return effect && ablated ? [new vscode.MarkdownString(ablationHoverLine(effect, ablated))] : [];
  }

  private hover(doc: vscode.TextDocument, t: TokenInfo, ablated: vscode.MarkdownString[]): vscode.Hover {
    const uri = doc.uri.toString();
    // Each link names this document and nothing else: the commands check their arguments again.
    const explainArgs = encodeURIComponent(JSON.stringify({ uri, line: doc.positionAt(t.start).line }));
    const whyArgs = encodeURIComponent(JSON.stringify({ uri, offset: t.start }));
    const links = { explainLine: `command:modelLens.explainAttention?${explainArgs}`, whyToken: `command:modelLens.whyThisToken?${whyArgs}` };
    const markdown = new vscode.MarkdownString(hoverMarkdown(t, this.models.current?.name ?? 'model', links));
    markdown.isTrusted = { enabledCommands: ['modelLens.explainAttention', 'modelLens.whyThisToken'] };
    return new vscode.Hover([...ablated, markdown], new vscode.Range(doc.positionAt(t.start), doc.positionAt(t.end)));
  }
}
