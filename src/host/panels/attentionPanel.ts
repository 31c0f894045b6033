// The "Explain Attention" webview panels: one per editor column, reused by the next explanation
// in that column unless pinned (a pinned panel keeps its analysis and the next one opens a new
// panel), restored after a window reload. Answers the panel's requests: highlight a token's
// attention in the editor, a head's Q/K/V for the math view, exports (from its toolbar or the
// title bar's Export…), and the text run again with heads switched off (whose effect the editor
// shows too, until the panel resets).
import * as vscode from 'vscode';
import type { AblatedToken, AblationEffects } from '../decorations/ablationEffect';
import type { AttentionHighlights } from '../decorations/attentionHighlights';
import { errorMessage, ModelLensError } from '../../engine/errors';
import type { Analysis, AnalyzeOptions } from '../../engine/types';
import { choiceName } from '../../shared/attentionChoice';
import {
  parseFromAttentionPanel,
  type AttentionView,
  type ExportFormat,
  type FromAttentionPanel,
  type GpuAdapterInfo,
  type HeadChoice,
  type ToAttentionPanel,
} from '../../shared/protocol';
import { setUpWebview } from '../webviewSetup';
import { fileNamePart, pngBytes, saveExport } from './exportFile';
import { besideColumn } from './singletonPanel';
import { WebviewChannel } from './webviewChannel';
import { attentionCsv, attentionJson, attentionMatrix, buildAttentionView, headAblation, headDetail, logProbChange, type ExplainedText } from './attentionView';

/** Runs the model in use (ModelManager.analyze). */
export type AnalyzeText = (text: string, options: AnalyzeOptions, token?: vscode.CancellationToken) => Promise<Analysis>;

export const ATTENTION_VIEW_TYPE = 'modelLens.attention';
/** Context key: the active attention panel is pinned (the title bar offers Unpin instead of Pin). */
const PINNED_CONTEXT = 'modelLens.attentionPanelPinned';

const EXPORT_CHOICES: (vscode.QuickPickItem & { format: ExportFormat })[] = [
  { format: 'png', label: 'PNG', description: 'image', detail: 'The heatmap on screen: every head in the model view, else the head shown.' },
  { format: 'json', label: 'JSON', description: 'attention weights', detail: 'The attention of the layer and head shown, with the tokens.' },
  { format: 'csv', label: 'CSV', description: 'attention weights', detail: 'The attention of the layer and head shown, one row per query token.' },
];

class AttentionPanel {
  private explained: { text: ExplainedText; view: AttentionView } | undefined;
  /** On `ready` (the panel was hidden, or the window reloaded) it gets what the panel shows again. */
  private readonly channel = new WebviewChannel<ToAttentionPanel>(
    (message) => void this.panel.webview.postMessage(message),
    () => this.explained && { type: 'show', view: this.explained.view },
  );
  /** The ablation run in flight: a newer request (or another text) cancels it. */
  private ablating: vscode.CancellationTokenSource | undefined;
  /** Kept out of reuse: Explain Attention opens a new panel rather than replace this one's analysis. */
  private pinnedState = false;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly highlights: AttentionHighlights,
    private readonly onGpuAdapter: (adapter: GpuAdapterInfo) => void,
    private readonly analyze: AnalyzeText,
    private readonly ablation: AblationEffects,
    private readonly onDispose: () => void,
  ) {
    panel.webview.onDidReceiveMessage((raw) => {
      const message = parseFromAttentionPanel(raw);
      if (message) void this.handle(message);
    });
    panel.onDidDispose(() => {
      this.ablating?.cancel();
      this.highlights.clear();
      this.ablation.clear(this);
      this.onDispose();
    });
  }

  private post(message: ToAttentionPanel): void {
    this.channel.post(message);
  }

  loading(text: string): void {
    this.post({ type: 'loading', text });
  }

  error(message: string): void {
    this.post({ type: 'error', message });
  }

  show(text: ExplainedText): void {
    const view = buildAttentionView(text);
    this.ablating?.cancel();
    this.explained = { text, view };
    this.showTitle();
    this.highlights.clear();
    this.ablation.clear(this);
    this.post({ type: 'show', view });
  }

  focus(layer: number, head: number): void {
    this.post({ type: 'focus', layer, head });
  }

  get pinned(): boolean {
    return this.pinnedState;
  }

  set pinned(pinned: boolean) {
    this.pinnedState = pinned;
    this.showTitle();
    this.post({ type: 'pinned', pinned });
  }

  /** The tab says which document it explains, and whether it is pinned. */
  private showTitle(): void {
    const name = this.explained?.text.document.name;
    this.panel.title = `${name ? `Attention: ${name}` : 'Attention'}${this.pinnedState ? ' (pinned)' : ''}`;
  }

  /**
   * Asks the panel to export what it shows in `format`: it knows the layer, head and view on
   * screen (and draws the PNG), and answers with the same `export` message as its own buttons.
   */
  requestExport(format: ExportFormat): boolean {
    if (!this.explained) return false;
    // Straight to the page, not through the channel: a page that does not listen yet has nothing to export.
    void this.panel.webview.postMessage({ type: 'requestExport', format } satisfies ToAttentionPanel);
    return true;
  }

  private async handle(message: FromAttentionPanel): Promise<void> {
    if (message.type === 'ready') {
      this.channel.ready();
      return;
    }
    if (message.type === 'clearSelection') {
      this.highlights.clear();
      return;
    }
    if (message.type === 'gpuAdapter') {
      if (message.adapter) this.onGpuAdapter(message.adapter);
      return;
    }
    const explained = this.explained;
    if (!explained || explained.view.id !== message.id) return;
    switch (message.type) {
      case 'selectToken':
        this.highlightToken(explained.view, message.query, message.layer, message.head);
        return;
      case 'requestHeadDetail': {
        const detail = headDetail(explained.text, message.layer, message.head);
        const { request, layer, head } = message;
        const reply: ToAttentionPanel = detail
          ? { type: 'headDetail', request, detail }
          : { type: 'headDetailError', request, message: `Layer ${layer} gives no Q, K and V for head ${head}: ${this.sourceReason(layer)}` };
        void this.panel.webview.postMessage(reply);
        return;
      }
      case 'export':
        await this.export(explained.view, message);
        return;
      case 'ablate':
        await this.ablate(explained, message);
        return;
      case 'resetAblation':
        this.ablating?.cancel();
        this.ablation.clear(this);
        return;
      case 'walkToken': {
        const token = explained.view.tokens[message.query];
        if (token && !token.special)
          void vscode.commands.executeCommand('modelLens.walkTransformer', { uri: explained.view.document.uri, offset: token.start });
        return;
      }
    }
  }

  /** Runs the explained text again with the heads switched off and sends each token's change. */
  private async ablate(
    { text: explained, view }: { text: ExplainedText; view: AttentionView },
    message: FromAttentionPanel & { type: 'ablate' },
  ): Promise<void> {
    this.ablating?.cancel();
    // The editor shows what the heads switched off before did: no longer what the panel asks about.
    this.ablation.clear(this);
    const { id, heads, mode } = message;
    const interventions = headAblation(explained.info, heads, mode);
    const fail = (text: string) => void this.panel.webview.postMessage({ type: 'ablationError', id, message: text } satisfies ToAttentionPanel);
    if (typeof interventions === 'string') return fail(interventions);
    if (!interventions.length) return;
    const cancel = new vscode.CancellationTokenSource();
    this.ablating = cancel;
    try {
      const ablated = await this.analyze(explained.text, { interventions }, cancel.token);
      if (cancel.token.isCancellationRequested) return;
      const clean = explained.analysis;
      // The model in use may have changed since the text was explained: its numbers would not compare.
      if (ablated.modelName !== clean.modelName || ablated.tokens.length !== clean.tokens.length)
        return fail('The model changed since this text was explained: run Explain Attention again.');
      const delta = logProbChange(clean.prob, ablated.prob);
      if (stillHolds(explained)) this.ablation.set(this, { documentUri: view.document.uri, heads, mode, tokens: ablatedTokens(view, ablated.prob, delta) });
      const reply: ToAttentionPanel = { type: 'ablation', id, heads, mode, prob: ablated.prob.slice().buffer, delta: delta.buffer as ArrayBuffer };
      void this.panel.webview.postMessage(reply);
    } catch (e) {
      if (!cancel.token.isCancellationRequested) fail(e instanceof ModelLensError ? e.userMessage : errorMessage(e));
    } finally {
      if (this.ablating === cancel) this.ablating = undefined;
      cancel.dispose();
    }
  }

  private sourceReason(layer: number): string {
    const source = this.explained?.text.info.layerInfo[layer]?.attention;
    return source?.kind === 'unavailable' ? source.reason : 'the model does not expose them.';
  }

  private highlightToken(view: AttentionView, query: number, layer: number, head: HeadChoice): void {
    const row = query - view.queryStart;
    const matrix = attentionMatrix(view, layer, head);
    if (!matrix || row < 0 || row >= view.queryCount) return;
    const keys = view.tokens.length;
    const weights = matrix.subarray(row * keys, (row + 1) * keys);
    // Strength is relative to the strongest key inside the selection, so a sink elsewhere does not wash it out.
    let max = 0;
    for (let k = view.queryStart; k < keys; k++) max = Math.max(max, weights[k]);
    const q = view.tokens[query];
    this.highlights.show({
      documentUri: view.document.uri,
      query: { start: q.start, end: q.end, text: q.text },
      label: choiceName(layer, head),
      keys: view.tokens.slice(view.queryStart).map((t, i) => {
        const raw = weights[view.queryStart + i];
        return { start: t.start, end: t.end, raw, weight: max > 0 ? raw / max : 0 };
      }),
    });
  }

  private async export(view: AttentionView, message: FromAttentionPanel & { type: 'export' }): Promise<void> {
    const headName = typeof message.head === 'number' ? `H${message.head}` : message.head;
    const what = message.format === 'png' && message.scope === 'grid' ? 'all-heads' : `L${message.layer}-${headName}`;
    const base = `attention-${fileNamePart(view.document.name)}-${what}`;
    let content: Uint8Array | undefined;
    if (message.format === 'png') content = pngBytes(message.png!);
    else {
      const text = message.format === 'json' ? attentionJson(view, message.layer, message.head) : attentionCsv(view, message.layer, message.head);
      content = text === undefined ? undefined : new TextEncoder().encode(text);
    }
    if (!content) {
      void vscode.window.showWarningMessage('Model Lens: this layer has no attention to export.');
      return;
    }
    await saveExport(base, message.format, content, 'Export attention');
  }
}

/**
 * Whether the document still holds the analysed text where it was: only then do the view's
 * offsets point at the tokens the ablation changed.
 */
function stillHolds(explained: ExplainedText): boolean {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === explained.document.uri);
  if (!doc) return false;
  const start = doc.positionAt(explained.baseOffset);
  return doc.getText(new vscode.Range(start, doc.positionAt(explained.baseOffset + explained.text.length))) === explained.text;
}

/** The explained tokens (not the context before them) with their probabilities in both runs. */
function ablatedTokens(view: AttentionView, ablated: Float32Array, delta: Float32Array): AblatedToken[] {
  const tokens: AblatedToken[] = [];
  for (let i = view.queryStart; i < view.queryStart + view.queryCount; i++) {
    const t = view.tokens[i];
    if (!t.special && t.end > t.start) tokens.push({ start: t.start, end: t.end, clean: t.prob ?? NaN, ablated: ablated[i], delta: delta[i] });
  }
  return tokens;
}

export class AttentionPanels implements vscode.Disposable {
  private readonly panels = new Set<AttentionPanel>();
  /** The panel focused last, for title-bar commands on a panel that is not (see target()). */
  private lastActive: AttentionPanel | undefined;
  private nextId = 1;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly highlights: AttentionHighlights,
    private readonly onGpuAdapter: (adapter: GpuAdapterInfo) => void,
    private readonly analyze: AnalyzeText,
    private readonly ablation: AblationEffects,
  ) {}

  newId(): number {
    return this.nextId++;
  }

  private configure(panel: vscode.WebviewPanel): AttentionPanel {
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.svg');
    setUpWebview(panel.webview, this.extensionUri, 'attention', 'Model Lens attention');
    const wrapped = new AttentionPanel(panel, this.highlights, this.onGpuAdapter, this.analyze, this.ablation, () => {
      this.panels.delete(wrapped);
      if (this.lastActive === wrapped) this.lastActive = undefined;
      this.updatePinnedContext();
    });
    panel.onDidChangeViewState(() => {
      if (panel.active) this.lastActive = wrapped;
      this.updatePinnedContext();
    });
    this.panels.add(wrapped);
    this.updatePinnedContext();
    return wrapped;
  }

  /**
   * The panel a title-bar or palette command is about; VS Code passes nothing that names it. The
   * title bar shows its actions on the active group, so usually the focused panel; else (actions
   * shown on every group, workbench.editor.alwaysShowEditorActions) the visible one focused last,
   * else any visible one.
   */
  private target(): AttentionPanel | undefined {
    const visible = [...this.panels].filter((p) => p.panel.visible);
    return visible.find((p) => p.panel.active) ?? visible.find((p) => p === this.lastActive) ?? visible[0];
  }

  /** The title bar's Pin or Unpin follows the panel it is about. */
  private updatePinnedContext(): void {
    void vscode.commands.executeCommand('setContext', PINNED_CONTEXT, !!this.target()?.pinned);
  }

  /** Pin (or unpin) the attention panel: a pinned one is not reused by Explain Attention. */
  setPinned(pinned: boolean): void {
    const panel = this.target();
    if (!panel) return;
    panel.pinned = pinned;
    this.updatePinnedContext();
  }

  /** Export… from the title bar: the format picked, then what the panel shows. */
  async exportShown(): Promise<void> {
    const panel = this.target();
    if (!panel) return;
    const choice = await vscode.window.showQuickPick(EXPORT_CHOICES, { title: 'Export attention', placeHolder: 'Export what this panel shows as…' });
    if (!choice) return;
    if (!panel.requestExport(choice.format)) void vscode.window.showInformationMessage('Model Lens: this panel has no analysis to export yet.');
  }

  /** The unpinned panel in the column beside `editorColumn`, created (as a new tab there) if there is none. */
  panelBeside(editorColumn: vscode.ViewColumn | undefined): AttentionPanel {
    const column = besideColumn(editorColumn);
    for (const p of this.panels) {
      if (p.panel.viewColumn === column && !p.pinned) {
        p.panel.reveal(column, true);
        return p;
      }
    }
    const panel = vscode.window.createWebviewPanel(ATTENTION_VIEW_TYPE, 'Attention', { viewColumn: column, preserveFocus: true }, {});
    return this.configure(panel);
  }

  /**
   * Re-creates a panel VS Code restores after a reload; `restore` explains its text again. The
   * state is whatever the webview saved: `restore` parses it before acting on it.
   */
  serializer(restore: (panel: AttentionPanel, state: unknown) => Promise<void>): vscode.WebviewPanelSerializer<unknown> {
    return {
      deserializeWebviewPanel: async (panel, state) => {
        await restore(this.configure(panel), state);
      },
    };
  }

  dispose(): void {
    for (const p of this.panels) p.panel.dispose();
  }
}

export type { AttentionPanel };
