// The activation-patching panel: one per comparison, beside the editor, restored after a window
// reload (the command runs its comparison again). Shows the sweep the command computed and answers
// the webview's exports.
import * as vscode from 'vscode';
import { parseFromPatchingPanel, type FromPatchingPanel, type PatchingView, type ToPatchingPanel } from '../../shared/protocol';
import { fileNamePart, pngBytes, saveExport } from './exportFile';
import { patchingCsv, patchingJson } from './patchingView';
import { setUpPanel } from './singletonPanel';
import { WebviewChannel } from './webviewChannel';

export const PATCHING_VIEW_TYPE = 'modelLens.patching';

export class PatchingPanel {
  private view: PatchingView | undefined;
  /** What the panel shows: the latest message, sent again when the webview reloads. */
  private shown: ToPatchingPanel | undefined;
  private readonly channel = new WebviewChannel<ToPatchingPanel>(
    (message) => void this.panel.webview.postMessage(message),
    () => this.shown,
  );
  private disposed = false;

  /** A new panel in `column`. */
  static create(extensionUri: vscode.Uri, column: vscode.ViewColumn, onDispose: () => void): PatchingPanel {
    const panel = vscode.window.createWebviewPanel(PATCHING_VIEW_TYPE, 'Activation patching', { viewColumn: column, preserveFocus: true }, {});
    return new PatchingPanel(panel, extensionUri, onDispose);
  }

  /** Takes over `panel`: one just created, or one VS Code restores after a reload. */
  constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    onDispose: () => void,
  ) {
    setUpPanel(
      this.panel,
      extensionUri,
      { app: 'patching', label: 'Model Lens activation patching', parse: parseFromPatchingPanel },
      (message) => void this.handle(message),
    );
    this.panel.onDidDispose(() => {
      this.disposed = true;
      onDispose();
    });
  }

  /** Fires when the user closes the panel (the sweep for it is then not needed). */
  get onDidDispose(): vscode.Event<void> {
    return this.panel.onDidDispose;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  loading(text: string): void {
    this.post({ type: 'loading', text });
  }

  error(message: string): void {
    this.post({ type: 'error', message });
  }

  show(view: PatchingView, name: string): void {
    this.view = view;
    this.panel.title = `Patching: ${name}`;
    this.post({ type: 'show', view });
  }

  dispose(): void {
    this.panel.dispose();
  }

  private post(message: ToPatchingPanel): void {
    this.shown = message;
    if (!this.disposed) this.channel.post(message);
  }

  private async handle(message: FromPatchingPanel): Promise<void> {
    if (message.type === 'ready') {
      // The webview reloads when the panel is hidden and shown again: send what it showed.
      this.channel.ready();
      return;
    }
    const view = this.view;
    if (!view || view.id !== message.id) return;
    const content =
      message.format === 'png' ? pngBytes(message.png!) : new TextEncoder().encode(message.format === 'json' ? patchingJson(view) : patchingCsv(view));
    await saveExport(`patching-${fileNamePart(view.model)}-${view.id}`, message.format, content, 'Export activation patching');
  }
}
