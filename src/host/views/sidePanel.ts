// The Model Lens side panel: the model in use and, for the selected text, activations, the
// logit lens and head types. It follows the active editor's selection (debounced) unless
// pinned, and restores itself from the host when shown again (no retainContextWhenHidden). The
// lines it sends are in VS Code's display language (vscode.l10n), like the page's own headings.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorMessage, ModelLensError } from '../../engine/errors';
import type { ModelManager } from '../modelManager';
import { parseFromSideView, type FromSideView, type SideAnalysisView, type ToSideView } from '../../shared/protocol';
import { setUpWebview } from '../webviewSetup';
import { exportSection, modelView, sideAnalysisView, topNeurons, type SelectedText } from './sideViewData';
import { browseForModel } from '../commands/selectModel';
import { useModel } from '../config';
import { hookGroups } from '../../shared/hooks';

export const SIDE_VIEW_ID = 'modelLens.sidePanel';
const FOLLOW_DELAY_MS = 500;
/** Characters of context read before the selection, per position of the model's window. */
const CHARS_PER_TOKEN = 8;

export class SidePanel implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private pinned = false;
  private selected: { text: SelectedText; view: SideAnalysisView } | undefined;
  private nextId = 1;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private cancel: vscode.CancellationTokenSource | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly models: ModelManager,
  ) {
    this.disposables.push(
      models.onDidChangeModel(() => {
        this.postModel();
        this.follow(0);
      }),
      models.onDidChangeLoading(() => this.postModel()),
      vscode.window.onDidChangeTextEditorSelection((e) => e.textEditor === vscode.window.activeTextEditor && this.follow(FOLLOW_DELAY_MS)),
      vscode.window.onDidChangeActiveTextEditor(() => this.follow(FOLLOW_DELAY_MS)),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    setUpWebview(view.webview, this.extensionUri, 'sidebar', vscode.l10n.t('Model Lens side panel'));
    view.webview.onDidReceiveMessage((raw) => {
      const message = parseFromSideView(raw);
      if (message) void this.handle(message);
    });
    view.onDidDispose(() => (this.view = undefined));
  }

  private post(message: ToSideView): void {
    void this.view?.webview.postMessage(message);
  }

  private postModel(): void {
    const info = this.models.current;
    this.post({
      type: 'model',
      state: {
        model: info && modelView(info, info.folder === this.models.defaultModelPath, this.models.backendReason),
        loading: this.models.loadingName,
        error: this.models.lastError,
        recent: this.models.recentModels,
        cacheBytes: this.models.cacheBytes,
      },
    });
  }

  private async handle(message: FromSideView): Promise<void> {
    switch (message.type) {
      case 'ready':
        // A new webview (first show, or shown again after being hidden): send everything.
        this.postModel();
        this.post({ type: 'pinned', pinned: this.pinned });
        if (this.selected) this.post({ type: 'analysis', view: this.selected.view });
        else this.follow(0);
        return;
      case 'gpuAdapter':
        if (message.adapter) this.models.reportGpuAdapter(message.adapter);
        return;
      case 'openModelFolder': {
        const picked = await browseForModel();
        if (picked) await useModel(picked);
        return;
      }
      case 'useDefaultModel':
        await useModel('');
        return;
      case 'useRecent': {
        const recent = this.models.recentModels[message.index];
        if (recent) await useModel(recent);
        return;
      }
      case 'setPinned':
        this.pinned = message.pinned;
        this.post({ type: 'pinned', pinned: this.pinned });
        if (!this.pinned) this.follow(0);
        return;
      case 'requestNeurons': {
        const s = this.selected;
        if (s?.view.id === message.id)
          this.post({ type: 'neurons', id: message.id, layer: message.layer, token: message.token, neurons: topNeurons(s.text, message.layer, message.token) });
        return;
      }
      case 'openHead': {
        const s = this.selected;
        const first = s?.view.tokens[0];
        const last = s?.view.tokens[s.view.tokens.length - 1];
        if (!s || !first || !last) return;
        await vscode.commands.executeCommand('modelLens.explainAttention', {
          uri: s.view.document.uri,
          selection: { start: first.start, end: last.end },
          layer: message.layer,
          head: message.head,
        });
        return;
      }
      case 'export':
        await this.export(message.section, message.format);
        return;
    }
  }

  private follow(delay: number): void {
    if (this.pinned || !this.view) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.analyseSelection(), delay);
  }

  private async analyseSelection(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor || !this.view?.visible) return;
    const doc = editor.document;
    const range = editor.selection.isEmpty ? doc.lineAt(editor.selection.active.line).range : editor.selection;
    if (range.isEmpty) {
      this.post({ type: 'empty', text: vscode.l10n.t('Select some text (or put the cursor on a line with text) to see what the model does with it.') });
      return;
    }
    this.cancel?.cancel();
    const cancel = (this.cancel = new vscode.CancellationTokenSource());
    try {
      const version = doc.version;
      const info = await this.models.ensureLoaded(cancel.token);
      const start = doc.offsetAt(range.start);
      const baseOffset = Math.max(0, start - info.positions * CHARS_PER_TOKEN);
      const text = doc.getText(new vscode.Range(doc.positionAt(baseOffset), range.end));
      this.post({ type: 'analysing', text: vscode.l10n.t('Analysing the selection with {0}…', info.name) });
      // The lens is the costly part for large vocabularies: run it only on the selected tokens.
      const analysis = await this.models.analyze(
        text,
        { hooks: [...hookGroups.attention, ...hookGroups.activations], selectionStart: start - baseOffset, lens: 'selection' },
        cancel.token,
      );
      // A stale result (newer selection, or the text changed) is dropped, never shown on the wrong text.
      if (cancel.token.isCancellationRequested || doc.version !== version) return;
      const selected: SelectedText = {
        id: this.nextId++,
        analysis,
        info,
        document: { uri: doc.uri.toString(), name: path.basename(doc.uri.path) },
        baseOffset,
      };
      const view = sideAnalysisView(selected);
      this.selected = { text: selected, view };
      this.post({ type: 'analysis', view });
      this.postModel();
    } catch (e) {
      if (e instanceof ModelLensError && e.code === 'cancelled') return;
      this.post({ type: 'empty', text: vscode.l10n.t('Model Lens could not analyse the selection: {0}', errorMessage(e)) });
    }
  }

  private async export(section: 'model' | 'activations' | 'lens' | 'heads', format: 'csv' | 'json'): Promise<void> {
    const info = this.models.current;
    const content = exportSection(this.selected?.view, info && modelView(info, false, this.models.backendReason), section, format);
    if (!content) {
      void vscode.window.showWarningMessage(`Model Lens: there is no ${section} data to export yet.`);
      return;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, `model-lens-${section}.${format}`) : undefined,
      filters: { [format.toUpperCase()]: [format] },
      title: `Export ${section}`,
    });
    if (target) await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(content));
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.cancel?.cancel();
    for (const d of this.disposables) d.dispose();
  }
}
