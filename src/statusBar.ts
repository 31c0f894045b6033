// The status bar item: the model in use (or loading), and the perplexity of the selection.
// Clicking it opens Select Model… (which also leads to the side panel). With a server giving
// token probabilities (modelLens.remote.endpoint), the perplexity is its model's, and the item says so.
import * as vscode from 'vscode';
import type { ModelManager } from './modelManager';
import { perplexity } from './probabilities/tokenInfo';
import type { TokenProbabilities } from './probabilities/tokenProbabilities';
import type { RemoteProbabilities } from './remote/remoteProbabilities';
import { labelText, markdownText } from './text/untrusted';

const SELECTION_DELAY_MS = 300;
/** A status bar item shares one line with everything else: a long model name is cut. */
const STATUS_NAME_LENGTH = 40;

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
    if (remote) this.disposables.push(remote.onDidChange(() => this.scheduleSelection()), probabilities.onDidAnalyse(() => remote.serving && this.render()));
    this.render();
  }

  /** Shown once Model Lens is in use (a model loading or loaded): a window that never used it keeps its status bar. */
  private render(): void {
    const model = this.models.current;
    const serving = this.remote?.serving;
    if (serving) {
      // The server's model is the one whose perplexity is shown; it is in use without a local model loaded.
      const name = labelText(serving.model, STATUS_NAME_LENGTH);
      this.item.text = `$(telescope) $(cloud) ${name}${this.perplexity ? ` · ppl ${this.perplexity}` : ''}`;
      this.item.accessibilityInformation = { label: `Model Lens: ${name} on ${serving.server}${this.perplexity ? `, perplexity of the selection ${this.perplexity}` : ''}. Opens Select Model.`, role: 'button' };
      this.item.tooltip = new vscode.MarkdownString(
        [
          `**Model Lens** · token probabilities from ${markdownText(serving.model)} on the server ${markdownText(serving.server)} (modelLens.remote.endpoint).`,
          this.perplexity ? '\n\nPerplexity of the selection: how surprised that model was, on average, by its tokens (1 = not at all).' : '',
          `\n\nViews of the model's insides use the local model${model ? `, ${markdownText(model.name)}` : ''}. Click to choose it, or open the side panel.`,
        ].join(''),
      );
      this.item.show();
      return;
    }
    if (!this.loading && !model) {
      this.item.hide();
      return;
    }
    // The name comes from the model's config.json or folder: shown as text, never as icons or Markdown.
    const name = this.loading ? labelText(this.loading, STATUS_NAME_LENGTH) : labelText(model!.name, STATUS_NAME_LENGTH);
    this.item.text = `$(telescope) ${this.loading ? '$(sync~spin) ' : ''}${name}${this.perplexity ? ` · ppl ${this.perplexity}` : ''}`;
    this.item.accessibilityInformation = {
      label: `Model Lens: ${this.loading ? `loading ${name}` : name}${this.perplexity ? `, perplexity of the selection ${this.perplexity}` : ''}. Opens Select Model.`,
      role: 'button',
    };
    this.item.tooltip = new vscode.MarkdownString(
      [
        `**Model Lens** · ${model ? `${markdownText(model.name)}: ${model.layers} layers × ${model.heads} heads, ${model.backend}` : `loading ${markdownText(this.loading ?? '')}`}`,
        this.perplexity ? `\n\nPerplexity of the selection: how surprised the model was, on average, by its tokens (1 = not at all).` : '',
        '\n\nClick to choose the model, or open the side panel.',
      ].join(''),
    );
    this.item.show();
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
