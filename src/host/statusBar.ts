// The status bar item: the model in use (or loading), and the perplexity of the selection.
// Clicking it opens Select Model… (which also leads to the side panel). With a server giving
// token probabilities (modelLens.remote.endpoint), the perplexity is its model's, and the item says so.
// Its words are in VS Code's display language (vscode.l10n); names, numbers and the backend id are not.
// While the active editor shows the token probability heatmap, its tooltip is the heatmap's legend
// too: one item for everything, instead of an item per colour.
import * as vscode from 'vscode';
import { heatmapLegendMarkdown } from './decorations/heatmapLegend';
import type { ModelManager } from './modelManager';
import { perplexity } from './probabilities/tokenInfo';
import type { TokenProbabilities } from './probabilities/tokenProbabilities';
import type { RemoteProbabilities } from './remote/remoteProbabilities';
import { labelText, markdownText } from './text/untrusted';

const SELECTION_DELAY_MS = 300;
/** A status bar item shares one line with everything else: a long model name is cut. */
const STATUS_NAME_LENGTH = 40;
const CLEAR_HEATMAP_COMMAND = 'modelLens.clearTokenHeatmap';

/** Where the status bar learns whether the active editor shows the heatmap (TokenHeatmap). */
export interface HeatmapShown {
  isShown(editor: vscode.TextEditor | undefined): boolean;
  readonly onDidChangeShown: vscode.Event<void>;
}

export class ModelStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('modelLens.status', vscode.StatusBarAlignment.Right, 100);
  private readonly disposables: vscode.Disposable[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private cancel: vscode.CancellationTokenSource | undefined;
  private loading: string | undefined;
  /** The selection's perplexity, formatted; undefined when there is none to show. */
  private perplexity: string | undefined;

  constructor(
    private readonly models: ModelManager,
    private readonly probabilities: TokenProbabilities,
    private readonly remote?: RemoteProbabilities,
    private readonly heatmap?: HeatmapShown,
  ) {
    this.item.name = 'Model Lens';
    this.item.command = 'modelLens.selectModel';
    this.disposables.push(
      this.item,
      models.onDidChangeLoading((name) => {
        this.loading = name;
        this.render();
      }),
      // A model loaded after the selection was made (or another model chosen) owes its own perplexity.
      models.onDidChangeModel(() => this.scheduleSelection()),
      vscode.window.onDidChangeTextEditorSelection(() => this.scheduleSelection()),
      vscode.window.onDidChangeActiveTextEditor(() => this.scheduleSelection()),
    );
    // Another server, model or key: the perplexity shown was another model's.
    // The server names its model with its first answer (a hover's, perhaps).
    if (remote)
      this.disposables.push(
        remote.onDidChange(() => this.scheduleSelection()),
        probabilities.onDidAnalyse(() => remote.serving && this.render()),
      );
    if (heatmap) this.disposables.push(heatmap.onDidChangeShown(() => this.render()));
    this.render();
  }

  /** Shown once Model Lens is in use (a model loading or loaded): a window that never used it keeps its status bar. */
  private render(): void {
    const model = this.models.current;
    const serving = this.remote?.serving;
    if (serving) {
      // The server's model is the one whose perplexity is shown; it is in use without a local model loaded.
      const name = labelText(serving.model, STATUS_NAME_LENGTH);
      this.item.text = `$(telescope) $(cloud) ${name}${this.perplexity ? ` · ppl ${this.perplexity}` : ''}${this.heatmapText()}`;
      this.item.accessibilityInformation = {
        label: `${vscode.l10n.t('Model Lens: {0} on {1}', name, serving.server)}${this.perplexity ? vscode.l10n.t(', perplexity of the selection {0}', this.perplexity) : ''}${this.heatmapLabel()}${vscode.l10n.t('. Opens Select Model.')}`,
        role: 'button',
      };
      this.item.tooltip = this.tooltip([
        vscode.l10n.t(
          '**Model Lens** · token probabilities from {0} on the server {1} (modelLens.remote.endpoint).',
          markdownText(serving.model),
          markdownText(serving.server),
        ),
        this.perplexity ? `\n\n${vscode.l10n.t('Perplexity of the selection: how surprised that model was, on average, by its tokens (1 = not at all).')}` : '',
        `\n\n${model ? vscode.l10n.t("Views of the model's insides use the local model, {0}. Click to choose it, or open the side panel.", markdownText(model.name)) : vscode.l10n.t("Views of the model's insides use the local model. Click to choose it, or open the side panel.")}`,
      ]);
      this.item.show();
      return;
    }
    if (!this.loading && !model) {
      this.item.hide();
      return;
    }
    // The name comes from the model's config.json or folder: shown as text, never as icons or Markdown.
    const name = this.loading ? labelText(this.loading, STATUS_NAME_LENGTH) : labelText(model!.name, STATUS_NAME_LENGTH);
    // A masked model's probabilities each have their token masked: their perplexity is the
    // pseudo-perplexity of Salazar et al. (2020), not the same quantity as a decoder's.
    const pseudo = model?.predicts === 'masked';
    const perplexityLabel = this.perplexity
      ? pseudo
        ? vscode.l10n.t(', pseudo-perplexity of the selection {0}', this.perplexity)
        : vscode.l10n.t(', perplexity of the selection {0}', this.perplexity)
      : '';
    this.item.text = `$(telescope) ${this.loading ? '$(sync~spin) ' : ''}${name}${this.perplexity ? ` · ${pseudo ? 'pppl' : 'ppl'} ${this.perplexity}` : ''}${this.heatmapText()}`;
    this.item.accessibilityInformation = {
      label: `${this.loading ? vscode.l10n.t('Model Lens: loading {0}', name) : vscode.l10n.t('Model Lens: {0}', name)}${perplexityLabel}${this.heatmapLabel()}${vscode.l10n.t('. Opens Select Model.')}`,
      role: 'button',
    };
    this.item.tooltip = this.tooltip([
      `**Model Lens** · ${model ? vscode.l10n.t('{0}: {1} layers × {2} heads, {3}', markdownText(model.name), model.layers, model.heads, model.backend) : vscode.l10n.t('loading {0}', markdownText(this.loading ?? ''))}`,
      this.perplexity
        ? `\n\n${
            pseudo
              ? vscode.l10n.t('Pseudo-perplexity of the selection: how surprised the model was, on average, by each token when it was masked (1 = not at all).')
              : vscode.l10n.t('Perplexity of the selection: how surprised the model was, on average, by its tokens (1 = not at all).')
          }`
        : '',
      `\n\n${vscode.l10n.t('Click to choose the model, or open the side panel.')}`,
    ]);
    this.item.show();
  }

  private heatmapShown(): boolean {
    return !!this.heatmap?.isShown(vscode.window.activeTextEditor);
  }

  /** A word in the item that says its tooltip now holds the heatmap's legend. */
  private heatmapText(): string {
    return this.heatmapShown() ? ' · $(symbol-color) heatmap' : '';
  }

  private heatmapLabel(): string {
    return this.heatmapShown() ? ', token probability heatmap shown, its legend in the tooltip' : '';
  }

  /** The tooltip from its paragraphs, with the heatmap's legend after them while it is shown. */
  private tooltip(paragraphs: string[]): vscode.MarkdownString {
    if (!this.heatmapShown()) return new vscode.MarkdownString(paragraphs.join(''));
    // HTML for the legend's coloured bands only: every other text in it went through markdownText,
    // which escapes `<`, so no tag can come from a model's name.
    const tooltip = new vscode.MarkdownString([...paragraphs, '\n\n---\n\n', heatmapLegendMarkdown(CLEAR_HEATMAP_COMMAND)].join(''));
    tooltip.supportHtml = true;
    tooltip.isTrusted = { enabledCommands: [CLEAR_HEATMAP_COMMAND] };
    return tooltip;
  }

  private scheduleSelection(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.updatePerplexity(), SELECTION_DELAY_MS);
  }

  private async updatePerplexity(): Promise<void> {
    this.cancel?.cancel();
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.selection.isEmpty || (!this.models.current && !this.remote?.enabled)) {
      this.perplexity = undefined;
      this.render();
      return;
    }
    const cancel = (this.cancel = new vscode.CancellationTokenSource());
    const doc = editor.document;
    try {
      const tokens = await this.probabilities.tokensIn(doc, doc.offsetAt(editor.selection.start), doc.offsetAt(editor.selection.end), cancel.token);
      if (cancel.token.isCancellationRequested) return;
      const ppl = perplexity(tokens);
      this.perplexity = ppl === undefined ? undefined : ppl < 100 ? ppl.toFixed(1) : String(Math.round(ppl));
    } catch {
      this.perplexity = undefined;
    }
    this.render();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.cancel?.cancel();
    for (const d of this.disposables) d.dispose();
  }
}
